// The call card and Recent calls. This module owns the call on the card,
// its timer, the recent list (kept in the frame's sessionStorage for the
// agent signed in, so that it survives a reload) and the calls seen lately
// (for messages that name a call by id).
import { $, el, icon, recordIcon } from "./dom.js";
import * as toast from "./toast.js";
import { elapsed, view } from "./lib/callcard.js";
import { KnownCalls } from "./lib/known.js";
import { fmtDuration } from "./lib/numbers.js";
import * as recent from "./lib/recent.js";

const known = new KnownCalls();
let onCard = null; // the call on the card
let timer = null;
let recentCalls = [];
let recentOwner = null; // the agent (user id) the recent calls belong to
const RECENT_KEY = "zoomcti.recent";
let onPick = () => {};
let onEdit = () => {};
const popWhere = new Map(); // call id -> "here" | "elsewhere": which console tab popped it

// onChoose is told the record the agent picked among several matches.
export function onChoose(fn) {
  onPick = fn;
}

// onEditLog is told the call whose log the agent wants to change ("Edit
// log" on the ended call's card or in Recent calls).
export function onEditLog(fn) {
  onEdit = fn;
}

// setLogMessage reports on a call's log: on the card when the call is on
// it, else under Recent calls.
export function setLogMessage(callID, text, tone) {
  const onIt = onCard && onCard.id === callID && !$("call").hidden;
  toast.show($("call-msg"), onIt ? text : "", tone);
  toast.show($("recent-msg"), onIt ? "" : text, tone);
}

export function know(call) {
  known.know(call);
}

export function get(id) {
  return known.get(id);
}

// current is the call on the card, or null.
export function current() {
  return onCard;
}

// recentList is the recent calls, newest first.
export function recentList() {
  return recentCalls;
}

// show draws a call the server described.
export function show(call) {
  know(call);
  if (!onCard || onCard.id !== call.id) toast.show($("call-msg"), "");
  onCard = call;
  render(call);
  if (call.state === "ended") remember(call);
}

// logged marks the call's Task as written.
export function logged(callID) {
  known.markLogged(callID);
  const before = recentCalls;
  recentCalls = recent.markLogged(recentCalls, callID);
  if (recentCalls !== before) { saveRecent(); renderRecent(); }
  if (onCard && onCard.id === callID) $("call-note").textContent = "Call logged to Salesforce.";
}

// popped notes which console tab popped the call: this one ("here") or
// another of the agent's ("elsewhere", whose card says so).
export function popped(callID, where) {
  if (!where) return;
  popWhere.set(callID, where);
  if (popWhere.size > 50) popWhere.delete(popWhere.keys().next().value);
  if (onCard && onCard.id === callID) renderPop(callID);
}

function renderPop(callID) {
  const where = popWhere.get(callID) || "";
  $("call").dataset.pop = where;
  $("call-where").textContent = where === "elsewhere" ? "Opened in another Salesforce tab." : "";
}

const DIR_ICON = { inbound: "incoming_call", outbound: "outbound_call" };

function render(call) {
  const v = view(call);
  const card = $("call");
  card.hidden = false;
  card.dataset.callId = v.id;
  card.dataset.state = v.state;
  card.dataset.lookup = v.lookup;
  card.classList.toggle("zc-ended", v.ended);
  const ic = $("call-icon");
  ic.textContent = "";
  ic.append(icon(DIR_ICON[call.direction] || "call", { size: "small" }));
  $("call-dir").textContent = v.direction;
  $("call-state").textContent = v.stateLabel;
  $("call-state").dataset.state = v.state;
  $("call-number").textContent = v.number;
  $("call-name").textContent = v.name;
  $("call-queue").textContent = v.queue;
  const list = $("call-matches");
  list.textContent = "";
  for (const m of v.matches) {
    const b = el("button", { type: "button", class: "slds-button zc-match", "data-record-id": m.id },
      recordIcon(m.type), el("span", { class: "zc-match-label", text: m.label }));
    if (m.pressed !== null) {
      // The one picked is the one the call is logged on; it stays marked
      // across a reload and in every tab (the server keeps it).
      b.setAttribute("aria-pressed", String(m.pressed));
      if (m.pressed) b.append(icon("check", { label: "picked" }));
    }
    b.onclick = () => onPick(call, m.id, v.several);
    list.append(el("li", {}, b));
  }
  $("call-note").textContent = v.note;
  renderPop(call.id);
  $("call-actions").hidden = !v.ended || call.direction === "internal";
  $("call-edit-log").onclick = () => onEdit(call.id);
  clearInterval(timer);
  const tick = () => {
    const s = elapsed(call, Date.now());
    $("call-timer").textContent = s === null ? "" : fmtDuration(s);
  };
  tick();
  if (!v.ended) timer = setInterval(tick, 1000);
}

// setAgent restores the recent calls of the agent signed in (their user
// id), or forgets them when nobody is (null): the next agent in this tab
// must not see them.
export function setAgent(userID) {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(RECENT_KEY) || "null"); } catch (e) { saved = null; }
  recentOwner = userID || null;
  recentCalls = recentOwner && saved && saved.user === recentOwner && Array.isArray(saved.calls) ? saved.calls : [];
  for (const c of recentCalls) known.know(c);
  if (!recentOwner) sessionStorage.removeItem(RECENT_KEY);
  renderRecent();
}

function saveRecent() {
  if (recentOwner) sessionStorage.setItem(RECENT_KEY, JSON.stringify({ user: recentOwner, calls: recentCalls }));
}

function remember(call) {
  recentCalls = recent.remember(recentCalls, call);
  saveRecent();
  renderRecent();
}

function renderRecent() {
  const ul = $("recent");
  ul.textContent = "";
  if (recentCalls.length === 0) {
    ul.append(el("li", { class: "slds-text-color_weak zc-empty", text: "No calls yet." }));
    return;
  }
  for (const c of recentCalls) {
    const r = recent.row(c);
    const edit = c.direction === "internal" ? null
      : el("button", { type: "button", class: "slds-button zc-small-button zc-recent-edit", "data-call-id": c.id, "aria-label": "Edit log of " + r.who, text: "Edit log" });
    if (edit) edit.onclick = () => onEdit(c.id);
    ul.append(el("li", { class: "slds-item zc-recent-row" },
      el("span", { class: "slds-truncate", text: r.who }), el("span", { class: "slds-text-color_weak", text: r.how }), edit));
  }
}

// embedSays lets Zoom's embed be first to say the live call moved on: the
// card's label only, and only for the call on the card.
export function embedSays(callID, label) {
  if (!onCard || onCard.id !== callID || onCard.state === "ended" || $("call").hidden) return;
  $("call-state").textContent = label;
}
