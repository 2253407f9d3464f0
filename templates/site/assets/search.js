// Start Pagefind's search box, filled with ?q= from the search field in the header.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var ui = new PagefindUI({ element: "#search", showSubResults: true, showImages: false, resetStyles: false });
  // Pagefind's input has only a placeholder; screen readers need a name for it.
  var label = function () {
    var input = document.querySelector("#search input");
    if (input) { input.setAttribute("aria-label", "Search the cases"); } else { window.requestAnimationFrame(label); }
  };
  label();
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { ui.triggerSearch(query); }
});
