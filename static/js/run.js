/* The Run / Edit / Reset controls of every runnable sample on the page (era page, deck, evolution).
 *
 * Pages that list samples carry no per-user data, so the CSRF token comes as csrf-post.js gets
 * it. A result is shown by run-result.js, as the server rendered it. When a run is impossible
 * (offline, sandbox down, too busy) the recorded output is shown instead.
 */
import { enhance as enhanceEditor } from "./code-editor.js";
import { button, el, parts } from "./dom.js";
import { enhance, postRun, renderResult, runState } from "./run-result.js";
import { openShared } from "./sample-shared.js";
import { shareControl } from "./share-link.js";

function attach(figure) {
  const box = figure.querySelector(".sample-run");
  if (!box || box.dataset.attached) {
    return;
  }
  box.dataset.attached = "true";
  const runUrl = box.dataset.runUrl;
  const csrfUrl = box.dataset.csrfUrl;
  const { editors, codeEditor, requestEditor, result, actions, pageLink } = parts(box, {
    editors: ".sample-editors",
    codeEditor: ".sample-editor-code",
    requestEditor: ".sample-editor-request",
    result: ".run-result",
    actions: ".sample-actions",
    pageLink: ".run-page-link",
  });
  const highlighted = figure.querySelector(".sample-code");
  const recordedNode = figure.querySelector(".sample-output pre");
  const recorded = recordedNode ? recordedNode.textContent : "";

  const runButton = button("Run", "run-button");
  const editButton = button("Edit", "secondary edit-button");
  const resetButton = button("Reset", "secondary reset-button");
  resetButton.hidden = true;
  const status = el("span", "run-state");
  status.setAttribute("role", "status");
  actions.insertBefore(runButton, pageLink);
  actions.insertBefore(editButton, pageLink);
  actions.insertBefore(resetButton, pageLink);
  actions.insertBefore(status, pageLink);
  // The link opens the sample's own page with the edited code and request in its fragment.
  const share = shareControl(function () {
    const payload = { code: codeEditor.value };
    if (requestEditor) {
      payload.request = requestEditor.value;
    }
    return { url: pageLink.href, payload: payload };
  });
  share.hidden = true;
  actions.insertBefore(share, pageLink);
  pageLink.textContent = "Open on its own page";

  function edited() {
    return (
      codeEditor.value !== codeEditor.defaultValue ||
      (requestEditor !== null && requestEditor.value !== requestEditor.defaultValue)
    );
  }

  // The editors replace the highlighted code and the request shown above them: one box each.
  const requestShown = figure.querySelector(".sample-request");
  function showEditors(show) {
    editors.hidden = !show;
    if (highlighted) {
      highlighted.hidden = show;
    }
    if (requestShown && requestEditor) {
      requestShown.hidden = show;
    }
    editButton.hidden = show;
    resetButton.hidden = !show;
    share.hidden = !show;
  }

  function fitRows(editor, most) {
    const lines = editor.value.split("\n").length;
    editor.rows = Math.min(Math.max(lines + 1, 3), most);
  }

  // The deck gives an edit the whole stage (deck-edit.js) and, after a click, keeps the keys for
  // itself by cancelling this event; elsewhere the editor (or Edit) takes the focus.
  function announceEditing(editing, byPointer) {
    const detail = { editing: editing, byPointer: byPointer };
    return figure.dispatchEvent(
      new CustomEvent("historyweb:editing", { bubbles: true, cancelable: true, detail: detail }),
    );
  }

  editButton.addEventListener("click", function (event) {
    fitRows(codeEditor, 24);
    if (requestEditor) {
      fitRows(requestEditor, 10);
    }
    enhanceEditor(codeEditor, "python");
    enhanceEditor(requestEditor, "http");
    showEditors(true);
    if (announceEditing(true, event.detail > 0)) {
      codeEditor.focus();
    }
  });

  // The deck leaves edit mode on Esc or on another slide; the edits stay for the next Edit.
  figure.addEventListener("historyweb:stop-editing", function () {
    if (!editors.hidden) {
      showEditors(false);
      announceEditing(false, true);
    }
  });

  resetButton.addEventListener("click", function (event) {
    codeEditor.value = codeEditor.defaultValue;
    codeEditor.dispatchEvent(new Event("input"));
    if (requestEditor) {
      requestEditor.value = requestEditor.defaultValue;
      requestEditor.dispatchEvent(new Event("input"));
    }
    showEditors(false);
    result.hidden = true;
    result.textContent = "";
    status.textContent = "";
    if (announceEditing(false, event.detail > 0)) {
      editButton.focus();
    }
  });

  // A page may show the result elsewhere (the deck's result panel) by cancelling this event.
  function show(data, recordedText) {
    const detail = { result: data, recorded: recordedText };
    const event = new CustomEvent("historyweb:run-result", { bubbles: true, cancelable: true, detail: detail });
    if (figure.dispatchEvent(event)) {
      renderResult(result, data, recordedText);
    }
  }

  runButton.addEventListener("click", function () {
    const payload = {};
    if (edited()) {
      payload.code = codeEditor.value;
      if (requestEditor) {
        payload.request = requestEditor.value;
      }
    }
    runButton.disabled = true;
    status.textContent = "Running…";
    figure.setAttribute("aria-busy", "true");
    postRun(runUrl, csrfUrl, payload)
      .then(function (data) {
        // Anything but 200 did not run: its result says why, then the recorded output.
        show(data, edited() && !data.failed ? "" : recorded);
        status.textContent = runState(data);
      })
      .then(function () {
        runButton.disabled = false;
        figure.removeAttribute("aria-busy");
      });
  });

  // In the deck, keys typed in the editor must not move between slides.
  [codeEditor, requestEditor].forEach(function (editor) {
    if (editor) {
      editor.addEventListener("keydown", function (event) {
        event.stopPropagation();
      });
    }
  });
  box.addEventListener("click", function (event) {
    event.stopPropagation();
  });
}

function attachAll(root) {
  const figures = (root || document).querySelectorAll(".sample[data-sample]");
  for (let i = 0; i < figures.length; i++) {
    attach(figures[i]);
  }
}

function start() {
  attachAll(document);
  // The page without JavaScript shows its result as rendered; with it, as the same tabs.
  const results = document.querySelectorAll(".sample-run-page .run-result");
  for (let i = 0; i < results.length; i++) {
    enhance(results[i]);
  }
  const form = document.querySelector(".sample-run-page .run-form");
  if (form) {
    openShared(form);
  }
}

// A deck sends its slides in parts (deck-slides.js): the samples of each part as it arrives.
document.addEventListener("historyweb:arrived", (event) => attachAll(event.target));

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
