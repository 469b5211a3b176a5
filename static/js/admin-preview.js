// Previews in the admin, rendered by staff-only views exactly as saving would render them.
// - A slide's body gets a live preview shaped like the slide: the deck's own page, framed at
//   16:9 and 4:3 side by side, fitted as the deck fits it, with the fit audit's verdict
//   (static/js/slide-audit.js, the same module check_slides runs).
// - Other markdown fields (notes, an era's story) get a Preview button; once open, the
//   preview follows the typing.
import { button, el } from "./dom.js";

const MARKDOWN_URL = "/preview/markdown/";
const SLIDE_URL = "/preview/slide/";
const FRAME_URL = "/preview/slide/frame/";
const DEBOUNCE_MS = 400;
const FRAMES = [
  { name: "16:9", width: 1280, height: 720 },
  { name: "4:3", width: 1024, height: 768 },
];

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

async function post(url, fields) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "X-CSRFToken": csrfToken() },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
  });
  const data = await response.json();
  if (data.error) throw new Error(data.error);
  return data.html || "";
}

function debounce(callback) {
  let timer = null;
  return function () {
    clearTimeout(timer);
    timer = setTimeout(callback, DEBOUNCE_MS);
  };
}

// Below the field's label-and-box row, so the button keeps its size and the preview its width.
function placeAfter(textarea, ...nodes) {
  (textarea.closest(".flex-container") || textarea).after(...nodes);
}

// ---- Markdown fields -------------------------------------------------------------------
function attachMarkdown(textarea) {
  const toggle = button("Preview", "markdown-preview-button");
  toggle.setAttribute("aria-expanded", "false");
  const output = el("div", "markdown-preview");
  output.setAttribute("aria-live", "polite");
  output.hidden = true;

  async function update() {
    try {
      // The server sanitised this HTML with the same allow-list as saved content.
      output.innerHTML = await post(MARKDOWN_URL, { text: textarea.value });
    } catch (error) {
      output.textContent = "Preview failed: " + error.message;
    }
  }
  toggle.addEventListener("click", function () {
    output.hidden = !output.hidden;
    toggle.setAttribute("aria-expanded", String(!output.hidden));
    toggle.textContent = output.hidden ? "Preview" : "Hide preview";
    if (!output.hidden) update();
  });
  const later = debounce(update);
  textarea.addEventListener("input", function () {
    if (!output.hidden) later();
  });
  placeAfter(textarea, toggle, output);
}

