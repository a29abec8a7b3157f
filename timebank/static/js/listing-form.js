/*
  The listing form: show the parts that apply to the chosen kind, direction and "when", hide the rest.
  Progressive enhancement only: without this file every part shows, each saying when it applies.
  A hidden part keeps its values; if the server refuses one, the part shows again with its message.
*/
(function () {
  "use strict";

  function init(form) {
    var parts = form.querySelectorAll("[data-show-when-kind], [data-show-when-direction], [data-show-when-availability]");

    function checked(name) {
      var input = form.querySelector('input[name="' + name + '"]:checked');
      return input ? input.value : null;
    }

    function allows(part, attribute, value) {
      var wanted = part.getAttribute(attribute);
      // Until a choice is made, show everything: hiding a question before it is answered confuses.
      return wanted === null || value === null || wanted.split(" ").indexOf(value) !== -1;
    }

    function update() {
      var kind = checked("kind");
      var direction = checked("direction");
      var availability = checked("availability");
      Array.prototype.forEach.call(parts, function (part) {
        var show = allows(part, "data-show-when-kind", kind) && allows(part, "data-show-when-direction", direction) &&
          allows(part, "data-show-when-availability", availability);
        // Never hide a part that holds an error message.
        part.hidden = !show && !part.querySelector(".error-message");
      });
    }

    form.addEventListener("change", update);
    update();
  }

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); }
    else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-module="listing-form"]'), init);
  });
})();
