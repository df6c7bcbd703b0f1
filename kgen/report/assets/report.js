/* kgen report: draws every figure of the report from the data files in data/.
 *
 * kgen's own code, no library: canvas heatmaps (a 600 x 600 matrix is 360,000 cells, which an SVG
 * cannot hold but a canvas paints in milliseconds), SVG bar and line charts, an SVG scatter map
 * and an SVG knowledge graph. Opened from disk (file://), a page may not fetch() local files, so
 * each data file is a script that calls KGEN.add(name, value); the big ones (knowledge, each
 * bank's matrix) are loaded when their tab is first opened.
 */
"use strict";

const KGEN = (() => {
  const store = {};
  const waiting = {};

  function add(name, value) {
    store[name] = value;
    (waiting[name] || []).forEach((resolve) => resolve(value));
    delete waiting[name];
  }

  function load(name) {
    if (name in store) return Promise.resolve(store[name]);
    return new Promise((resolve, reject) => {
      (waiting[name] = waiting[name] || []).push(resolve);
      if (!document.querySelector(`script[data-kgen="${name}"]`)) {
        const script = document.createElement("script");
        script.src = `data/${name}.js`;
        script.dataset.kgen = name;
        script.onerror = () => reject(new Error(`cannot read data/${name}.js (is the report folder complete?)`));
        document.head.appendChild(script);
      }
    });
  }

  // ------------------------------------------------------------------------------ DOM helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  const SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.setAttribute("class", value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    }
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  // ------------------------------------------------------------------------------ formatting
  const fmt = {
    num(v, digits = 2) { return v === null || v === undefined || Number.isNaN(v) ? "–" : Number(v).toFixed(digits); },
    pct(v, digits = 1) { return v === null || v === undefined ? "–" : `${Number(v).toFixed(digits)}%`; },
    signed(v, digits = 1) { return v === null || v === undefined ? "–" : `${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v).toFixed(digits)}`; },
    short(v) {
      if (v === null || v === undefined) return "–";
      const a = Math.abs(v);
      if (Number.isInteger(v) && a < 1e5) return String(v);
      if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1).replace(".0e", "e").replace("e-", "e−").replace("e+", "e");
      if (a >= 100) return v.toFixed(0);
      if (a >= 10) return v.toFixed(1);
      return String(Number(v.toPrecision(3)));
    },
    date(iso) { return iso ? iso.replace("T", " ").replace("+00:00", " UTC") : "–"; },
    trim(text, n) { return text.length > n ? `${text.slice(0, n - 1)}…` : text; },
  };

  // ------------------------------------------------------------------------------ tooltip
  const tip = {
    node: null,
    show(event, html) {
      if (!this.node) this.node = document.getElementById("tooltip");
      this.node.innerHTML = html;
      this.node.hidden = false;
      const pad = 14;
      const box = this.node.getBoundingClientRect();
      let x = event.clientX + pad;
      let y = event.clientY + pad;
      if (x + box.width > window.innerWidth - 4) x = event.clientX - box.width - pad;
      if (y + box.height > window.innerHeight - 4) y = event.clientY - box.height - pad;
      this.node.style.left = `${Math.max(4, x)}px`;
      this.node.style.top = `${Math.max(4, y)}px`;
    },
    hide() { if (this.node) this.node.hidden = true; },
  };
  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  // ------------------------------------------------------------------------------ scales, colours
  function linear(d0, d1, r0, r1) {
    const span = d1 - d0 || 1;
    const f = (v) => r0 + ((v - d0) / span) * (r1 - r0);
    f.domain = [d0, d1];
    return f;
  }

  function niceTicks(lo, hi, count = 5) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
    return ticks;
  }

  // Viridis (perceptually uniform, readable in grey and by most colour-blind readers), 9 anchors.
  const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129],
    [92, 200, 99], [170, 220, 50], [253, 231, 37]];
  const LUT = (() => {
    const table = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const t = (i / 255) * (VIRIDIS.length - 1);
      const k = Math.min(Math.floor(t), VIRIDIS.length - 2);
      const f = t - k;
      for (let c = 0; c < 3; c++) table[i * 3 + c] = VIRIDIS[k][c] + f * (VIRIDIS[k + 1][c] - VIRIDIS[k][c]);
    }
    return table;
  })();
  function viridis(t) {
    const i = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
    return `rgb(${LUT[i]},${LUT[i + 1]},${LUT[i + 2]})`;
  }
  // Okabe-Ito: distinguishable categorical colours (also for colour-blind readers).
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7a7a7a", "#F0E442", "#000000"];

  // ------------------------------------------------------------------------------ figure frame
  function figure(parent, { id, title, caption, data }) {
    const body = el("div", { class: "fig-body" });
    const links = (data || []).filter((d) => d && d.href).map((d) => el("a", { href: d.href, text: d.label }));
    const node = el("div", { class: "figure", id },
      el("div", { class: "fig-head" }, el("div", { class: "fig-title", text: title }),
        links.length ? el("div", { class: "fig-data" }, el("span", { class: "faint", text: "data:" }), links) : null),
      body,
      caption ? el("p", { class: "caption", text: caption }) : null);
    parent.appendChild(node);
    return body;
  }

  function table(headers, rows, { numeric = [], onRow } = {}) {
    const head = el("tr", null, headers.map((h, i) => el("th", { class: numeric.includes(i) ? "num" : null, text: h })));
    const body = rows.map((row, r) => el("tr", { class: onRow ? "clickable" : null, onclick: onRow ? () => onRow(r) : null },
      row.map((cell, i) => (cell instanceof Node ? el("td", { class: numeric.includes(i) ? "num" : null }, cell)
        : el("td", { class: numeric.includes(i) ? "num" : null, text: cell === null || cell === undefined ? "–" : String(cell) })))));
    return el("table", null, el("thead", null, head), el("tbody", null, body));
  }

  // ------------------------------------------------------------------------------ matrices
  function decodeMatrix(m) {
    const binary = atob(m.uint16_base64);
    const n = m.rows * m.cols;
    const values = new Float32Array(n);
    const span = m.max - m.min;
    for (let i = 0; i < n; i++) {
      const level = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
      values[i] = m.min + (level / 65535) * span;
    }
    return values;
  }

  function percentile(values, p) {
    const sorted = Float32Array.from(values).sort();
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(p * (sorted.length - 1))))];
  }

  /* A C x C heatmap on a canvas, with class names on the axes when they fit, hover read-out,
   * and a colour legend. value(i, j) in display order; names in display order. */
  function heatmap(parent, { id, size, names, value, lo, hi, hover, rowTitle, colTitle, legend }) {
    const n = names.length;
    const cell = Math.max(1, Math.floor(size / n));
    const side = cell * n;
    const labels = n <= 80;
    const labelFont = cell >= 11 ? 11 : cell >= 8 ? 9 : 0;
    const showNames = labels && labelFont > 0;
    const margin = showNames ? { left: 150, top: 130 } : { left: 28, top: 22 };
    const canvas = el("canvas", { id, width: margin.left + side + (showNames ? 80 : 8), height: margin.top + side + 8 });  // rotated names reach right
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(side, side);
    const px = image.data;
    const span = hi - lo || 1;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = value(i, j);
        const t = v === null ? -1 : Math.max(0, Math.min(1, (v - lo) / span));
        const k = Math.round(t * 255) * 3;
        const [r, g, b] = t < 0 ? [245, 246, 248] : [LUT[k], LUT[k + 1], LUT[k + 2]];
        for (let y = 0; y < cell; y++) {
          let o = ((i * cell + y) * side + j * cell) * 4;
          for (let x = 0; x < cell; x++, o += 4) { px[o] = r; px[o + 1] = g; px[o + 2] = b; px[o + 3] = 255; }
        }
      }
    }
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.putImageData(image, margin.left, margin.top);
    ctx.fillStyle = "#4a5563";
    if (showNames) {
      ctx.font = `${labelFont}px system-ui, sans-serif`;
      ctx.textBaseline = "middle";
      ctx.textAlign = "right";
      for (let i = 0; i < n; i++) ctx.fillText(fmt.trim(names[i], 24), margin.left - 4, margin.top + i * cell + cell / 2);
      ctx.textAlign = "left";
      for (let j = 0; j < n; j++) {
        ctx.save();
        ctx.translate(margin.left + j * cell + cell / 2, margin.top - 4);
        ctx.rotate(-Math.PI / 3);
        ctx.fillText(fmt.trim(names[j], 24), 0, 0);
        ctx.restore();
      }
    } else {
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillText(colTitle || "", margin.left, 14);
      ctx.save();
      ctx.translate(14, margin.top + side);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(rowTitle || "", 0, 0);
      ctx.restore();
    }
    ctx.strokeStyle = "#c5ced9";
    ctx.strokeRect(margin.left - 0.5, margin.top - 0.5, side + 1, side + 1);
    if (side < size * 0.8) {
      // Large matrices get 1 pixel per cell; show them as large as the others (crisp, see the CSS).
      canvas.style.width = `${Math.round(canvas.width * (size / side))}px`;
    }
    const wrap = el("div", { class: "heat-wrap" }, canvas);
    canvas.addEventListener("mousemove", (event) => {
      const box = canvas.getBoundingClientRect();
      const scale = canvas.width / box.width;
      const x = (event.clientX - box.left) * scale - margin.left;
      const y = (event.clientY - box.top) * scale - margin.top;
      const i = Math.floor(y / cell);
      const j = Math.floor(x / cell);
      if (i < 0 || j < 0 || i >= n || j >= n) { tip.hide(); return; }
      tip.show(event, hover(i, j));
    });
    canvas.addEventListener("mouseleave", () => tip.hide());
    parent.appendChild(wrap);
    if (legend) parent.appendChild(colourLegend(lo, hi, legend));
    return canvas;
  }

  function colourLegend(lo, hi, label) {
    const bar = el("canvas", { width: 220, height: 12 });
    const ctx = bar.getContext("2d");
    for (let x = 0; x < 220; x++) { ctx.fillStyle = viridis(x / 219); ctx.fillRect(x, 0, 1, 12); }
    return el("div", { class: "legend-bar" }, el("span", { text: fmt.short(lo) }), bar, el("span", { text: fmt.short(hi) }),
      el("span", { class: "faint", text: label }));
  }

  // ------------------------------------------------------------------------------ bar charts
  /* Vertical bars, one per item (already in display order). values may be negative (differences). */
  function barChart(parent, { id, labels, values, width = 1100, height = 300, yTitle, colour, tooltip, yDomain, refLine }) {
    const n = values.length;
    const showLabels = n <= 70;
    const margin = { left: 56, right: 12, top: 12, bottom: showLabels ? 120 : 28 };
    const w = Math.max(width, margin.left + margin.right + n * 3);
    const innerW = w - margin.left - margin.right;
    const innerH = height - margin.top - margin.bottom;
    const finite = values.filter((v) => v !== null);
    let lo = yDomain ? yDomain[0] : Math.min(0, ...finite);
    let hi = yDomain ? yDomain[1] : Math.max(0, ...finite);
    if (!(hi > lo)) { lo -= 1; hi += 1; }
    const ticks = niceTicks(lo, hi, 5);
    lo = Math.min(lo, ticks[0]);
    hi = Math.max(hi, ticks[ticks.length - 1]);
    const y = linear(lo, hi, margin.top + innerH, margin.top);
    const band = innerW / n;
    const root = svg("svg", { id, viewBox: `0 0 ${w} ${height}`, width: w, height, role: "img" });
    const grid = svg("g", { class: "grid" });
    const axis = svg("g", { class: "axis" });
    for (const t of ticks) {
      grid.appendChild(svg("line", { x1: margin.left, x2: w - margin.right, y1: y(t), y2: y(t) }));
      axis.appendChild(svg("text", { x: margin.left - 6, y: y(t) + 4, "text-anchor": "end", text: fmt.short(t) }));
    }
    root.appendChild(grid);
    root.appendChild(axis);
    if (yTitle) root.appendChild(svg("text", { class: "axis-title", transform: `translate(14 ${margin.top + innerH / 2}) rotate(-90)`, "text-anchor": "middle", text: yTitle }));
    const bars = svg("g");
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null) continue;
      const x = margin.left + i * band;
      const top = y(Math.max(0, v));
      const bottom = y(Math.min(0, v));
      const rect = svg("rect", { x: x + (band > 4 ? band * 0.12 : 0), y: top, width: Math.max(0.8, band > 4 ? band * 0.76 : band), height: Math.max(0.5, bottom - top), fill: colour(v, i) });
      rect.addEventListener("mousemove", (event) => tip.show(event, tooltip(i)));
      rect.addEventListener("mouseleave", () => tip.hide());
      bars.appendChild(rect);
    }
    root.appendChild(bars);
    root.appendChild(svg("line", { x1: margin.left, x2: w - margin.right, y1: y(0), y2: y(0), stroke: "#6b7785" }));
    if (refLine !== undefined && refLine !== null) {
      root.appendChild(svg("line", { x1: margin.left, x2: w - margin.right, y1: y(refLine.value), y2: y(refLine.value), stroke: "#b3261e", "stroke-dasharray": "5 4" }));
      root.appendChild(svg("text", { x: w - margin.right - 4, y: y(refLine.value) - 5, "text-anchor": "end", class: "axis-title", text: refLine.label }));
    }
    if (showLabels) {
      const names = svg("g", { class: "axis" });
      for (let i = 0; i < n; i++) {
        const x = margin.left + i * band + band / 2;
        names.appendChild(svg("text", { transform: `translate(${x + 3} ${margin.top + innerH + 8}) rotate(-60)`, "text-anchor": "end", text: fmt.trim(labels[i], 22) }));
      }
      root.appendChild(names);
    } else {
      root.appendChild(svg("text", { class: "axis-title", x: margin.left + innerW / 2, y: height - 8, "text-anchor": "middle", text: `${n} classes (hover a bar for its name)` }));
    }
    const scroller = el("div", { style: "overflow-x:auto" }, root);
    parent.appendChild(scroller);
    return root;
  }

  // ------------------------------------------------------------------------------ line charts
  function lineChart(parent, { id, x, series, width = 560, height = 240, xTitle, yTitle, logY = false, yDomain = null }) {
    const margin = { left: 66, right: 14, top: 12, bottom: 38 };
    const points = series.flatMap((s) => s.values.map((v, i) => [x[i], v]).filter((p) => p[1] !== null && (!logY || p[1] > 0)));
    const root = svg("svg", { id, viewBox: `0 0 ${width} ${height}`, width, height, role: "img" });
    if (!points.length) {
      root.appendChild(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "axis-title", text: "no values logged" }));
      parent.appendChild(root);
      return root;
    }
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => (logY ? Math.log10(p[1]) : p[1]));
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (yDomain) {  // a fixed range (percent: 0-100; a rate: from 0), widened if a value falls outside
      y0 = Math.min(y0, yDomain[0]);
      y1 = Math.max(y1, yDomain[1] === null ? y1 : yDomain[1]);
    }
    if (y0 === y1) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
    if (!yDomain) {
      const pad = (y1 - y0) * 0.06;
      y0 -= pad; y1 += pad;
    } else {
      y1 += (y1 - y0) * 0.04;
    }
    const sx = linear(x0, x1, margin.left, width - margin.right);
    const sy = linear(y0, y1, height - margin.bottom, margin.top);
    const grid = svg("g", { class: "grid" });
    const axis = svg("g", { class: "axis" });
    for (const t of niceTicks(y0, y1, 4)) {
      grid.appendChild(svg("line", { x1: margin.left, x2: width - margin.right, y1: sy(t), y2: sy(t) }));
      axis.appendChild(svg("text", { x: margin.left - 6, y: sy(t) + 4, "text-anchor": "end", text: logY ? fmt.short(Math.pow(10, t)) : fmt.short(t) }));
    }
    for (const t of niceTicks(x0, x1, 5).filter((t) => Number.isInteger(t))) {
      axis.appendChild(svg("line", { x1: sx(t), x2: sx(t), y1: height - margin.bottom, y2: height - margin.bottom + 4 }));
      axis.appendChild(svg("text", { x: sx(t), y: height - margin.bottom + 16, "text-anchor": "middle", text: String(t) }));
    }
    axis.appendChild(svg("line", { x1: margin.left, x2: width - margin.right, y1: height - margin.bottom, y2: height - margin.bottom }));
    root.appendChild(grid);
    root.appendChild(axis);
    if (xTitle) root.appendChild(svg("text", { class: "axis-title", x: (margin.left + width - margin.right) / 2, y: height - 4, "text-anchor": "middle", text: xTitle }));
    if (yTitle) root.appendChild(svg("text", { class: "axis-title", transform: `translate(13 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)`, "text-anchor": "middle", text: yTitle }));
    const dots = svg("g");  // drawn last, above the hover area, so each marker has its own tooltip
    for (const s of series) {
      let d = "";
      let pen = false;
      s.values.forEach((v, i) => {
        if (v === null || (logY && v <= 0)) { pen = false; return; }
        const yv = logY ? Math.log10(v) : v;
        d += `${pen ? "L" : "M"}${sx(x[i]).toFixed(1)},${sy(yv).toFixed(1)}`;
        pen = true;
      });
      if (!s.markers) root.appendChild(svg("path", { d, fill: "none", stroke: s.colour, "stroke-width": s.width || 1.6, opacity: s.opacity || 1 }));
      if (s.markers) {
        s.values.forEach((v, i) => {
          if (v === null) return;
          const dot = svg("circle", { cx: sx(x[i]), cy: sy(logY ? Math.log10(v) : v), r: 3.5, fill: s.colour });
          dot.addEventListener("mousemove", (event) => tip.show(event, s.tooltip ? s.tooltip(i) : `${esc(s.name)}: ${fmt.short(v)}`));
          dot.addEventListener("mouseleave", () => tip.hide());
          dots.appendChild(dot);
        });
      }
    }
    // Hover read-out of the nearest step.
    const cursor = svg("line", { y1: margin.top, y2: height - margin.bottom, stroke: "#9aa5b1", "stroke-dasharray": "3 3", visibility: "hidden" });
    root.appendChild(cursor);
    const hit = svg("rect", { x: margin.left, y: margin.top, width: width - margin.left - margin.right, height: height - margin.top - margin.bottom, fill: "transparent" });
    hit.addEventListener("mousemove", (event) => {
      const box = root.getBoundingClientRect();
      const px = ((event.clientX - box.left) / box.width) * width;
      let best = 0;
      for (let i = 1; i < x.length; i++) if (Math.abs(sx(x[i]) - px) < Math.abs(sx(x[best]) - px)) best = i;
      cursor.setAttribute("x1", sx(x[best]));
      cursor.setAttribute("x2", sx(x[best]));
      cursor.setAttribute("visibility", "visible");
      const lines = series.filter((s) => !s.markers).map((s) => `${esc(s.name)}: <b>${fmt.short(s.values[best])}</b>`);
      tip.show(event, `step ${x[best]}<br>${lines.join("<br>")}`);
    });
    hit.addEventListener("mouseleave", () => { cursor.setAttribute("visibility", "hidden"); tip.hide(); });
    root.appendChild(hit);
    root.appendChild(dots);
    parent.appendChild(root);
    if (series.length > 1) {
      parent.appendChild(el("div", { class: "legend-items" }, series.map((s) => el("span", null,
        el("span", { class: "swatch", style: `background:${s.colour};${s.markers ? "" : "border-radius:2px;height:3px;vertical-align:3px"}` }), s.name))));
    }
    return root;
  }

  function ema(values, alpha) {
    let state = null;
    let weight = 0;
    return values.map((v) => {
      if (v === null) return null;
      state = state === null ? v * (1 - alpha) : alpha * state + (1 - alpha) * v;
      weight = alpha * weight + (1 - alpha);
      return state / weight;  // bias-corrected, as TensorBoard's smoothing
    });
  }

  return { add, load, store, el, svg, clear, fmt, tip, esc, linear, niceTicks, viridis, LUT, PALETTE, figure, table, heatmap,
    colourLegend, barChart, lineChart, ema, decodeMatrix, percentile };
})();

