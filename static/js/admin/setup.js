// The Set-up Guide card: GET /api/admin/setup drawn as the steps an admin
// takes, each with its checks' live ✓/✗ and the fix for each ✗. The checks
// are zoomcti doctor's own, run by the server for the admin's org. This
// module owns which request is the latest.
import { $, el } from "../dom.js";
import * as api from "./api.js";
import { guideRef, headline, stateOf, tally } from "../lib/setup.js";
import { sentence } from "../lib/wrapup.js";

let seq = 0;
let told = () => {};

// onResult is told each guide's tally ({ok, fail, evidence, unknown}).
export function onResult(fn) {
  told = fn;
}

function mark(state, small) {
  const s = stateOf(state);
  return el("span", { class: "zc-mark" + (small ? " zc-mark_small" : ""), "data-state": state, "aria-hidden": "true", text: s.mark });
}

function stateText(state) {
  return el("span", { class: "zc-state", "data-state": state, text: stateOf(state).label });
}

function checkItem(c) {
  const body = el("div", {},
    el("div", {}, el("span", { class: "zc-check-name", text: c.name }), " ", stateText(c.state)),
    c.detail ? el("div", { class: "slds-text-body_small zc-check-detail", text: c.detail }) : null,
    c.state === "fail" && c.fix ? el("div", { class: "slds-text-body_small zc-fix" }, el("strong", { text: "Fix: " }), el("span", { class: "zc-fix-text", text: c.fix })) : null);
  return el("li", { "data-check": c.id, "data-state": c.state }, mark(c.state, true), body);
}

function stepItem(st, i) {
  const id = "setup-step-" + st.id;
  return el("li", { class: "slds-setup-assistant__item", id, "data-step": st.id, "data-state": st.state },
    el("div", { class: "zc-step" }, mark(st.state),
      el("div", { class: "zc-step-body" },
        el("h3", { class: "zc-step-title" }, el("span", { text: (i + 1) + ". " + st.title }),
          el("span", { class: "slds-badge zc-where", text: st.where }), stateText(st.state)),
        st.how ? el("p", { class: "slds-text-body_small zc-step-how", text: st.how }) : null,
        st.guide ? el("p", { class: "slds-text-body_small slds-text-color_weak", text: "In the set-up guide: " + guideRef(st.guide) }) : null,
        el("ul", { class: "zc-step-checks", "aria-label": st.title + ": checks" }, ...(st.checks || []).map(checkItem)))));
}

function fmtTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// load runs the checks (they call Salesforce and Zoom: a few seconds).
export async function load() {
  const mine = ++seq;
  const card = $("setup-card");
  card.dataset.state = "loading";
  $("setup-recheck").disabled = true;
  $("setup-when").textContent = "Checking…";
  const res = await api.request("GET", "/api/admin/setup");
  if (mine !== seq) return;
  $("setup-recheck").disabled = false;
  if (!res.ok) {
    card.dataset.state = "error";
    $("setup-when").textContent = "";
    $("setup-headline").textContent = res.data.error ? sentence(res.data.error) : "The checks could not run; try again.";
    return;
  }
  const g = res.data;
  const list = $("setup-steps");
  list.textContent = "";
  (g.steps || []).forEach((st, i) => list.append(stepItem(st, i)));
  $("setup-headline").textContent = headline(g.steps);
  $("setup-when").textContent = "Checked at " + fmtTime(g.checked) + " as " + (g.as_user || "you");
  card.dataset.state = "ready";
  told(tally(g.steps));
}

export function init() {
  $("setup-recheck").onclick = load;
}
