/* Exercises: check without leaving the page, reveal hints one at a time, and remember in this
 * browser (localStorage, no account) which exercises are solved, shown on the exercise, era,
 * timeline and exercise-list pages (Try it: exercise-try.js). Without JavaScript the form posts
 * and every hint is a <details> of its own. */
import { postJSON } from "./csrf-post.js";
import { keepCode } from "./exercise-code.js";
import { tryIt } from "./exercise-try.js";

const STORE = "historyweb:exercises"; // { exerciseSlug: eraSlug } for each solved exercise

function solved() {
  try {
    const data = JSON.parse(localStorage.getItem(STORE) || "{}");
    return data && typeof data === "object" && !Array.isArray(data) ? data : {};
  } catch {
    return {};
  }
}

function remember(slug, era) {
  const data = solved();
  data[slug] = String(era);
  try {
    localStorage.setItem(STORE, JSON.stringify(data));
  } catch {
    // Storage full or disabled (private mode): progress is simply not kept.
  }
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function showProgress() {
  const data = solved();
  for (const mark of document.querySelectorAll("[data-exercise-status]")) {
    const done = Object.hasOwn(data, mark.dataset.exerciseStatus);
    mark.textContent = done ? "✓ Solved" : "";
    mark.classList.toggle("solved", done);
  }
  for (const mark of document.querySelectorAll("[data-era-exercises]")) {
    const total = Number(mark.dataset.total) || 0;
    const count = Object.values(data).filter((era) => era === mark.dataset.eraExercises).length;
    mark.textContent = count
      ? `${Math.min(count, total)} of ${plural(total, "exercise")} solved`
      : plural(total, "exercise");
  }
  const summary = document.querySelector("[data-exercise-summary]");
  if (summary) {
    const total = document.querySelectorAll("[data-exercise-status]").length;
    const count = document.querySelectorAll("[data-exercise-status].solved").length;
    summary.textContent = `You have solved ${count} of ${plural(total, "exercise")} in this browser.`;
    summary.hidden = false;
  }
}

function revealHintsOneByOne() {
  const hints = [...document.querySelectorAll(".hint")];
  hints.forEach((hint, index) => {
    hint.hidden = index > 0;
    hint.querySelector("details").addEventListener("toggle", (event) => {
      if (event.target.open && hints[index + 1]) hints[index + 1].hidden = false;
    });
  });
}

function showResults(slot, html) {
  slot.innerHTML = html; // rendered by the server's own template, with everything escaped
  const section = slot.querySelector(".exercise-results");
  if (section) section.focus();
}

function enhanceForm(article) {
  const form = article.querySelector(".exercise-form");
  const editor = form.querySelector("textarea");
  const submit = form.querySelector("button[type=submit]");
  const slot = article.querySelector(".exercise-results-slot");
  keepCode(article, form);
  tryIt(article, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    submit.textContent = "Checking…";
    try {
      const { data } = await postJSON(form.action, form.dataset.csrfUrl, { code: editor.value });
      showResults(slot, data.html || "");
      if (data.passed) {
        remember(article.dataset.exercise, article.dataset.era);
        showProgress();
      }
    } catch (error) {
      slot.textContent = `The check could not run: ${error.message}`;
    } finally {
      submit.disabled = false;
      submit.textContent = "Check";
    }
  });
}

const article = document.querySelector("article.exercise");
if (article) {
  revealHintsOneByOne();
  enhanceForm(article);
}
showProgress();
