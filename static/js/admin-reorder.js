// Reorders the rows of an admin inline (slides, samples, references, a talk's eras) by drag and drop or
// with Move up / Move down buttons. Moving a row renumbers every row's order field 1..n in
// the new sequence; the server saves any permutation in one POST (timeline/admin/formsets.py).
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
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", labelOf(row));
    if (event.dataTransfer.setDragImage) event.dataTransfer.setDragImage(row, 20, 20);
  });
  handle.addEventListener("dragend", function () {
    row.classList.remove("reorder-dragging");
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

function scan() {
  document.querySelectorAll(".inline-group").forEach(function (group) {
    const rows = rowsOf(group);
    if (!rows.length) return;
    group.classList.add("reorderable");
    rows.forEach(function (row) { attach(group, row); });
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
