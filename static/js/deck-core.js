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
    return { type: "goto", slide: data.slide };
  }
  return null;
}

/** The deck's channel; `onGoto` runs for valid messages from other windows only. */
export function openChannel(name, count, { onGoto, current }) {
  if (!("BroadcastChannel" in window)) return { send() {}, hello() {} };
  const channel = new BroadcastChannel(`historyweb-deck:${name}`);
  channel.addEventListener("message", (event) => {
    const message = readMessage(event.data, count);
    if (!message) return;
    if (message.type === "hello") channel.postMessage({ type: "goto", slide: current() });
    else onGoto(message.slide);
  });
  return {
    send(n) {
      channel.postMessage({ type: "goto", slide: n });
    },
    hello() {
      channel.postMessage({ type: "hello" });
    },
  };
}

/**
 * Keyboard control shared by both views. `actions` maps names to functions:
 * go(n), next, prev, first, last, overview, help, speaker, fullscreen, theme.
 */
export function bindKeys(actions, jumpIndicator) {
  let digits = "";
  let timer = null;
  const showDigits = () => {
    if (!jumpIndicator) return;
    jumpIndicator.hidden = !digits;
    jumpIndicator.textContent = digits ? `Go to slide ${digits}, then Enter` : "";
  };
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
      o: actions.overview,
      O: actions.overview,
      Escape: actions.overview,
      "?": actions.help,
      s: actions.speaker,
      S: actions.speaker,
      f: actions.fullscreen,
      F: actions.fullscreen,
      t: actions.theme,
      T: actions.theme,
      l: actions.live,
      L: actions.live,
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

/** The overview: choose a slide; arrow keys move between slides in the grid. */
export function wireOverview(dialog, go) {
  if (!dialog) return;
  wireOverlay(dialog, ["o", "O"]);
  const links = [...dialog.querySelectorAll("[data-goto]")];
  links.forEach((link, index) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.close();
      go(Number(link.dataset.goto));
    });
    link.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      links[clamp(index + step + 1, links.length) - 1].focus();
    });
  });
  return (current) => {
    links.forEach((link) => link.removeAttribute("aria-current"));
    const link = links[current - 1];
    if (!link) return;
    link.setAttribute("aria-current", "true");
    openOverlay(dialog, link);
    link.scrollIntoView({ block: "nearest" });
  };
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
    body.replaceChildren(code.cloneNode(true));
    openOverlay(dialog);
  });
}

// ---- Themes: the system's by default; T switches and the choice is remembered. ----
const THEME_KEY = "historyweb-theme";

export function applyTheme(theme) {
  const root = document.documentElement;
  if (theme === "light" || theme === "dark") root.dataset.theme = theme;
  else delete root.dataset.theme;
  for (const link of document.querySelectorAll("link[data-theme-css]")) {
    if (!link.dataset.media) link.dataset.media = link.media;
    link.media = !root.dataset.theme
      ? link.dataset.media
      : link.dataset.themeCss === root.dataset.theme
        ? "all"
        : "not all";
  }
}

export function savedTheme() {
  try {
    return localStorage.getItem(THEME_KEY);
  } catch {
    return null;
  }
}

export function toggleTheme() {
  const current =
    document.documentElement.dataset.theme ||
    (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const next = current === "dark" ? "light" : "dark";
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    // Private windows may refuse storage; the switch still works for this page.
  }
  applyTheme(next);
  return next;
}

export function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

// ---- Fitting: long code shrinks until it fits; past a floor it scrolls (or wraps, in print). ----

function textOverflows(inner) {
  if (inner.scrollHeight > inner.clientHeight + 1 || inner.scrollWidth > inner.clientWidth + 1) {
    return true;
  }
  // Text running into the bottom padding, or out of its grid cell, counts as overflowing too.
  const limit = inner.getBoundingClientRect().bottom - parseFloat(getComputedStyle(inner).paddingBottom);
  for (const child of inner.children) {
    if (child.getBoundingClientRect().bottom > limit + 1) return true;
    if (!child.matches(".slide-samples") && child.scrollHeight > child.clientHeight + 1) return true;
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
  let scale = 1;
  inner.style.setProperty("--code-scale", "1");
  for (let i = 0; i < 8 && codeOverflows(inner); i += 1) {
    if (scale === floor) return false;
    let ratio = 1;
    for (const pre of inner.querySelectorAll(".sample-code pre")) {
      ratio = Math.min(ratio, pre.clientHeight / pre.scrollHeight, pre.clientWidth / pre.scrollWidth);
    }
    scale = Math.max(floor, scale * Math.min(ratio, 0.97));
    inner.style.setProperty("--code-scale", scale.toFixed(3));
  }
  return !codeOverflows(inner);
}

/** Text first (the whole slide shrinks), then code on its own; returns the code's size. */
function fitLayout(inner, codeFloor, fitFloor) {
  inner.style.setProperty("--code-scale", "1");
  shrink(inner, "--fit", fitFloor, textOverflows);
  const fits = shrinkCode(inner, codeFloor);
  const fit = inner.style.getPropertyValue("--fit");
  const codeScale = inner.style.getPropertyValue("--code-scale");
  return { fits, size: fit * codeScale, fit, codeScale };
}

/**
 * Fit a slide. Text that overflows shrinks the whole slide (to `fitFloor`); code then shrinks
 * on its own (to `codeFloor`) so titles stay legible. When text and code crowd each other,
 * they are tried side by side and the layout that shows the code larger wins. On screen, code
 * still too long scrolls and its Enlarge button shows it whole; in print (`print: true`)
 * long lines wrap and everything shrinks further, because paper cannot scroll.
 * Returns true when everything fits.
 */
export function fitSlide(slide, { codeFloor = 0.7, fitFloor = 0.6, print = false } = {}) {
  const inner = slide?.querySelector(".slide-inner");
  if (!inner || !inner.clientHeight) return false;
  slide.classList.remove("wrap-code", "code-scrolls", "side-by-side");
  let result = fitLayout(inner, codeFloor, fitFloor);
  const crowded = !result.fits || result.size < 0.95;
  if (crowded && inner.querySelector(".slide-body") && inner.querySelector(".slide-samples")) {
    slide.classList.add("side-by-side");
    const side = fitLayout(inner, codeFloor, fitFloor);
    const better = side.fits === result.fits ? side.size > result.size + 0.05 : side.fits;
    if (better) result = side;
    else {
      slide.classList.remove("side-by-side");
      inner.style.setProperty("--fit", result.fit);
      inner.style.setProperty("--code-scale", result.codeScale);
    }
  }
  if (result.fits) return true;
  if (!print) {
    slide.classList.add("code-scrolls");
    return false;
  }
  slide.classList.add("wrap-code");
  if (shrinkCode(inner, codeFloor * 0.75)) return true;
  inner.style.setProperty("--code-scale", String(codeFloor * 0.75));
  return shrink(inner, "--fit", fitFloor / 2, anyOverflows);
}
