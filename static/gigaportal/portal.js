// Small behaviours every page may use, wired by data attributes: the Content-Security-
// Policy allows no inline scripts or on* handlers (gigaportal/settings.py).
document.addEventListener("change", function (event) {
  const field = event.target.closest("[data-submit-on-change]");
  if (field && field.form) field.form.submit();
});
document.addEventListener("click", function (event) {
  const field = event.target.closest("[data-select-on-click]");
  if (field) field.select();
});
