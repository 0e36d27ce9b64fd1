import { test } from "node:test";
import assert from "node:assert/strict";
import { recordLabel, request, target, withE164 } from "../js/lib/dial.js";

test("a clicked number keeps its + and is dialled in E.164 once read", () => {
  const r = request({ number: "+44 20 7946 0018", recordId: "003T", recordName: "Alan Turing", objectType: "Contact" });
  assert.equal(r.number, "+442079460018");
  assert.equal(target(r), "+442079460018");
  assert.equal(recordLabel(r), "Alan Turing · Contact");
  const us = request({ number: "(202) 555-0142" });
  assert.equal(target(us), "2025550142", "as clicked, before the org's rules read it");
  assert.equal(target(withE164(us, "+12025550142")), "+12025550142");
  assert.equal(target(withE164(us, "")), "2025550142");
  assert.equal(recordLabel(us), "");
});

test("nothing to dial", () => {
  for (const p of [null, {}, { number: "" }, { number: "call me" }]) assert.equal(request(p), null);
  assert.equal(request({ number: 12025550142 }).number, "12025550142", "a number typed as a number");
});
