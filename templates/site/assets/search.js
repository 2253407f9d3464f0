// Offline search over the index amends writes to search/ (see amends/report/search.py).
// Words are split and folded exactly as there; a typed word matches every
// indexed word it starts, and a case must match every typed word.
// Each file of the index is a script calling amendsSearch.add(name, data): a page
// opened from disk may load scripts from its folder, but Chromium refuses it fetch.
(function () {
  "use strict";
  var SHOWN = 100;
  var LISTING = "cases";  // search/cases.js: the cases and the names of the shards
  var FIX = "build the site again, or copy all of site/search/ into it.";
  var form = document.getElementById("search");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var loaded = {};  // file name → promise of its data
  var arrived = {};  // file name → data, handed over by the file as it runs

  window.amendsSearch = { add: function (name, data) { arrived[name] = data; } };

  // A problem with the index, said as what to do about it (shown as it is, unlike an error of this script).
  function unreadable(text) {
    var error = new Error(text);
    error.advice = true;
    return error;
  }
  // A script that will not load gives no reason. From disk, the file can only be missing (the
  // site was copied in part); through a server, the server may have stopped too.
  function missing(name, file) {
    var what = name === LISTING ? "The site folder has no search index: " : "The site folder is incomplete: ";
    if (window.location.protocol === "file:") {
      return unreadable(what + file + " is missing. To search, " + FIX);
    }
    return unreadable(file + " could not be loaded. If the server showing this site has stopped, start it" +
      " again (python build.py serve); if not, the site folder is incomplete: " + FIX);
  }
  function load(name) {
    if (!loaded[name]) {
      var file = "search/" + name + ".js";
      loaded[name] = new Promise(function (resolve, reject) {
        var element = document.createElement("script");
        element.src = file;
        // The file has run by the time load fires: if it handed nothing over, it was cut short or is not ours.
        element.onload = function () {
          var data = arrived[name];
          element.remove();
          delete arrived[name];
          if (data) {
            resolve(data);
          } else {
            // A file damaged in place may keep its size, and a build reuses such a file: build from scratch.
            reject(unreadable("The site folder holds a damaged " + file + ". To search, build the site from scratch " +
              "(python build.py build --clean), or copy all of site/search/ into it."));
          }
        };
        element.onerror = function () {
          element.remove();
          reject(missing(name, file));
        };
        document.head.appendChild(element);
      });
      // Forgotten when it fails, so that once the folder is put right the next search reads the file again.
      loaded[name].catch(function () { delete loaded[name]; });
    }
    return loaded[name];
  }
  function words(text) {
    var folded = text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
    return folded.match(/[\p{L}\p{N}]+/gu) || [];
  }
  function shard(word) {
    // Two letters, not two UTF-16 units: a letter beyond U+FFFF takes two of those.
    return Array.prototype.map.call(new TextEncoder().encode(Array.from(word).slice(0, 2).join("")), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }
  // The cases holding a word that starts with `typed`, as a set of positions in cases.js.
  function matches(index, typed) {
    var name = shard(typed);
    if (index.shards.indexOf(name) < 0) { return Promise.resolve(new Set()); }  // no word starts so
    return load(name).then(function (postings) {
      var found = new Set();
      Object.keys(postings).forEach(function (word) {
        if (word.indexOf(typed) === 0) { postings[word].forEach(function (n) { found.add(n); }); }
      });
      return found;
    });
  }
  function show(text) { status.textContent = text; }

  function run(query) {
    var typed = words(query).filter(function (w) { return Array.from(w).length >= 2; });
    list.textContent = "";
    if (!typed.length) { show(query.trim() ? "Type at least two letters of a word." : ""); return; }
    show("Searching…");
    load(LISTING).then(function (index) {
      return Promise.all(typed.map(function (w) { return matches(index, w); })).then(function (sets) {
        return [index.cases, sets];
      });
    }).then(function (found) {
      var cases = found[0], sets = found[1];
      if (input.value !== query) { return; }  // a newer search is on its way
      var hits = [];
      for (var n = 0; n < cases.length; n++) {
        if (sets.every(function (s) { return s.has(n); })) { hits.push(cases[n]); }
      }
      show(hits.length === 0 ? "No case matches." : hits.length === 1 ? "1 case matches." :
        hits.length + " cases match" + (hits.length > SHOWN ? ", the newest " + SHOWN + " shown." : ", newest first."));
      hits.slice(0, SHOWN).forEach(function (c) {
        // [id, title, customer, status, opened], written as text: never parsed as HTML.
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "cases/" + encodeURIComponent(c[0]) + ".html";
        link.className = "search-result";
        link.textContent = c[1];
        var about = document.createElement("span");
        about.className = "hint";
        about.textContent = " " + c[2] + " · " + c[3] + " · opened " + c[4];
        item.appendChild(link);
        item.appendChild(about);
        list.appendChild(item);
      });
    }).catch(function (error) {
      if (input.value !== query) { return; }
      show(error.advice ? error.message :
        "The search index could not be read (" + error.message + "). To search, " + FIX);
    });
  }

  var timer;
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { run(input.value); }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
    run(input.value);
  });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; run(query); }
  input.focus();
})();
