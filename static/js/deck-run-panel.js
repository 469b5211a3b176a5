// A run's result on a slide: a panel laid over the part of the slide the code does not use, so
// the code stays whole and in view. run-result.js renders the result (one renderer everywhere);
// this module only places it, closes it (Esc, Close, another slide) and mirrors it to the other
// window (speaker view <-> audience) through the deck's channel.
import { textRects } from "./dom.js";
import { renderResult } from "./run-result.js";

const MAX_TEXT = 256 * 1024; // the runner caps output at 64 KB; anything longer is not ours

// ---- Messages between windows: same origin, but still checked field by field. ----

const isText = (value) => typeof value === "string" && value.length <= MAX_TEXT;
const isSmallInt = (value, max) => Number.isInteger(value) && value >= 1 && value <= max;

function cleanPairs(value) {
  if (!Array.isArray(value) || value.length > 200) return null;
  const pairs = value.filter((pair) => Array.isArray(pair) && pair.length === 2 && pair.every(isText));
  return pairs.length === value.length ? pairs.map(([name, text]) => [name, text]) : null;
}

function cleanEnviron(value) {
  if (!value || typeof value !== "object" || Array.isArray(value)) return {};
  const entries = Object.entries(value).slice(0, 500);
  // Values are shown as text (strings as they are, anything else as JSON), never as HTML.
  return Object.fromEntries(
    entries.map(([key, raw]) => [key.slice(0, 200), isText(raw) ? raw : JSON.stringify(raw).slice(0, 2000)]),
  );
}

function cleanEvents(value) {
  if (!Array.isArray(value)) return [];
  return value.slice(0, 200).map((event) => ({
    direction: isText(event?.direction) ? event.direction : "",
    scope: isText(event?.scope) ? event.scope : "",
    message: isText(event?.message) ? event.message : JSON.stringify(event?.message ?? null).slice(0, 2000),
  }));
}

/** The fields run-result.js renders, typed; null when the shape is not a run result. */
export function cleanResult(raw) {
  if (!raw || typeof raw !== "object" || typeof raw.ok !== "boolean") return null;
  const text = (name) => (isText(raw[name]) ? raw[name] : "");
  const headers = raw.headers === undefined ? [] : cleanPairs(raw.headers);
  if (headers === null) return null;
  return {
    ok: raw.ok,
    ran: raw.ran === true,
    runtime: text("runtime"),
    status: text("status"),
    headers,
    body: text("body"),
    output: text("output"),
    error: text("error"),
    log: text("log"),
    duration_ms: Number.isFinite(raw.duration_ms) ? raw.duration_ms : undefined,
    // The result as the server rendered it; run-result.js keeps only the elements and attributes of
    // that template when it inserts it.
    html: typeof raw.html === "string" && raw.html.length <= 4 * MAX_TEXT ? raw.html : "",
    cached: raw.cached === true,
    environ: cleanEnviron(raw.environ),
    events: cleanEvents(raw.events),
  };
}

/** A run, run-close or run-tab message from the other window, checked; null otherwise. */
export function readRunMessage(data, count) {
  if (!data || typeof data !== "object") return null;
  if (data.type === "run-close" && isSmallInt(data.slide, count)) return { type: "run-close", slide: data.slide };
  if (data.type === "run-tab" && isSmallInt(data.slide, count) && isText(data.label) && data.label.length <= 40) {
    return { type: "run-tab", slide: data.slide, label: data.label };
  }
  if (data.type !== "run" || !isSmallInt(data.slide, count) || !isSmallInt(data.sample, 2 ** 31)) return null;
  const result = cleanResult(data.result);
  if (!result) return null;
  const recorded = isText(data.recorded) ? data.recorded : "";
  return { type: "run", slide: data.slide, sample: data.sample, result, recorded };
}

// ---- Where the panel goes ----

const MIN_WIDTH = 0.22; // of the slide: narrower than this, a result's lines wrap too much
const MIN_HEIGHT = 0.2;
const MAX_WIDTH = 0.6;
const WIDE = 1.7; // 16:9 is 1.78: a wider slide has room beside its text for a result
const CANDIDATES = 6; // rooms tried, largest first, for each set of things to keep clear

