import { test } from "node:test";
import assert from "node:assert/strict";
import { elapsed, LOOKUP, matchLabel, note, view } from "../js/lib/callcard.js";

const ada = { id: "003A", name: "Ada Lovelace", type: "Contact", account_id: "001E", account_name: "Analytical Engines Ltd" };
const augusta = { id: "003B", name: "Augusta King", type: "Contact" };
const globex = { id: "001G", name: "Globex Corporation", type: "Account", account_name: "Globex Corporation" };

test("a match says its Account, an Account its name once", () => {
  assert.equal(matchLabel(ada), "Ada Lovelace · Contact · Analytical Engines Ltd");
  assert.equal(matchLabel(globex), "Globex Corporation · Account");
});

test("the note under the matches", () => {
  const cases = [
    { name: "no match", call: { state: "ringing", direction: "inbound", matches: [] }, want: "No matching Contact, Lead or Account." },
    { name: "internal, no match", call: { state: "ringing", direction: "internal", matches: [] }, want: "" },
    { name: "one match", call: { state: "ringing", direction: "inbound", matches: [ada] }, want: "" },
    { name: "several, live", call: { state: "answered", direction: "inbound", matches: [ada, augusta] }, want: "Several records match: pick one." },
    { name: "several, ended unpicked", call: { state: "ended", direction: "inbound", matches: [ada, augusta] }, want: "" },
    { name: "several, picked", call: { state: "ended", direction: "inbound", matches: [ada, augusta], chosen: "003B" }, want: "Logged on the record you picked." },
    { name: "lookup waiting", call: { state: "ringing", direction: "inbound", matches: null, lookup: "waiting" }, want: LOOKUP.waiting.live },
    { name: "lookup waiting, ended", call: { state: "ended", direction: "inbound", matches: [], lookup: "waiting" }, want: LOOKUP.waiting.ended },
    { name: "API limit", call: { state: "ringing", direction: "inbound", matches: [], lookup: "paused" }, want: LOOKUP.paused.live },
    { name: "signed out", call: { state: "answered", direction: "inbound", matches: [], lookup: "signed_out" }, want: LOOKUP.signed_out.live },
    { name: "found since", call: { state: "answered", direction: "inbound", matches: [ada], lookup: "waiting" }, want: "" },
  ];
  for (const c of cases) assert.equal(note(c.call), c.want, c.name);
});

test("the card marks the pick only when there is a choice", () => {
  const two = view({ id: "1", state: "ringing", direction: "inbound", number: "+12025550142", matches: [ada, augusta], chosen: "003B" });
  assert.deepEqual(two.matches.map((m) => m.pressed), [false, true]);
  assert.equal(two.direction, "Incoming call");
  assert.equal(two.stateLabel, "Ringing");
  const one = view({ id: "2", state: "ended", result: "missed", direction: "outbound", matches: [ada] });
  assert.deepEqual(one.matches.map((m) => m.pressed), [null]);
  assert.equal(one.stateLabel, "Ended · missed");
  assert.equal(one.number, "Unknown number");
});

test("the timer runs from the answer and stops at the call's duration", () => {
  const answered = "2026-12-05T10:00:00Z";
  assert.equal(elapsed({ state: "ringing" }, Date.parse(answered)), null);
  assert.equal(elapsed({ state: "answered", answered }, Date.parse(answered) + 61000), 61);
  assert.equal(elapsed({ state: "ended", answered, duration: 75 }, Date.parse(answered) + 999000), 75);
});

test("a lookup that could not ask Salesforce never says no match", () => {
  for (const lookup of Object.keys(LOOKUP)) {
    for (const state of ["ringing", "answered", "ended"]) {
      const v = view({ id: "3", state, direction: "inbound", number: "+12025550142", name: "EXAMPLE CUSTOMER", lookup });
      assert.doesNotMatch(v.note, /No matching/, lookup + " " + state);
      assert.equal(v.lookup, lookup);
      assert.equal(v.name, "EXAMPLE CUSTOMER");
    }
  }
});
