/* The pages' own script: the 大字模式 switch and the print button. No dependencies, no inline script (CSP).
 * 大字模式 (large text, high contrast) is one setting for the pages and the chat widget: both keep it under the
 * same localStorage key, and each tells the other through a "baihua:large" event on window.
 */
(function () {
  "use strict";
  var KEY = "baihua:" + location.origin + ":large";  // the widget's key when it is served by this gateway
  var EVENT = "baihua:large";
  var root = document.documentElement;

  function stored() {
    try { return JSON.parse(localStorage.getItem(KEY) || "false") === true; } catch (e) { return false; }
  }
  function apply(on) {
    root.classList.toggle("large", on);
    Array.prototype.forEach.call(document.querySelectorAll("[data-large-toggle]"), function (b) {
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function set(on) {
    try { localStorage.setItem(KEY, JSON.stringify(on)); } catch (e) { /* private mode: this page only */ }
    apply(on);
  }
  apply(stored());  // in <head>: the first paint is already large

  window.addEventListener(EVENT, function (e) {
    if (e.detail && e.detail.from !== "page") { set(e.detail.on === true); }
  });
  window.addEventListener("storage", function (e) { if (e.key === KEY) { apply(stored()); } });

  function wire() {
    apply(root.classList.contains("large"));
    Array.prototype.forEach.call(document.querySelectorAll("[data-large-toggle]"), function (b) {
      b.addEventListener("click", function () {
        var on = !root.classList.contains("large");
        set(on);
        try { window.dispatchEvent(new CustomEvent(EVENT, { detail: { on: on, from: "page" } })); } catch (e) { /* old browser */ }
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", wire); } else { wire(); }
})();
