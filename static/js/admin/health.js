// The Health tab: the charts, polled every few seconds (the server adds each
// instance's figures to the store every flush_seconds) while the tab is in
// view, the Now card (settings/health.js, as the softphone shows it) and the
// agents table, less often. This module owns the polling.
import { $ } from "../dom.js";
import * as api from "./api.js";
import * as agents from "./agents.js";
import * as charts from "./charts.js";
import * as status from "../settings/health.js";
import { sentence } from "../lib/wrapup.js";

const AGENTS_EVERY = 60_000; // the agents table scans the store: not every few seconds
const STATUS_EVERY = 30_000;

const st = { on: false, range: "hour", timer: 0, seq: 0, agentsAt: 0, statusAt: 0, every: 5000, totals: "" };

function fmtTime(d) {
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

async function tick() {
  clearTimeout(st.timer);
  if (!st.on) return;
  if (document.hidden) { st.timer = setTimeout(tick, st.every); return; }
  const mine = ++st.seq;
  const res = await api.request("GET", "/api/admin/health?range=" + st.range);
  if (mine !== st.seq || !st.on) return;
  if (res.ok) {
    $("health-msg").textContent = "";
    charts.render(res.data);
    st.every = Math.max(2, res.data.flush_seconds || 5) * 1000;
    $("health-when").textContent = "Updated at " + fmtTime(new Date()) + ", every " + st.every / 1000 + " seconds";
    $("adm-health").dataset.updated = String(Date.now());
    // New calls: the agents' last calls changed too.
    const totals = JSON.stringify(res.data.totals || {});
    if (st.totals && totals !== st.totals) st.agentsAt = 0;
    st.totals = totals;
  } else {
    $("health-msg").textContent = res.data.error ? sentence(res.data.error) : "The figures are unavailable; trying again.";
  }
  const now = Date.now();
  if (now - st.agentsAt >= AGENTS_EVERY) { st.agentsAt = now; agents.load(); }
  if (now - st.statusAt >= STATUS_EVERY) { st.statusAt = now; status.load(); }
  st.timer = setTimeout(tick, st.every); // the next round
}

// show starts the polling (the tab came into view); hide stops it.
export function show() {
  if (st.on) return;
  st.on = true;
  st.agentsAt = st.statusAt = 0;
  st.totals = "";
  tick();
}

export function hide() {
  st.on = false;
  st.seq++;
  clearTimeout(st.timer);
}

export function init() {
  charts.build($("charts"));
  for (const r of document.getElementsByName("health-range")) {
    r.addEventListener("change", () => {
      if (!r.checked) return;
      st.range = r.value;
      st.totals = "";
      tick();
    });
  }
  $("set-health-refresh").onclick = status.load;
  document.addEventListener("visibilitychange", () => { if (!document.hidden && st.on) tick(); });
}
