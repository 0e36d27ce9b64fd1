import { test } from "node:test";
import assert from "node:assert/strict";
import { afterClose, delay, FIRST_MS, MAX_MS } from "../js/lib/backoff.js";

test("reconnect delays double from half a second and stop at 30 s", () => {
  const top = [0, 1, 2, 3, 6, 7, 20].map((n) => delay(n, 1 - Number.EPSILON));
  assert.deepEqual(top.map(Math.round), [500, 1000, 2000, 4000, 30000, 30000, 30000]);
  assert.equal(Math.round(delay(5, 0.999999)), 16000);
});

test("jitter keeps each delay between half and all of its step", () => {
  for (let n = 0; n < 12; n++) {
    const step = Math.min(MAX_MS, FIRST_MS * 2 ** n);
    assert.equal(delay(n, 0), step / 2, "attempt " + n);
    assert.ok(delay(n, 0.5) > step / 2 && delay(n, 0.5) < step);
  }
});

test("a close the server means for good is not retried", () => {
  const cases = [
    { name: "session ended", code: 4401, want: "sign-in" },
    { name: "too many tabs", code: 4408, want: "stop" },
    { name: "server restarted", code: 1006, want: "retry" },
    { name: "going away", code: 1001, want: "retry" },
  ];
  for (const c of cases) assert.equal(afterClose(c.code), c.want, c.name);
});
