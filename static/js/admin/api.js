// The admin APIs as the admin page calls them: with the session's token
// (session.js), and with one answer to an ended session (401) or a user who
// is not, or no longer, an admin (403), whichever card asked. This module
// owns who is told of those.
import * as session from "../session.js";

let refused = { ended() {}, forbidden() {} };

// onRefused sets who is told: ended(message) when the session is over,
// forbidden(message) when the server says the user is not an admin.
export function onRefused(h) {
  refused = h;
}

// request is session.request with the refusals told: {status, ok, data}.
// A network failure comes back as status 0 with offlineText.
export async function request(method, path, body, offlineText) {
  let res;
  try { res = await session.request(method, path, body); } catch (e) { res = session.offline(offlineText || "Could not reach zoomcti: check your connection."); }
  if (res.status === 401) refused.ended("Your session ended. Sign in again.");
  if (res.status === 403) refused.forbidden(res.data.error || "");
  return res;
}

// stream POSTs body to path and hands each chunk of the answer's text to
// onText as it arrives; it resolves to {status, ok, data} where data is
// the JSON of an answer that is not a stream (an error). signal stops it.
export async function stream(path, body, onText, signal) {
  const res = await fetch(path, {
    method: "POST", signal,
    headers: { Authorization: "Bearer " + session.current(), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok || !res.body) {
    const data = await res.json().catch(() => ({}));
    if (res.status === 401) refused.ended("Your session ended. Sign in again.");
    if (res.status === 403) refused.forbidden(data.error || "");
    return { status: res.status, ok: false, data };
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onText(dec.decode(value, { stream: true }));
  }
  onText(dec.decode());
  return { status: res.status, ok: true, data: {} };
}
