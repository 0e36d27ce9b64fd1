// Screen pops: the server decides what to pop (msg.pop); the page asks the
// console, once per call across every console tab.
import * as connection from "./connection.js";
import { api, showPanel } from "./opencti.js";

// Calls this tab popped already (a reload must not pop again).
const popped = new Set(JSON.parse(sessionStorage.getItem("zoomcti.popped") || "[]"));

// pop asks the console for the pop the server decided, unless another tab
// does. It resolves to "here" (this tab popped), "elsewhere" (another tab
// did) or null (nothing to pop, or popped before).
export async function pop(msg) {
  const call = msg.call;
  const p = msg.pop;
  if (!p || popped.has(call.id)) return null;
  popped.add(call.id);
  sessionStorage.setItem("zoomcti.popped", JSON.stringify([...popped].slice(-50)));
  if (p.kind === "choose") return null; // the agent picks among the matches in the card
  if (!(await claim(call.id))) return "elsewhere";
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
  return "here";
}

// popRecord opens one record (the agent clicked a match).
export async function popRecord(id) {
  const cti = await api;
  cti.screenPop({ type: cti.SCREENPOP_TYPE.SOBJECT, params: { recordId: id } });
}

// Every console tab runs this page and hears the call: one of them pops
// it. The server settles which (the first softphone to claim the call):
// the tabs share storage, but a mark in localStorage is not atomic across
// the browser's processes, even under a Web Lock, so two tabs could both
// find the call unmarked. A hidden tab claims a moment later than a
// visible one, so that the agent's own tab pops when it can.
const claims = new Map(); // call id -> resolve(granted)
const HIDDEN_DELAY_MS = 400;
const ANSWER_WAIT_MS = 3000;

async function claim(callID) {
  if (document.visibilityState !== "visible") await new Promise((r) => setTimeout(r, HIDDEN_DELAY_MS));
  return new Promise((resolve) => {
    // Offline, or no answer: this tab pops (twice beats never).
    const timer = setTimeout(() => answer(callID, true), ANSWER_WAIT_MS);
    claims.set(callID, (granted) => { clearTimeout(timer); resolve(granted); });
    if (!connection.send({ type: "pop", call_id: callID })) answer(callID, true);
  });
}

function answer(callID, granted) {
  const resolve = claims.get(callID);
  if (!resolve) return;
  claims.delete(callID);
  resolve(granted);
}

// claimed is the server's answer to this tab's claim.
export function claimed(msg) {
  answer(String(msg.call_id || ""), msg.granted === true);
}
