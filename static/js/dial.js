// Click to dial: the agent clicked a phone number in Salesforce. The
// softphone asks first, in its Calls tab (the number it will dial, the
// record it was clicked on, the caller ID), and only then hands the number
// to Zoom, + kept. The server hears which record the call is for before
// Zoom's events come, so the call does not pop that record again and is
// logged on it. This module owns the click waiting for the agent's answer.
import { $, el, recordIcon } from "./dom.js";
import * as connection from "./connection.js";
import * as embed from "./embed.js";
import * as tabs from "./tabs.js";
import { showPanel } from "./opencti.js";
import { recordLabel, request, target, withE164 } from "./lib/dial.js";

const NOTE_WAIT_MS = 1000;
let pending = null; // the click the agent is asked about
let dialing = null; // the confirmed click waiting for the server's note

// onClickToDial is Open CTI's onClickToDial listener. A second click
// replaces a first one not answered yet.
export function onClickToDial(payload) {
  const req = request(payload);
  if (!req) return;
  pending = req;
  connection.send({ type: "dial_preview", number: req.raw });
  render();
  tabs.select("calls");
  showPanel();
  const pane = $("phone");
  pane.scrollTop += $("dial").getBoundingClientRect().top - pane.getBoundingClientRect().top;
  // The agent just clicked to call: Enter (or Space) places it.
  $("dial-yes").focus({ preventScroll: true });
}

// previewed is the server's reading of the number (dial_preview).
export function previewed(msg) {
  if (!pending || msg.number !== pending.raw) return;
  pending = withE164(pending, msg.e164);
  render();
}

// noted is the server's answer once it noted the record (dial_noted).
export function noted(msg) {
  if (dialing && msg.number === dialing.req.raw) dialing.go(msg.e164);
}

function render() {
  const card = $("dial");
  card.hidden = !pending;
  if (!pending) return;
  $("dial-number").textContent = target(pending);
  $("dial-clicked").textContent = pending.raw !== target(pending) ? "as written in Salesforce: " + pending.raw : "";
  const rec = $("dial-record");
  rec.textContent = "";
  if (pending.record) rec.append(recordIcon(pending.record.type) || "", el("span", { text: recordLabel(pending) }));
  rec.hidden = !pending.record;
}

function cancel() {
  pending = null;
  render();
}

// confirm notes the record with the server, then dials once it answers (or
// after a second without an answer, as the number stands).
function confirm() {
  const req = pending;
  if (!req) return;
  pending = null;
  render();
  const msg = {
    type: "dial", number: req.raw, // as clicked: the server applies the org's number rules
    record_id: req.record ? req.record.id : "", record_name: req.record ? req.record.name : "", object_type: req.record ? req.record.type : "",
  };
  let done = false;
  const go = (e164) => {
    if (done) return;
    done = true;
    dialing = null;
    embed.dial(e164 || target(req));
  };
  if (!connection.send(msg)) { go(); return; }
  dialing = { req, go };
  setTimeout(() => go(), NOTE_WAIT_MS);
}

export function init() {
  $("dial-yes").onclick = confirm;
  $("dial-no").onclick = cancel;
  $("dial").addEventListener("keydown", (e) => { if (e.key === "Escape") cancel(); });
}
