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

/* opt: {w, h, series: [{x?, y, color, label, width, alpha, dash}], x, xlog, ylog, ymin, ymax,
         xlabel, ylabel, vline, legend, bars} */
function lineChart(canvas, opt) {
  const W = opt.w || 560, H = opt.h || 260, m = { l: 60, r: 18, t: 10, b: 36 };
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
  if (!xs.length) { g.fillStyle = "#999"; g.fillText("no data", W / 2 - 20, H / 2); return; }
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (opt.bars) {  // bars sit on their x values: pad the range by half a bin on each side
    const bx = opt.x, n = bx.length;
    x0 = bx[0]; x1 = bx[n - 1];
    if (opt.xlog) { const r = Math.pow(x1 / x0, 1 / (2 * Math.max(1, n - 1))); x0 /= r; x1 *= r; }
    else { const half = n > 1 ? (x1 - x0) / (2 * (n - 1)) : 0.5; x0 -= half; x1 += half; }
  }
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  let y0 = opt.ymin != null ? opt.ymin : Math.min(...ys), y1 = opt.ymax != null ? opt.ymax : Math.max(...ys);
  if (opt.stacked && opt.ymax == null) y1 = Math.max(...opt.x.map((_, i) => opt.series.reduce((a, s) => a + (s.y[i] || 0), 0)));
  if (opt.bars && opt.ymax == null) y1 *= 1.05;
  if (y0 === y1) { y0 = opt.ylog ? y0 / 2 : y0 - 1; y1 = opt.ylog ? y1 * 2 : y1 + 1; }
  const tx = opt.xlog ? (v) => (Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0)) : (v) => (v - x0) / (x1 - x0);
  const ty = opt.ylog ? (v) => (Math.log(v) - Math.log(y0)) / (Math.log(y1) - Math.log(y0)) : (v) => (v - y0) / (y1 - y0);
  const X = (v) => m.l + tx(v) * pw, Y = (v) => m.t + (1 - ty(v)) * ph;
  g.font = "11px system-ui, sans-serif"; g.lineWidth = 1;
  g.strokeStyle = "#e6e6e6"; g.fillStyle = "#555";
  g.textAlign = "right"; g.textBaseline = "middle";
  for (const t of opt.ylog ? logTicks(y0, y1) : niceTicks(y0, y1, 4)) {
    g.beginPath(); g.moveTo(m.l, Y(t)); g.lineTo(m.l + pw, Y(t)); g.stroke();
    g.fillText(fmt(t), m.l - 4, Y(t));
  }
  g.textAlign = "center"; g.textBaseline = "top";
  for (const t of opt.xlog ? logTicks(x0, x1) : niceTicks(x0, x1, 6)) {
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
  if (opt.bars) {
    const nb = opt.series.length, sx = opt.x, step = pw / Math.max(1, sx.length);
    const bw = Math.max(1, (step * 0.85) / (opt.stacked ? 1 : nb)), base = sx.map(() => 0);
    opt.series.forEach((s, j) => {
      g.fillStyle = s.color;
      s.y.forEach((v, i) => {
        if (v == null) return;
        const x = X(sx[i]) - step * 0.425 + (opt.stacked ? 0 : j * bw);
        if (opt.stacked) { g.fillRect(x, Y(base[i] + v), bw, Y(base[i]) - Y(base[i] + v)); base[i] += v; return; }
        g.fillRect(x, Y(Math.min(v, y1)), bw, Y(y0) - Y(Math.min(v, y1)));
      });
    });
  } else {
    for (const s of opt.series) {
      const sx = s.x || opt.x;
      g.strokeStyle = s.color; g.globalAlpha = s.alpha == null ? 1 : s.alpha;
      g.lineWidth = s.width || 1.6; g.setLineDash(s.dash || []);
      g.beginPath();
      let pen = false;
      s.y.forEach((v, i) => {
        if (v == null || (opt.ylog && v <= 0)) { pen = false; return; }
        if (pen) g.lineTo(X(sx[i]), Y(v)); else g.moveTo(X(sx[i]), Y(v));
        pen = true;
      });
      g.stroke();
      if (s.points) {
        g.fillStyle = s.color;
        s.y.forEach((v, i) => { if (v != null) { g.beginPath(); g.arc(X(sx[i]), Y(v), 2.2, 0, 7); g.fill(); } });
      }
    }
    g.globalAlpha = 1; g.setLineDash([]);
  }
  if (opt.vline != null) {
    g.strokeStyle = opt.vlineColor || "#888"; g.lineWidth = 1.5; g.setLineDash(opt.vlineDash || [4, 3]);
    g.beginPath(); g.moveTo(X(opt.vline), m.t); g.lineTo(X(opt.vline), m.t + ph); g.stroke(); g.setLineDash([]);
  }
  g.restore();
  g.textAlign = "left"; g.textBaseline = "middle"; g.font = "11px system-ui, sans-serif";
  const lx = m.l + pw + 12;
  items.forEach((s, i) => {
    g.fillStyle = s.color; g.fillRect(lx, m.t + 8 + i * 15, 14, 3);
    g.fillStyle = "#333"; g.fillText(s.label, lx + 18, m.t + 10 + i * 15);
  });
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
const SEQ_LUT = Array.from({ length: 256 }, (_, c) => ramp([[255, 255, 255], [158, 202, 225], [49, 130, 189], [8, 48, 107]], c / 255));

const decoded = new Map();
function codes(q) {
  if (!decoded.has(q.b64)) {
    const s = atob(q.b64), a = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    decoded.set(q.b64, a);
  }
  return decoded.get(q.b64);
}

/* Colours saturate at the 99th percentile of |w|, so a few large weights do not wash out the rest. */
function robustLut(c) {
  const hist = new Uint32Array(128);
  for (let i = 0; i < c.length; i++) hist[Math.min(127, Math.floor(Math.abs(c[i] - 127.5)))]++;
  let acc = 0, s = 127.5;
  for (let k = 0; k < 128; k++) { acc += hist[k]; if (acc >= 0.99 * c.length) { s = Math.max(k + 1, 4); break; } }
  return Array.from({ length: 256 }, (_, v) => LUT[Math.round(Math.min(255, Math.max(0, 127.5 + ((v - 127.5) * 127.5) / s)))]);
}

/* Draw matrices side by side (rows = neurons in ``order``), each stretched to a shared height. */
function heatmaps(canvas, mats, order, labels, w = 560, h = 300) {
  h = Math.max(h, Math.min(560, mats[0].rows + 16));  // about one pixel row per neuron
  const g = setup(canvas, w, h);
  const top = 16, gap = 10, total = mats.reduce((s, q) => s + q.cols, 0);
  const usable = w - gap * (mats.length - 1);
  let x = 0;
  g.font = "11px system-ui, sans-serif"; g.fillStyle = "#444"; g.textAlign = "center"; g.textBaseline = "top";
  mats.forEach((q, j) => {
    const img = new ImageData(q.cols, q.rows), c = codes(q), lut = q.seq ? SEQ_LUT : robustLut(c);
    for (let r = 0; r < q.rows; r++) {
      const src = (order ? order[r] : r) * q.cols;
      for (let k = 0; k < q.cols; k++) {
        const rgb = lut[c[src + k]], o = (r * q.cols + k) * 4;
        img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
      }
    }
    const off = document.createElement("canvas");
    off.width = q.cols; off.height = q.rows;
    off.getContext("2d").putImageData(img, 0, 0);
    const pw = Math.max(8, (usable * q.cols) / total);
    g.imageSmoothingEnabled = q.rows > h - top;  // average rows when there are more than pixels
    g.drawImage(off, x, top, pw, h - top);
    g.fillText(labels[j], x + pw / 2, 2);
    x += pw + gap;
  });
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

function runPage(d, root) {
  const s = d.summary || {};
  root.append(header(d, statsLine([["status", s.status], ["epochs", s.epochs], ["train acc", s.train_acc],
    ["clean acc", s.clean_acc], ["facts memorized", s.facts_memorized], ["facts recovered", s.facts_recovered],
    ["test acc", s.test_acc], ["seconds", s.seconds]])));
  const snaps = d.snapshots, frames = snaps ? snaps.frames : [];
  const bar = el("div", { class: "controls sticky" });
  const accC = el("canvas", { id: "curves-acc" }), lossC = el("canvas", { id: "curves-loss" });
  root.append(bar, panel("Training curves", d.help.curves, el("div", { class: "row" }, accC, lossC)));
  let state = { i: Math.max(0, frames.length - 1), sort: "final", pruneOrder: "low", spec: "rows" };

  const heatC = el("canvas", { id: "heatmap" }), specC = el("canvas", { id: "spectrum" }), iprC = el("canvas", { id: "ipr" });
  const iprNote = el("div", { class: "legend", id: "ipr-counts" });
  if (frames.length) {
    const slider = el("input", { type: "range", id: "scrubber", min: 0, max: frames.length - 1, step: 1, value: state.i,
      "aria-label": "training step" });
    const label = el("span", { id: "step-label" });
    let timer = null;
    const play = el("button", { id: "play", text: "▶ play", onclick: () => {
      if (timer) { clearInterval(timer); timer = null; play.textContent = "▶ play"; return; }
      if (state.i === frames.length - 1) { state.i = 0; }
      play.textContent = "❚❚ pause";
      timer = setInterval(() => {
        if (state.i >= frames.length - 1) { clearInterval(timer); timer = null; play.textContent = "▶ play"; return; }
        state.i += 1; slider.value = state.i; draw();
      }, 350);
    } });
    slider.addEventListener("input", () => { state.i = +slider.value; draw(); });
    const sortSel = el("select", { id: "sort", onchange: (e) => { state.sort = e.target.value; draw(); } },
      ...(snaps.fourier ? [["final", "sort: final frequency"], ["step", "sort: frequency at this step"]] : [])
        .concat([["index", "sort: neuron index"]]).map(([v, t]) => el("option", { value: v, text: t })));
    if (!snaps.fourier) state.sort = "index";
    bar.append(el("span", { text: "step" }), slider, label, play, sortSel);
    const hm = [panel("Hidden-layer weights", d.help.heatmap, heatC,
      el("div", { class: "axis", text: `${snaps.neurons} of ${snaps.width} neurons; colours saturate at the 99th percentile of |w| of each matrix` }))];
    const specSel = el("select", { id: "spectrum-which", onchange: (e) => { state.spec = e.target.value; draw(); } },
      el("option", { value: "rows", text: "per neuron (from a)" }), el("option", { value: "all", text: "summed: all neurons" }),
      el("option", { value: "gen", text: "summed: generalizing neurons" }));
    if (snaps.fourier) hm.push(panel("Fourier spectrum of the weights", d.help.spectrum, el("div", { class: "controls" }, specSel), specC));
    root.append(el("div", { class: "row" }, ...hm));
    if (snaps.fourier) root.append(el("div", { class: "row" }, panel("IPR per neuron: generalizing vs memorizing", d.help.ipr, iprC, iprNote),
      prunePanel()));
    function draw() {
      const f = frames[state.i];
      label.textContent = `epoch ${f.epoch}  (snapshot ${state.i + 1}/${frames.length})`;
      drawCurves(f.epoch);
      const order = state.sort === "final" ? snaps.final_order : state.sort === "step" ? f.order : null;
      const cols = snaps.fourier ? [splitCols(f.W_in, 0, snaps.p), splitCols(f.W_in, snaps.p, snaps.p), f.W_out] : [f.W_in, f.W_out];
      heatmaps(heatC, cols, order, snaps.fourier ? ["from a", "from b", "to outputs"] : ["W_in", "W_outᵀ"]);
      if (snaps.fourier) {
        const spec = state.spec === "gen" ? f.spectrum_gen : f.spectrum;
        if (state.spec === "rows") {
          heatmaps(specC, [f.spectrum_rows], order, ["|FFT| of the weights from a: frequency k = 0 … p/2 →"], 560, 300);
        } else if (spec) {
          const ks = spec[0].map((_, k) => k);
          lineChart(specC, { w: 560, h: 300, x: ks, bars: true, ymin: 0, xlabel: "frequency k", ylabel: "fraction of power",
            series: d.part_colors.map((c, j) => ({ y: spec[j], color: c, label: ["from a", "from b", "to outputs"][j] })) });
        } else {
          const g = setup(specC, 560, 300);
          g.fillStyle = "#888"; g.font = "13px system-ui, sans-serif"; g.fillText("no generalizing neuron at this step", 160, 150);
        }
        drawIpr(f);
      }
    }
    state.draw = draw;
  } else {
    bar.append(el("span", { class: "note", text: "this run has no weight snapshots: only its curves are shown" }));
    if (d.prune) root.append(prunePanel());
  }

  function splitCols(q, start, n) {
    // a column block of a quantized matrix as its own matrix (cached by key)
    const key = q.b64.length + ":" + start + ":" + n + ":" + q.b64.slice(0, 32) + q.b64.slice(-32);
    if (!splitCols.cache) splitCols.cache = new Map();
    if (splitCols.cache.has(key)) return splitCols.cache.get(key);
    const c = codes(q), out = new Uint8Array(q.rows * n);
    for (let r = 0; r < q.rows; r++) out.set(c.subarray(r * q.cols + start, r * q.cols + start + n), r * n);
    const m = { rows: q.rows, cols: n, b64: key };
    decoded.set(key, out);
    splitCols.cache.set(key, m);
    return m;
  }

  function drawCurves(epoch) {
    const c = d.curves;
    lineChart(accC, { w: 560, h: 260, x: c.epoch, ymin: 0, ymax: 1, xlabel: "epoch", ylabel: "accuracy", vline: epoch,
      series: c.acc.map((s) => ({ y: s.y, color: s.color, label: s.label })) });
    lineChart(lossC, { w: 560, h: 260, x: c.epoch, ylog: true, xlabel: "epoch", ylabel: "loss (log)", vline: epoch,
      series: c.loss.map((s) => ({ y: s.y, color: s.color, label: s.label })) });
  }

  function drawIpr(f) {
    const e = snaps.ipr_edges, mids = e.slice(0, -1).map((v, i) => Math.sqrt(v * e[i + 1]));
    const gen = f.ipr_hist.generalizing, mem = f.ipr_hist.memorizing;
    const t = snaps.ipr_threshold;
    lineChart(iprC, { w: 560, h: 240, x: mids, bars: true, stacked: true, xlog: true, ymin: 0,
      xlabel: "IPR (log scale; 1 = pure cosine)", ylabel: "neurons", vline: t, vlineColor: "#000", vlineDash: [5, 3],
      series: [{ y: mem, color: d.class_colors.memorizing, label: "memorizing" },
        { y: gen, color: d.class_colors.generalizing, label: "generalizing" }] });
    iprNote.textContent = `threshold IPR = ${fmt(t)}: ${f.n_generalizing} generalizing, ${f.n_memorizing} memorizing neurons`;
  }

  function prunePanel() {
    const c = el("canvas", { id: "prune" });
    if (!d.prune) return panel("Pruning curve of the final model", d.help.prune,
      el("p", { class: "note", text: "not available for this run (needs a modular-arithmetic MLP with final weights)" }));
    const orders = Object.keys(d.prune.curves);
    const btns = orders.map((o) => el("button", { class: o === state.pruneOrder ? "on" : "", "data-order": o,
      text: o === "low" ? "lowest IPR first" : "highest IPR first", onclick: () => {
        state.pruneOrder = o; btns.forEach((b) => b.classList.toggle("on", b.dataset.order === o)); drawPrune();
      } }));
    function drawPrune() {
      const cur = d.prune.curves[state.pruneOrder] || d.prune.curves[orders[0]];
      lineChart(c, { w: 560, h: 240, x: cur.n_pruned, ymin: 0, ymax: 1, xlabel: `neurons pruned (of ${d.prune.width})`,
        ylabel: "accuracy", series: cur.series.map((s) => ({ y: s.y, color: s.color, label: s.label, points: true })) });
    }
    setTimeout(drawPrune, 0);
    return panel("Pruning curve of the final model", d.help.prune, el("div", { class: "controls" }, ...btns), c);
  }

  if (state.draw) state.draw(); else drawCurves(null);
}

/* ---------- page: sweep ---------- */
function sweepPage(d, root) {
  const counts = Object.entries(d.phase_counts).map(([k, v]) => [k, v]);
  root.append(header(d, el("div", {}, el("div", { class: "sub",
    text: `${d.n_runs} runs · x = ${d.x.name} · y = ${d.y.name}` + (d.panel_fields.length ? ` · panels: ${d.panel_fields.join(", ")}` : "") }),
  statsLine(counts))));
  const metricSel = el("select", { id: "metric" }, ...Object.entries(d.metrics).map(([k, v]) => el("option", { value: k, text: v })));
  const legend = el("div", { class: "legend", id: "grid-legend" });
  const wrap = el("div", { class: "grid-wrap" });
  root.append(panel("Phase diagram", d.help.grid, el("div", { class: "controls" }, el("span", { text: "colour by" }), metricSel), legend, wrap));
  const title = el("h2", { id: "detail-title", text: "click a cell" });
  const info = el("div", { class: "sub", id: "detail-info" }), runs = el("div", { id: "detail-runs" });
  const curC = el("canvas", { id: "detail-curves" }), specC = el("canvas", { id: "detail-spectrum" });
  root.append(el("section", { class: "panel", id: "run-detail" }, title, el("p", { class: "help", text: d.help.detail }), info, runs,
    el("div", { class: "row" }, curC, specC)));
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
      cellEls.forEach((e) => { e.style.background = d.phase_colors[e.cellData.phase] || "#fff"; e.title = tip(e.cellData); });
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
    return `${d.x.name}=${fmt(d.x.values[c.xi])} ${d.y.name}=${fmt(d.y.values[c.yi])}\nphase: ${c.phase}\n` +
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
    if (r.spectrum) lineChart(specC, { w: 560, h: 240, x: r.spectrum[0].map((_, k) => k), bars: true, ymin: 0,
      xlabel: "frequency k (final weights)", ylabel: "fraction of power",
      series: d.part_colors.map((col, j) => ({ y: r.spectrum[j], color: col, label: ["from a", "from b", "to outputs"][j] })) });
    else setup(specC, 10, 10);
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
({ run: runPage, sweep: sweepPage, theory: theoryPage })[DATA.kind](DATA, root);
root.append(el("footer", { text: `made by rulesfacts ${DATA.version || ""} · self-contained: all data and code are in this file` }));
