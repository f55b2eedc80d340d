/* rulesfacts report viewer: draws the inlined JSON (#rf-data) with plain <canvas>, no network.
   Python computes every number; this file only lays out panels and draws them. */
"use strict";

const DATA = JSON.parse(document.getElementById("rf-data").textContent);
const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function fmt(v, digits = 3) {
  if (v == null) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)) return v.toExponential(2);
  return String(+v.toPrecision(digits));
}

function panel(title, help, ...children) {
  return el("section", { class: "panel" }, el("h2", { text: title }), help ? el("p", { class: "help", text: help }) : null,
    ...children);
}

/* ---------- canvas charts ---------- */
function setup(canvas, w, h) {
  const r = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * r); canvas.height = Math.round(h * r);
  canvas.style.width = w + "px"; canvas.style.height = h + "px";
  const g = canvas.getContext("2d");
  g.setTransform(r, 0, 0, r, 0, 0);
  g.clearRect(0, 0, w, h);
  return g;
}

function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((s) => s * mag).find((s) => raw <= s) || 10 * mag;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toPrecision(12));
  return out;
}

function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const t = Math.pow(10, e);
    if (t >= lo * 0.999 && t <= hi * 1.001) out.push(t);
  }
  if (out.length < 2) for (const m of [2, 5]) for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const t = m * Math.pow(10, e);
    if (t >= lo && t <= hi) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

/* ---------- hover read-outs: one tooltip for the page ---------- */
let TIP = null;
function hoverable(canvas) {
  if (canvas._hoverBound) return;
  canvas._hoverBound = true;
  canvas.addEventListener("mousemove", (ev) => {
    if (!TIP) { TIP = el("div", { id: "tooltip", class: "tooltip" }); document.body.append(TIP); }
    const r = canvas.getBoundingClientRect(), sx = parseFloat(canvas.style.width) / r.width || 1;
    const text = canvas._hover ? canvas._hover((ev.clientX - r.left) * sx, (ev.clientY - r.top) * sx) : null;
    if (!text) { TIP.style.display = "none"; return; }
    TIP.textContent = text; TIP.style.display = "block";
    TIP.style.left = (ev.pageX + 14) + "px"; TIP.style.top = (ev.pageY + 12) + "px";
  });
  canvas.addEventListener("mouseleave", () => { if (TIP) TIP.style.display = "none"; });
}

/* opt: {w, h, series: [{x?, y, color, label, width, alpha, dash, points, noline}], x, xlog, ylog, ymin, ymax,
         xlabel, ylabel, vline, legend, bars, stacked, xfmt, padx (4 % room on each side of x)} */
function lineChart(canvas, opt) {
  const W = opt.w || 560, H = opt.h || 260, m = { l: 60, r: 18, t: 16, b: 36 };
  const g = setup(canvas, W, H);
  // the legend sits right of the plot, never over the data
  g.font = "11px system-ui, sans-serif";
  const items = opt.legend === false ? [] : opt.series.filter((s) => s.label);
  const lw = items.length ? Math.max(...items.map((s) => g.measureText(s.label).width)) + 26 : 0;
  if (items.length) m.r = lw + 16;
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const xs = [], ys = [];
  for (const s of opt.series) {
    const sx = s.x || opt.x;
    s.y.forEach((v, i) => {
      if (v == null || (opt.ylog && v <= 0) || (opt.xlog && sx[i] <= 0)) return;
      xs.push(sx[i]); ys.push(v);
    });
  }
  canvas._hover = null; hoverable(canvas);
  if (!xs.length) { g.fillStyle = "#999"; g.fillText("no data", W / 2 - 20, H / 2); return; }
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (opt.bars) {  // bars sit on their x values: pad the range by half a bin on each side
    const bx = opt.x, n = bx.length;
    x0 = bx[0]; x1 = bx[n - 1];
    if (opt.xlog) { const r = Math.pow(x1 / x0, 1 / (2 * Math.max(1, n - 1))); x0 /= r; x1 *= r; }
    else { const half = n > 1 ? (x1 - x0) / (2 * (n - 1)) : 0.5; x0 -= half; x1 += half; }
  }
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (opt.padx) { const dx = (x1 - x0) * 0.04; x0 -= dx; x1 += dx; }  // room for the dots at both ends
  let y0 = opt.ymin != null ? opt.ymin : Math.min(...ys), y1 = opt.ymax != null ? opt.ymax : Math.max(...ys);
  if (opt.stacked && opt.ymax == null) y1 = Math.max(...opt.x.map((_, i) => opt.series.reduce((a, s) => a + (s.y[i] || 0), 0)));
  if (opt.bars && opt.ymax == null) y1 *= 1.05;
  if (opt.pad && y1 > y0) { const d = (y1 - y0) * 0.08; y0 -= d; y1 += d; }
  if (y0 === y1) { y0 = opt.ylog ? y0 / 2 : y0 - 1; y1 = opt.ylog ? y1 * 2 : y1 + 1; }
  const tx = opt.xlog ? (v) => (Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0)) : (v) => (v - x0) / (x1 - x0);
  const ty = opt.ylog ? (v) => (Math.log(v) - Math.log(y0)) / (Math.log(y1) - Math.log(y0)) : (v) => (v - y0) / (y1 - y0);
  const X = (v) => m.l + tx(v) * pw, Y = (v) => m.t + (1 - ty(v)) * ph;
  canvas._box = { X, Y };
  g.font = "11px system-ui, sans-serif"; g.lineWidth = 1;
  g.strokeStyle = "#e6e6e6"; g.fillStyle = "#555";
  g.textAlign = "right"; g.textBaseline = "middle";
  for (const t of opt.ylog ? logTicks(y0, y1) : niceTicks(y0, y1, 4)) {
    g.beginPath(); g.moveTo(m.l, Y(t)); g.lineTo(m.l + pw, Y(t)); g.stroke();
    g.fillText(fmt(t), m.l - 4, Y(t));
  }
  g.textAlign = "center"; g.textBaseline = "top";
  for (const t of opt.xlog ? logTicks(x0, x1) : niceTicks(x0, x1, 6)) {
    if (opt.integerX && !Number.isInteger(t)) continue;
    g.beginPath(); g.moveTo(X(t), m.t); g.lineTo(X(t), m.t + ph); g.stroke();
    g.fillText(fmt(t), X(t), m.t + ph + 4);
  }
  g.strokeStyle = "#999"; g.strokeRect(m.l, m.t, pw, ph);
  if (opt.xlabel) g.fillText(opt.xlabel, m.l + pw / 2, H - 14);
  if (opt.ylabel) {
    g.save(); g.translate(12, m.t + ph / 2); g.rotate(-Math.PI / 2); g.textBaseline = "middle";
    g.fillText(opt.ylabel, 0, 0); g.restore();
  }
  g.save(); g.beginPath(); g.rect(m.l, m.t, pw, ph); g.clip();
  const bars = [];  // the drawn bars (series, bin, value, rectangle in CSS pixels): what tests read back
  canvas._bars = bars;
  if (opt.bars) {
    const nb = opt.series.filter((s) => !s.line).length, sx = opt.x, step = pw / Math.max(1, sx.length);
    const bw = Math.max(1, (step * 0.85) / (opt.stacked || opt.overlay ? 1 : nb)), base = sx.map(() => 0);
    opt.series.filter((s) => !s.line).forEach((s, j) => {
      g.fillStyle = s.color;
      s.y.forEach((v, i) => {
        if (v == null) return;
        const x = X(sx[i]) - step * 0.425 + (opt.stacked || opt.overlay ? 0 : j * bw);
        if (opt.stacked) { g.fillRect(x, Y(base[i] + v), bw, Y(base[i]) - Y(base[i] + v)); base[i] += v; return; }
        const top = Y(Math.min(v, y1)), bottom = Y(y0);
        g.fillRect(x, top, bw, Math.max(0, bottom - top));
        bars.push({ series: j, i, value: v, x, y: top, w: bw, h: Math.max(0, bottom - top) });
      });
    });
  }
  for (const s of opt.series) {
    if (opt.bars && !s.line) continue;
    const sx = s.x || opt.x;
    g.strokeStyle = s.color; g.globalAlpha = s.alpha == null ? 1 : s.alpha;
    g.lineWidth = s.width || 1.6; g.setLineDash(s.dash || []);
    if (!s.noline) {
      g.beginPath();
      let pen = false;
      s.y.forEach((v, i) => {
        if (v == null || (opt.ylog && v <= 0)) { pen = false; return; }
        if (pen) g.lineTo(X(sx[i]), Y(v)); else g.moveTo(X(sx[i]), Y(v));
        pen = true;
      });
      g.stroke();
    }
    if (s.points) {
      g.fillStyle = s.color;
      s.y.forEach((v, i) => { if (v != null) { g.beginPath(); g.arc(X(sx[i]), Y(v), s.radius || 2.2, 0, 7); g.fill(); } });
    }
  }
  g.globalAlpha = 1; g.setLineDash([]);
  g.restore();
  if (opt.vline != null) {  // drawn unclipped, with a triangle above the plot: visible at both ends
    const vx = Math.min(m.l + pw, Math.max(m.l, X(opt.vline)));
    g.strokeStyle = opt.vlineColor || "#555"; g.lineWidth = 1.5; g.setLineDash(opt.vlineDash || [4, 3]);
    g.beginPath(); g.moveTo(vx, m.t); g.lineTo(vx, m.t + ph); g.stroke(); g.setLineDash([]);
    if (!opt.vlineDash) {
      g.fillStyle = opt.vlineColor || "#555";
      g.beginPath(); g.moveTo(vx - 5, 2); g.lineTo(vx + 5, 2); g.lineTo(vx, m.t - 1); g.closePath(); g.fill();
    }
  }
  g.textAlign = "left"; g.textBaseline = "middle"; g.font = "11px system-ui, sans-serif";
  const lx = m.l + pw + 12;
  items.forEach((s, i) => {
    g.fillStyle = s.color; g.fillRect(lx, m.t + 8 + i * 15, 14, 3);
    g.fillStyle = "#333"; g.fillText(s.label, lx + 18, m.t + 10 + i * 15);
  });
  // hover: the values of every series at the nearest x
  canvas._hover = (px, py) => {
    if (px < m.l || px > m.l + pw || py < m.t || py > m.t + ph) return null;
    const lines = [];
    let bestX = null;
    for (const s of opt.series) {
      const sx = s.x || opt.x;
      let bi = -1, bd = Infinity;
      sx.forEach((xv, i) => { if (s.y[i] == null) return; const dd = Math.abs(X(xv) - px); if (dd < bd) { bd = dd; bi = i; } });
      if (bi < 0) continue;
      if (bestX == null) bestX = sx[bi];
      if (s.label || s.hoverLabel) lines.push(`${s.hoverLabel || s.label}: ${fmt(s.y[bi], 4)}`);
    }
    if (bestX == null) return null;
    const xl = opt.xlabel ? opt.xlabel.replace(/ \(.*\)$/, "") : "x";
    return `${xl} ${opt.xfmt ? opt.xfmt(bestX) : fmt(bestX, 4)}\n` + lines.join("\n");
  };
}