// ---- Slide bodies ----------------------------------------------------------------------
function eraId(textarea) {
  const select = document.querySelector("#id_era");
  if (select && select.value) return select.value;
  const match = window.location.pathname.match(/\/timeline\/era\/(\d+)\/change\//);
  return match ? match[1] : "";
}

function slideId(textarea) {
  const prefix = textarea.name.replace(/body$/, "");
  if (prefix) {
    const hidden = document.querySelector(`input[name="${prefix}id"]`);
    return hidden ? hidden.value : "";
  }
  const match = window.location.pathname.match(/\/timeline\/slide\/(\d+)\/change\//);
  return match ? match[1] : "";
}

function verdictText(results) {
  const lines = [];
  for (const frame of FRAMES) {
    const result = results[frame.name];
    if (!result) return "Checking the fit…";
    if (!result.problems.length) continue;
    for (const problem of result.problems) lines.push(`${frame.name}: ${problem.message}`);
  }
  return lines;
}

function attachSlide(textarea) {
  const prefix = textarea.name.replace(/body$/, "");
  const title = document.querySelector(`input[name="${prefix}title"]`);
  const panel = el("div", "slide-preview");
  const heading = el("p", "slide-preview-heading", "As the deck shows it");
  const row = el("div", "slide-preview-frames");
  const verdict = el("div", "slide-preview-verdict");
  verdict.setAttribute("role", "status");
  panel.append(heading, row, verdict);

  const frames = FRAMES.map(function (shape) {
    const figure = el("figure");
    const box = el("div", "slide-preview-box");
    const frame = document.createElement("iframe");
    frame.src = FRAME_URL;
    frame.width = String(shape.width);
    frame.height = String(shape.height);
    frame.title = `Slide preview at ${shape.name} (${shape.width}×${shape.height})`;
    frame.tabIndex = -1;  // a picture of the slide: nothing in it to operate
    const caption = el("figcaption", null, `${shape.name} · ${shape.width}×${shape.height}`);
    box.append(frame);
    figure.append(box, caption);
    row.append(figure);
    return { shape, frame, box, ready: false };
  });

  let html = "";
  let sent = 0;
  let results = {};

  function scale() {
    const gap = 16;
    const borders = 2 * 2 * FRAMES.length;
    const room = Math.max(320, row.clientWidth - gap - borders - 1);
    const factor = Math.min(0.5, room / (FRAMES[0].width + FRAMES[1].width));
    for (const item of frames) {
      item.frame.style.transform = `scale(${factor})`;
      item.box.style.width = `${item.shape.width * factor}px`;
      item.box.style.height = `${item.shape.height * factor}px`;
    }
  }

  function show() {
    const text = verdictText(results);
    verdict.replaceChildren();
    verdict.classList.toggle("slide-preview-fails", Array.isArray(text) && text.length > 0);
    if (typeof text === "string") {
      verdict.textContent = text;
    } else if (!text.length) {
      verdict.textContent = "Fits at 16:9 and 4:3: nothing scrolls, is cut or is too small to read.";
    } else {
      const intro = el("p", null, "Does not fit (the fit audit of check_slides):");
      const list = el("ul");
      for (const line of text) list.append(el("li", null, line));
      verdict.append(intro, list);
    }
  }

  function send() {
    results = {};
    show();
    for (const item of frames) {
      if (item.ready) item.frame.contentWindow.postMessage({ html, id: sent }, window.location.origin);
    }
  }

  async function update() {
    const id = ++sent;
    try {
      const fresh = await post(SLIDE_URL, {
        title: title ? title.value : "",
        body: textarea.value,
        era: eraId(textarea),
        slide: slideId(textarea),
      });
      if (id !== sent) return;  // a newer edit is on its way
      html = fresh;
      send();
    } catch (error) {
      verdict.textContent = "Preview failed: " + error.message;
    }
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) return;
    const item = frames.find(function (candidate) { return candidate.frame.contentWindow === event.source; });
    if (!item) return;
    if (event.data.ready) {
      item.ready = true;
      if (html) item.frame.contentWindow.postMessage({ html, id: sent }, window.location.origin);
      return;
    }
    if (event.data.id !== sent) return;
    results[item.shape.name] = event.data;
    show();
  });

  const later = debounce(update);
  textarea.addEventListener("input", later);
  if (title) title.addEventListener("input", later);
  placeAfter(textarea, panel);
  scale();
  window.addEventListener("resize", scale);
  update();
}

function isSlideBody(textarea) {
  if (/^slides-\d+-body$/.test(textarea.name)) return true;
  return textarea.name === "body" && document.body.classList.contains("model-slide");
}

// Markdown fields: an era's body, a slide's notes, an exercise's statement and hints. A
// check's body is the literal text a response must hold, not markdown: no preview.
function isMarkdown(textarea) {
  return /(^|-)(body|notes|statement|hints)$/.test(textarea.name) && !/^checks-\d+-body$/.test(textarea.name);
}

function scan() {
  document.querySelectorAll("textarea").forEach(function (textarea) {
    if (textarea.dataset.previewAttached || textarea.name.includes("__prefix__")) return;
    if (isSlideBody(textarea)) {
      textarea.dataset.previewAttached = "1";
      attachSlide(textarea);
    } else if (isMarkdown(textarea)) {
      textarea.dataset.previewAttached = "1";
      attachMarkdown(textarea);
    }
  });
}

document.addEventListener("DOMContentLoaded", scan);
document.addEventListener("formset:added", scan);
