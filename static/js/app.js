/* CareLoop: toasts from HX-Trigger, focus after swaps. No inline script, no eval. */
(function () {
  "use strict";
  function showToast(level, message) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "toast toast-" + (level || "info");
    div.textContent = message;
    box.appendChild(div);
    window.setTimeout(function () { div.remove(); }, level === "error" ? 8000 : 4000);
  }
  document.addEventListener("toast", function (evt) {
    var items = (evt.detail && evt.detail.value) || evt.detail || [];
    if (!Array.isArray(items)) { items = [items]; }
    items.forEach(function (t) { if (t && t.message) { showToast(t.level, t.message); } });
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("error", document.documentElement.lang === "en"
      ? "The server cannot be reached. Please try again." : "无法连接服务器，请稍后重试。");
  });
  // After a swap, move focus to the first field with an error so it is announced.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var invalid = evt.detail.target.querySelector("[aria-invalid=true]");
    if (invalid) { invalid.focus(); }
  });
  // Flash toasts rendered with the page fade out too.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (el) {
      window.setTimeout(function () { el.remove(); }, 6000);
    });
  });
})();
