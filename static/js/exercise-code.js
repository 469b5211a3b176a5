/* The learner's code on an exercise page: the site's code editor, kept in this browser
 * (localStorage, one entry per exercise) and brought back on return, solved or not; "Reset to
 * the starter code" with an Undo, so nothing is lost by a slip; a Share link; and code opened
 * from a share link, marked as shared and not run until the learner checks it. */
import { enhance } from "./code-editor.js";
import { ShareError, forgetFragment, readShared, reloadOnShare, shareControl } from "./share-link.js";

const PREFIX = "historyweb:exercise-code:";

function load(slug) {
  try {
    return localStorage.getItem(PREFIX + slug);
  } catch {
    return null;
  }
}

function save(slug, code, starter) {
  try {
    if (code === starter) localStorage.removeItem(PREFIX + slug);
    else localStorage.setItem(PREFIX + slug, code);
  } catch {
    // Storage full or disabled (private mode): the code stays in the page only.
  }
}

function notice(node, text, action) {
  node.replaceChildren(text);
  if (action) {
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "secondary";
    undo.textContent = action.label;
    undo.addEventListener("click", action.run);
    node.append(" ", undo);
  }
  node.hidden = false;
}

export async function keepCode(article, form) {
  const slug = article.dataset.exercise;
  const editor = form.querySelector("textarea");
  const starter = editor.dataset.starter;
  const reset = form.querySelector(".exercise-reset");
  const state = form.querySelector(".exercise-code-state");
  const served = editor.value; // the starter, or on a page posted back without JavaScript the learner's code
  enhance(editor, editor.dataset.language);
  const mark = form.querySelector(".code-editor-shell");

  function setCode(code) {
    editor.value = code;
    editor.dispatchEvent(new Event("input", { bubbles: true }));
  }

  let shared = false;
  let sharedCode = null;
  function clearShared() {
    shared = false;
    mark.classList.remove("shared-code");
    forgetFragment();
  }

  editor.addEventListener("input", () => {
    reset.hidden = editor.value === starter;
    if (shared && editor.value !== sharedCode) clearShared();
    if (!shared) save(slug, editor.value, starter);
  });

  function backTo(code) {
    clearShared();
    setCode(code);
    state.hidden = true;
    editor.focus();
  }

  reset.addEventListener("click", (event) => {
    event.preventDefault();
    const before = editor.value;
    backTo(starter);
    notice(state, "The starter code is back.", { label: "Undo", run: () => backTo(before) });
  });

  // A link carries the code, and the request typed for Try it when there is one.
  const request = article.querySelector(".try-request");
  const payload = () => (request ? { code: editor.value, request: request.value } : { code: editor.value });
  form.querySelector(".run-actions").append(shareControl(() => ({ payload: payload() })));

  reloadOnShare();
  const own = load(slug);
  try {
    const data = await readShared(location.hash, ["code", "request"]);
    if (data) {
      sharedCode = data.code;
      shared = true;
      setCode(data.code); // its input event is no edit: the code is the shared code
      if (request && data.request !== undefined) {
        request.value = data.request;
        request.dispatchEvent(new Event("input", { bubbles: true }));
      }
      mark.classList.add("shared-code");
      const mine = own !== null && own !== data.code ? own : null;
      const back = mine === null ? null : { label: "Back to my code", run: () => backTo(mine) };
      notice(state, "Shared code — not yet run. Check it when you are ready; your own code is kept until you edit this.", back);
      form.addEventListener("submit", () => {
        if (shared) notice(state, "Shared code, checked as it was shared.", back);
      });
      return;
    }
  } catch (error) {
    if (!(error instanceof ShareError)) throw error;
    notice(state, error.message + " The exercise is shown as usual.");
    forgetFragment();
  }
  if (own !== null && served === starter && own !== starter) {
    setCode(own);
    if (state.hidden) notice(state, "Your code from your last visit is back.");
  } else if (served !== starter) {
    save(slug, served, starter);
  }
}
