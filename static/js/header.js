// The softphone's one header: the title, the connection status (a live
// region) and, for admins, Settings. This module owns what the status
// badge is drawn from.
import { $ } from "./dom.js";
import { connectionStatus } from "./lib/status.js";

const status = { connected: false, zoom: null, signedIn: false };

function render() {
  const s = connectionStatus(status);
  const badge = $("conn");
  $("conn-text").textContent = s.text;
  badge.title = s.title;
  badge.dataset.tone = s.tone;
  badge.className = "zc-status slds-badge zc-tone_" + s.tone;
  document.body.dataset.connected = status.connected ? "true" : "false";
}

export function setConnected(on) {
  status.connected = on;
  render();
}

// setZoom is told the agent's Zoom link status (null: signed out).
export function setZoom(zoomStatus) {
  status.zoom = zoomStatus;
  status.signedIn = zoomStatus !== null;
  render();
}

// setTitle shows the panel's name: the phone's, or Settings with a way back.
export function setTitle(text, { back } = {}) {
  $("app-title").textContent = text;
  $("set-back").hidden = !back;
  document.body.dataset.view = back ? "settings" : "phone";
}

render();
