// The admin's settings cards in the softphone: the Zoom for Lightning
// settings of the admin's Salesforce org, read and written as one document
// through /api/settings, and the Health card. Only admins see the Settings
// button; the server refuses anyone else anyway. A change applies to the
// next call. This module owns the panel's state: who it is for, the
// document it was filled from, the errors shown.
import { $ } from "../dom.js";
import * as session from "../session.js";
import * as toast from "../toast.js";
import * as header from "../header.js";
import * as tabs from "../tabs.js";
import * as calls from "../calls.js";
import * as cards from "./cards.js";
import * as health from "./health.js";
import { DIRECTION, isLive, stateLabel } from "../lib/callcard.js";
import { afterLocalCheck, labelOf, validate, withoutKey } from "../lib/settings.js";
import { sentence } from "../lib/wrapup.js";

const ui = {
  agent: null,
  base: null, // the document the form was filled from
  defaults: null,
  countries: [], // the real country codes, from the server
  baseline: "", // collect() of the form as loaded or saved, for "unsaved changes"
  loaded: false,
  saving: false,
  loadSeq: 0,
  errors: {}, // the errors shown, by key
};

function collect() {
  return cards.collect(ui.base);
}

function dirty() {
  return ui.loaded && JSON.stringify(collect()) !== ui.baseline;
}

// changed follows every edit: what shows depends on other settings, and
// the footer says when something is not saved yet.
function changed() {
  if (!ui.loaded) return;
  const doc = collect();
  cards.applyShowIf(doc);
  $("set-dirty").hidden = JSON.stringify(doc) === ui.baseline;
}

// --- Errors ------------------------------------------------------------------------

function errorEls() {
  return [...$("set-form").querySelectorAll("[data-error-for]")];
}

function controlsFor(key) {
  const base = key.replace(/\[(\d+)\]$/, "");
  const row = /\[(\d+)\]$/.exec(key);
  if (row && !key.includes(".")) {
    const c = $("set-" + base + "-" + row[1]);
    return c ? [c] : [];
  }
  return [...$("set-form").querySelectorAll("[data-key]")].filter((c) => c.dataset.key === key);
}

// render draws ui.errors: each under its own control (a list's row under
// that row); it returns the messages whose control is not shown.
function renderErrors() {
  for (const e of errorEls()) {
    e.textContent = "";
    e.hidden = true;
    e.closest(".slds-form-element").classList.remove("slds-has-error");
  }
  for (const c of $("set-form").querySelectorAll('[aria-invalid="true"]')) c.removeAttribute("aria-invalid");
  const stray = [], shown = [];
  for (const [key, msg] of Object.entries(ui.errors)) {
    const e = errorEls().find((x) => x.dataset.errorFor === key);
    if (!e || e.parentElement.closest("[hidden]")) { stray.push(labelOf(key) + ": " + msg); continue; }
    e.textContent = sentence(msg);
    e.hidden = false;
    e.closest(".slds-form-element").classList.add("slds-has-error");
    for (const c of controlsFor(key)) c.setAttribute("aria-invalid", "true");
    shown.push(e);
  }
  return { stray, shown };
}

// focusFirst puts the focus on the first error's control in the page's order.
function focusFirst(shown) {
  shown.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  if (!shown.length) return;
  const controls = controlsFor(shown[0].dataset.errorFor);
  const target = controls.find((c) => c.checked) || controls[0] || shown[0];
  target.focus();
  target.scrollIntoView({ block: "center" });
}

function setErrors(errs) {
  ui.errors = errs;
  return renderErrors();
}

function setMsg(text, tone) {
  toast.show($("set-msg"), text, tone || "info");
}

function busy(on, label) {
  $("set-spinner").hidden = !on;
  $("set-spinner-text").textContent = label || "";
}

// --- Load, save, reset ---------------------------------------------------------------

function problem(res, fallback) {
  if (res.status === 401) return "Your session ended: close Settings and sign in again.";
  return res.data.error ? sentence(res.data.error) : fallback;
}

async function load() {
  const seq = ++ui.loadSeq;
  ui.loaded = false;
  $("settings").dataset.state = "loading";
  $("set-cards").hidden = true;
  $("set-save").disabled = $("set-reset").disabled = true;
  $("set-dirty").hidden = true;
  setMsg("");
  busy(true, "Loading settings…");
  let res;
  try { res = await session.request("GET", "/api/settings"); } catch (e) { res = session.offline("Could not load the settings: check your connection."); }
  if (seq !== ui.loadSeq) return; // closed or reopened meanwhile
  busy(false);
  if (!res.ok) {
    $("settings").dataset.state = "error";
    setMsg(problem(res, "Could not load the settings; try again."), "error");
    return;
  }
  ui.defaults = res.data.defaults || null;
  ui.countries = res.data.countries || [];
  show(res.data.settings || {});
  $("set-cards").hidden = false;
  $("set-save").disabled = false;
  $("set-reset").disabled = !ui.defaults;
  $("settings").dataset.state = "ready";
}

