// The wrap-up form: the agent logs a call by hand (Auto Save Call Logs
// off), or changes a saved call's log ("Edit log": its Name, Related To,
// notes...; the Task is updated, PATCH /api/calllogs/{call}). This module
// owns the form being edited, in which mode, and whether it is saving.
import { $, el, option, spinner } from "../dom.js";
import * as session from "../session.js";
import * as toast from "../toast.js";
import * as work from "../work.js";
import * as calls from "../calls.js";
import * as list from "./list.js";
import { Picker } from "./picker.js";
import { accountsOf, describeCall, isLead, localErrors, people, prefill, recordName, sentence, whoOf } from "../lib/wrapup.js";

let open = null; // the log being edited: {call, draft, edit, mode: "wrapup" | "edit"}
// Calls whose edit Salesforce has taken: the server's log_updated can come
// before the PATCH's own answer, which must not then say "Saving" again.
const settled = new Set();
let saving = false;
let whoPicker, whatPicker;

// editSettled notes that the server said the call's edited log is in
// Salesforce (log_updated).
export function editSettled(callID) {
  settled.add(callID);
}

export function openID() {
  return open ? open.call.id : null;
}

export function isOpen() {
  return !!open;
}

// A call logged on a Lead cannot be related to anything else.
function onWhoChange(id) {
  const lead = isLead(id);
  const what = $("wu-what-q");
  // A chosen record, or a search typed and not chosen: a disabled box
  // must not keep text the save would refuse.
  if (lead && (whatPicker.id || whatPicker.pending())) whatPicker.set(null);
  what.disabled = lead;
  what.placeholder = lead ? "Not available for a Lead" : whatPlaceholder();
}

function whatPlaceholder() {
  const f = list.formSpec();
  const objs = (f && f.related_to_objects) || [];
  return objs.length ? "Search " + objs.join(", ") : "Search records";
}

// show opens the form for callID's log waiting for its wrap-up. It takes
// the keyboard only when the agent asked for the form (focus) or is
// working in the softphone already: a form that opens by itself as a call
// ends must not steal the keys the agent is typing elsewhere in Salesforce.
export function show(callID, { focus = false } = {}) {
  const w = list.find(callID);
  if (!w || saving) return;
  draw({ call: w.call, draft: w.draft || {}, edit: null, mode: "wrapup" }, focus);
}

// editSaved opens the form on a saved call's log (GET /api/calllogs/{call}:
// {call, draft, edit}), prefilled with what the Task says now.
export function editSaved(saved, { focus = true } = {}) {
  if (!saved || !saved.call || saving) return;
  draw({ call: saved.call, draft: saved.draft || {}, edit: saved.edit || null, mode: "edit" }, focus);
}

// editLog opens the form on callID's saved log, read from the server; a
// call without one says why in the softphone.
export async function editLog(callID) {
  let res;
  try {
    res = await session.request("GET", "/api/calllogs/" + encodeURIComponent(callID));
  } catch (err) {
    res = session.offline("Cannot open the call log: check your connection and try again.");
  }
  if (!res.ok) {
    calls.setLogMessage(callID, sentence(res.data.error || "Cannot open the call log; try again."), res.status === 409 ? "info" : "error");
    return;
  }
  if (!list.formSpec()) await list.load();
  editSaved(res.data);
}

function draw(w, focus) {
  const f = list.formSpec();
  if (!f) return;
  open = w;
  const call = w.call, v = prefill(w.draft, w.edit);
  const editing = w.mode === "edit";
  $("wrapup").dataset.callId = call.id;
  $("wrapup").dataset.mode = w.mode;
  $("wu-title").textContent = editing ? "Edit call log" : "Log this call";
  $("wu-later").textContent = editing ? "Cancel" : "Later";
  $("wu-discard").hidden = editing;
  $("wu-call").textContent = whoOf(call) + " — " + describeCall(call);
  $("wu-subject").value = v.subject;
  $("wu-notes").value = v.notes;

  $("wu-disposition-field").hidden = !f.sales_engagement;
  const disp = $("wu-disposition");
  disp.textContent = "";
  disp.append(option("", "— None —"));
  for (const d of f.dispositions || []) disp.append(option(d, d));
  disp.value = v.disposition;

  // Name: among the number's matches, or any Contact or Lead when the
  // admin lets agents search.
  const ppl = people(call);
  const who = $("wu-who");
  $("wu-who-select").hidden = f.editable_who;
  who.hidden = f.editable_who;
  $("wu-who-picker").hidden = !f.editable_who;
  $("wu-who-label").htmlFor = f.editable_who ? "wu-who-q" : "wu-who";
  who.textContent = "";
  who.append(option("", ppl.length ? "— None —" : "No Contact or Lead matches the number"));
  for (const m of ppl) who.append(option(m.id, m.name + " · " + m.type + (m.account_name ? " · " + m.account_name : "")));
  who.value = v.who_id;
  who.disabled = ppl.length === 0;
  whoPicker.set(v.who_id ? { id: v.who_id, name: recordName(call, v.who_id) } : null);
  whoPicker.chips(ppl.map((m) => ({ id: m.id, name: m.name, type: m.type })));

  whatPicker.set(v.what_id ? { id: v.what_id, name: recordName(call, v.what_id) } : null);
  whatPicker.chips(accountsOf(call));
  onWhoChange(f.editable_who ? whoPicker.id : who.value);

  renderExtraFields(f.fields || [], v.fields);
  clearErrors();
  setFormMsg("");
  $("wu-confirm").hidden = true;
  $("wrapup").hidden = false;
  list.markOpen(editing ? null : call.id);
  reveal(focus);
}

