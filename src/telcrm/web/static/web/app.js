// Telco CRM: behaviour shared by every page (no inline scripts: the CSP forbids them).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-submit-on-change]");
  if (select) select.form.requestSubmit();
});
