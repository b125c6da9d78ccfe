// FedLlm report renderer: draws every <figure data-chart="id"> as an SVG chart from the JSON in #fedllm-charts, and on
// a live page (main[data-live]) fetches fresh content every two seconds. No libraries, no network beyond the live source.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var W = 720, H = 330, M = { left: 64, right: 16, top: 30, bottom: 48 };
  var charts = {};

  function num(v) { return typeof v === "number" ? v : Number(v); }
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, attrs) {
    var node = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = content;
    return node;
  }
  function format(v) {
    if (!isFinite(v)) return "–";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
    return String(Math.round(v * 1e4) / 1e4);
  }
  function ticks(lo, hi, count) {
    if (!(hi > lo)) { hi = lo + 1; lo = lo - 1; }
    var raw = (hi - lo) / count, power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; }).find(function (s) { return s >= raw; });
    var list = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) list.push(Math.round(t / step) * step);
    return list;
  }
  function range(values, includeZero) {
    var finite = values.filter(isFinite);
    if (finite.length === 0) return [0, 1];
    var lo = Math.min.apply(null, finite), hi = Math.max.apply(null, finite);
    if (includeZero) { lo = Math.min(lo, 0); hi = Math.max(hi, 0); }
    if (lo === hi) {
      // One value: a band around it, starting at 0 when the value is 0 (e.g. an accuracy that never left 0).
      var d = Math.abs(lo) * 0.1 || 1;
      lo = lo === 0 ? 0 : lo - d;
      hi = hi + d;
      return [lo, hi];
    }
    var pad = (hi - lo) * 0.05;
    return [includeZero && lo >= 0 ? lo : lo - pad, includeZero && hi <= 0 ? hi : hi + pad];
  }
  function frame(svg, chart, xs, ys, xTicks) {
    var plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
    var sx = function (v) { return M.left + (v - xs[0]) / (xs[1] - xs[0]) * plotW; };
    var sy = function (v) { return M.top + plotH - (v - ys[0]) / (ys[1] - ys[0]) * plotH; };
    text(svg, W / 2, 18, chart.title, { "text-anchor": "middle", "class": "title" });
    ticks(ys[0], ys[1], 5).forEach(function (t) {
      if (t < ys[0] || t > ys[1]) return;
      el("line", { x1: M.left, x2: W - M.right, y1: sy(t), y2: sy(t), "class": "grid" }, svg);
      text(svg, M.left - 6, sy(t) + 4, format(t), { "text-anchor": "end", "class": "tick" });
    });
    if (xTicks) xTicks.forEach(function (t) {
      if (t < xs[0] || t > xs[1]) return;
      text(svg, sx(t), H - M.bottom + 16, format(t), { "text-anchor": "middle", "class": "tick" });
    });
    el("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, "class": "axis" }, svg);
    el("line", { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, "class": "axis" }, svg);
    text(svg, W / 2, H - 8, chart.x_label, { "text-anchor": "middle", "class": "label" });
    text(svg, 14, M.top + plotH / 2, chart.y_label, { "text-anchor": "middle", "class": "label", transform: "rotate(-90 14 " + (M.top + plotH / 2) + ")" });
    return { sx: sx, sy: sy, plotW: plotW };
  }
  function legend(figure, chart) {
    var list = document.createElement("div");
    list.className = "legend";
    chart.series.forEach(function (s, i) {
      var item = document.createElement("span");
      var swatch = document.createElement("i");
      swatch.style.background = COLOURS[i % COLOURS.length];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.label));
      list.appendChild(item);
    });
    figure.appendChild(list);
  }
  function whisker(svg, x, lo, hi, colour) {
    if (!isFinite(lo) || !isFinite(hi)) return;
    el("line", { x1: x, x2: x, y1: lo, y2: hi, stroke: colour, "class": "whisker" }, svg);
    el("line", { x1: x - 4, x2: x + 4, y1: lo, y2: lo, stroke: colour, "class": "whisker" }, svg);
    el("line", { x1: x - 4, x2: x + 4, y1: hi, y2: hi, stroke: colour, "class": "whisker" }, svg);
  }
  function lines(svg, chart) {
    var allX = [], allY = [];
    chart.series.forEach(function (s) {
      s.x.forEach(function (v, i) { if (isFinite(num(s.y[i]))) { allX.push(num(v)); allY.push(num(s.y[i])); } });
      (s.lower || []).concat(s.upper || []).forEach(function (v) { allY.push(num(v)); });
    });
    var xs = range(allX, false), ys = range(allY, false);
    // Rounds and other whole-number axes get whole-number ticks only.
    var whole = allX.every(function (v) { return Math.round(v) === v; });
    var xTicks = ticks(xs[0], xs[1], 8).filter(function (t) { return !whole || Math.round(t) === t; });
    var f = frame(svg, chart, xs, ys, xTicks);
    chart.series.forEach(function (s, i) {
      var colour = COLOURS[i % COLOURS.length], run = [], points = 0;
      var flush = function () { if (run.length > 1) el("polyline", { points: run.join(" "), stroke: colour, "class": "line" }, svg); run = []; };
      s.x.forEach(function (v, j) {
        var y = num(s.y[j]);
        if (!isFinite(y)) { flush(); return; }
        points++;
        run.push(f.sx(num(v)) + "," + f.sy(y));
      });
      flush();
      s.x.forEach(function (v, j) {
        var y = num(s.y[j]);
        if (!isFinite(y)) return;
        if (s.lower && s.upper) whisker(svg, f.sx(num(v)), f.sy(num(s.lower[j])), f.sy(num(s.upper[j])), colour);
        if (points <= 60) {
          var dot = el("circle", { cx: f.sx(num(v)), cy: f.sy(y), r: 3, fill: colour }, svg);
          el("title", {}, dot).textContent = s.label + ": " + format(num(v)) + ", " + format(y);
        }
      });
    });
  }
  function bars(svg, chart) {
    var allY = [];
    chart.series.forEach(function (s) { s.y.concat(s.lower || [], s.upper || []).forEach(function (v) { allY.push(num(v)); }); });
    var n = chart.categories.length, k = Math.max(1, chart.series.length);
    var xs = [0, Math.max(1, n)], ys = range(allY, true);
    var f = frame(svg, chart, xs, ys, null);
    var slot = f.plotW / Math.max(1, n), bar = Math.max(2, slot * 0.8 / k);
    chart.categories.forEach(function (name, c) {
      var label = text(svg, f.sx(c + 0.5), H - M.bottom + 16, name.length > 14 ? name.slice(0, 13) + "…" : name, { "text-anchor": "middle", "class": "tick" });
      el("title", {}, label).textContent = name;
      chart.series.forEach(function (s, i) {
        var y = num(s.y[c]);
        if (!isFinite(y)) return;
        var colour = COLOURS[i % COLOURS.length], x = f.sx(c) + slot * 0.1 + i * bar;
        var top = Math.min(f.sy(y), f.sy(0)), height = Math.abs(f.sy(y) - f.sy(0));
        var rect = el("rect", { x: x, y: top, width: bar * 0.92, height: Math.max(height, 0.5), fill: colour }, svg);
        el("title", {}, rect).textContent = s.label + " · " + name + ": " + format(y);
        if (s.lower && s.upper) whisker(svg, x + bar * 0.46, f.sy(num(s.lower[c])), f.sy(num(s.upper[c])), "#333");
      });
    });
  }
  function draw(figure) {
    var chart = charts[figure.getAttribute("data-chart")];
    figure.textContent = "";
    if (!chart) { figure.textContent = "(no data for this chart yet)"; return; }
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": chart.title }, figure);
    if (chart.kind === "bars") bars(svg, chart); else lines(svg, chart);
    legend(figure, chart);
  }
  function drawAll() { document.querySelectorAll("figure[data-chart]").forEach(draw); }
  function load(json) { charts = Object.assign({}, charts, json || {}); }

  var data = document.getElementById("fedllm-charts");
  load(data ? JSON.parse(data.textContent) : {});
  drawAll();

  var main = document.getElementById("report");
  var live = main && main.getAttribute("data-live");
  if (!live) return;
  function refresh() {
    fetch(live + window.location.search, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (state) {
        main.innerHTML = state.html;
        charts = {};
        load(state.charts);
        drawAll();
        var stamp = document.getElementById("live-status");
        if (stamp) stamp.textContent = "live · updated " + new Date().toLocaleTimeString();
      })
      .catch(function (e) {
        var stamp = document.getElementById("live-status");
        if (stamp) stamp.textContent = "live · not updated (" + e.message + "), retrying";
      })
      .finally(function () { setTimeout(refresh, 2000); });
  }
  refresh();
})();
