// Asks before leaving a change form whose fields differ from what the page loaded: typed text
// (the code editor types into its textarea), choices, moved rows. Typing then undoing is no
// change, nor is a blank row added with "Add another"; a submit (Save, Save anyway) never asks.
// A field that a script sets to what is already saved (Record's expected output) sends
// "admin:value-saved" and counts from its new value.

const loaded = new Map();
let form = null;
let submitting = false;

function valueOf(control) {
  if (control.type === "checkbox" || control.type === "radio") return String(control.checked);
  if (control.multiple) {
    return Array.from(control.selectedOptions, function (option) { return option.value; }).join("\n");
  }
  return control.value;
}

// What an editor enters: hidden inputs are the page's own bookkeeping (versions, row counts).
function controls() {
  return Array.from(form.elements).filter(function (control) {
    return control.name && control.type !== "hidden" && control.type !== "submit" &&
      control.type !== "button" && !control.name.includes("__prefix__");
  });
}

function remember() {
  for (const control of controls()) {
    if (!loaded.has(control)) loaded.set(control, valueOf(control));
  }
}

function changed() {
  for (const [control, value] of loaded) {
    if (control.isConnected && valueOf(control) !== value) return true;
  }
  return false;
}

function start() {
  form = document.querySelector("#content-main form[method=post][id$='_form']");
  if (!form) return;
  // After the other modules' own DOMContentLoaded work (a new row's order, the editors).
  setTimeout(remember);
  form.addEventListener("submit", function () { submitting = true; });
  document.addEventListener("formset:added", function () { setTimeout(remember); });
  document.addEventListener("admin:value-saved", function (event) {
    if (loaded.has(event.target)) loaded.set(event.target, valueOf(event.target));
  });
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !changed()) return;
    event.preventDefault();
    event.returnValue = "";  // older Chromium asks only when this is set
  });
}

document.addEventListener("DOMContentLoaded", start);
