// The remote: a phone held in one hand steers the presenting deck and every follower.
// Big Next and Previous at the thumb, swipe on the slides, blackout, jump, run on the
// projector; the current and next slide (with build steps), notes, a timer and the clock.
// The server holds the truth: each move is a POST, and the event stream brings back the
// state that every window shows, including moves made on the laptop.
import { applyTheme, bindSwipe, fitSlide, savedTheme } from "./deck-core.js";
import { copyOfSlide, findPanes, showNext } from "./panes.js";
import { formatClock, formatDuration, makeTimer } from "./timer.js";

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
  const counter = root.querySelector("[data-current]");
  const stepOut = root.querySelector("[data-step]");
  const status = root.querySelector("[data-status]");
  const endNote = root.querySelector("[data-end]");
  const blackoutButton = root.querySelector("[data-blackout]");
  const runs = root.querySelector("[data-runs]");
  const buttons = [...root.querySelectorAll("button, input")];
  let state = { slide: Number(counter.textContent) || 1, step: 0, blackout: false };
  let seq = -1;
  let ended = false;

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

  const say = (text) => {
    status.textContent = text;
  };

  function close(text) {
    ended = true;
    say(text);
    for (const control of buttons) control.disabled = true;
    root.classList.add("is-ended");
  }

  async function send(url, body) {
    if (ended) return null;
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
      });
    } catch {
      say("Not sent: the laptop cannot be reached. Same Wi-Fi?");
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
    return response.ok ? data : null;
  }

  // Moves go out one at a time; a tap while one is in flight moves on from where that lands.
  let target = null;
  let inFlight = false;
  async function moveTo(position) {
    if (!position || ended) return;
    target = position;
    state = { ...state, ...position };
    render();
    if (inFlight) return;
    inFlight = true;
    while (target) {
      const next = target;
      target = null;
      const data = await send(root.dataset.stateUrl, { slide: next.slide, step: next.step });
      if (data && data.seq > seq) seq = data.seq;
    }
    inFlight = false;
  }

  const next = () => moveTo(neighbour(state, 1));
  const prev = () => moveTo(neighbour(state, -1));

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

  blackoutButton.addEventListener("click", async () => {
    const wanted = !state.blackout;
    const data = await send(root.dataset.stateUrl, { blackout: wanted });
    if (data) {
      state.blackout = data.blackout;
      render();
      say(data.blackout ? "The projector is black." : "The slides are showing again.");
    }
  });

  runs.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-run]");
    if (!button) return;
    const data = await send(root.dataset.runUrl, { sample: Number(button.dataset.run) });
    if (data) say("Running on the projector.");
  });

  root.querySelector("[data-end-session]").addEventListener("click", async () => {
    if (!window.confirm("End the live session? Followers keep the deck to read.")) return;
    const data = await send(root.dataset.endUrl, {});
    if (data) close("The live session has ended. Followers keep the deck to read.");
  });

  // ---- The event stream: moves made elsewhere (the laptop's keys) show here too ----
  const source = new EventSource(root.dataset.eventsUrl);
  source.addEventListener("open", () => say("Connected: steering the deck."));
  source.addEventListener("state", (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    const id = Number(event.lastEventId);
    if (id <= seq || !Number.isInteger(data.slide) || data.slide < 1 || data.slide > count) return;
    seq = id;
    if (data.ended) {
      source.close();
      close("The live session has ended.");
      return;
    }
    if (inFlight || target) return; // our own move is on its way; its answer wins
    state = { slide: data.slide, step: Number.isInteger(data.step) ? data.step : 0, blackout: !!data.blackout };
    render();
  });
  source.addEventListener("error", async () => {
    if (ended) return;
    say("Reconnecting…");
    if (source.readyState !== EventSource.CLOSED) return;
    try {
      const response = await fetch(root.dataset.stateUrl);
      if (response.status === 410) close((await response.json()).error);
    } catch {
      // Offline: the status already says so.
    }
  });

  // ---- Timer and clock (the timer survives a reload of the remote) ----
  const timer = makeTimer(`historyweb-remote-timer:${root.dataset.stateUrl}`);
  const timerButton = root.querySelector("[data-timer]");
  const elapsedOut = root.querySelector("[data-elapsed]");
  const clock = root.querySelector("[data-clock]");
  timerButton.addEventListener("click", () => {
    timer.toggle();
    tick();
  });
  function tick() {
    elapsedOut.textContent = formatDuration(timer.elapsedSeconds(), Math.floor);
    timerButton.classList.toggle("is-running", timer.running);
    clock.textContent = formatClock();
  }
  setInterval(tick, 500);
  tick();

  render();
  window.addEventListener("resize", render);
}