/* ================================================================================ the page */
(() => {
  const { el, svg, clear, fmt, tip, esc } = KGEN;
  const TABS = [
    ["overview", "Overview"],
    ["knowledge", "Knowledge"],
    ["banks", "Banks"],
    ["map", "Class map"],
    ["evaluation", "Evaluation"],
    ["training", "Training"],
  ];
  const views = {};
  let overview = null;
  // A video list is named by its built-in name or by its file path: show the file's name.
  const listName = (name) => (name.includes("/") ? name.split("/").pop() : name);

  function start() {
    overview = KGEN.store.overview;
    const main = document.getElementById("main");
    if (!overview) {
      main.appendChild(el("p", { class: "note", text: "data/overview.js is missing: the report folder is incomplete. Build it again with kgen report." }));
      return;
    }
    const counts = { knowledge: overview.classes, banks: overview.banks.length, map: overview.maps.length, evaluation: overview.results.length, training: overview.runs.length };
    const nav = document.getElementById("tabs");
    for (const [name, title] of TABS) {
      nav.appendChild(el("a", { href: `#${name}`, id: `tab-${name}`, "data-tab": name }, title,
        counts[name] !== undefined ? el("span", { class: "count", text: String(counts[name]) }) : null));
      const section = el("section", { class: "view", id: `view-${name}`, hidden: true });
      main.appendChild(section);
    }
    window.addEventListener("hashchange", route);
    route();
  }

  function route() {
    const [tab, ...rest] = decodeURIComponent(location.hash.replace(/^#/, "")).split("/");
    const name = TABS.some(([t]) => t === tab) ? tab : "overview";
    const arg = rest.join("/");
    for (const [t] of TABS) {
      document.getElementById(`view-${t}`).hidden = t !== name;
      document.getElementById(`tab-${t}`).classList.toggle("active", t === name);
    }
    tip.hide();
    const section = document.getElementById(`view-${name}`);
    if (!views[name]) {
      views[name] = { ready: RENDER[name](section) };
    }
    Promise.resolve(views[name].ready).then((view) => { if (view && view.show) view.show(arg); })
      .catch((error) => section.appendChild(el("p", { class: "note", text: String(error.message || error) })));
  }

  function go(tab, arg) {
    const target = `#${tab}${arg ? `/${encodeURIComponent(arg)}` : ""}`;
    if (location.hash !== target) location.hash = target;
  }

  function loading(section, what) {
    const note = el("p", { class: "empty", text: `Reading ${what}…` });
    section.appendChild(note);
    return note;
  }

  /* ------------------------------------------------------------------------------ overview */
  function renderOverview(section) {
    const o = overview;
    section.appendChild(el("h2", { text: o.dataset_title }));
    section.appendChild(el("p", { class: "lede" }, `Dataset ${o.dataset}${o.dataset_origin && o.dataset_origin.includes("/") ? ` (class list ${o.dataset_origin})` : ""}, ${o.classes} classes. Workspace `, el("code", { text: o.workspace }),
      `. Built ${fmt.date(o.created_at)} by kgen ${o.kgen_version}.`));
    const stat = (value, label, tab) => el("a", { class: "stat", href: `#${tab}`, style: "text-decoration:none;color:inherit" },
      el("div", { class: "value", text: String(value) }), el("div", { class: "label", text: label }));
    section.appendChild(el("div", { class: "stat-row" },
      stat(o.classes, "classes", "knowledge"),
      stat(o.kinds.length, "knowledge files", "knowledge"),
      stat(o.banks.length, "banks", "banks"),
      stat(o.results.length, "evaluation results", "evaluation"),
      stat(o.runs.length, "training runs", "training")));
    for (const note of o.notes || []) section.appendChild(el("p", { class: "note", text: note }));

    const cards = el("div", { class: "grid2" });
    section.appendChild(cards);
    const card = (title, body) => { cards.appendChild(el("div", { class: "card" }, el("h3", { text: title }), body)); };

    card("Knowledge", o.kinds.length ? KGEN.table(["kind", "classes", "made by", "missing"], o.kinds.map((k) => [
      el("span", { class: `badge ${k.variant ? "warn" : "kind"}`, text: k.key }),
      k.error ? el("span", { class: "error", text: "unreadable" }) : `${k.classes_covered} / ${k.classes_total}`,
      k.error ? k.error : k.provenance,
      k.error ? "" : (k.missing.length ? fmt.trim(k.missing.join(", "), 80) : "none"),
    ]), { onRow: () => go("knowledge") }) : el("p", { class: "empty", text: "No knowledge files in this workspace for this dataset (kgen crawl, kgen build-all)." }));

    card("Banks", o.banks.length ? KGEN.table(["kind", "CLIP", "texts", "mean cos", "max cos"], o.banks.map((b) => [
      el("span", { class: "badge kind", text: b.kind }),
      `${b.model} / ${b.pretrained}${b.random ? " (random weights)" : ""}`,
      b.texts, fmt.num(b.mean_cosine, 3), fmt.num(b.max_cosine, 3),
    ]), { numeric: [2, 3, 4], onRow: (r) => go("banks", o.banks[r].key) }) : el("p", { class: "empty", text: "No banks of this dataset (kgen encode-bank)." }));

    const resultRows = [];
    for (const r of o.results) for (const item of r.lists) resultRows.push([r.label, r.bank_kind || "–", r.protocol, listName(item.name), fmt.num(item.top1), fmt.num(item.top5), fmt.num(item.mean_class_accuracy)]);
    card("Evaluation", resultRows.length ? KGEN.table(["result", "bank", "protocol", "list", "top-1", "top-5", "mean class"], resultRows,
      { numeric: [4, 5, 6], onRow: () => go("evaluation") }) : el("p", { class: "empty", text: "No evaluation results (kgen eval --out FILE; give them with --eval)." }));

    card("Training", o.runs.length ? KGEN.table(["run", "model", "bank", "steps", "last loss", "evals"], o.runs.map((r) => [
      r.name, r.model || "–", r.bank_kind || "–", r.last_step === null ? "–" : `${r.last_step}${r.total_steps ? ` / ${r.total_steps}` : ""}`,
      fmt.short(r.last_loss), r.evals,
    ]), { numeric: [3, 4, 5], onRow: () => go("training") }) : el("p", { class: "empty", text: "No training runs (kgen train; give them with --run)." }));

    section.appendChild(el("div", { class: "card" }, el("h3", { text: "What each tab shows" }), el("ul", null,
      el("li", null, el("b", { text: "Knowledge: " }), "every class's crawled definition and WordNet sense, AP-CLIP attribute tree and prompts, STDD knowledge graph (drawn), keyword attributes and action descriptions, each text with its provenance; search and filter by class."),
      el("li", null, el("b", { text: "Banks: " }), "per bank, the class-by-class cosine of its classifier rows as a heatmap, and the most confusable pairs."),
      el("li", null, el("b", { text: "Class map: " }), "a 2-D map of the class embeddings of several banks at once (joint t-SNE, or UMAP when installed)."),
      el("li", null, el("b", { text: "Evaluation: " }), "per-class accuracy, the confusion matrix, and the per-class difference between two results."),
      el("li", null, el("b", { text: "Training: " }), "loss, learning rate, accuracy and throughput per step, and the evaluations logged into each run."),
      el("li", null, "Every figure links its data (CSV/JSON, in figures/) for notebooks."))));
    return null;
  }

  /* ------------------------------------------------------------------------------ knowledge */
  function renderKnowledge(section) {
    const note = loading(section, "knowledge");
    return KGEN.load("knowledge").then((data) => {
      note.remove();
      return knowledgeBrowser(section, data);
    });
  }

  function knowledgeBrowser(section, data) {
    const kinds = {};  // by key: the kind for kgen's own file, kind@variant for an imported one
    for (const k of data.kinds) kinds[k.key] = k;
    const search = el("input", { type: "search", id: "class-search", placeholder: `Search ${data.classes.length} classes…`, "aria-label": "Search classes" });
    const filter = el("select", { id: "class-filter", "aria-label": "Filter classes" },
      el("option", { value: "all", text: "All classes" }),
      el("option", { value: "missing", text: "Missing some knowledge" }),
      el("option", { value: "undefined", text: "No crawled definition" }),
      el("option", { value: "close-call", text: "A WordNet sense was a close call" }),
      el("option", { value: "truncated", text: "A text was cut to fit CLIP" }));
    const count = el("div", { class: "list-count" });
    const list = el("ul", { id: "class-list" });
    const detail = el("div", { id: "class-detail" });
    section.appendChild(el("div", { class: "browser" },
      el("aside", { class: "sidebar" }, search, filter, count, list), detail));

    const items = data.classes.map((c, index) => {
      const missing = data.kinds.filter((k) => !k.error && k.missing.includes(c.name)).map((k) => k.key);
      const truncated = JSON.stringify(c.knowledge).includes('"truncated":true');
      const li = el("li", { class: "class-item", "data-name": c.name, title: missing.length ? `missing: ${missing.join(", ")}` : null,
        onclick: () => go("knowledge", c.name) },
        el("span", null, c.name, missing.length ? el("span", { class: "faint", text: " ◌" }) : null), el("span", { class: "id", text: String(c.id) }));
      list.appendChild(li);
      return { c, index, li, key: `${c.name} ${c.label}`.toLowerCase(), missing, truncated };
    });

    function applyFilter() {
      const q = search.value.trim().toLowerCase();
      const mode = filter.value;
      let shown = 0;
      for (const item of items) {
        let ok = !q || item.key.includes(q);
        if (ok && mode === "missing") ok = item.missing.length > 0;
        if (ok && mode === "undefined") ok = !data.kinds.some((k) => k.view === "definition" && (item.c.knowledge[k.key] || {}).refined);
        if (ok && mode === "truncated") ok = item.truncated;
        if (ok && mode === "close-call") ok = data.kinds.some((k) => k.view === "definition" && ((item.c.knowledge[k.key] || {}).low_confidence || []).length);
        item.li.hidden = !ok;
        if (ok) shown++;
      }
      count.textContent = `${shown} of ${items.length} classes`;
      return items.filter((i) => !i.li.hidden);
    }
    search.addEventListener("input", applyFilter);
    filter.addEventListener("change", applyFilter);
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        const visible = applyFilter();
        if (visible.length) go("knowledge", visible[0].c.name);
      }
    });
    applyFilter();

    let current = null;
    function show(name) {
      const item = items.find((i) => i.c.name === name) || items.find((i) => !i.li.hidden) || items[0];
      if (!item) return;
      if (current) current.li.classList.remove("selected");
      current = item;
      item.li.classList.add("selected");
      if (!name) {
        // first visit: keep the list where it is
      } else {
        const box = list.getBoundingClientRect();
        const row = item.li.getBoundingClientRect();
        if (row.top < box.top || row.bottom > box.bottom) item.li.scrollIntoView({ block: "nearest" });
      }
      renderClass(detail, item, items, kinds);
    }
    return { show };
  }

  function provChip(kind, step, kinds, label) {
    const info = kinds[kind];
    if (!info || !info.provenance) return null;
    const p = info.provenance;
    const record = step && p.steps ? p.steps[step] : null;
    const fields = p.fields || {};
    const lines = [`<b>${esc(p.summary)}</b>`, `kind ${esc(info.kind)}${info.variant ? ` (imported variant ${esc(info.variant)})` : ""}, file ${esc(info.file_name)}`];
    if (fields.created_at) lines.push(`made ${esc(fmt.date(fields.created_at))} by kgen ${esc(fields.kgen_version || "?")}`);
    if (record) {
      lines.push(`step <b>${esc(record.step)}</b>, prompt sha256 ${esc((record.sha256 || "").slice(0, 12))}…`);
      if (record.sampling) lines.push(`<span class="tt-sub">${esc(Object.entries(record.sampling).map(([k, v]) => `${k} ${v}`).join(", "))}</span>`);
      lines.push(`<span class="tt-sub">${esc(fmt.trim(record.user || "", 220))}</span>`);
    }
    const chip = el("span", { class: "prov", text: label || (record ? record.step : p.summary) });
    chip.addEventListener("mousemove", (event) => tip.show(event, lines.join("<br>")));
    chip.addEventListener("mouseleave", () => tip.hide());
    return chip;
  }

  function provenanceDetails(info) {
    const p = info.provenance || {};
    const fields = Object.entries(p.fields || {}).filter(([, v]) => v !== null && v !== "" && !(Array.isArray(v) && !v.length));
    const rows = fields.map(([k, v]) => el("tr", null, el("td", { text: k }),
      el("td", null, typeof v === "object" ? el("pre", { text: JSON.stringify(v, null, 1) }) : String(v))));
    const steps = Object.values(p.steps || {}).map((s) => el("div", null,
      el("h4", { text: `step ${s.step}` }),
      el("div", { class: "muted mono", text: `sha256 ${s.sha256}  ${Object.entries(s.sampling || {}).map(([k, v]) => `${k}=${v}`).join(" ")}` }),
      s.system ? el("pre", { text: `system: ${s.system}` }) : null,
      el("pre", { text: `user: ${s.user}` }),
      s.examples && s.examples.length ? el("div", { class: "faint", text: `${s.examples.length} worked example(s) sent with the prompt` }) : null));
    return el("details", { class: "provenance" }, el("summary", { text: `Provenance of ${info.file_name}: ${p.summary}` }),
      el("table", null, el("tbody", null, rows)), steps);
  }

  function kindSection(key, title, kinds, body, problems) {
    const info = kinds[key];
    return el("div", { class: "kind-section", id: `k-${key}` },
      el("div", { class: "kind-head" }, el("span", { class: "kind-title", text: info.variant ? `${title} — imported: ${info.variant}` : title }),
        el("span", { class: "kind-made" }, el("span", { class: `badge ${info.variant ? "warn" : "kind"}`, text: key }), " ", info.provenance ? info.provenance.summary : "")),
      body,
      (problems || []).map((p) => el("div", { class: "note", text: `import ${p.action} (${p.code}): ${p.entry} — ${p.reason}` })),
      info.provenance ? provenanceDetails(info) : null);
  }

  function missingNote(kind, kinds, name) {
    const info = kinds[kind];
    if (!info) return null;
    if (info.error) return el("p", { class: "error", text: `${info.file_name} could not be read: ${info.error}` });
    return el("p", { class: "empty", text: `${info.file_name} has nothing for ${name} (its build failed for this class; rerun the build command).` });
  }

  function renderClass(detail, item, items, kinds) {
    clear(detail);
    const byId = new Map(items.map((i) => [i.c.id, i.c.name]));
    const nameOf = (id) => byId.get(id) || `class ${id}`;
    const c = item.c;
    const k = c.knowledge;
    const position = items.indexOf(item);
    const neighbour = (step) => {
      for (let i = position + step; i >= 0 && i < items.length; i += step) if (!items[i].li.hidden) return items[i];
      return null;
    };
    const prev = neighbour(-1);
    const next = neighbour(1);
    detail.appendChild(el("div", { class: "class-head" },
      el("div", null, el("h2", { id: "class-title", text: c.name }),
        el("div", { class: "muted" }, `class ${c.id}, dataset label `, el("code", { text: c.label }))),
      el("div", { class: "nav" },
        el("button", { disabled: !prev, onclick: () => prev && go("knowledge", prev.c.name), text: "← previous" }),
        el("button", { disabled: !next, onclick: () => next && go("knowledge", next.c.name), text: "next →" }))));
    if (!Object.keys(kinds).length) {
      detail.appendChild(el("p", { class: "empty", text: "No knowledge files for this dataset yet." }));
      return;
    }
    const jump = el("div", { class: "jump" }, el("span", { class: "muted", text: "jump to: " }));
    detail.appendChild(jump);

    const TITLES = {
      definition: "Crawled definition",
      prompts: "AP-CLIP attribute tree and action-conditioned prompts",
      askg: "STDD action semantic knowledge graph",
      attributes: "Keyword attributes (Kim et al.)",
      "action-descriptions": "Action descriptions (SC-CLIP / FROSTER)",
    };
    for (const info of Object.values(kinds)) {
      jump.appendChild(el("button", { class: "link", onclick: () => document.getElementById(`k-${info.key}`).scrollIntoView({ behavior: "smooth" }), text: info.key }));
    }
    for (const info of Object.values(kinds)) {
      const key = info.key;
      const value = k[key];
      const title = TITLES[info.view] || info.description || info.kind;
      let body;
      if (info.error || !value) body = missingNote(key, kinds, c.name);
      else if (info.view === "definition") body = definitionView(value, key, kinds);
      else if (info.view === "prompts") body = promptsTree(c, value, key, kinds);
      else if (info.view === "askg") body = askgView(c, value, key, kinds, nameOf);
      else if (info.view === "attributes") body = attributesView(value, key, kinds);
      else if (info.view === "action-descriptions") body = actionDescriptionsView(value, key, kinds);
      else body = el("ol", { class: "prompts" }, value.texts.map((t) => el("li", null, t.type ? el("span", { class: "badge", text: t.type }) : null, " ", t.text, provChip(key, null, kinds))));
      detail.appendChild(kindSection(key, title, kinds, body, value ? value.import_problems : null));
    }
  }

  function senseChoice(choice) {
    // Why WordNet's sense won for one chunk of the name (kgen crawl's sense choice).
    const runner = (choice.runners_up || [])[0];
    const head = el("div", { class: "meta" }, `sense choice for “${choice.chunk}” (${choice.role}): score ${fmt.num(choice.score, 2)}`,
      choice.margin !== null && choice.margin !== undefined && runner ? `, ${fmt.num(choice.margin, 2)} ahead of ${runner.sense}` : "",
      `, decided by ${choice.decided_by}; ${choice.candidates} senses competed`,
      choice.pinned ? ` (pinned by ${choice.pinned})` : "",
      choice.low_confidence ? [" ", el("span", { class: "badge warn", text: "close call" })] : null);
    const runners = (choice.runners_up || []).length ? el("div", { class: "meta" }, "runners-up: ",
      choice.runners_up.map((r, i) => el("span", null, i ? " · " : "", el("code", { text: r.sense }), ` ${fmt.num(r.score, 2)} “${fmt.trim(r.definition, 70)}”`))) : null;
    const evidence = (choice.evidence || []).length ? el("details", { class: "provenance" },
      el("summary", { text: `evidence (${choice.evidence.length})` }), el("pre", { text: choice.evidence.join("\n") })) : null;
    return el("div", { class: "sense-choice" }, head, runners, evidence);
  }

  function definitionView(d, key, kinds) {
    const out = el("div");
    if (d.refined) {
      out.appendChild(el("p", { class: "definition" }, d.refined, provChip(key, null, kinds)));
      out.appendChild(el("div", { class: "muted", style: "font-size:12px" }, "refined by rule ", el("span", { class: "badge", text: d.rule || "–" }),
        " from the texts marked ✓ below",
        (d.low_confidence || []).map((chunk) => [" ", el("span", { class: "badge warn", title: "the chosen sense was only a little ahead of the runner-up", text: `close call: ${chunk}` })]),
        (d.qualifiers || []).map((q) => [" ", el("span", { class: "badge", title: "a bracketed qualifier of the name, used as context", text: `qualifier: ${q}` })])));
    } else {
      out.appendChild(el("p", { class: "empty", text: "The crawl found no definition for this class; its descriptions bank text is the class name alone." }));
    }
    if (d.override) {
      out.appendChild(el("div", { class: "note", text: `overridden by ${d.override.file}: ${d.override.kind} ${d.override.value}${d.override.note ? ` (${d.override.note})` : ""}` }));
    }
    const shown = new Set(["source", "query", "title", "url", "revision_id", "retrieved_at", "text", "note", "sense", "used", "choice"]);
    for (const t of d.texts) {
      const meta = [t.source, t.sense ? `sense ${t.sense}` : null, t.title && t.title !== t.query ? `“${t.title}”` : null,
        t.query ? `looked up: ${t.query}` : null, t.note, t.revision_id ? `revision ${t.revision_id}` : null, `retrieved ${fmt.date(t.retrieved_at)}`].filter(Boolean);
      const extra = Object.entries(t).filter(([k, v]) => !shown.has(k) && v !== null && v !== undefined);
      out.appendChild(el("div", { class: `source-text${t.used ? " used" : ""}` },
        el("div", null, t.used ? el("b", { text: "✓ " }) : null, t.text),
        el("div", { class: "meta" }, meta.join(" · "), t.url ? [" · ", el("a", { href: t.url, text: "source", rel: "noreferrer" })] : null),
        t.choice ? senseChoice(t.choice) : null,
        extra.length ? el("div", { class: "meta" }, extra.map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ")) : null));
    }
    for (const [k, v] of Object.entries(d.extra || {})) {
      if (v === null || v === undefined || (Array.isArray(v) && !v.length)) continue;
      out.appendChild(el("div", { class: "meta muted" }, `${k}: `, typeof v === "object" ? el("code", { text: JSON.stringify(v) }) : String(v)));
    }
    for (const problem of d.problems) out.appendChild(el("div", { class: "note", text: problem }));
    return out;
  }

  function promptsTree(c, p, key, kinds) {
    const settings = kinds[key].settings || {};
    const prefix = (settings.prefix_template || "a video of {action}.").replace("{action}", c.name);
    const stepOf = (prompt) => (settings.prompt_steps || [])[prompt.llm_prompt] || null;
    // The hierarchy video action -> aspects -> attributes -> prompts; the aspects side by side.
    const head = el("div", null, el("span", { class: "node-root", text: "video action" }),
      el("span", { class: "faint", text: ` → ${p.tree.length} aspects → ${p.tree.reduce((n, a) => n + a.attributes.length, 0)} attributes → ${p.count} prompts (${p.expected} expected); each encoded as “${prefix} <prompt>”` }));
    const grid = el("div", { class: "aspect-grid" });
    for (const aspect of p.tree) {
      const attributes = el("ul");
      for (const attribute of aspect.attributes) {
        const prompts = el("ul");
        for (const prompt of attribute.prompts) {
          prompts.appendChild(el("li", null, el("span", { class: "prompt", text: prompt.sentence }),
            el("span", { class: "tokens", text: `${prompt.tokens} tok` }),
            prompt.truncated ? el("span", { class: "badge warn", text: "cut" }) : null,
            provChip(key, stepOf(prompt), kinds, String(prompt.llm_prompt + 1)),
            prompt.raw ? el("div", { class: "faint", style: "font-size:12px", text: `as written: ${prompt.raw}` }) : null));
        }
        attributes.appendChild(el("li", null, el("span", { class: "node-attr", title: attribute.description || null, text: attribute.name }), prompts));
      }
      grid.appendChild(el("ul", { class: "tree" }, el("li", null, el("span", { class: "node-aspect", text: aspect.aspect }), attributes)));
    }
    const steps = [...new Map(p.tree.flatMap((a) => a.attributes.flatMap((t) => t.prompts)).map((q) => [q.llm_prompt, stepOf(q)])).entries()]
      .sort((a, b) => a[0] - b[0]);
    const legend = el("div", { class: "faint", style: "font-size:12px;margin-top:2px" }, "written by LLM-prompt ",
      steps.map(([n, step]) => [provChip(key, step, kinds, String(n + 1)), ` ${step || ""}  `]), " (hover a number for its provenance)");
    return el("div", { class: "attr-tree" }, head, legend, grid);
  }

  /* The ASKG of one class, laid out in columns: the action and its sub-action chain (temporal
   * order, top to bottom) on the left, the objects on the right, action-object predicates beside
   * each object, object-object relations as arcs on the far right. */
  function askgGraph(c, g, key, nameOf) {
    const BOX_L = { x: 12, w: 220 };
    const BOX_R = { x: 500, w: 190 };
    const ROW_L = 62;  // room for the chain's predicate between two sub-actions
    const ROW_R = 46;
    const BOX_H = 32;
    const TOP = 16;
    const norm = (s) => s.trim().toLowerCase();
    // Sub-action chain: follow action-action triples from the class.
    const subs = g.sub_actions.map((s) => s.name);
    const chainTriples = g.triples.filter((t) => t.kind === "action-action");
    const chain = [];
    const seen = new Set();
    let cursor = c.name;
    for (let guard = 0; guard < chainTriples.length + 1; guard++) {
      const step = chainTriples.find((t) => norm(t.subject) === norm(cursor) && !seen.has(norm(t.object)));
      if (!step) break;
      chain.push({ name: step.object, predicate: step.predicate });
      seen.add(norm(step.object));
      cursor = step.object;
    }
    for (const s of subs) if (!seen.has(norm(s))) { chain.push({ name: s, predicate: null, loose: true }); seen.add(norm(s)); }
    const objects = g.objects.map((o) => ({ name: o.name, shared: o.shared }));
    const objectKeys = new Set(objects.map((o) => norm(o.name)));
    for (const t of g.triples) {
      for (const end of t.kind === "object-object" ? [t.subject, t.object] : t.kind === "action-object" ? [t.object] : []) {
        if (!objectKeys.has(norm(end))) { objects.push({ name: end, extra: true }); objectKeys.add(norm(end)); }
      }
    }
    const leftRows = 1 + chain.length;
    const leftH = leftRows * ROW_L;
    const rightH = Math.max(objects.length, 1) * ROW_R;
    const H = TOP * 2 + Math.max(leftH, rightH);
    const ooCount = g.triples.filter((t) => t.kind === "object-object").length;
    const W = Math.max(900, BOX_R.x + BOX_R.w + (ooCount ? 26 + 14 * Math.min(objects.length, 8) + 6 + 140 : 20));
    const root = svg("svg", { id: `askg-graph-${key.replace(/[^A-Za-z0-9-]/g, "-")}`, class: "askg-graph", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": `knowledge graph of ${c.name}` });
    const defs = svg("defs");
    for (const [id, colour] of [["arrow-temporal", "#d08a1c"], ["arrow-object", "#7d9cc9"], ["arrow-oo", "#8fa3b8"]]) {
      defs.appendChild(svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
        svg("path", { d: "M0,0 L10,5 L0,10 z", fill: colour })));
    }
    root.appendChild(defs);
    const edges = svg("g");
    const labels = svg("g");
    const nodes = svg("g");
    root.appendChild(edges);
    root.appendChild(nodes);
    root.appendChild(labels);
    // Left column: vertically centred when shorter than the right one.
    const leftOffset = TOP + (H - 2 * TOP - leftH) / 2;
    const rightOffset = TOP + (H - 2 * TOP - rightH) / 2;
    const leftY = (i) => leftOffset + i * ROW_L + (ROW_L - BOX_H) / 2;
    const rightY = (i) => rightOffset + i * ROW_R + (ROW_R - BOX_H) / 2;

    function box(x, y, w, text, type, title, badge) {
      const words = text.split(/\s+/);
      const lines = [];
      let line = "";
      const maxChars = Math.floor(w / 6.6);
      for (const word of words) {
        if ((line + " " + word).trim().length > maxChars && line) { lines.push(line); line = word; } else line = (line + " " + word).trim();
      }
      lines.push(line);
      const shown = lines.slice(0, 2);
      if (lines.length > 2) shown[1] = fmt.trim(`${shown[1]} ${lines.slice(2).join(" ")}`, maxChars);
      const g2 = svg("g", { class: `node ${type}` });
      g2.appendChild(svg("rect", { x, y, width: w, height: BOX_H, rx: 6 }));
      shown.forEach((t, i) => g2.appendChild(svg("text", { x: x + 8, y: y + (shown.length === 1 ? BOX_H / 2 + 4 : 13 + i * 13), text: t })));
      if (badge) g2.appendChild(svg("text", { class: "shared", x: x + w - 6, y: y + BOX_H - 5, "text-anchor": "end", text: badge }));
      g2.appendChild(svg("title", { text: title || text }));
      nodes.appendChild(g2);
    }

    // action node and chain
    box(BOX_L.x, leftY(0), BOX_L.w, c.name, "action", `${c.name} (the action class)`);
    chain.forEach((s, i) => {
      box(BOX_L.x + 18, leftY(i + 1), BOX_L.w - 18, s.name, `sub-action${s.loose ? " extra" : ""}`, s.loose ? `${s.name} (sub-action outside the chain)` : `sub-action ${i + 1}: ${s.name}`);
      if (s.predicate !== null) {
        const x = BOX_L.x + 30;
        const y1 = leftY(i) + BOX_H;
        const y2 = leftY(i + 1);
        edges.appendChild(svg("path", { class: "edge action-action", d: `M${x},${y1} L${x},${y2 - 1}`, "marker-end": "url(#arrow-temporal)" }));
        const label = svg("text", { class: "label", x: x + 8, y: (y1 + y2) / 2 + 4, text: fmt.trim(s.predicate, 44) });
        label.appendChild(svg("title", { text: s.predicate }));
        labels.appendChild(label);
      }
    });
    // objects
    const objIndex = {};
    objects.forEach((o, i) => {
      objIndex[norm(o.name)] = i;
      const shared = o.shared && o.shared.count ? `+${o.shared.count} class${o.shared.count > 1 ? "es" : ""}` : null;
      const others = o.shared ? o.shared.ids.map(nameOf) : [];
      const title = o.extra ? `${o.name} (named by a relation, not in the object list)` :
        o.shared && o.shared.count ? `${o.name}: also in ${others.join(", ")}${o.shared.count > others.length ? ", …" : ""}` : o.name;
      box(BOX_R.x, rightY(i), BOX_R.w, o.name, `object${o.extra ? " extra" : ""}`, title, shared);
    });
    // action -> object edges, predicate beside each object
    const ax = BOX_L.x + BOX_L.w;
    const ay = leftY(0) + BOX_H / 2;
    for (const t of g.triples.filter((t) => t.kind === "action-object")) {
      const i = objIndex[norm(t.object)];
      if (i === undefined) continue;
      const oy = rightY(i) + BOX_H / 2;
      const bend = ax + 70;
      edges.appendChild(svg("path", { class: "edge action-object", d: `M${ax},${ay} C${bend},${ay} ${BOX_R.x - 170},${oy} ${BOX_R.x - 1},${oy}`, "marker-end": "url(#arrow-object)" }));
      const label = svg("text", { class: "label", x: BOX_R.x - 8, y: oy - 5, "text-anchor": "end", text: fmt.trim(t.predicate, 36) });
      label.appendChild(svg("title", { text: `${t.subject} — ${t.predicate} → ${t.object}` }));
      labels.appendChild(label);
    }
    // object -> object arcs on the right
    const oo = g.triples.filter((t) => t.kind === "object-object");
    const rx = BOX_R.x + BOX_R.w;
    const placed = [];  // label boxes already drawn: a new label moves down until it overlaps none
    const place = (x, y, width) => {
      for (let tries = 0; tries < 8; tries++) {
        const clash = placed.some((p) => Math.abs(p.y - y) < 12 && x < p.x + p.w && p.x < x + width);
        if (!clash) break;
        y += 13;
      }
      placed.push({ x, y, w: width });
      return y;
    };
    oo.forEach((t, k) => {
      const a = objIndex[norm(t.subject)];
      const b = objIndex[norm(t.object)];
      if (a === undefined || b === undefined) return;
      const ya = rightY(a) + BOX_H / 2 + (a < b ? 4 : -4);
      const yb = rightY(b) + BOX_H / 2 + (a < b ? -4 : 4);
      const depth = 26 + 14 * Math.min(Math.abs(a - b), 8) + (k % 2) * 6;
      edges.appendChild(svg("path", { class: "edge object-object", d: `M${rx},${ya} C${rx + depth},${ya} ${rx + depth},${yb} ${rx + 2},${yb}`, "marker-end": "url(#arrow-oo)" }));
      const text = fmt.trim(t.predicate, 24);
      const lx = rx + depth * 0.75 + 4;
      const label = svg("text", { class: "label", x: lx, y: place(lx, (ya + yb) / 2 + 4, text.length * 5.8), text });
      label.appendChild(svg("title", { text: `${t.subject} — ${t.predicate} → ${t.object}` }));
      labels.appendChild(label);
    });
    return root;
  }

  function askgView(c, g, key, kinds, nameOf) {
    const out = el("div", { class: "kg" });
    out.appendChild(el("div", { class: "legend" },
      el("span", { class: "l-action", text: "action class" }),
      el("span", { class: "l-sub", text: `sub-actions, in temporal order (${g.sub_actions.length})` }),
      el("span", { class: "l-obj", text: `objects (${g.objects.length}); “+n classes”: shared with other classes` }),
      el("span", { text: "dashed: object-object relations" })));
    out.appendChild(askgGraph(c, g, key, nameOf));
    const spatial = g.prompts.filter((p) => p.type === "spatial");
    const temporal = g.prompts.filter((p) => p.type === "temporal");
    const triple = (p) => {
      const t = g.triples[p.triple];
      return t ? el("span", { class: "faint", style: "font-size:12px", text: `  ⟨${t.subject}, ${t.predicate}, ${t.object}⟩` }) : null;
    };
    const list = (prompts) => el("ol", { class: "prompts" }, prompts.map((p) => el("li", null, p.text,
      p.truncated ? el("span", { class: "badge warn", text: "cut" }) : null, provChip(key, (kinds[key].settings || {}).prompt_step, kinds), triple(p))));
    out.appendChild(el("div", { class: "split" },
      el("div", null, el("h4", { text: `Spatial prompts (${spatial.length}), from object triples` }), list(spatial)),
      el("div", null, el("h4", { text: `Temporal prompts (${temporal.length}), from action triples` }), list(temporal))));
    return out;
  }

  function attributesView(a, key, kinds) {
    const top = new Set(a.top);
    return el("div", null,
      el("h4", { text: "Keywords, as the LLM gave them" }),
      el("div", null, a.keywords.map((w) => el("span", { class: "chip", text: w })), provChip(key, a.step, kinds)),
      el("h4", { text: `Candidate words (the first ${a.top_n} are the attributes)` }),
      el("div", null, a.candidates.map((w) => el("span", { class: `chip${top.has(w) ? " top" : ""}`, text: w }))),
      el("h4", { text: "Attribute sentence (encoded)" }),
      el("p", null, a.sentence),
      a.description_source === "class-name" ? el("p", { class: "note", text: "The crawl found no definition: these keywords come from the class name alone." }) : null);
  }

  function actionDescriptionsView(a, key, kinds) {
    return el("ol", { class: "prompts" }, a.descriptions.map((d) => el("li", null, el("span", { class: "faint", text: `${a.prefix} ` }), d.sentence,
      d.truncated ? el("span", { class: "badge warn", text: "cut" }) : null, provChip(key, a.step, kinds),
      d.raw ? el("div", { class: "faint", style: "font-size:12px", text: `as written: ${d.raw}` }) : null)));
  }

  /* ------------------------------------------------------------------------------ banks */
  function renderBanks(section) {
    const banks = overview.banks;
    section.appendChild(el("h2", { text: "Banks: how alike the classes look to the text side" }));
    section.appendChild(el("p", { class: "lede", text: "A bank's classifier row for a class is the renormalised mean of its text embeddings; a zero-shot model scores videos against these rows. Classes whose rows are close are the pairs the text side cannot tell apart." }));
    if (!banks.length) {
      section.appendChild(el("p", { class: "empty", text: "No banks of this dataset in the workspace (kgen encode-bank), or none given with --bank." }));
      return null;
    }
    const summary = el("div", { class: "card", id: "bank-summary" }, el("h3", { text: "All banks" }),
      KGEN.table(["kind", "bank id", "CLIP", "classes", "texts", "mean cos", "max cos", "data"], banks.map((b) => [
        el("span", { class: "badge kind", text: b.kind }), el("code", { text: b.bank_id }),
        `${b.model} / ${b.pretrained}${b.random ? " (random)" : ""}`, b.classes, b.texts, fmt.num(b.mean_cosine, 3), fmt.num(b.max_cosine, 3),
        el("a", { href: b.figures.pairs, text: "pairs.csv" })]), { numeric: [3, 4, 5, 6], onRow: (r) => go("banks", banks[r].key) }));
    section.appendChild(summary);
    const pickers = el("div", { class: "pickers", id: "bank-pickers" });
    section.appendChild(pickers);
    const body = el("div", { id: "bank-body" });
    section.appendChild(body);
    const buttons = banks.map((b) => {
      const button = el("button", { "data-bank": b.key, onclick: () => go("banks", b.key), text: `${b.kind} · ${b.model}` });
      pickers.appendChild(button);
      return button;
    });
    let token = 0;
    function show(key) {
      const bank = banks.find((b) => b.key === key) || banks[0];
      buttons.forEach((button) => button.classList.toggle("on", button.dataset.bank === bank.key));
      const mine = ++token;
      clear(body);
      const note = loading(body, `bank ${bank.bank_id}`);
      KGEN.load(bank.key).then((data) => {
        if (mine !== token) return;
        note.remove();
        bankView(body, data);
      }).catch((error) => { note.textContent = error.message; });
    }
    return { show };
  }

  function bankView(body, b) {
    const n = b.class_names.length;
    const values = KGEN.decodeMatrix(b.matrix);
    const offDiagonal = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) offDiagonal.push(values[i * n + j]);
    const lo = offDiagonal.length ? KGEN.percentile(offDiagonal, 0.02) : 0;
    const hi = offDiagonal.length ? Math.max(...offDiagonal.slice(0, 1), KGEN.percentile(offDiagonal, 1)) : 1;
    let ordered = n > 2;
    const frame = KGEN.figure(body, {
      id: "fig-bank-heatmap",
      title: `Class × class cosine of classifier rows — ${b.kind} bank`,
      data: [{ label: "similarity.csv", href: b.figures.similarity }, { label: "order.json", href: b.figures.order }],
      caption: `${n} classes of ${b.bank_id} (${b.model} / ${b.pretrained}${b.random ? ", random weights: for testing the pipeline only" : ""}). ` +
        `Colour: cosine from ${fmt.num(lo, 3)} (2nd percentile of the off-diagonal pairs) to ${fmt.num(hi, 3)} (the closest pair); the diagonal (1) is clipped. ` +
        "Clustered order puts classes whose rows are alike next to each other (average-linkage clustering), so a bright block is a group the bank confuses. Hover a cell for the pair.",
    });
    const controls = el("div", { class: "controls" });
    const orderButton = el("button", { id: "heatmap-order", text: "" });
    controls.appendChild(el("span", { class: "muted", text: "order:" }));
    controls.appendChild(orderButton);
    frame.appendChild(controls);
    const holder = el("div");
    frame.appendChild(holder);
    function draw() {
      clear(holder);
      orderButton.textContent = ordered ? "clustered (click for label order)" : "label order (click for clustered)";
      const order = ordered ? b.order : b.class_names.map((_, i) => i);
      const names = order.map((i) => b.class_names[i]);
      const size = Math.min(760, Math.max(300, body.clientWidth - 200));
      KGEN.heatmap(holder, {
        id: "heatmap", size, names, lo, hi, rowTitle: "class", colTitle: "class",
        value: (i, j) => values[order[i] * n + order[j]],
        hover: (i, j) => `<b>${esc(names[i])}</b> × <b>${esc(names[j])}</b><br>cosine ${values[order[i] * n + order[j]].toFixed(4)}`,
        legend: "cosine",
      });
    }
    orderButton.addEventListener("click", () => { ordered = !ordered; draw(); });
    draw();

    const pairsBody = KGEN.figure(body, {
      id: "fig-confusable-pairs",
      title: `The ${b.pairs.length} most confusable class pairs — ${b.kind} bank`,
      data: [{ label: "CSV", href: b.figures.pairs }, { label: "JSON", href: b.figures.pairs_json }],
      caption: `Pairs of distinct classes with the highest cosine between their classifier rows. Mean cosine over all ${n * (n - 1) / 2} pairs: ${fmt.num(b.mean_cosine, 4)}. The same list in the terminal: kgen bank sim ${b.bank_id} --top ${b.pairs.length}.`,
    });
    const span = [Math.min(...b.pairs.map((p) => p.cosine), b.mean_cosine), 1];
    const barOf = (v) => el("div", { class: "bar-cell" },
      el("div", { class: "bar", style: `width:${(100 * (v - span[0]) / (span[1] - span[0] || 1)).toFixed(1)}%` }), el("span", { text: v.toFixed(4) }));
    pairsBody.appendChild(el("div", { id: "pairs-table" }, KGEN.table(["#", "class A", "class B", "cosine"],
      b.pairs.map((p) => [p.rank, p.a, p.b, barOf(p.cosine)]), { numeric: [0], onRow: (r) => go("knowledge", b.pairs[r].a) })));
  }

  /* ------------------------------------------------------------------------------ class map */
  function renderMap(section) {
    section.appendChild(el("h2", { text: "Class map: where the banks put each class" }));
    section.appendChild(el("p", { class: "lede", text: "All banks of one CLIP text tower embedded together in 2-D, so the same class from different banks can be compared: a class whose knowledge moves it away from its name, banks that spread classes apart or pull them together." }));
    const note = loading(section, "the class maps");
    return KGEN.load("maps").then((maps) => {
      note.remove();
      if (!maps.length) {
        section.appendChild(el("p", { class: "empty", text: "No map: the report has no banks." }));
        return null;
      }
      maps.forEach((m, k) => mapView(section, m, k));
      return null;
    });
  }

  function mapView(section, m, k) {
    const params = Object.entries(m.parameters || {}).filter(([, v]) => v !== null && v !== undefined).map(([key, v]) => `${key} ${v}`).join(", ");
    const body = KGEN.figure(section, {
      id: `fig-class-map${k ? `-${k + 1}` : ""}`,
      title: `Class embeddings of ${m.series.length} bank${m.series.length > 1 ? "s" : ""} (${m.method}) — ${m.space.model} / ${m.space.pretrained}`,
      data: [{ label: "points.csv", href: m.figures.points }, { label: "map.json", href: m.figures.map }],
      caption: `Each dot is one class's classifier row in one bank; colours are banks. ${m.method} (${params}). Distances between far-apart groups mean little in a ${m.method} map; neighbourhoods do. Type a class to see it in every bank.`,
    });
    const W = 1000;
    const H = 620;
    const pad = 24;
    const all = m.series.flatMap((s) => s.xy);
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    const sx = KGEN.linear(Math.min(...xs), Math.max(...xs), pad, W - pad);
    const sy = KGEN.linear(Math.min(...ys), Math.max(...ys), H - pad, pad);
    const hidden = new Set();
    const search = el("input", { type: "search", id: k ? `map-search-${k + 1}` : "map-search", placeholder: "Highlight a class…", list: `map-classes-${k}` });
    const datalist = el("datalist", { id: `map-classes-${k}` }, [...new Set(m.series.flatMap((s) => s.class_names))].map((n) => el("option", { value: n })));
    const namesToggle = el("label", null, el("input", { type: "checkbox" }), " show class names");
    const legend = el("div", { class: "legend-items" }, m.series.map((s, i) => {
      const box = el("input", { type: "checkbox", checked: true });
      box.addEventListener("change", () => { if (box.checked) hidden.delete(i); else hidden.add(i); draw(); });
      return el("label", null, box, el("span", { class: "swatch", style: `background:${KGEN.PALETTE[i % KGEN.PALETTE.length]}` }), `${s.kind}`);
    }));
    body.appendChild(el("div", { class: "controls" }, search, datalist, namesToggle, legend));
    const root = svg("svg", { id: k ? `class-map-${k + 1}` : "class-map", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img" });
    body.appendChild(root);
    function draw() {
      clear(root);
      root.appendChild(svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#fbfcfd", stroke: "#e3e8ee" }));
      const q = search.value.trim().toLowerCase();
      const names = namesToggle.querySelector("input").checked;
      const marked = [];
      m.series.forEach((s, i) => {
        if (hidden.has(i)) return;
        const colour = KGEN.PALETTE[i % KGEN.PALETTE.length];
        const layer = svg("g", { "data-bank": s.bank_id });
        s.xy.forEach((p, j) => {
          const hit = q && s.class_names[j].toLowerCase() === q;
          const near = q && !hit && s.class_names[j].toLowerCase().includes(q);
          const dot = svg("circle", { cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1), r: hit ? 6 : near ? 4.5 : 3.2, fill: colour,
            "fill-opacity": q && !hit && !near ? 0.25 : 0.85, stroke: hit || near ? "#17202c" : "none", "stroke-width": 1.2 });
          dot.addEventListener("mousemove", (event) => tip.show(event, `<b>${esc(s.class_names[j])}</b><br><span class="tt-sub">${esc(s.kind)} bank</span>`));
          dot.addEventListener("mouseleave", () => tip.hide());
          dot.addEventListener("click", () => go("knowledge", s.class_names[j]));
          layer.appendChild(dot);
          if (hit || near) marked.push({ name: s.class_names[j], x: sx(p[0]), y: sy(p[1]), colour, kind: s.kind });
          if (names && !q) layer.appendChild(svg("text", { x: sx(p[0]) + 4, y: sy(p[1]) - 4, "font-size": 9, fill: "#5c6877", text: s.class_names[j] }));
        });
        root.appendChild(layer);
      });
      // Join the same class across banks, then label it.
      const byName = {};
      for (const p of marked) (byName[p.name] = byName[p.name] || []).push(p);
      for (const [name, points] of Object.entries(byName)) {
        for (let a = 1; a < points.length; a++) {
          root.insertBefore(svg("line", { x1: points[0].x, y1: points[0].y, x2: points[a].x, y2: points[a].y, stroke: "#17202c", "stroke-opacity": 0.35, "stroke-dasharray": "3 3" }), root.children[1]);
        }
        for (const p of points) root.appendChild(svg("text", { x: p.x + 8, y: p.y + 4, "font-size": 11.5, "font-weight": 600, fill: "#17202c", text: `${name} (${p.kind})` }));
      }
    }
    search.addEventListener("input", draw);
    namesToggle.addEventListener("change", draw);
    draw();
  }

  /* ------------------------------------------------------------------------------ evaluation */
  function renderEvaluation(section) {
    section.appendChild(el("h2", { text: "Evaluation" }));
    const note = loading(section, "evaluation results");
    return KGEN.load("evaluation").then((data) => {
      note.remove();
      const results = data.results;
      if (!results.length) {
        section.appendChild(el("p", { class: "empty", text: "No evaluation results of this dataset: write them with kgen eval --out FILE, then give them to kgen report with --eval FILE (or keep them under results/ in the workspace)." }));
        return null;
      }
      section.appendChild(el("div", { class: "card", id: "eval-summary" }, el("h3", { text: "Results" }),
        KGEN.table(["result", "bank", "protocol", "pool", "list", "videos", "top-1", "top-5", "mean class"],
          results.flatMap((r) => r.lists.map((item) => [r.label, r.bank_kind || "–", r.protocol, r.video_pool || "–", listName(item.name), item.evaluated,
            fmt.num(item.top1), fmt.num(item.top5), fmt.num(item.mean_class_accuracy)])), { numeric: [5, 6, 7, 8] })));
      const detailed = results.filter((r) => r.per_class);
      for (const r of results.filter((x) => !x.per_class)) {
        section.appendChild(el("p", { class: "note", text: `${r.label} (format version ${r.format_version}) holds no per-class results; evaluate again with this kgen to see its per-class accuracy and confusion matrix.` }));
      }
      if (!detailed.length) return null;
      perResult(section, detailed);
      differenceView(section, detailed, data.differences);
      return null;
    });
  }

  function listPicker(result, onChange, id) {
    const select = el("select", { id }, result.lists.filter((l) => l.per_class_top1).map((l) => el("option", { value: l.name, text: `list ${listName(l.name)} (${l.role})` })));
    select.addEventListener("change", () => onChange(select.value));
    return select;
  }

  function perResult(section, results) {
    const pick = el("select", { id: "eval-result" }, results.map((r, i) => el("option", { value: String(i), text: `${r.label} — ${r.bank_kind || "?"} bank` })));
    const head = el("div", { class: "controls" }, el("span", { class: "muted", text: "result" }), pick);
    section.appendChild(head);
    const holder = el("div");
    section.appendChild(holder);
    function draw() {
      const r = results[Number(pick.value)];
      clear(holder);
      const lists = r.lists.filter((l) => l.per_class_top1);
      let current = lists[0];
      const inner = el("div");
      if (lists.length > 1) holder.appendChild(el("div", { class: "controls" }, el("span", { class: "muted", text: "list:" }),
        listPicker(r, (name) => { current = lists.find((l) => l.name === name); drawList(); }, "eval-list")));
      holder.appendChild(inner);
      function drawList() {
        clear(inner);
        accuracyChart(inner, r, current);
        confusionView(inner, r, current);
      }
      drawList();
    }
    pick.addEventListener("change", draw);
    draw();
  }

  function accuracyChart(parent, r, l) {
    const idx = l.class_names.map((_, i) => i).filter((i) => l.per_class_top1[i] !== null);
    idx.sort((a, b) => l.per_class_top1[b] - l.per_class_top1[a] || l.class_names[a].localeCompare(l.class_names[b]));
    const files = (r.figures || {})[l.name] || {};
    const body = KGEN.figure(parent, {
      id: "fig-per-class-accuracy",
      title: `Per-class top-1 — ${r.label} on ${listName(l.name)}`,
      data: [{ label: "per_class.csv", href: files.per_class }],
      caption: `${idx.length} classes with videos, best first. Dashed line: the mean over classes (${fmt.pct(l.mean_class_accuracy)}); top-1 over all ${l.evaluated} videos: ${fmt.pct(l.top1)}.${l.runs > 1 ? ` Averaged over ${l.runs} models (seeds).` : ""}`,
    });
    KGEN.barChart(body, {
      id: "per-class-accuracy",
      labels: idx.map((i) => l.class_names[i]),
      values: idx.map((i) => l.per_class_top1[i]),
      yDomain: [0, 100],
      yTitle: "top-1 (%)",
      colour: (v) => KGEN.viridis(0.15 + 0.7 * (v / 100)),
      refLine: { value: l.mean_class_accuracy, label: `mean ${fmt.pct(l.mean_class_accuracy)}` },
      tooltip: (k) => `<b>${esc(l.class_names[idx[k]])}</b><br>top-1 ${fmt.pct(l.per_class_top1[idx[k]])} of ${l.per_class_videos[idx[k]]} videos`,
    });
  }

  function confusionView(parent, r, l) {
    const files = (r.figures || {})[l.name] || {};
    if (!l.confusion) {
      parent.appendChild(el("p", { class: "empty", text: "This result has no confusion matrix." }));
      return;
    }
    const n = l.class_names.length;
    const rowSums = l.confusion.map((row) => row.reduce((a, b) => a + b, 0));
    const body = KGEN.figure(parent, {
      id: "fig-confusion",
      title: `Confusion matrix — ${r.label} on ${listName(l.name)}`,
      data: [{ label: "confusion.csv", href: files.confusion }],
      caption: "Rows: true class; columns: predicted class (top-1), in label order. Colour: the share of the row's videos, on a square-root scale so that a confusion of a few videos is visible next to the diagonal; grey rows have no videos. Hover a cell for the counts. The table lists the most frequent confusions.",
    });
    KGEN.heatmap(body, {
      id: "confusion", size: Math.min(700, Math.max(300, parent.clientWidth - 220)), names: l.class_names, lo: 0, hi: 1,
      rowTitle: "true class", colTitle: "predicted class",
      value: (i, j) => (rowSums[i] ? Math.sqrt(l.confusion[i][j] / rowSums[i]) : null),  // square root: rare confusions show
      hover: (i, j) => `true <b>${esc(l.class_names[i])}</b><br>predicted <b>${esc(l.class_names[j])}</b><br>${l.confusion[i][j]} of ${rowSums[i]} videos${rowSums[i] ? ` (${(100 * l.confusion[i][j] / rowSums[i]).toFixed(1)}%)` : ""}`,
      legend: "share of the true class's videos (square-root scale: 0.25 is drawn half-way)",
    });
    const pairs = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && l.confusion[i][j] > 0) pairs.push([i, j, l.confusion[i][j]]);
    pairs.sort((a, b) => b[2] - a[2] || a[0] - b[0]);
    body.appendChild(el("h4", { text: "Most frequent confusions" }));
    body.appendChild(pairs.length ? el("div", { id: "top-confusions" }, KGEN.table(["true class", "predicted as", "videos", "share of the class"],
      pairs.slice(0, 15).map(([i, j, count]) => [l.class_names[i], l.class_names[j], count, fmt.pct(100 * count / rowSums[i])]), { numeric: [2, 3] }))
      : el("p", { class: "empty", text: "No confusions: every video's best class is its own." }));
  }

  function differenceView(section, results, differences) {
    const body = KGEN.figure(section, {
      id: "fig-accuracy-difference",
      title: "Per-class difference between two results",
      data: [],
      caption: "Top-1 of B minus top-1 of A for every class both evaluated (matched by class id), sorted from the largest gain to the largest loss: which classes the knowledge in B's bank helps and which it hurts. Every pair's CSV is in figures/eval/differences/.",
    });
    if (results.length < 2) {
      body.appendChild(el("p", { class: "empty", id: "accuracy-difference-empty", text: "Give kgen report two results with per-class accuracy (e.g. a names bank and a knowledge bank, --eval A --eval B) to compare them here." }));
      return;
    }
    const option = (r, i) => el("option", { value: String(i), text: `${r.label} — ${r.bank_kind || "?"} bank` });
    const pickA = el("select", { id: "diff-a" }, results.map(option));
    const pickB = el("select", { id: "diff-b" }, results.map(option));
    pickB.value = "1";
    const holder = el("div");
    body.appendChild(el("div", { class: "controls" }, el("span", { class: "muted", text: "A:" }), pickA, el("span", { class: "muted", text: "B:" }), pickB));
    body.appendChild(holder);
    function draw() {
      clear(holder);
      const a = results[Number(pickA.value)];
      const b = results[Number(pickB.value)];
      if (a === b) { holder.appendChild(el("p", { class: "empty", text: "Pick two different results." })); return; }
      for (const la of a.lists.filter((l) => l.per_class_top1)) {
        const lb = b.lists.find((l) => l.name === la.name && l.per_class_top1);
        if (!lb) continue;
        const keyOf = (l, i) => (l.class_ids.length ? l.class_ids[i] : l.class_names[i]);
        const inB = new Map(lb.class_names.map((_, i) => [keyOf(lb, i), i]));
        const rows = [];
        la.class_names.forEach((name, i) => {
          const j = inB.get(keyOf(la, i));
          if (j === undefined || la.per_class_top1[i] === null || lb.per_class_top1[j] === null) return;
          rows.push({ name, a: la.per_class_top1[i], b: lb.per_class_top1[j], d: lb.per_class_top1[j] - la.per_class_top1[i] });
        });
        rows.sort((x, y) => y.d - x.d || x.name.localeCompare(y.name));
        const gained = rows.filter((x) => x.d > 0).length;
        const lost = rows.filter((x) => x.d < 0).length;
        const mean = rows.reduce((s, x) => s + x.d, 0) / (rows.length || 1);
        const csv = (differences || []).find((d) => d.list === la.name && ((d.a === a.key && d.b === b.key) || (d.a === b.key && d.b === a.key)));
        holder.appendChild(el("p", null, el("b", { text: `list ${listName(la.name)}: ` }),
          `B (${b.label}) is better on ${gained} classes, worse on ${lost}, equal on ${rows.length - gained - lost}; mean difference ${fmt.signed(mean)} points.`,
          csv ? [" ", el("a", { href: csv.csv, text: "CSV" })] : null));
        KGEN.barChart(holder, {
          id: "accuracy-difference",
          labels: rows.map((x) => x.name),
          values: rows.map((x) => x.d),
          yTitle: "top-1 of B − A (points)",
          colour: (v) => (v > 0 ? "#1a7f4b" : v < 0 ? "#b3261e" : "#9aa5b1"),
          tooltip: (k) => `<b>${esc(rows[k].name)}</b><br>A ${fmt.pct(rows[k].a)} → B ${fmt.pct(rows[k].b)}<br>${fmt.signed(rows[k].d)} points`,
        });
        const top = (list) => KGEN.table(["class", "A", "B", "B − A"], list.map((x) => [x.name, fmt.pct(x.a), fmt.pct(x.b), fmt.signed(x.d)]), { numeric: [1, 2, 3] });
        holder.appendChild(el("div", { class: "split" },
          el("div", null, el("h4", { text: "Gained most" }), top(rows.filter((x) => x.d > 0).slice(0, 10))),
          el("div", null, el("h4", { text: "Lost most" }), top(rows.filter((x) => x.d < 0).reverse().slice(0, 10)))));
      }
    }
    pickA.addEventListener("change", draw);
    pickB.addEventListener("change", draw);
    draw();
  }

  /* ------------------------------------------------------------------------------ training */
  function renderTraining(section) {
    section.appendChild(el("h2", { text: "Training runs" }));
    const note = loading(section, "training runs");
    return KGEN.load("training").then((runs) => {
      note.remove();
      if (!runs.length) {
        section.appendChild(el("p", { class: "empty", text: "No training runs: kgen report reads runs/<name>/metrics.jsonl in the workspace, or the folders given with --run." }));
        return null;
      }
      runs.forEach((run) => runView(section, run));
      return null;
    });
  }

  function runView(section, run) {
    const card = el("div", { class: "card", id: `run-${run.key}` });
    section.appendChild(card);
    card.appendChild(el("h3", { text: run.name }));
    card.appendChild(el("p", { class: "muted" }, `${run.model || "?"} on ${run.backbone || "?"}, bank ${run.bank_kind || "?"} (`, el("code", { text: run.bank_id || "?" }),
      `), ${run.steps.length ? `steps ${run.steps[0]}–${run.steps[run.steps.length - 1]}` : "no steps logged"}${run.total_steps ? ` of ${run.total_steps}` : ""}; logger ${run.logger}. `,
      el("a", { href: run.figures.curves, text: "curves.csv" }), " ", el("a", { href: run.figures.evals, text: "evals.csv" })));
    if (run.unreadable_lines) card.appendChild(el("p", { class: "note", text: `${run.unreadable_lines} log line(s) could not be read (a crash mid-write) and are left out.` }));
    const grid = el("div", { class: "grid2" });
    card.appendChild(grid);
    const smooth = run.steps.length > 40;
    for (const curve of run.curves) {
      const values = run.series[curve.key];
      const body = KGEN.figure(grid, { id: `fig-${run.key}-${curve.key}`, title: curve.title, data: [] });
      const series = [];
      if (smooth) {
        series.push({ name: `${curve.key} (raw)`, values, colour: "#9fbbe6", width: 1 });
        series.push({ name: `${curve.key} (smoothed)`, values: KGEN.ema(values, 0.9), colour: "#2457a6", width: 2 });
      } else {
        series.push({ name: curve.key, values, colour: "#2457a6", width: 2 });
      }
      let x = run.steps;
      if (curve.key === "accuracy" && run.evals.length) {
        // Evaluations of the run's checkpoints, on the same percent scale, at their checkpoint's step.
        const steps = [...new Set([...run.steps, ...run.evals.map((e) => e.step)])].sort((a, b) => a - b);
        const at = (values) => steps.map((st) => { const i = run.steps.indexOf(st); return i < 0 ? null : values[i]; });
        for (const s of series) s.values = at(s.values);
        const lists = [...new Set(run.evals.map((e) => e.list))];
        lists.forEach((name, k) => {
          const rows = run.evals.filter((e) => e.list === name);
          series.push({
            name: `eval top-1: ${fmt.trim(name.split("/").pop(), 30)}`, markers: true, colour: KGEN.PALETTE[(k + 1) % KGEN.PALETTE.length], width: 0,
            values: steps.map((st) => { const r = rows.filter((e) => e.step === st).pop(); return r ? r.top1 : null; }),
            tooltip: (i) => { const r = rows.filter((e) => e.step === steps[i]).pop(); return `eval of step ${steps[i]}<br>${esc(name)}<br>top-1 <b>${fmt.pct(r.top1)}</b>`; },
          });
        });
        x = steps;
      }
      const domains = { accuracy: [0, 100], lr: [0, null], clips_per_second: [0, null] };
      KGEN.lineChart(body, { id: `curve-${run.key}-${curve.key}`, x, series, xTitle: "optimizer step", yTitle: curve.unit || curve.key,
        width: 580, height: 230, yDomain: domains[curve.key] || null });
    }
    if (run.evals.length) {
      card.appendChild(el("h4", { text: "Evaluations logged into this run (kgen eval of its checkpoints)" }));
      card.appendChild(el("div", { id: `evals-${run.key}` }, KGEN.table(["step", "list", "role", "bank", "top-1", "top-5", "mean class", "videos"],
        run.evals.map((e) => [e.step, listName(e.list || ""), e.role, e.bank_id ? fmt.trim(e.bank_id, 40) : "–", fmt.num(e.top1), fmt.num(e.top5), fmt.num(e.mean_class_accuracy), e.evaluated]),
        { numeric: [0, 4, 5, 6, 7] })));
    } else {
      card.appendChild(el("p", { class: "empty", text: "No evaluation logged into this run yet (kgen eval --checkpoint <this run> appends to its evals.jsonl)." }));
    }
  }

  const RENDER = { overview: renderOverview, knowledge: renderKnowledge, banks: renderBanks, map: renderMap, evaluation: renderEvaluation, training: renderTraining };
  window.addEventListener("DOMContentLoaded", start);
})();
