// A deck's slides arrive in pieces (timeline/deck_pieces.py). The page holds the first few,
// whole, and an outline of every slide (#deck-index): number, title, era, kind. Each slide not
// yet here stands in as a placeholder showing its era and title; the real slides come a chunk
// at a time from the same server, when the deck nears them, and (in the presenter's windows)
// all of them soon after the first view, so the talk goes on if the server goes away.

const AHEAD = 3; // slides ahead (and half as many behind) that must be here before they are needed
const FILL_PAUSE_MS = 30; // between two chunks of the background fill: moves come first

/** The outline: `chunk` (slides per part) and one entry per slide; null if the page has none. */
export function readOutline() {
  let data = null;
  try {
    data = JSON.parse(document.getElementById("deck-index")?.textContent || "null");
  } catch {
    return null;
  }
  if (!data || !Array.isArray(data.slides) || !Array.isArray(data.eras)) return null;
  const entries = data.slides.map(([era, title], index) => {
    const [eraTitle = "", kind = ""] = data.eras[era] || [];
    const isTitle = typeof title !== "string";
    return { number: index + 1, era: eraTitle, kind, isTitle, title: isTitle ? eraTitle : title };
  });
  return { chunk: Math.max(1, Number(data.chunk) || 1), entries };
}

function element(tag, className, text) {
  const made = document.createElement(tag);
  made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

/** A stand-in for a slide not yet here: what the outline knows of it (the overview's too). */
export function placeholder(entry, count) {
  const title = entry.isTitle ? " slide-title" : "";
  const slide = element("section", `deck-slide is-pending kind-${entry.kind}${title}`);
  slide.dataset.number = String(entry.number);
  slide.dataset.title = entry.title;
  slide.setAttribute("aria-roledescription", "slide");
  slide.setAttribute("aria-label", `${entry.number} of ${count}: ${entry.title}`);
  const inner = element("div", "slide-inner");
  if (!entry.isTitle) inner.append(element("p", "slide-era", entry.era));
  inner.append(element("h2", "slide-heading", entry.title));
  slide.append(inner);
  return slide;
}

function pendingNotes(number) {
  const notes = element("div", "notes-item is-pending");
  notes.dataset.notes = String(number);
  notes.append(element("p", "no-notes", "The notes are on their way."));
  return notes;
}

/**
 * The slides of the deck window `root` (its data-slides-url says where the parts are), kept in
 * `container`: `slides` (and with `notes: true`, `notes`) has one element per slide, a
 * placeholder until the slide arrives. An arriving slide takes its placeholder's place wherever
 * that is (the stage, a pane), and `onArrive(numbers)` runs. `near(n)` fetches what slide n
 * and its neighbours need; `fill()` fetches every part, one after the other.
 */
export function slideStore(root, container, { notes = false, onArrive = () => {} } = {}) {
  const outline = readOutline();
  const slides = [...container.querySelectorAll(":scope > .deck-slide")];
  const notesList = notes ? [...container.querySelectorAll(":scope > [data-notes]")] : [];
  const entries = outline ? outline.entries : slides.map((slide, index) => ({ number: index + 1 }));
  const count = entries.length;
  for (const entry of entries.slice(slides.length)) {
    slides.push(placeholder(entry, count));
    container.append(slides[slides.length - 1]);
  }
  if (notes) {
    for (const entry of entries.slice(notesList.length)) {
      notesList.push(pendingNotes(entry.number));
      container.append(notesList[notesList.length - 1]);
    }
  }
  const size = outline ? outline.chunk : Math.max(count, 1);
  const chunks = Math.ceil(count / size);
  const chunkOf = (n) => Math.floor((n - 1) / size) + 1;
  const requests = new Map(); // chunk -> its request, while under way
  const url = root.dataset.slidesUrl;
  let filling = null;

  const isHere = (chunk) => {
    const last = Math.min(chunk * size, count);
    for (let n = (chunk - 1) * size + 1; n <= last; n += 1) {
      if (slides[n - 1].classList.contains("is-pending")) return false;
    }
    return true;
  };

  function swap(list, number, arrived) {
    const old = list[number - 1];
    if (!old?.classList.contains("is-pending")) return false;
    if (old.hasAttribute("aria-hidden")) arrived.setAttribute("aria-hidden", "true");
    if (old.classList.contains("is-current")) arrived.classList.add("is-current");
    old.replaceWith(arrived);
    list[number - 1] = arrived;
    return true;
  }

  function place(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const numbers = [];
    // The part's top-level elements (`:scope` matches nothing in a fragment).
    for (const item of [...template.content.children]) {
      if (item.matches(".deck-slide")) {
        const n = Number(item.dataset.number);
        if (Number.isInteger(n) && swap(slides, n, item)) {
          numbers.push(n);
          // What enhances a page's samples once (run.js: Run, Edit, Share) does these too.
          item.dispatchEvent(new CustomEvent("historyweb:arrived", { bubbles: true }));
        }
      } else if (notes && item.matches("[data-notes]")) {
        swap(notesList, Number(item.dataset.notes), item);
      }
    }
    if (numbers.length) onArrive(numbers);
  }

  function load(chunk) {
    if (!url || chunk < 1 || chunk > chunks || isHere(chunk)) return Promise.resolve();
    if (!requests.has(chunk)) {
      const request = fetch(`${url}${chunk}/`, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(`The server answered ${response.status}.`);
          return response.text();
        })
        .then(place)
        .catch(() => {}) // the placeholders stay: asked again when the deck nears them
        .finally(() => requests.delete(chunk));
      requests.set(chunk, request);
    }
    return requests.get(chunk);
  }

  function near(n) {
    const wanted = [n, n + AHEAD, n - Math.ceil(AHEAD / 2)].filter((k) => k >= 1 && k <= count);
    return Promise.all([...new Set(wanted.map(chunkOf))].map(load));
  }

  async function fetchEveryPart() {
    for (let chunk = 1; chunk <= chunks; chunk += 1) {
      if (isHere(chunk)) continue;
      await load(chunk);
      await new Promise((resolve) => setTimeout(resolve, FILL_PAUSE_MS));
    }
  }

  // One fill at a time; a part that failed is asked again by the next.
  function fill() {
    filling ??= fetchEveryPart().finally(() => (filling = null));
    return filling;
  }

  return { slides, notes: notesList, entries, near, fill };
}
