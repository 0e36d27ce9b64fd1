// The agent's unlinked call logs: with Auto Save Call Logs off, every
// ended call waits on the server until the agent saves or discards its
// log. The list comes from the server, so it survives reloads and shows
// calls that ended while the page was closed. This module owns the list,
// the form description that came with it, and its message.
import { $, el } from "../dom.js";
import * as session from "../session.js";
import * as toast from "../toast.js";
import { DIRECTION } from "../lib/callcard.js";
import { fmtWhen, whoOf } from "../lib/wrapup.js";

let form = null; // how to draw the wrap-up form (GET /api/calllogs)
let wrapups = []; // newest first
let openID = null; // the call whose form is open, marked in the list
let msgCall = null; // the call whose save the message is reporting on
let loadSeq = 0;
let hooks = { open() {}, known() {} };

// listen: open(callID, {focus}) opens a form; known(call) is told each
// call listed.
export function listen(h) {
  hooks = h;
}

export function formSpec() {
  return form;
}

export function find(callID) {
  return wrapups.find((w) => w.call.id === callID) || null;
}

export function has(callID) {
  return wrapups.some((w) => w.call.id === callID);
}

export async function load() {
  if (!session.current()) return;
  const seq = ++loadSeq;
  let res;
  try { res = await session.request("GET", "/api/calllogs"); } catch (e) { return; }
  if (seq !== loadSeq || !res.ok) return; // a newer load answers
  form = res.data.form || null;
  wrapups = res.data.wrapups || [];
  for (const w of wrapups) hooks.known(w.call);
  render();
}

// add lists a call that just ended, before the server's list confirms it.
export function add(w) {
  wrapups = [w, ...wrapups.filter((x) => x.call.id !== w.call.id)];
  render();
}

export function drop(callID) {
  wrapups = wrapups.filter((w) => w.call.id !== callID);
  render();
}

export function reset() {
  wrapups = [];
  form = null;
  openID = null;
  setMessage("");
  render();
}

// markOpen notes which form is open (null: none).
export function markOpen(callID) {
  openID = callID;
  render();
}

// setMessage reports on a call's log under the list.
export function setMessage(text, callID, tone) {
  msgCall = text ? callID || null : null;
  toast.show($("unlinked-msg"), text, tone || "success");
}

export function reportsOn(callID) {
  return msgCall === callID;
}

function render() {
  // Shown while there is something to log, and always when the admin
  // wants every call logged by hand (an empty list is good news then).
  $("unlinked").hidden = wrapups.length === 0 && (!form || form.auto_save);
  const count = $("unlinked-count");
  count.textContent = String(wrapups.length);
  count.dataset.count = String(wrapups.length);
  count.className = "slds-badge " + (wrapups.length ? "slds-badge_inverse zc-badge-due" : "slds-theme_success");
  const ul = $("unlinked-list");
  ul.textContent = "";
  if (wrapups.length === 0) ul.append(el("li", { class: "slds-text-color_weak zc-empty", text: "Every call is logged." }));
  for (const w of wrapups) {
    const b = el("button", { type: "button", class: "slds-button zc-row-button", "data-call-id": w.call.id },
      el("span", { class: "slds-truncate", text: whoOf(w.call) + " · " + (DIRECTION[w.call.direction] || "Call") }),
      el("span", { class: "slds-text-color_weak", text: fmtWhen(w.created) }));
    if (openID === w.call.id) b.setAttribute("aria-current", "true");
    b.onclick = () => hooks.open(w.call.id, { focus: true });
    ul.append(el("li", { class: "slds-item" }, b));
  }
}
