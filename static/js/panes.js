/* The panes of the speaker view and the remote: the current slide, the next one, the notes. */

/** The three panes under `root` (elements marked data-pane). */
export function findPanes(root) {
  return {
    current: root.querySelector("[data-pane='current']"),
    next: root.querySelector("[data-pane='next']"),
    notes: root.querySelector("[data-pane='notes']"),
  };
}

/** A copy of a slide to show beside the real one: without ids, so no id is on the page twice. */
export function copyOfSlide(slide) {
  const copy = slide.cloneNode(true);
  copy.querySelectorAll("[id]").forEach((element) => element.removeAttribute("id"));
  return copy;
}

/** Puts `copy` (or nothing, after the last slide) in the next pane; the end note shows when empty. */
export function showNext(panes, copy, endNote) {
  panes.next.replaceChildren(...(copy ? [copy] : []));
  endNote.hidden = Boolean(copy);
}
