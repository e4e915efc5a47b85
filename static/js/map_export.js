// The map's "Export PNG" / "Export PDF": the whole board (every stage, not only the part the
// scrolling box shows) drawn on the user's machine from the page's own DOM by the vendored
// html-to-image (static/vendor/html-to-image), and laid out on A3 landscape pages by the vendored
// jsPDF (static/vendor/jspdf). Both are loaded on the first click, not with every map view.
//
// It renders whatever the map contains (stages, lanes, cards, badges, bars, the curve's SVG):
// every element under the export root with a data-stage-id belongs to that stage's column, which
// is all the PDF needs to cut pages between stages. Controls (forms, buttons, menus, the board
// help) are left out of the picture; mark anything else to leave out with data-export-hide.
(function () {
  "use strict";

  const HIDE = [
    "form", "button", "details:not([open])", ".add-stage", ".add-touchpoint", ".stage-tools",
    ".card-tools", ".card-menu", ".drag-handle", ".owner-open", ".board-help", ".curve-table",
    "[data-export-hide]",
  ].join(",");
  // A3 landscape in millimetres, its margins and the title block above the map.
  const PAGE = { width: 420, height: 297, margin: 10, title: 20 };
  const MM_PER_PX = 25.4 / 96;  // a CSS pixel at its printed size: the map as large as on screen
  const MIN_SCALE = 0.5;  // of MM_PER_PX: smaller than that, a card's text is hard to read
  const MAX_PIXELS = 48e6;  // the canvas's area at most: memory, and Chromium's canvas limits
  const SVG_PROPS = [
    "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray",
    "stroke-linecap", "stroke-linejoin", "opacity", "font-size", "font-family", "font-weight",
    "text-anchor", "dominant-baseline", "visibility", "display",
  ];
  // The computed properties copied inline onto each drawn element, besides the page's own
  // stylesheet, which travels into the picture whole (see pageCss). html-to-image copies all of
  // them by default (~350 in Chromium): on a map of hundreds of cards that makes a picture of
  // tens of megabytes and blocks the page for many seconds. These few keep each box's size, text
  // and colours where a stylesheet rule depends on an ancestor outside the drawn board.
  const STYLE_PROPS = [
    "display", "width", "height", "color", "background-color", "font-family", "font-size",
    "font-weight", "line-height",
  ];
  const loaded = {};

  function loadScript(src) {
    // A <script src> of this origin: allowed by script-src 'self', no inline code.
    if (!loaded[src]) {
      loaded[src] = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = () => reject(new Error("could not load " + src));
        document.head.appendChild(script);
      });
    }
    return loaded[src];
  }

  function today() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  // Lets the root grow to the board's full width while it is drawn: every box inside it that
  // scrolls sideways shows all of its content, and text that is not part of a stage (headings,
  // hints) keeps the width it has on screen instead of running across the whole board. SVG
  // shapes get their stylesheet colours inline: html-to-image copies an <svg> as it is, and the
  // stylesheet does not travel into the picture. Inline styles through the CSSOM, which the CSP
  // allows; all put back as they were afterwards.
  function expand(root) {
    const saved = [];
    const set = (el, props) => {
      saved.push([el, el.style.cssText]);
      Object.entries(props).forEach(([name, value]) => el.style.setProperty(name, value));
    };
    const screenWidth = `${root.clientWidth}px`;
    root.querySelectorAll("svg *").forEach((el) => {
      const style = getComputedStyle(el);
      set(el, Object.fromEntries(SVG_PROPS.map((name) => [name, style.getPropertyValue(name)])));
    });
    [...root.children].forEach((el) => {
      if (!el.querySelector("[data-stage-id]") && !el.matches("[data-stage-id]")) {
        set(el, { "max-width": screenWidth });
      }
    });
    root.querySelectorAll("*").forEach((el) => {
      const style = getComputedStyle(el);
      if (/auto|scroll|hidden/.test(style.overflowX) && el.scrollWidth > el.clientWidth) {
        set(el, { overflow: "visible" });
      }
    });
    set(root, { width: "max-content", "min-width": "100%" });
    // Restored last to first, so an element changed twice gets its very first style back.
    return () => saved.reverse().forEach(([el, css]) => { el.style.cssText = css; });
  }

  // Each stage's left and right edge in the root's pixels, in map order: the union of every
  // element that carries its data-stage-id (its column, its curve cell, its lane cells).
  function stageRanges(root) {
    const origin = root.getBoundingClientRect();
    const byId = new Map();
    root.querySelectorAll("[data-stage-id]").forEach((el) => {
      const box = el.getBoundingClientRect();
      if (!box.width) return;
      const id = el.dataset.stageId;
      const range = byId.get(id) || { left: Infinity, right: -Infinity };
      range.left = Math.min(range.left, box.left - origin.left);
      range.right = Math.max(range.right, box.right - origin.left);
      byId.set(id, range);
    });
    return [...byId.values()].sort((a, b) => a.left - b.left);
  }

  // The rules of the page's stylesheets (all of this origin), as text.
  function pageCss() {
    return [...document.styleSheets].map((sheet) => {
      try {
        return [...sheet.cssRules].map((rule) => rule.cssText).join("\n");
      } catch (error) {
        return "";  // a sheet of another origin cannot be read; MOT serves none
      }
    }).join("\n");
  }

  async function render(root) {
    const restore = expand(root);
    // Drawn by CSS, not markup, the cards' drag handles would travel into the picture: the
    // stylesheet leaves them out while this attribute is set (static/css/map_cards.css).
    root.setAttribute("data-exporting", "");
    try {
      const width = Math.ceil(root.scrollWidth);
      const height = Math.ceil(root.scrollHeight);
      const stages = stageRanges(root);
      const ratio = Math.min(2, Math.sqrt(MAX_PIXELS / (width * height)));
      const body = getComputedStyle(document.body);
      const canvas = await window.htmlToImage.toCanvas(root, {
        width, height, pixelRatio: ratio, cacheBust: false,
        includeStyleProperties: STYLE_PROPS,
        // html-to-image puts this text in a <style> inside the picture (an SVG image, where the
        // page's CSP does not reach); meant for fonts, it carries the whole stylesheet here.
        fontEmbedCSS: pageCss(),
        backgroundColor: body.backgroundColor || "#ffffff",
        style: {
          margin: "0", fontFamily: body.fontFamily, fontSize: body.fontSize, color: body.color,
          lineHeight: body.lineHeight,
        },
        filter: (node) => !(node.nodeType === 1 && node.matches(HIDE)),
      });
      return { canvas, width, height, stages, ratio: canvas.width / width };
    } finally {
      root.removeAttribute("data-exporting");
      restore();
    }
  }

  // The title block: drawn on a canvas, so a journey name in any script prints as on screen
  // (jsPDF's built-in fonts only know Latin-1).
  function titleBlock(meta, line, widthMm) {
    const perMm = 8;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(widthMm * perMm);
    canvas.height = Math.round(PAGE.title * perMm);
    const ctx = canvas.getContext("2d");
    const font = getComputedStyle(document.body).fontFamily;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#1b1f24";
    ctx.font = `bold ${7 * perMm}px ${font}`;
    ctx.textBaseline = "top";
    ctx.fillText(meta.title, 0, 0, canvas.width);
    ctx.font = `${4 * perMm}px ${font}`;
    ctx.fillStyle = "#4a5260";
    ctx.fillText(line, 0, 9 * perMm, canvas.width);
    return canvas;
  }

  // Stages grouped into columns of pages, each a slice [from, to] of the board in its pixels. A
  // column ends between two stages (halfway across the gap) as soon as the next stage would not
  // fit the page, so a stage is never cut unless it alone is wider than a page (then it gets its
  // own column, drawn smaller). The first column starts at the board's left edge, the last ends
  // at its right edge. A board whose stages wrap under each other (a phone's screen) is one
  // column.
  function columns(image, scale, contentWidth) {
    const { stages, width } = image;
    const wrapped = stages.some((stage, i) => i && stage.left < stages[i - 1].right - 1);
    if (!stages.length || wrapped) return [{ from: 0, to: width }];
    const cuts = [0];
    for (let i = 1; i < stages.length; i++) cuts.push((stages[i - 1].right + stages[i].left) / 2);
    cuts.push(width);
    const result = [];
    let first = 0;
    while (first < stages.length) {
      let last = first;
      while (last + 1 < stages.length && (cuts[last + 2] - cuts[first]) * scale <= contentWidth) last++;
      result.push({ from: cuts[first], to: cuts[last + 1] });
      first = last + 1;
    }
    return result;
  }

  // The pages: the board is drawn as large as on screen, smaller to fit a page's height, but
  // never below MIN_SCALE of that, so the cards stay readable; a board still taller than a page
  // (long stages) continues on the next pages down, each column of stages in turn.
  function layout(image, contentWidth, contentHeight) {
    const scale = Math.max(MM_PER_PX * MIN_SCALE, Math.min(MM_PER_PX, contentHeight / image.height));
    const rows = Math.max(1, Math.ceil((image.height * scale) / contentHeight - 0.001));
    const rowHeight = Math.min(image.height, contentHeight / scale);
    const pages = [];
    columns(image, scale, contentWidth).forEach((column) => {
      for (let row = 0; row < rows; row++) {
        const top = row * rowHeight;
        pages.push({ ...column, top, bottom: Math.min(image.height, top + rowHeight) });
      }
    });
    return { scale, pages };
  }

  function slice(image, page) {
    const r = image.ratio;
    const x = Math.round(page.from * r);
    const y = Math.round(page.top * r);
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.min(image.canvas.width - x, Math.round((page.to - page.from) * r)));
    canvas.height = Math.max(1, Math.min(image.canvas.height - y, Math.round((page.bottom - page.top) * r)));
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image.canvas, x, y, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  function pdf(image, meta) {
    const { jsPDF } = window.jspdf;
    const doc = new jsPDF({ orientation: "landscape", unit: "mm", format: "a3", compress: true });
    doc.setProperties({ title: meta.title, subject: meta.workspace, creator: "MOT" });
    const contentWidth = PAGE.width - 2 * PAGE.margin;
    const top = PAGE.margin + PAGE.title;
    const contentHeight = PAGE.height - top - PAGE.margin;
    const { scale, pages } = layout(image, contentWidth, contentHeight);
    pages.forEach((page, i) => {
      if (i) doc.addPage("a3", "landscape");
      const line = [meta.workspace, meta.date,
        meta.pageLabel.replace("{n}", i + 1).replace("{total}", pages.length)].join("  ·  ");
      doc.addImage(titleBlock(meta, line, contentWidth), "PNG", PAGE.margin, PAGE.margin,
        contentWidth, PAGE.title);
      const pageScale = Math.min(scale, contentWidth / (page.to - page.from));
      // JPEG keeps a large map's PDF small and is embedded as it is (no re-encoding by jsPDF).
      const data = slice(image, page).toDataURL("image/jpeg", 0.92);
      doc.addImage(data, "JPEG", PAGE.margin, top, (page.to - page.from) * pageScale,
        (page.bottom - page.top) * pageScale);
    });
    return doc.output("blob");
  }

  function withTitle(image, meta) {
    // The PNG: the same title block above the whole board.
    const r = image.ratio;
    const band = titleBlock(meta, `${meta.workspace}  ·  ${meta.date}`, image.width * MM_PER_PX);
    const bandHeight = Math.round((band.height / band.width) * image.canvas.width);
    const canvas = document.createElement("canvas");
    canvas.width = image.canvas.width + Math.round(32 * r);
    canvas.height = image.canvas.height + bandHeight + Math.round(48 * r);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const pad = Math.round(16 * r);
    ctx.drawImage(band, pad, pad, image.canvas.width, bandHeight);
    ctx.drawImage(image.canvas, pad, pad + bandHeight + pad);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  function init(menu) {
    const root = document.getElementById(menu.dataset.target);
    const status = menu.querySelector("[role=status]");
    const buttons = menu.querySelectorAll("button[data-export]");
    if (!root) return;
    menu.hidden = false;
    buttons.forEach((button) => button.addEventListener("click", async () => {
      const format = button.dataset.export;
      const meta = {
        title: menu.dataset.title, workspace: menu.dataset.workspace, date: today(),
        pageLabel: menu.dataset.pageLabel,
      };
      buttons.forEach((b) => { b.disabled = true; });
      menu.setAttribute("aria-busy", "true");
      status.textContent = menu.dataset.busy;
      try {
        await loadScript(menu.dataset.renderer);
        if (format === "pdf") await loadScript(menu.dataset.pdf);
        const image = await render(root);
        const blob = format === "pdf" ? pdf(image, meta) : await withTitle(image, meta);
        download(blob, `${menu.dataset.stem}-${meta.date}.${format}`);
        status.textContent = menu.dataset.done;
      } catch (error) {
        console.warn("map export failed", error);
        status.textContent = menu.dataset.failed;
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
        menu.removeAttribute("aria-busy");
      }
    }));
  }

  document.querySelectorAll("[data-map-export]").forEach(init);
})();