/* ---------- heatmaps ---------- */
const DIVERGING = [[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247], [253, 219, 199], [239, 138, 98],
  [178, 24, 43]];
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function ramp(stops, t) {
  t = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t)), f = t - i, a = stops[i], b = stops[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f));
}
const LUT = Array.from({ length: 256 }, (_, c) => ramp(DIVERGING, c / 255));
const SEQ_STOPS = [[255, 255, 255], [158, 202, 225], [49, 130, 189], [8, 48, 107]];
const SEQ_LUT = Array.from({ length: 256 }, (_, c) => ramp(SEQ_STOPS, c / 255));

const decoded = new Map();
function codes(q) {
  if (!decoded.has(q.b64)) {
    const s = atob(q.b64), a = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    decoded.set(q.b64, a);
  }
  return decoded.get(q.b64);
}
const bytes = (b64) => codes({ b64 });
/* a float16 matrix of report/encode.py: half → Float32Array, row-major */
const halves = new Map();
function f16(q) {
  if (!halves.has(q.f16)) {
    const b = bytes(q.f16), out = new Float32Array(b.length / 2);
    for (let i = 0; i < out.length; i++) {
      const h = b[2 * i] | (b[2 * i + 1] << 8), sg = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
      out[i] = e === 0 ? sg * m * Math.pow(2, -24) : e === 31 ? (m ? NaN : sg * Infinity) : sg * (1 + m / 1024) * Math.pow(2, e - 15);
    }
    halves.set(q.f16, out);
  }
  return halves.get(q.f16);
}
/* the cosine fits of a frame (task_views.neuron_fits): quantity q of weight vector j of neuron i */
const FIT_ROWS = { freq: 0, phase: 1, amp: 2, dc: 3, ipr: 4 };
const fit = (f, q, j, i) => f16(f.fits)[(3 * FIT_ROWS[q] + j) * f.fits.cols + i];
const fitIpr = (f, i) => f16(f.fits)[15 * f.fits.cols + i];
const norm = (f, which, i) => f16(f.norms)[(which === "in" ? 0 : 1) * f.norms.cols + i];
/* the value of code c of a quantized matrix (report/encode.py: dequantize) */
const weightOf = (q, c) => q.seq ? c / 255 : ((c - 127.5) / 127.5) * q.scale;

/* Colours saturate at the 99th percentile of |w|, so a few large weights do not wash out the rest:
   returns the lookup table and the saturating code distance s (|w| = s/127.5·scale). */
function robustLut(c) {
  const hist = new Uint32Array(128);
  for (let i = 0; i < c.length; i++) hist[Math.min(127, Math.floor(Math.abs(c[i] - 127.5)))]++;
  let acc = 0, s = 127.5;
  for (let k = 0; k < 128; k++) { acc += hist[k]; if (acc >= 0.99 * c.length) { s = Math.max(k + 1, 4); break; } }
  return { s, lut: Array.from({ length: 256 }, (_, v) => LUT[Math.round(Math.min(255, Math.max(0, 127.5 + ((v - 127.5) * 127.5) / s)))]) };
}

/* Draw matrices side by side, rows = neurons in ``order`` (a list of row indices, possibly a subset).
   Each matrix row gets a whole number of pixels and each column too (no resampling, so no moiré at
   N = 500); the canvas grows with the rows. opt: {labels, w, colTicks: [[col, text]...] per matrix,
   marks: [cols] per matrix, rowName(i) → text, colName(j, k) → text, onRow(i)}. Returns the layout. */
function heatmaps(canvas, mats, order, opt) {
  const rows = order ? order.length : mats[0].rows;
  const W = opt.w || 560, left = 40, top = opt.marks ? 26 : 16, bottom = 18, barW = 58, gap = 10;
  const total = mats.reduce((s, q) => s + q.cols, 0);
  const usable = W - left - barW - gap * (mats.length - 1);
  const colPx = Math.max(1, Math.floor(usable / total));
  const rowPx = Math.max(1, Math.floor((opt.height || 360) / Math.max(1, rows)));
  const ph = rows * rowPx, H = top + ph + bottom;
  const g = setup(canvas, W, H);
  let x = left;
  const blocks = [];
  g.font = "11px system-ui, sans-serif"; g.fillStyle = "#444"; g.textAlign = "center"; g.textBaseline = "top";
  let bar = null;
  mats.forEach((q, j) => {
    const c = codes(q);
    const rl = q.seq ? { lut: SEQ_LUT, s: 127.5 } : robustLut(c);
    if (j === 0) bar = { seq: !!q.seq, s: rl.s, scale: q.scale };
    const img = new ImageData(q.cols, Math.max(1, rows));
    for (let r = 0; r < rows; r++) {
      const src = (order ? order[r] : r) * q.cols;
      for (let k = 0; k < q.cols; k++) {
        const rgb = rl.lut[c[src + k]], o = (r * q.cols + k) * 4;
        img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
      }
    }
    const off = document.createElement("canvas");
    off.width = q.cols; off.height = Math.max(1, rows);
    off.getContext("2d").putImageData(img, 0, 0);
    const pw = q.cols * colPx;
    g.imageSmoothingEnabled = false;
    if (rows) g.drawImage(off, x, top, pw, ph);
    g.fillStyle = "#444"; g.textBaseline = "top";
    g.fillText(opt.labels[j], x + pw / 2, 1);
    g.textBaseline = "top"; g.fillStyle = "#555";
    const ticks = (opt.colTicks && opt.colTicks[j]) || [[0, "0"], [q.cols - 1, String(q.cols - 1)]];
    for (const [col, text] of ticks) {
      const cx = x + (col + 0.5) * colPx;
      g.fillRect(cx - 0.5, top + ph, 1, 3); g.fillText(text, cx, top + ph + 4);
    }
    if (opt.marks && opt.marks[j]) {
      g.fillStyle = "#c90";
      for (const col of opt.marks[j]) {
        const cx = x + (col + 0.5) * colPx;
        g.beginPath(); g.moveTo(cx - 4, top - 9); g.lineTo(cx + 4, top - 9); g.lineTo(cx, top - 2); g.closePath(); g.fill();
      }
    }
    blocks.push({ x, w: pw, q });
    x += pw + gap;
  });
  // row ticks: rank of the row in the shown order
  g.textAlign = "right"; g.textBaseline = "middle"; g.fillStyle = "#555";
  for (const t of niceTicks(0, Math.max(1, rows - 1), 5)) {
    if (t >= rows || !Number.isInteger(t)) continue;
    g.fillText(String(t), left - 4, top + (t + 0.5) * rowPx);
  }
  g.save(); g.translate(9, top + ph / 2); g.rotate(-Math.PI / 2); g.textAlign = "center";
  g.fillText(opt.rowAxis || "neuron (row)", 0, 0); g.restore();
  // colour bar
  const bx = W - barW + 8, bh = Math.max(40, Math.min(ph, 200));
  for (let i = 0; i < bh; i++) {
    const t = 1 - i / (bh - 1);
    const rgb = bar.seq ? ramp(SEQ_STOPS, t) : ramp(DIVERGING, t);
    g.fillStyle = `rgb(${rgb})`; g.fillRect(bx, top + i, 10, 1);
  }
  g.strokeStyle = "#999"; g.strokeRect(bx, top, 10, bh);
  g.fillStyle = "#555"; g.textAlign = "left"; g.textBaseline = "middle";
  const hi = bar.seq ? 1 : (bar.s / 127.5) * bar.scale;
  const lab = bar.seq ? ["1", "0.5", "0"] : [fmt(hi, 2), "0", fmt(-hi, 2)];
  lab.forEach((t, i) => g.fillText(t, bx + 13, top + (i * (bh - 1)) / 2));
  hoverable(canvas);
  canvas._hover = (px, py) => {
    const r = Math.floor((py - top) / rowPx);
    if (r < 0 || r >= rows) return null;
    const b = blocks.find((bk) => px >= bk.x && px < bk.x + bk.w);
    if (!b) return null;
    const col = Math.floor((px - b.x) / colPx), i = order ? order[r] : r;
    const v = weightOf(b.q, codes(b.q)[i * b.q.cols + col]);
    return `${opt.rowName ? opt.rowName(i) : "row " + i}\n${opt.colName ? opt.colName(col, mats.indexOf(b.q)) : "column " + col}\n` +
      `${opt.valueName || "w"} = ${fmt(v, 3)}`;
  };
  canvas.onclick = opt.onRow ? (ev) => {
    const rc = canvas.getBoundingClientRect(), sc = parseFloat(canvas.style.width) / rc.width || 1;
    const r = Math.floor(((ev.clientY - rc.top) * sc - top) / rowPx);
    if (r >= 0 && r < rows) opt.onRow(order ? order[r] : r);
  } : null;
  canvas.style.cursor = opt.onRow ? "pointer" : "";
  return { top, rowPx, rows, left };
}

