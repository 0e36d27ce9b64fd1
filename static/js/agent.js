// Signing in and out, and the agent's row: who is signed in, their Zoom
// link (authorize, disconnect after confirming) and presence. Sign-in and
// Zoom authorization happen in first-party popups whose result comes back
// by postMessage; a message is taken only from our own origin and from the
// very popup we opened. This module owns the popups and the agent shown.
import { config } from "./config.js";
import { $ } from "./dom.js";
import * as header from "./header.js";
import { salesforceOrigin } from "./opencti.js";
import * as session from "./session.js";
import * as signin from "./signin.js";
import * as toast from "./toast.js";

let agent = null;
let zoomPopup = null;
let hooks = { signedIn() {}, signedOut() {} };

// listen sets what happens once an agent is signed in (agent) and once
// nobody is.
export function listen(h) {
  hooks = h;
}

export function current() {
  return agent;
}

// start signs in with the saved token, or (the demo) as the demo agent,
// else shows Sign in.
export async function start() {
  const saved = session.current();
  if (saved) {
    const res = await fetch("/api/me", { headers: { Authorization: "Bearer " + saved } });
    if (res.ok) { signedIn(saved, await res.json()); return; }
    session.clear(false);
  }
  if (config.demo && !session.signedOutByChoice()) {
    // The demo's agent is signed in already, standing in for the popup.
    const res = await fetch("/api/demo/session", { method: "POST" });
    if (!res.ok) throw new Error("demo sign-in failed (" + res.status + ")");
    const body = await res.json();
    signedIn(body.token, body.agent);
    return;
  }
  showSignin();
}

function signedIn(token, a) {
  session.set(token);
  if (a.sign_in_required) { showSignin(a.sign_in_required); return; }
  agent = a;
  $("signin").hidden = true;
  $("agent").hidden = false;
  $("agent-name").textContent = a.name || a.username;
  $("agent-user").textContent = a.username || "";
  renderZoom(a.zoom);
  hooks.signedIn(a);
}

// update takes a newer view of the agent from the server (hello).
export function update(a) {
  if (!a) return;
  agent = a;
  renderZoom(a.zoom);
}

// showSignin puts the page back to Sign in, with why.
export function showSignin(message) {
  agent = null;
  hooks.signedOut();
  header.setZoom(null);
  $("agent").hidden = true;
  $("signin").hidden = false;
  $("signin-btn").disabled = false;
  $("signin-cancel").hidden = true;
  $("signin-msg").textContent = message || "Sign in with Salesforce to receive your calls here.";
}

// sessionEnded: the server ended the session (4401, signin_required).
export function sessionEnded(message) {
  session.clear(false);
  showSignin(message || "Your session ended. Sign in again.");
}

function startSignin() {
  // The org this console belongs to: the server signs the agent in to
  // it, with its own app, and refuses an org it does not connect to.
  if (!signin.start(salesforceOrigin(), { done: signedIn, failed: showSignin })) {
    showSignin("Your browser blocked the sign-in window. Allow pop-ups for Salesforce and press Sign in again.");
    return;
  }
  $("signin-btn").disabled = true;
  $("signin-cancel").hidden = false;
  $("signin-msg").textContent = "Finish signing in in the Salesforce window…";
}

// cancelSignin gives up a sign-in in progress (its window may be hidden
// behind Salesforce's): the window closes, and a late result from it is
// not taken.
function cancelSignin() {
  signin.cancel();
  showSignin("Sign-in cancelled. Press Sign in when you are ready.");
  $("signin-btn").focus();
}

function onMessage(e) {
  if (e.origin !== location.origin || !e.data || !e.source) return;
  if (e.data.type === "zoomcti:zoom" && e.source === zoomPopup) {
    zoomPopup = null;
    zoomFinished(e.data);
  }
}

async function signOut() {
  const token = session.current();
  session.clear(true);
  hooks.signedOut();
  try {
    await fetch("/api/signout", { method: "POST", headers: { Authorization: "Bearer " + token } });
  } catch (e) { /* the session expires by itself */ }
  showSignin("You signed out.");
}

// --- Zoom link ---------------------------------------------------------------

const zoomLabel = { linked: "Linked", not_linked: "Not linked", needs_reauth: "Needs re-authorization" };

function zoomMsg(text, tone) {
  toast.show($("zoom-msg"), text, tone || "info");
}

