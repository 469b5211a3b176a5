/* The Run / Edit / Reset controls of every runnable sample on the page (era page, deck, evolution).
 *
 * Pages that list samples carry no per-user data, so the CSRF token comes from the `csrftoken`
 * cookie, or from a small never-cached endpoint that sets it. Everything the server returns is put
 * in the page with textContent, never as HTML. When a run is impossible (offline, sandbox down,
 * too busy) the recorded output is shown instead.
 */
(function () {
  "use strict";

  var tokenPromise = null;

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      if (part.indexOf(name + "=") === 0) {
        return decodeURIComponent(part.slice(name.length + 1));
      }
    }
    return "";
  }

  function csrfToken(csrfUrl, refresh) {
    var cookie = readCookie("csrftoken");
    if (cookie && !refresh) {
      return Promise.resolve(cookie);
    }
    if (!tokenPromise || refresh) {
      tokenPromise = fetch(csrfUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("Could not get a CSRF token (" + response.status + ").");
          }
          return response.json();
        })
        .then(function (data) {
          return readCookie("csrftoken") || data.csrfToken;
        })
        .catch(function (error) {
          tokenPromise = null;
          throw error;
        });
    }
    return tokenPromise;
  }

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

  function button(label, className) {
    var node = el("button", className, label);
    node.type = "button";
    return node;
  }

  function post(url, csrfUrl, payload, retried) {
    return csrfToken(csrfUrl, retried).then(function (token) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(payload),
      }).then(function (response) {
        if (response.status === 403 && !retried) {
          return post(url, csrfUrl, payload, true); // a stale cookie: fetch a fresh token once
        }
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw new Error("The server answered " + response.status + " without a result.");
        }
        return response.json().then(function (data) {
          data.httpStatus = response.status;
          data.retryAfter = response.headers.get("Retry-After");
          return data;
        });
      });
    });
  }

  var tabCounter = 0;

  /* A small set of tabs: one button per view, one panel visible at a time; arrow keys move. */
  function tabs(views) {
    var wrapper = el("div", "run-tabs");
    var list = el("div", "run-tablist");
    list.setAttribute("role", "tablist");
    wrapper.appendChild(list);
    var buttons = [];

    function select(index, focus) {
      buttons.forEach(function (other, j) {
        other.setAttribute("aria-selected", j === index ? "true" : "false");
        other.tabIndex = j === index ? 0 : -1;
        views[j].panel.hidden = j !== index;
      });
      if (focus) {
        buttons[index].focus();
      }
    }

    views.forEach(function (view, index) {
      tabCounter += 1;
      var tab = button(view.label, "run-tab");
      tab.id = "run-tab-" + tabCounter;
      view.panel.id = "run-panel-" + tabCounter;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", view.panel.id);
      view.panel.setAttribute("role", "tabpanel");
      view.panel.setAttribute("aria-labelledby", tab.id);
      tab.addEventListener("click", function () {
        select(index, false);
      });
      tab.addEventListener("keydown", function (event) {
        var step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (step) {
          event.preventDefault();
          event.stopPropagation(); // not the deck's next/previous slide
          select((index + step + views.length) % views.length, true);
        }
      });
      buttons.push(tab);
      list.appendChild(tab);
      wrapper.appendChild(view.panel);
    });
    select(0, false);
    return wrapper;
  }

  function pre(text, className) {
    var block = el("pre", className);
    block.appendChild(el("code", null, text));
    return block;
  }

  function responseView(result) {
    var panel = el("div", "run-response run-output");
    panel.appendChild(el("p", "run-status", "HTTP/1.1 " + result.status));
    if (result.headers && result.headers.length) {
      var table = el("table", "run-headers");
      table.appendChild(el("caption", null, "Headers"));
      var body = el("tbody");
      result.headers.forEach(function (pair) {
        var row = el("tr");
        var name = el("th", null, pair[0]);
        name.scope = "row";
        row.appendChild(name);
        row.appendChild(el("td", null, pair[1]));
        body.appendChild(row);
      });
      table.appendChild(body);
      panel.appendChild(table);
    }
    panel.appendChild(el("p", "run-label", "Body"));
    panel.appendChild(pre(result.body, "run-body"));
    return panel;
  }

  function environView(environ) {
    var panel = el("div", "run-environ-view");
    var table = el("table", "run-environ");
    var body = el("tbody");
    Object.keys(environ).forEach(function (key) {
      var row = el("tr");
      var name = el("th", null, key);
      name.scope = "row";
      row.appendChild(name);
      var value = el("td");
      var raw = environ[key];
      value.appendChild(el("code", null, typeof raw === "string" ? raw : JSON.stringify(raw)));
      row.appendChild(value);
      body.appendChild(row);
    });
    table.appendChild(body);
    panel.appendChild(table);
    return panel;
  }

  function eventsView(events) {
    var list = el("ol", "run-events");
    events.forEach(function (event) {
      var item = el("li");
      item.appendChild(el("span", "run-direction", event.direction + " · " + event.scope));
      item.appendChild(document.createTextNode(" "));
      var message = event.message;
      item.appendChild(el("code", null, typeof message === "string" ? message : JSON.stringify(message)));
      list.appendChild(item);
    });
    return list;
  }

  function renderResult(container, result, recorded) {
    container.textContent = "";
    container.hidden = false;
    container.classList.toggle("run-failed", !result.ok);
    var meta = result.ok ? "Ran" : "Did not finish cleanly";
    if (typeof result.duration_ms === "number") {
      meta += " in " + Math.round(result.duration_ms) + " ms";
    }
    if (result.cached) {
      meta += " (cached)";
    }
    container.appendChild(el("p", "run-meta", meta + "."));
    if (result.error) {
      var message = result.error;
      // A script's traceback is already in its output: say what failed, once.
      if (result.output && result.output.indexOf(message.trim()) !== -1) {
        var lines = message.trim().split("\n");
        message = lines[lines.length - 1] + " (the traceback is in the output below)";
      }
      var error = pre(message, "run-error");
      error.setAttribute("role", "alert");
      container.appendChild(error);
    }
    var views = [];
    if (result.status) {
      views.push({ label: "Response", panel: responseView(result) });
      views.push({ label: "Raw", panel: pre(result.output, "run-raw") });
    } else if (result.output) {
      views.push({ label: "Output", panel: pre(result.output, "run-output") });
    }
    if (result.environ && Object.keys(result.environ).length) {
      var label = result.runtime === "asgi" ? "Scope" : "environ";
      views.push({ label: label, panel: environView(result.environ) });
    }
    if (result.events && result.events.length) {
      views.push({ label: "ASGI events", panel: eventsView(result.events) });
    }
    if (result.log) {
      views.push({ label: "Log", panel: pre(result.log, "run-log") });
    }
    if (views.length) {
      container.appendChild(tabs(views));
    }
    if (!result.ran && recorded) {
      container.appendChild(el("p", "run-label", "Recorded output (from an earlier run):"));
      container.appendChild(pre(recorded, "run-recorded"));
    }
    // After an edited run: what the edit changed, against the recorded output (run-diff.js).
    if (result.ran && typeof result.compareWith === "string" && window.historywebDiff) {
      container.appendChild(window.historywebDiff.compareControl(result.compareWith, result.output || ""));
    }
  }

  function attach(figure) {
    var box = figure.querySelector(".sample-run");
    if (!box || box.dataset.attached) {
      return;
    }
    box.dataset.attached = "true";
    var runUrl = box.dataset.runUrl;
    var csrfUrl = box.dataset.csrfUrl;
    var editors = box.querySelector(".sample-editors");
    var codeEditor = box.querySelector(".sample-editor-code");
    var requestEditor = box.querySelector(".sample-editor-request");
    var highlighted = figure.querySelector(".sample-code");
    var result = box.querySelector(".run-result");
    var actions = box.querySelector(".sample-actions");
    var pageLink = box.querySelector(".run-page-link");
    var recordedNode = figure.querySelector(".sample-output pre");
    var recorded = recordedNode ? recordedNode.textContent : "";

    var runButton = button("Run", "run-button");
    var editButton = button("Edit", "secondary edit-button");
    var resetButton = button("Reset", "secondary reset-button");
    resetButton.hidden = true;
    var status = el("span", "run-state");
    status.setAttribute("role", "status");
    actions.insertBefore(runButton, pageLink);
    actions.insertBefore(editButton, pageLink);
    actions.insertBefore(resetButton, pageLink);
    actions.insertBefore(status, pageLink);
    pageLink.textContent = "Open on its own page";

    function edited() {
      return (
        codeEditor.value !== codeEditor.defaultValue ||
        (requestEditor !== null && requestEditor.value !== requestEditor.defaultValue)
      );
    }

    function showEditors(show) {
      editors.hidden = !show;
      if (highlighted) {
        highlighted.hidden = show;
      }
      editButton.hidden = show;
      resetButton.hidden = !show;
    }

    function fitRows(editor, most) {
      var lines = editor.value.split("\n").length;
      editor.rows = Math.min(Math.max(lines + 1, 3), most);
    }

    editButton.addEventListener("click", function () {
      fitRows(codeEditor, 24);
      if (requestEditor) {
        fitRows(requestEditor, 10);
      }
      showEditors(true);
      codeEditor.focus();
    });

    resetButton.addEventListener("click", function () {
      codeEditor.value = codeEditor.defaultValue;
      if (requestEditor) {
        requestEditor.value = requestEditor.defaultValue;
      }
      showEditors(false);
      result.hidden = true;
      result.textContent = "";
      status.textContent = "";
      editButton.focus();
    });

    // A page may show the result elsewhere (the deck's result panel) by cancelling this event.
    function show(data, recordedText) {
      var detail = { result: data, recorded: recordedText };
      var event = new CustomEvent("historyweb:run-result", { bubbles: true, cancelable: true, detail: detail });
      if (figure.dispatchEvent(event)) {
        renderResult(result, data, recordedText);
      }
    }

    runButton.addEventListener("click", function () {
      var payload = {};
      if (edited()) {
        payload.code = codeEditor.value;
        if (requestEditor) {
          payload.request = requestEditor.value;
        }
      }
      runButton.disabled = true;
      status.textContent = "Running…";
      figure.setAttribute("aria-busy", "true");
      post(runUrl, csrfUrl, payload)
        .then(function (data) {
          // 429 and 503 mean it did not run: show why, then the recorded output.
          data.ran = data.httpStatus === 200;
          if (data.httpStatus === 429 && data.retryAfter) {
            data.error = (data.error || "Too many runs.") + " (retry after " + data.retryAfter + " s)";
          }
          if (edited() && recorded) {
            data.compareWith = recorded;
          }
          show(data, edited() ? "" : recorded);
          status.textContent = data.ok ? "Done." : "Finished with an error.";
        })
        .catch(function (error) {
          show({ ok: false, ran: false, error: "Could not run it: " + error.message }, recorded);
          status.textContent = "Could not run.";
        })
        .then(function () {
          runButton.disabled = false;
          figure.removeAttribute("aria-busy");
        });
    });

    // In the deck, keys typed in the editor must not move between slides.
    [codeEditor, requestEditor].forEach(function (editor) {
      if (editor) {
        editor.addEventListener("keydown", function (event) {
          event.stopPropagation();
        });
      }
    });
    box.addEventListener("click", function (event) {
      event.stopPropagation();
    });
  }

  function attachAll(root) {
    var figures = (root || document).querySelectorAll(".sample[data-sample]");
    for (var i = 0; i < figures.length; i++) {
      attach(figures[i]);
    }
  }

  window.historywebRun = { attachAll: attachAll, renderResult: renderResult };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      attachAll(document);
    });
  } else {
    attachAll(document);
  }
})();
