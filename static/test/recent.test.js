import { test } from "node:test";
import assert from "node:assert/strict";
import { markLogged, MAX, remember, row } from "../js/lib/recent.js";
import { KnownCalls } from "../js/lib/known.js";

test("recent calls: newest first, each once, at most ten", () => {
  let list = [];
  for (let i = 0; i < 12; i++) list = remember(list, { id: "c" + i });
  assert.equal(list.length, MAX);
  assert.equal(list[0].id, "c11");
  list = remember(list, { id: "c5", result: "completed" });
  assert.deepEqual(list.slice(0, 2).map((c) => c.id), ["c5", "c11"]);
  assert.equal(list.filter((c) => c.id === "c5").length, 1);
});

test("a logged call says so; an unknown one changes nothing", () => {
  const list = [{ id: "a", number: "+12025550100", direction: "inbound", result: "completed", duration: 65 }];
  assert.equal(markLogged(list, "zzz"), list);
  const logged = markLogged(list, "a");
  assert.notEqual(logged, list);
  assert.deepEqual(row(logged[0]), { who: "+12025550100 · Incoming call", how: "1:05 · logged" });
  assert.equal(list[0].logged, undefined, "the old list is not changed");
});

test("known calls forget the oldest past their limit", () => {
  const k = new KnownCalls(3);
  for (const id of ["a", "b", "c"]) k.know({ id });
  k.know({ id: "a", state: "ended" }); // seen again: newest
  k.know({ id: "d" });
  assert.equal(k.get("b"), undefined);
  assert.equal(k.get("a").state, "ended");
  k.markLogged("a");
  assert.equal(k.get("a").logged, true);
});

test("a call without a match is named by Zoom's caller id, else its number", () => {
  assert.equal(row({ id: "b", name: "EXAMPLE CUSTOMER", number: "+12025550100", direction: "inbound", matches: [] }).who, "EXAMPLE CUSTOMER · Incoming call");
  assert.equal(row({ id: "c", number: "+12025550100", direction: "outbound", matches: [] }).who, "+12025550100 · Outgoing call");
});

test("a log the agent changed says so", () => {
  assert.equal(row({ id: "d", number: "+12025550100", direction: "inbound", result: "completed", duration: 5, logged: true, edited: true }).how, "0:05 · logged · edited");
});
