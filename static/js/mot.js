/* MOT: behaviour shared by every page. The server renders everything; this file only
 * - moves focus to the element a fragment marks with data-autofocus (a moved card, a new card,
 *   a form swapped in), so keyboard users keep their place after a swap;
 * - announces failures that have no fragment of their own (403, 500, network) in the live region.
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

  document.addEventListener("DOMContentLoaded", function () {
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
  });
})();
