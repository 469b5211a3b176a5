// The slide audit's second look at a runnable slide: in edit mode (deck-edit.js) and with a run's
// result in its panel (deck-run-panel.js), as the speaker shows them on stage. Run by
// slide_audit.py after slide-audit.js has measured the slides as they are.
import { textRects } from "./dom.js";
import { LIMITS, describe, fingerprint, inside, nextHashChange, overlaps, px } from "./slide-audit.js";

const EPSILON = 1;
// 16:9 is 1.78: on a wide screen the panel has room beside the slide's text and must leave it whole.
const WIDE = 1.7;

const frames = async (count = 2) => {
  for (let i = 0; i < count; i += 1) await new Promise(requestAnimationFrame);
};

/** An element as CSS names it (what to look for in the styles): "p.sample-actions". */
function selector(element) {
  return [element.tagName.toLowerCase(), ...element.classList].join(".");
}

function shown(element) {
  const rect = element.getBoundingClientRect();
  return rect.width > 0 && rect.height > 0 && getComputedStyle(element).visibility !== "hidden";
}

/** What the audience sees of the slide: its clip (the inner box), cut by the window. */
function visibleArea(slide) {
  const clip = (slide.querySelector(".slide-inner") || slide).getBoundingClientRect();
  const left = Math.max(0, clip.left);
  const top = Math.max(0, clip.top);
  return new DOMRect(left, top, Math.min(window.innerWidth, clip.right) - left, Math.min(window.innerHeight, clip.bottom) - top);
}

/** Whether a pointer at the element's centre reaches it (nothing lies over it). */
function reachable(element) {
  const box = element.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return Boolean(hit) && (hit === element || element.contains(hit));
}

/** "the stage scrolled", or null: the window, the stage and the slide must stay where they are. */
function scrolling(slide) {
  const page = document.scrollingElement;
  if (page.scrollTop || page.scrollLeft) return "the page scrolled";
  const stage = slide.closest(".stage");
  for (const element of [stage, slide, slide.querySelector(".slide-inner")]) {
    if (element && (element.scrollTop || element.scrollLeft)) return "the stage scrolled";
  }
  const inner = slide.querySelector(".slide-inner") || slide;
  const hidden = inner.scrollHeight - inner.clientHeight;
  if (hidden > EPSILON) return `the slide holds ${Math.round(hidden)} px more than it shows`;
  return null;
}

function titleProblems(slide, area, add) {
  for (const title of slide.querySelectorAll(".slide-heading")) {
    if (!shown(title)) continue;
    const box = title.getBoundingClientRect();
    const cut = !inside(box, area) || title.scrollWidth > title.clientWidth + EPSILON;
    if (cut) add("title-cut", `the title “${describe(title)}” is cut`);
    else if (!reachable(title)) add("title-cut", `the title “${describe(title)}” is covered`);
  }
}

/** The problems of the slide while `figure`'s sample is being edited. */
function editProblems(slide, figure) {
  const problems = [];
  const add = (kind, message) => problems.push({ kind, message });
  const area = visibleArea(slide);
  const codeMin = LIMITS.code * window.innerHeight;
  const editors = [...figure.querySelectorAll(".sample-editors textarea")].filter(shown);
  if (!editors.length) add("edit-missing", "Edit shows no editor");
  for (const editor of editors) {
    const name = editor.classList.contains("sample-editor-request") ? "request" : "code";
    const size = px(editor);
    if (size < codeMin - 0.05) {
      const rule = `2.2% of ${window.innerHeight} px = ${codeMin.toFixed(1)} px`;
      add("edit-small", `the ${name} editor's text is ${size.toFixed(1)} px, under ${rule}`);
    }
    if (!inside(editor.getBoundingClientRect(), area)) add("edit-cut", `the ${name} editor leaves the screen`);
  }
  const run = figure.querySelector(".run-button");
  if (!run || !shown(run)) add("run-hidden", "Run is not shown");
  else if (!inside(run.getBoundingClientRect(), area)) add("run-hidden", "Run lies off the screen");
  else if (!reachable(run)) {
    const box = run.getBoundingClientRect();
    const over = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    add("run-covered", `Run is covered by ${over ? selector(over) : "nothing"}`);
  }
  const scrolled = scrolling(slide);
  if (scrolled) add("edit-scrolls", `in edit mode ${scrolled}`);
  titleProblems(slide, area, add);
  return problems;
}