function union(rects) {
  const box = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
  for (const rect of rects) {
    box.left = Math.min(box.left, rect.left);
    box.top = Math.min(box.top, rect.top);
    box.right = Math.max(box.right, rect.right);
    box.bottom = Math.max(box.bottom, rect.bottom);
  }
  return box.left === Infinity ? null : box;
}

// Code on the slide, and in the editors when Edit has the stage (deck-edit.js).
const CODE = ".sample-code pre, .code-editor-backdrop";

/** One box per line of text: a block is as wide as the slide, its lines rarely are. */
function textLines(root, selector) {
  const boxes = [];
  for (const pre of root.querySelectorAll(selector)) {
    if (!pre.getBoundingClientRect().height) continue;
    const lines = new Map(); // a line's tokens share its top
    for (const rect of textRects(pre)) {
      if (!rect.width) continue;
      const key = Math.round(rect.top);
      lines.set(key, union([lines.get(key) || rect, rect]));
    }
    boxes.push(...lines.values());
  }
  return boxes;
}

/**
 * What a result must never cover: the slide's title, every sample's title and badges, Run and
 * Reset while editing, the slide's text (line by line), and the deck's controls where they lie
 * over the slide (they hide while the mouse rests, not for good).
 */
function keepClear(slide, { text: withText = true } = {}) {
  const frame = slide.getBoundingClientRect();
  const controls = [...document.querySelectorAll(".controls")].map((element) => element.getBoundingClientRect());
  const text = withText ? textLines(slide, ".slide-body") : [];
  return [...slide.querySelectorAll(".slide-heading, .sample figcaption > :not(button), .is-editing .sample-actions")]
    .map((element) => element.getBoundingClientRect())
    .concat(controls.filter((rect) => rect.bottom > frame.top && rect.top < frame.bottom))
    .filter((rect) => rect.width && rect.height)
    .concat(text);
}

/**
 * The largest free rectangles of the slide (slide-relative pixels) that touch none of
 * `obstacles`: for each pair of left and right edges (the slide's, or an obstacle's side), the
 * vertical gaps between the obstacles in that band.
 */
function freeRooms(frame, obstacles) {
  const W = frame.width;
  const H = frame.height;
  const margin = W * 0.015;
  const boxes = obstacles.map((box) => ({
    left: box.left - frame.left - margin, top: box.top - frame.top - margin,
    right: box.right - frame.left + margin, bottom: box.bottom - frame.top + margin,
  }));
  const lefts = [margin, ...boxes.map((box) => box.right)].filter((x) => x >= margin && x < W - margin);
  const rights = [W - margin, ...boxes.map((box) => box.left)].filter((x) => x > margin && x <= W - margin);
  const rooms = [];
  for (const left of new Set(lefts)) {
    for (const right of new Set(rights)) {
      if (right - left < W * MIN_WIDTH) continue;
      const band = boxes.filter((box) => box.left < right && box.right > left).sort((a, b) => a.top - b.top);
      let top = margin;
      for (const box of [...band, { top: H - margin, bottom: H - margin }]) {
        if (box.top - top >= H * MIN_HEIGHT) rooms.push({ left, top, right, bottom: box.top });
        top = Math.max(top, box.bottom);
      }
    }
  }
  const area = (r) => (r.right - r.left) * (r.bottom - r.top);
  return rooms.sort((a, b) => area(b) - area(a)).slice(0, CANDIDATES);
}

/**
 * Rooms for the result, best first to try: clear of every title, the slide's text and all of
 * its code; then clear of the titles, the text and the code that ran only (the result may lie
 * over another sample's code). A result never covers a title, nor the slide's text on a wide
 * screen; on a narrower one, where text over code leaves no room, it may lie over the text
 * rather than over the code that ran.
 */
export function choosePlaces(slide, figure) {
  const frame = slide.getBoundingClientRect();
  const keep = keepClear(slide);
  const rooms = [
    ...freeRooms(frame, [...keep, ...textLines(slide, CODE)]),
    ...freeRooms(frame, [...keep, ...textLines(figure, CODE)]),
  ];
  if (frame.width / frame.height >= WIDE) return rooms;
  return rooms.concat(freeRooms(frame, [...keepClear(slide, { text: false }), ...textLines(figure, CODE)]));
}

