// Keyboard for the review queue: a digit picks the area, a letter toggles a dimension,
// Enter confirms. Without this script the form still works with the mouse.
document.addEventListener("keydown", function (event) {
  var form = document.getElementById("review-form");
  if (!form || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text"))) return;
  if (event.key === "Enter") {
    event.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.submit();
    return;
  }
  var key = (event.key || "").toLowerCase();
  if (!/^[0-9a-z]$/.test(key)) return;
  var input = form.querySelector('input[data-key="' + key + '"]');
  if (!input) return;
  event.preventDefault();
  input.checked = input.type === "radio" ? true : !input.checked;
  input.focus();
});

// ---- forecast explorer and comparison: a select marked data-autosubmit submits its form
// on change (the form's button still works without this script)
document.addEventListener("change", function (event) {
  var target = event.target;
  if (!target || !target.matches || !target.matches("select[data-autosubmit]")) return;
  var form = target.form;
  if (form) form.requestSubmit ? form.requestSubmit() : form.submit();
});
