// The admin's code fields in the shared code editor (code-editor.js): a sample's code, request
// and expected output, and any textarea whose widget names its language (widgets.CodeTextarea:
// an exercise's starter, solution and wrong answers, a check's request), highlighted as the
// language field the editor picks says.
import { enhance, setLanguage } from "./code-editor.js";

const FIELD = /^(.*?)(code|request|expected_output)$/;

function languageOf(prefix, field) {
  if (field === "request") return "http";
  if (field === "expected_output") return "text";
  const input = document.querySelector(`[name="${prefix}language"]`);
  return input ? input.value.trim() : "python";
}

// A textarea and the input its language follows (none: fixed), or null if not a code field.
function codeField(textarea) {
  if (textarea.name.includes("__prefix__") || textarea.dataset.codeEditor) return null;
  const { codeLanguage, codeLanguageFrom } = textarea.dataset;
  if (codeLanguage || codeLanguageFrom) {
    const source = codeLanguageFrom && document.querySelector(`[name="${codeLanguageFrom}"]`);
    return { language: source ? source.value.trim() : codeLanguage || "text", source };
  }
  const match = textarea.name.match(FIELD);
  if (!match || (match[1] && !/^samples-\d+-$/.test(match[1]))) return null;
  const [, prefix, field] = match;
  const source = field === "code" && document.querySelector(`[name="${prefix}language"]`);
  return { language: languageOf(prefix, field), source };
}

function scan() {
  document.querySelectorAll("textarea").forEach(function (textarea) {
    const found = codeField(textarea);
    if (!found) return;
    enhance(textarea, found.language);
    if (found.source) {
      found.source.addEventListener("input", function () {
        setLanguage(textarea, found.source.value.trim());
      });
    }
  });
}

document.addEventListener("DOMContentLoaded", scan);
document.addEventListener("formset:added", scan);
