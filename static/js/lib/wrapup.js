// The wrap-up form's rules, apart from the page: how a call is described,
// which records are offered, what the agent's edit sends.
import { DIRECTION } from "./callcard.js";
import { fmtDuration } from "./numbers.js";

// whoOf names the other party of a call.
export function whoOf(call) {
  const m = call.matches && call.matches[0];
  return m ? m.name : call.name || call.number || "Unknown number";
}

// fmtWhen is a time today, or a short date and time before.
export function fmtWhen(iso, now = new Date()) {
  const d = new Date(iso);
  if (isNaN(d)) return "";
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return d.toDateString() === now.toDateString() ? time : d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + time;
}

export function describeCall(call, now) {
  const parts = [DIRECTION[call.direction] || "Call", call.number || "Unknown number"];
  parts.push(call.result === "completed" ? fmtDuration(call.duration) : call.result || "");
  parts.push(fmtWhen(call.ended || call.ringing, now));
  return parts.filter(Boolean).join(" · ");
}

// people are the call's matching Contacts and Leads: the Name choices.
export function people(call) {
  return (call.matches || []).filter((m) => m.type === "Contact" || m.type === "Lead");
}

// accountsOf are the Accounts among the matches and of the matches: the
// Related To quick choices.
export function accountsOf(call) {
  const seen = new Map();
  for (const m of call.matches || []) {
    if (m.type === "Account") seen.set(m.id, { id: m.id, name: m.name, type: "Account" });
    else if (m.account_id && m.account_name) seen.set(m.account_id, { id: m.account_id, name: m.account_name, type: "Account" });
  }
  return [...seen.values()];
}

// recordName names an id the call's matches know: a match or its Account.
export function recordName(call, id) {
  for (const m of call.matches || []) {
    if (m.id === id) return m.name;
    if (m.account_id === id && m.account_name) return m.account_name;
  }
  return id;
}

// isLead: a call logged on a Lead cannot be related to anything else.
export function isLead(id) {
  return String(id || "").startsWith("00Q");
}

// prefill is what the form shows for a log: the draft (what the call
// alone logs) with the agent's last edit over it, as the server applies an
// edit (a Name of "none" is no one, a Related To of "none" is nothing; a
// new Name takes the draft's Related To with the draft's Name). edit is
// null for a log never edited.
export function prefill(draft, edit) {
  draft = draft || {};
  if (!edit) {
    return { subject: draft.subject || "", notes: "", disposition: "", who_id: draft.who_id || "", what_id: draft.what_id || "", fields: draft.fields || {} };
  }
  const newWho = edit.who_id && edit.who_id !== "none";
  return {
    subject: edit.subject || draft.subject || "",
    notes: edit.notes || "",
    disposition: edit.disposition || "",
    who_id: edit.who_id === "none" ? "" : edit.who_id || draft.who_id || "",
    what_id: edit.what_id === "none" ? "" : edit.what_id || (newWho ? "" : draft.what_id || ""),
    fields: edit.fields || {},
  };
}

// localErrors are what the page can tell before asking the server: a
// search typed but no record chosen from it.
export function localErrors({ editableWho, whoPending, whatPending }) {
  const errs = {};
  if (editableWho && whoPending) errs.who_id = "Choose a Contact or Lead from the search results, or clear the box.";
  if (whatPending) errs.what_id = "Choose a record from the search results, or clear the box.";
  return errs;
}

// sentence capitalises a message and ends it with a full stop.
export function sentence(s) {
  s = String(s || "");
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");
}
