// The Recent calls list: the last ten calls, newest first, each once.
import { DIRECTION } from "./callcard.js";
import { fmtDuration } from "./numbers.js";

export const MAX = 10;

// remember puts call first, replacing an older copy of it.
export function remember(list, call) {
  return [call, ...list.filter((c) => c.id !== call.id)].slice(0, MAX);
}

// markLogged returns the list with the call marked logged (the same list
// when it is not in it).
export function markLogged(list, callID) {
  if (!list.some((c) => c.id === callID)) return list;
  return list.map((c) => (c.id === callID ? { ...c, logged: true } : c));
}

// row is what one line of the list says.
export function row(c) {
  const who = (c.matches && c.matches[0] ? c.matches[0].name : c.name || c.number || "Unknown number") + " · " + (DIRECTION[c.direction] || "Call");
  const how = (c.result === "completed" ? fmtDuration(c.duration) : c.result || "") + (c.logged ? " · logged" : "") + (c.edited ? " · edited" : "");
  return { who, how };
}
