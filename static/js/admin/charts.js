// The health charts: one uPlot time series per chart of lib/health.js,
// each in a figure whose caption says in words what it shows (the chart's
// text alternative). This module owns the uPlot instances.
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { el } from "../dom.js";
import { CHARTS, data, sum, summary } from "../lib/health.js";

const HEIGHT = 180;
const plots = [];

// build adds a figure per chart to box; the charts are drawn by render.
export function build(box) {
  for (const c of CHARTS) {
    const cap = el("p", { id: "chart-" + c.id + "-summary" });
    const plot = el("div", { class: "zc-chart-plot", "aria-hidden": "true" });
    const fig = el("figure", { class: "zc-chart", id: "chart-" + c.id, "data-chart": c.id },
      el("figcaption", {}, el("h3", { text: c.title }), cap), plot);
    box.append(fig);
    plots.push({ c, fig, cap, plot, u: null });
  }
}

function options(c, width) {
  const axis = { stroke: "#5c5c5c", grid: { stroke: "#e5e5e5", width: 1 }, ticks: { stroke: "#c9c9c9", width: 1 } };
  return {
    width, height: HEIGHT,
    series: [{}, ...c.series.map((s) => ({
      label: s.label, stroke: s.color, width: 2, dash: s.dash ? [6, 4] : undefined, spanGaps: false,
      points: s.sparse ? { show: true, size: 5 } : { show: false },
      value: (u, v) => (v == null ? "–" : v.toLocaleString("en-US") + (c.unit ? " " + c.unit : "")),
    }))],
    // Counts are whole: no tick at 0.5.
    axes: [axis, { ...axis, size: 56, incrs: c.kind === "ms" ? undefined : [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6] }],
    // Counts and levels start at zero; an empty chart still has a scale.
    scales: { y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
  };
}

function widthOf(p) {
  return Math.max(200, Math.floor(p.plot.clientWidth || p.fig.clientWidth - 24));
}

// holds is the sum of every value a chart holds now: what a test reads to
// see it move.
function holds(u) {
  return u.data.slice(1).reduce((a, col) => a + sum(col), 0);
}

// render draws view (GET /api/admin/health's answer) in every chart.
export function render(view) {
  for (const p of plots) {
    const d = data(view, p.c);
    p.cap.textContent = summary(view, p.c);
    if (!p.u) {
      p.u = new uPlot(options(p.c, widthOf(p)), d, p.plot);
      new ResizeObserver(() => {
        const w = widthOf(p);
        if (w !== p.u.width) p.u.setSize({ width: w, height: HEIGHT });
      }).observe(p.fig);
    } else {
      p.u.setData(d);
    }
    p.fig.dataset.sum = String(holds(p.u));
    p.fig.dataset.points = String(p.u.data[0].length);
  }
}
