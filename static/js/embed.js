// Call control: the softphone hosts Zoom Phone Smart Embed
// (reference/zoom-smart-embed.md) in its "Phone" tab, beside zoomcti's own
// part in the "Calls" tab (the call card with the pop and the chooser, the
// wrap-up, unlinked call logs, presence).
//
// Trust: a message is taken only from the embed's window and origin
// (event.source === iframe.contentWindow && event.origin === embedOrigin),
// and we post only to that origin. Even then the embed's events only move
// the tabs and the card's state label: call logs (Tasks) are written by the
// server from Zoom's signed webhooks and call history, never from anything
// a browser reports, so nothing here is sent to the server.
//
// The embed says nothing until there is a call, and an embed that is not
// installed, not approved for this domain or not signed in says nothing at
// all. So silence is judged only when an answer is due: a call the server
// knows of, or a dial we asked for, with no word from the embed within
// SILENCE_MS. Then the Phone tab says what to check, and click to dial
// hands the number to the Zoom desktop app (zoomphonecall://).
//
// This module owns the iframe and what it knows of the embed.
import { config } from "./config.js";
import { $ } from "./dom.js";
import * as calls from "./calls.js";
import * as connection from "./connection.js";
import * as tabs from "./tabs.js";
import { showPanel } from "./opencti.js";
import { dialable } from "./lib/numbers.js";

const SILENCE_MS = 5000;
const origin = config.embedOrigin;
let frame = null;
let loaded = false;
let lastHeard = 0; // when the embed last posted anything (ms)
let silent = false;
let announced = false; // the server heard that the embed answers (once per page load)
const expected = new Set(); // call ids we already expect the embed to report

function onMessage(e) {
  if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
  const m = e.data;
  if (!m || typeof m !== "object" || typeof m.type !== "string") return;
  heard();
  onEmbedEvent(m.type, m.data && typeof m.data === "object" ? m.data : {});
}

function createFrame() {
  const f = document.createElement("iframe");
  f.id = "zoom-embeddable-phone-iframe";
  f.title = "Zoom Phone";
  f.allow = "clipboard-read; clipboard-write " + origin;
  f.src = config.embedURL;
  f.addEventListener("load", () => {
    loaded = true;
    init();
  });
  frame = f;
  $("embed-host").appendChild(f);
}

function post(type, data) {
  if (frame && frame.contentWindow) frame.contentWindow.postMessage({ type, data }, origin);
}

// zp-init-config: idempotent, sent on every load (reference §5). zoomcti
// logs calls itself, so the embed's own logging and contact lookups stay off.
function init() {
  post("zp-init-config", {
    enableSavingLog: false,
    enableAutoLog: false,
    enableContactSearching: false,
    enableContactMatching: false,
    enableAISummary: false,
  });
}

function heard() {
  lastHeard = Date.now();
  announce();
  if (silent) {
    silent = false;
    renderDown();
  }
}

// expectWord starts the clock on an answer that is due from the embed.
function expectWord(onSilence) {
  const since = Date.now();
  setTimeout(() => {
    if (lastHeard >= since) return;
    silent = true;
    renderDown();
    if (onSilence) onSilence();
  }, SILENCE_MS);
}

function renderDown() {
  $("embed-down").hidden = !silent;
  document.body.dataset.embed = silent ? "silent" : "ok";
}

function retry() {
  silent = false;
  loaded = false;
  renderDown();
  frame.src = config.embedURL; // reloads; init follows on load
}

const embedState = { "zp-call-ringing-event": "Ringing", "zp-call-connected-event": "On call", "zp-call-ended-event": "Ended" };

function onEmbedEvent(type, data) {
  const callId = String(data.callId || "");
  if (type === "zp-call-ringing-event") {
    tabs.select("phone");
    if (callId) expected.add(callId);
    if (data.direction !== "outbound") showPanel();
  }
  // The card is the server's (webhooks); the embed may only be first to
  // say the call moved on. The call id is very likely Zoom's call_id
  // (reference §8, unconfirmed): a card with another id is left alone.
  if (embedState[type] && callId) calls.embedSays(callId, embedState[type]);
}

// announce tells the server, once per page load, that Zoom's embed answers
// here: its approved domains admit this console (evidence for the Set-up
// Guide and zoomcti doctor). Offline, it waits for onConnected.
function announce() {
  if (announced || !lastHeard) return;
  announced = connection.send({ type: "embed", state: "ready" });
}

// onConnected is told the websocket is up (hello).
export function onConnected() {
  announce();
}

// onServerCall is told every call message from the websocket: a live call
// the embed has not mentioned within SILENCE_MS means it is not there.
export function onServerCall(call) {
  renderCallsTab(call);
  if (!call || call.state === "ended" || expected.has(call.id)) return;
  expected.add(call.id);
  if (expected.size > 50) expected.delete(expected.values().next().value);
  expectWord();
}

function renderCallsTab(call) {
  const live = call && call.state !== "ended";
  const who = live ? (call.matches && call.matches.length === 1 ? call.matches[0].name : call.number) : "";
  $("tab-calls-detail").textContent = who ? " · " + who : "";
}

// openZoomApp hands the number to the Zoom desktop client, + kept and
// never URL-encoded (reference §10).
function openZoomApp(number) {
  window.open("zoomphonecall://" + number, "_self");
}

// dial places a call through the embed, or through the Zoom app when the
// embed is known to be silent or stays silent.
export function dial(raw) {
  const number = dialable(raw);
  if (!number) return;
  const link = $("embed-down-dial");
  link.href = "zoomphonecall://" + number;
  link.textContent = "Call " + number + " with the Zoom app";
  link.hidden = false;
  tabs.select("phone");
  if (silent || !loaded) {
    silent = true;
    renderDown();
    openZoomApp(number);
    return;
  }
  post("zp-make-call", { number, autoDial: true });
  expectWord(() => openZoomApp(number));
}

// start listens before the iframe exists (reference §5), then frames it.
export function start() {
  window.addEventListener("message", onMessage);
  $("embed-retry").onclick = retry;
  renderDown();
  createFrame();
}