// show fills the form from a document the server holds.
function show(doc) {
  ui.base = doc;
  ui.loaded = true;
  cards.fill(doc);
  setErrors({});
  ui.baseline = JSON.stringify(collect());
  changed();
}

async function save(e) {
  e.preventDefault();
  if (!ui.loaded || ui.saving) return;
  const doc = collect();
  const local = validate(doc, cards.rows(), ui.countries);
  if (Object.keys(local).length) {
    // The server's other errors stay: they are still true.
    const { stray, shown } = setErrors(afterLocalCheck(ui.errors, local));
    focusFirst(shown);
    setMsg(["Not saved: check the highlighted settings.", ...stray.map(sentence)].join(" "), "error");
    return;
  }
  const sent = JSON.stringify(doc);
  ui.saving = true;
  $("set-save").disabled = true;
  $("settings").dataset.state = "saving";
  setMsg("");
  busy(true, "Saving…");
  let res;
  try { res = await session.request("PUT", "/api/settings", doc); } catch (err) { res = session.offline("Not saved: check your connection and try again."); }
  ui.saving = false;
  busy(false);
  $("set-save").disabled = false;
  $("settings").dataset.state = "ready";
  if (!ui.loaded) return; // closed and discarded meanwhile
  if (res.ok) {
    setErrors({});
    if (JSON.stringify(collect()) === sent) {
      show(res.data.settings || doc);
    } else {
      // Edited while saving: keep the edits, and count them as unsaved.
      ui.base = res.data.settings || doc;
      ui.baseline = sent;
      changed();
    }
    setMsg("Saved — applies to the next call.", "success");
    return;
  }
  if (res.status === 400 && res.data.fields) {
    const { stray, shown } = setErrors(res.data.fields);
    focusFirst(shown);
    setMsg(["Not saved: check the highlighted settings.", ...stray.map(sentence)].join(" "), "error");
    return;
  }
  setMsg(problem(res, "Not saved; try again."), "error");
}

// Reset fills the form with the defaults; Save stores them.
function resetToDefaults() {
  if (!ui.loaded || !ui.defaults) return;
  cards.fill(ui.defaults);
  setErrors({});
  changed();
  setMsg("Defaults filled in. Press Save to apply them.", "info");
}

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
  if (dirty()) {
    // Left for a call with changes unsaved: they are still here.
    setMsg("Your unsaved changes are still here.", "info");
    return;
  }
  await load();
}

// Back asks first when something is not saved, inside the page: a
// confirm() dialog may be blocked in Salesforce's cross-origin frame.
function requestClose() {
  if (dirty()) {
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
  if (discard) forget();
  const b = $("settings-btn");
  if (!b.hidden) b.focus();
}

function forget() {
  ui.loadSeq++;
  ui.loaded = false;
  ui.base = null;
  ui.baseline = "";
  $("set-dirty").hidden = true;
  setErrors({});
  setMsg("");
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
    else forget();
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

// edited: an edited control's error is out of date.
function edited(e) {
  const key = e.target.dataset && e.target.dataset.key;
  if (key && Object.keys(ui.errors).some((k) => k === key || k.startsWith(key + "["))) {
    const { stray } = setErrors(withoutKey(ui.errors, key));
    void stray;
  }
  changed();
}

export function init() {
  cards.build();
  cards.onChange(changed);
  $("settings-btn").onclick = open;
  $("set-back").onclick = () => (isOpen() ? requestClose() : null);
  $("set-confirm-leave").onclick = () => close(true);
  $("set-confirm-stay").onclick = keepEditing;
  $("set-confirm").addEventListener("keydown", (e) => { if (e.key === "Escape") keepEditing(); });
  $("set-call-btn").onclick = () => close(false);
  $("set-reset").onclick = resetToDefaults;
  $("set-health-refresh").onclick = health.load;
  $("set-form").addEventListener("submit", save);
  $("set-form").addEventListener("input", edited);
  $("set-form").addEventListener("change", edited);
  window.addEventListener("beforeunload", (e) => { if (dirty()) e.preventDefault(); });
}
