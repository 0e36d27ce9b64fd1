// The emulated Zoom Phone Smart Embed (reference/zoom-smart-embed.md). It
// speaks the reference's postMessage contract (§6) with the page that
// frames it, and drives zoomsim's call model through zoomsim's own API.
//
// Strict as Zoom's approved-domain list implies: a message is taken only
// from the parent window and an approved origin; nothing is posted before
// zp-init-config came from such a parent, and then only to its origin.

const cfg = JSON.parse(document.getElementById("embed-config").textContent);
const API = "/integration/phone/embeddablephone/api";
const $ = (id) => document.getElementById(id);

let session = sessionStorage.getItem("zp.session");
let host = null; // the approved origin that sent zp-init-config
let init = {}; // its configuration
let me = null; // the signed-in user
let call = null; // the call on the phone: the last payload + what the buttons did
let tab = "keypad";
let requests = 0;
const pendingMatch = new Map(); // requestId -> resolve

// --- the host ------------------------------------------------------------

window.addEventListener("message", (e) => {
  if (window.parent === window || e.source !== window.parent) return;
  if (!cfg.approvedDomains.includes(e.origin)) {
    note("This domain (" + e.origin + ") is not approved for Zoom Phone Smart Embed. Ask your Zoom admin.");
    return;
  }
  const m = e.data;
  if (!m || typeof m !== "object" || typeof m.type !== "string") return;
  const data = m.data && typeof m.data === "object" ? m.data : {};
  if (m.type === "zp-init-config") {
    host = e.origin;
    init = data;
    return;
  }
  if (e.origin !== host) return; // commands only after zp-init-config, from its origin
  if (m.type === "zp-make-call") makeCall(data);
  else if (m.type === "zp-input-sms") inputSMS(data);
  else if (m.type === "zp-contact-match-response" || m.type === "zp-contact-search-response") {
    const resolve = pendingMatch.get(data.responseId);
    if (resolve) { pendingMatch.delete(data.responseId); resolve(Array.isArray(data.contacts) ? data.contacts : []); }
  }
});

function post(type, data) {
  if (host) window.parent.postMessage({ type, data }, host);
}

// matchContact asks the host for the caller's name (zp-contact-match-event,
// only with enableContactMatching) and waits up to 2 s for the answer.
function matchContact(number) {
  if (!host || !init.enableContactMatching || !number) return Promise.resolve([]);
  const requestId = "zpreq-" + (++requests) + "-" + Date.now();
  return new Promise((resolve) => {
    pendingMatch.set(requestId, resolve);
    post("zp-contact-match-event", { requestId, phoneNumbers: [number] });
    setTimeout(() => { if (pendingMatch.delete(requestId)) resolve([]); }, 2000);
  });
}

// --- commands from the host ------------------------------------------------

function makeCall(data) {
  if (!me) { note("Sign in to Zoom to make calls."); return; }
  const number = String(data.number || "").trim();
  if (!number) return;
  showTab("keypad");
  $("number").value = number;
  if (data.callerId) {
    if (!me.callerIds.includes(data.callerId)) { note("You cannot call from " + data.callerId + "."); return; }
    $("caller-id").value = data.callerId;
  }
  if (data.autoDial === true) dial();
}

function inputSMS(data) {
  if (!me) { note("Sign in to Zoom to send messages."); return; }
  showTab("sms");
  $("sms-to").value = String(data.number || "");
  if (typeof data.message === "string") $("sms-text").value = data.message;
}

// --- zoomsim ---------------------------------------------------------------

