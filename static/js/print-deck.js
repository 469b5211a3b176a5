// Print and handout: fit every slide (and its notes) to its sheet, so each prints on one page
// with its code complete. Sheets have their printed size on screen, so this runs once.
import { applyTheme, fitSlide } from "./deck-core.js";

function fitNotes(notes) {
  // Notes shrink (down to 60%) rather than spill out of their third of the page.
  const box = notes;
  let scale = 1;
  notes.style.setProperty("--fit", "1");
  while (box.scrollHeight > box.clientHeight + 1 && scale > 0.6) {
    scale -= 0.05;
    notes.style.setProperty("--fit", scale.toFixed(2));
  }
}

// A handout's slides are laid out at their printed size, not shrunk from a page's: their code
// stays at 9 px or more, and their text may go down to 7 px to leave the code room.
const HANDOUT_MIN_BODY = 7;

function fitAll() {
  for (const slide of document.querySelectorAll(".print-slide > .deck-slide")) {
    const handout = Boolean(slide.closest(".handout-frame"));
    fitSlide(slide, { print: true, minBody: handout ? HANDOUT_MIN_BODY : 12 });
  }
  document.querySelectorAll(".print-notes:not(.ruled)").forEach(fitNotes);
  document.documentElement.dataset.fitted = "true";
}

// Paper is light whatever the screen theme.
applyTheme("light");
fitAll();
// Fit again only if a font was still loading (system fonts usually are not).
if (document.fonts && document.fonts.status !== "loaded") document.fonts.ready.then(fitAll);
document.querySelector("[data-action='print']")?.addEventListener("click", () => window.print());
