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
