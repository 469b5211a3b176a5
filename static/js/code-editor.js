// A small code editor over a <textarea>: monospace, line numbers, syntax highlighting, Tab and
// Shift+Tab indent, Enter keeps the indentation. Shared by the admin's code fields and the
// learner's editor on era pages (run.js).
//
// Why not CodeMirror: it needs a bundler (bare module imports), a committed build of ~350 KB
// and style injection under our strict CSP; decks load the run assets and have a 150 KB
// budget. Here the textarea stays the real control (forms, undo, screen readers, spell-check
// off, mobile keyboards all work as for any textarea); a highlighted copy sits behind its
// transparent text, in the Pygments classes that the site's light and dark styles colour.
//
// Keyboard: Tab indents, so Esc then Tab (or Shift+Tab) leaves the editor, as the hint says.

const INDENT = "    ";
const PYTHON_KEYWORDS = new Set(
  ("False None True and as assert async await break class continue def del elif else except " +
    "finally for from global if import in is lambda nonlocal not or pass raise return try " +
    "while with yield print exec match case").split(" "),
);
const PYTHON_BUILTINS = new Set(
  ("self cls len str int bytes dict list tuple set range open print isinstance repr " +
    "sorted enumerate zip map super object type Exception ValueError KeyError").split(" "),
);
const PYTHON = new RegExp(
  [
    "(#[^\\n]*)", // 1 comment
    "((?:[rRbBuUfF]{0,2})(?:\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)|\"(?:\\\\.|[^\"\\\\\\n])*\"?|'(?:\\\\.|[^'\\\\\\n])*'?))", // 2 string
    "(@[\\w.]+)", // 3 decorator
    "(\\b\\d[\\d_]*(?:\\.\\d+)?(?:[eE][+-]?\\d+)?j?\\b|\\b0[xXoObB][\\da-fA-F_]+\\b)", // 4 number
    "([A-Za-z_]\\w*)", // 5 name
    "([-+*/%=<>!&|^~:]+)", // 6 operator
  ].join("|"),
  "g",
);
const HTTP_LINE = /^([A-Z]+)( +)(\S+)( +)(HTTP\/\d\.\d)$|^(HTTP\/\d\.\d)( +)(\d{3})(.*)$|^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(:)(.*)$/;

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
  });
}

function span(kind, text) {
  return kind ? `<span class="${kind}">${escapeHtml(text)}</span>` : escapeHtml(text);
}

function highlightPython(text) {
  let out = "";
  let last = 0;
  let previous = "";
  PYTHON.lastIndex = 0;
  for (let match = PYTHON.exec(text); match; match = PYTHON.exec(text)) {
    if (match[0] === "") {
      PYTHON.lastIndex += 1;
      continue;
    }
    out += escapeHtml(text.slice(last, match.index));
    last = PYTHON.lastIndex;
    let kind = "";
    if (match[1]) kind = "c1";
    else if (match[2]) kind = "s";
    else if (match[3]) kind = "nd";
    else if (match[4]) kind = "mi";
    else if (match[5]) {
      const word = match[5];
      if (previous === "def") kind = "nf";
      else if (previous === "class") kind = "nc";
      else if (word === "import" || word === "from") kind = "kn";
      else if (word === "True" || word === "False" || word === "None") kind = "kc";
      else if (PYTHON_KEYWORDS.has(word)) kind = "k";
      else if (PYTHON_BUILTINS.has(word)) kind = "nb";
      previous = word;
    } else if (match[6]) kind = "o";
    out += span(kind, match[0]);
  }
  return out + escapeHtml(text.slice(last));
}

function highlightHttp(text) {
  let body = false;
  return text
    .split("\n")
    .map(function (line, index) {
      if (body) return escapeHtml(line);
      if (line === "" && index > 0) {
        body = true;
        return "";
      }
      const m = line.match(HTTP_LINE);
      if (!m) return escapeHtml(line);
      if (m[1]) return span("nf", m[1]) + m[2] + span("nn", m[3]) + m[4] + span("kt", m[5]);
      if (m[6]) return span("kt", m[6]) + m[7] + span("mi", m[8]) + span("ne", m[9]);
      return span("na", m[10]) + span("o", m[11]) + span("s", m[12]);
    })
    .join("\n");
}

export function highlight(text, language) {
  if (/^(python|python2|py|py2|pycon|python3|py3)$/.test(language)) return highlightPython(text);
  if (language === "http") return highlightHttp(text);
  return escapeHtml(text);
}

function lineStart(value, index) {
  return value.lastIndexOf("\n", index - 1) + 1;
}

