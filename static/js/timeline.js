/* The timeline's decade links: mark the decade in view (aria-current, colours only, so nothing
 * moves) and keep it in the address (#1990s) without adding history entries. The links work
 * without this script; it only follows the scrolling. */

function followScrolling(nav) {
  const links = Array.prototype.slice.call(nav.querySelectorAll("a[href^='#']"));
  const sections = links.map(function (link) {
    return document.getElementById(decodeURIComponent(link.hash.slice(1)));
  });
  let current;
  let pending = false;
  let first = true;

  function inView() {
    // The last decade whose top has passed just under the (sticky) links, or under the
    // margin a jump leaves above it (scroll-margin-top).
    const margin = sections[0] ? parseFloat(getComputedStyle(sections[0]).scrollMarginTop) || 0 : 0;
    const line = Math.max(nav.offsetHeight, margin) + 16;
    let found = -1;
    sections.forEach(function (section, index) {
      if (section && section.getBoundingClientRect().top <= line) {
        found = index;
      }
    });
    // At the very bottom the last decade may never reach the line: it is the one in view.
    const bottom = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
    return bottom && found >= 0 ? sections.length - 1 : found;
  }

  function update() {
    pending = false;
    const index = inView();
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
    const hash = index >= 0 ? links[index].hash : "";
    const ours = !window.location.hash || links.some(function (link) {
      return link.hash === window.location.hash;
    });
    if (first || !ours) {
      first = false;
      return;
    }
    if (window.location.hash !== hash && window.history.replaceState) {
      const url = window.location.pathname + window.location.search + hash;
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
}

const nav = document.querySelector(".decade-nav");
if (nav) {
  followScrolling(nav);
}
