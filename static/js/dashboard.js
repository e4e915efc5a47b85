/* The moment dashboard: draws the server-made plotly figures and lets each chart switch to its
 * table. The page works without this file: every number is in the tables, which then stay shown.
 * - a chart's figure is JSON in a <script type="application/json"> (json_script) next to its
 *   [data-figure] box; drawn on load and after every htmx swap of the page body;
 * - "Show table" swaps the chart for its table and back;
 * - heatmap cells open their answers in the explorer (the link travels in the cell's customdata);
 * - typing a custom date picks "Custom dates"; printing lays the charts out at page width;
 * - the page's plotly.js locale file (a <script data-plotly-locale>, registered by itself) names
 *   the locale for month names and date formats; the decimal mark is in each figure's layout.
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  var localeScript = document.querySelector("script[data-plotly-locale]");
  if (localeScript) CONFIG.locale = localeScript.getAttribute("data-plotly-locale");

  function plots(root) {
    return Array.prototype.slice.call((root || document).querySelectorAll("[data-figure]"));
  }

  function draw(root) {
    if (!window.Plotly) return;
    plots(root).forEach(function (box) {
      if (box.dataset.drawn) return;
      var source = document.getElementById(box.dataset.figure);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      box.dataset.drawn = "1";
      var chart = box.closest(".chart");
      var table = chart && chart.querySelector(".chart-table");
      var toggle = chart && chart.querySelector(".chart-toggle");
      if (table && toggle) {
        table.hidden = true;
        toggle.hidden = false;
      }
      Plotly.newPlot(box, figure.data, figure.layout, CONFIG).then(function () {
        if (box.hasAttribute("data-click-links")) {
          box.on("plotly_click", function (event) {
            var point = event.points && event.points[0];
            var link = point && point.customdata && point.customdata[4];
            if (link) window.location.assign(link);
          });
        }
      });
    });
  }

  function purge(root) {
    if (!window.Plotly) return;
    plots(root).forEach(function (box) {
      if (!box.dataset.drawn) return;
      Plotly.purge(box);
      delete box.dataset.drawn;
    });
  }

  function toggle(button) {
    var table = document.getElementById(button.getAttribute("aria-controls"));
    var chart = button.closest(".chart");
    var box = chart && chart.querySelector("[data-figure]");
    if (!table || !box) return;
    var showTable = table.hidden;
    table.hidden = !showTable;
    box.hidden = showTable;
    button.setAttribute("aria-expanded", showTable ? "true" : "false");
    button.textContent = showTable ? button.dataset.showChart : button.dataset.showTable;
    if (!showTable) Plotly.Plots.resize(box);
  }

  function printWidth(width) {
    if (!window.Plotly) return;
    plots(document).forEach(function (box) {
      if (box.dataset.drawn) Plotly.relayout(box, width ? { width: width } : { width: null, autosize: true });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    htmx.onLoad(draw);
    // The htmx history cache keeps the page's HTML, not plotly's state: draw again on restore.
    document.body.addEventListener("htmx:beforeHistorySave", function () { purge(document); });
    document.body.addEventListener("htmx:historyRestore", function () { draw(document); });

    document.body.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest(".chart-toggle");
      if (button) toggle(button);
      if (event.target.closest && event.target.closest("[data-print]")) window.print();
    });
    document.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });
    document.body.addEventListener("htmx:afterSwap", function () {
      document.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });
    });

    var period = document.getElementById("id_period");
    ["id_date_from", "id_date_to"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input && period) input.addEventListener("input", function () { period.value = "custom"; });
    });

    // A4 portrait at 96 dpi is about 720 px wide inside the margins.
    window.addEventListener("beforeprint", function () { printWidth(700); });
    window.addEventListener("afterprint", function () { printWidth(null); });
  });
})();
