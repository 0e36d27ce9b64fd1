// The connection status in the softphone's header: green only when calls
// will really reach the agent, that is the websocket is up and Zoom is
// linked; otherwise it says what is missing.

// Tones map to SLDS badge themes (softphone.css).
export const TONE = { ok: "success", warn: "warning", off: "error", idle: "neutral" };

// connectionStatus describes the header's badge from what the page knows:
// connected (the websocket is open), zoom (the agent's link status, or
// null before sign-in) and signedIn.
export function connectionStatus({ connected, zoom, signedIn }) {
  if (!signedIn) return { text: "Signed out", tone: TONE.idle, title: "Sign in to receive calls" };
  if (!connected) return { text: "Offline", tone: TONE.off, title: "Not connected to zoomcti: reconnecting…" };
  if (zoom === "linked") return { text: "Connected", tone: TONE.ok, title: "Receiving calls" };
  if (zoom === "needs_reauth") {
    return { text: "Zoom needs re-authorization", tone: TONE.warn, title: "Calls are not received until Zoom is authorized again" };
  }
  return { text: "Zoom not linked", tone: TONE.warn, title: "Calls are not received until Zoom is authorized" };
}
