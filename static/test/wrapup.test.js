import { test } from "node:test";
import assert from "node:assert/strict";
import { accountsOf, isLead, localErrors, people, prefill, recordName, sentence, whoOf } from "../js/lib/wrapup.js";
import { bind, completes } from "../js/lib/work.js";
import { dialable, fmtDuration, sameNumber } from "../js/lib/numbers.js";
import { allowedOrigin } from "../js/lib/origin.js";

const call = {
  id: "7400", number: "+12025550142", direction: "inbound",
  matches: [
    { id: "003A", name: "Ada Lovelace", type: "Contact", account_id: "001E", account_name: "Analytical Engines Ltd" },
    { id: "00QH", name: "Hedy Lamarr", type: "Lead" },
    { id: "001E", name: "Analytical Engines Ltd", type: "Account" },
  ],
};

test("the wrap-up offers the number's people and their Accounts, once each", () => {
  assert.deepEqual(people(call).map((m) => m.id), ["003A", "00QH"]);
  assert.deepEqual(accountsOf(call), [{ id: "001E", name: "Analytical Engines Ltd", type: "Account" }]);
  assert.equal(recordName(call, "001E"), "Analytical Engines Ltd");
  assert.equal(recordName(call, "001X"), "001X");
  assert.equal(whoOf(call), "Ada Lovelace");
  assert.equal(whoOf({ number: "+1202" }), "+1202");
  assert.ok(isLead("00QH") && !isLead("003A") && !isLead(""));
});

test("a search typed but not chosen is caught before saving", () => {
  assert.deepEqual(Object.keys(localErrors({ editableWho: true, whoPending: true, whatPending: true })), ["who_id", "what_id"]);
  assert.deepEqual(Object.keys(localErrors({ editableWho: false, whoPending: true, whatPending: false })), []);
  assert.equal(sentence("outcome is required"), "Outcome is required.");
  assert.equal(sentence("Done!"), "Done!");
});

test("Sales Engagement: the work item's call is the first outbound call to its number", () => {
  const work = { workId: "0Zy1", to: "(202) 555-0142", callId: null };
  assert.equal(bind(work, { id: "in", direction: "inbound", number: "+12025550142" }), work);
  const bound = bind(work, { id: "out", direction: "outbound", number: "+12025550142" });
  assert.equal(bound.callId, "out");
  assert.equal(bind(bound, { id: "later", direction: "outbound", number: "+12025550142" }), bound);
  assert.ok(completes(bound, "out") && !completes(bound, "later") && !completes(null, "out"));
  assert.ok(completes(work, "x", { direction: "outbound", number: "2025550142" }), "unbound: the call's number decides");
});

test("numbers", () => {
  assert.ok(sameNumber("(202) 555-0142", "+12025550142"));
  assert.ok(sameNumber("555-0142", "+12025550142"), "seven digits are enough");
  assert.ok(!sameNumber("50142", "+12025550142"), "fewer are not");
  assert.equal(dialable(" +1 (202) 555-0177 "), "+12025550177");
  assert.equal(dialable("abc"), "");
  assert.equal(fmtDuration(3599), "59:59");
});

test("Open CTI is loaded only from the Salesforce origins the server allows", () => {
  const allowed = ["https://*.force.com", "http://127.0.0.1:8081"];
  const cases = [
    { in: "https://acme.lightning.force.com", want: "https://acme.lightning.force.com" },
    { in: "https://force.com", want: null },
    { in: "https://evil.com/?x=.force.com", want: null },
    { in: "http://acme.force.com", want: null },
    { in: "http://127.0.0.1:8081", want: "http://127.0.0.1:8081" },
    { in: "http://127.0.0.1:8082", want: null },
    { in: "not a url", want: null },
  ];
  for (const c of cases) assert.equal(allowedOrigin(c.in, allowed), c.want, c.in);
});

test("the form shows the draft, or the agent's last edit over it", () => {
  const draft = { subject: "Call from +12025550142", who_id: "003A", what_id: "001E", fields: { Topic__c: "x" } };
  assert.deepEqual(prefill(draft, null), { subject: draft.subject, notes: "", disposition: "", who_id: "003A", what_id: "001E", fields: { Topic__c: "x" } });
  assert.deepEqual(prefill(draft, { notes: "Call back", disposition: "Left Voicemail", fields: { Topic__c: "y" } }),
    { subject: draft.subject, notes: "Call back", disposition: "Left Voicemail", who_id: "003A", what_id: "001E", fields: { Topic__c: "y" } });
  const none = prefill(draft, { who_id: "none" });
  assert.equal(none.who_id, "");
  assert.equal(none.what_id, "001E", "Related To stays when the Name is cleared");
  const other = prefill(draft, { who_id: "003G" });
  assert.equal(other.who_id, "003G");
  assert.equal(other.what_id, "", "the draft's Account went with the draft's Contact");
  assert.equal(prefill(draft, { who_id: "003G", what_id: "006D" }).what_id, "006D");
  const unrelated = prefill(draft, { what_id: "none" });
  assert.equal(unrelated.what_id, "", "Related To cleared");
  assert.equal(unrelated.who_id, "003A", "the Name stays when Related To is cleared");
  assert.equal(prefill(draft, { subject: "Renewal" }).subject, "Renewal");
});
