// The admin's settings cards in the softphone: the Zoom for Lightning
// settings of the admin's Salesforce org (form.js: load, save, errors) and
// the Health card, in a panel over the phone. Only admins see the Settings
// button; the server refuses anyone else anyway. A change applies to the
// next call. This module owns the panel: who it is for, whether it is open.
import { $ } from "../dom.js";
import * as header from "../header.js";
import * as tabs from "../tabs.js";
import * as calls from "../calls.js";
import * as form from "./form.js";
import * as health from "./health.js";
import { DIRECTION, isLive, stateLabel } from "../lib/callcard.js";

const ui = {
  agent: null,
};

// --- Opening and closing the panel ---------------------------------------------------

function isOpen() {
  return !$("settings").hidden;
}

async function open() {
  if (!ui.agent || !ui.agent.admin) return;
  tabs.cover(true);
  $("settings").hidden = false;
  $("set-confirm").hidden = true;
  header.setTitle("Settings", { back: true });
  noteCall();
  $("app-title").focus();
  health.load();
  if (form.dirty()) {
    // Left for a call with changes unsaved: they are still here.
    form.setMsg("Your unsaved changes are still here.", "info");
    return;
  }
  await form.load();
}

// Back asks first when something is not saved, inside the page: a
// confirm() dialog may be blocked in Salesforce's cross-origin frame.
function requestClose() {
  if (form.dirty()) {
    $("set-confirm").hidden = false;
    $("set-confirm-stay").focus();
    return;
  }
  close(true);
}

// close goes back to the phone; discard forgets the form's contents.
export function close(discard) {
  $("set-confirm").hidden = true;
  $("settings").hidden = true;
  header.setTitle("Zoom Phone");
  tabs.cover(false);
  if (discard) form.forget();
  const b = $("settings-btn");
  if (!b.hidden) b.focus();
}

function keepEditing() {
  $("set-confirm").hidden = true;
  $("set-back").focus();
}

// setAgent is told who is signed in (null: nobody). Only admins get the
// button; another user, or one no longer an admin, loses the open form.
export function setAgent(agent) {
  const admin = !!(agent && agent.admin);
  const same = !!(agent && ui.agent && agent.org_id === ui.agent.org_id && agent.user_id === ui.agent.user_id);
  ui.agent = agent || null;
  $("settings-btn").hidden = !admin;
  if (!admin || !same) {
    if (isOpen()) close(true);
    else form.forget();
  }
}

// The phone is hidden behind the panel: a live call says so, with a way back.
export function noteCall() {
  if (!isOpen()) return;
  const call = calls.current();
  const live = isLive(call) && !$("call").hidden;
  $("set-call").hidden = !live;
  if (live) $("set-call-text").textContent = [DIRECTION[call.direction] || "Call", call.number, stateLabel(call)].filter(Boolean).join(" · ");
}

export function init() {
  form.init({ root: $("settings"), sessionEnded: "Your session ended: close Settings and sign in again." });
  $("settings-btn").onclick = open;
  $("set-back").onclick = () => (isOpen() ? requestClose() : null);
  $("set-confirm-leave").onclick = () => close(true);
  $("set-confirm-stay").onclick = keepEditing;
  $("set-confirm").addEventListener("keydown", (e) => { if (e.key === "Escape") keepEditing(); });
  $("set-call-btn").onclick = () => close(false);
  $("set-health-refresh").onclick = health.load;
}
