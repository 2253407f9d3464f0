// Start Pagefind's search box, filled with ?q= from the search field in the header.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var ui = new PagefindUI({ element: "#search", showSubResults: true, showImages: false, resetStyles: false });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { ui.triggerSearch(query); }
});
