// Catching up from the admin page: POST /api/admin/reconcile for the period
// the admin picks, its progress streamed line by line into a progress bar
// and a line per agent, then the summary, unsaved wrap-ups counted apart
// from the calls logged. This module owns the run in progress.
import { $, el } from "../dom.js";
import * as api from "./api.js";
import { SUMMARY, agentLine, lines, percent, period } from "../lib/reconcile.js";
import { sentence } from "../lib/wrapup.js";

let running = null; // the AbortController of the run in progress

function setStatus(text, error) {
  const p = $("reconcile-status");
  p.textContent = text;
  p.classList.toggle("zc-error-text", !!error);
}

function setBar(pct) {
  $("reconcile-bar").setAttribute("aria-valuenow", String(pct));
  $("reconcile-bar-value").style.width = pct + "%";
  $("reconcile-bar-text").textContent = pct + "%";
}

function progress(p) {
  setBar(percent(p));
  if (!p.agent) {
    setStatus(p.total ? "Reading the call history of " + p.total + (p.total === 1 ? " agent…" : " agents…") : "No agent of your org has linked Zoom: nothing to catch up.");
    return;
  }
  setStatus(p.done + " of " + p.total + " agents done…");
  $("reconcile-agents").append(el("li", { text: agentLine(p) }));
}

function summary(s) {
  setBar(100);
  const dl = $("reconcile-summary");
  dl.textContent = "";
  for (const f of SUMMARY) dl.append(el("dt", { text: f.label }), el("dd", { "data-summary": f.key, text: Number(s[f.key] || 0).toLocaleString("en-US") }));
  dl.hidden = false;
  const errs = $("reconcile-errors");
  errs.textContent = "";
  for (const e of s.errors || []) errs.append(el("li", { text: sentence(e) }));
  errs.hidden = !(s.errors && s.errors.length);
  const logged = s.logged_now || 0, waiting = s.unsaved_wrapups || 0;
  setStatus("Done: " + logged + (logged === 1 ? " call" : " calls") + " logged now" +
    (waiting ? "; " + waiting + (waiting === 1 ? " call waits" : " calls wait") + " for the agent's wrap-up" : "") + ".", !!s.failed);
  $("reconcile-run").dataset.state = "done";
}

async function start(e) {
  e.preventDefault();
  if (running) return;
  const p = period($("reconcile-period").value, new Date(), $("reconcile-from").value, $("reconcile-to").value);
  $("reconcile-run").hidden = false;
  $("reconcile-agents").textContent = "";
  $("reconcile-summary").hidden = true;
  $("reconcile-errors").hidden = true;
  setBar(0);
  if (p.error) { setStatus(p.error, true); $("reconcile-run").dataset.state = "error"; return; }
  running = new AbortController();
  $("reconcile-run").dataset.state = "running";
  $("reconcile-start").disabled = true;
  $("reconcile-stop").hidden = false;
  setStatus("Starting…");
  const reader = lines();
  const take = (objs) => {
    for (const o of objs) {
      if (o.progress) progress(o.progress);
      else if (o.summary) summary(o.summary);
      else if (o.error) { setStatus(sentence(o.error), true); $("reconcile-run").dataset.state = "error"; }
    }
  };
  try {
    const res = await api.stream("/api/admin/reconcile", { from: p.from.toISOString(), to: p.to.toISOString() }, (t) => take(reader.push(t)), running.signal);
    take(reader.end());
    if (!res.ok) {
      setStatus(res.data.error ? sentence(res.data.error) : "The catch-up could not start; try again.", true);
      $("reconcile-run").dataset.state = "error";
    }
  } catch (err) {
    const stopped = running.signal.aborted;
    setStatus(stopped ? "Stopped after the agent in progress." : "The connection to zoomcti was lost: the catch-up stops after the agent in progress.", !stopped);
    $("reconcile-run").dataset.state = stopped ? "stopped" : "error";
  } finally {
    running = null;
    $("reconcile-start").disabled = false;
    $("reconcile-stop").hidden = true;
  }
}

export function init() {
  $("reconcile-form").addEventListener("submit", start);
  $("reconcile-stop").onclick = () => running && running.abort();
  $("reconcile-period").addEventListener("change", () => { $("reconcile-days").hidden = $("reconcile-period").value !== "custom"; });
}
