// The admin's code fields (a sample's code, request and expected output) in the shared code
// editor (code-editor.js), highlighted in the sample's language as the editor picks it.
import { enhance, setLanguage } from "./code-editor.js";

const FIELD = /^(.*?)(code|request|expected_output)$/;

function languageOf(prefix, field) {
  if (field === "request") return "http";
  if (field === "expected_output") return "text";
  const input = document.querySelector(`[name="${prefix}language"]`);
  return input ? input.value.trim() : "python";
}

function scan() {
  document.querySelectorAll("textarea").forEach(function (textarea) {
    const match = textarea.name.match(FIELD);
    if (!match || textarea.name.includes("__prefix__") || textarea.dataset.codeEditor) return;
    if (match[1] && !/^samples-\d+-$/.test(match[1])) return;
    const [, prefix, field] = match;
    enhance(textarea, languageOf(prefix, field));
    const language = document.querySelector(`[name="${prefix}language"]`);
    if (field === "code" && language) {
      language.addEventListener("input", function () {
        setLanguage(textarea, language.value.trim());
      });
    }
  });
}

document.addEventListener("DOMContentLoaded", scan);
document.addEventListener("formset:added", scan);