/** One box per line of the slide's text (a paragraph is as wide as the slide, its lines rarely are). */
function textLines(slide) {
  const boxes = [];
  for (const block of slide.querySelectorAll(".slide-body, .slide-heading, .sample-title")) {
    if (!shown(block)) continue;
    // Text nodes only: a range over the block would add its paragraphs' and items' own boxes.
    boxes.push(...textRects(block).filter((rect) => rect.width && rect.height).map((rect) => ({ rect, block })));
  }
  return boxes;
}

/** The problems of the slide with a run's result in its panel; `editing`: run from edit mode,
 * where the result must leave Run (and Reset) clear too. */
function runProblems(slide, panel, { editing = false } = {}) {
  const problems = [];
  const where = editing ? "while editing, " : "";
  const add = (kind, message) => problems.push({ kind, message: where + message });
  if (!panel) {
    add("run-missing", "no result panel was shown");
    return problems;
  }
  const box = panel.getBoundingClientRect();
  if (editing) {
    for (const button of slide.querySelectorAll(".is-editing .sample-actions button")) {
      if (shown(button) && overlaps(button.getBoundingClientRect(), box)) add("run-covers", `the result covers ${describe(button)}`);
    }
  }
  if (!inside(box, visibleArea(slide))) add("run-cut", "the result leaves the screen");
  const wide = window.innerWidth / window.innerHeight >= WIDE;
  if (!wide) {
    const least = LIMITS.code * window.innerHeight;
    for (const element of panel.querySelectorAll("*")) {
      const own = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
      if (!own || !shown(element)) continue;
      const size = px(element);
      if (size < least - 0.05) {
        const rule = `2.2% of ${window.innerHeight} px = ${least.toFixed(1)} px`;
        add("run-small", `the result's text “${describe(element)}” is ${size.toFixed(1)} px, under ${rule}`);
        break;
      }
    }
  }
  // A title is never covered; on a wide screen, nor is any line of the slide's text.
  for (const { rect, block } of textLines(slide)) {
    const title = block.matches(".slide-heading, .sample-title");
    if ((title || wide) && overlaps(rect, box)) {
      add("run-covers", `the result covers ${title ? "the title" : "the text"} “${describe(block)}”`);
      break;
    }
  }
  return problems;
}

/** Shows the sample's result as its Run would, measures the panel and closes it. */
async function showResult(slide, figure, results, options) {
  const detail = { result: results[figure.dataset.sample], recorded: "" };
  figure.dispatchEvent(new CustomEvent("historyweb:run-result", { bubbles: true, cancelable: true, detail }));
  await frames(1);
  const panel = slide.querySelector(".run-panel");
  const problems = runProblems(slide, panel, options);
  panel?.querySelector("[data-run-close]")?.click();
  return problems;
}

/**
 * Audits each runnable slide of the deck this module is loaded into: for each of its runnable
 * samples, Edit, a run showing `results[sample id]` while editing, then (after Esc) on the
 * slide as shown. Slides whose
 * fingerprint is in `skip` are not measured again. Returns `[{number, title, fingerprint, edit, run}]`.
 */
export async function auditStage({ results = {}, skip = [] } = {}) {
  const known = new Set(skip);
  const out = [];
  for (const slide of document.querySelectorAll(".stage > .deck-slide")) {
    const figures = [...slide.querySelectorAll(".sample[data-sample]")].filter((f) => results[f.dataset.sample]);
    if (!figures.length) continue;
    const entry = { number: Number(slide.dataset.number), title: slide.dataset.title, fingerprint: fingerprint(slide) };
    out.push(entry);
    if (known.has(entry.fingerprint)) continue;
    known.add(entry.fingerprint);
    await nextHashChange(`#/${slide.dataset.number}`);
    await frames(1);
    entry.edit = [];
    entry.run = [];
    for (const figure of figures) {
      // A click, as the speaker's (detail 1): the deck keeps the keys, the editor is not focused.
      const click = new MouseEvent("click", { bubbles: true, cancelable: true, detail: 1 });
      figure.querySelector(".edit-button")?.dispatchEvent(click);
      await frames(1);
      entry.edit.push(...editProblems(slide, figure));
      // Run in edit mode, then Esc and Run on the slide as shown. Edit, Esc and a result's
      // panel are laid out as their events are handled: no waiting but a frame.
      entry.run.push(...(await showResult(slide, figure, results, { editing: true })));
      figure.dispatchEvent(new CustomEvent("historyweb:stop-editing"));
      entry.run.push(...(await showResult(slide, figure, results)));
    }
  }
  return out;
}
