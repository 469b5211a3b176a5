/* The timeline's decade links: mark the decade in view (aria-current, colours only, so nothing
 * moves) and keep it in the address (#1990s) without adding history entries. The links work
 * without this script; it only follows the scrolling. */
(function () {
  "use strict";

  var nav = document.querySelector(".decade-nav");
  if (!nav) {
    return;
  }
  var links = Array.prototype.slice.call(nav.querySelectorAll("a[href^='#']"));
  var sections = links.map(function (link) {
    return document.getElementById(decodeURIComponent(link.hash.slice(1)));
  });
  var current;
  var pending = false;
  var first = true;

  function inView() {
    // The last decade whose top has passed just under the (sticky) links, or under the
    // margin a jump leaves above it (scroll-margin-top).
    var margin = sections[0] ? parseFloat(getComputedStyle(sections[0]).scrollMarginTop) || 0 : 0;
    var line = Math.max(nav.offsetHeight, margin) + 16;
    var found = -1;
    sections.forEach(function (section, index) {
      if (section && section.getBoundingClientRect().top <= line) {
        found = index;
      }
    });
    // At the very bottom the last decade may never reach the line: it is the one in view.
    var bottom = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
    return bottom && found >= 0 ? sections.length - 1 : found;
  }

  function update() {
    pending = false;
    var index = inView();
    if (index === current) {
      return;
    }
    current = index;
    links.forEach(function (link, i) {
      if (i === index) {
        link.setAttribute("aria-current", "location");
      } else {
        link.removeAttribute("aria-current");
      }
    });
    // Only a decade's address is rewritten: not the first paint (the browser may be about to
    // scroll to the decade in the address), nor another anchor such as #main.
    var hash = index >= 0 ? links[index].hash : "";
    var ours = !window.location.hash || links.some(function (link) {
      return link.hash === window.location.hash;
    });
    if (first || !ours) {
      first = false;
      return;
    }
    if (window.location.hash !== hash && window.history.replaceState) {
      var url = window.location.pathname + window.location.search + hash;
      window.history.replaceState(window.history.state, "", url);
    }
  }

  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(update);
    }
  }

  window.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", schedule);
  window.addEventListener("hashchange", schedule);
  update();
})();
