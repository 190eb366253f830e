// Signature pad for the consent page: draws on a <canvas> with a mouse, a
// pen or a finger (pointer events) and keeps the strokes as SVG path data
// on the 600 × 200 canvas in the hidden field named by
// data-signature-for. No inline script or style (CSP).
(function () {
  "use strict";

  function setup(canvas) {
    var field = document.getElementById(canvas.getAttribute("data-signature-for"));
    if (!field) return;
    var ctx = canvas.getContext("2d");
    var strokes = [];
    var current = null;

    function point(ev) {
      var r = canvas.getBoundingClientRect();
      var x = ((ev.clientX - r.left) * canvas.width) / r.width;
      var y = ((ev.clientY - r.top) * canvas.height) / r.height;
      x = Math.max(0, Math.min(canvas.width, x));
      y = Math.max(0, Math.min(canvas.height, y));
      return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    }

    function save() {
      var d = strokes
        .filter(function (s) { return s.length > 0; })
        .map(function (s) {
          var pts = s.length === 1 ? [s[0], [s[0][0] + 0.5, s[0][1] + 0.5]] : s;
          return "M" + pts[0][0] + " " + pts[0][1] + pts.slice(1).map(function (p) {
            return " L" + p[0] + " " + p[1];
          }).join("");
        })
        .join(" ");
      field.value = d;
    }

    function redraw() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#000";
      strokes.forEach(function (s) {
        if (!s.length) return;
        ctx.beginPath();
        ctx.moveTo(s[0][0], s[0][1]);
        s.slice(1).forEach(function (p) { ctx.lineTo(p[0], p[1]); });
        if (s.length === 1) ctx.lineTo(s[0][0] + 0.5, s[0][1] + 0.5);
        ctx.stroke();
      });
    }

    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault();
      if (canvas.setPointerCapture) canvas.setPointerCapture(ev.pointerId);
      current = [point(ev)];
      strokes.push(current);
      redraw();
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!current) return;
      ev.preventDefault();
      current.push(point(ev));
      redraw();
    });
    function end() {
      if (!current) return;
      current = null;
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);

    document.querySelectorAll("[data-signature-clear='" + field.id + "']").forEach(function (b) {
      b.addEventListener("click", function () {
        strokes = [];
        current = null;
        field.value = "";
        redraw();
      });
    });
    redraw();
  }

  function init() {
    document.querySelectorAll("canvas[data-signature-for]").forEach(setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