function replaceRange(textarea, start, end, text, selectStart, selectEnd) {
  textarea.focus();
  textarea.setSelectionRange(start, end);
  // execCommand keeps the browser's undo history; setRangeText where it is unsupported.
  if (!document.execCommand || !document.execCommand("insertText", false, text)) {
    textarea.setRangeText(text, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
  if (selectStart !== undefined) textarea.setSelectionRange(selectStart, selectEnd);
}

function indent(textarea, outdent) {
  const value = textarea.value;
  const start = textarea.selectionStart;
  const end = textarea.selectionEnd;
  const first = lineStart(value, start);
  if (!outdent && start === end) {
    const column = start - first;
    replaceRange(textarea, start, end, INDENT.slice(column % INDENT.length));
    return;
  }
  const last = end > start && value[end - 1] === "\n" ? end - 1 : end;
  const lines = value.slice(first, last).split("\n");
  const changed = lines.map(function (line) {
    if (!outdent) return INDENT + line;
    const spaces = line.match(/^ {0,4}/)[0].length;
    return line.slice(spaces || (line[0] === "\t" ? 1 : 0));
  });
  const text = changed.join("\n");
  const shift = changed[0].length - lines[0].length;
  replaceRange(textarea, first, last, text, Math.max(first, start + shift), first + text.length + (end - last));
}

function newline(textarea) {
  const value = textarea.value;
  const start = textarea.selectionStart;
  const line = value.slice(lineStart(value, start), start);
  let whitespace = line.match(/^[ \t]*/)[0];
  if (/:\s*$/.test(line) && textarea.dataset.language !== "http") whitespace += INDENT;
  replaceRange(textarea, start, textarea.selectionEnd, "\n" + whitespace);
}

export function enhance(textarea, language) {
  if (!textarea || textarea.dataset.codeEditor) return;
  textarea.dataset.codeEditor = "on";
  textarea.dataset.language = language || "text";
  textarea.spellcheck = false;
  textarea.setAttribute("autocapitalize", "off");
  textarea.setAttribute("autocomplete", "off");
  textarea.wrap = "off";
  textarea.classList.add("code-editor-input");

  const shell = document.createElement("div");
  shell.className = "code-editor-shell";
  const gutter = document.createElement("pre");
  gutter.className = "code-editor-gutter";
  gutter.setAttribute("aria-hidden", "true");
  const area = document.createElement("div");
  area.className = "code-editor-area";
  const backdrop = document.createElement("pre");
  backdrop.className = "code-editor-backdrop highlight";
  backdrop.setAttribute("aria-hidden", "true");
  const code = document.createElement("code");
  backdrop.append(code);
  const hint = document.createElement("p");
  hint.className = "code-editor-hint";
  hint.id = (textarea.id || "code-" + Math.random().toString(36).slice(2)) + "-hint";
  hint.textContent = "Tab indents, Shift+Tab outdents. To leave the editor press Esc, then Tab.";
  const described = textarea.getAttribute("aria-describedby");
  textarea.setAttribute("aria-describedby", (described ? described + " " : "") + hint.id);

  textarea.before(shell);
  area.append(backdrop, textarea);
  shell.append(gutter, area);
  // Below the editor, not beside it, in the admin's label-and-field row.
  (shell.parentElement.classList.contains("flex-container") ? shell.parentElement : shell).after(hint);

  function render() {
    // A final newline needs a line after it to show in the copy, as in the textarea.
    code.innerHTML = highlight(textarea.value, textarea.dataset.language) + "\n";
    const count = textarea.value.split("\n").length;
    if (gutter.dataset.count !== String(count)) {
      gutter.dataset.count = String(count);
      gutter.textContent = Array.from({ length: count }, (_, i) => i + 1).join("\n");
    }
    sync();
  }

  function sync() {
    backdrop.scrollTop = textarea.scrollTop;
    backdrop.scrollLeft = textarea.scrollLeft;
    gutter.scrollTop = textarea.scrollTop;
  }

  let leaving = false;
  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      leaving = true;
      return;
    }
    if (event.key === "Tab" && !leaving && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      indent(textarea, event.shiftKey);
    } else if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
      event.preventDefault();
      newline(textarea);
    }
    if (event.key !== "Shift") leaving = false;
  });
  textarea.addEventListener("input", render);
  textarea.addEventListener("scroll", sync);
  render();
  return { render: render };
}

export function setLanguage(textarea, language) {
  if (!textarea.dataset.codeEditor) return;
  textarea.dataset.language = language || "text";
  textarea.dispatchEvent(new Event("input"));
}
