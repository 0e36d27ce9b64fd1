// The agents table: GET /api/admin/agents, the admin's own org's agents
// (Zoom linked, re-authorisation or sign-in needed, last call). This module
// owns which request is the latest.
import { $, el } from "../dom.js";
import * as api from "./api.js";
import { ago, counts, salesforce, zoom } from "../lib/agents.js";
import { sentence } from "../lib/wrapup.js";

let seq = 0;

function badge(v) {
  return el("div", {}, el("span", { class: "slds-badge zc-tone-" + v.tone, text: v.text }),
    v.why ? el("div", { class: "slds-text-body_small zc-help", text: sentence(v.why) }) : null);
}

function row(a, now) {
  return el("tr", { "data-user": a.user_id },
    el("th", { scope: "row" },
      el("div", {}, el("strong", { text: a.name || a.username || a.user_id }), a.admin ? el("span", { class: "slds-badge slds-m-left_x-small", text: "Admin" }) : null),
      el("div", { class: "slds-text-body_small slds-text-color_weak", text: a.username || "" })),
    el("td", {}, badge(zoom(a))),
    el("td", {}, badge(salesforce(a))),
    el("td", { title: a.last_call ? new Date(a.last_call).toLocaleString() : "", text: ago(a.last_call, now) }));
}

export async function load() {
  const mine = ++seq;
  const res = await api.request("GET", "/api/admin/agents");
  if (mine !== seq) return;
  const body = $("agents-body");
  if (!res.ok) {
    $("agents-count").textContent = res.data.error ? sentence(res.data.error) : "Could not list the agents.";
    return;
  }
  const rows = res.data.agents || [];
  const now = Date.now();
  body.textContent = "";
  if (!rows.length) body.append(el("tr", {}, el("td", { colSpan: 4, class: "slds-text-color_weak", text: "Nobody of your org has signed in to zoomcti yet." })));
  for (const a of rows) body.append(row(a, now));
  const n = counts(rows);
  $("agents-count").textContent = n.agents + (n.agents === 1 ? " agent" : " agents") + ", " + n.linked + " linked to Zoom" +
    (n.attention ? ", " + n.attention + " to look at" : "");
  $("agents-card").dataset.state = "ready";
}
