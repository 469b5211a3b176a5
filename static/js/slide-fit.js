// Fitting: text and code shrink to fit the slide, never below the thresholds of the fit audit
// (slide-audit.js), which then says what still does not fit.
import { LIMITS, px } from "./slide-audit.js";

function textOverflows(inner) {
  if (inner.scrollHeight > inner.clientHeight + 1 || inner.scrollWidth > inner.clientWidth + 1) {
    return true;
  }
  // Text running into the bottom padding, or out of its grid cell (down, or sideways: a long
  // inline code never breaks inside a word), counts as overflowing too.
  const limit = inner.getBoundingClientRect().bottom - parseFloat(getComputedStyle(inner).paddingBottom);
  for (const child of inner.children) {
    if (child.getBoundingClientRect().bottom > limit + 1) return true;
    if (child.matches(".slide-samples")) continue;
    if (child.scrollHeight > child.clientHeight + 1 || child.scrollWidth > child.clientWidth + 1) return true;
  }
  return false;
}

function codeOverflows(inner) {
  for (const pre of inner.querySelectorAll(".sample-code pre")) {
    if (pre.scrollHeight > pre.clientHeight + 1 || pre.scrollWidth > pre.clientWidth + 1) return true;
  }
  return false;
}

const anyOverflows = (inner) => textOverflows(inner) || codeOverflows(inner);

/** The largest scale in [floor, 1] at which `overflows` is false (binary search), or floor. */
function shrink(inner, property, floor, overflows) {
  inner.style.setProperty(property, "1");
  if (!overflows(inner)) return true;
  inner.style.setProperty(property, String(floor));
  if (overflows(inner)) return false;
  let low = floor;
  let high = 1;
  for (let i = 0; i < 5; i += 1) {
    const middle = (low + high) / 2;
    inner.style.setProperty(property, String(middle));
    if (overflows(inner)) high = middle;
    else low = middle;
  }
  inner.style.setProperty(property, String(low));
  return true;
}

/**
 * Code shrinks in proportion to how much it overflows (its size is linear in the scale), so a
 * couple of layouts usually suffice where a search would take eight. Returns true if it fits.
 */
function shrinkCode(inner, floor) {
  let scale = Math.max(1, floor);
  inner.style.setProperty("--code-scale", String(Number(scale.toFixed(3))));
  for (let i = 0; i < 8 && codeOverflows(inner); i += 1) {
    if (scale <= floor) return false;
    let ratio = 1;
    for (const pre of inner.querySelectorAll(".sample-code pre")) {
      ratio = Math.min(ratio, pre.clientHeight / pre.scrollHeight, pre.clientWidth / pre.scrollWidth);
    }
    scale = Math.max(floor, scale * Math.min(ratio, 0.97));
    inner.style.setProperty("--code-scale", String(Number(scale.toFixed(3))));
  }
  return !codeOverflows(inner);
}

/**
 * The largest code scale in [floor, start] at which no code overflows (a binary search: code in
 * columns overflows a column at a time, so its overflow says little about the scale that fits).
 */
function largestCode(inner, floor, start) {
  const set = (scale) => inner.style.setProperty("--code-scale", String(Number(scale.toFixed(3))));
  let high = Math.max(start, floor);
  set(high);
  if (!codeOverflows(inner)) return true;
  let low = floor;
  set(low);
  if (codeOverflows(inner)) return false;
  for (let i = 0; i < 6; i += 1) {
    const middle = (low + high) / 2;
    set(middle);
    if (codeOverflows(inner)) high = middle;
    else low = middle;
  }
  set(low);
  return true;
}

/**
 * The smallest sizes fitting may reach, as scales: body text and code stay at or above the
 * audit's shares of the slide's height (the screen, for a deck). The slide stands for the
 * screen: on a deck the stage fills the screen from 4:3 to 16:9. On paper code never goes under
 * 9 px, and `paper` gives the paper's own floors (code 9 px, body text `minBody`) for when the
 * screen's proportions do not fit.
 */
function floors(inner, { print = false, paper = false, minBody = 12 } = {}) {
  const height = inner.clientHeight;
  inner.style.setProperty("--fit", "1");
  inner.style.setProperty("--code-scale", "1");
  const body = px(inner);
  const pre = inner.querySelector(".sample-code pre");
  const code = pre ? px(pre) : body * 0.72;
  // A hair above the limit, so rounding never lands a size just under it.
  const margin = 1.01;
  let bodyMin = LIMITS.body * height;
  let codeMin = LIMITS.code * height;
  if (print) codeMin = Math.max(codeMin, LIMITS.printCode);
  if (paper) [bodyMin, codeMin] = [minBody, LIMITS.printCode];
  return {
    fit: Math.min(1, (bodyMin * margin) / body),
    // The code's own floor depends on how far the whole slide shrank.
    code: (fit) => (codeMin * margin) / (code * fit),
  };
}

/**
 * The whole slide shrinks (down to the body text's floor) until its text fits and its code
 * can fit at or above the code's floor; then code takes the largest size that fits.
 * Returns the code's size.
 */
