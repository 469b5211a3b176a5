/* Try it on an exercise page: the learner's current code run with the request they type, shown as
 * a sample's run is (run-result.js: the server's rendered result, its views as tabs, the diff
 * with the previous try behind a button). Ungraded: the answer carries no verdict, and nothing
 * here marks an exercise solved. Without JavaScript the button posts the form to the same URL. */
import { enhance as enhanceEditor } from "./code-editor.js";
import { enhance, postRun, renderResult, runState } from "./run-result.js";

export function tryIt(article, form) {
  const section = article.querySelector(".exercise-try");
  if (!section) return;
  const button = section.querySelector(".try-button");
  const requestEditor = section.querySelector(".try-request");
  const result = section.querySelector(".try-result");
  const state = section.querySelector(".try-state");
  const code = form.querySelector("textarea");
  // The output the next try is compared with: a page posted without JavaScript carries its own.
  const posted = section.querySelector("input[name=previous]");
  let previous = posted ? posted.value : "";
  if (requestEditor) enhanceEditor(requestEditor, "http");
  if (!result.hidden) enhance(result);

  button.addEventListener("click", async (event) => {
    event.preventDefault(); // not the form's submit, which is the Check
    const payload = { code: code.value, previous: previous };
    if (requestEditor) payload.request = requestEditor.value;
    button.disabled = true;
    state.textContent = "Running…";
    section.setAttribute("aria-busy", "true");
    const data = await postRun(button.formAction, form.dataset.csrfUrl, payload);
    renderResult(result, data, "");
    if (data.ran && data.output) previous = data.output;
    state.textContent = runState(data);
    button.disabled = false;
    section.removeAttribute("aria-busy");
  });
}