// reveal scrolls the Calls pane (only it: scrollIntoView would scroll the
// Salesforce page around the frame too) to the form, and focuses its notes
// when it may.
function reveal(focus) {
  const pane = $("phone");
  pane.scrollTop += $("wrapup").getBoundingClientRect().top - pane.getBoundingClientRect().top;
  if (focus || document.hasFocus()) $("wu-notes").focus({ preventScroll: true });
}

export function close() {
  open = null;
  $("wrapup").hidden = true;
  $("wu-confirm").hidden = true;
  list.markOpen(null);
}

// The admin's extra Task fields, in the admin's order.
function renderExtraFields(fields, draftFields) {
  const box = $("wu-fields");
  box.textContent = "";
  fields.forEach((f, i) => {
    const id = "wu-f-" + i;
    const label = el("label", { class: "slds-form-element__label", for: id });
    if (f.required) label.append(el("abbr", { class: "slds-required", title: "required", text: "*" }));
    label.append(f.label);
    let control;
    if (f.type === "picklist") {
      control = el("select", { class: "slds-select" }, option("", "— None —"), ...(f.options || []).map((o) => option(o, o)));
    } else if (f.type === "textarea") {
      control = el("textarea", { class: "slds-textarea", rows: 2 });
    } else {
      control = el("input", { class: "slds-input", type: "text", maxLength: 255 });
    }
    control.id = id;
    control.dataset.field = f.name;
    control.dataset.key = "fields." + f.name;
    // Checked by the server, which names the problem next to the field;
    // `required` would let the browser block the save with its own bubble.
    if (f.required) control.setAttribute("aria-required", "true");
    control.value = draftFields[f.name] !== undefined ? draftFields[f.name] : f.default || "";
    control.setAttribute("aria-describedby", id + "-err");
    const wrapControl = f.type === "picklist" ? el("div", { class: "slds-select_container" }, control) : control;
    box.append(el("div", { class: "slds-form-element" },
      label, el("div", { class: "slds-form-element__control" }, wrapControl),
      el("div", { id: id + "-err", class: "slds-form-element__help", "data-error-for": "fields." + f.name, hidden: true })));
  });
}

function errorEl(key) {
  return [...$("wu-form").querySelectorAll("[data-error-for]")].find((e) => e.dataset.errorFor === key);
}

function controlFor(key) {
  if (key === "who_id") return list.formSpec() && list.formSpec().editable_who ? $("wu-who-q") : $("wu-who");
  return [...$("wu-form").querySelectorAll("[data-key]")].find((c) => c.dataset.key === key) || null;
}

function clearError(key) {
  const e = errorEl(key);
  if (e) {
    e.textContent = "";
    e.hidden = true;
    const fe = e.closest(".slds-form-element");
    if (fe) fe.classList.remove("slds-has-error");
  }
  const c = controlFor(key);
  if (c) c.removeAttribute("aria-invalid");
}

function clearErrors() {
  for (const e of $("wu-form").querySelectorAll("[data-error-for]")) clearError(e.dataset.errorFor);
}

// showErrors puts each message under its control; one for a control the
// form does not show goes into the form's message instead.
function showErrors(fields) {
  const stray = [];
  let first = null;
  for (const [key, msg] of Object.entries(fields || {})) {
    const e = errorEl(key), control = controlFor(key);
    if (!e || e.closest("[hidden]:not([data-error-for])")) { stray.push(key + ": " + msg); continue; }
    e.textContent = sentence(msg);
    e.hidden = false;
    e.closest(".slds-form-element").classList.add("slds-has-error");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      first = first || control;
    }
  }
  if (first) first.focus();
  return stray;
}

function setFormMsg(text, tone) {
  toast.show($("wu-msg"), text, tone || "info");
}

function editOf(f) {
  // A box left empty sends "" where the draft names nothing, and "none"
  // (clear it) where the draft names a record.
  const draft = (open && open.draft) || {};
  const who = (f.editable_who ? whoPicker.id : $("wu-who").value) || (draft.who_id ? "none" : "");
  const what = whatPicker.id || (draft.what_id ? "none" : "");
  const fields = {};
  for (const c of $("wu-fields").querySelectorAll("[data-field]")) fields[c.dataset.field] = c.value;
  return {
    subject: $("wu-subject").value,
    notes: $("wu-notes").value,
    disposition: f.sales_engagement ? $("wu-disposition").value : "",
    who_id: who,
    what_id: what,
    fields,
  };
}

