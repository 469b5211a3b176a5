/* The Run / Edit / Reset controls of every runnable sample on the page (era page, deck, evolution).
 *
 * Pages that list samples carry no per-user data, so the CSRF token comes as csrf-post.js gets
 * it. A result arrives rendered by the server's one template for it
 * (templates/includes/run_result.html); anything else is put in the page with textContent, never
 * as HTML. When a run is impossible (offline, sandbox down, too busy) the recorded output is
 * shown instead. A module (for the import); code-editor.js, deferred before it, has run by then.
 */
import { postJSON } from "./csrf-post.js";

function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = text;
  }
  return node;
}

function button(label, className) {
  var node = el("button", className, label);
  node.type = "button";
  return node;
}

var tabCounter = 0;

/* A small set of tabs: one button per view, one panel visible at a time; arrow keys move. */
function tabs(views) {
  var wrapper = el("div", "run-tabs");
  var list = el("div", "run-tablist");
  list.setAttribute("role", "tablist");
  wrapper.appendChild(list);
  var buttons = [];

  function select(index, focus) {
    buttons.forEach(function (other, j) {
      other.setAttribute("aria-selected", j === index ? "true" : "false");
      other.tabIndex = j === index ? 0 : -1;
      views[j].panel.hidden = j !== index;
    });
    if (focus) {
      buttons[index].focus();
    }
  }

  views.forEach(function (view, index) {
    tabCounter += 1;
    var tab = button(view.label, "run-tab");
    tab.id = "run-tab-" + tabCounter;
    view.panel.id = "run-panel-" + tabCounter;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", view.panel.id);
    view.panel.setAttribute("role", "tabpanel");
    view.panel.setAttribute("aria-labelledby", tab.id);
    tab.addEventListener("click", function () {
      select(index, false);
    });
    tab.addEventListener("keydown", function (event) {
      var step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) {
        event.preventDefault();
        event.stopPropagation(); // not the deck's next/previous slide
        select((index + step + views.length) % views.length, true);
      }
    });
    buttons.push(tab);
    list.appendChild(tab);
    wrapper.appendChild(view.panel);
  });
  select(0, false);
  return wrapper;
}

function pre(text, className) {
  var block = el("pre", className);
  block.appendChild(el("code", null, text));
  return block;
}

/* The server renders a result (templates/includes/run_result.html, the template the page
 * without JavaScript uses too); here its views become tabs. That HTML is the server's own,
 * escaped by Django: nothing a run produced is ever parsed as HTML. */
function makeTabs(root) {
  var holder = root.querySelector(".run-views");
  if (!holder || holder.dataset.tabs) {
    return;
  }
  holder.dataset.tabs = "true";
  var views = [];
  Array.prototype.slice.call(holder.children).forEach(function (panel) {
    if (panel.classList.contains("run-view")) {
      var title = panel.querySelector(".run-view-title");
      if (title) {
        title.hidden = true;
      }
      views.push({ label: panel.dataset.label, panel: panel });
    }
  });
  if (views.length) {
    holder.appendChild(tabs(views));
  }
}

var compareCounter = 0;

/* After an edited run the server adds "Compare with the recorded output" (its diff, under a
 * heading); here the heading becomes a button that opens and closes it, closed at first. */
