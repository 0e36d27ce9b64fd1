// Reconnect delays for the softphone's websocket: doubling from half a
// second up to 30 s, with jitter, so that a restarted server is not stormed
// by every softphone at once. Pure: the caller owns the attempt count.

export const FIRST_MS = 500;
export const MAX_MS = 30000;

// delay is how long to wait before attempt number `attempt` (0 for the
// first retry); random is a number in [0, 1) (Math.random in the page).
export function delay(attempt, random = Math.random()) {
  const base = Math.min(MAX_MS, FIRST_MS * 2 ** Math.max(0, attempt));
  return base * (0.5 + random / 2);
}

// Close codes the server sends that retrying cannot help.
export const CLOSE_SIGNED_OUT = 4401; // the session ended: sign in again
export const CLOSE_TOO_MANY = 4408; // too many softphones of this agent: this, the oldest, closed

// afterClose says what to do when the websocket closes with code.
export function afterClose(code) {
  if (code === CLOSE_SIGNED_OUT) return "sign-in";
  if (code === CLOSE_TOO_MANY) return "stop";
  return "retry";
}
