// Field-mapping editor: the connection/entity selector applies on change, and the rule is checked as
// you type (debounced): the form is posted as JSON to /ui/mappings/check with the page's CSRF token,
// and a refusal is shown under the rule with its place marked (line and column). Without this
// script, Preview and Save show the same error from the server.
"use strict";

(() => {
  const chooser = document.getElementById("choose");
  if (chooser) {
    for (const select of chooser.querySelectorAll("select")) {
      select.addEventListener("change", () => chooser.submit());
    }
  }

  const form = document.getElementById("rule-form");
  if (!form) {
    return;
  }
  const status = document.getElementById("rule-status");
  const rule = form.elements.namedItem("rule");
  const watched = ["smartap_field", "erp_field", "rule", "regex", "default", "required"];
  let timer = null;
  let sequence = 0;

  function field(name) {
    const control = form.elements.namedItem(name);
    return control.type === "checkbox" ? control.checked : control.value;
  }

  function show(children) {
    status.replaceChildren(...children);
  }

  function marked(source, line, column) {
    // The refused line with the character at `column` (1-based) marked, as the server renders it.
    const text = source.split("\n")[line - 1] || "";
    const pre = document.createElement("pre");
    pre.id = "rule-where";
    pre.className = "where";
    pre.setAttribute("aria-label", "where the rule is wrong");
    const mark = document.createElement("mark");
    mark.textContent = text.slice(column - 1, column) || " ";
    pre.append(text.slice(0, column - 1), mark, text.slice(column));
    return pre;
  }

  function render(answer, source) {
    rule.removeAttribute("aria-invalid");
    if (answer.ok) {
      const ok = document.createElement("p");
      ok.className = "small ok-text";
      ok.id = "rule-ok";
      ok.textContent = "The rule compiles and its fields are known.";
      show([ok]);
      return;
    }
    const empty = (answer.field === "smartap_field" || answer.field === "erp_field") && !field(answer.field).trim();
    const message = document.createElement("p");
    message.id = "rule-message";
    if (empty) {
      message.className = "hint";
      message.textContent = "Choose the SmartAP field and the ERP field.";
      show([message]);
      return;
    }
    message.className = "alert error";
    message.setAttribute("role", "alert");
    message.textContent = answer.message;
    const parts = [message];
    if (answer.field === "transformation_rule") {
      rule.setAttribute("aria-invalid", "true");
      if (answer.line && answer.column) {
        parts.push(marked(source, answer.line, answer.column));
      }
    }
    show(parts);
  }

  async function check() {
    const mine = ++sequence;
    const body = { connection: field("connection"), entity: field("entity") };
    for (const name of watched) {
      body[name] = field(name);
    }
    if (!body.smartap_field && !body.erp_field && !body.rule) {
      show([]);
      return;
    }
    let answer;
    try {
      const response = await fetch(form.dataset.checkUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": field("csrf_token") },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        return; // signed out or refused: Save still checks on the server
      }
      answer = await response.json();
    } catch (error) {
      return;
    }
    if (mine === sequence) {
      render(answer, body.rule);
    }
  }

  for (const name of watched) {
    const control = form.elements.namedItem(name);
    control.addEventListener(control.type === "checkbox" ? "change" : "input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, 300);
    });
  }
})();
