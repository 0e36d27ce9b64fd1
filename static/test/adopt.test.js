import { test } from "node:test";
import assert from "node:assert/strict";
import { candidate, navigatedRecord, waitsForRecord, WINDOW_MS } from "../js/lib/adopt.js";

const now = Date.parse("2026-12-05T10:00:00Z");
const stranger = { id: "c1", direction: "inbound", number: "+12025550100", state: "answered", matches: [] };

test("a navigation to a Contact, Lead or Account names a record; others do not", () => {
  assert.deepEqual(navigatedRecord({ recordId: "003N", objectType: "Contact", recordName: "New Caller" }), { id: "003N", type: "Contact", name: "New Caller" });
  assert.equal(navigatedRecord({ recordId: "00QN", objectType: "Lead" }).type, "Lead");
  for (const nav of [null, { url: "x" }, { recordId: null, objectType: "Contact" }, { recordId: "006O", objectType: "Opportunity" }]) {
    assert.equal(navigatedRecord(nav), null);
  }
});

test("which calls wait for a record", () => {
  assert.ok(waitsForRecord(stranger, now));
  assert.ok(waitsForRecord({ ...stranger, matches: null, lookup: "paused" }, now));
  assert.ok(!waitsForRecord({ ...stranger, matches: [{ id: "003A" }] }, now), "found already");
  assert.ok(!waitsForRecord({ ...stranger, direction: "internal" }, now));
  assert.ok(!waitsForRecord({ ...stranger, number: "" }, now));
  const ended = { ...stranger, state: "ended", ended: new Date(now - 60000).toISOString() };
  assert.ok(waitsForRecord(ended, now));
  assert.ok(!waitsForRecord({ ...ended, ended: new Date(now - WINDOW_MS - 1).toISOString() }, now), "ended too long ago");
});

test("only the latest call takes the record", () => {
  const known = { ...stranger, id: "c0", matches: [{ id: "003A" }] };
  assert.equal(candidate(stranger, [known], now).id, "c1");
  assert.equal(candidate(null, [stranger, known], now).id, "c1");
  assert.equal(candidate(known, [stranger], now), null, "the call on the card has its record");
  assert.equal(candidate(null, [], now), null);
});
