// Build steps within a slide: bullets revealed one by one (a slide with fragments) and code
// lines highlighted group by group (a sample's highlight steps, e.g. "1-4|6-9|all"). → walks
// the steps before the next slide; step 1 is where `#/N` opens a slide.

const cache = new WeakMap();

/** "1-4|6,8-9|all" as a list of Sets of line numbers; `all` is null (nothing dimmed). */
export function parseSteps(text) {
  const steps = [];
  for (const step of String(text || "").replace(/\s+/g, "").split("|")) {
    if (!step) continue;
    if (step === "all") {
      steps.push(null);
      continue;
    }
    const lines = new Set();
    for (const part of step.split(",")) {
      const match = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
      if (!match) return [];
      const last = Number(match[2] || match[1]);
      for (let line = Number(match[1]); line <= last && line - Number(match[1]) < 10000; line += 1) lines.add(line);
    }
    steps.push(lines);
  }
  return steps;
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

/**
 * A slide's steps: `count` (1 when it has none), `apply(k)` to show step k, and `label(k)`,
 * what step k brings (for the speaker view).
 */
export function slideSteps(slide) {
  if (!slide) return { count: 1, apply() {}, label: () => "" };
  if (cache.has(slide)) return cache.get(slide);
  const bullets = slide.classList.contains("has-fragments")
    ? [...slide.querySelectorAll(".slide-body > ul > li, .slide-body > ol > li")]
    : [];
  const samples = [...slide.querySelectorAll(".slide-sample[data-steps]")]
    .map((element) => {
      const first = Number(element.dataset.firstLine) || 1;
      const lines = [...element.querySelectorAll(".sample-code .line")];
      lines.forEach((line, index) => (line.dataset.line = String(first + index)));
      const title = element.querySelector(".sample-title")?.textContent.trim() || "the code";
      return { element, lines, title, steps: parseSteps(element.dataset.steps) };
    })
    .filter((sample) => sample.lines.length && sample.steps.length);
  bullets.forEach((bullet) => bullet.classList.add("fragment"));

  // Step 1 shows no bullet and each sample's first highlight; every later step adds one change.
  const changes = [
    ...bullets.map((bullet) => ({ bullet })),
    ...samples.flatMap((sample) => sample.steps.slice(1).map((_, index) => ({ sample, index: index + 1 }))),
  ];

  function apply(k) {
    const done = changes.slice(0, Math.max(0, k - 1));
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
    const change = changes[k - 2];
    if (!change) return "";
    if (change.bullet) return `bullet “${shorten(change.bullet.textContent)}”`;
    return `${describeLines(change.sample.steps[change.index])} of “${change.sample.title}”`;
  }

  const steps = { count: changes.length + 1, apply, label };
  cache.set(slide, steps);
  return steps;
}

/** Where → goes from slide n at step k: the next step, or the next slide's first. */
export function forward(slides, n, k) {
  const steps = slideSteps(slides[n - 1]);
  return k < steps.count ? [n, k + 1] : [Math.min(n + 1, slides.length), 1];
}

/** Where ← goes: the previous step, or the previous slide with all its steps shown. */
export function backward(slides, n, k) {
  if (k > 1) return [n, k - 1];
  if (n <= 1) return [1, 1];
  return [n - 1, slideSteps(slides[n - 2]).count];
}