/* ---------- page: run ---------- */
function statsLine(items) {
  return el("div", { class: "stats" }, ...items.map(([k, v]) => el("span", { class: "stat" }, k + " ", el("b", { text: fmt(v) }))));
}

function header(d, extra) {
  document.title = d.title;
  const h = el("header", {}, el("h1", { text: d.title }));
  if (d.config_line) h.append(el("div", { class: "sub", text: d.config_line }));
  if (extra) h.append(extra);
  return h;
}

function summaryLine(d) {
  const s = d.summary || {};
  const items = [["status", s.status], ["epochs", s.epochs], ["train acc", s.train_acc], ["clean acc", s.clean_acc]];
  if (d.config && d.config.fact_frac > 0) items.push(["facts memorized", s.facts_memorized], ["facts recovered", s.facts_recovered]);
  items.push(["test acc", s.test_acc], ["seconds", s.seconds]);
  return statsLine(items);
}

/* The panels of one run, drawn at a chosen snapshot. ``P`` prefixes every element id (compare page).
   Returns {epochs, show(i)}: the page's scrubber calls show with a frame index. */
function runView(d, root, P = "", narrow = false) {
  const id = (s) => P + s;
  const W = 560;
  const snaps = d.snapshots, frames = snaps ? snaps.frames : [];
  const view = snaps ? snaps.view : d.view;
  const fourier = snaps && snaps.fourier;
  const ids = snaps ? snaps.neuron_ids : [];
  const state = { i: 0, sort: fourier ? "final" : "index", pruneOrder: "low", spec: "rows", genOnly: false, neuron: null,
    star: fourier && snaps.star_freqs.length ? snaps.star_freqs[0] : null };
  const row = (...xs) => narrow ? el("div", {}, ...xs) : el("div", { class: "row" }, ...xs);

  const accC = el("canvas", { id: id("curves-acc") }), lossC = el("canvas", { id: id("curves-loss") });
  root.append(panel("Training curves", d.help.curves, row(accC, lossC)));
  const normC = el("canvas", { id: id("norms") });
  if (d.norms) root.append(panel("Weight norms", d.help.norms, normC));
  if (!frames.length) {
    root.append(el("p", { class: "note", text: "this run has no weight snapshots: only its curves are shown" }));
    if (d.prune) root.append(prunePanel());
    drawCurves(null);
    if (d.memscore) root.append(memscorePanel(d, id, W));
    return { epochs: [], show: () => {} };
  }

  // ---- weights heatmap + controls
  const heatC = el("canvas", { id: id("heatmap") });
  const sortSel = el("select", { id: id("sort"), onchange: (e) => { state.sort = e.target.value; draw(); } },
    ...(fourier ? [["final", "sort: final frequency"], ["step", "sort: frequency at this step"]] : [])
      .concat([["index", "sort: neuron index"]]).map(([v, t]) => el("option", { value: v, text: t })));
  const genBox = el("input", { type: "checkbox", id: id("gen-only"), onchange: (e) => { state.genOnly = e.target.checked; draw(); } });
  const heatControls = el("div", { class: "controls" }, sortSel,
    fourier ? el("label", {}, genBox, " generalizing neurons only (at this step)") : null);
  const heatNote = el("div", { class: "axis", id: id("heat-note") });
  const detail = el("div", { id: id("neuron-detail"), class: "neuron-detail" });
  const pick = el("select", { id: id("neuron-pick"), onchange: (e) => { state.neuron = +e.target.value; drawDetail(); } },
    ...ids.map((n, i) => el("option", { value: i, text: `neuron ${n}` })));
  const detailInfo = el("div", { class: "sub", id: id("neuron-info") });
  const detailC = [0, 1, 2].map((j) => el("canvas", { id: id("neuron-" + ["a", "b", "out"][j]) }));
  root.append(row(panel("Hidden-layer weights", d.help.heatmap, heatControls, heatC, heatNote),
    panel("Neuron detail", d.help.neuron || d.help.neurons, el("div", { class: "controls" }, el("span", { text: "neuron" }), pick),
      detailInfo, detail)));
  detailC.forEach((c) => detail.append(c));

  // ---- task panels
  const specC = el("canvas", { id: id("spectrum") }), iprC = el("canvas", { id: id("ipr") });
  const iprNote = el("div", { class: "legend", id: id("ipr-counts") });
  const specNote = el("div", { class: "axis", id: id("spectrum-note") });
  const starC = el("canvas", { id: id("star") }), starNote = el("div", { class: "sub", id: id("star-info") });
  const predC = el("canvas", { id: id("predictions") }), predNote = el("div", { class: "legend", id: id("pred-legend") });
  const bitsC = el("canvas", { id: id("bits") }), massC = el("canvas", { id: id("relevant-mass") });
  const statC = el("canvas", { id: id("neuron-stats") });
  if (fourier) {
    const specSel = el("select", { id: id("spectrum-which"), onchange: (e) => { state.spec = e.target.value; draw(); } },
      el("option", { value: "rows", text: "per neuron (from a)" }), el("option", { value: "all", text: "summed: all neurons" }),
      el("option", { value: "gen", text: "summed: generalizing neurons" }),
      el("option", { value: "counts", text: "generalizing neurons per frequency" }));
    const starSel = el("select", { id: id("star-k"), onchange: (e) => { state.star = +e.target.value; drawStar(); } },
      ...snaps.star_freqs.map((k) => el("option", { value: k, text: `k = ${k}` })));
    root.append(row(panel("Fourier spectrum of the weights", d.help.spectrum, el("div", { class: "controls" }, specSel), specC, specNote),
      panel("Star view: embeddings at one frequency", d.help.star,
        snaps.star_freqs.length ? el("div", { class: "controls" }, el("span", { text: "key frequency" }), starSel) :
          el("p", { class: "note", text: "no frequency has two or more neurons" }), starC, starNote)));
    root.append(row(panel("IPR per neuron: generalizing vs memorizing", d.help.ipr, iprC, iprNote), prunePanel()));
  }
  if (snaps.predictions) root.append(panel("Predictions on every pair (a, b)", d.help.predictions, predC, predNote));
  if (view === "parity" && frames[0].bit_share) {
    root.append(row(panel("First layer per input bit", d.help.bits, bitsC), panel("Mass on the relevant bits", d.help.mass, massC)));
  }
  const factsC = el("canvas", { id: id("neuron-facts") }), factsNote = el("div", { class: "sub", id: id("neuron-facts-note") });
  const dense = snaps.dense;
  if (!fourier && dense) {
    root.append(row(panel("Per-neuron statistics", d.help.neurons, statC),
      panel("Fact neurons: selectivity and alignment", d.help.facts, dense.note ? el("p", { class: "note", text: dense.note }) : null, factsC, factsNote)));
  } else if (!fourier) root.append(panel("Per-neuron statistics", d.help.neurons, statC));

  // ---- drawing
  const part = ["from a", "from b", "to outputs"];
  function splitCols(q, start, n) {
    // a column block of a quantized matrix as its own matrix (cached by key)
    const key = q.b64.length + ":" + start + ":" + n + ":" + q.b64.slice(0, 32) + q.b64.slice(-32);
    if (!splitCols.cache) splitCols.cache = new Map();
    if (splitCols.cache.has(key)) return splitCols.cache.get(key);
    const c = codes(q), out = new Uint8Array(q.rows * n);
    for (let r = 0; r < q.rows; r++) out.set(c.subarray(r * q.cols + start, r * q.cols + start + n), r * n);
    const m = { rows: q.rows, cols: n, b64: key, scale: q.scale, seq: q.seq };
    decoded.set(key, out);
    splitCols.cache.set(key, m);
    return m;
  }
  function mats(f) {
    return fourier ? [splitCols(f.W_in, 0, snaps.p), splitCols(f.W_in, snaps.p, snaps.p), f.W_out] : [f.W_in, f.W_out];
  }
  function rowOrder(f) {
    let order = state.sort === "final" ? snaps.final_order : state.sort === "step" ? f.order : ids.map((_, i) => i);
    if (fourier && state.genOnly) order = order.filter((i) => f.generalizing[i]);
    return order;
  }
  function rowName(f) {
    return (i) => {
      let t = `neuron ${ids[i]}`;
      if (fourier) t += ` · f=${fit(f, "freq", 0, i)} · IPR ${fmt(fitIpr(f, i), 3)} · ${f.generalizing[i] ? "generalizing" : "memorizing"}`;
      return t;
    };
  }
  function drawHeat(f) {
    const order = rowOrder(f), ms = mats(f);
    const pq = (n) => [[0, "0"], [Math.floor(n / 2), String(Math.floor(n / 2))], [n - 1, String(n - 1)]];
    let opt;
    if (fourier) {
      opt = { labels: part, colTicks: [pq(snaps.p), pq(snaps.p), pq(snaps.p)],
        colName: (c, j) => `${part[j]}: ${j === 2 ? "output" : "token"} ${c}` };
    } else if (view === "parity") {
      const n = ms[0].cols, step = n <= 32 ? 1 : Math.ceil(n / 16);
      const ticks = []; for (let c = 0; c < n; c += step) ticks.push([c, String(c)]);
      opt = { labels: ["W_in: input bits (▼ relevant)", "W_outᵀ"], colTicks: [ticks, pq(ms[1].cols)],
        marks: [snaps.parity.subset, []], colName: (c, j) => j === 0 ? `input bit ${c}${snaps.parity.subset.includes(c) ? " (relevant)" : ""}` : `output ${c}` };
    } else {
      opt = { labels: ["W_in: input features", "W_outᵀ"], colTicks: [pq(ms[0].cols), pq(ms[1].cols)],
        colName: (c, j) => j === 0 ? `input feature ${c}` : `output ${c}` };
    }
    heatmaps(heatC, ms, order, { ...opt, w: W, rowName: rowName(f), onRow: (i) => { state.neuron = i; pick.value = i; drawDetail(); } });
    heatNote.textContent = `${order.length} of ${snaps.width} neurons shown` + (snaps.neurons < snaps.width ? ` (the ${snaps.neurons} with the largest final weights)` : "") +
      "; colours saturate at the 99th percentile of |w| of each matrix; hover for values, click a row for its neuron";
  }
  function drawDetail() {
    const f = frames[state.i];
    if (state.neuron == null) {
      const first = rowOrder(f)[0];
      state.neuron = first == null ? 0 : first; pick.value = state.neuron;
    }
    const i = state.neuron, ms = mats(f);
    detail.dataset.neuron = ids[i];
    const series = [];
    ms.forEach((q, j) => {
      const c = codes(q), n = q.cols;
      const ys = Array.from({ length: n }, (_, k) => weightOf(q, c[i * n + k])), xs = ys.map((_, k) => k);
      const s = [{ y: ys, x: xs, color: fourier ? d.part_colors[j] : "#333", label: "weight", points: true, noline: fourier, radius: 2.6 }];
      let fitInfo = null;
      if (fourier) {
        const fr = fit(f, "freq", j, i), ph = fit(f, "phase", j, i), A = fit(f, "amp", j, i), dc = fit(f, "dc", j, i);
        const fx = [], fy = [];
        for (let t = 0; t <= (n - 1) * 8; t++) { const u = t / 8; fx.push(u); fy.push(dc + A * Math.cos((2 * Math.PI * fr * u) / n + ph)); }
        s.push({ x: fx, y: fy, color: "#000", width: 1, alpha: 0.6, label: `cosine f=${fr}` });
        fitInfo = { freq: fr, phase: ph, amp: A, dc, ipr: fit(f, "ipr", j, i) };
        detailC[j].dataset.freq = fr;
      }
      series.push({ weights: ys, fit: fitInfo });
      const lab = fourier ? part[j] + (j === 2 ? " (output c)" : " (token n)") : j === 0 ? (view === "parity" ? "input bit" : "input feature") : "output";
      lineChart(detailC[j], { w: W, h: narrow ? 150 : 140, series: s, xlabel: lab, ylabel: "weight", integerX: true, pad: true,
        legend: fourier ? undefined : false });
      detailC[j].style.display = "";
    });
    if (!fourier) detailC[2].style.display = "none";
    detail.dataset.series = JSON.stringify(series);
    if (fourier) {
      const pieces = part.map((p, j) => `${p}: f=${fit(f, "freq", j, i)} φ=${fmt(fit(f, "phase", j, i), 3)} A=${fmt(fit(f, "amp", j, i), 3)} IPR ${fmt(fit(f, "ipr", j, i), 3)}`);
      detailInfo.textContent = `neuron ${ids[i]} at epoch ${f.epoch} · ${f.generalizing[i] ? "generalizing" : "memorizing"} (combined IPR ${fmt(fitIpr(f, i), 3)})\n` + pieces.join("\n");
    } else {
      detailInfo.textContent = `neuron ${ids[i]} at epoch ${f.epoch} · ‖w_in‖ = ${fmt(norm(f, "in", i), 3)} · ‖w_out‖ = ${fmt(norm(f, "out", i), 3)}` +
        (f.neuron_stats ? (f.n_fact_neurons != null ? ` · fact selectivity ${fmt(stat(f, 1, i), 3)}${f.fact_neuron[i] ? " (fact neuron)" : ""}` : "") +
          (dense.rule ? ` · alignment ${fmt(stat(f, 0, i), 3)}` : "") : "");
    }
  }
  function drawSpectrum(f) {
    const order = rowOrder(f);
    specNote.textContent = "";
    if (state.spec === "rows") {
      heatmaps(specC, [f.spectrum_rows], order, { w: W, labels: ["|FFT| of the weights from a (normalised per neuron)"],
        colTicks: [[[0, "0"], [f.spectrum_rows.cols - 1, String(f.spectrum_rows.cols - 1)]]], rowName: rowName(f),
        colName: (c) => `frequency k = ${c}`, valueName: "|X_k| / ‖X‖" });
      return;
    }
    const ks = f.spectrum[0].map((_, k) => k);
    if (state.spec === "counts") {
      lineChart(specC, { w: W, h: 300, x: ks, bars: true, ymin: 0, xlabel: "dominant frequency k (from a)", ylabel: "generalizing neurons",
        series: [{ y: f.freq_counts, color: d.class_colors.generalizing, label: "generalizing neurons" }] });
      const used = f.freq_counts.filter((c) => c > 0).length;
      specNote.textContent = `${f.n_generalizing} generalizing neurons on ${used} frequencies; ${f.n_memorizing} memorizing neurons`;
      return;
    }
    const spec = state.spec === "gen" ? f.spectrum_gen : f.spectrum;
    if (!spec) {
      const g = setup(specC, W, 300); specC._hover = null;
      g.fillStyle = "#888"; g.font = "13px system-ui, sans-serif"; g.fillText("no generalizing neuron at this step", 160, 150);
      return;
    }
    const base = f.spectrum_shuffled[0].map((_, k) => (f.spectrum_shuffled[0][k] + f.spectrum_shuffled[1][k] + f.spectrum_shuffled[2][k]) / 3);
    lineChart(specC, { w: W, h: 300, x: ks, bars: true, ymin: 0, xlabel: "frequency k", ylabel: "fraction of power",
      series: d.part_colors.map((c, j) => ({ y: spec[j], color: c, label: part[j] }))
        .concat([{ y: base, color: "#000", label: "shuffled order", line: true, width: 1.2, dash: [3, 2] }]) });
    const top = Math.max(...spec[0].slice(1)), bmax = Math.max(...base.slice(1));
    specNote.textContent = `largest bar (from a) ${fmt(top, 3)} vs ${fmt(bmax, 3)} for the same weights in shuffled token order`;
  }
  function drawIpr(f) {
    const e = snaps.ipr_edges, mids = e.slice(0, -1).map((v, i) => Math.sqrt(v * e[i + 1]));
    const t = snaps.ipr_threshold;
    lineChart(iprC, { w: W, h: 240, x: mids, bars: true, stacked: true, xlog: true, ymin: 0,
      xlabel: "IPR (log scale; 1 = pure cosine)", ylabel: "neurons", vline: t, vlineColor: "#000", vlineDash: [5, 3],
      series: [{ y: f.ipr_hist.memorizing, color: d.class_colors.memorizing, label: "memorizing" },
        { y: f.ipr_hist.generalizing, color: d.class_colors.generalizing, label: "generalizing" }] });
    iprNote.textContent = `threshold IPR = ${fmt(t)}: ${f.n_generalizing} generalizing, ${f.n_memorizing} memorizing neurons`;
  }
  function drawStar() {
    const f = frames[state.i];
    if (state.star == null) return;
    const s = f.star[String(state.star)], p = s.x.length;
    const S = narrow ? 300 : 320, g = setup(starC, S, S), c = S / 2;
    const R = Math.max(1.2, ...s.x.map((x, n) => Math.hypot(x, s.y[n]))) * 1.08, sc = (S / 2 - 14) / R;
    g.strokeStyle = "#ddd"; g.beginPath(); g.arc(c, c, sc, 0, 7); g.stroke();  // the unit circle
    g.beginPath(); g.moveTo(c, 6); g.lineTo(c, S - 6); g.moveTo(6, c); g.lineTo(S - 6, c); g.stroke();
    g.strokeStyle = "#999"; g.lineWidth = 1; g.beginPath();
    s.x.forEach((x, n) => { const X = c + x * sc, Y = c - s.y[n] * sc; if (n) g.lineTo(X, Y); else g.moveTo(X, Y); });
    g.closePath(); g.stroke();
    g.font = "10px system-ui, sans-serif"; g.textAlign = "center"; g.textBaseline = "middle";
    s.x.forEach((x, n) => {
      const X = c + x * sc, Y = c - s.y[n] * sc;
      g.fillStyle = `rgb(${ramp(VIRIDIS, n / Math.max(1, p - 1))})`;
      g.beginPath(); g.arc(X, Y, 4, 0, 7); g.fill();
      if (p <= 41) { g.fillStyle = "#333"; g.fillText(String(n), X + 8, Y - 7); }
    });
    g.fillStyle = "#666"; g.textAlign = "left"; g.fillText("cos", S - 24, c - 8); g.fillText("sin", c + 4, 10);
    starC.dataset.points = JSON.stringify([s.x, s.y]);
    starC.dataset.cv = s.cv;
    const sn = snaps.star_neurons[String(state.star)];
    starNote.textContent = `k = ${state.star}, epoch ${f.epoch}: the ${sn.n} ${sn.generalizing ? "generalizing " : ""}neurons with final frequency k; radius spread (CV) ${fmt(s.cv, 3)}` +
      ` (same weights in shuffled token order: ${fmt(s.cv_shuffled, 3)}). Grey circle: radius 1.`;
    hoverable(starC);
    starC._hover = (px, py) => {
      let best = -1, bd = 64;
      s.x.forEach((x, n) => { const dd = (c + x * sc - px) ** 2 + (c - s.y[n] * sc - py) ** 2; if (dd < bd) { bd = dd; best = n; } });
      return best < 0 ? null : `token ${best}: (${fmt(s.x[best], 3)}, ${fmt(s.y[best], 3)}), radius ${fmt(Math.hypot(s.x[best], s.y[best]), 3)}`;
    };
  }
  function drawPredictions(f) {
    const P = snaps.predictions, p = P.p, cell = Math.max(2, Math.floor((narrow ? 300 : 360) / p));
    const sub = bytes(P.subset), rule = bytes(P.rule), lab = bytes(P.label), pred = bytes(P.pred[state.i]);
    const left = 28, top = 16, S = p * cell;
    const g = setup(predC, Math.max(W, left + S + 10), top + S + 22);
    const hue = [null, d.subset_colors.clean, d.subset_colors.fact, d.subset_colors.test];
    const names = [null, "train (clean)", "train (fact)", "test"];
    const mix = (hex, t) => { const v = [1, 3, 5].map((o) => parseInt(hex.slice(o, o + 2), 16)); return `rgb(${v.map((x) => Math.round(255 - (255 - x) * t))})`; };
    const counts = {};
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      const k = a * p + b, s = sub[k];
      if (!s) { g.fillStyle = "#eee"; g.fillRect(left + b * cell, top + a * cell, cell, cell); continue; }
      const out = pred[k] === rule[k] ? "rule" : pred[k] === lab[k] ? "fact" : "neither";
      const key = names[s] + ": " + out; counts[key] = (counts[key] || 0) + 1;
      g.fillStyle = mix(hue[s], out === "rule" ? 1 : out === "fact" ? 0.5 : 0.12);
      g.fillRect(left + b * cell, top + a * cell, cell, cell);
    }
    g.font = "11px system-ui, sans-serif"; g.fillStyle = "#555"; g.textAlign = "center"; g.textBaseline = "top";
    for (const t of niceTicks(0, p - 1, 4)) if (Number.isInteger(t)) g.fillText(String(t), left + (t + 0.5) * cell, top + S + 3);
    g.fillText("b →", left + S / 2, 1);
    g.textAlign = "right"; g.textBaseline = "middle";
    for (const t of niceTicks(0, p - 1, 4)) if (Number.isInteger(t)) g.fillText(String(t), left - 4, top + (t + 0.5) * cell);
    g.fillText("a", left - 14, top - 6);
    predNote.innerHTML = "";
    for (const s of [1, 2, 3]) for (const [out, t] of [["rule", 1], ["fact", 0.5], ["neither", 0.12]]) {
      if (s !== 2 && out === "fact") continue;
      const key = names[s] + ": " + out;
      predNote.append(el("span", { "data-key": key }, el("span", { class: "sw", style: `background:${mix(hue[s], t)}` }),
        `${names[s]}, ${out === "rule" ? "rule's answer" : out === "fact" ? "fact's label" : "neither"}: ${counts[key] || 0}`));
    }
    hoverable(predC);
    predC._hover = (px, py) => {
      const b = Math.floor((px - left) / cell), a = Math.floor((py - top) / cell);
      if (a < 0 || b < 0 || a >= p || b >= p) return null;
      const k = a * p + b;
      if (!sub[k]) return `a=${a}, b=${b}: undefined`;
      return `a=${a}, b=${b} · ${names[sub[k]]}\nrule: ${rule[k]}${sub[k] === 2 ? ` · trained label: ${lab[k]}` : ""}\nnet: ${pred[k]}`;
    };
  }
  function drawParity(f) {
    const n = f.bit_share.length, sub = new Set(snaps.parity.subset), xs = Array.from({ length: n }, (_, i) => i);
    lineChart(bitsC, { w: W, h: 240, x: xs, bars: true, overlay: true, ymin: 0, xlabel: "input bit", ylabel: "share of Σ|W_in|", integerX: true,
      series: [{ y: f.bit_share.map((v, i) => sub.has(i) ? null : v), color: "#999", label: "other bits" },
        { y: f.bit_share.map((v, i) => sub.has(i) ? v : null), color: "#d4a017", label: "relevant bits" },
        { y: xs.map(() => 1 / n), color: "#000", label: "chance 1/n", line: true, dash: [3, 2], width: 1 }] });
    const ep = frames.map((fr) => fr.epoch);
    lineChart(massC, { w: W, h: 240, x: ep, ymin: 0, ymax: 1, xlabel: "epoch", ylabel: "fraction", vline: f.epoch,
      series: [{ y: frames.map((fr) => fr.relevant_mass), color: "#d4a017", label: "mass on relevant bits", points: true },
        { y: frames.map((fr) => fr.sparsity), color: "#555", label: "Hoyer sparsity", points: true },
        { y: ep.map(() => snaps.parity.chance), color: "#000", label: "chance k/n", dash: [3, 2], width: 1 }] });
  }
  function drawStats(f) {
    const idx = Array.from({ length: f.norms.cols }, (_, i) => i).sort((a, b) => norm(f, "in", b) - norm(f, "in", a));
    const xs = idx.map((_, r) => r);
    lineChart(statC, { w: W, h: 240, x: xs, ymin: 0, xlabel: "neuron rank (by ‖w_in‖)", ylabel: "norm",
      series: [{ y: idx.map((i) => norm(f, "in", i)), color: d.part_colors[0], label: "‖w_in‖" },
        { y: idx.map((i) => norm(f, "out", i)), color: d.part_colors[2], label: "‖w_out‖" }] });
  }
  /* task_views.dense_frame: rows alignment, fact selectivity, fact share, scale of each shown neuron */
  const stat = (f, row, i) => f16(f.neuron_stats)[row * f.neuron_stats.cols + i];
  function drawFacts(f) {
    // without facts there is no selectivity: the dots then show the neurons' size against their alignment
    const n = f.neuron_stats.cols, rule = dense.rule, all = Array.from({ length: n }, (_, i) => i), facts = f.n_fact_neurons != null;
    const xOf = (i) => rule ? Math.abs(stat(f, 0, i)) : facts ? stat(f, 3, i) : norm(f, "in", i);
    const yOf = (i) => facts ? stat(f, 1, i) : stat(f, 3, i);
    const pts = (flag) => all.filter((i) => f.fact_neuron[i] === flag);
    const xs = all.map(xOf), lo = Math.min(...xs), hi = Math.max(...xs);
    const series = [[0, d.subset_colors.clean, "other neurons"], [1, d.subset_colors.fact, "fact neurons"]].map(([flag, color, label]) => {
      const ix = pts(flag);
      return { x: ix.map(xOf), y: ix.map(yOf), color, label: `${label} (${ix.length})`, points: true, noline: true, radius: 3 };
    });
    if (f.fact_threshold != null) series.push({ x: [lo, hi], y: [f.fact_threshold, f.fact_threshold], color: "#000", label: "threshold", dash: [5, 3], width: 1 });
    const ys = all.map(yOf), ylo = facts ? -1.05 : 0, yhi = facts ? 1.05 : Math.max(...ys) * 1.05 || 1;
    if (rule && dense.chance != null) series.push({ x: [dense.chance, dense.chance], y: [ylo, yhi], color: "#888", label: "random direction", dash: [2, 2], width: 1 });
    lineChart(factsC, { w: W, h: 260, ymin: ylo, ymax: yhi, padx: true, series, legend: true,
      xlabel: rule ? dense.rule_axis : facts ? "‖w_in‖·‖w_out‖" : "‖w_in‖",
      ylabel: facts ? "fact selectivity" : "‖w_in‖·‖w_out‖" });
    factsC._hover = (px, py) => {  // the nearest neuron's numbers
      const r = factsC.getBoundingClientRect(), box = factsC._box;
      if (!box) return null;
      let best = -1, bd = 100;
      all.forEach((i) => { const dx = box.X(xOf(i)) - px, dy = box.Y(yOf(i)) - py; if (dx * dx + dy * dy < bd) { bd = dx * dx + dy * dy; best = i; } });
      if (best < 0 || !r) return null;
      return `neuron ${ids[best]}${f.fact_neuron[best] ? " · fact neuron" : ""}` + (facts ? `\nfact selectivity ${fmt(stat(f, 1, best), 3)} · share of activity on facts ${fmt(stat(f, 2, best), 3)}` : "") +
        (rule ? `\nalignment ${fmt(stat(f, 0, best), 3)}` : "") + `\n‖w_in‖·‖w_out‖ ${fmt(stat(f, 3, best), 3)}`;
    };
    factsC.dataset.points = JSON.stringify(all.map((i) => [ids[i], xOf(i), yOf(i), f.fact_neuron[i]]));
    factsNote.textContent = !facts ? "no facts in this run, so no fact selectivity: the dots show each neuron's size ‖w_in‖·‖w_out‖" +
      (rule ? " against its alignment with the rule" : " against ‖w_in‖") :
      `epoch ${f.epoch}: ${f.n_fact_neurons} of ${snaps.width} neurons are fact neurons (selectivity above ${fmt(f.fact_threshold, 3)}; ` +
      `about ${fmt(f.expected_by_chance, 2)} pass by chance), read on ${dense.n_examples} of the ${dense.n_train} training examples (${dense.n_facts} facts)` +
      (rule && dense.chance != null ? `; a random direction has alignment ${fmt(dense.chance, 3)}` : "");
  }
  function drawCurves(epoch) {
    const c = d.curves;
    lineChart(accC, { w: W, h: 260, x: c.epoch, ymin: 0, ymax: 1, xlabel: "epoch", ylabel: "accuracy", vline: epoch,
      series: c.acc.map((s) => ({ y: s.y, color: s.color, label: s.label })) });
    lineChart(lossC, { w: W, h: 260, x: c.epoch, ylog: true, xlabel: "epoch", ylabel: "loss (log)", vline: epoch,
      series: c.loss.map((s) => ({ y: s.y, color: s.color, label: s.label })) });
    if (d.norms) lineChart(normC, { w: W, h: 220, x: d.norms.epoch, ylog: true, xlabel: "epoch", ylabel: "squared norm (log)", vline: epoch,
      series: d.norms.series.map((s, j) => ({ y: s.y, color: d.part_colors[j === 0 ? 0 : 2], label: s.key })) });
  }
  function prunePanel() {
    const c = el("canvas", { id: id("prune") });
    if (!d.prune) return panel("Pruning curve of the final model", d.help.prune,
      el("p", { class: "note", text: "not available for this run (needs a modular-arithmetic MLP with final weights)" }));
    const orders = Object.keys(d.prune.curves);
    const btns = orders.map((o) => el("button", { class: o === state.pruneOrder ? "on" : "", "data-order": o,
      text: o === "low" ? "lowest IPR first" : "highest IPR first", onclick: () => {
        state.pruneOrder = o; btns.forEach((b) => b.classList.toggle("on", b.dataset.order === o)); drawPrune();
      } }));
    function drawPrune() {
      const cur = d.prune.curves[state.pruneOrder] || d.prune.curves[orders[0]];
      lineChart(c, { w: W, h: 240, x: cur.n_pruned, ymin: 0, ymax: 1, xlabel: `neurons pruned (of ${d.prune.width})`,
        ylabel: "accuracy", series: cur.series.map((s) => ({ y: s.y, color: s.color, label: s.label, points: true })) });
    }
    setTimeout(drawPrune, 0);
    return panel("Pruning curve of the final model", d.help.prune, el("div", { class: "controls" }, ...btns), c);
  }
  function draw() {
    const f = frames[state.i];
    drawCurves(f.epoch);
    drawHeat(f);
    drawDetail();
    if (fourier) { drawSpectrum(f); drawIpr(f); drawStar(); }
    if (snaps.predictions) drawPredictions(f);
    if (view === "parity" && f.bit_share) drawParity(f);
    if (!fourier) drawStats(f);
    if (dense && f.neuron_stats) drawFacts(f);
  }
  if (d.memscore) root.append(memscorePanel(d, id, W));
  return { epochs: frames.map((f) => f.epoch), start: snaps.start || 0, show: (i) => { state.i = i; draw(); } };
}

