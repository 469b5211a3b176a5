/* A learner's progress, kept in this browser only (localStorage, no account): eras read,
 * samples run, exercises solved. Each is one JSON object under its own key; exercise.js wrote
 * the exercises' key first and its shape is kept: { exerciseSlug: eraSlug }. */

export const KEYS = {
  eras: "historyweb:eras-read", // { eraSlug: "YYYY-MM-DD" the reader reached its end }
  samples: "historyweb:samples-run", // { samplePk: eraSlug or "" }
  exercises: "historyweb:exercises", // { exerciseSlug: eraSlug }
};

export function read(kind) {
  try {
    const data = JSON.parse(localStorage.getItem(KEYS[kind]) || "{}");
    return data && typeof data === "object" && !Array.isArray(data) ? data : {};
  } catch {
    return {};
  }
}

/** Store several kinds at once: all of them or, when storage refuses one, none. */
export function writeAll(values) {
  const before = {};
  for (const kind of Object.keys(values)) before[kind] = localStorage.getItem(KEYS[kind]);
  try {
    for (const [kind, data] of Object.entries(values)) {
      localStorage.setItem(KEYS[kind], JSON.stringify(data));
    }
    return true;
  } catch {
    for (const [kind, old] of Object.entries(before)) {
      try {
        if (old === null) localStorage.removeItem(KEYS[kind]);
        else localStorage.setItem(KEYS[kind], old);
      } catch {
        // Nothing more can be done; what was stored before is what most likely remains.
      }
    }
    return false;
  }
}

export function mark(kind, key, value) {
  const data = read(kind);
  if (Object.hasOwn(data, key)) return;
  data[key] = value;
  writeAll({ [kind]: data });
}
