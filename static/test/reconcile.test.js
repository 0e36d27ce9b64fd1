import { test } from "node:test";
import assert from "node:assert/strict";
import { agentLine, lines, percent, period } from "../js/lib/reconcile.js";

const now = new Date(2026, 11, 5, 14, 30); // 5 December 2026, 14:30 local

test("the periods an admin picks", () => {
  const cases = [
    { kind: "today", from: new Date(2026, 11, 5), to: now },
    { kind: "yesterday", from: new Date(2026, 11, 4), to: new Date(2026, 11, 5) },
    { kind: "week", from: new Date(2026, 10, 29), to: now },
    { kind: "custom", a: "2026-11-01", b: "2026-11-07", from: new Date(2026, 10, 1), to: new Date(2026, 10, 8) },
    { kind: "custom", a: "2026-12-04", b: "", from: new Date(2026, 11, 4), to: new Date(2026, 11, 5) },
    // A last day still going ends now.
    { kind: "custom", a: "2026-12-01", b: "2026-12-05", from: new Date(2026, 11, 1), to: now },
  ];
  for (const c of cases) {
    const got = period(c.kind, now, c.a, c.b);
    assert.deepEqual(got, { from: c.from, to: c.to }, c.kind + " " + (c.a || ""));
  }
});

test("periods that make no sense are refused with a reason", () => {
  assert.match(period("custom", now, "", "").error, /first day/);
  assert.match(period("custom", now, "2026-02-30", "").error, /first day/);
  assert.match(period("custom", now, "2026-11-07", "2026-11-01").error, /before the first/);
  assert.match(period("custom", now, "2026-12-06", "2026-12-07").error, /not come yet/);
  assert.match(period("", now).error, /Pick a period/);
});

test("JSON lines are read whole, however the stream cuts them", () => {
  const r = lines();
  assert.deepEqual(r.push('{"progress":{"done":0,'), []);
  assert.deepEqual(r.push('"total":2}}\n{"progress"'), [{ progress: { done: 0, total: 2 } }]);
  assert.deepEqual(r.push(':{"done":1}}\n\n{"summary":{"seen":3}}'), [{ progress: { done: 1 } }]);
  assert.deepEqual(r.end(), [{ summary: { seen: 3 } }]);
  assert.deepEqual(r.end(), []);
  assert.match(lines().push("oops\n")[0].error, /unreadable/);
});

test("an agent's progress in words, unsaved wrap-ups apart from the logged", () => {
  assert.equal(agentLine({ agent: "alice@example.com", seen: 6, already_logged: 4, logged_now: 1, unsaved_wrapups: 1 }),
    "alice@example.com: 6 calls, 4 already logged, 1 logged now, 1 unsaved wrap-up");
  assert.equal(agentLine({ agent: "bob@example.com", seen: 1, failed: 1 }),
    "bob@example.com: 1 call, 0 already logged, 0 logged now, 0 unsaved wrap-ups, 1 failed");
  assert.equal(percent({ done: 1, total: 4 }), 25);
  assert.equal(percent({ done: 0, total: 0 }), 0);
});