/* ---------- the memorization scores of a run's training examples (report/memscore_section.py) ---------- */
function memscorePanel(d, id, W) {
  const m = d.memscore, h = m.histogram, cf = d.subset_colors;
  const centers = h.edges.slice(0, -1).map((e, i) => (e + h.edges[i + 1]) / 2);
  const base = m.n_train ? m.n_facts / m.n_train : null;
  const stats = statsLine([["ROC AUC", m.roc_auc], ["precision at facts", m.precision_at_facts], ["base rate", base],
    ["facts", m.n_facts], ["examples", m.n_train], ["networks", m.members], ["keep", m.keep], ["seconds", m.seconds],
    ["× one run", m.cost_vs_single]]);
  stats.id = id("memscore-stats");
  const said = el("div", { class: "sentences", id: id("memscore-sentences") }, ...m.sentences.map((t) => el("p", { text: t })));
  const histC = el("canvas", { id: id("memscore-hist") });
  let log = false;
  const scaleBtn = el("button", { id: id("memscore-log"), text: "log scale", onclick: () => {
    log = !log; scaleBtn.classList.toggle("on", log); drawHist();
  } });
  function drawHist() {
    lineChart(histC, { w: W, h: 240, x: centers, bars: true, ylog: log, ymin: log ? 0.5 : 0, xlabel: "memorization score",
      ylabel: log ? "examples (log)" : "examples",
      series: [{ y: h.clean.map((v) => log && !v ? null : v), color: cf.clean, label: "clean examples" },
        { y: h.facts.map((v) => log && !v ? null : v), color: cf.fact, label: "facts" }],
      xfmt: (x) => { const i = centers.indexOf(x); return i < 0 ? fmt(x) : `${fmt(h.edges[i])} to ${fmt(h.edges[i + 1])}`; } });
  }
  drawHist();
  const parts = [stats, said, el("div", { class: "controls" }, scaleBtn), histC];
  if (m.examples_note) parts.push(el("p", { class: "note", id: id("memscore-note"), text: m.examples_note }));
  if (m.top) parts.push(el("h3", { text: `the ${m.top.length} top-scored training examples` }), memscoreExamples(m, d, id));
  return el("section", { class: "panel", id: id("memscore") }, el("h2", { text: "Memorization scores: which examples are memorized" }),
    el("p", { class: "help", text: m.help }), ...parts);
}

