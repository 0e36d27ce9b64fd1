import { test } from "node:test";
import assert from "node:assert/strict";
import { guideRef, headline, stateOf, tally } from "../js/lib/setup.js";

test("a check's state as the admin reads it", () => {
  assert.equal(stateOf("ok").mark, "✓");
  assert.equal(stateOf("fail").mark, "✗");
  assert.equal(stateOf("unknown").label, "Can't check from here");
  assert.equal(stateOf("something new").label, "Can't check from here");
});

test("the guide in a sentence", () => {
  const steps = [{ state: "ok" }, { state: "evidence" }, { state: "fail" }, { state: "unknown" }, { state: "ok" }];
  assert.deepEqual(tally(steps), { ok: 2, fail: 1, evidence: 1, unknown: 1 });
  assert.equal(headline(steps), "3 of 5 steps done, 1 needs fixing, 1 can't be checked from here.");
  assert.equal(headline([{ state: "ok" }, { state: "ok" }]), "2 of 2 steps done.");
  assert.equal(headline([{ state: "fail" }, { state: "fail" }]), "0 of 2 steps done, 2 need fixing.");
  assert.equal(headline([]), "No steps to show.");
});

test("a step's section of the set-up guide", () => {
  assert.equal(guideRef("docs/setup.md#31-the-external-client-app"), "docs/setup.md § 3.1");
  assert.equal(guideRef("docs/setup.md#42-account-settings"), "docs/setup.md § 4.2");
  assert.equal(guideRef("docs/setup.md"), "docs/setup.md");
  assert.equal(guideRef(""), "");
});
