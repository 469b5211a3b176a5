/* The header's theme button: pressed means dark. Unset, the page follows the system, and the
 * button says which theme that is; a choice made in another tab follows here too. */
import { THEME_KEY, applyTheme, toggleTheme } from "./theme.js";

const button = document.querySelector("[data-theme-toggle]");
const systemDark = matchMedia("(prefers-color-scheme: dark)");

function showState() {
  const theme = document.documentElement.dataset.theme || (systemDark.matches ? "dark" : "light");
  button.setAttribute("aria-pressed", String(theme === "dark"));
}

if (button) {
  button.hidden = false;
  showState();
  button.addEventListener("click", function () {
    toggleTheme();
    showState();
  });
  systemDark.addEventListener("change", showState);
  addEventListener("storage", function (event) {
    if (event.key === THEME_KEY) {
      applyTheme(event.newValue);
      showState();
    }
  });
}