function exampleText(t) {
  return `example ${t.index}: ${t.is_fact ? "fact" : "clean"}\nscore ${fmt(t.score)} ± ${fmt(t.se)}\n` +
    `trained label ${t.label} · rule's label ${t.true_label}`;
}

function memscoreExamples(m, d, id) {
  const factColor = d.subset_colors.fact;
  if (m.examples_kind === "cells") {
    const P = m.cells, p = P.p, cell = Math.max(2, Math.floor(360 / p)), left = 28, top = 16, S = p * cell;
    const sub = bytes(P.subset), lab = bytes(P.label), rule = bytes(P.rule), score = f16(P.score);
    const c = el("canvas", { id: id("memscore-cells") });
    const g = setup(c, left + S + 70, top + S + 22);
    const rank = new Map(m.top.map((t, r) => [t.a * p + t.b, r]));
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      const k = a * p + b, s = sub[k];
      g.fillStyle = !s ? "#eee" : s > 2 ? "#bbb" : `rgb(${ramp(DIVERGING, (score[k] + 1) / 2)})`;
      g.fillRect(left + b * cell, top + a * cell, cell, cell);
      if ((s === 2 || s === 4) && cell >= 3) { g.fillStyle = "#000"; g.fillRect(left + b * cell + cell / 2 - 0.75, top + a * cell + cell / 2 - 0.75, 1.5, 1.5); }
    }
    g.strokeStyle = "#0a0"; g.lineWidth = 1.5;
    for (const t of m.top) g.strokeRect(left + t.b * cell + 0.5, top + t.a * cell + 0.5, cell - 1, cell - 1);
    g.font = "11px system-ui, sans-serif"; g.fillStyle = "#555"; g.textAlign = "center"; g.textBaseline = "top";
    g.fillText("b →", left + S / 2, 1);
    for (const t of niceTicks(0, p - 1, 4)) if (Number.isInteger(t)) g.fillText(String(t), left + (t + 0.5) * cell, top + S + 3);
    g.textAlign = "right"; g.textBaseline = "middle";
    for (const t of niceTicks(0, p - 1, 4)) if (Number.isInteger(t)) g.fillText(String(t), left - 4, top + (t + 0.5) * cell);
    g.fillText("a", left - 14, top - 6);
    const bx = left + S + 14, bh = Math.min(S, 200);  // colour bar of the score, −1 … 1
    for (let i = 0; i < bh; i++) { g.fillStyle = `rgb(${ramp(DIVERGING, 1 - i / (bh - 1))})`; g.fillRect(bx, top + i, 10, 1); }
    g.textAlign = "left"; g.fillStyle = "#555";
    ["1", "0", "−1"].forEach((t, i) => g.fillText(t, bx + 13, top + (i * (bh - 1)) / 2));
    hoverable(c);
    c._hover = (px, py) => {
      const b = Math.floor((px - left) / cell), a = Math.floor((py - top) / cell);
      if (a < 0 || b < 0 || a >= p || b >= p) return null;
      const k = a * p + b, s = sub[k];
      if (!s) return `a=${a}, b=${b}: not a training pair`;
      const r = rank.get(k);
      return `a=${a}, b=${b} · ${s === 2 || s === 4 ? "fact" : "clean"}\n` + (s > 2 ? "no score" : `score ${fmt(score[k])}`) +
        (r != null ? ` (rank ${r + 1})` : "") + `\ntrained label ${lab[k]} · rule's label ${rule[k]}`;
    };
    return el("div", {}, c, el("div", { class: "legend" }, el("span", { text: "colour: score (blue −1, white 0, red 1); grey: no score; dot: a fact; green frame: a top-scored pair; hover a cell for its numbers" })));
  }
  if (m.examples_kind === "pictures" || m.examples_kind === "curves") {
    const shape = m.picture_shape, wrap = el("div", { class: "examples", id: id("memscore-examples") });
    for (const t of m.top) {
      const c = el("canvas", { class: "example-pic", "data-index": t.index, "data-score": t.score, title: exampleText(t) });
      if (m.examples_kind === "curves") {
        const W = 96, H = 64, g = setup(c, W, H), ys = t.curve, lo = Math.min(...ys), hi = Math.max(...ys);
        g.strokeStyle = "#222"; g.lineWidth = 1.2; g.beginPath();
        ys.forEach((v, i) => { const x = 3 + (i * (W - 6)) / (ys.length - 1), y = H - 3 - ((v - lo) / (hi - lo || 1)) * (H - 6); if (i) g.lineTo(x, y); else g.moveTo(x, y); });
        g.stroke();
      } else {
        const [hh, ww] = shape, rgb = shape.length === 3, px = bytes(t.pixels), img = new ImageData(ww, hh);
        for (let k = 0; k < hh * ww; k++) for (let ch = 0; ch < 4; ch++) img.data[4 * k + ch] = ch === 3 ? 255 : px[rgb ? 3 * k + ch : k];
        const off = document.createElement("canvas"); off.width = ww; off.height = hh; off.getContext("2d").putImageData(img, 0, 0);
        const z = Math.max(1, Math.floor(72 / Math.max(hh, ww))), g = setup(c, ww * z, hh * z);
        g.imageSmoothingEnabled = false; g.drawImage(off, 0, 0, ww * z, hh * z);
      }
      c.style.border = t.is_fact ? `3px solid ${factColor}` : "1px solid #bbb";
      wrap.append(el("figure", { class: "example" + (t.is_fact ? " fact" : "") }, c,
        el("figcaption", { text: `#${t.index} s=${fmt(t.score, 2)}\ny=${t.label} (true ${t.true_label})` })));
    }
    return el("div", {}, wrap, el("div", { class: "legend" }, el("span", { text: "thick frame: a fact; hover an example for its numbers" })));
  }
  const rows = m.top.map((t, r) => el("tr", { class: t.is_fact ? "fact" : "" }, ...[r + 1, t.index, fmt(t.score), fmt(t.se), t.label, t.true_label,
    t.is_fact ? "fact" : "clean"].map((v) => el("td", { text: String(v) }))));
  return el("table", { class: "examples-table", id: id("memscore-table") }, el("tr", {}, ...["rank", "example", "score", "± se",
    "trained label", "rule's label", "subset"].map((v) => el("th", { text: v }))), ...rows);
}

