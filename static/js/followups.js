/* Follow-up worklist: log a call from the keyboard alone.
   Focus a row (Tab, or ↑/↓), press 1–8 to choose the outcome, Enter to save. 1/2 (reached)
   open the call form at once. After a save the next pending row takes focus.
   No inline script, no eval: everything hangs off data attributes and htmx events. */
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr.task-row[data-pending]"));
  }

  function focusRow(row) {
    if (row) { row.focus(); row.scrollIntoView({block: "nearest"}); }
  }

  function say(text) {
    var live = document.getElementById("worklist-status");
    if (live) { live.textContent = text; }
  }

  function select(row, button) {
    row.querySelectorAll("button.outcome").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    row.classList.add("selected");
    say(button.textContent.replace(/\s+/g, " ").trim() + " — Enter");
  }

  function onRowKey(evt, row) {
    var key = evt.key;
    if (evt.altKey || evt.ctrlKey || evt.metaKey) { return; }
    if (/^[1-8]$/.test(key)) {
      var button = row.querySelector('button.outcome[data-key="' + key + '"]');
      if (!button) { return; }
      evt.preventDefault();
      if (button.value.indexOf("reached_") === 0) { button.click(); return; }  // opens the call form
      select(row, button);
    } else if (key === "Enter") {
      var chosen = row.querySelector('button.outcome[aria-pressed="true"]');
      if (chosen) { evt.preventDefault(); chosen.click(); }
    } else if (key === "ArrowDown" || key === "ArrowUp") {
      var all = rows();
      var i = all.indexOf(row);
      evt.preventDefault();
      focusRow(all[key === "ArrowDown" ? i + 1 : i - 1] || row);
    }
  }

  function onCallFormKey(evt, form) {
    var t = evt.target;
    if (evt.key === "Escape") {
      var cancel = form.querySelector(".cancel-call");
      if (cancel) { evt.preventDefault(); cancel.click(); }
      return;
    }
    if (evt.key !== "Enter" || t.tagName === "BUTTON" || t.tagName === "A") { return; }
    if (t.tagName === "TEXTAREA" && !(evt.ctrlKey || evt.metaKey)) { return; }
    evt.preventDefault();
    form.requestSubmit();
  }

  document.addEventListener("keydown", function (evt) {
    var t = evt.target;
    if (t.matches && t.matches("tr.task-row[data-pending]")) { onRowKey(evt, t); return; }
    var form = t.closest && t.closest("form.call-form");
    if (form) { onCallFormKey(evt, form); }
  });

  // After a task's rows are swapped: the call form takes focus when it opened; after a save,
  // the next pending row; after a cancel or a conflict, the same row.
  document.addEventListener("htmx:afterSettle", function (evt) {
    var old = evt.detail.target;
    if (!old || !old.id || old.id.indexOf("task-") !== 0) { return; }
    var tbody = document.getElementById(old.id);
    if (!tbody) { return; }
    if (tbody.querySelector("[aria-invalid=true]")) { return; }  // app.js focuses the error
    var first = tbody.querySelector("form.call-form input:not([type=hidden]), form.call-form textarea");
    if (first) { first.focus(); return; }
    var own = tbody.querySelector("tr.task-row[data-pending]");
    var status = evt.detail.xhr ? evt.detail.xhr.status : 200;
    if (own && (status === 409 || evt.detail.requestConfig.verb === "get")) { focusRow(own); return; }
    var next = tbody.nextElementSibling;
    while (next && !next.querySelector("tr.task-row[data-pending]")) { next = next.nextElementSibling; }
    focusRow(next ? next.querySelector("tr.task-row[data-pending]") : (own || rows()[0]));
  });
})();
