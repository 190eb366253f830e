// The chair (templates/care/chair.html). No inline script (CSP).
//
// After a check the page comes back with the result next to the scan fields
// ([data-scan-status], role="alert") and the next empty vial field marked
// [data-scan-next]. Focus goes to that field, where the scanner types next,
// without scrolling to it; then the result is scrolled to the top of the
// viewport so that the nurse sees it together with the field right below it.
(function () {
  "use strict";
  var next = document.querySelector("[data-scan-next]");
  var status = document.querySelector("[data-scan-status]");
  if (next) next.focus({ preventScroll: true });
  if (status) status.scrollIntoView({ block: "start" });
  else if (next) next.scrollIntoView({ block: "center" });
})();