function fitLayout(inner, limits) {
  inner.style.setProperty("--code-scale", "1");
  const codeFits = (element) => shrinkCode(element, limits.code(Number(element.style.getPropertyValue("--fit"))));
  shrink(inner, "--fit", limits.fit, (element) => textOverflows(element) || !codeFits(element));
  const fit = Number(inner.style.getPropertyValue("--fit"));
  const fits = codeFits(inner);
  const codeScale = Number(inner.style.getPropertyValue("--code-scale"));
  let overflow = 0; // how far from fitting: what the code's boxes cannot show
  for (const pre of inner.querySelectorAll(".sample-code pre")) {
    overflow += Math.max(0, pre.scrollHeight - pre.clientHeight) + Math.max(0, pre.scrollWidth - pre.clientWidth);
  }
  return { fits, size: fit * codeScale, fit, codeScale, overflow };
}

/**
 * Fit a slide. Text that overflows shrinks the whole slide, code then shrinks on its own, each
 * down to the audit's thresholds and no further. When text and code crowd each other they are
 * tried side by side, and the layout that shows the code larger wins (on a 16:9 screen that is
 * often beside, on 4:3 stacked). Content that still does not fit is reported by the audit and
 * must be split into more slides or steps; until then its code scrolls on screen. In print
 * (`print: true`) it wraps, takes columns or shrinks to 9 px instead (fitPaper), its text down
 * to `minBody` px (12; a handout's small slides beside their notes may go lower).
 * Returns true when everything fits.
 */
export function fitSlide(slide, { print = false, minBody = 12 } = {}) {
  const inner = slide?.querySelector(".slide-inner");
  if (!inner || !inner.clientHeight) return false;
  slide.classList.remove("wrap-code", "code-scrolls", "side-by-side", "samples-column", "code-columns");
  const limits = floors(inner, { print });
  let result = fitLayout(inner, limits);
  // Try another layout (a class on the slide); keep it if it shows the code larger.
  const attempt = (name) => {
    slide.classList.add(name);
    const other = fitLayout(inner, limits);
    let better = other.fits === result.fits ? other.size > result.size + 0.05 : other.fits;
    if (!other.fits && !result.fits) better = other.overflow < result.overflow - 1;
    if (better) {
      result = other;
      return;
    }
    slide.classList.remove(name);
    inner.style.setProperty("--fit", String(result.fit));
    inner.style.setProperty("--code-scale", String(result.codeScale));
  };
  const crowded = !result.fits || result.size < 0.95;
  if (crowded && inner.querySelector(".slide-body") && inner.querySelector(".slide-samples")) {
    attempt("side-by-side");
  }
  // Two samples side by side leave each half the width: wide lines may need them stacked.
  if (!result.fits && inner.querySelectorAll(".slide-sample").length > 1) attempt("samples-column");
  // A rare line too wide for the screen wraps rather than scroll.
  if (!result.fits) attempt("wrap-code");
  if (result.fits) return true;
  if (!print) {
    slide.classList.add("code-scrolls");
    return false;
  }
  return fitPaper(slide, inner, minBody);
}

/**
 * Paper cannot scroll or step: long lines wrap, long code may take two columns (beside the
 * text or under it), and text may shrink (to `minBody` px) to leave the code more room, code
 * itself down to 9 px. The layout that prints the code largest wins.
 */
function fitPaper(slide, inner, minBody) {
  const paper = floors(inner, { print: true, paper: true, minBody });
  const beside = slide.classList.contains("side-by-side");
  const canBeside = Boolean(inner.querySelector(".slide-body") && inner.querySelector(".slide-samples"));
  const apply = ({ side, columns, wrap }) => {
    slide.classList.toggle("side-by-side", side);
    slide.classList.toggle("code-columns", columns);
    slide.classList.toggle("wrap-code", wrap);
  };
  // A few sizes of text: smaller text leaves the code more room, so the largest code may come
  // with text under full size (sizes are not monotonic in the text's scale, so no search).
  const fits = [1, 0.85, 0.7, 0.6, 0.5].filter((fit) => fit > paper.fit).concat([paper.fit]);
  let best = null;
  // Wrapped lines lose their indentation, so wrapping must win by a quarter to be chosen. In
  // columns lines always wrap: a long one would run into the next column unmeasured.
  const layouts = [
    { side: beside, columns: false, wrap: false },
    { side: beside, columns: false, wrap: true },
    { side: beside, columns: true, wrap: true },
    { side: !beside, columns: true, wrap: true },
  ].filter((layout) => canBeside || !layout.side);
  for (const layout of layouts) {
    apply(layout);
    for (const fit of fits) {
      inner.style.setProperty("--fit", String(fit));
      // Code may grow a quarter against smaller text (more, and it dwarfs the text), then shrinks to fit.
      if (!largestCode(inner, paper.code(fit), Math.min(1 / fit, 1.25)) || textOverflows(inner)) continue;
      const codeScale = Number(inner.style.getPropertyValue("--code-scale"));
      const size = fit * codeScale;
      const merit = layout.wrap ? size / 1.25 : size;
      if (!best || merit > best.merit + 0.02) best = { ...layout, fit, codeScale, size, merit };
    }
  }
  if (best) {
    apply(best);
    inner.style.setProperty("--fit", String(best.fit));
    inner.style.setProperty("--code-scale", String(best.codeScale));
    return true;
  }
  // Whole code in small print beats cut code: go under 9 px (the audit still reports it).
  apply({ side: beside, columns: true, wrap: true });
  return shrink(inner, "--fit", 0.3, (element) => !shrinkCode(element, 0.2) || textOverflows(element));
}
