// Stage keys, as presentation clickers send them: B and "." black the screen, W whitens it, any
// key brings the slide back; F5 and Shift+F5 start full screen; Esc only ever closes something.
// They run before deck-core's bindKeys (capture phase) and take the key when they use it.
// wireDeckWindow sets up what the audience deck and the speaker view share: the channel between
// them (moves, the blank screen, runs), every key and overlay, and the start on the first slide.

import {
  bindKeys,
  openChannel,
  openOverlay,
  slideFromHash,
  toggleFullscreen,
  toggleTheme,
  wireOverlay,
} from "./deck-core.js";
import { wireEnlarge } from "./deck-enlarge.js";
import { wireOverview } from "./deck-overview.js";
import { wireRunPanel } from "./deck-run-panel.js";
import { backward, forward } from "./slide-steps.js";

const EDITABLE = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
// Overlays a clicker may not be able to close: its keys close them and then act.
const CLICKER_OVERLAYS = "#overview[open], #help[open], #enlarge[open]";
const CLICKER_PAGES = new Set(["PageDown", "PageUp"]);
const CLICKER_BLANK = new Set(["b", "B", "."]);
// What a mouse click must not leave holding the keyboard.
const CONTROL = "button, a[href], summary, [role='tab']";
const MODIFIERS = new Set(["Shift", "Control", "Alt", "Meta", "CapsLock", "Fn", "NumLock"]);
export const BLANK_MODES = ["black", "white"];

/**
 * The blank screen. In the audience window it covers the stage; in the speaker view
 * (`cover: false`) it only says what the audience sees. `onChange(mode)` runs on every change
 * made here (not on `set(mode, { quiet: true })`), so the other window can follow.
 */
export function createBlank({ cover = true, status = null, onChange = () => {} } = {}) {
  let mode = null;
  const screen = document.createElement("div");
  screen.className = "blank-screen";
  screen.hidden = true;
  screen.setAttribute("aria-hidden", "true");
  if (cover) document.body.append(screen);
  return {
    get mode() {
      return mode;
    },
    set(next, { quiet = false } = {}) {
      next = BLANK_MODES.includes(next) ? next : null;
      if (next === mode) return;
      mode = next;
      screen.hidden = !mode;
      screen.dataset.blank = mode || "";
      document.documentElement.classList.toggle("is-blank", Boolean(mode));
      if (status) {
        status.hidden = !mode;
        status.textContent = mode
          ? `The audience sees a ${mode} screen: press any key to bring the slide back.`
          : "";
      }
      if (!quiet) onChange(mode);
    },
  };
}

export function enterFullscreen() {
  if (!document.fullscreenElement) document.documentElement.requestFullscreen?.().catch(() => {});
}

/**
 * `blank` from createBlank; `closeTop()` closes the topmost open thing (a run's result) and
 * returns true if there was one. Esc closes that, else leaves full screen; it never opens anything.
 */
export function bindStageKeys({ blank, closeTop = () => false }) {
  window.addEventListener(
    "keydown",
    (event) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      const target = event.target;
      const key = event.key;
      const editable = target instanceof Element && target.closest(EDITABLE);
      // A clicker has no Esc: its page and blank keys close the overview, help or Enlarge, then act.
      const overlay = document.querySelector(CLICKER_OVERLAYS);
      if (overlay && (CLICKER_PAGES.has(key) || (CLICKER_BLANK.has(key) && !editable))) overlay.close();
      if (key === "Escape" && target instanceof Element && target.closest(".is-editing textarea")) {
        // Esc in an editor on the stage closes the result, then leaves edit mode.
        if (closeTop()) event.preventDefault();
        return;
      }
      if (editable) return;
      // A modal overlay owns the keyboard; the browser closes it on Esc.
      if (document.querySelector("dialog[open]")) return;
      if (blank.mode) {
        if (MODIFIERS.has(key)) return;
        blank.set(null);
      } else if (key === "b" || key === "B" || key === ".") {
        blank.set("black");
      } else if (key === "w" || key === "W") {
        blank.set("white");
      } else if (key === "F5") {
        enterFullscreen(); // both F5 and Shift+F5: clickers send either for "start"
      } else if (key === "Escape") {
        if (!closeTop() && document.fullscreenElement) document.exitFullscreen?.();
      } else {
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
    },
    true,
  );
}

/**
 * A control clicked with the mouse takes no focus and leaves none where it was: Space and
 * PageDown, what a clicker sends, mean "next" after a click on Run, Edit, a tab or the control
 * bar, and the control bar fades again. A keyboard user (Tab, then Enter) keeps the focus.
 * Inside an open dialog focus is the dialog's.
 */
export function bindPointerFocus() {
  document.addEventListener(
    "mousedown",
    (event) => {
      const control = event.button === 0 && event.target instanceof Element && event.target.closest(CONTROL);
      if (!control || control.closest("dialog")) return;
      event.preventDefault();
      const active = document.activeElement;
      if (active instanceof HTMLElement && active !== document.body && !active.closest("dialog")) active.blur();
    },
    true,
  );
}

/** A blank message from another window, checked: `{type: "blank", mode}` with a known mode. */
export function readBlankMessage(data) {
  if (!data || typeof data !== "object" || data.type !== "blank") return undefined;
  if (data.mode === null || BLANK_MODES.includes(data.mode)) return data.mode;
  return undefined;
}

