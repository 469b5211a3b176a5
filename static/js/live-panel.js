// The live panel (L opens it) and the speaker view's side of a live session: the channel
// between this browser's audience deck and speaker view, the panel's parts, the POSTs both
// windows make, and the speaker view's control panel (the remote's QR code and link).
import { openOverlay, wireOverlay } from "./deck-core.js";
import { parts } from "./dom.js";
import { keyedSender, trackPointer } from "./live-pointer.js";
import { listen } from "./live-stream.js";
import { readTimer } from "./timer.js";

const deck = document.getElementById("deck");
export const POST_TIMEOUT_MS = 3000;

/** The channel between this browser's audience deck and speaker view for one deck. */
export function liveChannel(deckUrl, onMessage) {
  if (!("BroadcastChannel" in window)) return { post() {} };
  const channel = new BroadcastChannel(`historyweb-live:${deckUrl}`);
  channel.addEventListener("message", (event) => {
    if (event.data && typeof event.data === "object" && typeof event.data.type === "string") {
      onMessage(event.data);
    }
  });
  return { post: (data) => channel.postMessage(data) };
}

export async function csrfToken(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  return (await response.json()).csrfToken;
}

/**
 * POST JSON; answers {response, data}. Throws when the server cannot be reached or does not
 * answer within POST_TIMEOUT_MS (the move may or may not have been made: the caller asks).
 */
export async function postJson(url, body, headers) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(POST_TIMEOUT_MS),
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = { error: `The server answered ${response.status}.` };
  }
  return { response, data };
}

/** The live panel (L opens it) and the parts of it that the deck and the speaker view fill. */
export function livePanel() {
  const panel = document.getElementById("live-panel");
  wireOverlay(panel, ["l", "L"]);
  const found = parts(panel, {
    message: "[data-live-message]",
    codes: "[data-live-codes]",
    hint: "[data-live-hint]",
    endButton: "[data-live-end]",
    speakerButton: "[data-live-speaker]",
  });
  return { panel, ...found };
}

/**
 * The talk's one timer in the speaker view while live: it is the session's (live/timer.py).
 * Its state comes from the session's stream ("deck:timer" with {running, elapsedMs}; null once
 * the session is over, and the view's own timer takes over); "deck:timer-action" {action,
 * fallback} sends start, pause or reset with the control key, and `fallback()` runs when the
 * server cannot be reached, so the speaker's timer never stops working.
 */
function shareTimer() {
  let live = null;
  let stream = null;
  let token = null;
  const tell = (timer) => deck.dispatchEvent(new CustomEvent("deck:timer", { detail: timer }));
  deck.addEventListener("deck:timer-action", async (event) => {
    const { action, fallback } = event.detail;
    if (!live?.urls.timer) return fallback();
    try {
      token ??= await csrfToken(deck.dataset.csrfUrl);
      const headers = { "X-CSRFToken": token, "X-Live-Key": live.key };
      const { response, data } = await postJson(live.urls.timer, { action }, headers);
      const timer = response.ok ? readTimer(data.timer) : null;
      if (timer) tell(timer);
      else fallback();
    } catch {
      fallback();
    }
  });
  return (session) => {
    if (session?.code === live?.code) return;
    stream?.close();
    live = session;
    stream = null;
    if (!session) return tell(null);
    stream = listen(session.urls.events, session.urls.state, Number(deck.dataset.count), {
      onState: (state) => state.timer && tell(state.timer),
      onClosed: () => {},
    });
  };
}

/**
 * The speaker view's control panel: the remote's QR code and link (the control key) and the
 * follow code, sent by the audience deck of this browser. L (or "Go live") here asks that deck
 * to go live; the audience window itself only ever shows the follow code.
 */
export function speakerPanel() {
  const { panel, message, codes, hint, endButton } = livePanel();
  const timerOf = shareTimer();
  let live = null;
  let answered = false;

  function show(session) {
    live = session;
    timerOf(session);
    const remote = panel.querySelector("a[data-live-remote]");
    const follow = panel.querySelector("a[data-live-follow]");
    remote.href = live.remote_url;
    follow.href = live.follow_url;
    follow.textContent = live.follow_url;
    panel.querySelector("[data-live-remote-qr]").src = live.urls.remote_qr;
    panel.querySelector("[data-live-follow-qr]").src = live.urls.follow_qr;
    codes.hidden = false;
    endButton.hidden = false;
    message.textContent = "Live: scan the remote with your phone; the audience window shows only the follow code.";
    hint.textContent = live.lan_hint || "";
    hint.hidden = !live.lan_hint;
    deck.classList.add("is-live");
  }

  function clear(text) {
    live = null;
    timerOf(null);
    // The key leaves this page too once the session is over.
    panel.querySelector("a[data-live-remote]").href = "#";
    panel.querySelector("[data-live-remote-qr]").removeAttribute("src");
    codes.hidden = true;
    endButton.hidden = true;
    hint.hidden = true;
    deck.classList.remove("is-live");
    message.textContent = text;
  }

  const channel = liveChannel(deck.dataset.deckUrl, (data) => {
    if (data.type === "ping") channel.post({ type: "pong" });
    else if (data.type === "starting") {
      answered = true;
      message.textContent = "Starting a live session…";
    } else if (data.type === "live-error") {
      answered = true;
      message.textContent = String(data.message || "The live session could not start.");
    } else if (data.type === "live") {
      answered = true;
      const session = data.session;
      if (session && typeof session === "object" && session.urls && session.remote_url) {
        show(session);
        if (data.open) {
          openOverlay(panel);
          channel.post({ type: "shown" });
        }
      } else if (live) {
        clear("The live session has ended.");
      }
    }
  });

  deck.addEventListener("deck:live", () => {
    openOverlay(panel);
    if (live) return;
    answered = false;
    message.textContent = "Starting a live session…";
    channel.post({ type: "go-live" });
    setTimeout(() => {
      if (!answered) {
        message.textContent =
          "No audience window answered: open the Audience view (the projector) in this browser, then press L again.";
      }
    }, 1500);
  });

  endButton.addEventListener("click", async () => {
    if (!live) return;
    try {
      const token = await csrfToken(deck.dataset.csrfUrl);
      const { response, data } = await postJson(live.urls.end, {}, { "X-CSRFToken": token, "X-Live-Key": live.key });
      if (!response.ok && response.status !== 410) {
        message.textContent = data.error || `The server answered ${response.status}.`;
        return;
      }
      channel.post({ type: "ended" });
      clear("The live session has ended. Followers keep the deck to read.");
    } catch {
      message.textContent = "The server could not be reached: the session is still live.";
    }
  });

  // The mouse over the current slide here points at it on the projector and for followers.
  const pane = deck.querySelector("[data-pane='current']");
  if (pane) {
    let token = null;
    const sender = keyedSender(() => live, async () => (token ??= await csrfToken(deck.dataset.csrfUrl)), postJson);
    const slide = () => pane.querySelector(".deck-slide");
    trackPointer(pane, slide, () => Number(slide()?.dataset.number), sender, { hover: true });
  }

  channel.post({ type: "hello" }); // a deck already live answers with its session
}
