// The speaker view: current and next slide, notes, timer, clock and the time budget per era.
import { applyTheme, clamp, fitSlide, savedTheme, showInAddress } from "./deck-core.js";
import { wireDeckWindow } from "./deck-keys.js";
import { slideStore } from "./deck-slides.js";
import { copyOfSlide, findPanes, showNext } from "./panes.js";
import { slideSteps } from "./slide-steps.js";
import { formatClock, formatDuration, makeTimer } from "./timer.js";

const root = document.getElementById("deck");

/** Seconds from the start at which the plan reaches each slide (`data-plan`), or null. */
function readPlan(table, count) {
  const plan = (table?.dataset.plan || "").split(" ").filter(Boolean).map(Number);
  return plan.length === count && plan.every(Number.isFinite) ? plan : null;
}

if (root) {
  applyTheme(savedTheme());
  const store = root.querySelector(".slide-store");
  // The first slides and notes are on the page; the rest arrive in parts (deck-slides.js).
  const parts = slideStore(root, store, { notes: true, onArrive: arrived });
  const { slides, notes } = parts;
  const count = slides.length;
  const panes = findPanes(root);
  const counter = root.querySelector("[data-current]");
  const announcer = root.querySelector("[data-announcer]");
  const endNote = root.querySelector("[data-end]");
  const budgetRows = [...root.querySelectorAll(".budget tbody tr")];
  const pace = root.querySelector("[data-pace]");
  const plan = readPlan(root.querySelector(".budget"), count);
  let current = 0;
  let step = 0; // the build step within the current slide, 0..its last (slide-steps.js)
  let wanted = 0; // the step asked for: a slide still on its way shows it once here
  const stepOut = root.querySelector("[data-step-counter]");
  const nextStepOut = root.querySelector("[data-next-step]");

  const { channel, runPanel, actions, start } = wireDeckWindow(root, {
    store: parts,
    go,
    current: () => current,
    currentStep: () => step,
    // The speaker's own screen stays lit; it says what the audience sees.
    blank: { cover: false, status: root.querySelector("[data-blank-status]") },
    // L goes live here too: live.js shows the remote's QR code in this window, not the audience's.
    live: () => root.dispatchEvent(new CustomEvent("deck:live")),
    timer: () => timerAction(timer.running ? "pause" : "start"),
  });

  /** Step k of the current slide, "Step k of n" (as the remote says it), and what → brings next. */
  function showStep(k, { broadcast = true } = {}) {
    wanted = k;
    const steps = slideSteps(slides[current - 1]);
    step = Math.min(Math.max(0, Number(k) || 0), steps.last);
    steps.apply(step);
    stepOut.hidden = steps.last === 0;
    stepOut.textContent = `Step ${step} of ${steps.last}`;
    const coming = steps.label(step + 1);
    nextStepOut.hidden = !coming;
    nextStepOut.textContent = coming ? `Next step: ${coming}` : "";
    root.classList.toggle("step-pending", Boolean(coming));
    if (broadcast) channel.send(current, step);
  }

  function go(n, { broadcast = true, step: k = 0 } = {}) {
    const next = clamp(Number(n) || 1, count);
    if (next === current) {
      if (k !== step) showStep(k, { broadcast });
      return;
    }
    runPanel?.close({ broadcast: false });
    current = next;
    // The current slide is the real element (moved, so a Run button keeps working);
    // the next one is an inert copy.
    store.prepend(...panes.current.children);
    store.append(...panes.notes.children);
    panes.current.append(slides[current - 1]);
    panes.notes.append(notes[current - 1]);
    showNextSlide();
    showStep(k, { broadcast: false });
    fitSlide(slides[current - 1]);
    counter.textContent = String(current);
    announcer.textContent = `Slide ${current} of ${count}: ${slides[current - 1].dataset.title}`;
    showInAddress(current);
    document.title = `Speaker ${current}/${count} · historyweb`;
    updateBudget();
    if (broadcast) channel.send(current, step);
    parts.near(current);
  }

  function showNextSlide() {
    const following = slides[current];
    showNext(panes, following ? copyOfSlide(following) : null, endNote);
    if (following) fitSlide(panes.next.firstElementChild);
  }

  /** Slides just arrived (each took its placeholder's place, in a pane or in the store). */
  function arrived(numbers) {
    if (numbers.includes(current)) {
      showStep(wanted, { broadcast: false });
      fitSlide(slides[current - 1]);
    }
    if (numbers.includes(current + 1)) showNextSlide();
  }

  // ---- Timer, clock and pace ----
  const timer = makeTimer(`historyweb-timer:${root.dataset.channel}`);
  const elapsedOut = root.querySelector("[data-elapsed]");
  const toggle = root.querySelector("[data-timer='toggle']");
  const clock = root.querySelector("[data-clock]");

  for (const cell of root.querySelectorAll("[data-duration]")) {
    cell.textContent = formatDuration(Number(cell.dataset.duration));
  }

  /** The current era's row, scrolled into the budget's own box (the view never scrolls). */
  const budgetBox = root.querySelector(".speaker-budget");
  let shownRow = null;
  function keepInView(row) {
    if (row === shownRow || !row) return;
    shownRow = row;
    const box = budgetBox.getBoundingClientRect();
    const top = box.top + (row.closest("table").tHead?.offsetHeight || 0);
    const { top: rowTop, bottom: rowBottom } = row.getBoundingClientRect();
    if (rowTop < top) budgetBox.scrollTop -= top - rowTop;
    else if (rowBottom > box.bottom) budgetBox.scrollTop += rowBottom - box.bottom;
  }

  function updateBudget() {
    if (!budgetRows.length) return;
    const elapsed = timer.elapsedSeconds();
    let planned = null;
    for (const row of budgetRows) {
      const first = Number(row.dataset.first);
      const last = Number(row.dataset.last);
      const start = Number(row.dataset.start);
      const budget = Number(row.dataset.budget);
      const here = current >= first && current <= last;
      row.classList.toggle("is-current", here);
      if (here) {
        row.setAttribute("aria-current", "true");
        keepInView(row);
        // The plan weighs each slide (steps and runs take longer); without it, split evenly.
        planned = plan ? plan[current - 1] : start + (budget * (current - first)) / (last - first + 1);
      } else {
        row.removeAttribute("aria-current");
      }
      row.classList.toggle("is-over", current <= last && elapsed > start + budget);
    }
    if (pace && planned !== null && !timer.running && !elapsed) {
      pace.textContent = `Plan for this slide: ${formatDuration(planned)} · start the timer`;
      pace.classList.remove("behind", "ahead");
    } else if (pace && planned !== null) {
      const drift = elapsed - planned;
      const words =
        Math.abs(drift) < 15
          ? "on time"
          : drift > 0
            ? `${formatDuration(drift)} behind`
            : `${formatDuration(-drift)} ahead`;
      pace.textContent = `Plan for this slide: ${formatDuration(planned)} · ${words}`;
      pace.classList.toggle("behind", drift >= 15);
      pace.classList.toggle("ahead", drift <= -15);
    }
  }

  function tick() {
    elapsedOut.textContent = formatDuration(timer.elapsedSeconds(), Math.floor);
    toggle.textContent = timer.running ? "Pause" : timer.elapsedSeconds() ? "Resume" : "Start";
    clock.textContent = formatClock();
    updateBudget();
  }
  // Live, the timer is the session's (live-panel.js): the remote shows the same one, and only
  // the server's answer changes it here. Otherwise, or when the server cannot be reached, it
  // is this view's own.
  let shared = false;
  root.addEventListener("deck:timer", (event) => {
    shared = Boolean(event.detail);
    if (event.detail) timer.adopt(event.detail);
    tick();
  });
  function timerAction(action) {
    const here = () => {
      timer[action]();
      tick();
    };
    if (shared) root.dispatchEvent(new CustomEvent("deck:timer-action", { detail: { action, fallback: here } }));
    else here();
  }
  root.querySelector(".speaker-timer").addEventListener("click", (event) => {
    const action = event.target.closest("[data-timer]")?.dataset.timer;
    if (action === "toggle") timerAction(timer.running ? "pause" : "start");
    if (action === "reset") timerAction("reset");
  });
  setInterval(tick, 250);

  // ---- Keys and overlays (wireDeckWindow), as in the audience window ----
  root.querySelector("[data-action='help']").addEventListener("click", actions.help);
  root.querySelector("[data-action='live']")?.addEventListener("click", actions.live);

  start();
  tick();
  setTimeout(parts.fill, 1000); // every slide soon after opening: the talk outlasts the server
  window.addEventListener("resize", () => {
    fitSlide(slides[current - 1]);
    if (panes.next.firstElementChild) fitSlide(panes.next.firstElementChild);
    runPanel.replace();
  });
}
