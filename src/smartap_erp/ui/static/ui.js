// SmartAP ERP Connectors web UI: small progressive enhancements; every page works without them.
"use strict";

// A button or form with data-confirm asks before it submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
