// Places the spans of a day's timeline. Their positions come as data attributes because the
// page's Content-Security-Policy refuses inline style attributes; setting them from a script
// of this site is allowed. Runs on the page and on every piece htmx swaps in.
(function () {
  "use strict";
  function place(root) {
    if (!root || !root.querySelectorAll) return;
    var spans = root.querySelectorAll("[data-left]");
    for (var i = 0; i < spans.length; i++) {
      var span = spans[i];
      span.style.left = span.getAttribute("data-left") + "%";
      if (span.hasAttribute("data-width")) span.style.width = span.getAttribute("data-width") + "%";
    }
  }
  document.addEventListener("DOMContentLoaded", function () { place(document); });
  document.addEventListener("htmx:load", function (event) { place(event.target); });
})();
