// A caller with no match: the agent creates their record from the no-match
// pop (a new Contact or Lead, or an Account), and Salesforce reports the
// navigation to it (Open CTI's onNavigationChange). The softphone then asks
// the server to log the call on it; the server takes only a record created
// since the call began. These are the rules, apart from the page.

// WINDOW_MS is how long after a call ended a record created for it still
// gets it (the server's limit: the agent finishing the new record's form).
export const WINDOW_MS = 30 * 60 * 1000;

const OBJECTS = ["Contact", "Lead", "Account"];

// navigatedRecord is the record the console shows after a navigation, when
// it is one a call can be logged on; else null.
export function navigatedRecord(nav) {
  if (!nav || typeof nav.recordId !== "string" || !nav.recordId) return null;
  if (!OBJECTS.includes(nav.objectType)) return null;
  return { id: nav.recordId, type: nav.objectType, name: nav.recordName || "" };
}

// waitsForRecord says whether a call has no record to be logged on and may
// take one: not internal, a number, no match, and live or ended lately.
export function waitsForRecord(call, now) {
  if (!call || call.direction === "internal" || !call.number) return false;
  if ((call.matches || []).length > 0) return false;
  if (call.state !== "ended") return true;
  const ended = Date.parse(call.ended || "");
  return !isNaN(ended) && now - ended <= WINDOW_MS;
}

// candidate is the call a record just navigated to is for: the call on the
// card, else the latest recent call, when it waits for a record.
export function candidate(current, recent, now) {
  for (const c of [current, ...(recent || [])]) {
    if (!c) continue;
    return waitsForRecord(c, now) ? c : null; // only the latest call counts
  }
  return null;
}
