/* A run's result as a page shows it: the server renders it (templates/includes/run_result.html,
 * the template the page without JavaScript uses too); here its views become tabs and its
 * comparison with the recorded output opens behind a button. Used by run.js, by an exercise's
 * Try it (exercise-try.js) and, for the deck's result panel, deck-run-panel.js. Anything not rendered by the server is put in the
 * page with textContent, never as HTML.
 */
import { postJSON } from "./csrf-post.js";
import { button, el } from "./dom.js";

let tabCounter = 0;

/* A small set of tabs: one button per view, one panel visible at a time; arrow keys move. */
function tabs(views) {
  const wrapper = el("div", "run-tabs");
  const list = el("div", "run-tablist");
  list.setAttribute("role", "tablist");
  wrapper.appendChild(list);
  const buttons = [];

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
    const tab = button(view.label, "run-tab");
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
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
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
  const block = el("pre", className);
  block.appendChild(el("code", null, text));
  return block;
}

/* The server renders a result (templates/includes/run_result.html, the template the page
 * without JavaScript uses too); here its views become tabs. That HTML is the server's own,
 * escaped by Django: nothing a run produced is ever parsed as HTML. */
function makeTabs(root) {
  const holder = root.querySelector(".run-views");
  if (!holder || holder.dataset.tabs) {
    return;
  }
  holder.dataset.tabs = "true";
  const views = [];
  Array.prototype.slice.call(holder.children).forEach(function (panel) {
    if (panel.classList.contains("run-view")) {
      const title = panel.querySelector(".run-view-title");
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

let compareCounter = 0;

/* After an edited run the server adds "Compare with the recorded output" (its diff, under a
 * heading); here the heading holds a button that opens and closes it, closed at first. The
 * heading stays, so the diff's part headings keep their level below it. */
function makeCompareToggle(root) {
  const box = root.querySelector(".run-compare");
  const title = box && box.querySelector(".run-compare-title");
  const panel = box && box.querySelector(".run-diff");
  if (!title || !panel) {
    return;
  }
  compareCounter += 1;
  const toggle = button(title.textContent, "secondary run-compare-button");
  panel.id = "run-diff-" + compareCounter;
  panel.hidden = true;
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-controls", panel.id);
  toggle.addEventListener("click", function () {
    const open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  title.replaceChildren(toggle);
}

/* The server's rendered result, as this page shows it: its views as tabs, the diff behind a button. */
export function enhance(root) {
  makeTabs(root);
  makeCompareToggle(root);
}

// What templates/includes/run_result.html uses. A result can also arrive from the deck's other
// window, so whatever else an HTML string holds is dropped, element and attribute alike.
const TAGS = [
  "DIV", "P", "PRE", "CODE", "H3", "H4", "TABLE", "CAPTION", "TBODY", "TR", "TH", "TD", "OL", "LI", "SPAN", "INS", "DEL",
];
const ATTRIBUTES = ["class", "role", "scope", "data-label", "data-outcome", "tabindex", "aria-label", "aria-hidden"];

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
  const template = document.createElement("template");
  template.innerHTML = html; // a template's content is inert: nothing in it loads or runs
  clean(template.content);
  return template.content;
}

/* `compare: false` leaves out the comparison with the recorded output (a result mirrored from
 * the deck's other window, which did not make the edit). */
export function renderResult(container, result, recorded, options) {
  const compare = !options || options.compare !== false;
  container.textContent = "";
  container.hidden = false;
  container.classList.toggle("run-failed", !result.ok);
  if (typeof result.html === "string" && result.html) {
    const content = fragment(result.html);
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
      const error = pre(result.error || "The run did not answer.", "run-error");
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

/* Post a run (a sample's, or an exercise's Try it) and answer its result as renderResult takes
 * it: `ran` says whether it ran (429 and 503 say why in their result); a request that failed
 * (offline, a proxy's error page) is a result that says so, with `failed` set. */
export async function postRun(url, csrfUrl, payload) {
  try {
    const answer = await postJSON(url, csrfUrl, payload);
    answer.data.ran = answer.status === 200;
    return answer.data;
  } catch (error) {
    return { ok: false, ran: false, failed: true, error: cutShort(error) };
  }
}

/* Why no result came: a connection cut mid-run (the worker running it was killed or restarted,
 * or the device went offline) or a proxy's error page says the run's server went away. */
function cutShort(error) {
  if (error instanceof TypeError) {
    return (
      "The connection was cut before your run's result came back: the server may have " +
      "restarted, or this device is offline. Run it again."
    );
  }
  if (error.status >= 502 && error.status <= 504) {
    return `The server stopped before your run finished (${error.message}) Run it again.`;
  }
  return "Could not run it: " + error.message;
}

/* What the status line next to the Run button says once a run is back. */
export function runState(result) {
  if (result.failed) {
    return "Could not run.";
  }
  return result.ok ? "Done." : "Finished with an error.";
}