/** Lays the panel out in `box`; returns how far its text had to shrink and whether it shows all. */
function layoutIn(panel, frame, box) {
  const percent = (value, whole) => `${((100 * value) / whole).toFixed(3)}%`;
  // A result is rarely wide: in a wide room it keeps to the right, clear of where text starts.
  const left = Math.max(box.left, box.right - frame.width * MAX_WIDTH);
  panel.style.left = percent(left, frame.width);
  panel.style.top = percent(box.top, frame.height);
  panel.style.width = percent(box.right - left, frame.width);
  panel.style.maxHeight = percent(box.bottom - box.top, frame.height);
  // The result shrinks (to 60%) rather than scroll; a long environ tab still scrolls.
  const body = panel.querySelector(".run-panel-body");
  const overflows = () => body.scrollHeight > body.clientHeight + 1 || body.scrollWidth > body.clientWidth + 1;
  let fit = 1;
  panel.style.setProperty("--run-fit", "1");
  while (overflows() && fit > 0.6) {
    fit -= 0.08;
    panel.style.setProperty("--run-fit", fit.toFixed(2));
  }
  return { fit, whole: !overflows() };
}

/**
 * The room over the code: in the slide's right part, the tallest gap between what must stay
 * clear there (titles, text, the controls), so the result lies over code and nothing else.
 */
function overCode(slide, frame) {
  const margin = frame.width * 0.015;
  const left = frame.width * 0.52;
  const clear = keepClear(slide)
    .filter((rect) => rect.right > frame.left + left)
    .map((rect) => ({ top: rect.top - frame.top - margin, bottom: rect.bottom - frame.top + margin }))
    .sort((a, b) => a.top - b.top);
  let best = { top: margin, bottom: margin };
  let top = margin;
  for (const rect of [...clear, { top: frame.height - margin, bottom: frame.height - margin }]) {
    if (rect.top - top > best.bottom - best.top) best = { top, bottom: rect.top };
    top = Math.max(top, rect.bottom);
  }
  return { left, top: best.top, right: frame.width - margin, bottom: best.bottom };
}

function place(panel, slide, figure) {
  const frame = slide.getBoundingClientRect();
  if (!frame.width) return;
  let best = null;
  for (const [index, box] of choosePlaces(slide, figure).entries()) {
    const { fit, whole } = layoutIn(panel, frame, box);
    // A room that shows the whole result at the largest size wins; earlier rooms win ties.
    const score = (whole ? 10 : 0) + fit - index * 1e-3;
    if (!best || score > best.score) best = { box, score, whole };
    if (whole && fit === 1) break;
  }
  // No free room shows it all (a slide full of code): over the code, if that shows more.
  if (!best?.whole) {
    const box = overCode(slide, frame);
    const { fit, whole } = layoutIn(panel, frame, box);
    const score = (whole ? 10 : 0) + fit - 0.5;
    if (!best || score > best.score) best = { box, score, covers: true };
  }
  layoutIn(panel, frame, best.box);
  panel.classList.toggle("covers-code", Boolean(best.covers));
}

// ---- The panel ----

let panelCounter = 0;

function buildPanel(title) {
  panelCounter += 1;
  const panel = document.createElement("aside");
  panel.className = "run-panel";
  const head = document.createElement("div");
  head.className = "run-panel-head";
  const heading = document.createElement("h3");
  heading.id = `run-panel-title-${panelCounter}`;
  heading.textContent = `Result: ${title}`;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "secondary";
  close.dataset.runClose = "";
  close.append("Close ");
  const kbd = document.createElement("kbd");
  kbd.textContent = "Esc";
  close.append(kbd);
  head.append(heading, close);
  const body = document.createElement("div");
  body.className = "run-result run-panel-body";
  panel.setAttribute("aria-labelledby", heading.id);
  panel.setAttribute("role", "region");
  panel.append(head, body);
  return panel;
}

