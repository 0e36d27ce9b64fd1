// A record the agent creates for a caller with no match gets the call:
// Salesforce reports the navigation to it (onNavigationChange), and the
// softphone asks the server to log the call on it (the server checks it was
// created during the call, and pushes the call with its new record, which
// the card then shows). This module owns which records it asked about.
import * as calls from "./calls.js";
import * as connection from "./connection.js";
import { candidate, navigatedRecord } from "./lib/adopt.js";

const asked = new Set(); // "call id record id": asked once each

// onNavigation is Open CTI's onNavigationChange listener.
export function onNavigation(nav) {
  const rec = navigatedRecord(nav);
  if (!rec) return;
  const call = candidate(calls.current(), calls.recentList(), Date.now());
  if (!call) return;
  const key = call.id + " " + rec.id;
  if (asked.has(key)) return;
  if (!connection.send({ type: "adopt", call_id: call.id, record_id: rec.id })) return; // offline: the next navigation asks
  asked.add(key);
  if (asked.size > 100) asked.delete(asked.values().next().value);
}
