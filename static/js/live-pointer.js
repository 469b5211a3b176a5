// The speaker's pointer: a dot that the projector and every follower draw where the speaker
// points (a finger on the remote's slide, the mouse over the speaker view's slide, the mouse
// held down on the projected slide). Positions are shares of the slide (0 to 1), so they
// land on the same spot on any screen. Pointer moves are news only: the server stores nothing
// and passes on the latest (timeline/live/pointer.py).

const IDLE_MS = 2000; // no news for this long: the dot goes
const SEND_EVERY_MS = 34; // at most ~30 moves a second leave the sender
const IN_FLIGHT = 2;

/** A pointer event's data, checked: {slide, x, y} or {slide, hidden: true}, else null. */
export function readPointer(data, count) {
  if (!data || typeof data !== "object") return null;
  const { slide, x, y } = data;
  if (!Number.isInteger(slide) || slide < 1 || slide > count) return null;
  if (data.hidden === true) return { slide, hidden: true };
  const share = (value) => typeof value === "number" && value >= 0 && value <= 1;
  return share(x) && share(y) ? { slide, x, y } : null;
}

/** The dot, drawn on the element `slideOf(number)` answers (null: not shown here). */
export function pointerDot(slideOf) {
  let dot = null;
  let idle = null;
  function hide() {
    clearTimeout(idle);
    dot?.remove();
  }
  function show(pointer) {
    const slide = pointer && !pointer.hidden ? slideOf(pointer.slide) : null;
    if (!slide) return hide();
    if (!dot) {
      dot = document.createElement("div");
      dot.className = "live-pointer";
      dot.setAttribute("aria-hidden", "true");
    }
    dot.style.setProperty("--x", String(pointer.x));
    dot.style.setProperty("--y", String(pointer.y));
    if (dot.parentElement !== slide) slide.append(dot);
    clearTimeout(idle);
    idle = setTimeout(hide, IDLE_MS);
  }
  return { show, hide };
}

/**
 * Sends pointer positions with `post(body)` (a promise): at most one every SEND_EVERY_MS and
 * IN_FLIGHT at a time (so a slow answer does not slow the pointer), only the latest position
 * of those made meanwhile. Each carries this page's sender id and its count of moves: the
 * server passes on only a higher count, so requests that overtake each other end on the last.
 */
export function pointerSender(post) {
  const sender = Math.random().toString(36).slice(2, 12) || "pointer";
  let n = 0;
  let latest = null;
  let busy = 0;
  let timer = null;
  let last = -Infinity;
  async function go() {
    timer = null;
    if (!latest) return;
    const body = { ...latest, sender, n: (n += 1) };
    latest = null;
    busy += 1;
    last = performance.now();
    schedule();
    try {
      await post(body);
    } catch {
      // Lost: the next position says where the pointer is.
    }
    busy -= 1;
    schedule();
  }
  function schedule() {
    if (busy >= IN_FLIGHT || timer || !latest) return;
    timer = setTimeout(go, Math.max(0, last + SEND_EVERY_MS - performance.now()));
  }
  return {
    move(slide, x, y) {
      latest = { slide, x, y };
      schedule();
    },
    hide(slide) {
      latest = { slide, hidden: true };
      schedule();
    },
  };
}

/**
 * A finger (or a held mouse button) on `area` points at the slide `slideElement()` shows, which
 * is slide number `slideNumber()`; lifting it or leaving the slide hides the pointer. With
 * `hover`, the mouse points without a button held (a window the room does not see). A press
 * that starts on `ignore` (a button, an editor) is its own, not a pointer's. With `mouseOnly`,
 * touches keep their own meaning (a swipe on the deck).
 */
export function trackPointer(area, slideElement, slideNumber, sender, options = {}) {
  const { hover = false, ignore = null, mouseOnly = false } = options;
  let pressed = false;
  let shown = false;
  if (!mouseOnly) area.style.touchAction = "none"; // a drag points; it does not scroll the page
  function at(event) {
    const rect = slideElement()?.getBoundingClientRect();
    if (!rect || !rect.width || !rect.height) return null;
    const x = (event.clientX - rect.left) / rect.width;
    const y = (event.clientY - rect.top) / rect.height;
    return x >= 0 && x <= 1 && y >= 0 && y <= 1 ? { x, y } : null;
  }
  function moved(event) {
    const mouse = event.pointerType === "mouse";
    if (pressed && mouse && !event.buttons) {
      pressed = false; // let go outside the area
      area.classList.remove("is-pointing");
    }
    if (!pressed && !(hover && mouse)) return lift();
    const position = at(event);
    if (position) {
      shown = true;
      sender.move(slideNumber(), position.x, position.y);
    } else lift();
  }
  function lift() {
    if (shown) sender.hide(slideNumber());
    shown = false;
  }
  area.addEventListener("pointerdown", (event) => {
    if (ignore && event.target.closest?.(ignore)) return;
    if (mouseOnly && event.pointerType !== "mouse") return;
    pressed = true;
    area.classList.add("is-pointing"); // no text selected by the drag
    // A finger keeps pointing off the area; a mouse is not captured, so the click it makes
    // still lands where it was pressed.
    if (event.pointerType !== "mouse") area.setPointerCapture?.(event.pointerId);
    moved(event);
  });
  area.addEventListener("pointermove", moved);
  area.addEventListener("pointerleave", () => {
    if (!pressed) lift();
  });
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) {
    area.addEventListener(name, () => {
      pressed = false;
      area.classList.remove("is-pointing");
      lift();
    });
  }
  // A drag on the slide points: it is not a swipe to the next slide.
  for (const name of mouseOnly ? [] : ["touchstart", "touchend"]) {
    area.addEventListener(name, (event) => event.stopPropagation(), { passive: true });
  }
}

/** A sender for a deck window of the speaker's: posts with the control key of `liveOf()`
 * (nothing while it is not live), by `postJson(url, body, headers)` with `token()`'s CSRF token. */
export function keyedSender(liveOf, token, postJson) {
  return pointerSender(async (body) => {
    const live = liveOf();
    if (!live?.urls?.pointer) return;
    await postJson(live.urls.pointer, body, { "X-CSRFToken": await token(), "X-Live-Key": live.key });
  });
}
