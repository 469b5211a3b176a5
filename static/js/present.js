// The audience deck: one slide at a time on a 16:9 stage, following the speaker view.
import {
  applyTheme,
  bindSwipe,
  clamp,
  fitSlide,
  savedTheme,
  showInAddress,
  toggleTheme,
} from "./deck-core.js";
import { wireStageEdit } from "./deck-edit.js";
import { wireDeckWindow } from "./deck-keys.js";
import { slideStore } from "./deck-slides.js";
import { slideSteps } from "./slide-steps.js";

const deck = document.getElementById("deck");

if (deck) {
  applyTheme(savedTheme());
  // The first slides are on the page; the rest arrive in parts (deck-slides.js).
  const store = slideStore(deck, deck.querySelector(".stage"), { onArrive: arrived });
  const { slides } = store;
  const count = slides.length;
  const counter = deck.querySelector("[data-current]");
  const bar = deck.querySelector(".progress-bar");
  const announcer = deck.querySelector("[data-announcer]");
  let current = 0;
  let step = 0; // the build step within the current slide, 0..its last (slide-steps.js)
  let wanted = 0; // the step asked for: a slide still on its way shows it once here
  let wantedBy = "local"; // who asked for it (a follower must not take it for browsing away)

  // Edit on a slide takes the stage; leaving it lays the slide out again.
  const stageEdit = wireStageEdit(deck, { onChange: () => refit() });

  // A follower's deck (live.js) has no channel: nothing it does may move another window.
  // The projector's typed numbers and notes go to the speaker view (deck-keys.js); a
  // follower's deck shows its own.
  const { channel, blank, runPanel, actions, start, say } = wireDeckWindow(deck, {
    store,
    projector: deck.dataset.liveRole === "present",
    go,
    current: () => current,
    currentStep: () => step,
    blank: { onChange: (mode) => deck.dispatchEvent(new CustomEvent("deck:blanked", { detail: { mode } })) },
    speaker: openSpeaker,
    theme: () => say("toast", `${toggleTheme() === "dark" ? "Dark" : "Light"} theme`),
    live: () => deck.dispatchEvent(new CustomEvent("deck:live")),
    leave: () => stageEdit.stop(),
  });
  // live.js blacks the screen at the remote's word (the speaker view follows, as for B).
  deck.addEventListener("deck:blank", (event) => blank.set(event.detail.mode));
  // live.js shows a follower the run the projector shows (a message shaped as the other window's).
  deck.addEventListener("deck:show-run", (event) => runPanel?.receive(event.detail));

  /** Step k of the current slide (clamped); every window shows the same step. */
  function showStep(k, { broadcast = true } = {}) {
    wanted = k;
    const steps = slideSteps(slides[current - 1]);
    step = Math.min(Math.max(0, Number(k) || 0), steps.last);
    steps.apply(step);
    deck.dataset.step = `${step}/${steps.last}`;
    if (broadcast) channel.send(current, step);
  }

  function go(n, { broadcast = true, step: k = 0, source = "local" } = {}) {
    wantedBy = source;
    const next = clamp(Number(n) || 1, count);
    if (next === current) {
      if (k === step) return;
      showStep(k, { broadcast });
      deck.dispatchEvent(new CustomEvent("deck:moved", { detail: { slide: current, step, source } }));
      return;
    }
    runPanel?.close({ broadcast: false }); // each window closes its own on the way
    stageEdit.stop();
    slides[current - 1]?.classList.remove("is-current");
    slides[current - 1]?.setAttribute("aria-hidden", "true");
    current = next;
    const slide = slides[current - 1];
    slide.classList.add("is-current");
    slide.removeAttribute("aria-hidden");
    showStep(k, { broadcast: false });
    fitSlide(slide);
    counter.textContent = String(current);
    bar.style.transform = `scaleX(${count > 1 ? (current - 1) / (count - 1) : 1})`;
    announcer.textContent = `Slide ${current} of ${count}: ${slide.dataset.title}`;
    showInAddress(current);
    document.title = `${current}/${count} ${slide.dataset.title} · historyweb`;
    if (broadcast) channel.send(current, step);
    store.near(current);
    // live.js listens: a presenting deck publishes the move, a follower notes it browsed away.
    deck.dispatchEvent(new CustomEvent("deck:moved", { detail: { slide: current, step, source } }));
  }

  /** Slides just arrived from the server: the current one, if among them, shows its step. */
  function arrived(numbers) {
    if (!numbers.includes(current)) return;
    const before = step;
    showStep(wanted, { broadcast: false });
    fitSlide(slides[current - 1]);
    // ← onto a slide still on its way asked for its last step: now known, the session hears it.
    if (step !== before) deck.dispatchEvent(new CustomEvent("deck:moved", { detail: { slide: current, step, source: wantedBy } }));
  }

  // live.js asks for moves from the remote; the speaker view in this browser follows too.
  deck.addEventListener("deck:goto", (event) =>
    go(event.detail.slide, { source: "live", step: Number(event.detail.step) || 0 }),
  );

  // A window of its own, not a tab of this one: a tab would open on the projector, notes and all.
  function openSpeaker() {
    if (!deck.dataset.speakerUrl) return;
    const url = `${deck.dataset.speakerUrl}#/${current}`;
    const width = Math.round(Math.min(screen.availWidth, 1366) * 0.9);
    const height = Math.round(Math.min(screen.availHeight, 900) * 0.9);
    const features = `popup=yes,width=${width},height=${height},left=40,top=40`;
    const speaker = window.open(url, "historyweb-speaker", features);
    // No speaker view to tell: this one note shows here.
    if (!speaker) say("toast", "The browser blocked the new window: use the Speaker view button instead.", { here: true });
  }

  bindSwipe(deck.querySelector(".stage"), actions);

  deck.querySelector(".controls").addEventListener("click", (event) => {
    const control = event.target.closest("[data-action]");
    if (!control) return;
    if (control.dataset.action === "speaker") {
      event.preventDefault();
      openSpeaker();
      return;
    }
    actions[control.dataset.action]?.();
  });

  // Controls fade out after a few seconds without the mouse; moving it brings them back.
  let idleTimer = null;
  const wake = () => {
    deck.classList.remove("idle");
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => deck.classList.add("idle"), 3000);
  };
  for (const type of ["mousemove", "pointerdown", "touchstart"]) {
    document.addEventListener(type, wake, { passive: true });
  }
  wake();

  slides.forEach((slide) => slide.setAttribute("aria-hidden", "true"));
  start();
  // The presenter's window fetches every slide soon after it opens (a follower's, only near).
  if (deck.dataset.liveRole !== "follow") setTimeout(store.fill, 1000);
  function refit() {
    if (!deck.classList.contains("is-editing")) fitSlide(slides[current - 1]);
    stageEdit.refit();
    runPanel?.replace();
  }
  window.addEventListener("resize", refit);
  // The first fit may run before the system fonts settle.
  document.fonts?.ready.then(refit);
}
