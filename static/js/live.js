// Live sessions in the deck. The presenting deck goes live (button "Go live", key L), shows the
// remote's and the followers' QR codes, follows the remote and publishes its own moves. A
// follower's deck follows the speaker until its reader browses away, then offers "Back to live".
// present.js owns the slides: it tells us of moves ("deck:moved") and takes ours ("deck:goto").
import { openOverlay, wireOverlay } from "./deck-core.js";
import { slideSteps } from "./slide-steps.js";

const deck = document.getElementById("deck");
const STORE_PREFIX = "historyweb-live:";

/** A checked state event: whole numbers in range, or null. */
function readState(data, count) {
  if (!data || typeof data !== "object") return null;
  const { slide, step, seq } = data;
  if (!Number.isInteger(slide) || slide < 1 || slide > count) return null;
  return {
    slide,
    step: Number.isInteger(step) && step >= 0 ? step : 0,
    seq: Number.isInteger(seq) ? seq : null,
    blackout: data.blackout === true,
    ended: data.ended === true,
  };
}

/**
 * The event stream: `onState(state)`, `onRun(data)`, `onConnection(open)`, and `onClosed(text)`
 * once when the session ends. The browser reconnects by itself (sending Last-Event-ID); a
 * refusal (410) ends it. Returns {close()}.
 */
function listen(eventsUrl, stateUrl, count, handlers) {
  let source = null;
  let closed = false;
  const open = () => {
    if (!closed) source = connect(eventsUrl, stateUrl, count, handlers, open);
  };
  open();
  return {
    close() {
      closed = true;
      source?.close();
    },
  };
}

function connect(eventsUrl, stateUrl, count, { onState, onRun, onClosed, onConnection }, reopen) {
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
  source.addEventListener("error", async () => {
    onConnection?.(false);
    if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    // Refused for good (the session ended or expired): ask why.
    try {
      const response = await fetch(stateUrl, { headers: { Accept: "application/json" } });
      const body = await response.json();
      if (!response.ok) onClosed(body.error || "The live session has ended.");
      else setTimeout(reopen, 3000); // a passing server error: try again
    } catch {
      setTimeout(reopen, 3000);
    }
  });
  return source;
}

async function csrfToken(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  return (await response.json()).csrfToken;
}

