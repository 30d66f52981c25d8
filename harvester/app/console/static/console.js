// The console's only script: small conveniences; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before actions that cannot be undone (cancel a reply, send it back).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // "Back" links on error pages, without inline script (the CSP allows none).
  for (const link of document.querySelectorAll("a[data-back]")) {
    link.addEventListener("click", (event) => { event.preventDefault(); history.back(); });
  }
  // Print buttons on the report page.
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
