// The admin page's health charts as data: which series each chart draws,
// and GET /api/admin/health's answer turned into what uPlot takes and into
// the sentence that says the same in words (a chart's text alternative).
// Pure: static/js/admin/charts.js draws them.

// Colours from SLDS's palette, each at least 3:1 against white.
const C = {
  blue: "#0176d3", green: "#2e844a", red: "#ba0517", orange: "#a96404", purple: "#7526e3", grey: "#706e6b",
};

// kind: "count" (summed over the range), "gauge" (a level: now and at
// most), "ms" (latency: the range's own p50/p99 from the totals). A sparse
// series has gaps (nothing reported in a bucket): its points are drawn, so
// that a lone figure shows.
export const CHARTS = [
  {
    id: "webhooks", title: "Zoom webhooks", kind: "count",
    series: [
      { key: "webhooks_received", label: "Received", color: C.blue },
      { key: "webhooks_duplicate", label: "Duplicates", color: C.orange },
      { key: "webhooks_ignored", label: "Ignored", color: C.grey },
      // Refused before any org could be named: every org's, shown to all.
      { key: "webhooks_rejected", label: "Rejected (all orgs)", color: C.red, deployment: true, dash: true },
    ],
  },
  { id: "pops", title: "Screen pops", kind: "count", series: [{ key: "pops", label: "Pops", color: C.blue }] },
  {
    id: "latency", title: "Pop latency", kind: "ms", unit: "ms",
    series: [
      { key: "pop_p50_ms", label: "p50", color: C.blue, total: "pop_p50_ms", sparse: true },
      { key: "pop_p99_ms", label: "p99", color: C.purple, total: "pop_p99_ms", sparse: true },
    ],
  },
  {
    id: "tasks", title: "Call logs (Tasks)", kind: "count",
    series: [
      { key: "tasks_written", label: "Written", color: C.green },
      { key: "tasks_waiting", label: "Waiting", color: C.orange, gauge: true },
      { key: "tasks_set_aside", label: "Set aside", color: C.red },
    ],
  },
  { id: "outbox", title: "Outbox depth", kind: "gauge", series: [{ key: "outbox_depth", label: "Writes not done yet", color: C.blue, gauge: true }] },
  {
    id: "sfapi", title: "Salesforce API requests (24 hours)", kind: "gauge",
    series: [
      { key: "sf_api_used", label: "Used", color: C.blue, gauge: true, sparse: true },
      { key: "sf_api_limit", label: "Daily limit", color: C.red, gauge: true, dash: true, sparse: true },
    ],
  },
  { id: "zoom429", title: "Zoom rate limits", kind: "count", series: [{ key: "zoom_rate_limited", label: "Refused with 429", color: C.red }] },
];

// column is one series' values, one per time (null: nothing reported).
export function column(view, s) {
  const from = s.deployment ? view.deployment : view.series;
  const col = from && from[s.key];
  const n = (view.times || []).length;
  const out = new Array(n).fill(s.gauge || s.total ? null : 0);
  if (!Array.isArray(col)) return out;
  for (let i = 0; i < n; i++) out[i] = col[i] === undefined ? out[i] : col[i];
  return out;
}

// data is uPlot's data for chart: the bucket starts in seconds, then a
// column per series.
export function data(view, chart) {
  const xs = (view.times || []).map((t) => Math.floor(Date.parse(t) / 1000));
  return [xs, ...chart.series.map((s) => column(view, s))];
}

export function sum(col) {
  return col.reduce((a, v) => a + (typeof v === "number" ? v : 0), 0);
}

// latest is the last value reported, or null.
export function latest(col) {
  for (let i = col.length - 1; i >= 0; i--) if (typeof col[i] === "number") return col[i];
  return null;
}

export function most(col) {
  const nums = col.filter((v) => typeof v === "number");
  return nums.length ? Math.max(...nums) : null;
}

function fmt(n) {
  return Number(n).toLocaleString("en-US");
}

const RANGE = { hour: "last hour", day: "last 24 hours" };

// summary says in words what chart shows over the view's range.
export function summary(view, chart) {
  const range = RANGE[view.range] || "range";
  if (chart.id === "sfapi") {
    const used = latest(column(view, chart.series[0])), limit = latest(column(view, chart.series[1]));
    if (used === null) return "Not reported in the " + range + ": Salesforce reports it with each request zoomcti makes.";
    if (!limit) return fmt(used) + " requests used.";
    return fmt(used) + " of " + fmt(limit) + " used (" + Math.round((used * 100) / limit) + "%), as Salesforce last reported.";
  }
  const parts = chart.series.map((s) => {
    const col = column(view, s);
    if (s.total) {
      const v = view.totals && view.totals[s.total];
      return s.label + " " + (typeof v === "number" ? fmt(v) + " ms" : "none");
    }
    if (s.gauge) {
      const now = latest(col), max = most(col);
      if (now === null) return s.label + " none";
      return s.label + " " + fmt(now) + " now" + (max > now ? " (at most " + fmt(max) + ")" : "");
    }
    return s.label + " " + fmt(sum(col));
  });
  return "In the " + range + ": " + parts.join(", ") + ".";
}
