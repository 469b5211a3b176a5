// Adds a "Preview" button under each markdown field in the admin; the staff-only
// preview view renders and sanitises exactly as saving would.
(function () {
  "use strict";
  const FIELDS = /(^|-)(body|notes)$/;
  const URL = "/preview/markdown/";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function attach(textarea) {
    if (textarea.dataset.previewAttached) return;
    textarea.dataset.previewAttached = "1";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "markdown-preview-button";
    button.textContent = "Preview";
    const output = document.createElement("div");
    output.className = "markdown-preview";
    output.setAttribute("aria-live", "polite");
    output.hidden = true;
    button.addEventListener("click", async function () {
      const body = new URLSearchParams({ text: textarea.value });
      try {
        const response = await fetch(URL, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken() },
          body: body,
          credentials: "same-origin",
        });
        const data = await response.json();
        // The server sanitised this HTML with the same allow-list as saved content.
        output.innerHTML = data.html || "";
        if (data.error) output.textContent = data.error;
      } catch (error) {
        output.textContent = "Preview failed: " + error;
      }
      output.hidden = false;
    });
    textarea.after(button, output);
  }

  function scan() {
    document.querySelectorAll("textarea").forEach(function (textarea) {
      if (FIELDS.test(textarea.name)) attach(textarea);
    });
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("formset:added", scan);
})();
