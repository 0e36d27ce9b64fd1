// Screen pops: the server decides what to pop (msg.pop); the page asks the
// console, once per call across every console tab.
import { api, showPanel } from "./opencti.js";

// Calls this tab popped already (a reload must not pop again).
const popped = new Set(JSON.parse(sessionStorage.getItem("zoomcti.popped") || "[]"));

export async function pop(msg) {
  const call = msg.call;
  const p = msg.pop;
  if (!p || popped.has(call.id)) return;
  popped.add(call.id);
  sessionStorage.setItem("zoomcti.popped", JSON.stringify([...popped].slice(-50)));
  if (!(await claim(call.id))) return;
  const cti = await api;
  if (call.direction === "inbound") showPanel();
  if (p.kind === "record") {
    cti.screenPop({ type: cti.SCREENPOP_TYPE.SOBJECT, params: { recordId: p.record_id } });
  } else if (p.kind === "search") {
    cti.screenPop({ type: cti.SCREENPOP_TYPE.SEARCH, params: { searchString: p.search_string } });
  } else if (p.kind === "new") {
    cti.screenPop({
      type: cti.SCREENPOP_TYPE.NEW_RECORD_MODAL,
      params: { entityName: p.entity_name, defaultFieldValues: p.default_fields || {} },
    });
  } else if (p.kind === "flow") {
    // The flow's input variable must be named Phone and typed String, or
    // Salesforce silently drops the argument.
    const number = call.number || (p.default_fields && p.default_fields.Phone) || "";
    cti.screenPop({
      type: cti.SCREENPOP_TYPE.FLOW,
      params: { flowDevName: p.flow, flowArgs: [{ name: "Phone", type: "String", value: number }] },
    });
  } else if (p.kind === "layout") {
    // The org's softphone layout decides what several matches pop.
    const callType = { inbound: cti.CALL_TYPE.INBOUND, outbound: cti.CALL_TYPE.OUTBOUND, internal: cti.CALL_TYPE.INTERNAL };
    cti.searchAndScreenPop({
      searchParams: p.search_string,
      callType: callType[p.call_type] || cti.CALL_TYPE.INBOUND,
      defaultFieldValues: p.default_fields || {},
      deferred: false,
    });
  }
  // "choose": the agent picks one of the matches listed in the call card.
}

// popRecord opens one record (the agent clicked a match).
export async function popRecord(id) {
  const cti = await api;
  cti.screenPop({ type: cti.SCREENPOP_TYPE.SOBJECT, params: { recordId: id } });
}

// Every console tab runs this page and hears the call: one of them pops
// it, the visible one first. They share storage (one top-level site), so
// the first to mark the call under a Web Lock wins.
async function claim(callID) {
  const key = "zoomcti.pop." + callID;
  if (document.visibilityState !== "visible") await new Promise((r) => setTimeout(r, 400));
  const mark = () => {
    if (localStorage.getItem(key)) return false;
    localStorage.setItem(key, String(Date.now()));
    return true;
  };
  try {
    return navigator.locks ? await navigator.locks.request("zoomcti.pop", mark) : mark();
  } catch (e) {
    return true; // no storage here: this tab pops
  }
}

// Claims older than a day are forgotten.
export function forgetOldPops() {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith("zoomcti.pop.") && Date.now() - Number(localStorage.getItem(k)) > 86400000) localStorage.removeItem(k);
    }
  } catch (e) { /* no storage */ }
}
