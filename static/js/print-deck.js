// Print and handout: fit every slide (and its notes) to its sheet, so each prints on one page
// with its code complete. Sheets have their printed size on screen, so this runs once.
import { applyTheme, fitSlide } from "./deck-core.js";

function fitNotes(notes) {
  // Notes shrink (down to 60%) rather than spill onto a second page.
  let scale = 1;
  notes.style.setProperty("--fit", "1");
  while (notes.scrollHeight > notes.clientHeight + 1 && scale > 0.6) {
    scale -= 0.05;
    notes.style.setProperty("--fit", scale.toFixed(2));
  }
}

function fitAll() {
  for (const slide of document.querySelectorAll(".print-slide > .deck-slide")) {
    fitSlide(slide, { print: true });
  }
  document.querySelectorAll(".print-notes").forEach(fitNotes);
  document.documentElement.dataset.fitted = "true";
}

// Paper is light whatever the screen theme.
applyTheme("light");
fitAll();
// Fit again only if a font was still loading (system fonts usually are not).
if (document.fonts && document.fonts.status !== "loaded") document.fonts.ready.then(fitAll);
document.querySelector("[data-action='print']")?.addEventListener("click", () => window.print());
