// Inside the admin's slide preview frame: shows the slide the admin sends (HTML rendered and
// sanitised by the server), fits it as the deck does and answers with the fit audit's verdict.
import { auditSlide } from "./slide-audit.js";
import { fitSlide } from "./slide-fit.js";

const stage = document.getElementById("stage");

window.addEventListener("message", async function (event) {
  if (event.origin !== window.location.origin || event.source !== window.parent) return;
  const { html, id } = event.data || {};
  if (typeof html !== "string") return;
  stage.innerHTML = html;
  const slide = stage.querySelector(".deck-slide");
  if (!slide) return;
  slide.classList.add("is-current");
  await document.fonts.ready;
  fitSlide(slide);
  const problems = auditSlide(slide, { screenHeight: window.innerHeight });
  window.parent.postMessage(
    { id, problems, size: `${window.innerWidth}×${window.innerHeight}` },
    window.location.origin,
  );
});
window.parent.postMessage({ ready: true }, window.location.origin);