/* the sticky step bar: slider, fixed-width label, play button; ``onStep(i)`` draws step i */
function stepBar(n, start, onStep, labelOf) {
  const bar = el("div", { class: "controls sticky" });
  const slider = el("input", { type: "range", id: "scrubber", min: 0, max: n - 1, step: 1, value: start, "aria-label": "training step" });
  const label = el("span", { id: "step-label" });
  let i = start, timer = null;
  const go = (j) => { i = j; slider.value = j; label.textContent = labelOf(j); onStep(j); };
  const play = el("button", { id: "play", text: "▶ play", onclick: () => {
    if (timer) { clearInterval(timer); timer = null; play.textContent = "▶ play"; return; }
    if (i === n - 1) go(0);
    play.textContent = "❚❚ pause";
    timer = setInterval(() => {
      if (i >= n - 1) { clearInterval(timer); timer = null; play.textContent = "▶ play"; return; }
      go(i + 1);
    }, 350);
  } });
  slider.addEventListener("input", () => go(+slider.value));
  bar.append(el("span", { text: "step" }), slider, label, play);
  return { bar, go };
}

function runPage(d, root) {
  root.append(header(d, summaryLine(d)));
  const holder = el("div");
  const v = runView(d, holder);
  if (v.epochs.length) {
    const n = v.epochs.length;
    const sb = stepBar(n, v.start, v.show, (j) => `epoch ${v.epochs[j]}  (snapshot ${j + 1}/${n})`);
    root.append(sb.bar, holder);
    sb.go(v.start);
  } else root.append(holder);
}

