/* The presenter's timer and clock, shared by the speaker view and the remote. In a live
   session the timer is the session's (live/timer.py): both show what the server last said. */

/** "m:ss", or "h:mm:ss" past an hour; negative durations get a minus sign. */
export function formatDuration(totalSeconds, round = Math.round) {
  const sign = totalSeconds < 0 ? "-" : "";
  const seconds = Math.abs(round(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h ? `${sign}${h}:${String(m).padStart(2, "0")}:${s}` : `${sign}${m}:${s}`;
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** The time of day, as the reader's locale writes hours and minutes. */
export function formatClock(date = new Date()) {
  return clockFormat.format(date);
}

/** Elapsed time that survives a reload of the page (kept in localStorage under `key`). */
export function makeTimer(key) {
  let state = { running: false, startedAt: 0, banked: 0 };
  try {
    const saved = JSON.parse(localStorage.getItem(key) || "null");
    if (saved && typeof saved.banked === "number" && typeof saved.startedAt === "number") {
      state = { running: saved.running === true, startedAt: saved.startedAt, banked: saved.banked };
    }
  } catch {
    // A damaged or refused store starts the timer afresh.
  }
  const save = () => {
    try {
      localStorage.setItem(key, JSON.stringify(state));
    } catch {
      // Storage refused: the timer still runs for this page.
    }
  };
  return {
    get running() {
      return state.running;
    },
    elapsedSeconds() {
      const live = state.running ? Date.now() - state.startedAt : 0;
      return Math.max(0, (state.banked + live) / 1000);
    },
    start() {
      if (state.running) return;
      state = { ...state, running: true, startedAt: Date.now() };
      save();
    },
    pause() {
      if (!state.running) return;
      state = { running: false, startedAt: 0, banked: state.banked + Date.now() - state.startedAt };
      save();
    },
    toggle() {
      if (state.running) this.pause();
      else this.start();
    },
    reset() {
      state = { running: false, startedAt: 0, banked: 0 };
      save();
    },
    /** The live session's timer (readTimer): shown from now on, counting on from here. */
    adopt({ running, elapsedMs }) {
      state = { running, startedAt: running ? Date.now() : 0, banked: elapsedMs };
      save();
    },
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The timer in a live session's state ({running, elapsed_ms}), checked, or null. */
export function readTimer(data) {
  if (!data || typeof data !== "object" || typeof data.running !== "boolean") return null;
  const ms = data.elapsed_ms;
  if (!Number.isInteger(ms) || ms < 0 || ms > 7 * DAY_MS) return null;
  return { running: data.running, elapsedMs: ms };
}
