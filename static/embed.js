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

const app = window.zoomcti;
const { $ } = app;
const config = JSON.parse(document.getElementById("zoomcti-config").textContent);
const SILENCE_MS = 5000;

const embed = {
  origin: config.embedOrigin,
  frame: null,
  loaded: false,
  lastHeard: 0, // when the embed last posted anything (ms)
  silent: false,
  expected: new Set(), // call ids we already expect the embed to report
};

// --- the iframe ----------------------------------------------------------------

// The listener is in place before the iframe exists (reference §5).
window.addEventListener("message", (e) => {
  if (!embed.frame || e.source !== embed.frame.contentWindow || e.origin !== embed.origin) return;
  const m = e.data;
  if (!m || typeof m !== "object" || typeof m.type !== "string") return;
  heard();
  onEmbedEvent(m.type, m.data && typeof m.data === "object" ? m.data : {});
});

function createFrame() {
  const f = document.createElement("iframe");
  f.id = "zoom-embeddable-phone-iframe";
  f.title = "Zoom Phone";
  f.allow = "clipboard-read; clipboard-write " + embed.origin;
  f.src = config.embedURL;
  f.addEventListener("load", () => {
    embed.loaded = true;
    init();
  });
  embed.frame = f;
  $("embed-host").appendChild(f);
}

function post(type, data) {
  if (embed.frame && embed.frame.contentWindow) embed.frame.contentWindow.postMessage({ type, data }, embed.origin);
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

// --- silence ---------------------------------------------------------------------

function heard() {
  embed.lastHeard = Date.now();
  if (embed.silent) {
    embed.silent = false;
    renderDown();
  }
}

// expectWord starts the clock on an answer that is due from the embed.
function expectWord(onSilence) {
  const since = Date.now();
  setTimeout(() => {
    if (embed.lastHeard >= since) return;
    embed.silent = true;
    renderDown();
    if (onSilence) onSilence();
  }, SILENCE_MS);
}

function renderDown() {
  $("embed-down").hidden = !embed.silent;
  document.body.dataset.embed = embed.silent ? "silent" : "ok";
}

function retry() {
  embed.silent = false;
  embed.loaded = false;
  renderDown();
  embed.frame.src = config.embedURL; // reloads; init follows on load
}

// --- what the embed says -----------------------------------------------------------

const embedState = { "zp-call-ringing-event": "Ringing", "zp-call-connected-event": "On call", "zp-call-ended-event": "Ended" };

async function onEmbedEvent(type, data) {
  const callId = String(data.callId || "");
  if (type === "zp-call-ringing-event") {
    selectTab("phone");
    if (callId) embed.expected.add(callId);
    if (data.direction !== "outbound") {
      const api = await app.opencti;
      api.setSoftphonePanelVisibility({ visible: true });
    }
  }
  // The card is the server's (webhooks); the embed may only be first to
  // say the call moved on. The call id is very likely Zoom's call_id
  // (reference §8, unconfirmed): a card with another id is left alone.
  const card = $("call");
  if (embedState[type] && callId && !card.hidden && card.dataset.callId === callId && card.dataset.state !== "ended") {
    $("call-state").textContent = embedState[type];
  }
}

// --- what the server says ------------------------------------------------------------

// onServerCall is told every call message from the websocket: a live call
// the embed has not mentioned within SILENCE_MS means it is not there.
function onServerCall(call) {
  renderCallsTab(call);
  if (!call || call.state === "ended" || embed.expected.has(call.id)) return;
  embed.expected.add(call.id);
  if (embed.expected.size > 50) embed.expected.delete(embed.expected.values().next().value);
  expectWord();
}

function renderCallsTab(call) {
  const live = call && call.state !== "ended";
  const who = live ? (call.matches && call.matches.length === 1 ? call.matches[0].name : call.number) : "";
  $("tab-calls-detail").textContent = who ? " · " + who : "";
}

// --- click to dial ---------------------------------------------------------------------

// dialable keeps a leading + and the digits: the form Zoom documents for
// zoomphonecall:// and zp-make-call (E.164, + kept).
function dialable(number) {
  const s = String(number || "").trim();
  const digits = s.replace(/\D/g, "");
  if (!digits) return "";
  return (s.startsWith("+") ? "+" : "") + digits;
}

// openZoomApp hands the number to the Zoom desktop client, + kept and
// never URL-encoded (reference §10).
function openZoomApp(number) {
  window.open("zoomphonecall://" + number, "_self");
}

// dial places a call through the embed, or through the Zoom app when the
// embed is known to be silent or stays silent.
function dial(raw) {
  const number = dialable(raw);
  if (!number) return;
  $("embed-down-dial").href = "zoomphonecall://" + number;
  $("embed-down-dial").textContent = "Call " + number + " with the Zoom app";
  $("embed-down-dial").hidden = false;
  if (embed.silent || !embed.loaded) {
    embed.silent = true;
    renderDown();
    selectTab("phone");
    openZoomApp(number);
    return;
  }
  selectTab("phone");
  post("zp-make-call", { number, autoDial: true });
  expectWord(() => openZoomApp(number));
}

// --- tabs ----------------------------------------------------------------------------------

function selectTab(name) {
  if (!$("settings").hidden) return; // the admin's settings cover both
  $("tab-phone").setAttribute("aria-selected", String(name === "phone"));
  $("tab-calls").setAttribute("aria-selected", String(name === "calls"));
  $("tab-phone").tabIndex = name === "phone" ? 0 : -1;
  $("tab-calls").tabIndex = name === "calls" ? 0 : -1;
  $("phone-pane").hidden = name !== "phone";
  $("phone").hidden = name !== "calls";
  document.body.dataset.tab = name;
}

// zoomcti's part asks for the agent: the sign-in, a wrap-up to fill in.
function showWhenShown(id) {
  new MutationObserver(() => { if (!$(id).hidden) selectTab("calls"); })
    .observe($(id), { attributes: true, attributeFilter: ["hidden"] });
}

$("tab-phone").onclick = () => selectTab("phone");
$("tab-calls").onclick = () => selectTab("calls");
$("tabs").addEventListener("keydown", (e) => {
  if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
  const next = $("tab-phone").getAttribute("aria-selected") === "true" ? "calls" : "phone";
  selectTab(next);
  $("tab-" + next).focus();
});
$("embed-retry").onclick = retry;
new MutationObserver(() => { $("tabs").hidden = !$("settings").hidden; })
  .observe($("settings"), { attributes: true, attributeFilter: ["hidden"] });
showWhenShown("wrapup");
showWhenShown("signin");

app.embed = { dial, onServerCall };
renderDown();
selectTab("calls");
createFrame();
