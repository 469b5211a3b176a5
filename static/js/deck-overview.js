// The overview: every slide of the deck as a thumbnail, grouped by era, with a filter box.
// The outline (deck-slides.js) names every slide; a slide already here is shown in miniature (a
// copy laid out in the thumbnail's own box: slides are sized in container units), one still on
// its way as the card its placeholder shows. Copies are made only for thumbnails scrolled into
// view, so a deck of thousands of slides costs its copies only as they are looked at.

import { clamp, openOverlay, wireOverlay } from "./deck-core.js";
import { placeholder } from "./deck-slides.js";

// In a copy nothing may take focus or repeat an id: the thumbnail is a picture of the slide.
const NOT_IN_A_COPY = "button, textarea, .run-panel, .code-editor-shell, .sample-run, .sample-actions";
const FOCUSABLE_IN_A_COPY = "a[href], summary, input, select, [tabindex], [contenteditable]";

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = String(text);
  return made;
}

/** A picture of `slide`: no ids, no controls, nothing to tab to. */
export function thumbnailOf(slide) {
  const copy = slide.cloneNode(true);
  copy.classList.remove("is-current", "is-editing");
  copy.removeAttribute("aria-hidden");
  copy.querySelectorAll(NOT_IN_A_COPY).forEach((node) => node.remove());
  for (const node of [copy, ...copy.querySelectorAll("[id]")]) node.removeAttribute("id");
  copy.querySelectorAll(FOCUSABLE_IN_A_COPY).forEach((node) => node.setAttribute("tabindex", "-1"));
  copy.querySelectorAll(".fragment").forEach((node) => node.classList.add("revealed"));
  return copy;
}

/**
 * The words of `query` (lower case); an entry matches when its title or era holds each. A
 * lone number also matches the slide of that number ("6" finds slide 6, not 16 or 26).
 */
export function matcher(query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const number = words.length === 1 && /^\d+$/.test(words[0]) ? Number(words[0]) : null;
  return (entry) => {
    if (entry.number === number) return true;
    const text = `${entry.title} ${entry.era}`.toLowerCase();
    return words.every((word) => text.includes(word));
  };
}

/** Sections of consecutive entries of one era, each with its grid of cards. */
function build(entries) {
  const sections = document.createDocumentFragment();
  const items = [];
  let grid = null;
  let era = null;
  for (const entry of entries) {
    if (!grid || entry.era !== era) {
      era = entry.era;
      const section = element("section", `overview-section kind-${entry.kind}`);
      section.append(element("h3", "overview-section-title", era));
      grid = element("ol", "overview-grid");
      section.append(grid);
      sections.append(section);
    }
    const item = element("li", `overview-item kind-${entry.kind}${entry.isTitle ? " overview-title" : ""}`);
    const link = element("a", "overview-link");
    link.href = `#/${entry.number}`;
    link.dataset.goto = String(entry.number);
    link.append(
      element("span", "overview-number", entry.number),
      " ",
      element("span", "overview-era sr-only", entry.era),
      " ",
      element("span", "overview-name", entry.title),
    );
    const thumb = element("div", "overview-thumb");
    thumb.setAttribute("aria-hidden", "true");
    thumb.inert = true; // filled when first scrolled to (wireOverview's picture)
    item.append(thumb, link);
    grid.append(item);
    items.push({ entry, item, link, thumb, source: null });
  }
  return { sections, items };
}

/** The link below or above `from` on screen (nearest across), among `links`. */
function vertical(links, from, down) {
  const here = from.closest("li").getBoundingClientRect();
  let best = null;
  let bestScore = Infinity;
  for (const link of links) {
    const box = link.closest("li").getBoundingClientRect();
    const dy = down ? box.top - here.top : here.top - box.top;
    if (dy < 2) continue;
    const score = dy * 10 + Math.abs(box.left - here.left);
    if (score < bestScore) [best, bestScore] = [link, score];
  }
  return best;
}

/**
 * Wires the overview `dialog`: `go(n)` moves the deck, `entries` is the outline, `slides` the
 * deck's slides (a placeholder until each arrives). Answers `show(current)`, which opens it
 * with the current slide marked and focused. The list is made when it first opens.
 */