/* ---------- page: two runs on one scrubber ---------- */
function comparePage(d, root) {
  document.title = d.title;
  root.append(el("header", {}, el("h1", { text: d.title })));
  const cols = el("div", { class: "compare" });
  const views = d.runs.map((r, j) => {
    const col = el("div", { class: "compare-col", id: ["run-a", "run-b"][j] });
    col.append(el("h2", { text: `${"AB"[j]}: ${r.title.replace(/^rulesfacts run: /, "")}` }), el("div", { class: "sub", text: r.config_line }), summaryLine(r));
    const lab = el("div", { class: "step-of", id: ["a-", "b-"][j] + "step" });
    col.append(lab);
    cols.append(col);
    const v = runView(r, col, ["a-", "b-"][j], true);
    return { v, lab };
  });
  // one timeline: every snapshot epoch of either run; each run shows its last snapshot at or before it
  const all = [...new Set(views.flatMap((x) => x.v.epochs))].sort((a, b) => a - b);
  const frameAt = (v, e) => { let k = 0; v.epochs.forEach((x, i) => { if (x <= e) k = i; }); return k; };
  if (!all.length) { root.append(cols); return; }
  const start = Math.min(all.length - 1, Math.max(...views.map((x) => all.indexOf(x.v.epochs[x.v.start] ?? all[0]))));
  const sb = stepBar(all.length, Math.max(0, start), (j) => views.forEach((x, k) => {
    if (!x.v.epochs.length) return;
    const i = frameAt(x.v, all[j]);
    x.lab.textContent = `${"AB"[k]} at epoch ${x.v.epochs[i]} (snapshot ${i + 1}/${x.v.epochs.length})`;
    x.v.show(i);
  }), (j) => `epoch ${all[j]}  (${j + 1}/${all.length})`);
  root.append(sb.bar, cols);
  sb.go(Math.max(0, start));
}

