/* On every page: note what the reader does (an era read to its end, a sample that ran) and
 * tick the eras already read wherever a page lists them ([data-read-mark]). */
import { mark, read } from "./progress-store.js";

function today() {
  return new Date().toISOString().slice(0, 10);
}

function showReadMarks() {
  const eras = read("eras");
  for (const node of document.querySelectorAll("[data-read-mark]")) {
    const date = eras[node.dataset.readMark];
    node.textContent = typeof date === "string" ? `✓ Read` : "";
    node.classList.toggle("is-read", typeof date === "string");
  }
}

// An era counts as read when its end (the pager under the article) comes into view.
const end = document.querySelector("[data-era-end]");
if (end && "IntersectionObserver" in window) {
  const watcher = new IntersectionObserver(function (entries) {
    if (entries.some((entry) => entry.isIntersecting)) {
      mark("eras", end.dataset.eraEnd, today());
      watcher.disconnect();
      showReadMarks();
    }
  });
  watcher.observe(end);
}

document.addEventListener("historyweb:run-result", function (event) {
  const figure = event.target.closest("[data-sample]");
  if (figure && event.detail && event.detail.result && event.detail.result.ran) {
    const era = figure.closest("[data-era]");
    mark("samples", figure.dataset.sample, era ? era.dataset.era : "");
  }
});

showReadMarks();
