// Sales Engagement work items (reference §7): the work item the agent is
// about to call is completed once that call's Task is saved. Pure rules;
// static/js/work.js keeps the item and talks to Open CTI.
import { sameNumber } from "./numbers.js";

// isWorkCall says whether call is the outbound call to the item's number.
export function isWorkCall(work, call) {
  return !!work && !!call && call.direction === "outbound" && sameNumber(call.number, work.to);
}

// bind ties the item to the first outbound call to its number; it returns
// the item, changed or not.
export function bind(work, call) {
  if (work && !work.callId && isWorkCall(work, call)) return { ...work, callId: call.id };
  return work;
}

// completes says whether the Task of callID completes the item; call is
// what the page knows of that call (or undefined).
export function completes(work, callID, call) {
  if (!work) return false;
  return work.callId ? work.callId === callID : isWorkCall(work, call);
}