/**
 * Wires the panel for one window. `slideAt(n)` gives slide n's element, `current()` the
 * current slide's number, `post(data)` sends to the other window.
 */
export function wireRunPanel(root, { slideAt, current, count, post = () => {} }) {
  let open = null; // { number, panel, figure }

  function close({ broadcast = true, focus = false } = {}) {
    if (!open) return false;
    const { number, panel, figure } = open;
    open = null;
    // Focus goes back to Run only from inside the result (a keyboard user): after a click it
    // stays with the deck, where Space means "next" and must not run the code again.
    const inside = panel.contains(document.activeElement);
    panel.remove();
    if (focus && inside) figure.querySelector(".run-button")?.focus();
    if (broadcast) post({ type: "run-close", slide: number });
    return true;
  }

  /** Shows the result's tab named `label` (Response, Raw…); true if it has one. */
  function selectTab(label) {
    const tab = [...(open?.panel.querySelectorAll(".run-tab") || [])].find((b) => b.textContent === label);
    if (!tab) return false;
    choosing = true; // chosen in the other window: not sent back to it
    tab.click();
    choosing = false;
    return true;
  }
  let choosing = false;

  // A result from the other window shows without the comparison with the recorded output: the
  // edit was made in that window.
  function show(number, figure, result, recorded, { mirrored = false } = {}) {
    const slide = slideAt(number);
    if (!slide || !figure) return;
    close({ broadcast: false });
    const title = figure.querySelector(".sample-title")?.textContent || "Code";
    const panel = buildPanel(title);
    renderResult(panel.querySelector(".run-panel-body"), result, recorded, { compare: !mirrored });
    panel.querySelector("[data-run-close]").addEventListener("click", () => close({ focus: true }));
    // Keys inside the result (its tabs) stay there; clicks do not reach the slide's swipe.
    panel.addEventListener("click", (event) => event.stopPropagation());
    // The speaker's choice of tab shows in the other window and, live, on every follower.
    panel.addEventListener("click", (event) => {
      const tab = event.target.closest(".run-tab");
      if (!tab) return;
      if (!choosing) post({ type: "run-tab", slide: number, label: tab.textContent });
      root.dispatchEvent(new CustomEvent("deck:run-tab", { detail: { slide: number, label: tab.textContent } }));
    });
    slide.append(panel);
    open = { number, panel, figure };
    place(panel, slide, figure);
    // live.js: a presenting deck tells the session what the room sees.
    const sample = Number(figure.dataset.sample);
    root.dispatchEvent(new CustomEvent("deck:run-shown", { detail: { slide: number, sample, result } }));
  }

  root.addEventListener("historyweb:run-result", (event) => {
    const figure = event.target.closest?.(".sample[data-sample]");
    const slide = figure?.closest(".deck-slide[data-number]");
    if (!slide || slide.closest("[inert]")) return;
    event.preventDefault(); // run.js leaves the result to this panel
    const number = Number(slide.dataset.number);
    const { result, recorded } = event.detail;
    show(number, figure, result, recorded);
    post({ type: "run", slide: number, sample: Number(figure.dataset.sample), result, recorded });
  });

  return {
    close,
    get isOpen() {
      return Boolean(open);
    },
    /** A message from the other window; returns true when it was one of ours. */
    receive(data) {
      const message = readRunMessage(data, count);
      if (!message) return false;
      if (message.type === "run-close") {
        if (open?.number === message.slide) close({ broadcast: false });
        return true;
      }
      if (message.type === "run-tab") {
        if (open?.number === message.slide) selectTab(message.label);
        return true;
      }
      if (message.slide !== current()) return true;
      const figure = slideAt(message.slide)?.querySelector(`.sample[data-sample="${message.sample}"]`);
      if (figure) show(message.slide, figure, message.result, message.recorded, { mirrored: true });
      return true;
    },
    /** The result shown now: {slide, sample} of the open panel, or null. */
    get shown() {
      return open ? { slide: open.number, sample: Number(open.figure.dataset.sample) } : null;
    },
    selectTab,
    /** After a resize or a refit of the slide. */
    replace() {
      if (open) place(open.panel, slideAt(open.number), open.figure);
    },
  };
}
