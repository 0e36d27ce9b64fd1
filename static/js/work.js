// Sales Engagement: this module holds the work item the agent is about to
// call (kept in sessionStorage across a reload) and completes it with the
// call's disposition once its Task is saved.
import { api } from "./opencti.js";
import { bind, completes } from "./lib/work.js";

let work = JSON.parse(sessionStorage.getItem("zoomcti.work") || "null");
const dispositions = new Map(); // call id -> the disposition the agent saved

function setWork(w) {
  work = w;
  if (w) sessionStorage.setItem("zoomcti.work", JSON.stringify(w));
  else sessionStorage.removeItem("zoomcti.work");
}

// onWorkStart is Open CTI's hvs.onWorkStart listener.
export function onWorkStart(payload) {
  if (!payload || !payload.workId) return;
  const to = String(payload.attributes && payload.attributes.to || "");
  setWork({ workId: payload.workId, to, callId: null });
}

// onCall ties the item to its call when the call shows up.
export function onCall(call) {
  const w = bind(work, call);
  if (w !== work) setWork(w);
}

// noteDisposition is told the disposition of a wrap-up being saved
// (before the request: the "logged" message can beat its answer).
export function noteDisposition(callID, disposition) {
  if (disposition === null) dispositions.delete(callID);
  else dispositions.set(callID, disposition);
}

// complete is told that callID's Task was written; call is what the page
// knows of that call. fail is told when Salesforce refuses.
export async function complete(callID, taskID, call, fail) {
  const w = work;
  if (!completes(w, callID, call)) return;
  setWork(null);
  const cti = await api;
  if (!cti.hvs || typeof cti.hvs.completeWork !== "function") return;
  cti.hvs.completeWork({
    workId: w.workId,
    attributes: {
      disposition: dispositions.get(callID) || "",
      taskId: taskID,
      wasConnected: !!call && call.result === "completed",
    },
    callback: (r) => {
      if (r && r.success === false) fail("Sales Engagement did not take the call: " + ((r.errors || [])[0] || {}).description);
    },
  });
}
