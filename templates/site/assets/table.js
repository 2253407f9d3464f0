// Sort any table.sortable by a column heading. Without JavaScript the table
// still reads fine in its built order; this only adds buttons to the headings.
(function () {
  "use strict";
  function key(cell, type) {
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (type === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? -Infinity : n;
    }
    return raw.toLocaleLowerCase();
  }
  function sortBy(table, index, th) {
    var type = th.getAttribute("data-sort") || "text";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[index], type), y = key(b.cells[index], type);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  });
})();

// Filter the cases table by the selects and dates of form#filters. The form
// stays hidden without JavaScript, so the whole table is what people see then.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.querySelector("table.cases");
  if (!form || !table) { return; }
  form.hidden = false;
  function apply() {
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var keep = true;
      Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
        if (select.value && row.dataset[select.name] !== select.value) { keep = false; }
      });
      var opened = row.dataset.opened;
      if (form.elements.from.value && opened < form.elements.from.value) { keep = false; }
      if (form.elements.to.value && opened > form.elements.to.value) { keep = false; }
      row.hidden = !keep;
      shown += keep ? 1 : 0;
    });
    form.elements.count.value = shown + " of " + table.tBodies[0].rows.length + " cases shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  apply();
})();
