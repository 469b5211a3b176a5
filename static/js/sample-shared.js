/* A sample's own page opened from a share link: the shared code and request go into the form's
 * editors, marked as shared. Nothing runs until the learner presses Run. */
import { ShareError, forgetFragment, readShared, reloadOnShare } from "./share-link.js";

export async function openShared(form) {
  reloadOnShare();
  const code = form.querySelector("#run-code");
  const request = form.querySelector("#run-request");
  const note = document.createElement("p");
  note.className = "shared-note";
  note.setAttribute("role", "status");
  try {
    const data = await readShared(location.hash, ["code", "request"]);
    if (!data) return;
    code.value = data.code;
    if (request && typeof data.request === "string") request.value = data.request;
    note.textContent = "Shared code — not yet run. Press Run when you are ready; Reset brings back the original.";
    form.classList.add("shared-code");
  } catch (error) {
    if (!(error instanceof ShareError)) throw error;
    note.textContent = error.message + " The sample is shown as usual.";
    forgetFragment();
  }
  form.before(note);
}
