// Click to dial, apart from the page: what the agent is asked before a
// number they clicked in Salesforce is dialled, and what is dialled.
import { dialable } from "./numbers.js";

// request reads Open CTI's onClickToDial payload ({number, recordId,
// recordName, objectType}); null when there is nothing to dial.
export function request(payload) {
  const raw = String((payload && payload.number) || "").trim();
  const number = dialable(raw);
  if (!number) return null;
  const record = payload.recordId ? { id: String(payload.recordId), name: String(payload.recordName || ""), type: String(payload.objectType || "") } : null;
  return { raw, number, e164: "", record };
}

// withE164 is the request once the server read the number by the org's
// phone rules (E.164, "" when it could not).
export function withE164(req, e164) {
  return req && e164 ? { ...req, e164 } : req;
}

// target is what Zoom is asked to dial: the number in E.164 when the org's
// rules read it, else the number as clicked with its + kept (never a +
// dropped or URL-encoded: reference zoom-smart-embed §10).
export function target(req) {
  return req.e164 || req.number;
}

// recordLabel names the record the number was clicked on.
export function recordLabel(req) {
  if (!req.record) return "";
  const name = req.record.name || req.record.id;
  return req.record.type ? name + " · " + req.record.type : name;
}
