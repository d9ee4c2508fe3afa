// The letter page's print button (no inline script: the portal's CSP allows none).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
