// The remote: a phone held in one hand steers the presenting deck and every follower.
// Big Next and Previous at the thumb, swipe on the slides, blackout, jump, run on the
// projector; the current and next slide (with build steps), notes, a timer and the clock.
// The server holds the truth: each move is a POST based on the state this remote last heard
// (its sequence number), and only the server's answer moves the remote; a move based on a
// stale state is refused and the remote shows the state now. The event stream brings the
// moves made elsewhere (the laptop's keys). While the server cannot be reached, the remote
// says "Reconnecting…" and its controls are off, then it shows the state as it is.
import { applyTheme, bindSwipe, fitSlide, savedTheme } from "./deck-core.js";
import { parts } from "./dom.js";
import { copyOfSlide, findPanes, showNext } from "./panes.js";
import { pointerSender, trackPointer } from "./live-pointer.js";
import { readRun } from "./live-stream.js";
import { renderResult } from "./run-result.js";
import { formatClock, formatDuration, makeTimer, readTimer } from "./timer.js";

const root = document.getElementById("remote");

if (root) {
  applyTheme(savedTheme());
  const key = new URLSearchParams(location.search).get("key") || "";
  const layout = JSON.parse(document.getElementById("live-layout").textContent);
  const count = layout.length;
  const store = root.querySelector(".slide-store");
  const slides = [...store.querySelectorAll(":scope > .deck-slide")];
  const notes = [...store.querySelectorAll(":scope > [data-notes]")];
  const panes = findPanes(root);
  const { counter, stepOut, status, endNote, blackoutButton, runs, runOutput, runBody } = parts(root, {
    runOutput: "[data-run-output]",
    runBody: "[data-run-body]",
    counter: "[data-current]",
    stepOut: "[data-step]",
    status: "[data-status]",
    endNote: "[data-end]",
    blackoutButton: "[data-blackout]",
    runs: "[data-runs]",
  });
  const buttons = [...root.querySelectorAll("button, input")];
  const POST_TIMEOUT_MS = 3000;
  const PROBE_MS = 1500;
  // The state as the server last said, and its sequence number: the page was made from it.
  let state = {
    slide: Number(counter.textContent) || 1,
    step: Number(root.dataset.step) || 0,
    blackout: root.dataset.blackout === "true",
    run: null,
  };
  let seq = Number.isInteger(Number(root.dataset.seq)) ? Number(root.dataset.seq) : -1;
  let ended = false;
  let offline = false;

  const stepsOf = (slide) => layout[slide - 1]?.steps || 0;

  /** Where Next (+1) or Previous (-1) leads: through the build steps, then to the next slide. */
  function neighbour({ slide, step }, direction) {
    if (direction > 0) {
      if (step < stepsOf(slide)) return { slide, step: step + 1 };
      return slide < count ? { slide: slide + 1, step: 0 } : null;
    }
    if (step > 0) return { slide, step: step - 1 };
    return slide > 1 ? { slide: slide - 1, step: stepsOf(slide - 1) } : null;
  }

  function copyOf(slide, step) {
    const copy = copyOfSlide(slides[slide - 1]);
    copy.dataset.step = String(step);
    return copy;
  }

  function render() {
    const { slide, step } = state;
    counter.textContent = String(slide);
    const steps = stepsOf(slide);
    stepOut.textContent = steps ? `step ${step} of ${steps}` : "";
    panes.current.replaceChildren(copyOf(slide, step));
    const following = neighbour(state, 1);
    showNext(panes, following ? copyOf(following.slide, following.step) : null, endNote);
    panes.notes.replaceChildren(...notes[slide - 1].cloneNode(true).childNodes);
    fitSlide(panes.current.firstElementChild);
    if (following) fitSlide(panes.next.firstElementChild);
    blackoutButton.setAttribute("aria-pressed", String(state.blackout));
    blackoutButton.textContent = state.blackout ? "Show the slides" : "Blackout";
    renderRuns();
    renderRunOutput();
    document.title = `Remote ${slide}/${count} · historyweb`;
  }

  function renderRuns() {
    const runnable = layout[state.slide - 1]?.samples || [];
    const items = runnable.map((pk) => {
      const sample = slides[state.slide - 1].querySelector(`.sample[data-sample="${pk}"]`);
      const title = sample?.querySelector(".sample-title")?.textContent.trim() || "the sample";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.dataset.run = String(pk);
      button.textContent = `Run “${title}” on the projector`;
      return button;
    });
    runs.replaceChildren(...items);
    runs.hidden = !items.length;
  }

  /** The run the projector shows (the server rendered it), with the tab the speaker chose. */
  let shownRun = null;
  function renderRunOutput() {
    const run = state.run?.slide === state.slide ? state.run : null;
    runOutput.hidden = !run;
    if (!run) {
      shownRun = null;
      runBody.textContent = "";
      return;
    }
    if (run.html !== shownRun) {
      shownRun = run.html;
      renderResult(runBody, { ok: run.ok, html: run.html }, "", { compare: false });
    }
    const tab = [...runBody.querySelectorAll(".run-tab")].find((button) => button.textContent === run.tab);
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
  }

  state.run = readRun(JSON.parse(document.getElementById("live-run")?.textContent || "null"), count);

  const say = (text) => {
    status.textContent = text;
  };

  function close(text) {
    ended = true;
    say(text);
    for (const control of buttons) control.disabled = true;
    root.classList.add("is-ended");
  }

  /** A checked state from the server (an answer or an event), or null. */
  function readState(data) {
    if (!data || typeof data !== "object" || !Number.isInteger(data.seq)) return null;
    if (!Number.isInteger(data.slide) || data.slide < 1 || data.slide > count) return null;
    const step = Number.isInteger(data.step) ? Math.min(Math.max(0, data.step), stepsOf(data.slide)) : 0;
    const run = readRun(data.run, count);
    const clock = readTimer(data.timer);
    return { seq: data.seq, slide: data.slide, step, blackout: data.blackout === true, ended: data.ended === true, run, clock };
  }

  /** Show the server's state if it is newer than what this remote shows. */
  function adopt(data, { force = false } = {}) {
    const next = readState(data);
    if (!next || (!force && next.seq <= seq)) return false;
    seq = next.seq;
    if (next.ended) {
      close("The live session has ended.");
      return true;
    }
    state = { slide: next.slide, step: next.step, blackout: next.blackout, run: next.run };
    if (next.clock) showTimer(next.clock);
    render();
    return true;
  }

  /** The server cannot be reached: say so, turn the controls off, and ask until it answers. */
  function goOffline() {
    if (ended) return;
    say("Reconnecting…");
    if (offline) return;
    offline = true;
    root.classList.add("is-offline");
    for (const control of buttons) control.disabled = true;
    setTimeout(probe, PROBE_MS);
  }

  async function probe() {
    if (!offline || ended) return;
    try {
      const response = await fetch(root.dataset.stateUrl, { signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
      const data = await response.json();
      if (response.status === 410) return close(data.error);
      if (response.ok) return backOnline(data);
    } catch {
      // Still unreachable.
    }
    setTimeout(probe, PROBE_MS);
  }

  function backOnline(data) {
    offline = false;
    root.classList.remove("is-offline");
    for (const control of buttons) control.disabled = false;
    adopt(data, { force: true }); // whatever happened meanwhile, show the state as it is
    say("Connected: steering the deck.");
  }

  /** POST to a control; answers {status, data}, or null when the server could not be reached. */
  async function send(url, body) {
    if (ended || offline) return null;
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": root.dataset.csrf,
          "X-Live-Key": key,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
    } catch {
      goOffline();
      return null;
    }
    if (response.status >= 502 && response.status <= 504) {
      goOffline(); // a proxy in front of a server that is down
      return null;
    }
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = { error: `The server answered ${response.status}.` };
    }
    if (response.status === 410) close(data.error);
    else if (!response.ok) say(data.error || `The server answered ${response.status}.`);
    return { status: response.status, data };
  }

  /**
   * Change the session's state (a move or blackout) from the state this remote shows. Only the
   * answer changes what it shows: made (200), or refused because the deck had moved (409),
   * which brings the state now. One request at a time; a tap meanwhile is kept as the one
   * pending move and sent from where the first lands.
   */
  let inFlight = false;
  let aimed = null; // the position the request on its way asks for
  let queued = null; // the position a tap during that request asked for
  let heard = null; // a stream event that came during a request
  async function change(body) {
    inFlight = true;
    aimed = body.slide ? { slide: body.slide, step: body.step } : null;
    const answer = await send(root.dataset.stateUrl, { ...body, seq });
    inFlight = false;
    aimed = null;
    const waiting = queued;
    queued = null;
    if (answer?.status === 200) adopt(answer.data);
    else if (answer?.status === 409) {
      adopt(answer.data);
      say(`${answer.data.error} The remote shows where the deck is now.`);
    }
    if (heard) {
      adopt(heard);
      heard = null;
    }
    if (answer?.status === 200) {
      say(body.blackout === undefined ? "Connected: steering the deck." : state.blackout ? "The projector is black." : "The slides are showing again.");
      if (waiting) change({ slide: waiting.slide, step: waiting.step });
    } else if (!offline) render();
  }

  function moveTo(position) {
    if (!position || ended || offline) return;
    if (inFlight) {
      queued = position;
      say(`Sending… then slide ${position.slide}${position.step ? `, step ${position.step}` : ""}.`);
      return;
    }
    change({ slide: position.slide, step: position.step });
  }

  /** Where a tap leads from: the pending tap's position, the one on its way, or the state shown. */
  const from = () => queued || aimed || state;
  const next = () => moveTo(neighbour(from(), 1));
  const prev = () => moveTo(neighbour(from(), -1));

  // A finger on the slide points at it on the projector and for every follower.
  const pointer = pointerSender((body) => send(root.dataset.pointerUrl, body));
  trackPointer(root.querySelector(".remote-now"), () => panes.current.firstElementChild, () => state.slide, pointer);

  root.querySelector(".remote-pad").addEventListener("click", (event) => {
    const move = event.target.closest("[data-move]")?.dataset.move;
    if (move === "next") next();
    if (move === "prev") prev();
  });
  bindSwipe(root.querySelector(".remote-main"), { next, prev });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest?.("input, textarea")) return;
    if (event.key === "ArrowRight" || event.key === "PageDown") next();
    if (event.key === "ArrowLeft" || event.key === "PageUp") prev();
  });

  root.querySelector("[data-jump]").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.target.elements.slide;
    const slide = Number(input.value);
    if (!Number.isInteger(slide) || slide < 1 || slide > count) {
      say(`Choose a slide from 1 to ${count}.`);
      return;
    }
    input.value = "";
    input.blur();
    moveTo({ slide, step: 0 });
  });

  blackoutButton.addEventListener("click", () => {
    if (inFlight || ended || offline) return;
    change({ blackout: !state.blackout });
  });

  runs.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-run]");
    if (!button) return;
    const answer = await send(root.dataset.runUrl, { sample: Number(button.dataset.run) });
    if (answer?.status === 202) say("Running on the projector.");
  });

  root.querySelector("[data-end-session]").addEventListener("click", async () => {
    if (!window.confirm("End the live session? Followers keep the deck to read.")) return;
    const answer = await send(root.dataset.endUrl, {});
    if (answer?.status === 200) close("The live session has ended. Followers keep the deck to read.");
  });

  // ---- The event stream: moves made elsewhere (the laptop's keys) show here too ----
  const source = new EventSource(root.dataset.eventsUrl);
  source.addEventListener("open", () => {
    if (offline) probe(); // back: ask for the state as it is now
    else if (!ended) say("Connected: steering the deck.");
  });
  source.addEventListener("state", (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    data.seq = Number(event.lastEventId);
    if (inFlight) heard = data; // our own move is on its way; its answer comes first
    else adopt(data);
    if (data.ended === true) source.close();
  });
  source.addEventListener("error", async () => {
    if (ended) return;
    if (source.readyState !== EventSource.CLOSED) {
      goOffline(); // the browser reconnects the stream by itself
      return;
    }
    try {
      const response = await fetch(root.dataset.stateUrl);
      if (response.status === 410) close((await response.json()).error);
      else goOffline();
    } catch {
      goOffline();
    }
  });

  // ---- Timer and clock: the session's one timer, which the speaker view shows too ----
  const timer = makeTimer(`historyweb-remote-timer:${root.dataset.stateUrl}`);
  const timerButton = root.querySelector("[data-timer]");
  const elapsedOut = root.querySelector("[data-elapsed]");
  const clock = root.querySelector("[data-clock]");
  /** The session's timer as the server said (an answer, an event, this page). */
  function showTimer(told) {
    timer.adopt(told);
    tick();
  }
  timerButton.addEventListener("click", async () => {
    // Only the server's answer changes it: the speaker view and this phone show one time.
    const answer = await send(root.dataset.timerUrl, { action: timer.running ? "pause" : "start" });
    if (answer?.status === 200) adopt(answer.data);
  });
  function tick() {
    elapsedOut.textContent = formatDuration(timer.elapsedSeconds(), Math.floor);
    timerButton.classList.toggle("is-running", timer.running);
    clock.textContent = formatClock();
  }
  setInterval(tick, 500);
  showTimer(
    readTimer({ running: root.dataset.timerRunning === "true", elapsed_ms: Number(root.dataset.timerMs) }) || {
      running: false,
      elapsedMs: 0,
    },
  );

  render();
  window.addEventListener("resize", render);
}