function makeCompareToggle(root) {
  var box = root.querySelector(".run-compare");
  var title = box && box.querySelector(".run-compare-title");
  var panel = box && box.querySelector(".run-diff");
  if (!title || !panel) {
    return;
  }
  compareCounter += 1;
  var toggle = button(title.textContent, "secondary run-compare-button");
  panel.id = "run-diff-" + compareCounter;
  panel.hidden = true;
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-controls", panel.id);
  toggle.addEventListener("click", function () {
    var open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  title.replaceWith(toggle);
}

/* The server's rendered result, as this page shows it: its views as tabs, the diff behind a button. */
function enhance(root) {
  makeTabs(root);
  makeCompareToggle(root);
}

// What templates/includes/run_result.html uses. A result can also arrive from the deck's other
// window, so whatever else an HTML string holds is dropped, element and attribute alike.
var TAGS = [
  "DIV", "P", "PRE", "CODE", "H3", "H4", "TABLE", "CAPTION", "TBODY", "TR", "TH", "TD", "OL", "LI", "SPAN", "INS", "DEL",
];
var ATTRIBUTES = ["class", "role", "scope", "data-label", "data-outcome", "tabindex", "aria-label", "aria-hidden"];

function clean(node) {
  Array.prototype.slice.call(node.children).forEach(function (child) {
    if (TAGS.indexOf(child.tagName) === -1) {
      child.remove();
      return;
    }
    Array.prototype.slice.call(child.attributes).forEach(function (attribute) {
      if (ATTRIBUTES.indexOf(attribute.name) === -1) {
        child.removeAttribute(attribute.name);
      }
    });
    clean(child);
  });
}

function fragment(html) {
  var template = document.createElement("template");
  template.innerHTML = html; // a template's content is inert: nothing in it loads or runs
  clean(template.content);
  return template.content;
}

/* `compare: false` leaves out the comparison with the recorded output (a result mirrored from
 * the deck's other window, which did not make the edit). */
function renderResult(container, result, recorded, options) {
  var compare = !options || options.compare !== false;
  container.textContent = "";
  container.hidden = false;
  container.classList.toggle("run-failed", !result.ok);
  if (typeof result.html === "string" && result.html) {
    var content = fragment(result.html);
    if (!compare) {
      content.querySelectorAll(".run-compare").forEach(function (node) {
        node.remove();
      });
    }
    container.appendChild(content);
    enhance(container);
  } else {
    // Not rendered by this page's server: a failed request (offline, a proxy's error page), or
    // a result mirrored from the deck's other window, whose fields are checked and shown as text.
    if (result.error || !result.output) {
      var error = pre(result.error || "The run did not answer.", "run-error");
      error.setAttribute("role", "alert");
      container.appendChild(error);
    }
    if (result.output) {
      container.appendChild(pre(result.output, "run-output"));
    }
  }
  if (!result.ran && recorded) {
    container.appendChild(el("p", "run-label", "Recorded output (from an earlier run):"));
    container.appendChild(pre(recorded, "run-recorded"));
  }
}

function attach(figure) {
  var box = figure.querySelector(".sample-run");
  if (!box || box.dataset.attached) {
    return;
  }
  box.dataset.attached = "true";
  var runUrl = box.dataset.runUrl;
  var csrfUrl = box.dataset.csrfUrl;
  var editors = box.querySelector(".sample-editors");
  var codeEditor = box.querySelector(".sample-editor-code");
  var requestEditor = box.querySelector(".sample-editor-request");
  var highlighted = figure.querySelector(".sample-code");
  var result = box.querySelector(".run-result");
  var actions = box.querySelector(".sample-actions");
  var pageLink = box.querySelector(".run-page-link");
  var recordedNode = figure.querySelector(".sample-output pre");
  var recorded = recordedNode ? recordedNode.textContent : "";

  var runButton = button("Run", "run-button");
  var editButton = button("Edit", "secondary edit-button");
  var resetButton = button("Reset", "secondary reset-button");
  resetButton.hidden = true;
  var status = el("span", "run-state");
  status.setAttribute("role", "status");
  actions.insertBefore(runButton, pageLink);
  actions.insertBefore(editButton, pageLink);
  actions.insertBefore(resetButton, pageLink);
  actions.insertBefore(status, pageLink);
  pageLink.textContent = "Open on its own page";

  function edited() {
    return (
      codeEditor.value !== codeEditor.defaultValue ||
      (requestEditor !== null && requestEditor.value !== requestEditor.defaultValue)
    );
  }

  // The editors replace the highlighted code and the request shown above them: one box each.
  var requestShown = figure.querySelector(".sample-request");
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
  }

  function fitRows(editor, most) {
    var lines = editor.value.split("\n").length;
    editor.rows = Math.min(Math.max(lines + 1, 3), most);
  }

  editButton.addEventListener("click", function () {
    fitRows(codeEditor, 24);
    if (requestEditor) {
      fitRows(requestEditor, 10);
    }
    if (window.historywebCodeEditor) {
      window.historywebCodeEditor.enhance(codeEditor, "python");
      window.historywebCodeEditor.enhance(requestEditor, "http");
    }
    showEditors(true);
    codeEditor.focus();
  });

  resetButton.addEventListener("click", function () {
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
    editButton.focus();
  });

  // A page may show the result elsewhere (the deck's result panel) by cancelling this event.
  function show(data, recordedText) {
    var detail = { result: data, recorded: recordedText };
    var event = new CustomEvent("historyweb:run-result", { bubbles: true, cancelable: true, detail: detail });
    if (figure.dispatchEvent(event)) {
      renderResult(result, data, recordedText);
    }
  }

  runButton.addEventListener("click", function () {
    var payload = {};
    if (edited()) {
      payload.code = codeEditor.value;
      if (requestEditor) {
        payload.request = requestEditor.value;
      }
    }
    runButton.disabled = true;
    status.textContent = "Running…";
    figure.setAttribute("aria-busy", "true");
    postJSON(runUrl, csrfUrl, payload)
      .then(function (answer) {
        var data = answer.data;
        // Anything but 200 did not run: its result says why, then the recorded output.
        data.ran = answer.status === 200; // 429 and 503 say why in their result
        show(data, edited() ? "" : recorded);
        status.textContent = data.ok ? "Done." : "Finished with an error.";
      })
      .catch(function (error) {
        show({ ok: false, ran: false, error: "Could not run it: " + error.message }, recorded);
        status.textContent = "Could not run.";
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
  var figures = (root || document).querySelectorAll(".sample[data-sample]");
  for (var i = 0; i < figures.length; i++) {
    attach(figures[i]);
  }
}

function start() {
  attachAll(document);
  // The page without JavaScript shows its result as rendered; with it, as the same tabs.
  var results = document.querySelectorAll(".sample-run-page .run-result");
  for (var i = 0; i < results.length; i++) {
    enhance(results[i]);
  }
}

window.historywebRun = { attachAll: attachAll, renderResult: renderResult };
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
