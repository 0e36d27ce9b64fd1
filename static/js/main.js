// The zoomcti softphone: the Open CTI adapter page Salesforce shows in the
// Lightning utility bar. This module only wires the others together; each
// of them owns its own state:
//
//   session.js      the agent's token, and API requests with it
//   agent.js        sign-in and sign-out, the agent's row, the Zoom link
//   connection.js   the websocket: messages in, reconnects (lib/backoff.js)
//   header.js       the one header and its connection status (lib/status.js)
//   opencti.js      Salesforce's Open CTI; pop.js screen pops; work.js Sales Engagement
//   dial.js         click to dial, confirmed by the agent (lib/dial.js)
//   adopt.js        a record created for a caller with no match gets the call
//   calls.js        the call card and Recent calls (lib/callcard.js, lib/recent.js)
//   wrapup/         the wrap-up form, its record pickers, unlinked call logs
//   settings/       the admin's settings cards and Health
//   embed.js        Zoom Phone Smart Embed in the Phone tab; tabs.js the tabs
//
// lib/ holds the rules with no page: static/test/ unit-tests them with
// Node's test runner (scripts/test runs it).
import { $ } from "./dom.js";
import * as adopt from "./adopt.js";
import * as agent from "./agent.js";
import * as calls from "./calls.js";
import * as connection from "./connection.js";
import * as dial from "./dial.js";
import * as embed from "./embed.js";
import * as opencti from "./opencti.js";
import * as pop from "./pop.js";
import * as tabs from "./tabs.js";
import * as work from "./work.js";
import * as settings from "./settings/panel.js";
import * as wrapupForm from "./wrapup/form.js";
import * as wrapups from "./wrapup/list.js";
import * as toast from "./toast.js";

function showError(msg) {
  toast.show($("error"), msg, "error");
}

// --- messages from the server -------------------------------------------------------

connection.on("hello", (msg) => {
  showError("");
  if (msg.agent) { agent.update(msg.agent); settings.setAgent(msg.agent); }
  if (msg.softphone) opencti.sizePanel(msg.softphone);
  agent.renderPresence(msg.presence);
  embed.onConnected();
  wrapups.load(); // calls may have ended while we were away
});

connection.on("call", (msg) => {
  const call = msg.call;
  work.onCall(call);
  calls.show(call);
  embed.onServerCall(call);
  settings.noteCall();
  pop.pop(msg).then((where) => calls.popped(call.id, where));
});

// The call's Task is in Salesforce: say so, and refresh the console so the
// record's Activity shows it.
connection.on("logged", (msg) => {
  calls.logged(msg.call_id);
  if (wrapups.has(msg.call_id)) {
    // Saved from another window: this one's copy is stale.
    if (wrapupForm.openID() === msg.call_id) wrapupForm.close();
    wrapups.drop(msg.call_id);
  }
  if (wrapups.reportsOn(msg.call_id)) wrapups.setMessage("Call log saved to Salesforce.", msg.call_id, "success");
  work.complete(msg.call_id, msg.task_id, calls.get(msg.call_id), showError);
  opencti.refreshView();
});

// The agent's change to a saved log is in Salesforce.
connection.on("log_updated", (msg) => {
  wrapupForm.editSettled(msg.call_id);
  calls.setLogMessage(msg.call_id, "Your changes to the call log are in Salesforce.", "success");
  opencti.refreshView();
});

connection.on("zoom", (msg) => agent.renderZoom(msg.zoom, msg.message));
connection.on("presence", (msg) => agent.renderPresence(msg.presence));
connection.on("pop_claimed", pop.claimed);
connection.on("dial_preview", dial.previewed);
connection.on("dial_noted", dial.noted);

// A call just ended: list it at once and open its form, unless the agent
// is busy with another one.
connection.on("wrapup", async (msg) => {
  const w = msg.wrapup;
  if (!w || !w.call) return;
  calls.know(w.call);
  wrapups.add(w);
  await wrapups.load();
  if (!wrapupForm.isOpen() && wrapups.has(w.call.id)) wrapupForm.show(w.call.id);
});

connection.on("signin_required", (msg) => agent.sessionEnded(msg.message));

connection.onGiveUp((why) => {
  if (why === "sign-in") agent.sessionEnded("Your session ended. Sign in again.");
  else agent.closedForTooManyTabs();
});

// --- wiring -----------------------------------------------------------------------------

agent.listen({
  signedIn(a) {
    calls.setAgent(a.user_id);
    settings.setAgent(a); // admins get the Settings button
    connection.connect();
  },
  signedOut() {
    connection.close();
    wrapupForm.close();
    wrapups.reset();
    calls.setAgent(null);
    settings.setAgent(null);
  },
});

calls.onChoose((call, recordID, several) => {
  pop.popRecord(recordID);
  if (several) connection.send({ type: "choose", call_id: call.id, record_id: recordID });
});

wrapups.listen({ open: wrapupForm.show, known: calls.know });

// "Edit log": a call waiting for its wrap-up opens that; a saved one opens
// the form on its saved log.
calls.onEditLog((callID) => {
  if (wrapups.has(callID)) wrapupForm.show(callID, { focus: true });
  else wrapupForm.editLog(callID);
});

agent.init();
tabs.init();
wrapupForm.init();
settings.init();
embed.start();
dial.init();
opencti.load({ onClickToDial: dial.onClickToDial, onNavigationChange: adopt.onNavigation, onWorkStart: work.onWorkStart, fail: showError });
agent.start().catch((e) => showError(e.message));
