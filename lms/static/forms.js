/* Forms people can finish: focus the error summary, let its links focus their field, and
   filter long checkbox lists as one types (ticks stay: a filtered-out box is only hidden). */
(function () {
  "use strict";

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) { return false; }
    var target = field.matches("input, select, textarea, button") ? field : field.querySelector("input, select, textarea");
    var label = document.querySelector('label[for="' + id + '"]') || field.closest("fieldset");
    (label || field).scrollIntoView({ block: "center" });
    (target || field).focus({ preventScroll: true });
    return true;
  }

  function summary() {
    var box = document.querySelector("[data-error-summary]");
    if (!box) { return; }
    box.focus();
    box.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (link && focusField(link.getAttribute("href").slice(1))) { event.preventDefault(); }
    });
  }

  function filterLists() {
    document.querySelectorAll("[data-filter-list]").forEach(function (list) {
      var input = document.getElementById(list.getAttribute("data-filter-list"));
      var status = document.getElementById(list.id + "-count");
      if (!input) { return; }
      input.hidden = false;
      var wrapper = input.closest("[data-filter-input]");
      if (wrapper) { wrapper.hidden = false; }
      var items = list.querySelectorAll("[data-filter-item]");
      input.addEventListener("input", function () {
        var words = input.value.trim().toLowerCase();
        var shown = 0;
        items.forEach(function (item) {
          var match = !words || item.textContent.toLowerCase().indexOf(words) !== -1;
          var box = item.querySelector("input[type=checkbox]");
          // A ticked box stays in view: what is chosen never disappears.
          item.hidden = !(match || (box && box.checked));
          if (!item.hidden) { shown += 1; }
        });
        if (status) { status.textContent = shown + " of " + items.length + " shown"; }
      });
    });
  }

  function ready() { summary(); filterLists(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
