import { test } from "node:test";
import assert from "node:assert/strict";
import { CHARTS, column, data, latest, most, sum, summary } from "../js/lib/health.js";

const chart = (id) => CHARTS.find((c) => c.id === id);

// A view as GET /api/admin/health answers it, three minutes long.
const view = {
  range: "hour",
  times: ["2026-12-05T10:00:00Z", "2026-12-05T10:01:00Z", "2026-12-05T10:02:00Z"],
  series: {
    webhooks_received: [0, 4, 3], webhooks_duplicate: [0, 1, 0], webhooks_ignored: [0, 0, 2],
    pops: [0, 1, 1], pop_p50_ms: [null, 40.5, 52], pop_p99_ms: [null, 90, 120],
    tasks_written: [0, 1, 0], tasks_set_aside: [0, 0, 0], tasks_waiting: [0, 2, 1],
    outbox_depth: [0, 5, 2], sf_api_used: [null, 1200, 1260], sf_api_limit: [null, 15000, 15000],
    zoom_rate_limited: [0, 0, 0],
  },
  totals: { pop_p50_ms: 44.1, pop_p99_ms: 118 },
  deployment: { webhooks_rejected: [1, 0, 0] },
};

test("each chart's data: the times in seconds, then one column per series", () => {
  const d = data(view, chart("webhooks"));
  assert.deepEqual(d[0], [1796464800, 1796464860, 1796464920]);
  assert.deepEqual(d.slice(1), [[0, 4, 3], [0, 1, 0], [0, 0, 2], [1, 0, 0]]);
  // Latency keeps its gaps: a minute without a pop has no latency.
  assert.deepEqual(data(view, chart("latency")).slice(1), [[null, 40.5, 52], [null, 90, 120]]);
});

test("a series the server did not send is zeros (counts) or gaps (levels)", () => {
  const v = { ...view, series: {}, deployment: undefined };
  assert.deepEqual(column(v, chart("pops").series[0]), [0, 0, 0]);
  assert.deepEqual(column(v, chart("outbox").series[0]), [null, null, null]);
  assert.deepEqual(column(v, chart("webhooks").series[3]), [0, 0, 0]);
});

test("sums, latest and most skip the gaps", () => {
  assert.equal(sum([null, 2, 3]), 5);
  assert.equal(latest([1, 7, null]), 7);
  assert.equal(latest([null, null]), null);
  assert.equal(most([null, 4, 2]), 4);
});

test("each chart says what it shows in words", () => {
  const cases = [
    ["webhooks", "In the last hour: Received 7, Duplicates 1, Ignored 2, Rejected (all orgs) 1."],
    ["pops", "In the last hour: Pops 2."],
    ["latency", "In the last hour: p50 44.1 ms, p99 118 ms."],
    ["tasks", "In the last hour: Written 1, Waiting 1 now (at most 2), Set aside 0."],
    ["outbox", "In the last hour: Writes not done yet 2 now (at most 5)."],
    ["sfapi", "1,260 of 15,000 used (8%), as Salesforce last reported."],
    ["zoom429", "In the last hour: Refused with 429 0."],
  ];
  for (const [id, want] of cases) assert.equal(summary(view, chart(id)), want, id);
});

test("nothing reported yet says so", () => {
  const v = { range: "day", times: view.times, series: {}, totals: {}, deployment: {} };
  assert.equal(summary(v, chart("latency")), "In the last 24 hours: p50 none, p99 none.");
  assert.match(summary(v, chart("sfapi")), /^Not reported in the last 24 hours/);
});
