// The proposal's print button (no inline scripts under the CSP).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll(".print-button")) {
    button.addEventListener("click", () => window.print());
  }
});
