// The slide fit audit: what the audience would see wrong on a rendered slide. One piece of
// measuring code, run by `manage.py check_slides` (through Playwright), by the browser tests
// and by the admin's preview, so that every one of them gives the same verdict.

/** Thresholds, as shares of the screen's height (or CSS pixels on paper, and on a phone held in
 * the hand, where a share of its height would leave a few words a line). */
export const LIMITS = Object.freeze({ code: 0.022, body: 0.03, printCode: 9, phoneCode: 12, phoneBody: 14 });

// Slack for sub-pixel rounding.
const EPSILON = 1;

const CODE = ".sample-code pre, .slide-body pre";
// Text the audience reads; labels such as the era kicker or a sample's caption are not body text.
const BODY = ".slide-body :is(p, li, td, th, dt, dd, blockquote), .slide-summary, .slide-heading";
const CONTROLS = ".enlarge-button, .run-button, button";
const TITLES = ".slide-heading, .sample-title";

export function px(element) {
  return parseFloat(getComputedStyle(element).fontSize);
}

function visible(element) {
  const rect = element.getBoundingClientRect();
  if (rect.width === 0 && rect.height === 0) return false;
  return getComputedStyle(element).visibility !== "hidden" || element.closest(".fragment");
}

/** Whether `inner` lies within `outer` (DOMRects), with a pixel of slack. */
export function inside(inner, outer) {
  return (
    inner.left >= outer.left - EPSILON &&
    inner.top >= outer.top - EPSILON &&
    inner.right <= outer.right + EPSILON &&
    inner.bottom <= outer.bottom + EPSILON
  );
}

export function overlaps(a, b) {
  return a.left < b.right - EPSILON && b.left < a.right - EPSILON && a.top < b.bottom - EPSILON && b.top < a.bottom - EPSILON;
}

export function describe(element) {
  const text = (element.textContent || "").trim().replace(/\s+/g, " ");
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** The scroll cue a box shows: an inset shadow on its right edge ("x") or its bottom edge ("y"). */
function cues(element) {
  const shadows = getComputedStyle(element).boxShadow.split(/,(?![^(]*\))/);
  const found = new Set();
  for (const shadow of shadows) {
    if (!/\binset\b/.test(shadow)) continue;
    const [x = 0, y = 0] = (shadow.replace(/rgba?\([^)]*\)/, "").match(/-?[\d.]+px/g) || []).map(parseFloat);
    if (x < 0) found.add("x");
    if (y < 0) found.add("y");
  }
  return found;
}

/** On a phone, code may scroll if the reader can scroll it and a cue says there is more. */
function phoneScroll(pre, label) {
  const style = getComputedStyle(pre);
  const shown = cues(pre);
  const axes = [
    ["x", pre.scrollWidth > pre.clientWidth + EPSILON, style.overflowX, "sideways"],
    ["y", pre.scrollHeight > pre.clientHeight + EPSILON, style.overflowY, "down"],
  ];
  for (const [axis, over, overflow, way] of axes) {
    if (!over) continue;
    if (!["auto", "scroll"].includes(overflow)) return `“${label}” is cut ${way}: it cannot scroll`;
    if (!shown.has(axis)) return `“${label}” scrolls ${way} with no cue that there is more`;
  }
  return null;
}

/**
 * The problems of one rendered slide (a `.deck-slide` element), as `{kind, message}` objects:
 * "code-scrolls", "code-cut", "code-small", "body-small", "off-screen", "covered".
 * `screenHeight` is the height the thresholds are shares of (the window's, on screen);
 * `print: true` checks paper instead: code at least 9 px and nothing cut by the page.
 * `phone: true` checks a follower's phone: code at least 12 px, text 14 px, and code may scroll
 * when it shows a cue.
 */
