// Shared by the audience deck and the speaker view: keys, the #/N address, the channel that
// keeps windows in step, overlays, themes and fitting long code onto a slide.

const EDITABLE = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
const FOCUSABLE = "a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex='-1'])";

/** The slide number in `#/N`, or null when the address holds none. */
export function slideFromHash(hash, count) {
  const match = /^#\/(\d{1,5})$/.exec(hash || "");
  if (!match) return null;
  return clamp(Number(match[1]), count);
}

export function clamp(n, count) {
  return Math.min(Math.max(1, n), count);
}

/** Keeps the address on the current slide without adding a history entry per slide. */
export function showInAddress(n) {
  const hash = `#/${n}`;
  if (location.hash !== hash) history.replaceState(history.state, "", hash);
}

/** A message from another window, checked: known type, whole slide number in range. */
export function readMessage(data, count) {
  if (!data || typeof data !== "object") return null;
  if (data.type === "hello") return { type: "hello" };
  if (data.type === "goto" && Number.isInteger(data.slide) && data.slide >= 1 && data.slide <= count) {
    // A build step within the slide, from 0 (slide-steps.js); the receiver clamps it to the slide's last.
    const step = Number.isInteger(data.step) && data.step >= 0 && data.step <= 1000 ? data.step : 0;
    return { type: "goto", slide: data.slide, step };
  }
  return null;
}

/**
 * The deck's channel; `onGoto` runs for valid messages from other windows only. Other messages
 * go to `onOther(data)` unchecked: each feature validates its own (deck-keys, deck-run-panel).
 */
export function openChannel(name, count, { onGoto, current, currentStep = () => 0, onOther = () => {} }) {
  if (!("BroadcastChannel" in window)) return { send() {}, hello() {}, post() {} };
  const channel = new BroadcastChannel(`historyweb-deck:${name}`);
  channel.addEventListener("message", (event) => {
    const message = readMessage(event.data, count);
    if (!message) onOther(event.data);
    else if (message.type === "hello") channel.postMessage({ type: "goto", slide: current(), step: currentStep() });
    else onGoto(message.slide, message.step);
  });
  return {
    send(n, step = 0) {
      channel.postMessage({ type: "goto", slide: n, step });
    },
    hello() {
      channel.postMessage({ type: "hello" });
    },
    post(data) {
      channel.postMessage(data);
    },
  };
}

/**
 * Keyboard control shared by both views. `actions` maps names to functions:
 * go(n), next, prev, first, last, overview, help, speaker, fullscreen, theme, live and (in
 * the speaker view) timer. `showJump(text)` shows the slide number being typed ("" hides it).
 */
export function bindKeys(actions, showJump = () => {}) {
  let digits = "";
  let timer = null;
  const showDigits = () => showJump(digits ? `Go to slide ${digits}, then Enter` : "");
  const clearDigits = () => {
    digits = "";
    showDigits();
  };
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof Element && target.closest(EDITABLE)) return;
    // An open overlay owns the keyboard; the dialog itself closes on Esc.
    if (document.querySelector("dialog[open]")) return;
    const onControl = target instanceof Element && target.closest("button, a, summary");
    const key = event.key;
    if (/^[0-9]$/.test(key)) {
      digits = (digits + key).slice(-5);
      showDigits();
      clearTimeout(timer);
      timer = setTimeout(clearDigits, 4000);
      event.preventDefault();
      return;
    }
    if (key === "Enter" && digits) {
      actions.go(Number(digits));
      clearDigits();
      event.preventDefault();
      return;
    }
    if (key === "Backspace" && digits) {
      digits = digits.slice(0, -1);
      showDigits();
      event.preventDefault();
      return;
    }
    const handlers = {
      ArrowRight: actions.next,
      ArrowDown: actions.next,
      PageDown: actions.next,
      ArrowLeft: actions.prev,
      ArrowUp: actions.prev,
      PageUp: actions.prev,
      Home: actions.first,
      End: actions.last,
      " ": onControl ? null : event.shiftKey ? actions.prev : actions.next,
      // Esc never opens the overview: on a projector it must only ever close (deck-keys.js).
      o: actions.overview,
      O: actions.overview,
      "?": actions.help,
      s: actions.speaker,
      S: actions.speaker,
      f: actions.fullscreen,
      F: actions.fullscreen,
      t: actions.theme,
      T: actions.theme,
      l: actions.live,
      L: actions.live,
      c: actions.timer,
      C: actions.timer,
    };
    const handler = handlers[key];
    if (!handler) return;
    if (digits) clearDigits();
    event.preventDefault();
    handler();
  });
}

/** Swipe left or right on a touch screen. */
export function bindSwipe(element, { next, prev }) {
  let start = null;
  element.addEventListener(
    "touchstart",
    (event) => {
      if (event.touches.length === 1) start = { x: event.touches[0].clientX, y: event.touches[0].clientY };
    },
    { passive: true },
  );
  element.addEventListener("touchend", (event) => {
    if (!start || event.changedTouches.length !== 1) return;
    const dx = event.changedTouches[0].clientX - start.x;
    const dy = event.changedTouches[0].clientY - start.y;
    start = null;
    if (Math.abs(dx) < 50 || Math.abs(dx) < Math.abs(dy) * 1.5) return;
    if (dx < 0) next();
    else prev();
  });
}

/** Opens a native modal dialog (it keeps focus inside) and gives focus back on close. */
export function openOverlay(dialog, focusTarget) {
  if (!dialog || dialog.open) return;
  const previous = document.activeElement;
  dialog.addEventListener(
    "close",
    () => {
      if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
    },
    { once: true },
  );
  dialog.showModal();
  (focusTarget || dialog.querySelector("[data-close]"))?.focus();
}

export function closeOverlay(dialog) {
  if (dialog?.open) dialog.close();
}

/** Close buttons, a click on the backdrop, and O or ? pressed again close an overlay. */
export function wireOverlay(dialog, toggleKeys) {
  if (!dialog) return;
  dialog.querySelectorAll("[data-close]").forEach((button) =>
    button.addEventListener("click", () => dialog.close()),
  );
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener("keydown", (event) => {
    // Focus can stay a moment in a dialog just closed: its keys are the deck's again.
    if (!dialog.open) return;
    if (event.key === "Tab") {
      // A modal dialog lets Tab escape to the browser's toolbar; keep it cycling inside.
      const focusable = [...dialog.querySelectorAll(FOCUSABLE)].filter((e) => e.offsetParent);
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
      return;
    }
    if (toggleKeys.includes(event.key) && !event.target.closest?.(EDITABLE)) {
      event.preventDefault();
      dialog.close();
    }
  });
}

// ---- Themes live in theme.js, shared with every page of the site. ----
export { applyTheme, savedTheme, toggleTheme } from "./theme.js";

export function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

// ---- Fitting lives with the fit audit, so both use the same thresholds. ----
export { fitSlide } from "./slide-fit.js";