function presenter() {
  const count = Number(deck.dataset.count);
  const panel = document.getElementById("live-panel");
  const message = panel.querySelector("[data-live-message]");
  const codes = panel.querySelector("[data-live-codes]");
  const hint = panel.querySelector("[data-live-hint]");
  const endButton = panel.querySelector("[data-live-end]");
  const storeKey = STORE_PREFIX + deck.dataset.deckUrl;
  wireOverlay(panel, ["l", "L"]);

  let live = null; // {code, key, urls, follow_url, remote_url, lan_hint}
  let source = null;
  let current = 1;
  let currentStep = 0; // build steps count from 0 here (slide-steps.js counts from 1)
  let seq = -1;
  let token = null;
  let sending = null; // one POST at a time; later changes wait and are sent as one
  let pending = null; // {slide, step, blackout}: what the session has yet to be told
  let blackout = false; // as the session last said

  const remember = () => {
    try {
      if (live) sessionStorage.setItem(storeKey, JSON.stringify(live));
      else sessionStorage.removeItem(storeKey);
    } catch {
      // Storage refused: a reload forgets the session, the phone still has its remote.
    }
  };

  function show() {
    const remote = panel.querySelector("a[data-live-remote]");
    const follow = panel.querySelector("a[data-live-follow]");
    remote.href = live.remote_url;
    follow.href = live.follow_url;
    follow.textContent = live.follow_url;
    panel.querySelector("[data-live-remote-qr]").src = live.urls.remote_qr;
    panel.querySelector("[data-live-follow-qr]").src = live.urls.follow_qr;
    codes.hidden = false;
    endButton.hidden = false;
    message.textContent = "Live: the remote steers this deck, and followers see each slide.";
    hint.textContent = live.lan_hint || "";
    hint.hidden = !live.lan_hint;
    deck.classList.add("is-live");
  }

  function stop(text) {
    source?.close();
    source = null;
    live = null;
    remember();
    deck.classList.remove("is-live");
    codes.hidden = true;
    endButton.hidden = true;
    message.textContent = text;
  }

  function subscribe() {
    source?.close();
    source = listen(live.urls.events, live.urls.state, count, {
      onState(state) {
        if (state.seq !== null && state.seq <= seq) return;
        seq = state.seq ?? seq;
        if (state.blackout !== blackout) {
          blackout = state.blackout;
          deck.dispatchEvent(new CustomEvent("deck:blank", { detail: { mode: blackout ? "black" : null } }));
        }
        if (state.slide !== current || state.step !== currentStep) {
          deck.dispatchEvent(new CustomEvent("deck:goto", { detail: { slide: state.slide, step: state.step } }));
        }
      },
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
    const headers = { "Content-Type": "application/json", "X-CSRFToken": token };
    if (live) headers["X-Live-Key"] = live.key;
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers,
      body: JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = { error: `The server answered ${response.status}.` };
    }
    return { response, data };
  }

  async function publish() {
    if (sending || !live) return;
    while (pending !== null && live) {
      const body = pending;
      pending = null;
      sending = post(live.urls.state, body);
      try {
        const { response, data } = await sending;
        if (response.status === 410) stop(data.error);
        else if (response.ok && data.seq > seq) seq = data.seq;
      } catch {
        // Offline for a moment: the next move tries again.
      } finally {
        sending = null;
      }
    }
  }

  async function goLive() {
    openOverlay(panel);
    if (live) return;
    message.textContent = "Starting a live session…";
    try {
      // Each slide's build steps, so the remote can walk them and the server check them.
      const slides = [...deck.querySelectorAll(".stage > .deck-slide")];
      const { response, data } = await post(deck.dataset.liveCreate, {
        deck: deck.dataset.deckUrl,
        steps: slides.map((slide) => slideSteps(slide).count - 1),
      });
      if (!response.ok) {
        message.textContent = data.error || `The server answered ${response.status}.`;
        return;
      }
      live = data;
      remember();
      show();
      subscribe();
      if (current !== 1 || currentStep) {
        pending = { slide: current, step: currentStep };
        publish();
      }
    } catch {
      message.textContent = "The server could not be reached.";
    }
  }

  deck.addEventListener("deck:live", goLive);
  deck.addEventListener("deck:moved", (event) => {
    current = event.detail.slide;
    currentStep = Number.isInteger(event.detail.step) ? event.detail.step : 0;
    if (event.detail.source === "live" || !live) return;
    pending = { ...pending, slide: current, step: currentStep };
    publish();
  });
  // B (or the speaker view's B) blacks the projector: the remote shows it too.
  deck.addEventListener("deck:blanked", (event) => {
    const black = event.detail.mode !== null;
    if (!live || black === blackout) return;
    blackout = black;
    pending = { ...pending, blackout: black };
    publish();
  });
  endButton.addEventListener("click", async () => {
    if (!live) return;
    const { response, data } = await post(live.urls.end, {});
    stop(response.ok ? "The live session has ended. Followers keep the deck to read." : data.error);
  });

  // A reload of the presenting window picks its session up again.
  try {
    const saved = JSON.parse(sessionStorage.getItem(storeKey) || "null");
    if (saved && saved.urls && saved.key) {
      live = saved;
      show();
      subscribe();
    }
  } catch {
    // Nothing saved.
  }
}

function follower() {
  const count = Number(deck.dataset.count);
  const status = deck.querySelector("[data-live-status]");
  const back = deck.querySelector("[data-live-back]");
  let following = true;
  let ended = false;
  let live = null; // the speaker's latest state
  let moving = false;

  const setStatus = (text) => {
    status.lastChild.textContent = ` ${text}`;
  };

  function snap() {
    following = true;
    back.hidden = true;
    deck.classList.add("is-following");
    setStatus("Live: following the speaker.");
    if (live) {
      moving = true;
      deck.dispatchEvent(new CustomEvent("deck:goto", { detail: { slide: live.slide, step: live.step } }));
      moving = false;
    }
  }

  deck.addEventListener("deck:moved", (event) => {
    if (event.detail.source === "live" || moving || ended) return;
    // The reader moved on their own: stop following until they ask to come back.
    following = false;
    back.hidden = false;
    deck.classList.remove("is-following");
    setStatus(`Browsing on your own; the speaker is on slide ${live ? live.slide : "…"}.`);
  });
  back.addEventListener("click", snap);

  listen(deck.dataset.liveEvents, deck.dataset.liveState, count, {
    onState(state) {
      live = state;
      if (state.ended) return;
      if (following) snap();
      else setStatus(`Browsing on your own; the speaker is on slide ${state.slide}.`);
    },
    onConnection(open) {
      if (!ended && !open) setStatus("Reconnecting to the live session…");
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

if (deck?.dataset.liveRole === "present" && document.getElementById("live-panel")) presenter();
if (deck?.dataset.liveRole === "follow") follower();
