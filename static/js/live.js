// Live sessions in the deck. The audience deck (the projector) holds the session: going live
// (button "Go live", key L, here or in the speaker view) starts it on the slide and step on
// screen; it follows the remote and publishes its own moves. The control key never reaches
// the audience window's page: the remote's QR code and link show only in the speaker view,
// which the deck tells over a channel of this browser (live-panel.js); the projector shows the
// follow code.
// A follower's deck follows the speaker (live-follow.js). present.js owns the slides: it tells
// us of moves ("deck:moved") and takes ours ("deck:goto"); deck-run-panel.js tells of the run's
// result and tab the projector shows ("deck:run-shown", "deck:run-tab"), which followers see too.
//
// The server holds the session's truth. Every move carries the sequence number of the state it
// was based on; a stale one is refused (409) with the state now, which the sender then shows.
import { openOverlay } from "./deck-core.js";
import { follower } from "./live-follow.js";
import { POST_TIMEOUT_MS, csrfToken, liveChannel, livePanel, postJson, speakerPanel } from "./live-panel.js";
import { keyedSender, pointerDot, readPointer, trackPointer } from "./live-pointer.js";
import { listen, readState } from "./live-stream.js";

const deck = document.getElementById("deck");
const STORE_PREFIX = "historyweb-live:";
const SPEAKER_WINDOW = "historyweb-speaker";
const PROBE_MS = 1500;
const RESULT_TEXT = 4000; // per field of a run's result sent to the session (live/runs.py cuts there)

/** Where the deck is now, read from the page: present.js may have moved before we listened. */
function shownPosition() {
  const slide = Number(deck.querySelector(".stage > .deck-slide.is-current")?.dataset.number) || 1;
  // deck.dataset.step is "k/N": step k of 0..N, numbered as the server numbers them.
  const step = Number((deck.dataset.step || "0/0").split("/")[0]) || 0;
  return { slide, step };
}