function setSaving(on, label) {
  saving = on;
  $("wu-save").disabled = on;
  const s = $("wu-spinner");
  s.textContent = "";
  if (on) s.append(spinner(label));
}

async function save(e) {
  e.preventDefault();
  const w = open, f = list.formSpec();
  if (!w || !f || saving) return;
  clearErrors();
  setFormMsg("");
  const local = localErrors({ editableWho: f.editable_who, whoPending: whoPicker.pending(), whatPending: whatPicker.pending() });
  if (Object.keys(local).length) { showErrors(local); setFormMsg("Check the highlighted fields.", "error"); return; }

  const edit = editOf(f);
  if (w.mode === "edit") { await saveEdit(w, edit); return; }
  // Noted before the request: the Task can be written, and its "logged"
  // message arrive, before this request's answer does.
  work.noteDisposition(w.call.id, edit.disposition);
  setSaving(true, "Saving");
  let res;
  try {
    res = await session.request("POST", "/api/calllogs/" + encodeURIComponent(w.call.id), edit);
  } catch (err) {
    res = session.offline("Not saved: check your connection and try again.");
  }
  setSaving(false);
  if (res.status !== 202) work.noteDisposition(w.call.id, null);
  if (res.status === 202) {
    // Queued: the "logged" message follows once Salesforce has the Task
    // (or came already).
    close();
    list.drop(w.call.id);
    const logged = (calls.get(w.call.id) || {}).logged;
    list.setMessage(logged ? "Call log saved to Salesforce." : "Saving the log of the call with " + whoOf(w.call) + "…", w.call.id, logged ? "success" : "info");
    list.load();
  } else if (res.status === 400) {
    const stray = showErrors(res.data.fields);
    setFormMsg([sentence(res.data.error || "Check the highlighted fields."), ...stray].join(" "), "error");
  } else if (res.status === 404) {
    close();
    list.drop(w.call.id);
    list.setMessage("That call log was already saved or discarded.", null, "info");
    list.load();
  } else {
    setFormMsg(res.data.error || "Not saved; try again.", "error");
  }
}

// saveEdit changes a saved log: the Task is updated in Salesforce (the
// server says "log_updated" once it is).
async function saveEdit(w, edit) {
  setSaving(true, "Saving");
  settled.delete(w.call.id);
  let res;
  try {
    res = await session.request("PATCH", "/api/calllogs/" + encodeURIComponent(w.call.id), edit);
  } catch (err) {
    res = session.offline("Not saved: check your connection and try again.");
  }
  setSaving(false);
  if (res.status === 202) {
    close();
    if (!settled.has(w.call.id)) calls.setLogMessage(w.call.id, "Saving your changes to the call log…", "info");
  } else if (res.status === 400) {
    const stray = showErrors(res.data.fields);
    setFormMsg([sentence(res.data.error || "Check the highlighted fields."), ...stray].join(" "), "error");
  } else {
    setFormMsg(sentence(res.data.error || "Not saved; try again."), "error");
  }
}

async function discard() {
  const w = open;
  if (!w || saving) return;
  setSaving(true, "Discarding");
  let res;
  try {
    res = await session.request("DELETE", "/api/calllogs/" + encodeURIComponent(w.call.id));
  } catch (err) {
    res = session.offline("Not discarded: check your connection and try again.");
  }
  setSaving(false);
  if (res.ok || res.status === 404) {
    close();
    list.drop(w.call.id);
    list.setMessage(res.ok ? "Call log discarded." : "That call log was already saved or discarded.", null, "info");
    list.load();
    return;
  }
  $("wu-confirm").hidden = true;
  setFormMsg(res.data.error || "Not discarded; try again.", "error");
}

// Discarding cannot be undone, so it asks first, inside the page: a
// confirm() dialog may be blocked in Salesforce's cross-origin frame.
function askDiscard() {
  $("wu-confirm").hidden = false;
  $("wu-discard-no").focus();
}

function keep() {
  $("wu-confirm").hidden = true;
  $("wu-discard").focus();
}

// edited: a control the agent changed no longer has the error it had.
function edited(e) {
  const key = e.target.dataset && e.target.dataset.key;
  if (key) clearError(key);
  if (e.target.id === "wu-who-q" || e.target.id === "wu-who") clearError("who_id");
  if (e.target.id === "wu-what-q") clearError("what_id");
}

export function init() {
  whoPicker = new Picker("wu-who", "who", (id) => { clearError("who_id"); onWhoChange(id); });
  whatPicker = new Picker("wu-what", "what", () => clearError("what_id"));
  $("wu-form").addEventListener("submit", save);
  $("wu-form").addEventListener("input", edited);
  $("wu-form").addEventListener("change", edited);
  $("wu-who").addEventListener("change", () => onWhoChange($("wu-who").value));
  $("wu-later").onclick = close;
  $("wu-discard").onclick = askDiscard;
  $("wu-discard-yes").onclick = discard;
  $("wu-discard-no").onclick = keep;
  $("wu-confirm").addEventListener("keydown", (e) => { if (e.key === "Escape") keep(); });
}
