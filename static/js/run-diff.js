/* "Compare with the recorded output": after an edited run, a line diff of what the run printed
 * against the sample's recorded output, so a learner sees what the edit changed.
 *
 * An HTTP response is compared in two parts, the status line with the headers, then the body;
 * any other output as a whole. Each changed line carries a visible + or − and, for screen
 * readers, the words "Added" or "Removed": the colours only repeat what the text says. Every
 * string goes into the page with textContent.
 */
(function () {
  "use strict";

  var MAX_LINES = 1500; // a longest-common-subsequence table of 1500 × 1500 is still quick
  var counter = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function lines(text) {
    var normal = String(text || "").replace(/\r\n?/g, "\n");
    if (normal.slice(-1) === "\n") {
      normal = normal.slice(0, -1);
    }
    return normal === "" ? [] : normal.split("\n");
  }

  /* [{kind: "same" | "removed" | "added", text}] turning `before` into `after`. */
  function diffLines(before, after) {
    var n = before.length;
    var m = after.length;
    var table = new Array(n + 1);
    for (var i = 0; i <= n; i++) {
      table[i] = new Uint16Array(m + 1);
    }
    for (i = n - 1; i >= 0; i--) {
      for (var j = m - 1; j >= 0; j--) {
        table[i][j] = before[i] === after[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
      }
    }
    var out = [];
    i = 0;
    j = 0;
    while (i < n && j < m) {
      if (before[i] === after[j]) {
        out.push({ kind: "same", text: before[i] });
        i++;
        j++;
      } else if (table[i + 1][j] >= table[i][j + 1]) {
        out.push({ kind: "removed", text: before[i++] });
      } else {
        out.push({ kind: "added", text: after[j++] });
      }
    }
    while (i < n) {
      out.push({ kind: "removed", text: before[i++] });
    }
    while (j < m) {
      out.push({ kind: "added", text: after[j++] });
    }
    return out;
  }

  /* An HTTP response's head (status line and headers) and body, split at the first blank line. */
  function httpParts(text) {
    var normal = String(text || "").replace(/\r\n?/g, "\n");
    var end = normal.indexOf("\n\n");
    if (!/^HTTP\/\d/.test(normal) || end === -1) {
      return null;
    }
    return { head: normal.slice(0, end), body: normal.slice(end + 2) };
  }

  var WORDS = { same: "", removed: "Removed: ", added: "Added: " };
  var MARKS = { same: "  ", removed: "− ", added: "+ " };

  function section(title, before, after) {
    var wrapper = el("div", "run-diff-part");
    var a = lines(before);
    var b = lines(after);
    if (a.length > MAX_LINES || b.length > MAX_LINES) {
      wrapper.appendChild(el("h4", "run-diff-title", title));
      wrapper.appendChild(el("p", "run-diff-summary", "Too long to compare line by line."));
      return { node: wrapper, changed: a.join("\n") !== b.join("\n") ? 1 : 0 };
    }
    var diff = diffLines(a, b);
    var removed = 0;
    var added = 0;
    diff.forEach(function (line) {
      removed += line.kind === "removed" ? 1 : 0;
      added += line.kind === "added" ? 1 : 0;
    });
    wrapper.appendChild(el("h4", "run-diff-title", title));
    var summary = removed || added
      ? removed + " line" + (removed === 1 ? "" : "s") + " removed, " + added + " added."
      : "The same as recorded.";
    wrapper.appendChild(el("p", "run-diff-summary", summary));
    if (removed || added) {
      var pre = el("pre", "run-diff-lines");
      pre.tabIndex = 0;
      pre.setAttribute("role", "region");
      pre.setAttribute("aria-label", title + ": differences from the recorded output");
      diff.forEach(function (line) {
        var row = el(line.kind === "same" ? "span" : line.kind === "added" ? "ins" : "del", "diff-line diff-" + line.kind);
        var mark = el("span", "diff-mark", MARKS[line.kind]);
        mark.setAttribute("aria-hidden", "true");
        row.appendChild(mark);
        if (WORDS[line.kind]) {
          row.appendChild(el("span", "visually-hidden", WORDS[line.kind]));
        }
        row.appendChild(document.createTextNode(line.text === "" ? " " : line.text));
        pre.appendChild(row);
      });
      wrapper.appendChild(pre);
    }
    return { node: wrapper, changed: removed + added };
  }

  /* A "Compare with the recorded output" toggle and its panel, closed at first. */
  function compareControl(recorded, output) {
    counter += 1;
    var box = el("div", "run-compare");
    var toggle = el("button", "secondary run-compare-button", "Compare with the recorded output");
    toggle.type = "button";
    var panel = el("div", "run-diff");
    panel.id = "run-diff-" + counter;
    panel.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", panel.id);
    panel.appendChild(
      el("p", "run-diff-legend", "Lines marked − are in the recorded output only; lines marked + are new in this run.")
    );
    var before = httpParts(recorded);
    var after = httpParts(output);
    var parts = before && after
      ? [section("Status line and headers", before.head, after.head), section("Body", before.body, after.body)]
      : [section("Output", recorded, output)];
    parts.forEach(function (part) {
      panel.appendChild(part.node);
    });
    toggle.addEventListener("click", function () {
      var open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    box.appendChild(toggle);
    box.appendChild(panel);
    return box;
  }

  window.historywebDiff = { compareControl: compareControl, diffLines: diffLines };
})();
