// What the call card shows for a call the server describes (a CallView):
// pure, so that its rules are unit-tested without a page.

export const DIRECTION = { inbound: "Incoming call", outbound: "Outgoing call", internal: "Internal call" };
export const STATE = { ringing: "Ringing", answered: "On call", held: "On hold", ended: "Ended" };

// isLive says whether a call is still going on.
export function isLive(call) {
  return !!call && call.state !== "ended";
}

// matchLabel names a matching record; an Account's "account" is itself,
// so its name is said once.
export function matchLabel(m) {
  const account = m.type !== "Account" && m.account_name && m.account_name !== m.name ? " · " + m.account_name : "";
  return m.name + " · " + m.type + account;
}

// stateLabel is the card's state: "Ended · missed" once over.
export function stateLabel(call) {
  if (call.state === "ended" && call.result) return "Ended · " + call.result;
  return STATE[call.state] || call.state || "";
}

// LOOKUP says why a call has no match yet when Salesforce could not be
// asked (CallView.lookup): never "no match" for a caller it may know.
export const LOOKUP = {
  waiting: { live: "Looking the caller up: Salesforce is not answering yet. The match shows here when it does.",
    ended: "Salesforce did not answer: the call log names the caller once it does." },
  paused: { live: "Salesforce's API limit is reached: the console searches for the number instead.",
    ended: "Salesforce's API limit was reached: the call log names the caller once it can." },
  signed_out: { live: "Sign in to Salesforce again to look callers up.",
    ended: "Sign in to Salesforce again: the call log waits for you." },
};

// note is the line under the matches.
export function note(call) {
  const matches = call.matches || [];
  const lookup = matches.length === 0 && LOOKUP[call.lookup];
  if (lookup) return call.state === "ended" ? lookup.ended : lookup.live;
  if (matches.length === 0) return call.direction === "internal" ? "" : "No matching Contact, Lead or Account.";
  if (matches.length === 1) return "";
  if (call.chosen) return "Logged on the record you picked.";
  return call.state === "ended" ? "" : "Several records match: pick one.";
}

// elapsed is the seconds the timer shows at time now (ms), or null when
// the call was never answered.
export function elapsed(call, now) {
  if (!call.answered) return null;
  if (call.state === "ended") return Math.max(0, Math.round(Number(call.duration) || 0));
  return Math.max(0, Math.round((now - Date.parse(call.answered)) / 1000));
}

// view is everything the card draws.
export function view(call) {
  const matches = call.matches || [];
  const several = matches.length > 1;
  return {
    id: call.id,
    state: call.state,
    ended: call.state === "ended",
    lookup: (call.matches || []).length === 0 && LOOKUP[call.lookup] ? call.lookup : "",
    direction: DIRECTION[call.direction] || "Call",
    stateLabel: stateLabel(call),
    number: call.number || "Unknown number",
    name: call.name || "",
    queue: call.queue ? "via " + call.queue : "",
    note: note(call),
    // pressed is null when there is nothing to choose between.
    matches: matches.map((m) => ({ id: m.id, type: m.type, label: matchLabel(m), pressed: several ? call.chosen === m.id : null })),
    several,
  };
}
