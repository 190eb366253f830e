// jousei vial label sheet: the Print button (no inline script, CSP). The sheet's own
// @media print rules (jousei.css, "Barcodes" section) lay the labels out on A4.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
