/*
  A matcher run's page while the run is queued or running: ask the progress endpoint every few
  seconds and say what changed in the page's status message (role="status", a polite live region),
  instead of reloading the page (a page that refreshes itself fails WCAG 2.2.1, Timing Adjustable).
  Progressive enhancement only: without this file the "Check progress" button loads the page again.
  The status tag in the heading ([data-run-tag]) is replaced by the one the endpoint draws (tag_html),
  so "Running" never stays beside "Done". Nothing here moves focus; when the run ends the button says
  so and leads to what the run found.
*/
(function () {
  "use strict";

  var EVERY_MS = 3000;
  var GIVE_UP_AFTER = 5; // failed requests in a row: then the button is the way to check

  function init(box) {
    var url = box.getAttribute("data-progress-url");
    var message = box.querySelector("[data-run-message]");
    var bar = box.querySelector("[data-run-bar]");
    var check = box.querySelector("a.button");
    var tagBox = document.querySelector("[data-run-tag]");
    var said = message ? message.textContent : "";
    var failures = 0;

    function say(text) {
      // Only a change is written, so a screen reader hears each step once.
      if (message && text !== said) {
        message.textContent = text;
        said = text;
      }
    }

    function show(run) {
      // The endpoint draws the tag with the page's own macro (escaped there); only its status changes.
      if (tagBox && run.tag_html && tagBox.innerHTML !== run.tag_html) { tagBox.innerHTML = run.tag_html; }
      if (bar) {
        bar.value = run.progress;
        bar.textContent = run.progress + "%";
      }
      if (run.in_progress) {
        say(run.message + " (" + run.progress + "% done).");
        window.setTimeout(poll, EVERY_MS);
        return;
      }
      if (run.status === "done") {
        say(run.message + ". The run has finished: show what it found.");
        if (check) { check.textContent = "Show what the run found"; }
      } else {
        say(run.message + ". The run has stopped.");
        if (check) { check.textContent = "Show the run"; }
      }
    }

    function poll() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (run) {
          failures = 0;
          show(run);
        })
        .catch(function () {
          failures += 1;
          if (failures < GIVE_UP_AFTER) { window.setTimeout(poll, EVERY_MS * (failures + 1)); }
        });
    }

    if (window.fetch) { window.setTimeout(poll, EVERY_MS); }
  }

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); }
    else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-module="run-progress"]'), init);
  });
})();
