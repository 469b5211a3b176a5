/* Small helpers for building the page's own elements. Text always goes in as textContent. */

/** A new element with a class (optional) and its text (optional). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = text;
  }
  return node;
}

/** A button that submits nothing. */
export function button(label, className) {
  const node = el("button", className, label);
  node.type = "button";
  return node;
}

/** The elements inside `root` that `selectors` names ({name: selector}), under the same names;
 * one that is missing is null. */
export function parts(root, selectors) {
  return Object.fromEntries(
    Object.entries(selectors).map(([name, selector]) => [name, root.querySelector(selector)]),
  );
}

/** The boxes of the text inside `root`, one per line of each text node: elements' own boxes left
 * out (a highlighted code line is a block as wide as its pre; its text rarely is). */
export function textRects(root) {
  const rects = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    range.selectNodeContents(node);
    rects.push(...range.getClientRects());
  }
  return rects;
}
