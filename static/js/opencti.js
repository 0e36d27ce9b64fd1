// Salesforce Open CTI: the page loads opencti_min.js from the org that
// frames it, and only from an origin the server allows (the Salesforce
// domains), since that script runs in our page.
import { config } from "./config.js";
import { allowedOrigin } from "./lib/origin.js";

let ready;
// api resolves to sforce.opencti once it is loaded and initialised.
export const api = new Promise((resolve) => { ready = resolve; });

// salesforceOrigin is the org's origin, from the frame's URL
// (sfdcIframeOrigin) or the referrer, when the server allows it.
export function salesforceOrigin() {
  let origin = new URLSearchParams(location.search).get("sfdcIframeOrigin");
  if (!origin && document.referrer) {
    try { origin = new URL(document.referrer).origin; } catch (e) { origin = null; }
  }
  return allowedOrigin(origin, config.salesforceOrigins);
}

// load adds the script; onClickToDial, onNavigationChange and onWorkStart
// (Sales Engagement, API 46.0+, only where the org has it) are its
// listeners. fail is told what went wrong.
export function load({ onClickToDial, onNavigationChange, onWorkStart, fail }) {
  const origin = salesforceOrigin();
  if (!origin) {
    fail("Open this page from Salesforce: add it as the Open CTI softphone of a call center.");
    return;
  }
  const s = document.createElement("script");
  s.src = origin + "/support/api/" + config.apiVersion + "/lightning/opencti_min.js";
  s.onload = () => {
    const cti = window.sforce && window.sforce.opencti;
    if (!cti) { fail("Salesforce Open CTI did not load."); return; }
    cti.notifyInitializationComplete({});
    cti.enableClickToDial({});
    cti.onClickToDial({ listener: onClickToDial });
    cti.onNavigationChange({ listener: onNavigationChange });
    if (cti.hvs && typeof cti.hvs.onWorkStart === "function") cti.hvs.onWorkStart({ listener: onWorkStart });
    ready(cti);
  };
  s.onerror = () => fail("Could not load Salesforce Open CTI from " + origin + ".");
  document.head.appendChild(s);
}

// sizePanel applies the admin's softphone size (settings cards) over the
// call center's.
export async function sizePanel(size) {
  const cti = await api;
  if (size.height) cti.setSoftphonePanelHeight({ heightPX: size.height });
  if (size.width) cti.setSoftphonePanelWidth({ widthPX: size.width });
}

export async function showPanel() {
  const cti = await api;
  cti.setSoftphonePanelVisibility({ visible: true });
}

export async function refreshView() {
  const cti = await api;
  cti.refreshView({});
}