// renderZoom shows the agent's Zoom link, and a message about it.
export function renderZoom(zoom, message, tone) {
  if (!zoom) return;
  $("zoom").dataset.status = zoom.status;
  $("zoom-status").textContent = zoomLabel[zoom.status] || zoom.status;
  $("zoom-status").dataset.status = zoom.status;
  $("zoom-email").textContent = zoom.email || "";
  $("zoom-link-btn").hidden = zoom.status === "linked";
  $("zoom-link-btn").textContent = zoom.status === "needs_reauth" ? "Authorize Zoom again" : "Authorize Zoom";
  $("zoom-disconnect-btn").hidden = zoom.status === "not_linked";
  $("zoom-confirm").hidden = true;
  if (zoom.status !== "linked") renderPresence(null);
  header.setZoom(zoom.status);
  const text = message || zoom.message || "";
  zoomMsg(text, tone || (zoom.message && !message ? "warning" : "info"));
}

export function renderPresence(p) {
  const b = $("presence");
  b.hidden = !p;
  if (!p) return;
  b.textContent = p.label;
  b.dataset.status = p.status;
}

// closedForTooManyTabs: the server closed this softphone (4408).
export function closedForTooManyTabs() {
  zoomMsg("This softphone was closed because you opened it in too many tabs. Reload this tab to use it here.", "warning");
}

async function authorizeZoom() {
  // Opened at once, inside the click, so that no popup blocker stops it.
  const popup = window.open("about:blank", "zoomcti-zoom", "popup,width=520,height=700");
  if (!popup) { zoomMsg("Your browser blocked the Zoom window. Allow pop-ups and try again.", "error"); return; }
  const res = await session.request("POST", "/api/zoom/ticket");
  if (!res.ok || !res.data.ticket) { popup.close(); zoomMsg(res.data.error || "Cannot start the Zoom authorization.", "error"); return; }
  // The ticket goes in a POST body aimed at the popup, never in a URL.
  const form = document.createElement("form");
  form.method = "POST";
  form.action = res.data.action;
  form.target = "zoomcti-zoom";
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = "ticket";
  input.value = res.data.ticket;
  form.appendChild(input);
  document.body.appendChild(form);
  form.submit();
  setTimeout(() => form.remove(), 0);
  zoomMsg("Finish in the Zoom window…");
  zoomPopup = popup;
  signin.watch(popup, () => {
    if (zoomPopup !== popup) return;
    zoomPopup = null;
    zoomMsg("The Zoom window was closed. Press Authorize Zoom to try again.", "warning");
  });
}

// zoomFinished shows the popup's outcome with the link as the server has it.
async function zoomFinished(data) {
  const ok = data.status === "done";
  const text = ok ? "Zoom is linked." : data.message;
  try {
    const res = await session.request("GET", "/api/me");
    if (res.ok) { renderZoom(res.data.zoom, text, ok ? "success" : "error"); return; }
  } catch (e) { /* show the outcome anyway */ }
  zoomMsg(text, ok ? "success" : "error");
}

// Disconnecting stops the call logs, so it asks first, inside the page: a
// confirm() dialog may be blocked in Salesforce's cross-origin frame.
function askDisconnect() {
  $("zoom-confirm").hidden = false;
  $("zoom-disconnect-no").focus();
}

function keepZoom() {
  $("zoom-confirm").hidden = true;
  $("zoom-disconnect-btn").focus();
}

async function disconnectZoom() {
  let res;
  try { res = await session.request("POST", "/api/zoom/disconnect"); } catch (e) { res = session.offline("Disconnect failed: check your connection."); }
  if (!res.ok) { $("zoom-confirm").hidden = true; zoomMsg(res.data.error || "Disconnect failed; try again.", "error"); return; }
  renderZoom(res.data.zoom, "Zoom disconnected.", "success");
  $("zoom-link-btn").focus();
}

export function init() {
  $("signin-btn").onclick = startSignin;
  $("signin-cancel").onclick = cancelSignin;
  $("signout-btn").onclick = signOut;
  $("zoom-link-btn").onclick = authorizeZoom;
  $("zoom-disconnect-btn").onclick = askDisconnect;
  $("zoom-disconnect-yes").onclick = disconnectZoom;
  $("zoom-disconnect-no").onclick = keepZoom;
  $("zoom-confirm").addEventListener("keydown", (e) => { if (e.key === "Escape") keepZoom(); });
  window.addEventListener("message", onMessage);
}