export function auditSlide(slide, { print = false, phone = false, screenHeight = window.innerHeight } = {}) {
  const problems = [];
  const add = (kind, message) => problems.push({ kind, message });
  const inner = slide.querySelector(".slide-inner") || slide;
  // The screen (or page) is what the audience sees: the slide, clipped by the window.
  const slideBox = slide.getBoundingClientRect();
  const screen = print
    ? slideBox
    : new DOMRect(
        Math.max(0, slideBox.left),
        Math.max(0, slideBox.top),
        Math.min(window.innerWidth, slideBox.right) - Math.max(0, slideBox.left),
        Math.min(window.innerHeight, slideBox.bottom) - Math.max(0, slideBox.top),
      );
  // Content is clipped at the inner box's padding edge (overflow: hidden).
  const clip = inner.getBoundingClientRect();

  let codeMin = print ? LIMITS.printCode : LIMITS.code * screenHeight;
  if (phone) codeMin = LIMITS.phoneCode;
  for (const pre of inner.querySelectorAll(CODE)) {
    if (!visible(pre)) continue;
    const label = pre.closest(".sample")?.querySelector(".sample-title")?.textContent.trim() || "code";
    const scrolls = pre.scrollHeight > pre.clientHeight + EPSILON || pre.scrollWidth > pre.clientWidth + EPSILON;
    const cut = phone && phoneScroll(pre, label);
    if (cut) add("code-cut", cut);
    else if (scrolls && !phone) {
      const lines = `${pre.clientWidth}×${pre.clientHeight} px shows less than its ${pre.scrollWidth}×${pre.scrollHeight} px`;
      add(print ? "code-cut" : "code-scrolls", `“${label}” ${print ? "is cut" : "scrolls"}: ${lines}`);
    }
    const box = pre.getBoundingClientRect();
    if (!inside(box, clip) || !inside(box, screen)) add("code-cut", `“${label}” is cut off by the edge`);
    const size = px(pre);
    if (size < codeMin - 0.05) {
      const rule = print || phone ? `${codeMin} px` : `2.2% of ${Math.round(screenHeight)} px = ${codeMin.toFixed(1)} px`;
      add("code-small", `“${label}” code text is ${size.toFixed(1)} px, under ${rule}`);
    }
  }

  if (!print) {
    const bodyMin = phone ? LIMITS.phoneBody : LIMITS.body * screenHeight;
    const rule = phone ? `${bodyMin} px` : `3% of ${Math.round(screenHeight)} px = ${bodyMin.toFixed(1)} px`;
    for (const element of inner.querySelectorAll(BODY)) {
      if (!visible(element) || element.closest("pre")) continue;
      const size = px(element);
      if (size < bodyMin - 0.05) {
        add("body-small", `text “${describe(element)}” is ${size.toFixed(1)} px, under ${rule}`);
        break; // one line per slide is enough to act on
      }
    }
  }

  // Anything the audience should see must lie on the screen and inside the slide's clip.
  for (const element of inner.querySelectorAll("*")) {
    if (element.closest("details:not([open]) > :not(summary)") || !visible(element)) continue;
    if (element.matches(CONTROLS) || element.closest(CONTROLS)) continue;
    const box = element.getBoundingClientRect();
    if (!inside(box, clip) || !inside(box, screen)) {
      if (element.matches(CODE) || element.closest(CODE)) continue; // reported as code-cut above
      add("off-screen", `“${describe(element) || element.tagName.toLowerCase()}” leaves the ${print ? "page" : "screen"}`);
      break;
    }
  }

  // A control (Enlarge) must never sit over a title.
  if (!print) {
    for (const control of inner.querySelectorAll(CONTROLS)) {
      if (!visible(control)) continue;
      const box = control.getBoundingClientRect();
      for (const title of inner.querySelectorAll(TITLES)) {
        const range = document.createRange();
        range.selectNodeContents(title);
        if ([...range.getClientRects()].some((rect) => overlaps(rect, box))) {
          add("covered", `“${describe(control)}” covers the title “${describe(title)}”`);
        }
      }
    }
  }
  return problems;
}

/** A short fingerprint of a slide's markup: identical markup on an identical stage lays out identically. */
export function fingerprint(slide) {
  // Sizes written by fitting (style attributes) are results, not part of the markup.
  const text = (slide.querySelector(".slide-inner") || slide).outerHTML.replace(/ style="[^"]*"/g, "");
  let a = 0x811c9dc5;
  let b = 5381;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = (Math.imul(b, 33) + c) >>> 0;
  }
  return `${a.toString(16)}-${b.toString(16)}-${text.length}`;
}

export function nextHashChange(hash) {
  return new Promise((resolve) => {
    if (location.hash === hash) {
      resolve();
      return;
    }
    window.addEventListener("hashchange", () => resolve(), { once: true });
    location.hash = hash;
  });
}

/**
 * Audits every slide of the deck or print page this module is loaded into. On a deck, steps
 * through the slides by their `#/N` address, as a speaker would; on a print page, every sheet.
 * Slides whose fingerprint is in `skip` are not measured again (their verdict is known).
 * `phone: true` judges a follower's phone (auditSlide), after the follower marks its scrollers.
 * Returns `[{number, title, fingerprint, problems}]`.
 */
export async function auditPage({ skip = [], phone = false } = {}) {
  const known = new Set(skip);
  const results = [];
  const sheets = [...document.querySelectorAll(".print-slide > .deck-slide")];
  if (sheets.length) {
    for (const slide of sheets) {
      const print = fingerprint(slide);
      const entry = { number: Number(slide.dataset.number), title: slide.dataset.title, fingerprint: print };
      results.push(known.has(print) ? entry : { ...entry, problems: auditSlide(slide, { print: true }) });
    }
    return results;
  }
  const slides = [...document.querySelectorAll(".stage > .deck-slide")];
  for (const slide of slides) {
    const print = fingerprint(slide);
    const entry = { number: Number(slide.dataset.number), title: slide.dataset.title, fingerprint: print };
    if (known.has(print)) {
      results.push(entry);
      continue;
    }
    known.add(print);
    await nextHashChange(`#/${slide.dataset.number}`);
    // The follower marks code that scrolls sideways (for its cue) a frame after a move.
    if (phone) for (let i = 0; i < 2; i += 1) await new Promise(requestAnimationFrame);
    results.push({ ...entry, problems: auditSlide(slide, { phone }) });
  }
  return results;
}
