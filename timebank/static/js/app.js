/*
  Social Sector Exchange: progressive enhancement only. Every page works
  without this file. No inline scripts or handlers anywhere (the site's CSP
  forbids them): behaviour hangs off classes and data-module attributes.
*/
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js-enabled");

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); }
    else { document.addEventListener("DOMContentLoaded", fn); }
  }

  /* Error summary: take focus when the page loads, so screen readers read it
     and keyboard users start there. Its links move focus to the field and
     scroll so that the field's label or legend is in view too. */
  function initErrorSummary() {
    var summary = document.querySelector('[data-module="error-summary"]');
    if (!summary) { return; }
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    if (summary.getAttribute("data-disable-auto-focus") !== "true") { summary.focus(); }

    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a") : null;
      if (!link) { return; }
      var href = link.getAttribute("href") || "";
      if (href.charAt(0) !== "#") { return; }
      var input = document.getElementById(decodeURIComponent(href.slice(1)));
      if (!input) { return; }
      event.preventDefault();
      var legendOrLabel = null;
      var fieldset = input.closest ? input.closest("fieldset") : null;
      if (fieldset) {
        legendOrLabel = fieldset.querySelector("legend");
      }
      if (!legendOrLabel && input.id) {
        legendOrLabel = document.querySelector('label[for="' + input.id.replace(/"/g, '\\"') + '"]');
      }
      (legendOrLabel || input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  /* Stop a second click on a submit button sending the form twice
     (for one second, so a real retry still works). */
  function initPreventDoubleClick() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-prevent-double-click]") : null;
      if (!button) { return; }
      if (button.getAttribute("data-clicked") === "true") {
        event.preventDefault();
        return;
      }
      button.setAttribute("data-clicked", "true");
      window.setTimeout(function () { button.removeAttribute("data-clicked"); }, 1000);
    });
  }

  /* "Print this page" buttons appear only when they can work. */
  function initPrintButtons() {
    var buttons = document.querySelectorAll(".js-print");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  /* Folded sections that have room to stay open on a wide screen (the directory's filters,
     beside the results): open them there. On a phone, or without this file, they stay folded
     (unless the page opened them) and "Filter results" opens them. */
  function initOpenWhenWide() {
    if (!window.matchMedia || !window.matchMedia("(min-width: 48.0625em)").matches) { return; }
    var sections = document.querySelectorAll('details[data-module="open-when-wide"]');
    Array.prototype.forEach.call(sections, function (section) { section.open = true; });
  }

  ready(function () {
    initErrorSummary();
    initPreventDoubleClick();
    initPrintButtons();
    initOpenWhenWide();
  });
})();
