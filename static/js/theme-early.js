/* The saved theme, set before the first paint. A classic script loaded from <head>, after the
 * stylesheets: a module is deferred and would let the system's theme show for a frame.
 * Keep in step with applyTheme in theme.js (same key, same attribute, same media trick). */
(function () {
  var theme = null;
  try {
    theme = localStorage.getItem("historyweb-theme");
  } catch (error) {
    return; // storage refused (private window): follow the system
  }
  if (theme !== "light" && theme !== "dark") return;
  document.documentElement.dataset.theme = theme;
  document.querySelectorAll("link[data-theme-css]").forEach(function (link) {
    link.dataset.media = link.media;
    link.media = link.dataset.themeCss === theme ? "all" : "not all";
  });
})();
