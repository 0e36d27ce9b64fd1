// Signing in with Salesforce in a first-party popup, for the softphone and
// the admin page: inside Salesforce's frame third-party cookies are blocked,
// so the popup (zoomcti's own origin) does the OAuth flow and hands the
// session back by postMessage. A message is taken only from our own origin
// and from the very popup this module opened. It owns that popup.

let popup = null;
let handlers = null;
let listening = false;

// start opens the sign-in popup for the org whose console is at origin
// (null: the server's only org); done(token, agent) is told the session,
// failed(message) why there is none. It returns false, and opens nothing,
// when the browser blocked the popup.
export function start(origin, { done, failed }) {
  if (!listening) {
    window.addEventListener("message", onMessage);
    listening = true;
  }
  const url = "/oauth/salesforce/start" + (origin ? "?origin=" + encodeURIComponent(origin) : "");
  const w = window.open(url, "zoomcti-signin", "popup,width=520,height=700");
  if (!w) return false;
  popup = w;
  handlers = { done, failed };
  watch(w, () => {
    if (popup !== w) return;
    popup = null;
    failed("The sign-in window was closed. Press Sign in to try again.");
  });
  return true;
}

// cancel gives up the sign-in in progress: its window closes, and a late
// result from it is not taken.
export function cancel() {
  const w = popup;
  popup = null;
  if (w && !w.closed) w.close();
}

// watch calls onClosed once the popup w closes (its last message may still
// be on the way: the caller checks it did not come), within a second.
export function watch(w, onClosed) {
  const timer = setInterval(() => {
    if (!w.closed) return;
    clearInterval(timer);
    setTimeout(onClosed, 500);
  }, 500);
}

function onMessage(e) {
  if (e.origin !== location.origin || !e.data || !e.source) return;
  if (e.data.type !== "zoomcti:signin" || !popup || e.source !== popup) return;
  popup = null;
  if (e.data.status === "done" && e.data.token) handlers.done(e.data.token, e.data.agent);
  else handlers.failed(e.data.message);
}
