// The form builder (staff). Everything works without this script; with it:
// focus stays where the change was made after htmx swaps the editor, a field's key
// is suggested from its English label, and choosing the field a condition depends
// on shows that field's answers at once.
(function () {
  "use strict";
  if (window.yorisouBuilder) return;
  window.yorisouBuilder = true;

  function mark() {
    var builder = document.getElementById("builder");
    if (builder) builder.classList.add("builder--js");
    return builder;
  }
  document.addEventListener("DOMContentLoaded", mark);

  // after a swap, focus what the server named (the moved field's button, the new
  // field's label, the first input with an error …)
  document.addEventListener("htmx:afterSettle", function () {
    var builder = mark();
    if (!builder || builder.dataset.focused) return;
    builder.dataset.focused = "1";
    var id = builder.dataset.focus;
    var target = (id && document.getElementById(id)) || null;
    if (!target) return;
    if (target.disabled) target = document.getElementById("builder-steps") || target;
    var closed = target.closest("details:not([open])");
    if (closed) closed.open = true;
    target.focus({ preventScroll: true });
    // a tall element (a field's edit form) from its top, others with their
    // label and error around them
    var tall = target.getBoundingClientRect().height > window.innerHeight * 0.6;
    target.scrollIntoView({ block: tall ? "start" : "center" });
  });

  function slug(text) {
    var key = String(text || "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40).replace(/_+$/, "");
    if (key && !/^[a-z]/.test(key)) key = "field_" + key;
    return key;
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.id === "be-key") {
      input.removeAttribute("data-auto-key");
    } else if (input.id === "be-label_en") {
      var key = document.getElementById("be-key");
      if (key && key.hasAttribute("data-auto-key")) key.value = slug(input.value) || key.defaultValue;
    }
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-refresh]") || !select.form) return;
    var button = document.getElementById(select.getAttribute("data-refresh"));
    if (!button || !select.form.requestSubmit) return;
    // htmx sends the value of the button last clicked, not of requestSubmit's
    // submitter: send the button's value with a hidden input instead
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = button.name;
    input.value = button.value;
    select.form.appendChild(input);
    select.form.requestSubmit();
    input.remove();
  });
})();
