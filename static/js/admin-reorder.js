// Reorders the rows of an admin inline (slides, samples, references, a talk's eras) by drag and drop or
// with Move up / Move down buttons. Moving a row renumbers every row's order field 1..n in
// the new sequence; the server saves any permutation in one POST (timeline/admin/formsets.py).
// A stacked inline's rows (a slide with its two preview frames is taller than a screen) can
// fold to one line each, order and title, to move many at once; the fields stay in the form.
import { button, el } from "./dom.js";

// A stacked inline's rows are its .inline-related blocks; a tabular inline's are the table's
// rows (its one .inline-related wraps the whole table, so it is not a row).
function rowsOf(group) {
  return Array.from(group.querySelectorAll(".inline-related:not(.empty-form):not(.tabular), tr.form-row:not(.empty-form)"))
    .filter(function (row) { return row.querySelector("input[name$='-order']"); });
}

function orderInput(row) {
  return row.querySelector("input[name$='-order']");
}

function labelOf(row) {
  const label = row.querySelector(".inline_label");
  const title = row.querySelector("input[name$='-title']");
  const era = row.querySelector("select[name$='-era'] option:checked");
  return (title && title.value) || (era && era.textContent.trim()) || (label && label.textContent.trim()) || "row";
}

function announce(group, text) {
  let live = group.querySelector(".reorder-status");
  if (!live) {
    live = el("p", "reorder-status");
    live.setAttribute("role", "status");
    group.prepend(live);
  }
  live.textContent = text;
}

// Orders follow the rows on screen only once a row moves: loading the page changes nothing.
function renumber(group) {
  rowsOf(group).forEach(function (row, index) {
    orderInput(row).value = String(index + 1);
  });
  return refresh(group);
}

function refresh(group) {
  const rows = rowsOf(group);
  rows.forEach(function (row, index) {
    const summary = row.querySelector(".reorder-summary");
    if (summary) summary.textContent = orderInput(row).value + ". " + labelOf(row);
    row.querySelectorAll(".reorder-up, .reorder-down").forEach(function (button) {
      const up = button.classList.contains("reorder-up");
      button.disabled = up ? index === 0 : index === rows.length - 1;
      button.setAttribute("aria-label", (up ? "Move up: " : "Move down: ") + labelOf(row));
    });
  });
  return rows;
}

function move(group, row, before) {
  if (before === row) return;
  row.parentNode.insertBefore(row, before);
  const rows = renumber(group);
  announce(group, "“" + labelOf(row) + "” is now " + (rows.indexOf(row) + 1) + " of " + rows.length + ". Save to keep the order.");
}

function attach(group, row) {
  if (row.dataset.reorderAttached) return;
  row.dataset.reorderAttached = "1";
  const tools = el("span", "reorder-tools");
  // The Move buttons do by keyboard what the handle does by mouse, so the handle is
  // hidden from assistive technology; a span, because Chromium won't drag a button.
  const handle = el("span", "reorder-handle", "⠿");
  handle.title = "Drag to move";
  handle.setAttribute("aria-hidden", "true");
  const heading = row.querySelector("h3");
  const cell = row.querySelector("td.field-order");
  // In a table cell the words would widen the column: arrows, named by aria-label and title.
  const up = button(cell && !heading ? "↑" : "↑ Move up", "reorder-up");
  const down = button(cell && !heading ? "↓" : "↓ Move down", "reorder-down");
  up.title = "Move up";
  down.title = "Move down";
  tools.append(handle, up, down);
  (heading || cell || row).append(tools);
  // The row's one line in compact mode (a heading's label names the saved title only).
  if (heading) heading.querySelector("b").after(el("span", "reorder-summary"));

  up.addEventListener("click", function () {
    const rows = rowsOf(group);
    const index = rows.indexOf(row);
    if (index > 0) move(group, row, rows[index - 1]);
    up.disabled ? down.focus() : up.focus();
  });
  down.addEventListener("click", function () {
    const rows = rowsOf(group);
    const index = rows.indexOf(row);
    if (index < rows.length - 1) move(group, row, rows[index + 1].nextSibling);
    down.disabled ? up.focus() : down.focus();
  });

  // Drag by the handle only, so text in the row's fields can still be selected.
  handle.draggable = true;
  handle.addEventListener("dragstart", function (event) {
    group.dataset.dragging = row.id || "";
    group.draggedRow = row;
    row.classList.add("reorder-dragging");
    // A preview frame under the pointer would take the dragover and drop events itself.
    document.body.classList.add("reorder-drag-active");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", labelOf(row));
    if (event.dataTransfer.setDragImage) event.dataTransfer.setDragImage(row, 20, 20);
  });
  handle.addEventListener("dragend", function () {
    row.classList.remove("reorder-dragging");
    document.body.classList.remove("reorder-drag-active");
    group.draggedRow = null;
  });
  row.addEventListener("dragover", function (event) {
    const dragged = group.draggedRow;
    if (!dragged || dragged === row) return;
    event.preventDefault();
    const box = row.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    move(group, dragged, after ? row.nextSibling : row);
  });
  row.addEventListener("drop", function (event) {
    if (group.draggedRow) event.preventDefault();
  });
}

// Compact mode only hides the rows' fields (CSS): toggling back shows them in the new order,
// and Save posts the order fields with the rest.
function addCompactToggle(group, rows) {
  const heading = group.querySelector("h2.inline-heading");
  if (!heading || group.querySelector(".reorder-compact-toggle") || !rows[0].querySelector("h3")) return;
  const toggle = button("One line per row (to reorder)", "reorder-compact-toggle");
  toggle.setAttribute("aria-pressed", "false");
  toggle.setAttribute("aria-label", "One line per row (to reorder): " + heading.textContent.trim());
  toggle.addEventListener("click", function () {
    const compact = group.classList.toggle("reorder-compact");
    toggle.setAttribute("aria-pressed", String(compact));
    const count = refresh(group).length;
    announce(group, compact
      ? count + " rows, one line each: drag them or use Move up and Move down."
      : "Full rows shown, in the order set.");
  });
  heading.after(toggle);
}

function scan() {
  document.querySelectorAll(".inline-group").forEach(function (group) {
    const rows = rowsOf(group);
    if (!rows.length) return;
    group.classList.add("reorderable");
    rows.forEach(function (row) { attach(group, row); });
    if (rows.length > 1) addCompactToggle(group, rows);
    const highest = Math.max(0, ...rows.map(function (row) { return Number(orderInput(row).value) || 0; }));
    let next = highest;
    rows.forEach(function (row) {
      // A row added with "Add another" goes last.
      const input = orderInput(row);
      if (!input.value) input.value = String(++next);
    });
    refresh(group);
  });
}

document.addEventListener("DOMContentLoaded", scan);
document.addEventListener("formset:added", scan);
document.addEventListener("formset:removed", scan);
