// The settings form: the org's settings cards (cards.js) read and written
// as one document through /api/settings, with the page's own checks, the
// server's errors next to their controls, and "unsaved changes". The
// softphone's Settings panel (panel.js) and the admin page (admin/) both
// show it; the form's parts have the same ids in both. This module owns
// the form's state: the document it was filled from, the errors shown.
import { $ } from "../dom.js";
import * as session from "../session.js";
import * as toast from "../toast.js";
import * as cards from "./cards.js";
import { afterLocalCheck, labelOf, validate, withoutKey } from "../lib/settings.js";
import { sentence } from "../lib/wrapup.js";

const ui = {
  root: null, // the element whose data-state says loading, ready, saving or error
  sessionEnded: "Your session ended: sign in again.", // what a 401 says
  onSaved: () => {}, // told after each save the server took
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

// dirty: the form holds changes not saved yet.
export function dirty() {
  return ui.loaded && JSON.stringify(collect()) !== ui.baseline;
}

export function isLoaded() {
  return ui.loaded;
}

// changed follows every edit: what shows depends on other settings, and
// the footer says when something is not saved yet.
function changed() {
  if (!ui.loaded) return;
  const doc = collect();
  cards.applyShowIf(doc);
  $("set-dirty").hidden = JSON.stringify(doc) === ui.baseline;
  ui.root.dispatchEvent(new CustomEvent("zc-dirty", { detail: !$("set-dirty").hidden }));
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

export function setMsg(text, tone) {
  toast.show($("set-msg"), text, tone || "info");
}

function busy(on, label) {
  $("set-spinner").hidden = !on;
  $("set-spinner-text").textContent = label || "";
}

// --- Load, save, reset ---------------------------------------------------------------

function problem(res, fallback) {
  if (res.status === 401) return ui.sessionEnded;
  return res.data.error ? sentence(res.data.error) : fallback;
}

export async function load() {
  const seq = ++ui.loadSeq;
  ui.loaded = false;
  ui.root.dataset.state = "loading";
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
    ui.root.dataset.state = "error";
    setMsg(problem(res, "Could not load the settings; try again."), "error");
    return;
  }
  ui.defaults = res.data.defaults || null;
  ui.countries = res.data.countries || [];
  show(res.data.settings || {});
  $("set-cards").hidden = false;
  $("set-save").disabled = false;
  $("set-reset").disabled = !ui.defaults;
  ui.root.dataset.state = "ready";
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
  ui.root.dataset.state = "saving";
  setMsg("");
  busy(true, "Saving…");
  let res;
  try { res = await session.request("PUT", "/api/settings", doc); } catch (err) { res = session.offline("Not saved: check your connection and try again."); }
  ui.saving = false;
  busy(false);
  $("set-save").disabled = false;
  ui.root.dataset.state = "ready";
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
    ui.onSaved();
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

// forget drops the form's contents: the next load fills it afresh.
export function forget() {
  ui.loadSeq++;
  ui.loaded = false;
  ui.base = null;
  ui.baseline = "";
  $("set-dirty").hidden = true;
  setErrors({});
  setMsg("");
}

// edited: an edited control's error is out of date.
function edited(e) {
  const key = e.target.dataset && e.target.dataset.key;
  if (key && Object.keys(ui.errors).some((k) => k === key || k.startsWith(key + "["))) {
    setErrors(withoutKey(ui.errors, key));
  }
  changed();
}

// init builds the cards in #set-cards and wires the form. root is the
// element whose data-state tells the form's state (and hears "zc-dirty"
// events); sessionEnded is what to say when the session has ended;
// onSaved is told after each save. Leaving the page with changes unsaved
// asks first.
export function init({ root, sessionEnded, onSaved }) {
  ui.root = root;
  if (sessionEnded) ui.sessionEnded = sessionEnded;
  if (onSaved) ui.onSaved = onSaved;
  cards.build();
  cards.onChange(changed);
  $("set-reset").onclick = resetToDefaults;
  $("set-form").addEventListener("submit", save);
  $("set-form").addEventListener("input", edited);
  $("set-form").addEventListener("change", edited);
  window.addEventListener("beforeunload", (e) => { if (dirty()) e.preventDefault(); });
}
