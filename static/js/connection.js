// The websocket to the server: it sends the token first, hands each
// message to the handler registered for its type, and reconnects with
// backoff. This module owns the socket and the retry count.
import * as session from "./session.js";
import * as header from "./header.js";
import { afterClose, delay } from "./lib/backoff.js";

let ws = null;
let retry = 0;
let timer = null;
const handlers = new Map();
let onClosed = () => {};

// on registers the handler of one message type.
export function on(type, fn) {
  handlers.set(type, fn);
}

// onGiveUp is told why the socket will not reconnect ("sign-in" or
// "stop").
export function onGiveUp(fn) {
  onClosed = fn;
}

// send drops the message when offline: what it says (a click to dial) is
// only useful now.
export function send(msg) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(msg));
  return true;
}

// close ends the socket without reconnecting.
export function close() {
  clearTimeout(timer);
  if (ws) { ws.onclose = null; ws.close(); ws = null; }
  header.setConnected(false);
}

export function connect() {
  close();
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
  const sock = new WebSocket(url);
  ws = sock;
  sock.onopen = () => sock.send(JSON.stringify({ type: "auth", token: session.current() }));
  sock.onmessage = (e) => {
    let msg;
    try { msg = JSON.parse(e.data); } catch (err) { return; }
    if (msg.type === "hello") {
      retry = 0;
      header.setConnected(true);
    }
    const fn = handlers.get(msg.type);
    if (fn) fn(msg);
  };
  sock.onclose = (e) => {
    ws = null;
    header.setConnected(false);
    const next = afterClose(e.code);
    if (next !== "retry") { onClosed(next); return; }
    timer = setTimeout(connect, delay(retry++));
  };
}
