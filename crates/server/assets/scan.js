// jousei scan field (templates/partials/scan_field.html). No inline script (CSP).
//
// A keyboard-wedge scanner "types" the whole symbol in a few milliseconds and ends it with
// Enter or Tab. Nothing is sent per keystroke: the scan is sent for preview (htmx,
// POST /scan/preview) when it ends — on Enter, on Tab, on the Read button, or, for a scanner
// set up without a suffix, when a fast burst of keystrokes stops. Ctrl+] (the keyboard form of
// GS, 0x1D) is put into the field as GS. A clean reading is accepted at once; a reading with
// warnings only after the person confirms. Accepting puts the raw data into the component's
// hidden input (the host page's handler parses it again) and fires `jousei:scan-accepted`.
(function () {
  "use strict";
  var SCANNER_MS = 35; // average ms between keystrokes below which input is a scanner
  var BURST_MIN = 8; // characters before a burst without suffix may end a scan
  var IDLE_MS = 300; // pause that ends such a burst

  function setup(field) {
    if (field.hasAttribute("data-scan-ready")) return;
    field.setAttribute("data-scan-ready", "");
    var input = field.querySelector("[data-scan-input]");
    var result = field.querySelector(".scan-result");
    var hidden = field.querySelector("[data-scan-accepted-value]");
    if (!input || !result || !window.htmx) return;
    var times = [];
    var idleTimer = null;
    var sent = { value: null, at: 0 };
    var suffix = "";
    var msPerChar = "";

    function averageMs() {
      if (times.length < 2) return null;
      return (times[times.length - 1] - times[0]) / (times.length - 1);
    }

    function send(how) {
      clearTimeout(idleTimer);
      // The same data just sent (an idle end followed by a late Enter): nothing new.
      if (input.value === sent.value && Date.now() - sent.at < 1500) return;
      sent = { value: input.value, at: Date.now() };
      suffix = how;
      var avg = averageMs();
      msPerChar = avg === null ? "" : String(Math.round(avg));
      if (hidden) hidden.value = "";
      window.htmx.trigger(input, "jousei:scan");
    }

    function insertAtCursor(text) {
      var start = input.selectionStart, end = input.selectionEnd;
      input.value = input.value.slice(0, start) + text + input.value.slice(end);
      input.selectionStart = input.selectionEnd = start + text.length;
    }

    input.addEventListener("keydown", function (ev) {
      if (ev.isComposing) return;
      if (ev.key === "Enter") {
        ev.preventDefault();
        send("enter");
        return;
      }
      if (ev.key === "Tab" && !ev.shiftKey && input.value !== "" && input.value !== sent.value) {
        ev.preventDefault();
        send("tab");
        return;
      }
      if (ev.ctrlKey && !ev.altKey && (ev.key === "]" || ev.code === "BracketRight")) {
        ev.preventDefault();
        insertAtCursor("\u001d");
        return;
      }
      if (ev.key.length !== 1 || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      // A new scan replaces the previous one (its text is selected after each preview).
      var replacing = input.value === "" ||
        (input.selectionStart === 0 && input.selectionEnd === input.value.length);
      if (replacing) times = [];
      times.push(ev.timeStamp || Date.now());
      clearTimeout(idleTimer);
      var avg = averageMs();
      if (times.length >= BURST_MIN && avg !== null && avg < SCANNER_MS) {
        idleTimer = setTimeout(function () { send("idle"); }, IDLE_MS);
      }
    });
    input.addEventListener("paste", function () {
      times = [];
      clearTimeout(idleTimer);
    });

    // The Read button (a submit button only where the page's form is the scan field).
    var read = field.querySelector("[data-scan-read]");
    if (read) {
      read.addEventListener("click", function (ev) {
        ev.preventDefault();
        sent.value = null;
        send("button");
        input.focus();
      });
    }
    var form = input.form;
    if (form && read && read.type === "submit") {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        send("button");
      });
    }

    // How the scan ended and how fast it was typed travel with the preview request.
    input.addEventListener("htmx:configRequest", function (ev) {
      ev.detail.parameters.suffix = suffix;
      ev.detail.parameters.ms_per_char = msPerChar;
    });

    result.addEventListener("htmx:afterSwap", function () {
      var outcome = result.querySelector("[data-scan-state]");
      input.focus();
      input.select();
      if (!outcome) return;
      var state = outcome.getAttribute("data-scan-state");
      if (state === "ok") accept(outcome);
      var confirm = outcome.querySelector("[data-scan-confirm]");
      var acceptButton = outcome.querySelector("[data-scan-accept]");
      if (confirm && acceptButton) {
        confirm.addEventListener("change", function () {
          acceptButton.disabled = !confirm.checked;
        });
        acceptButton.addEventListener("click", function () {
          if (confirm.checked) accept(outcome);
          input.focus();
        });
      }
      outcome.querySelectorAll("[data-scan-reread]").forEach(function (b) {
        b.addEventListener("click", function () {
          input.value = b.getAttribute("data-scan-reread");
          times = [];
          sent.value = null;
          send("button");
          input.focus();
        });
      });
    });

    function accept(outcome) {
      if (outcome.hasAttribute("data-scan-done")) return;
      outcome.setAttribute("data-scan-done", "");
      var raw = outcome.getAttribute("data-scan-raw") || "";
      if (hidden) hidden.value = raw;
      var msg = outcome.querySelector("[data-scan-accepted-msg]");
      if (msg) msg.hidden = false;
      var confirm = outcome.querySelector(".scan-confirm");
      if (confirm) confirm.hidden = true;
      var read = outcome.querySelector("[data-summary]");
      var summary = read ? read.getAttribute("data-summary") : raw;
      var history = document.querySelector('[data-scan-history="' + field.id + '"]');
      if (history) {
        var empty = history.querySelector("[data-scan-history-empty]");
        if (empty) empty.remove();
        var li = document.createElement("li");
        var time = document.createElement("time");
        time.textContent = new Date().toLocaleTimeString(document.documentElement.lang);
        li.appendChild(time);
        li.appendChild(document.createTextNode(" " + summary));
        if (outcome.getAttribute("data-scan-state") === "warnings") li.className = "confirmed";
        history.insertBefore(li, history.firstChild);
      }
      field.dispatchEvent(new CustomEvent("jousei:scan-accepted", {
        bubbles: true,
        detail: { raw: raw, summary: summary, state: outcome.getAttribute("data-scan-state") },
      }));
    }
  }

  function init() {
    document.querySelectorAll("[data-scan-field]").forEach(setup);
    var first = document.querySelector("[data-scan-field] [data-scan-input]");
    if (first && !document.querySelector("[autofocus]")) first.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:load", function (ev) {
    var root = ev.detail && ev.detail.elt;
    if (root && root.querySelectorAll) root.querySelectorAll("[data-scan-field]").forEach(setup);
  });
})();
