// The admin page (/admin): the org's settings cards laid out for a full
// page, the Set-up Guide and Health, for a zoomcti admin. Salesforce shows
// it as a Web Tab; it signs in as the softphone does (signin.js: a popup,
// the token kept by session.js), so inside Salesforce, where the softphone
// is signed in already, it usually needs nothing. This module only wires
// the others together; each owns its own state:
//
//   api.js        the admin APIs, and what a 401 or 403 does
//   setup.js      the Set-up Guide card (lib/setup.js)
//   health.js     the Health tab: charts.js (uPlot), agents.js, the Now card
//   reconcile.js  catching up missed call logs (lib/reconcile.js)
//   ../settings/form.js   the settings cards, shared with the softphone
import { $ } from "../dom.js";
import { config } from "../config.js";
import { salesforceOrigin } from "../opencti.js";
import * as session from "../session.js";
import * as signin from "../signin.js";
import * as form from "../settings/form.js";
import * as api from "./api.js";
import * as health from "./health.js";
import * as reconcile from "./reconcile.js";
import * as setup from "./setup.js";

const TABS = ["setup", "health", "settings"];
let agent = null;
let current = null; // the tab shown

// --- Who is signed in ------------------------------------------------------------------

function view(name) {
  document.body.dataset.view = name;
  $("adm-signin").hidden = name !== "signin";
  $("adm-forbidden").hidden = name !== "forbidden";
  $("adm-app").hidden = name !== "app";
  $("adm-signout").hidden = name === "signin";
  $("adm-who").hidden = name !== "app";
  $("adm-signout-confirm").hidden = true;
}

function showSignin(message) {
  leave();
  view("signin");
  $("adm-signin-btn").disabled = false;
  $("adm-signin-msg").textContent = message || "Sign in with Salesforce as a zoomcti admin to change your org's settings and see its set-up and health.";
}

function showForbidden(why) {
  leave();
  view("forbidden");
  const who = agent ? (agent.name || agent.username) + (agent.username && agent.name ? " (" + agent.username + ")" : "") : "This user";
  $("adm-forbidden-msg").textContent = who + " is not a zoomcti admin, so this page shows nothing of your org. " +
    "It is for users holding the custom permission " + (config.adminPermission || "Zoomcti_Admin") +
    " (in the admin permission set); ask your Salesforce admin for it, then sign in again." + (why ? " The server said: " + why : "");
}

// signedIn takes a session: the page opens for an admin only.
function signedIn(token, a) {
  session.set(token);
  agent = a;
  if (a.sign_in_required) { showSignin(a.sign_in_required); return; }
  if (!a.admin) { showForbidden(""); return; }
  $("adm-user").textContent = a.name || a.username;
  $("adm-org").textContent = a.org_id;
  view("app");
  setup.load();
  show(tabFromHash() || current || "setup");
}

// leave stops what runs for the signed-in admin and forgets their form.
function leave() {
  health.hide();
  form.forget();
  current = null;
}

async function start() {
  const saved = session.current();
  if (saved) {
    const res = await api.request("GET", "/api/me");
    if (res.ok) { signedIn(saved, res.data); return; }
    if (res.status === 401) session.clear(false);
    else if (res.status !== 403) { showSignin(res.data.error || "zoomcti is unreachable: reload the page to try again."); return; }
  }
  if (config.demo && !session.signedOutByChoice()) {
    // The demo's admin is signed in already, standing in for the popup.
    const res = await fetch("/api/demo/admin-session", { method: "POST" });
    if (res.ok) { const body = await res.json(); signedIn(body.token, body.agent); return; }
  }
  showSignin();
}

function startSignin() {
  if (!signin.start(salesforceOrigin(), { done: signedIn, failed: showSignin })) {
    showSignin("Your browser blocked the sign-in window. Allow pop-ups for this site and press Sign in again.");
    return;
  }
  view("signin");
  $("adm-signin-btn").disabled = true;
  $("adm-signin-msg").textContent = "Finish signing in in the Salesforce window…";
}

// Signing out with settings unsaved asks first, inside the page: confirm()
// may be blocked in Salesforce's frame.
function requestSignout() {
  if (form.dirty()) {
    $("adm-signout-confirm").hidden = false;
    $("adm-signout-no").focus();
    return;
  }
  signOut();
}

async function signOut() {
  const token = session.current();
  session.clear(true);
  agent = null;
  showSignin("You signed out.");
  try {
    await fetch("/api/signout", { method: "POST", headers: { Authorization: "Bearer " + token } });
  } catch (e) { /* the session expires by itself */ }
}

function keepEditing() {
  $("adm-signout-confirm").hidden = true;
  show("settings");
  $("set-save").focus();
}

// --- Tabs ---------------------------------------------------------------------------------

function tabFromHash() {
  const t = location.hash.slice(1);
  return TABS.includes(t) ? t : null;
}

// show brings a tab forward; the settings keep their edits while hidden.
function show(name) {
  if (!TABS.includes(name)) name = "setup";
  current = name;
  for (const t of TABS) {
    const tab = $("adm-tab-" + t), on = t === name;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
    tab.parentElement.classList.toggle("slds-is-active", on);
    $("adm-" + t).hidden = !on;
  }
  if (name === "health") health.show();
  else health.hide();
  if (name === "settings" && !form.isLoaded()) form.load();
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
}

function onTabKey(e) {
  const i = TABS.indexOf(current);
  const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  const name = TABS[(to + TABS.length) % TABS.length];
  show(name);
  $("adm-tab-" + name).focus();
}

// --- wiring -----------------------------------------------------------------------------

api.onRefused({
  ended(message) { session.clear(false); agent = null; showSignin(message); },
  forbidden(why) { if (agent) agent = { ...agent, admin: false }; showForbidden(why); },
});

setup.onResult((n) => {
  const b = $("adm-setup-badge");
  b.hidden = !n.fail;
  b.textContent = n.fail + " to fix";
  b.className = "slds-badge zc-admin-tab-badge zc-tone-warning";
});

form.init({ root: $("adm-settings"), sessionEnded: "Your session ended: sign in again. Your changes are not saved." });
$("adm-settings").addEventListener("zc-dirty", (e) => { $("adm-settings-badge").hidden = !e.detail; });
for (const t of TABS) $("adm-tab-" + t).onclick = () => show(t);
$("adm-tab-setup").parentElement.parentElement.addEventListener("keydown", onTabKey);
window.addEventListener("hashchange", () => { if (agent && agent.admin) show(tabFromHash() || "setup"); });
$("adm-signin-btn").onclick = startSignin;
$("adm-other-btn").onclick = startSignin;
$("adm-signout").onclick = requestSignout;
$("adm-signout-yes").onclick = signOut;
$("adm-signout-no").onclick = keepEditing;
$("adm-signout-confirm").addEventListener("keydown", (e) => { if (e.key === "Escape") keepEditing(); });
setup.init();
health.init();
reconcile.init();
start().catch((e) => showSignin(e.message));
