// Enlarge: a sample's code alone on the whole screen, as large as it fits. Its font is at least
// MIN_GAIN times the slide's (narrower only when a long line would not fit across), grows until
// the code fills the screen, up to MAX_GAIN times; code still too long scrolls.

import { openOverlay, wireOverlay } from "./deck-core.js";

const MIN_GAIN = 1.6;
const MAX_GAIN = 2.6;

/**
 * The font size (px) for code measured at `base` px as `width` × `height`, shown in a box of
 * `room` ({width, height}). Text scales with its font, so each fit is a ratio.
 */
export function enlargedSize(base, width, height, room) {
  const across = (base * room.width) / Math.max(width, 1);
  const down = (base * room.height) / Math.max(height, 1);
  const fills = Math.min(across, down);
  const size = Math.max(Math.min(across, base * MIN_GAIN), Math.min(fills, base * MAX_GAIN));
  return Math.max(base, size);
}

/** Sizes the code in `body` from the slide's `pre` (its font size is the base). */
function fit(body, source) {
  const pre = body.querySelector("pre");
  if (!pre) return;
  const base = parseFloat(getComputedStyle(source).fontSize) || 16;
  body.style.setProperty("--enlarge-size", `${base}px`);
  body.classList.add("is-measuring"); // the code at its natural size, not the box's
  const width = pre.offsetWidth;
  const height = pre.offsetHeight;
  body.classList.remove("is-measuring");
  const room = { width: body.clientWidth, height: body.clientHeight };
  body.style.setProperty("--enlarge-size", `${enlargedSize(base, width, height, room)}px`);
  body.dataset.base = String(base);
}

/** Enlarge buttons copy the sample's highlighted code (nodes, not HTML) into a dialog. */
export function wireEnlarge(root, dialog) {
  if (!dialog) return;
  wireOverlay(dialog, []);
  const body = dialog.querySelector(".enlarge-body");
  const title = dialog.querySelector("h2");
  root.addEventListener("click", (event) => {
    const button = event.target.closest?.("[data-enlarge]");
    if (!button) return;
    const sample = button.closest(".slide-sample")?.querySelector(".sample");
    const code = sample?.querySelector(".sample-code");
    if (!code) return;
    title.textContent = sample.querySelector(".sample-title")?.textContent || "Code";
    const copy = code.cloneNode(true);
    copy.querySelectorAll("[id]").forEach((node) => node.removeAttribute("id"));
    body.replaceChildren(copy);
    openOverlay(dialog);
    fit(body, code.querySelector("pre") || code);
    body.querySelector("pre")?.scrollTo(0, 0);
  });
}
