/* The Surveys page and the survey editor: a [data-copy] button copies the value of the field
 * whose id it names (a survey link, an embed snippet) and says so on itself and in the live
 * region. In the editor, the questions' rows reorder by dragging their handle (SortableJS), by
 * their Move up / Move down buttons or by Alt+ArrowUp/Down on the handle; each move renumbers
 * the Order fields (what the form saves, and all there is without JavaScript), says so in the
 * live region and refreshes the preview of the unsaved edits (htmx, on the form's input event).
 * Loaded as a file: the Content-Security-Policy runs no inline code. */
(function () {
  "use strict";

  function copied(button) {
    var label = button.getAttribute("data-copied");
    if (!button.hasAttribute("data-label")) button.setAttribute("data-label", button.textContent);
    button.textContent = label;
    if (window.motAnnounce) window.motAnnounce(label, false);
    window.setTimeout(function () {
      button.textContent = button.getAttribute("data-label");
    }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    event.preventDefault();
    var text = field.value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, function () {
        field.focus();
        field.select();
      });
    } else {
      field.focus();
      field.select();
      if (document.execCommand && document.execCommand("copy")) copied(button);
    }
  });

  // --- the editor's question order -------------------------------------------------------

  function orderRows(tbody) {
    return Array.prototype.slice.call(tbody.querySelectorAll("tr[data-question]"));
  }

  function renumber(tbody, moved) {
    var rows = orderRows(tbody);
    rows.forEach(function (row, index) {
      var field = row.querySelector("input[name^='order_']");
      if (field) field.value = String(index + 1);
    });
    var status = document.getElementById("order-status");
    if (status && moved) {
      status.textContent = status
        .getAttribute("data-moved")
        .replace("{name}", moved.getAttribute("data-name"))
        .replace("{position}", String(rows.indexOf(moved) + 1))
        .replace("{total}", String(rows.length));
    }
    var form = tbody.closest("form");
    // htmx's trigger for the preview of unsaved edits listens for this on the form.
    if (form) form.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function moveRow(row, step) {
    var tbody = row.parentElement;
    var rows = orderRows(tbody);
    var target = rows.indexOf(row) + step;
    if (target < 0 || target >= rows.length) return false;
    if (step < 0) tbody.insertBefore(row, rows[target]);
    else tbody.insertBefore(row, rows[target].nextSibling);
    renumber(tbody, row);
    return true;
  }

  function initQuestionOrder() {
    var tbody = document.querySelector("tbody[data-question-order]");
    if (!tbody) return;
    document.querySelectorAll(".order-moves, .preview-language").forEach(function (element) {
      element.hidden = false;
    });
    if (typeof Sortable !== "undefined") {
      Sortable.create(tbody, {
        draggable: "tr[data-question]",
        handle: "[data-order-handle]",
        animation: 150,
        ghostClass: "order-ghost",
        onEnd: function (evt) {
          if (evt.oldDraggableIndex !== evt.newDraggableIndex) renumber(tbody, evt.item);
        },
      });
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-order-move]");
    if (!button) return;
    event.preventDefault();
    var step = parseInt(button.getAttribute("data-order-move"), 10);
    moveRow(button.closest("tr[data-question]"), step);
    // The row moved, the button with it: focus stays on it for the next press.
    button.focus();
  });

  document.addEventListener("keydown", function (event) {
    var handle = event.target.closest && event.target.closest("[data-order-handle]");
    if (!handle || !event.altKey) return;
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    event.preventDefault();
    moveRow(handle.closest("tr[data-question]"), event.key === "ArrowUp" ? -1 : 1);
    handle.focus();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initQuestionOrder);
  } else {
    initQuestionOrder();
  }
})();