async function api(method, path, body) {
  const res = await fetch(API + path, {
    method,
    headers: { Authorization: "Bearer " + session, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) { signedOut(); throw new Error("Sign in to Zoom."); }
  const out = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(out.message || "Zoom answered " + res.status);
  return out;
}

async function start() {
  if (!session && cfg.signedIn) {
    const res = await fetch(API + "/session", { method: "POST" });
    if (res.ok) { session = (await res.json()).session; sessionStorage.setItem("zp.session", session); }
  }
  if (!session) { signedOut(); return; }
  try { me = await api("GET", "/me"); } catch (e) { return; }
  $("who").textContent = me.name + " · " + me.number;
  const sel = $("caller-id");
  sel.textContent = "";
  for (const n of me.callerIds) {
    const o = document.createElement("option");
    o.value = n;
    o.textContent = n === me.number ? n + " (my number)" : n;
    sel.appendChild(o);
  }
  $("signin").hidden = true;
  $("phone").hidden = false;
  const es = new EventSource(API + "/events?session=" + encodeURIComponent(session));
  es.onopen = () => { document.body.dataset.stream = "open"; };
  es.onerror = () => { document.body.dataset.stream = "reconnecting"; };
  es.onmessage = (e) => { let m; try { m = JSON.parse(e.data); } catch (err) { return; } onEvent(m); };
}

function signedOut() {
  me = null;
  session = null;
  sessionStorage.removeItem("zp.session");
  $("phone").hidden = true;
  $("signin").hidden = false;
}

async function onEvent(m) {
  const d = m.data || {};
  if (m.type === "zp-call-ringing-event") {
    call = { ...d, state: "ringing", held: false, muted: false, recording: false };
    render();
    const ext = d.direction === "outbound" ? d.callee : d.caller;
    const contacts = await matchContact(ext && ext.phoneNumber);
    if (contacts[0] && contacts[0].displayName && call && call.callId === d.callId) { call.contact = contacts[0].displayName; render(); }
  } else if (m.type === "zp-call-connected-event") {
    if (call && call.callId === d.callId) call.state = "connected";
  } else if (m.type === "zp-call-ended-event") {
    if (call && call.callId === d.callId) { call.state = "ended"; call.result = d.result; }
  }
  post(m.type, d);
  render();
}

async function act(action) {
  if (!call) return;
  try {
    await api("POST", "/calls/" + encodeURIComponent(call.callId) + "/" + action);
    if (action === "hold" || action === "unhold") call.held = action === "hold";
    if (action === "mute" || action === "unmute") call.muted = action === "mute";
    if (action === "record" || action === "stop_record") call.recording = action === "record";
    note("");
  } catch (e) { note(e.message); }
  render();
}

async function dial() {
  const number = $("number").value.replace(/[\s().-]/g, "");
  if (!number) { note("Enter a number to call."); return; }
  if (call && call.state !== "ended") { note("Finish the current call first."); return; }
  try {
    await api("POST", "/calls", { number, callerId: $("caller-id").value });
    note("");
  } catch (e) { note(e.message); }
}

async function sendSMS() {
  try {
    await api("POST", "/sms", { number: $("sms-to").value.replace(/[\s().-]/g, ""), message: $("sms-text").value });
    $("sms-text").value = "";
    note("Message sent.");
  } catch (e) { note(e.message); }
}

// --- the page ----------------------------------------------------------------

function note(text) { $("note").textContent = text || ""; }

function showTab(name) {
  tab = name;
  $("keypad").hidden = name !== "keypad";
  $("sms").hidden = name !== "sms";
  $("tab-keypad").setAttribute("aria-selected", String(name === "keypad"));
  $("tab-sms").setAttribute("aria-selected", String(name === "sms"));
}

const statusText = { ringing: "Ringing…", connected: "Connected", ended: "Call ended" };

function render() {
  const box = $("call");
  box.hidden = !call;
  if (!call) return;
  const inbound = call.direction === "inbound";
  const other = inbound ? call.caller : call.callee;
  box.dataset.state = call.state;
  box.dataset.callId = call.callId;
  $("call-dir").textContent = inbound ? "Incoming call" : "Outgoing call";
  $("call-peer").textContent = call.contact || (other && (other.name || other.phoneNumber)) || "Unknown";
  let status = statusText[call.state] || call.state;
  if (call.state === "connected" && call.held) status = "On hold";
  if (call.state === "ended" && call.result && call.result !== "ended") status += " (" + call.result + ")";
  if (call.state === "connected" && call.muted) status += " · muted";
  if (call.state === "connected" && call.recording) status += " · recording";
  $("call-status").textContent = status;
  const ringingIn = inbound && call.state === "ringing";
  const live = call.state === "connected";
  $("answer").hidden = $("decline").hidden = !ringingIn;
  $("hangup").hidden = ringingIn || call.state === "ended";
  for (const id of ["hold", "mute", "record"]) $(id).disabled = !live;
  $("hold").setAttribute("aria-pressed", String(!!call.held));
  $("hold").textContent = call.held ? "Resume" : "Hold";
  $("mute").setAttribute("aria-pressed", String(!!call.muted));
  $("mute").textContent = call.muted ? "Unmute" : "Mute";
  $("record").setAttribute("aria-pressed", String(!!call.recording));
  $("record").textContent = call.recording ? "Stop recording" : "Record";
}

$("answer").onclick = () => act("answer");
$("decline").onclick = () => act("decline");
$("hangup").onclick = () => act("hangup");
$("hold").onclick = () => act(call && call.held ? "unhold" : "hold");
$("mute").onclick = () => act(call && call.muted ? "unmute" : "mute");
$("record").onclick = () => act(call && call.recording ? "stop_record" : "record");
$("dial").onclick = dial;
$("sms-send").onclick = sendSMS;
$("tab-keypad").onclick = () => showTab("keypad");
$("tab-sms").onclick = () => showTab("sms");
for (const b of document.querySelectorAll("[data-key]")) {
  b.onclick = () => {
    const n = $("number");
    n.value = b.dataset.key === "back" ? n.value.slice(0, -1) : n.value + b.dataset.key;
  };
}
$("signin-form").onsubmit = async (e) => {
  e.preventDefault();
  const res = await fetch(API + "/session", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("signin-email").value }),
  });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) { $("signin-msg").textContent = out.message || "Sign-in failed."; return; }
  session = out.session;
  sessionStorage.setItem("zp.session", session);
  start();
};
showTab(tab);
start();
