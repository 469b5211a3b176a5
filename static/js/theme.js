/* Light and dark: the system's by default; a choice (the header's button, T in the deck) wins
 * and is remembered in this browser. theme-early.js applies a saved choice before the first
 * paint; this module switches and keeps the page's code-highlighting stylesheets in step. */
export const THEME_KEY = "historyweb-theme";

export function applyTheme(theme) {
  const root = document.documentElement;
  if (theme === "light" || theme === "dark") root.dataset.theme = theme;
  else delete root.dataset.theme;
  for (const link of document.querySelectorAll("link[data-theme-css]")) {
    if (!link.dataset.media) link.dataset.media = link.media;
    link.media = !root.dataset.theme
      ? link.dataset.media
      : link.dataset.themeCss === root.dataset.theme
        ? "all"
        : "not all";
  }
}

export function savedTheme() {
  try {
    return localStorage.getItem(THEME_KEY);
  } catch {
    return null;
  }
}

export function toggleTheme() {
  const current =
    document.documentElement.dataset.theme ||
    (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const next = current === "dark" ? "light" : "dark";
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    // Private windows may refuse storage; the switch still works for this page.
  }
  applyTheme(next);
  return next;
}

