// Edit on a slide of the audience deck: the sample's editors take the whole stage, under the
// slide's title with Run beside it, at a size the room can read (never under the audit's 2.2%
// of the screen's height). Esc, Reset or another slide bring the slide back; run.js keeps the
// edits for the next Edit. Layout in present.css (.is-editing).
import { LIMITS } from "./slide-audit.js";

// The editors' text in % of the stage's height, largest first; the last is a hair over the floor.
const SIZES = [3.4, 3, 2.7, 2.45, Math.round(LIMITS.code * 1e4 * 1.03) / 100];

/** How many pixels of text an element cannot show. */
function overflow(element) {
  return Math.max(0, element.scrollHeight - element.clientHeight - 1) + Math.max(0, element.scrollWidth - element.clientWidth - 1);
}

/**
 * The largest size, and the layout (the request beside the code on a wide screen, or under
 * it), at which the slide and its editors show all of their text; else, at the smallest size,
 * the layout that hides least.
 */
function fitEditors(slide) {
  const inner = slide.querySelector(".slide-inner");
  const editors = [...slide.querySelectorAll(".slide-sample.is-editing textarea")];
  // Beside the code the request takes the width of its longest line; the code, the rest.
  const request = slide.querySelector(".slide-sample.is-editing .sample-editor-request");
  if (request) request.cols = Math.max(20, ...request.value.split("\n").map((line) => line.length + 2));
  const hidden = () => overflow(inner) + editors.reduce((sum, editor) => sum + overflow(editor), 0);
  const layouts = [false, true]; // stacked: the request under the code
  let best = null;
  for (const size of SIZES) {
    slide.style.setProperty("--edit-size", String(size));
    for (const stacked of layouts) {
      slide.classList.toggle("edit-stacked", stacked);
      const lost = hidden();
      if (!lost) return;
      if (size === SIZES.at(-1) && (!best || lost < best.lost)) best = { stacked, lost };
    }
  }
  slide.classList.toggle("edit-stacked", best.stacked);
}

/**
 * Wires edit mode in `root` (the audience deck). `onChange(editing)` runs on entering and on
 * leaving it. Answers `{ stop, refit }`: `stop()` leaves edit mode (true if it was on).
 */
export function wireStageEdit(root, { onChange = () => {} } = {}) {
  let editing = null; // { slide, sample, figure }

  function clear() {
    if (!editing) return;
    editing.slide.classList.remove("is-editing", "edit-stacked");
    editing.sample.classList.remove("is-editing");
    editing.slide.style.removeProperty("--edit-size");
    editing = null;
    root.classList.remove("is-editing");
    onChange(false);
  }

  root.addEventListener("historyweb:editing", (event) => {
    const figure = event.target.closest?.(".sample[data-sample]");
    const sample = figure?.closest(".slide-sample");
    const slide = sample?.closest(".stage > .deck-slide");
    if (!slide) return;
    if (event.detail?.byPointer) event.preventDefault(); // a clicked Edit leaves the keys to the deck
    if (!event.detail?.editing) {
      if (editing?.figure === figure) clear();
      return;
    }
    if (editing && editing.figure !== figure) stop();
    editing = { slide, sample, figure };
    slide.classList.add("is-editing");
    sample.classList.add("is-editing");
    root.classList.add("is-editing");
    fitEditors(slide);
    onChange(true);
  });

  function stop() {
    if (!editing) return false;
    editing.figure.dispatchEvent(new CustomEvent("historyweb:stop-editing"));
    clear(); // in case run.js did not answer
    return true;
  }

  return {
    stop,
    refit() {
      if (editing) fitEditors(editing.slide);
    },
  };
}
