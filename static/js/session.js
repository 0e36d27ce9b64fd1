// The agent's session token: this module alone holds it. It is kept in
// memory and in sessionStorage (the frame's own, for a reload), never in a
// URL or a cookie.

let token = sessionStorage.getItem("zoomcti.token");

export function current() {
  return token;
}

export function set(t) {
  token = t;
  sessionStorage.setItem("zoomcti.token", t);
  sessionStorage.removeItem("zoomcti.signedOut");
}

// clear forgets the token; signedOut says the agent chose to (the demo
// then does not sign them in again on reload).
export function clear(signedOut) {
  token = null;
  sessionStorage.removeItem("zoomcti.token");
  if (signedOut) sessionStorage.setItem("zoomcti.signedOut", "1");
}

export function signedOutByChoice() {
  return !!sessionStorage.getItem("zoomcti.signedOut");
}

// request calls the server's API as the agent: {status, ok, data}. A
// network failure rejects.
export async function request(method, path, body) {
  const init = { method, headers: { Authorization: "Bearer " + token } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({}));
  return { status: res.status, ok: res.ok, data };
}

// offline is what request's callers use when the network failed.
export function offline(text) {
  return { status: 0, ok: false, data: { error: text } };
}
