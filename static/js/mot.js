/* MOT: behaviour shared by every page. The server renders everything; this file only
 * - moves focus to the element a fragment marks with data-autofocus (a moved card, a new card,
 *   a form swapped in), so keyboard users keep their place after a swap;
 * - announces failures that have no fragment of their own (403, 500, network) in the live region;
 * - Escape in a [data-cancel-on-escape] form clicks its [data-cancel] control;
 * - a [data-select-all="name"] checkbox ticks or clears every box of that name in its form;
 * - a [data-select-on-focus] field selects its text when focused (a link to copy);
 * - the header's [data-nav-toggle] button folds the navigation on a narrow screen (shown only
 *   when this file runs; aria-expanded says whether the links are open; Escape closes them).
 * Listeners sit on the document or body, so content htmx swaps in is covered. Behaviour lives here,
 * never in on*= or hx-on attributes: the Content-Security-Policy runs no inline or evaluated code.
 * 422 answers (a form with its errors) are swapped by the htmx-config in base.html.
 */
(function () {
  "use strict";

  function announce(text, isError) {
    var region = document.getElementById("messages");
    if (!region) return;
    var p = document.createElement("p");
    p.className = "message " + (isError ? "error" : "info");
    if (isError) p.setAttribute("role", "alert");
    p.textContent = text;
    region.replaceChildren(p);
  }
  window.motAnnounce = announce;

  function focusMarked(root) {
    var target = root.matches && root.matches("[data-autofocus]")
      ? root
      : root.querySelector && root.querySelector("[data-autofocus]");
    if (!target) return;
    target.removeAttribute("data-autofocus");
    target.focus({ preventScroll: false });
    if (target.select && target.tagName === "INPUT") target.select();
  }

  function setNavOpen(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.closest(".topbar").classList.toggle("nav-open", open);
  }

  function initNavToggle() {
    var toggle = document.querySelector("[data-nav-toggle]");
    if (!toggle) return;
    toggle.closest(".topbar").classList.add("nav-collapsible");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      setNavOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || toggle.getAttribute("aria-expanded") !== "true") return;
      var panel = document.getElementById(toggle.getAttribute("aria-controls"));
      if (!panel || !panel.contains(document.activeElement)) return;
      setNavOpen(toggle, false);
      toggle.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initNavToggle();
    htmx.onLoad(focusMarked);

    document.body.addEventListener("htmx:responseError", function (event) {
      // 422 answers are swapped (they carry the form with its errors); anything else lands here.
      announce(document.body.dataset.msgFailed, true);
    });
    document.body.addEventListener("htmx:sendError", function () {
      announce(document.body.dataset.msgFailed, true);
    });
    // Escape inside an in-place form cancels it (its Cancel control does the swap back).
    document.body.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      var form = event.target.closest && event.target.closest("[data-cancel-on-escape]");
      if (!form) return;
      var cancel = form.querySelector("[data-cancel]");
      if (cancel) {
        event.preventDefault();
        cancel.click();
      }
    });
    document.body.addEventListener("focusin", function (event) {
      var field = event.target;
      if (field.matches && field.matches("[data-select-on-focus]") && field.select) field.select();
    });
    document.body.addEventListener("change", function (event) {
      var all = event.target;
      if (!all.matches || !all.matches("input[data-select-all]") || !all.form) return;
      var name = all.getAttribute("data-select-all");
      Array.prototype.forEach.call(all.form.elements, function (box) {
        if (box.type === "checkbox" && box.name === name) box.checked = all.checked;
      });
    });
  });
})();