/**
 * One deck window (`root`: the audience deck or the speaker view). The channel keeps this
 * browser's windows on the same slide and step; the blank screen (createBlank's options in
 * `blank`; its `onChange` runs after the other windows are told) and the Run panel share it.
 * `store` (deck-slides.js) holds its slides and `entries`, the outline the overview lists.
 * Without a channel name (`data-channel`: a live follower's deck has none) nothing is sent:
 * nothing it does may move another window. Then the keys and overlays (wireKeysAndOverlays;
 * `speaker`, `theme` and `live` go to it). Esc closes the run's result, else calls `leave()` (true if it closed something).
 * Answers `{ channel, blank, runPanel, actions, start }`; `start()` shows the slide
 * the address names, or the first and asks the other windows where they are.
 */
export function wireDeckWindow(root, options) {
  const { store, go, current, currentStep, blank: blankOptions = {}, leave = () => false, projector = false } = options;
  const { slides, entries = [] } = store;
  const name = root.dataset.channel;
  const count = slides.length;
  let blank = null;
  let runPanel = null;
  let notices = null;
  const channel = name
    ? openChannel(name, count, {
        onGoto: (n, k) => go(n, { broadcast: false, step: k }),
        current,
        currentStep,
        onOther: (data) => {
          if (runPanel?.receive(data) || notices.receive(data)) return;
          const mode = readBlankMessage(data);
          if (mode !== undefined) blank.set(mode, { quiet: true });
        },
      })
    : { send() {}, hello() {}, post() {} };
  notices = makeNotices(root, channel, projector);
  const { onChange = () => {}, ...blankRest } = blankOptions;
  blank = createBlank({
    ...blankRest,
    onChange: (mode) => {
      channel.post({ type: "blank", mode });
      onChange(mode);
    },
  });
  runPanel = wireRunPanel(root, { slideAt: (n) => slides[n - 1], current, count, post: channel.post });
  const actions = wireKeysAndOverlays(root, {
    ...options,
    slides,
    entries,
    blank,
    notices,
    closeTop: () => runPanel.close({ focus: true }) || leave(),
  });

  function start() {
    const first = slideFromHash(location.hash, count);
    go(first || 1, { broadcast: false });
    if (!first) channel.hello(); // opened without an address: join the other windows' slide
    window.addEventListener("hashchange", () => {
      const n = slideFromHash(location.hash, count);
      if (n) go(n);
    });
  }

  return { channel, blank, runPanel, actions, start, say: notices.say };
}

const NOTICE_MS = 5000;
const NOTICE_TEXT = 200;

/**
 * What the keys say back: the slide number being typed ("jump") and short notes such as
 * "Dark theme" ("toast"). In the audience window (`projector`) they go to the speaker view
 * over the channel and never show on the screen the room sees; elsewhere they show here.
 * `say(kind, text, { here: true })` shows one here all the same (no speaker view to tell).
 */
function makeNotices(root, channel, projector) {
  const jump = root.querySelector(".jump");
  const toast = root.querySelector(".toast");
  let toastTimer = null;
  const show = {
    jump(text) {
      if (!jump) return;
      jump.hidden = !text;
      jump.textContent = text;
    },
    toast(text) {
      if (!toast) return;
      toast.textContent = text;
      toast.hidden = !text;
      clearTimeout(toastTimer);
      toastTimer = setTimeout(() => (toast.hidden = true), NOTICE_MS);
    },
  };
  return {
    say(kind, text, { here = false } = {}) {
      if (projector && !here) channel.post({ type: "notice", kind, text });
      else show[kind](text);
    },
    /** A notice from the audience window, checked; true if it was one. */
    receive(data) {
      if (!data || data.type !== "notice" || !Object.hasOwn(show, data.kind)) return false;
      if (typeof data.text === "string" && !projector) show[data.kind](data.text.slice(0, NOTICE_TEXT));
      return true;
    },
  };
}

/**
 * The overview, help and enlarge overlays, the stage keys and deck-core's keys, for one deck
 * window (`root`). `go(n, { step })` moves; `current()` and `currentStep()` say where it is.
 * What the two windows do differently comes in: `speaker` (the speaker view is already there),
 * `theme` (the audience deck announces it), `live` (going live, key L) and `timer` (key C,
 * the speaker view's).
 * Answers the actions, for the window's own buttons.
 */
function wireKeysAndOverlays(
  root,
  {
    slides,
    entries,
    go,
    current,
    currentStep,
    blank,
    notices,
    closeTop,
    speaker = () => {},
    theme = toggleTheme,
    live,
    timer,
  },
) {
  const help = document.getElementById("help");
  const showOverview = wireOverview(document.getElementById("overview"), (n) => go(n), entries, slides);
  wireOverlay(help, ["?"]);
  wireEnlarge(root, document.getElementById("enlarge"));
  const walk = (direction) => {
    const [n, k] = direction(slides, current(), currentStep());
    return [n, { step: k }];
  };
  const actions = {
    go: (n) => go(n),
    next: () => go(...walk(forward)),
    prev: () => go(...walk(backward)),
    first: () => go(1),
    last: () => go(slides.length),
    overview: () => showOverview(current()),
    help: () => openOverlay(help),
    speaker,
    fullscreen: toggleFullscreen,
    theme,
    live, // going live (L): the audience deck and the speaker view
    timer, // start or pause the timer (C): the speaker view only
  };
  bindStageKeys({ blank, closeTop });
  bindPointerFocus();
  bindKeys(actions, (text) => notices.say("jump", text));
  return actions;
}