/* ---------- page: sweep ---------- */
function sweepPage(d, root) {
  const counts = Object.entries(d.phase_counts).map(([k, v]) => [k, v]);
  root.append(header(d, el("div", {}, el("div", { class: "sub",
    text: `${d.n_runs} runs · x = ${d.x.name} · y = ${d.y.name}` + (d.panel_fields.length ? ` · panels: ${d.panel_fields.join(", ")}` : "") +
      (d.pooled && d.pooled.length ? ` · each cell pooled over ${d.pooled.join(", ")}` : "") }),
  statsLine(counts))));
  const metricSel = el("select", { id: "metric" }, ...Object.entries(d.metrics).map(([k, v]) => el("option", { value: k, text: v })));
  const legend = el("div", { class: "legend", id: "grid-legend" });
  const wrap = el("div", { class: "grid-wrap" });
  root.append(panel("Phase diagram", d.help.grid, el("div", { class: "controls" }, el("span", { text: "colour by" }), metricSel), legend, wrap));
  const title = el("h2", { id: "detail-title", text: "click a cell" });
  const info = el("div", { class: "sub", id: "detail-info" }), runs = el("div", { id: "detail-runs" });
  const curC = el("canvas", { id: "detail-curves" }), specC = el("canvas", { id: "detail-spectrum" });
  const neurC = el("canvas", { id: "detail-neurons" }), neurNote = el("div", { class: "sub", id: "detail-neuron-note" });
  const link = el("div", { id: "detail-link" });
  root.append(el("section", { class: "panel", id: "run-detail" }, title, el("p", { class: "help", text: d.help.detail }), info, link, runs,
    el("div", { class: "row" }, curC, specC, el("div", {}, neurC, neurNote))));
  const cellEls = [];
  let selected = null;

  d.panels.forEach((p) => {
    const nx = d.x.values.length, ny = d.y.values.length;
    const cs = Math.max(14, Math.min(44, Math.floor(340 / Math.max(nx, ny))));  // cell size in px
    const grid = el("div", { class: "phase-grid", style: `grid-template-columns: repeat(${nx}, ${cs}px); grid-auto-rows: ${cs}px` });
    const byPos = new Map(p.cells.map((c) => [c.xi + "," + c.yi, c]));
    for (let yi = ny - 1; yi >= 0; yi--) for (let xi = 0; xi < nx; xi++) {
      const c = byPos.get(xi + "," + yi);
      if (!c) { grid.append(el("div", { class: "cell empty" })); continue; }
      const e = el("div", { class: "cell", "data-run": c.runs[0], title: "", onclick: () => select(c, e) });
      e.cellData = c; cellEls.push(e); grid.append(e);
    }
    const ylab = el("div", { class: "ylab axis", style: `height:${ny * (cs + 1) + 1}px` },
      ...d.y.values.slice().reverse().map((v) => el("span", { text: fmt(v) })));
    const xlab = el("div", { class: "axis", style: `display:grid; grid-template-columns: repeat(${nx}, ${cs + 1}px)` },
      ...d.x.values.map((v, i) => el("span", { text: i % Math.ceil(nx / 6) === 0 ? fmt(v) : "" })));
    wrap.append(el("div", { class: "phase-panel" }, el("h3", { text: p.label }),
      el("div", { style: "display:flex" }, el("div", { class: "axis", style: "writing-mode: vertical-rl; transform: rotate(180deg); text-align:center", text: d.y.name }), ylab,
        el("div", {}, grid, xlab, el("div", { class: "axis", style: "text-align:center", text: d.x.name })))));
  });

  function paint() {
    const m = metricSel.value;
    legend.innerHTML = "";
    if (m === "phase") {
      const seen = new Set(cellEls.map((e) => e.cellData.phase));
      for (const [k, col] of Object.entries(d.phase_colors)) if (seen.has(k)) legend.append(el("span", {}, el("span", { class: "sw", style: `background:${col}` }), k));
      cellEls.forEach((e) => {
        const c = e.cellData, col = c.tied ? d.tie_color : (d.phase_colors[c.phase] || "#fff");
        // a cell whose runs disagree is hatched (a tie cross-hatched, white): never drawn as one solid phase
        const hatch = "rgba(0,0,0,0.35) 0 1px, transparent 1px 5px";
        e.style.background = c.tied ? `repeating-linear-gradient(45deg, ${hatch}), repeating-linear-gradient(-45deg, ${hatch}), ${col}`
          : (c.agreement != null && c.agreement < 1 ? `repeating-linear-gradient(45deg, ${hatch}), ${col}` : col);
        e.classList.toggle("split", c.agreement != null && c.agreement < 1);
        e.classList.toggle("tie", !!c.tied);
        e.title = tip(c);
      });
      if (cellEls.some((e) => e.cellData.agreement != null && e.cellData.agreement < 1))
        legend.append(el("span", { text: "hatched: the cell's runs disagree (agreement in the tooltip); cross-hatched: a tie" }));
      return;
    }
    const vals = cellEls.map((e) => e.cellData[m]).filter((v) => v != null);
    // accuracies share one absolute scale (0 to 1) so that colours compare across sweeps
    const unit = /acc|facts/.test(m), lo = unit ? 0 : Math.min(...vals), hi = unit ? 1 : Math.max(...vals);
    cellEls.forEach((e) => {
      const v = e.cellData[m];
      const rgb = v == null ? null : ramp(VIRIDIS, hi > lo ? (v - lo) / (hi - lo) : 0.5);
      e.style.background = rgb ? `rgb(${rgb})` : "#fff";
      e.title = tip(e.cellData);
    });
    const bar = el("canvas", { width: 160, height: 12 });
    const g = bar.getContext("2d");
    for (let i = 0; i < 160; i++) { g.fillStyle = `rgb(${ramp(VIRIDIS, i / 159)})`; g.fillRect(i, 0, 1, 12); }
    legend.append(el("span", { text: fmt(lo) }), bar, el("span", { text: fmt(hi) }), el("span", { text: d.metrics[m] }));
  }
  function tip(c) {
    return `${d.x.name}=${fmt(d.x.values[c.xi])} ${d.y.name}=${fmt(d.y.values[c.yi])}\n` +
      (c.tied ? `tie: ${c.tied}\n` : `phase: ${c.phase}` + (c.agreement != null && c.agreement < 1 ? ` (${Math.round(100 * c.agreement)}% of runs)` : "") + "\n") +
      `test ${fmt(c.test_acc)} · facts memorized ${fmt(c.facts_memorized)} · runs ${c.runs.length}`;
  }
  function select(c, e) {
    if (selected) selected.classList.remove("sel");
    selected = e; e.classList.add("sel");
    runs.innerHTML = "";
    if (c.runs.length > 1) c.runs.forEach((id) => runs.append(el("button", { class: "run-btn", text: id, onclick: () => showRun(id) })));
    showRun(c.runs[0]);
  }
  function showRun(id) {
    const r = d.runs[id];
    title.textContent = `run ${id} — ${r.phase}`;
    info.textContent = Object.entries(r.values).map(([k, v]) => `${k}=${fmt(v)}`).join("  ") + "  |  " +
      Object.entries(r.final).filter(([k]) => /acc|facts/.test(k)).map(([k, v]) => `${k} ${fmt(v)}`).join("  ");
    if (r.curves) lineChart(curC, { w: 560, h: 240, x: r.curves.epoch, ymin: 0, ymax: 1, xlabel: "epoch", ylabel: "accuracy",
      series: r.curves.acc.map((s) => ({ y: s.y, color: s.color, label: s.label })) });
    link.innerHTML = "";
    if (r.report && r.report.exists) link.append(el("a", { class: "run-link", id: "run-link", href: r.report.href, text: "full report of this run →" }));
    else if (r.report) link.append(el("span", { class: "axis", text: `full report: rulesfacts report ${r.report.run_dir}` }));
    if (r.spectrum) {
      const base = r.spectrum_shuffled[0].map((_, k) => (r.spectrum_shuffled[0][k] + r.spectrum_shuffled[1][k] + r.spectrum_shuffled[2][k]) / 3);
      lineChart(specC, { w: 560, h: 240, x: r.spectrum[0].map((_, k) => k), bars: true, ymin: 0,
        xlabel: "frequency k (final weights)", ylabel: "fraction of power",
        series: d.part_colors.map((col, j) => ({ y: r.spectrum[j], color: col, label: ["from a", "from b", "to outputs"][j] }))
          .concat([{ y: base, color: "#000", label: "shuffled order", line: true, width: 1.2, dash: [3, 2] }]) });
    } else setup(specC, 10, 10);
    if (r.neurons) {
      const nc = r.neurons.freq_counts;
      lineChart(neurC, { w: 560, h: 240, x: nc.map((_, k) => k), bars: true, ymin: 0, xlabel: "dominant frequency k (final weights)",
        ylabel: "generalizing neurons", series: [{ y: nc, color: d.class_colors.generalizing, label: "generalizing neurons" }] });
      neurNote.textContent = `IPR split: ${r.neurons.n_generalizing} generalizing, ${r.neurons.n_memorizing} memorizing neurons ` +
        `(threshold ${fmt(r.neurons.ipr_threshold)}) on ${nc.filter((c) => c > 0).length} frequencies`;
    } else { setup(neurC, 10, 10); neurNote.textContent = ""; }
  }
  metricSel.addEventListener("change", paint);
  paint();
}

/* ---------- page: theory ---------- */
function theoryPage(d, root) {
  root.append(header(d, el("div", { class: "sub", text: `${d.lam.length} values of λ × ${d.eps.length} of ε, ${d.alpha.length} values of α` })));
  const slider = el("input", { type: "range", id: "lam-slider", min: 0, max: d.lam.length - 1, step: 1, value: 0, "aria-label": "lambda" });
  const label = el("span", { id: "lam-label" });
  const epsSel = el("select", { id: "eps" }, ...d.eps.map((e, i) => el("option", { value: i, text: `ε = ${fmt(e)}` })));
  const c = el("canvas", { id: "theory-curves" });
  root.append(el("div", { class: "controls sticky" }, el("span", { text: "λ" }), slider, label, d.eps.length > 1 ? epsSel : null));
  root.append(panel("E_gen and E_mem vs α", d.help.curves, c));
  function draw() {
    const li = +slider.value, ei = +epsSel.value, grid = d.curves[ei];
    label.textContent = `λ = ${fmt(d.lam[li])}  (ε = ${fmt(d.eps[ei])})`;
    const series = [];
    grid.forEach((cur, j) => {
      if (j === li) return;
      series.push({ y: cur.e_gen, color: d.colors.e_gen, alpha: 0.3, width: 1 });
      series.push({ y: cur.e_mem, color: d.colors.e_mem, alpha: 0.3, width: 1, dash: [6, 3] });
    });
    series.push({ y: grid[li].e_gen, color: d.colors.e_gen, label: "E_gen (rule, fresh data)", width: 2.4 });
    series.push({ y: grid[li].e_mem, color: d.colors.e_mem, label: "E_mem (training facts not fitted)", width: 2.4, dash: [6, 3] });
    lineChart(c, { w: 900, h: 380, x: d.alpha, xlog: true, ymin: 0, xlabel: "α = n / d", ylabel: "error", series });
  }
  slider.addEventListener("input", draw);
  epsSel.addEventListener("change", draw);
  draw();
}

const root = document.getElementById("app");
({ run: runPage, sweep: sweepPage, theory: theoryPage, compare: comparePage })[DATA.kind](DATA, root);
root.append(el("footer", { text: `made by rulesfacts ${DATA.version || ""} · self-contained: all data and code are in this file` }));
