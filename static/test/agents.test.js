import { test } from "node:test";
import assert from "node:assert/strict";
import { ago, counts, salesforce, zoom } from "../js/lib/agents.js";

test("an agent's Zoom link and Salesforce sign-in", () => {
  assert.equal(zoom({ zoom_linked: true, zoom_reauth: "" }).text, "Linked");
  assert.deepEqual(zoom({ zoom_linked: true, zoom_reauth: "add the scope phone:read:call" }),
    { text: "Needs re-authorisation", tone: "warning", why: "add the scope phone:read:call" });
  assert.equal(zoom({ zoom_linked: false }).text, "Not linked");
  assert.equal(salesforce({ salesforce_signin_required: "" }).text, "Signed in");
  assert.equal(salesforce({ salesforce_signin_required: "token revoked" }).tone, "warning");
});

test("when the last call was", () => {
  const now = Date.parse("2026-12-05T12:00:00Z");
  assert.equal(ago(null, now), "never");
  assert.equal(ago("2026-12-05T11:59:30Z", now), "just now");
  assert.equal(ago("2026-12-05T11:59:00Z", now), "1 minute ago");
  assert.equal(ago("2026-12-05T10:00:00Z", now), "2 hours ago");
  assert.equal(ago("2026-12-01T12:00:00Z", now), "4 days ago");
});

test("the table summed up", () => {
  assert.deepEqual(counts([
    { zoom_linked: true }, { zoom_linked: true, zoom_reauth: "x" }, { zoom_linked: false, salesforce_signin_required: "y" }, { zoom_linked: false },
  ]), { agents: 4, linked: 1, attention: 2 });
});