function presenter() {
  const count = Number(deck.dataset.count);
  const { panel, message, codes, hint, endButton, speakerButton } = livePanel();
  const storeKey = STORE_PREFIX + deck.dataset.deckUrl;

  // {code, key, urls, follow_url, remote_url, lan_hint}: held in memory (and this tab's
  // storage, for a reload), never put in this page, which the audience sees.
  let live = null;
  let source = null;
  let current = 1;
  let currentStep = 0;
  let seq = -1; // the session's state this window last heard of
  let token = null;
  let sending = false; // one POST at a time; later changes wait and are sent as one
  let pending = null; // {slide, step, blackout}: what the session has yet to be told
  let offline = false; // a move went unanswered: it is re-sent once the server answers again
  let heard = null; // a state from the stream that came while our own move was on its way
  let blackout = null; // the blank screen as the session last said: null, "black" or "white"
  let starting = false;
  let unshown = false; // the speaker view has not shown this session's remote yet
  let speakers = 0; // speaker views that answered the last ping

  const channel = liveChannel(deck.dataset.deckUrl, (data) => {
    if (data.type === "hello") tellSpeaker(unshown);
    else if (data.type === "pong") speakers += 1;
    else if (data.type === "shown") unshown = false;
    else if (data.type === "go-live") goLive({ fromSpeaker: true });
    else if (data.type === "ended" && live) stop("The live session has ended. Followers keep the deck to read.");
  });

  function tellSpeaker(open) {
    channel.post({ type: "live", session: live, open: Boolean(live && open) });
  }

  const remember = () => {
    try {
      if (live) sessionStorage.setItem(storeKey, JSON.stringify(live));
      else sessionStorage.removeItem(storeKey);
    } catch {
      // Storage refused: a reload forgets the session, the phone still has its remote.
    }
  };

  /** The speaker view, in a window of its own (never a tab of the projected one). */
  function openSpeakerWindow() {
    if (!deck.dataset.speakerUrl) return;
    const features = "popup,width=1280,height=800";
    const speaker = window.open("", SPEAKER_WINDOW, features);
    if (!speaker) {
      message.textContent = "The browser blocked the speaker view's window: open it with S.";
      return;
    }
    try {
      if (speaker.location.href === "about:blank") {
        speaker.location.href = `${deck.dataset.speakerUrl}#/${current}`;
      }
    } catch {
      // Another origin's page by that name: leave it.
    }
    speaker.focus?.();
  }

  /** Ask whether a speaker view is open; if none answers soon, open one. */
  function showRemoteToSpeaker() {
    speakers = 0;
    channel.post({ type: "ping" });
    setTimeout(() => {
      if (!speakers) openSpeakerWindow();
    }, 200);
  }

  function show() {
    const follow = panel.querySelector("a[data-live-follow]");
    follow.href = live.follow_url;
    follow.textContent = live.follow_url;
    panel.querySelector("[data-live-follow-qr]").src = live.urls.follow_qr;
    codes.hidden = false;
    endButton.hidden = false;
    speakerButton.hidden = !deck.dataset.speakerUrl;
    message.textContent =
      "Live: followers see each slide. The remote's QR code is in the speaker view: it holds the control key, so it never shows here.";
    hint.textContent = live.lan_hint || "";
    hint.hidden = !live.lan_hint;
    deck.classList.add("is-live");
  }

  function stop(text) {
    source?.close();
    source = null;
    live = null;
    pending = null;
    offline = false;
    remember();
    tellSpeaker(false);
    deck.classList.remove("is-live");
    codes.hidden = true;
    endButton.hidden = true;
    speakerButton.hidden = true;
    message.textContent = text;
  }

  /** Show the session's state (from the stream, or a refusal's answer) if it is newer. */
  function adopt(state) {
    if (!state || (state.seq !== null && state.seq <= seq)) return;
    seq = state.seq ?? seq;
    if (state.blank !== blackout) {
      blackout = state.blank;
      deck.dispatchEvent(new CustomEvent("deck:blank", { detail: { mode: blackout } }));
    }
    if (state.slide !== current || state.step !== currentStep) {
      deck.dispatchEvent(new CustomEvent("deck:goto", { detail: { slide: state.slide, step: state.step } }));
    }
  }

  // The speaker's pointer (the remote's finger), on the slide the projector shows.
  const dot = pointerDot((slide) =>
    slide === current ? deck.querySelector(`.stage > .deck-slide.is-current[data-number="${slide}"]`) : null,
  );
  deck.addEventListener("deck:moved", () => dot.hide());
  // The mouse held down on the projected slide points too (not on its buttons or editors).
  const mouse = keyedSender(() => live, async () => (token ??= await csrfToken(deck.dataset.csrfUrl)), postJson);
  const shownSlide = () => deck.querySelector(".stage > .deck-slide.is-current");
  trackPointer(deck.querySelector(".stage"), shownSlide, () => current, mouse, {
    ignore: "button, a, input, textarea, select, summary, label, [contenteditable], .cm-editor, .run-panel",
    mouseOnly: true,
  });

  function subscribe() {
    source?.close();
    source = listen(live.urls.events, live.urls.state, count, {
      onState(state) {
        // Our own move is on its way: its answer says where the session is.
        if (sending || pending) heard = state;
        else adopt(state);
      },
      onConnection(open) {
        if (open && offline) reconnected();
      },
      onPointer: (data) => dot.show(readPointer(data, count)),
      onRun(data) {
        const sample = deck.querySelector(
          `.stage .deck-slide.is-current .sample[data-sample="${Number(data.sample)}"]`,
        );
        sample?.querySelector(".run-button")?.click();
      },
      onClosed: stop,
    });
  }

  async function post(url, body) {
    token ??= await csrfToken(deck.dataset.csrfUrl);
    const headers = { "X-CSRFToken": token };
    if (live) headers["X-Live-Key"] = live.key;
    return postJson(url, body, headers);
  }

  /**
   * Tell the session of this window's moves, one POST at a time, each based on the last state
   * heard. An unanswered move (server down, network gone) stays pending and is sent again once
   * when the server answers again: the projector already shows it, so re-sending brings the
   * followers and the remote to what the room sees; and being based on the state before the
   * outage, it is refused if anyone else moved meanwhile, and this window comes to theirs.
   */
  async function publish() {
    if (sending || offline || !live) return;
    while (pending !== null && live && !offline) {
      const move = pending;
      pending = null;
      sending = true;
      let answer = null;
      try {
        answer = await post(live.urls.state, { ...move, seq });
      } catch {
        answer = null;
      }
      sending = false;
      if (!answer || answer.response.status >= 500) {
        pending = { ...move, ...pending }; // later moves win; all are sent as one
        goOffline();
        return;
      }
      const { response, data } = answer;
      if (response.status === 410) stop(data.error);
      else if (response.ok) seq = Math.max(seq, data.seq);
      else if (response.status === 409) {
        pending = null; // the session moved on without us: show where it is
        heard = null;
        adopt(readState(data, count));
      }
    }
    if (heard) {
      const state = heard;
      heard = null;
      adopt(state);
    }
  }

  function goOffline() {
    if (offline) return;
    offline = true;
    const probe = async () => {
      if (!offline || !live) return;
      try {
        const response = await fetch(live.urls.state, { signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
        if (response.status === 410) return stop((await response.json()).error);
        if (response.ok) return reconnected();
      } catch {
        // Still unreachable.
      }
      setTimeout(probe, PROBE_MS);
    };
    setTimeout(probe, PROBE_MS);
  }

  function reconnected() {
    if (!offline) return;
    offline = false;
    publish(); // the unanswered move, once
  }

  async function goLive({ fromSpeaker = false } = {}) {
    if (!fromSpeaker) openOverlay(panel);
    if (live) {
      tellSpeaker(true); // an open speaker view shows the remote again; none is opened
      return;
    }
    if (starting) return;
    starting = true;
    channel.post({ type: "starting" });
    if (!fromSpeaker) showRemoteToSpeaker();
    message.textContent = "Starting a live session…";
    // Where the deck is now: the session starts there, not at slide 1.
    ({ slide: current, step: currentStep } = shownPosition());
    try {
      // The server counts each slide's build steps itself (build_steps.py).
      const { response, data } = await post(deck.dataset.liveCreate, {
        deck: deck.dataset.deckUrl,
        slide: current,
        step: currentStep,
      });
      if (!response.ok) {
        message.textContent = data.error || `The server answered ${response.status}.`;
        channel.post({ type: "live-error", message: message.textContent });
        return;
      }
      live = data;
      seq = data.state.seq;
      blackout = null;
      remember();
      show();
      subscribe();
      unshown = true;
      tellSpeaker(true);
      // A move made while the session was being created.
      const now = shownPosition();
      if (now.slide !== data.state.slide || now.step !== data.state.step) {
        pending = { ...now };
        publish();
      }
    } catch {
      message.textContent = "The server could not be reached.";
      channel.post({ type: "live-error", message: message.textContent });
    } finally {
      starting = false;
    }
  }

  deck.addEventListener("deck:live", () => goLive());
  deck.addEventListener("deck:moved", (event) => {
    current = event.detail.slide;
    currentStep = Number.isInteger(event.detail.step) ? event.detail.step : 0;
    if (event.detail.source === "live" || !live) return;
    pending = { ...pending, slide: current, step: currentStep };
    publish();
  });
  // B (or the speaker view's B) blacks the projector: the remote shows it too.
  deck.addEventListener("deck:blanked", (event) => {
    const mode = event.detail.mode || null;
    if (!live || mode === blackout) return;
    blackout = mode;
    pending = { ...pending, blackout: mode === "white" ? "white" : mode !== null };
    publish();
  });
  /** Tell the session what the projector shows (a run's result, its tab): followers and the remote show it too. */
  async function report(body) {
    if (!live?.urls.result) return;
    try {
      const { response, data } = await post(live.urls.result, body);
      if (response.ok) seq = Math.max(seq, data.seq);
    } catch {
      // Unreachable: followers miss this result; the projector still shows it.
    }
  }
  deck.addEventListener("deck:run-shown", (event) => {
    const { sample, result } = event.detail;
    if (!live || !result) return;
    const text = (name) => (typeof result[name] === "string" ? result[name].slice(0, RESULT_TEXT) : "");
    const fields = ["runtime", "output", "error", "status", "body", "log"];
    const headers = Array.isArray(result.headers) ? result.headers.slice(0, 20) : [];
    report({
      sample,
      result: {
        ok: result.ok === true,
        ...(typeof result.outcome === "string" ? { outcome: result.outcome } : {}),
        ...Object.fromEntries(fields.map((name) => [name, text(name)])),
        headers: headers.map((pair) => pair.map((part) => String(part).slice(0, RESULT_TEXT / 4))),
        duration_ms: Number.isFinite(result.duration_ms) ? result.duration_ms : 0,
        cached: result.cached === true,
      },
    });
  });
  deck.addEventListener("deck:run-tab", (event) => {
    if (live) report({ tab: event.detail.label });
  });
  endButton.addEventListener("click", async () => {
    if (!live) return;
    try {
      const { response, data } = await post(live.urls.end, {});
      stop(response.ok ? "The live session has ended. Followers keep the deck to read." : data.error);
    } catch {
      message.textContent = "The server could not be reached: the session is still live.";
    }
  });
  speakerButton.addEventListener("click", () => {
    openSpeakerWindow();
    tellSpeaker(true);
  });

  // A reload of the presenting window picks its session up again; the stream brings its state.
  try {
    const saved = JSON.parse(sessionStorage.getItem(storeKey) || "null");
    if (saved && saved.urls && saved.key) {
      live = saved;
      ({ slide: current, step: currentStep } = shownPosition());
      show();
      subscribe();
      tellSpeaker(false);
    }
  } catch {
    // Nothing saved.
  }
}

if (deck?.dataset.liveRole === "present" && document.getElementById("live-panel")) presenter();
if (deck?.dataset.liveRole === "follow") follower(deck);
if (deck?.dataset.liveRole === "speaker" && document.getElementById("live-panel")) speakerPanel();
