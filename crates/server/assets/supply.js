// jousei supply pages (templates/supply/lot.html). No inline script (CSP).
// The results form has one line per missing test; "add a line" copies the
// last line, empty, for a retest or an extra result. Without JavaScript the
// button stays hidden and the lines given are enough.
(function () {
  "use strict";
  function setup() {
    var button = document.querySelector("[data-add-result-line]");
    var body = document.querySelector("[data-result-lines]");
    if (!button || !body) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var lines = body.querySelectorAll("[data-result-line]");
      var last = lines[lines.length - 1];
      if (!last) return;
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      body.appendChild(copy);
      var first = copy.querySelector("select, input");
      if (first) first.focus();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
