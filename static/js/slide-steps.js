// Build steps within a slide: bullets revealed one by one (a slide with fragments) and code
// lines highlighted group by group. The server counts them (timeline/build_steps.py) and sends
// them as data: the slide's data-steps (N, its number of builds) and each stepped sample's
// data-highlights (its groups of line numbers, null for all). Nothing is parsed here.
// Steps are numbered as everywhere else: 0 is the slide as it opens, N has every build shown.

const cache = new WeakMap();
// Back onto a slide still on its way: its last step, whatever it is once it arrives.
export const LAST_STEP = 99;

function readHighlights(element) {
  try {
    const groups = JSON.parse(element.dataset.highlights || "[]");
    return Array.isArray(groups) ? groups.map((group) => (Array.isArray(group) ? new Set(group) : null)) : [];
  } catch {
    return [];
  }
}

function describeLines(lines) {
  if (lines === null) return "all lines";
  const sorted = [...lines].sort((a, b) => a - b);
  const parts = [];
  for (const line of sorted) {
    const last = parts[parts.length - 1];
    if (last && line === last[1] + 1) last[1] = line;
    else parts.push([line, line]);
  }
  return `line${sorted.length === 1 ? "" : "s"} ${parts.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(", ")}`;
}

function shorten(text) {
  const clean = text.trim().replace(/\s+/g, " ");
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}

/** The last step of a slide: its number of builds, as the server counted them. */
export function lastStep(slide) {
  if (!slide) return 0;
  if (slide.classList.contains("is-pending")) return LAST_STEP;
  return Math.max(0, Math.min(LAST_STEP, Number(slide.dataset.steps) || 0));
}

/**
 * A slide's steps: `last` (0 when it has none), `apply(k)` to show step k (0..last), and
 * `label(k)`, what step k brings (for the speaker view).
 */
export function slideSteps(slide) {
  if (!slide || slide.classList.contains("is-pending")) return { last: 0, apply() {}, label: () => "" };
  if (cache.has(slide)) return cache.get(slide);
  const bullets = slide.classList.contains("has-fragments")
    ? [...slide.querySelectorAll(".slide-body > ul > li, .slide-body > ol > li")]
    : [];
  const samples = [...slide.querySelectorAll(".slide-sample[data-highlights]")]
    .map((element) => {
      const first = Number(element.dataset.firstLine) || 1;
      const lines = [...element.querySelectorAll(".sample-code .line")];
      lines.forEach((line, index) => (line.dataset.line = String(first + index)));
      const title = element.querySelector(".sample-title")?.textContent.trim() || "the code";
      return { element, lines, title, steps: readHighlights(element) };
    })
    .filter((sample) => sample.lines.length && sample.steps.length);
  bullets.forEach((bullet) => bullet.classList.add("fragment"));

  // The builds in the server's order: every bullet, then each sample's later highlights.
  const changes = [
    ...bullets.map((bullet) => ({ bullet })),
    ...samples.flatMap((sample) => sample.steps.slice(1).map((_, index) => ({ sample, index: index + 1 }))),
  ];
  const last = lastStep(slide);

  function apply(k) {
    const done = changes.slice(0, Math.max(0, Math.min(k, last)));
    bullets.forEach((bullet) => bullet.classList.toggle("revealed", done.some((change) => change.bullet === bullet)));
    for (const sample of samples) {
      const reached = done.filter((change) => change.sample === sample).length;
      const lit = sample.steps[reached];
      for (const line of sample.lines) {
        line.classList.toggle("dim", lit !== null && !lit.has(Number(line.dataset.line)));
      }
      const target = sample.lines.find((line) => !line.classList.contains("dim"));
      const pre = target?.closest("pre");
      // Long code that scrolls keeps the highlighted lines in view.
      if (pre && pre.scrollHeight > pre.clientHeight) pre.scrollTop = target.offsetTop - pre.offsetTop - 8;
    }
    slide.dataset.step = String(k);
  }

  function label(k) {
    const change = k >= 1 && k <= last ? changes[k - 1] : null;
    if (!change) return "";
    if (change.bullet) return `bullet “${shorten(change.bullet.textContent)}”`;
    return `${describeLines(change.sample.steps[change.index])} of “${change.sample.title}”`;
  }

  const steps = { last, apply, label };
  cache.set(slide, steps);
  return steps;
}

/** Where → goes from slide n at step k: the next step, or the next slide's step 0. */
export function forward(slides, n, k) {
  if (k < slideSteps(slides[n - 1]).last) return [n, k + 1];
  return n < slides.length ? [n + 1, 0] : [n, k];
}

/** Where ← goes: the previous step, or the previous slide with all its steps shown. */
export function backward(slides, n, k) {
  if (k > 0) return [n, k - 1];
  if (n <= 1) return [1, 0];
  return [n - 1, lastStep(slides[n - 2])];
}