export function wireOverview(dialog, go, entries = [], slides = []) {
  if (!dialog) return () => {};
  wireOverlay(dialog, ["o", "O"]);
  const body = dialog.querySelector(".overview-body");
  const filter = dialog.querySelector("[data-overview-filter]");
  const status = dialog.querySelector(".overview-status");
  let items = [];
  let shown = []; // the links the filter leaves, in order
  let observer = null;

  function picture(item) {
    const slide = slides[item.entry.number - 1];
    if (slide && slide === item.source) return;
    if (!slide || slide.classList.contains("is-pending")) {
      if (!item.thumb.firstChild) item.thumb.append(placeholder(item.entry, entries.length));
      return;
    }
    item.source = slide;
    item.thumb.replaceChildren(thumbnailOf(slide));
  }

  function make() {
    const made = build(entries);
    items = made.items;
    body.replaceChildren(made.sections);
    const byThumb = new Map(items.map((item) => [item.thumb, item]));
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver(
        (seen) => seen.forEach((one) => one.isIntersecting && picture(byThumb.get(one.target))),
        { root: dialog, rootMargin: "25% 0px" },
      );
      items.forEach((item) => observer.observe(item.thumb));
    }
  }

  function narrow() {
    const matches = matcher(filter?.value || "");
    shown = [];
    for (const item of items) {
      item.item.hidden = !matches(item.entry);
      if (!item.item.hidden) shown.push(item.link);
    }
    body.querySelectorAll(".overview-section").forEach((section) => {
      section.hidden = !section.querySelector(".overview-item:not([hidden])");
    });
    if (!status) return;
    const query = filter.value.trim();
    status.textContent = !query
      ? ""
      : shown.length
        ? `${shown.length} of ${items.length} slides match “${query}”.`
        : `No slide matches “${query}”.`;
  }

  function pick(link) {
    if (!link) return;
    dialog.close();
    go(Number(link.dataset.goto));
  }

  body.addEventListener("click", (event) => {
    const link = event.target.closest?.("[data-goto]");
    if (!link) return;
    event.preventDefault();
    pick(link);
  });
  body.addEventListener("keydown", (event) => {
    const index = shown.indexOf(event.target);
    if (index < 0 || !dialog.open) return; // focus left behind in a closed overview
    const key = event.key;
    let target = null;
    if (key === "ArrowRight" || key === "ArrowLeft") {
      target = shown[clamp(index + (key === "ArrowRight" ? 1 : -1) + 1, shown.length) - 1];
    } else if (key === "ArrowDown" || key === "ArrowUp") {
      target = vertical(shown, event.target, key === "ArrowDown") || event.target;
    } else if (key === "Home" || key === "End") {
      target = key === "Home" ? shown[0] : shown[shown.length - 1];
    } else if (key === "/" && filter) {
      target = filter;
    } else {
      return;
    }
    event.preventDefault();
    target.focus();
    target.scrollIntoView?.({ block: "nearest" });
  });
  filter?.addEventListener("input", () => {
    narrow();
    dialog.scrollTop = 0; // the first matches, under the filter
  });
  filter?.addEventListener("keydown", (event) => {
    if (!dialog.open) return;
    if (event.key === "Enter") {
      event.preventDefault();
      pick(shown[0]);
    } else if (event.key === "ArrowDown" && shown.length) {
      event.preventDefault();
      shown[0].focus();
    } else if (event.key === "Escape") {
      // A search box would only clear itself on Esc; here Esc closes, as everywhere in the deck.
      event.preventDefault();
      dialog.close();
    }
  });

  return (current) => {
    if (!items.length) make();
    // Thumbnails take the stage's shape, so a slide laid out for 4:3 is pictured at 4:3.
    const stage = document.querySelector(".stage");
    if (stage?.clientHeight) dialog.style.setProperty("--thumb-ratio", String(stage.clientWidth / stage.clientHeight));
    if (filter) filter.value = "";
    narrow();
    items.forEach(({ link }) => link.removeAttribute("aria-current"));
    const here = items[current - 1];
    if (!here) return;
    here.link.setAttribute("aria-current", "true");
    here.source = null; // the slide on screen now, as it is now (its build step)
    picture(here);
    if (!observer) items.forEach(picture);
    openOverlay(dialog, here.link);
    here.item.scrollIntoView({ block: "center" });
  };
}
