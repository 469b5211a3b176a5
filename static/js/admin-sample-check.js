// Run and Record on the sample's admin form: posts the form to the button's address and shows
// the answer (a server-rendered fragment) under the buttons, without leaving unsaved edits.

async function check(button) {
  const form = button.form;
  const result = form.querySelector(".sample-check-result");
  const data = new FormData(form);
  result.textContent = button.dataset.sampleCheck === "record" ? "Recording…" : "Running…";
  button.disabled = true;
  try {
    const response = await fetch(button.formAction, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    // The fragment is rendered by the server's templates from escaped values.
    result.innerHTML = await response.text();
    const outcome = result.querySelector("[data-recorded-output]");
    const expected = form.querySelector("#id_expected_output");
    if (outcome && expected) {
      expected.value = outcome.dataset.recordedOutput;
      // The code editor draws the text from its input event: without it the box looks empty.
      expected.dispatchEvent(new Event("input", { bubbles: true }));
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
