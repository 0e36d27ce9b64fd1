import { test } from "node:test";
import assert from "node:assert/strict";
import { connectionStatus, TONE } from "../js/lib/status.js";

test("the status is green only when connected with Zoom linked", () => {
  const cases = [
    { name: "signed out", in: { signedIn: false, connected: false, zoom: null }, text: "Signed out", tone: TONE.idle },
    { name: "offline", in: { signedIn: true, connected: false, zoom: "linked" }, text: "Offline", tone: TONE.off },
    { name: "linked", in: { signedIn: true, connected: true, zoom: "linked" }, text: "Connected", tone: TONE.ok },
    { name: "not linked", in: { signedIn: true, connected: true, zoom: "not_linked" }, text: "Zoom not linked", tone: TONE.warn },
    { name: "needs reauth", in: { signedIn: true, connected: true, zoom: "needs_reauth" }, text: "Zoom needs re-authorization", tone: TONE.warn },
  ];
  for (const c of cases) {
    const got = connectionStatus(c.in);
    assert.equal(got.text, c.text, c.name);
    assert.equal(got.tone, c.tone, c.name);
  }
});
