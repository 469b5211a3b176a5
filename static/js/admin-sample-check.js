// Run and Record of a sample, on its own admin form and in each sample row of its era's form:
// posts the sample's fields to the button's address and shows the answer (a server-rendered
// fragment) beside the buttons, without leaving unsaved edits.

// In an era's form a sample is one row of the inline, its fields named "samples-<n>-<field>";
// the endpoints read the sample page's names, so the row's fields are posted without prefix.
function sampleFields(button) {
  const form = button.form;
  const row = button.closest(".inline-related");
  if (!row) return { scope: form, data: new FormData(form) };
  const data = new FormData();
  data.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
  row.querySelectorAll("input[name], textarea[name], select[name]").forEach(function (control) {
    const match = control.name.match(/^[\w]+-\d+-(\w+)$/);
    if (!match || ((control.type === "checkbox" || control.type === "radio") && !control.checked)) return;
    data.append(match[1], control.value);
  });
  return { scope: row, data: data };
}

async function check(button) {
  const { scope, data } = sampleFields(button);
  const result = scope.querySelector(".sample-check-result");
  result.textContent = button.dataset.sampleCheck === "record" ? "Recording…" : "Running…";
  button.disabled = true;
  try {
    const response = await fetch(button.dataset.url || button.formAction, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    // The fragment is rendered by the server's templates from escaped values.
    result.innerHTML = await response.text();
    const outcome = result.querySelector("[data-recorded-output]");
    const expected = scope.querySelector("textarea[name$='expected_output']");
    if (outcome && expected) {
      expected.value = outcome.dataset.recordedOutput;
      // The code editor draws the text from its input event: without it the box looks empty.
      expected.dispatchEvent(new Event("input", { bubbles: true }));
      // Now saved: leaving the page loses nothing of it (admin-unsaved.js).
      expected.dispatchEvent(new Event("admin:value-saved", { bubbles: true }));
    }
  } catch (error) {
    result.textContent = "The request failed: " + error;
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-sample-check]");
  if (!button) return;
  event.preventDefault();
  check(button);
});
