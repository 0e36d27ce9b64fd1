// The Health card: read-only, from GET /api/admin/status. This module owns
// which request is the latest.
import { $, el } from "../dom.js";
import * as session from "../session.js";
import { sentence } from "../lib/wrapup.js";

// The server's queues, in the order a call goes through them.
const queueLabel = {
  "events.ring": "Ringing events waiting (screen pops)",
  events: "Other Zoom events waiting",
  outbox: "Call logs waiting for Salesforce",
};

let seq = 0;

function problem(res, fallback) {
  if (res.status === 401) return "Your session ended: close Settings and sign in again.";
  return res.data.error ? sentence(res.data.error) : fallback;
}

export async function load() {
  const mine = ++seq;
  $("set-health").dataset.state = "loading";
  $("set-health-when").textContent = "Checking…";
  let res;
  try { res = await session.request("GET", "/api/admin/status"); } catch (e) { res = session.offline("Could not reach zoomcti: check your connection."); }
  if (mine !== seq) return;
  const box = $("set-health-body");
  box.textContent = "";
  if (!res.ok) {
    $("set-health").dataset.state = "error";
    $("set-health-when").textContent = "";
    box.append(el("p", { class: "zc-error-text", text: problem(res, "The status is unavailable; try again.") }));
    return;
  }
  render(res.data);
  $("set-health").dataset.state = "ready";
  $("set-health-when").textContent = "Checked " + fmtTime(new Date());
}

function render(h) {
  const dl = el("dl", { class: "zc-health" });
  const row = (term, ...desc) => dl.append(el("dt", { text: term }), el("dd", {}, ...desc));
  const u = h.api_usage;
  if (u && u.limit > 0) {
    const pct = Math.round((u.used * 100) / u.limit);
    row("Salesforce API requests (last 24 hours)",
      el("span", { "data-health": "usage", text: fmtInt(u.used) + " of " + fmtInt(u.limit) + " used (" + pct + "%)" }),
      el("meter", { min: 0, max: u.limit, value: u.used, low: u.limit * 0.5, high: u.limit * 0.8, optimum: 0, "aria-label": "Salesforce API requests used" }),
      el("span", { class: "slds-text-color_weak", text: "As Salesforce reported it " + fmtWhen(u.at) + "." }));
  } else {
    row("Salesforce API requests (last 24 hours)",
      el("span", { class: "slds-text-color_weak", "data-health": "usage", text: "Not reported yet: Salesforce reports it with each request zoomcti makes." }));
  }
  row("Requests to Salesforce", h.api_paused
    ? el("span", { class: "zc-bad", "data-health": "paused" }, el("strong", { text: "Paused" }),
      ": the org's API limit was reached. Pops use the console's search and call logs wait; zoomcti tries again within five minutes.")
    : el("span", { class: "zc-good", "data-health": "paused", text: "Running" }));
  const zr = h.zoom_refusal;
  row("Zoom app", zr
    ? el("span", { class: "zc-bad", "data-health": "zoom" }, el("strong", { text: "Refused " + fmtWhen(zr.at) }), ": " + zr.message)
    : el("span", { class: "zc-good", "data-health": "zoom", text: "No refusal from Zoom in the last seven days" }));
  const queues = h.queues || {};
  const known = Object.keys(queueLabel);
  const rank = (q) => (known.includes(q) ? known.indexOf(q) : known.length);
  for (const name of Object.keys(queues).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    row(queueLabel[name] || "Queue " + name, el("span", { "data-health": "queue-" + name, text: fmtInt(queues[name]) }));
  }
  const box = $("set-health-body");
  box.append(dl);
  const counters = h.counters || {};
  const names = Object.keys(counters).sort();
  if (names.length) {
    const cl = el("dl", { class: "zc-health zc-counters" });
    for (const n of names) cl.append(el("dt", { text: n.replace(/_/g, " ") }), el("dd", { text: fmtInt(counters[n]) }));
    box.append(el("details", {}, el("summary", { text: "This org, last hour" }), cl));
  }
}

function fmtInt(n) {
  return Number(n || 0).toLocaleString();
}

function fmtTime(d) {
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function fmtWhen(iso) {
  const d = new Date(iso);
  if (isNaN(d) || d.getFullYear() < 2000) return "at an unknown time";
  if (d.toDateString() === new Date().toDateString()) return "today at " + fmtTime(d);
  return "on " + d.toLocaleDateString([], { month: "short", day: "numeric" }) + " at " + fmtTime(d);
}
