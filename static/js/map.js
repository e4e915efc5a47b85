/* The journey map: drag-and-drop of cards between and within stages (SortableJS).
 *
 * A drop only asks the server to move the card (the same endpoint the arrow buttons post to);
 * the answer holds the stage columns as the server now has them and replaces them, so the board
 * always shows the persisted order. A refused move answers 422 with the whole board, which puts
 * the card back; a failed request (403, 500, network) reloads the board for the same reason.
 */
(function () {
  "use strict";

  function reloadBoard() {
    // The board as the server has it, for the current URL (filters included).
    htmx.ajax("GET", window.location.href, { target: "#board", swap: "innerHTML" });
  }

  // The elements matching a selector in what htmx just loaded, the root included.
  function matching(root, selector) {
    var found = [];
    if (root.matches && root.matches(selector)) found.push(root);
    if (root.querySelectorAll) found.push.apply(found, root.querySelectorAll(selector));
    return found;
  }

  function initSortable(root) {
    // The board's fragment says whether its cards may be reordered (not while filtered).
    var help = document.getElementById("board-help");
    if (!help || help.dataset.canReorder !== "1" || typeof Sortable === "undefined") return;
    matching(root, "ol.cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      Sortable.create(list, {
        group: "touchpoints",
        draggable: ".card[data-movable]",
        handle: ".card-head",
        filter: "input, select, textarea, button, a",
        preventOnFilter: false,
        animation: 150,
        ghostClass: "card-ghost",
        chosenClass: "card-chosen",
        onEnd: function (evt) {
          if (evt.from === evt.to && evt.oldDraggableIndex === evt.newDraggableIndex) return;
          var card = evt.item;
          htmx.ajax("POST", help.dataset.cardPrefix + card.id.slice(3) + "/move/", {
            source: card,
            swap: "none",
            values: {
              stage: evt.to.dataset.stageId,
              position: evt.newDraggableIndex,
              focus: "card",
            },
          });
        },
      });
    });
  }

  // Lane items move between cells (stage x lane) of lanes that hold items, filters or not
  // (filters choose cards, not items); the answer swaps the lanes it touched, out of band.
  function initLaneSortable(root) {
    if (typeof Sortable === "undefined") return;
    matching(root, "ol.lane-items[data-can-move]").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      Sortable.create(list, {
        group: "lane-items",
        draggable: ".lane-item[data-movable]",
        filter: "input, select, textarea, button, a",
        preventOnFilter: false,
        animation: 150,
        ghostClass: "lane-item-ghost",
        onEnd: function (evt) {
          if (evt.from === evt.to && evt.oldDraggableIndex === evt.newDraggableIndex) return;
          var item = evt.item;
          var help = document.getElementById("board-help");
          htmx.ajax("POST", help.dataset.itemPrefix + item.id.slice(5) + "/move/", {
            source: item,
            swap: "none",
            values: {
              lane: evt.to.dataset.laneId,
              stage: evt.to.dataset.stageId,
              position: evt.newDraggableIndex,
            },
          });
        },
      });
    });
  }

  // The stage bar (the stages' header row, sticky at the top of the window) lives outside the
  // board's sideways scroller, so it follows the scroller here. Scroll events do not bubble: one
  // capturing listener on the document covers every scroller htmx swaps in.
  function followBoardScroll(event) {
    var scroller = event.target;
    if (!scroller.classList || !scroller.classList.contains("board-scroll")) return;
    var board = scroller.closest("#board");
    var bar = board && board.querySelector("[data-stage-bar]");
    if (bar && bar.scrollLeft !== scroller.scrollLeft) bar.scrollLeft = scroller.scrollLeft;
  }

  // A sideways wheel or trackpad gesture over the bar scrolls the board (the bar has no
  // scrollbar of its own); the scroll listener above then brings the bar along.
  function wheelOverStageBar(event) {
    var bar = event.target.closest && event.target.closest("[data-stage-bar]");
    if (!bar || !event.deltaX || Math.abs(event.deltaX) < Math.abs(event.deltaY)) return;
    var scroller = bar.parentElement.querySelector(".board-scroll");
    if (!scroller) return;
    scroller.scrollLeft += event.deltaX;
    event.preventDefault();
  }

  // Move a stage: the same endpoint as the "Move left/right" forms (their no-JS fallback). The
  // answer is the whole board, with the server's order, its message in the live region and the
  // focus on the moved stage's handle (keyboard) or title (drag).
  function moveStage(url, position, focus, source) {
    htmx.ajax("POST", url, {
      source: source,
      target: "#board",
      swap: "innerHTML",
      values: { position: position, focus: focus },
    });
  }

  // Stages reorder by dragging a cell of the stage bar (by its handle or its name) or a stage
  // column by its title; by keyboard, Alt+Left/Right on a focused handle.
  function initStageOrder(root) {
    if (typeof Sortable === "undefined" || !root.querySelectorAll) return;
    var rows = [];
    if (root.matches && root.matches("ol[data-stage-order]")) rows.push(root);
    rows.push.apply(rows, root.querySelectorAll("ol[data-stage-order]"));
    rows.forEach(function (row) {
      if (row.dataset.sortable) return;
      row.dataset.sortable = "1";
      Sortable.create(row, {
        group: "stages",
        draggable: ".stage-bar-cell",
        direction: "horizontal",
        animation: 150,
        ghostClass: "stage-bar-ghost",
        onEnd: function (evt) {
          if (evt.oldDraggableIndex === evt.newDraggableIndex) return;
          moveStage(evt.item.dataset.stageMoveUrl, evt.newDraggableIndex, "stage-title", evt.item);
        },
      });
      var board = row.closest("#board") && row.closest("#board").querySelector(".board");
      if (!board || board.dataset.stageSortable) return;
      board.dataset.stageSortable = "1";
      Sortable.create(board, {
        group: "stage-columns",
        draggable: ".stage",
        handle: ".stage-head > h2",
        direction: "horizontal",
        animation: 150,
        ghostClass: "stage-ghost",
        onEnd: function (evt) {
          if (evt.oldDraggableIndex === evt.newDraggableIndex) return;
          var cell = row.querySelector('.stage-bar-cell[data-stage-id="' + evt.item.dataset.stageId + '"]');
          if (cell) moveStage(cell.dataset.stageMoveUrl, evt.newDraggableIndex, "stage-title", evt.item);
        },
      });
    });
  }

  function stageKeys(event) {
    var grip = event.target;
    if (!event.altKey || !grip.classList || !grip.classList.contains("stage-grip")) return;
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    var cell = grip.closest(".stage-bar-cell");
    var cells = Array.prototype.slice.call(cell.parentElement.children);
    var index = cells.indexOf(cell);
    var target = index + (event.key === "ArrowLeft" ? -1 : 1);
    if (target < 0 || target >= cells.length) return;
    moveStage(cell.dataset.stageMoveUrl, target, "stage-grip", grip);
  }

  // Keep the filter form in step with the URL after back/forward (htmx restores the board).
  function syncFilters() {
    var form = document.getElementById("map-filters");
    if (!form) return;
    var params = new URLSearchParams(window.location.search);
    form.querySelectorAll("input[type=checkbox][name=mot]").forEach(function (box) {
      box.checked = params.getAll("mot").indexOf(box.value) !== -1;
    });
    form.querySelectorAll("select").forEach(function (select) {
      select.value = params.get(select.name) || "";
    });
  }

  // A link to one card (#tp-<id>, e.g. the dashboard's weakest moment): the card is inside the
  // board's horizontal scroll and its stage's vertical one; bring it to the middle of both and
  // give it focus, so the keyboard starts there too (CSS :target highlights it).
  function showTargetCard() {
    var id = window.location.hash.slice(1);
    if (!/^tp-\d+$/.test(id)) return;
    var card = document.getElementById(id);
    if (!card) return;
    if (!card.hasAttribute("tabindex")) card.setAttribute("tabindex", "-1");
    card.scrollIntoView({ block: "center", inline: "center" });
    card.focus({ preventScroll: true });
  }

  // The owner picker of a card (journeys/map/cards.py, _owner_picker): typing filters the
  // members by name or e-mail (every word must match), ArrowDown goes from the search box to the
  // first member shown, Enter sets the member chosen (the first one shown when typed in the box).
  function initOwnerPicker(root) {
    matching(root, "form[data-owner-picker]").forEach(function (form) {
      if (form.dataset.pickerReady) return;
      form.dataset.pickerReady = "1";
      var box = form.querySelector("[data-owner-search]");
      var count = form.querySelector("[data-owner-count]");
      var items = Array.prototype.slice.call(form.querySelectorAll(".owner-options li"));
      if (!box) return;
      function shown() {
        return items.filter(function (li) { return !li.hidden; });
      }
      function radioOf(li) {
        return li.querySelector("input[type=radio]");
      }
      box.addEventListener("input", function () {
        var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
        var n = 0;
        items.forEach(function (li) {
          var text = li.dataset.search || "";
          var match = words.every(function (word) { return text.indexOf(word) !== -1; });
          li.hidden = !match;
          if (match) n += 1;
        });
        if (count) count.textContent = words.length ? count.dataset.template.replace("%(n)s", n) : "";
      });
      box.addEventListener("keydown", function (event) {
        var first = shown()[0];
        if (event.key === "ArrowDown" && first) {
          event.preventDefault();
          radioOf(first).checked = true;
          radioOf(first).focus();
        } else if (event.key === "Enter") {
          event.preventDefault();
          if (first && box.value.trim()) radioOf(first).checked = true;
          form.requestSubmit();
        }
      });
      form.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" || event.target.type !== "radio") return;
        event.preventDefault();
        event.target.checked = true;
        form.requestSubmit();
      });
    });
  }

  // A card's or a lane item's "Actions" (journeys/map/cards.py, lanes.py) is a link to its edit
  // page, for a browser without JavaScript; with it, the menu opens in place: the card comes
  // back with its menu open (an item's lane comes back out of band). One listener for the whole
  // board rather than htmx attributes on each of thousands of cards.
  function initCardMenus() {
    document.body.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-menu]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
      var card = link.closest("li.card, li.lane-item");
      if (!card) return;
      event.preventDefault();
      var url = link.getAttribute("href").replace(/[a-z]+\/$/, "") + "?focus=edit";
      var isCard = card.classList.contains("card");
      htmx.ajax("GET", url, {
        source: link,
        target: isCard ? card : undefined,
        swap: isCard ? "outerHTML" : "none",
      });
    });
  }

  // Marks the board ready once its scripts ran (drag and drop set up): what the map bench's
  // time to interactive waits for (bench/map_page.py), also a performance mark.
  function markReady() {
    var board = document.getElementById("board");
    if (!board || board.dataset.ready) return;
    board.dataset.ready = "1";
    if (window.performance && performance.mark) performance.mark("mot:map-ready");
  }

  document.addEventListener("DOMContentLoaded", function () {
    htmx.onLoad(initOwnerPicker);
    initCardMenus();
    showTargetCard();
    window.addEventListener("hashchange", showTargetCard);
    htmx.onLoad(initSortable);
    htmx.onLoad(initLaneSortable);
    htmx.onLoad(initStageOrder);
    document.addEventListener("scroll", followBoardScroll, true);
    document.addEventListener("wheel", wheelOverStageBar, { passive: false });
    document.body.addEventListener("keydown", stageKeys);
    htmx.onLoad(markReady);
    document.body.addEventListener("htmx:responseError", function (event) {
      var source = event.detail.elt;
      if (source && source.closest && source.closest("#board")) reloadBoard();
    });
    document.body.addEventListener("htmx:sendError", function (event) {
      var source = event.detail.elt;
      if (source && source.closest && source.closest("#board")) reloadBoard();
    });
    document.body.addEventListener("htmx:historyRestore", syncFilters);
    // A shareable filter URL names only the filters in use (no "channel=&phase=").
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (event.detail.elt.id !== "map-filters") return;
      var params = event.detail.parameters;
      var keys = params instanceof FormData ? Array.from(new Set(params.keys())) : Object.keys(params);
      keys.forEach(function (key) {
        var value = params instanceof FormData ? params.getAll(key).join("") : params[key];
        if (value === "" || value === undefined) {
          if (params instanceof FormData) params.delete(key);
          else delete params[key];
        }
      });
    });
    window.addEventListener("popstate", function () {
      setTimeout(syncFilters, 0);
    });
  });
})();
