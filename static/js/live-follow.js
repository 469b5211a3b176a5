// A follower's deck: it follows the speaker (the slide, the blank screen, the run's result and
// its tab) until its reader browses away, then offers "Back to live". present.js owns the
// slides: it tells of moves ("deck:moved") and takes ours ("deck:goto", "deck:blank",
// "deck:show-run").
import { pointerDot, readPointer } from "./live-pointer.js";
import { listen } from "./live-stream.js";

export function follower(deck) {
  const count = Number(deck.dataset.count);
  const status = deck.querySelector("[data-live-status]");
  const back = deck.querySelector("[data-live-back]");
  let following = true;
  let ended = false;
  let live = null; // the speaker's latest state
  let moving = false;
  let black = null; // the blank screen as this deck shows it: null, "black" or "white"
  let shownRun = null; // the html of the run this deck shows

  const setStatus = (text) => {
    status.lastChild.textContent = ` ${text}`;
  };

  function blacken(mode) {
    if (mode === black) return;
    black = mode;
    deck.dispatchEvent(new CustomEvent("deck:blank", { detail: { mode } }));
  }

  /** The projector's run result, on the slide it ran on (the deck's own panel shows it). */
  function showRun(run) {
    if (!run || run.slide !== live.slide) {
      shownRun = null;
      return;
    }
    if (run.html !== shownRun) {
      shownRun = run.html;
      const result = { ok: run.ok, html: run.html };
      deck.dispatchEvent(new CustomEvent("deck:show-run", { detail: { type: "run", slide: run.slide, sample: run.sample, result } }));
    }
    if (run.tab) {
      deck.dispatchEvent(new CustomEvent("deck:show-run", { detail: { type: "run-tab", slide: run.slide, label: run.tab } }));
    }
  }

  function snap() {
    following = true;
    back.hidden = true;
    deck.classList.add("is-following");
    setStatus("Live: following the speaker.");
    if (live) {
      moving = true;
      deck.dispatchEvent(new CustomEvent("deck:goto", { detail: { slide: live.slide, step: live.step } }));
      moving = false;
      blacken(live.blank);
      // Another slide closed the panel (present.js): show it again; a step keeps it open.
      if (!deck.querySelector(".stage .deck-slide.is-current .run-panel")) shownRun = null;
      showRun(live.run);
    }
  }

  // Code wider than the screen (a phone held upright) scrolls sideways: mark it for its cue
  // (a sample's box, or a code block in the slide's text itself).
  const markScrollers = () =>
    requestAnimationFrame(() => {
      for (const pre of deck.querySelectorAll(".stage .deck-slide.is-current :is(.sample-code, .slide-body) pre")) {
        (pre.closest(".sample-code") || pre).classList.toggle("scrolls-x", pre.scrollWidth > pre.clientWidth + 1);
      }
    });
  window.addEventListener("resize", markScrollers);
  markScrollers();

  deck.addEventListener("deck:moved", (event) => {
    markScrollers();
    if (event.detail.source === "live" || moving || ended) return;
    // The reader moved on their own: stop following until they ask to come back.
    following = false;
    back.hidden = false;
    deck.classList.remove("is-following");
    blacken(null); // a reader browsing on their own reads on
    shownRun = null;
    setStatus(`Browsing on your own; the speaker is on slide ${live ? live.slide : "…"}.`);
  });
  back.addEventListener("click", snap);

  // The speaker's pointer, on the slide shown here while it is the speaker's.
  const dot = pointerDot((slide) =>
    following && live && slide === live.slide ? deck.querySelector(`.stage > .deck-slide.is-current[data-number="${slide}"]`) : null,
  );
  deck.addEventListener("deck:moved", () => dot.hide());

  listen(deck.dataset.liveEvents, deck.dataset.liveState, count, {
    onPointer: (data) => dot.show(readPointer(data, count)),
    onState(state) {
      const moved = !live || state.slide !== live.slide || state.step !== live.step;
      live = state;
      if (state.ended) return blacken(null);
      if (!following) setStatus(`Browsing on your own; the speaker is on slide ${state.slide}.`);
      else if (moved) snap();
      else {
        blacken(state.blank);
        showRun(state.run);
      }
    },
    onConnection(open) {
      if (!ended && !open) setStatus("Reconnecting…");
      else if (!ended && following) setStatus("Live: following the speaker.");
    },
    onClosed(text) {
      ended = true;
      following = false;
      back.hidden = true;
      deck.classList.remove("is-following");
      deck.classList.add("is-ended");
      setStatus(`${text} The deck stays here for you to read.`);
    },
  });
}
