// A live session's event stream, as a follower's deck and the presenting deck read it: checked
// state events, and reconnection that tells a session that is over from a server that is busy.
import { readTimer } from "./timer.js";

const RETRY_FIRST_MS = 1000; // a reconnection waits double up to RETRY_MAX_MS
const RETRY_MAX_MS = 30000;

/** A checked state event: whole numbers in range, or null. */
export function readState(data, count) {
  if (!data || typeof data !== "object") return null;
  const { slide, step, seq } = data;
  if (!Number.isInteger(slide) || slide < 1 || slide > count) return null;
  return {
    slide,
    step: Number.isInteger(step) && step >= 0 ? step : 0,
    seq: Number.isInteger(seq) ? seq : null,
    blackout: data.blackout === true,
    blank: data.blackout !== true ? null : data.white === true ? "white" : "black",
    ended: data.ended === true,
    run: readRun(data.run, count),
    timer: readTimer(data.timer), // the talk's one timer: the speaker view and the remote show it
  };
}

/** The run the projector shows, as the session stores it (rendered by the server), or null. */
export function readRun(run, count) {
  if (!run || typeof run !== "object") return null;
  const { slide, sample, html, tab } = run;
  if (!Number.isInteger(slide) || slide < 1 || slide > count || !Number.isInteger(sample)) return null;
  if (typeof html !== "string" || typeof run.ok !== "boolean") return null;
  return { slide, sample, html, ok: run.ok, tab: typeof tab === "string" ? tab : "" };
}

/** How long a 429 or 503 asks to wait (Retry-After, in seconds or as a date), in ms; 0 if it does not. */
function retryAfterMs(response) {
  const value = response?.headers.get("Retry-After") || "";
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : 0;
}

/**
 * The event stream: `onState(state)`, `onRun(data)`, `onPointer(data)` (the speaker's pointer),
 * `onConnection(open)`, and `onClosed(text)`
 * once when the session ends. The browser reconnects by itself (sending Last-Event-ID); when it
 * gives up (the server answered an error), the state is asked for: only 404 and 410 end it, any
 * other answer or none is tried again later, each wait longer, as long as Retry-After asks.
 * Returns {close()}.
 */
export function listen(eventsUrl, stateUrl, count, handlers) {
  let source = null;
  let closed = false;
  let failures = 0;
  const open = () => {
    if (!closed) source = connect(eventsUrl, stateUrl, count, handlers, retry);
  };
  function retry(response) {
    if (closed) return;
    const backoff = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures);
    failures += 1;
    const wait = Math.max(retryAfterMs(response), backoff * (0.5 + Math.random() / 2));
    setTimeout(open, Math.min(wait, 5 * RETRY_MAX_MS));
  }
  const connected = handlers.onConnection;
  handlers = {
    ...handlers,
    onConnection(open) {
      if (open) failures = 0;
      connected?.(open);
    },
  };
  open();
  return {
    close() {
      closed = true;
      source?.close();
    },
  };
}

function connect(eventsUrl, stateUrl, count, { onState, onRun, onPointer, onClosed, onConnection }, retry) {
  const source = new EventSource(eventsUrl);
  source.addEventListener("open", () => onConnection?.(true));
  source.addEventListener("state", (event) => {
    let data = null;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    const state = readState(data, count);
    if (!state) return;
    state.seq = Number(event.lastEventId) || state.seq;
    onState(state);
    if (state.ended) {
      source.close();
      onClosed("The live session has ended.");
    }
  });
  source.addEventListener("run", (event) => {
    try {
      onRun?.(JSON.parse(event.data));
    } catch {
      // Not JSON: ignore.
    }
  });
  source.addEventListener("pointer", (event) => {
    try {
      onPointer?.(JSON.parse(event.data));
    } catch {
      // Not JSON: ignore.
    }
  });
  source.addEventListener("error", async () => {
    onConnection?.(false);
    if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    // The browser gave up (an error answer): ask whether the session is over or the server busy.
    let response = null;
    try {
      response = await fetch(stateUrl, { headers: { Accept: "application/json" } });
    } catch {
      return retry(null); // unreachable
    }
    if (response.status === 404 || response.status === 410) {
      let body = {};
      try {
        body = await response.json();
      } catch {
        // A proxy's page: the status says enough.
      }
      onClosed(body.error || "The live session has ended.");
    } else retry(response); // 429, 503, a proxy's 502…: a passing fault
  });
  return source;
}
