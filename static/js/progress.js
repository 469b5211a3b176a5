/* The progress page: what this browser has read, run and solved, and a file to carry it to
 * another browser. An imported file is checked whole before anything is stored: a wrong one
 * gets a message and changes nothing. */
import { KEYS, read, writeAll } from "./progress-store.js";

const FORMAT = "historyweb-progress";
const VERSION = 1;
const MAX_BYTES = 100_000;
const MAX_ENTRIES = 2000;
// Keys are slugs or sample numbers; "__proto__" and the like cannot pass.
const KEY = /^[a-z0-9][a-z0-9_-]{0,79}$/;
const VALUES = {
  eras: /^\d{4}-\d{2}-\d{2}$/, // the day it was read
  samples: /^(?:[a-z0-9][a-z0-9_-]{0,79})?$/, // its era, or "" when run outside an era page
  exercises: /^[a-z0-9][a-z0-9_-]{0,79}$/, // its era
};
const LABELS = { eras: "eras read", samples: "samples run", exercises: "exercises solved" };

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function show() {
  const eras = read("eras");
  const total = document.querySelectorAll("[data-read-mark]").length;
  const listed = [...document.querySelectorAll("[data-read-mark]")].filter((node) =>
    Object.hasOwn(eras, node.dataset.readMark),
  ).length;
  const counts = {
    eras: `${listed} of ${plural(total, "era")}`,
    samples: plural(Object.keys(read("samples")).length, "sample"),
    exercises: plural(Object.keys(read("exercises")).length, "exercise"),
  };
  for (const [kind, text] of Object.entries(counts)) {
    document.querySelector(`[data-progress-count=${kind}]`).textContent = text;
  }
  for (const node of document.querySelectorAll("[data-read-mark]")) {
    const date = eras[node.dataset.readMark];
    node.textContent = typeof date === "string" ? `✓ Read ${date}` : "Not yet";
    node.classList.toggle("is-read", typeof date === "string");
  }
}

function say(text, isError) {
  const message = document.querySelector("[data-progress-message]");
  message.textContent = text;
  message.classList.toggle("is-error", Boolean(isError));
}

function exportFile() {
  const data = { format: FORMAT, version: VERSION, exported: new Date().toISOString() };
  for (const kind of Object.keys(KEYS)) data[kind] = read(kind);
  const blob = new Blob([JSON.stringify(data, null, 2) + "\n"], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `historyweb-progress-${data.exported.slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  say("Your progress was saved to a file. Import it in another browser to carry it over.");
}

/** The file's progress, or an Error whose message says what is wrong with it. */
export function parseProgress(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error("This file is not JSON, so it cannot be a progress file.");
  }
  if (!data || typeof data !== "object" || Array.isArray(data) || data.format !== FORMAT) {
    throw new Error(`This is not a historyweb progress file (it has no "format": "${FORMAT}").`);
  }
  if (data.version !== VERSION) {
    throw new Error(`This progress file is version ${String(data.version).slice(0, 20)}; this site reads version ${VERSION}.`);
  }
  const allowed = new Set(["format", "version", "exported", ...Object.keys(KEYS)]);
  const stray = Object.keys(data).find((key) => !allowed.has(key));
  if (stray !== undefined) {
    throw new Error(`This progress file has a field this site does not know: “${stray.slice(0, 40)}”.`);
  }
  const progress = {};
  for (const kind of Object.keys(KEYS)) {
    const entries = data[kind] === undefined ? {} : data[kind];
    if (!entries || typeof entries !== "object" || Array.isArray(entries)) {
      throw new Error(`In this progress file, “${kind}” is not a list of ${LABELS[kind]}.`);
    }
    const pairs = Object.entries(entries);
    if (pairs.length > MAX_ENTRIES) {
      throw new Error(`This progress file lists ${pairs.length} ${LABELS[kind]}; at most ${MAX_ENTRIES} are kept.`);
    }
    const bad = pairs.find(([key, value]) => !KEY.test(key) || typeof value !== "string" || !VALUES[kind].test(value));
    if (bad) {
      throw new Error(`In this progress file, an entry of “${kind}” is not valid: “${String(bad[0]).slice(0, 40)}”.`);
    }
    progress[kind] = Object.fromEntries(pairs);
  }
  return progress;
}

async function importFile(file) {
  if (file.size > MAX_BYTES) {
    throw new Error(`This file is ${Math.ceil(file.size / 1000)} kB; a progress file is a few kB at most.`);
  }
  const progress = parseProgress(await file.text());
  // Merged, never replaced: importing an older file loses nothing done since.
  const merged = {};
  for (const kind of Object.keys(KEYS)) merged[kind] = { ...progress[kind], ...read(kind) };
  if (!writeAll(merged)) throw new Error("This browser refused to store the progress (storage full or disabled).");
  return progress;
}

const input = document.querySelector("[data-progress-import]");
document.querySelector("[data-progress-export]").addEventListener("click", exportFile);
input.addEventListener("change", function () {
  const file = input.files[0];
  if (!file) return;
  importFile(file)
    .then(function (progress) {
      const summary = Object.keys(KEYS)
        .map((kind) => `${Object.keys(progress[kind]).length} ${LABELS[kind]}`)
        .join(", ");
      say(`Imported ${file.name}: ${summary}. Nothing you had was removed.`);
      show();
    })
    .catch((error) => say(`Nothing was imported. ${error.message}`, true))
    .finally(() => {
      input.value = "";
    });
});
for (const node of document.querySelectorAll("[data-progress-js]")) node.hidden = false;
show();
