/* Share links: code (and a sample's request) carried in the URL's fragment, compressed
 * (deflate-raw, then base64url). The fragment never reaches the server, so nothing is stored
 * there; whoever opens the link sees the code in an editor and runs nothing until they choose.
 *
 * A link is read with limits: a fragment longer than MAX_FRAGMENT, or one that inflates past
 * MAX_TEXT (a deflate bomb), is refused with a message, and the page loads as usual.
 */
const KEY = "shared=";
const MAX_FRAGMENT = 96 * 1024; // characters of base64url
const MAX_TEXT = 160 * 1024; // bytes once inflated: 64 KB of code, a request, JSON's escapes

export class ShareError extends Error {}

function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new ShareError("The link is damaged: it holds characters a share link never has.");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  try {
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  } catch {
    throw new ShareError("The link is damaged: its code could not be read.");
  }
}

async function collect(stream, limit) {
  const reader = stream.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new ShareError(`The shared code is too long (over ${Math.round(limit / 1024)} KB); it was not loaded.`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function supported() {
  return typeof CompressionStream === "function" && typeof DecompressionStream === "function";
}

/** The fragment ("#shared=…") that carries `data` (an object of strings). */
export async function shareFragment(data) {
  if (!supported()) throw new ShareError("This browser cannot make share links.");
  const bytes = new TextEncoder().encode(JSON.stringify(data));
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return "#" + KEY + toBase64Url(await collect(stream, Infinity));
}

/** The shared data in `hash`, null when the hash is no share link; raises ShareError with a
 * message for the learner when it is one but cannot be read. Only string fields in `fields`
 * are kept. */
export async function readShared(hash, fields) {
  const text = (hash || "").replace(/^#/, "");
  if (!text.startsWith(KEY)) return null;
  const encoded = text.slice(KEY.length);
  if (encoded.length > MAX_FRAGMENT) throw new ShareError("The shared link is too long; its code was not loaded.");
  if (!supported()) throw new ShareError("This browser cannot open share links.");
  const bytes = fromBase64Url(encoded);
  let data;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await collect(stream, MAX_TEXT)));
  } catch (error) {
    if (error instanceof ShareError) throw error;
    throw new ShareError("The link is damaged: its code could not be read.");
  }
  if (!data || typeof data !== "object" || typeof data.code !== "string") {
    throw new ShareError("The link is damaged: it carries no code.");
  }
  const kept = {};
  for (const field of fields) {
    if (typeof data[field] === "string") kept[field] = data[field];
  }
  return kept;
}

/** Takes the share fragment off the address (once the learner edits, a reload must not bring
 * the shared code back over their own). */
export function forgetFragment() {
  if (location.hash.startsWith("#" + KEY)) history.replaceState(null, "", location.pathname + location.search);
}

/** A share link pasted over the open page changes only the fragment: load the page again so
 * that it opens as any share link does. */
export function reloadOnShare() {
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith("#" + KEY)) location.reload();
  });
}

/** A Share control: a button that makes the link, copies it where it can, and shows it in a
 * read-only field to copy by hand. `data()` gives what the link carries. */
export function shareControl(data, label) {
  const wrapper = document.createElement("span");
  wrapper.className = "share-control";
  const buttonNode = document.createElement("button");
  buttonNode.type = "button";
  buttonNode.className = "secondary share-button";
  buttonNode.textContent = label || "Share";
  const field = document.createElement("input");
  field.type = "text";
  field.readOnly = true;
  field.className = "share-link";
  field.setAttribute("aria-label", "Share link: it carries the code itself; nothing is stored on the server");
  field.hidden = true;
  const note = document.createElement("span");
  note.className = "share-note";
  note.setAttribute("role", "status");
  buttonNode.addEventListener("click", async () => {
    try {
      const base = location.origin + location.pathname + location.search;
      const link = (data().url || base) + (await shareFragment(data().payload));
      field.value = link;
      field.hidden = false;
      field.select();
      try {
        await navigator.clipboard.writeText(link);
        note.textContent = "Link copied. It carries the code; nothing is stored on the server.";
      } catch {
        note.textContent = "Copy the link from the field. It carries the code; nothing is stored on the server.";
      }
    } catch (error) {
      note.textContent = error.message;
    }
  });
  wrapper.append(buttonNode, field, note);
  return wrapper;
}
