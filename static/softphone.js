// The zoomcti softphone: the Open CTI adapter page Salesforce shows in the
// Lightning utility bar. It loads Salesforce's opencti_min.js from the org
// that frames it, signs in, keeps a websocket to the server, and turns the
// server's call messages into screen pops. When the admin turned Auto Save
// Call Logs off, it also shows the wrap-up form and the agent's unlinked
// call logs; with Sales Engagement on, it completes the agent's work items.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("zoomcti-config").textContent);
  const $ = (id) => document.getElementById(id);
  const state = {
    token: null,
    ws: null,
    retry: 0,
    call: null,
    timer: null,
    popped: new Set(JSON.parse(sessionStorage.getItem("zoomcti.popped") || "[]")),
    recent: [],
    calls: new Map(), // call id -> latest CallView, for "logged" and Sales Engagement
    form: null, // how to draw the wrap-up form (GET /api/calllogs)
    wrapups: [], // the unlinked call logs, newest first
    open: null, // the wrap-up being edited
    saving: false,
    logMsg: null, // the call whose save the unlinked list is reporting on
    dispositions: new Map(), // call id -> the disposition the agent saved
    work: JSON.parse(sessionStorage.getItem("zoomcti.work") || "null"), // Sales Engagement work item
  };
  let openctiReady;
  const opencti = new Promise((resolve) => { openctiReady = resolve; });
  // What static/wrapup.js and static/settings.js share with this file; they
  // add app.wrapups and app.settings.
  const app = (window.zoomcti = { $, state, opencti });

  function showError(msg) {
    const el = $("error");
    el.textContent = msg || "";
    el.hidden = !msg;
  }

  // --- Open CTI ------------------------------------------------------------

  // The org's origin comes from the frame's URL (sfdcIframeOrigin) or the
  // referrer. Only origins the server allows (the Salesforce domains) are
  // trusted to supply the script that runs in our page.
  function salesforceOrigin() {
    const params = new URLSearchParams(location.search);
    let origin = params.get("sfdcIframeOrigin");
    if (!origin && document.referrer) {
      try { origin = new URL(document.referrer).origin; } catch (e) { origin = null; }
    }
    if (!origin) return null;
    let u;
    try { u = new URL(origin); } catch (e) { return null; }
    return config.salesforceOrigins.some((p) => originMatches(p, u)) ? u.origin : null;
  }

  function originMatches(pattern, u) {
    let p;
    try { p = new URL(pattern.replace("*.", "wildcard.")); } catch (e) { return false; }
    if (p.protocol !== u.protocol || p.port !== u.port) return false;
    if (pattern.includes("://*.")) {
      const suffix = p.hostname.slice("wildcard".length); // ".force.com"
      return u.hostname.endsWith(suffix) && u.hostname.length > suffix.length;
    }
    return p.hostname === u.hostname;
  }

  function loadOpenCTI() {
    const origin = salesforceOrigin();
    if (!origin) {
      showError("Open this page from Salesforce: add it as the Open CTI softphone of a call center.");
      return;
    }
    const s = document.createElement("script");
    s.src = origin + "/support/api/" + config.apiVersion + "/lightning/opencti_min.js";
    s.onload = () => {
      const api = window.sforce && window.sforce.opencti;
      if (!api) { showError("Salesforce Open CTI did not load."); return; }
      api.notifyInitializationComplete({});
      api.enableClickToDial({});
      api.onClickToDial({ listener: onClickToDial });
      // Sales Engagement exists from API 46.0 and only where the org has it.
      if (api.hvs && typeof api.hvs.onWorkStart === "function") api.hvs.onWorkStart({ listener: onWorkStart });
      openctiReady(api);
    };
    s.onerror = () => showError("Could not load Salesforce Open CTI from " + origin + ".");
    document.head.appendChild(s);
  }

  // Click to dial hands the number to the Zoom client; its call events then
  // come back through the webhooks like any other call. The server hears
  // first which record the agent dialled from, so that the call does not pop
  // that record again and is logged against it.
  function onClickToDial(payload) {
    const raw = String(payload && payload.number || "");
    const number = raw.replace(/[^\d+*#]/g, "");
    if (!number) return;
    const sent = wsSend({
      type: "dial", number: raw, // as clicked: the server applies the org's number rules
      record_id: payload.recordId || "", record_name: payload.recordName || "", object_type: payload.objectType || "",
    });
    // Through Zoom's Smart Embed, or the Zoom app when it is silent
    // (static/embed.js); the + is kept either way. Once the server has
    // noted the record (dial_noted), or after a second without an answer.
    const dial = (e164) => {
      const n = e164 || number;
      if (app.embed) app.embed.dial(n);
      else window.open("zoomphonecall://" + n, "_self");
    };
    if (!sent) { dial(); return; }
    let done = false;
    const once = (e164) => { if (!done) { done = true; state.dialNoted = null; dial(e164); } };
    state.dialNoted = (msg) => { if (msg.number === raw) once(msg.e164); };
    setTimeout(() => once(), 1000);
  }

  // Sales Engagement hands us the work item the agent is about to call; it
  // is completed once that call's Task is saved (reference §7).
  function onWorkStart(payload) {
    if (!payload || !payload.workId) return;
    const to = String(payload.attributes && payload.attributes.to || "");
    setWork({ workId: payload.workId, to, callId: null });
  }

  function setWork(w) {
    state.work = w;
    if (w) sessionStorage.setItem("zoomcti.work", JSON.stringify(w));
    else sessionStorage.removeItem("zoomcti.work");
  }

  // Numbers reach us in many spellings ("(202) 555-0142", "+12025550142"):
  // compare digits, allowing a missing country code or outside-line prefix.
  function sameNumber(a, b) {
    const x = String(a || "").replace(/\D/g, ""), y = String(b || "").replace(/\D/g, "");
    if (!x || !y) return false;
    const [short, long] = x.length <= y.length ? [x, y] : [y, x];
    return short.length >= 7 && long.endsWith(short);
  }

  function isWorkCall(call) {
    return !!call && call.direction === "outbound" && sameNumber(call.number, state.work.to);
  }

  // The first outbound call to the work item's number is its call.
  function bindWork(call) {
    const w = state.work;
    if (w && !w.callId && isWorkCall(call)) setWork({ ...w, callId: call.id });
  }

  async function completeWork(callID, taskID) {
    const w = state.work;
    if (!w) return;
    const call = state.calls.get(callID);
    if (w.callId ? w.callId !== callID : !isWorkCall(call)) return;
    setWork(null);
    const api = await opencti;
    if (!api.hvs || typeof api.hvs.completeWork !== "function") return;
    api.hvs.completeWork({
      workId: w.workId,
      attributes: {
        disposition: state.dispositions.get(callID) || "",
        taskId: taskID,
        wasConnected: !!call && call.result === "completed",
      },
      callback: (r) => {
        if (r && r.success === false) showError("Sales Engagement did not take the call: " + ((r.errors || [])[0] || {}).description);
      },
    });
  }

  async function pop(msg) {
    const call = msg.call;
    const p = msg.pop;
    if (!p || state.popped.has(call.id)) return;
    state.popped.add(call.id);
    sessionStorage.setItem("zoomcti.popped", JSON.stringify([...state.popped].slice(-50)));
    if (!(await claimPop(call.id))) return;
    const api = await opencti;
    if (call.direction === "inbound") api.setSoftphonePanelVisibility({ visible: true });
    if (p.kind === "record") {
      api.screenPop({ type: api.SCREENPOP_TYPE.SOBJECT, params: { recordId: p.record_id } });
    } else if (p.kind === "search") {
      api.screenPop({ type: api.SCREENPOP_TYPE.SEARCH, params: { searchString: p.search_string } });
    } else if (p.kind === "new") {
      api.screenPop({
        type: api.SCREENPOP_TYPE.NEW_RECORD_MODAL,
        params: { entityName: p.entity_name, defaultFieldValues: p.default_fields || {} },
      });
    } else if (p.kind === "flow") {
      // The flow's input variable must be named Phone and typed String, or
      // Salesforce silently drops the argument.
      const number = call.number || (p.default_fields && p.default_fields.Phone) || "";
      api.screenPop({
        type: api.SCREENPOP_TYPE.FLOW,
        params: { flowDevName: p.flow, flowArgs: [{ name: "Phone", type: "String", value: number }] },
      });
    } else if (p.kind === "layout") {
      // The org's softphone layout decides what several matches pop.
      const callType = { inbound: api.CALL_TYPE.INBOUND, outbound: api.CALL_TYPE.OUTBOUND, internal: api.CALL_TYPE.INTERNAL };
      api.searchAndScreenPop({
        searchParams: p.search_string,
        callType: callType[p.call_type] || api.CALL_TYPE.INBOUND,
        defaultFieldValues: p.default_fields || {},
        deferred: false,
      });
    }
    // "choose": the agent picks one of the matches listed in the call card.
  }

  // Every console tab runs this page and hears the call: one of them pops
  // it, the visible one first. They share storage (one top-level site), so
  // the first to mark the call under a Web Lock wins.
  async function claimPop(callID) {
    const key = "zoomcti.pop." + callID;
    if (document.visibilityState !== "visible") await new Promise((r) => setTimeout(r, 400));
    const claim = () => {
      if (localStorage.getItem(key)) return false;
      localStorage.setItem(key, String(Date.now()));
      return true;
    };
    try {
      return navigator.locks ? await navigator.locks.request("zoomcti.pop", claim) : claim();
    } catch (e) {
      return true; // no storage here: this tab pops
    }
  }

  // Claims older than a day are forgotten.
  function forgetOldPops() {
    try {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const k = localStorage.key(i);
        if (k && k.startsWith("zoomcti.pop.") && Date.now() - Number(localStorage.getItem(k)) > 86400000) localStorage.removeItem(k);
      }
    } catch (e) { /* no storage */ }
  }
  forgetOldPops();

  async function popRecord(id) {
    const api = await opencti;
    api.screenPop({ type: api.SCREENPOP_TYPE.SOBJECT, params: { recordId: id } });
  }

  // --- Sign-in and websocket -------------------------------------------------

  async function signIn() {
    const saved = sessionStorage.getItem("zoomcti.token");
    if (saved) {
      state.token = saved;
      const res = await fetch("/api/me", { headers: { Authorization: "Bearer " + saved } });
      if (res.ok) { signedIn(saved, await res.json()); return; }
      sessionStorage.removeItem("zoomcti.token");
    }
    if (config.demo && !sessionStorage.getItem("zoomcti.signedOut")) {
      // The demo's agent is signed in already, standing in for the popup.
      const res = await fetch("/api/demo/session", { method: "POST" });
      if (!res.ok) throw new Error("demo sign-in failed (" + res.status + ")");
      const body = await res.json();
      signedIn(body.token, body.agent);
      return;
    }
    showSignin();
  }

  function signedIn(token, agent) {
    state.token = token;
    sessionStorage.setItem("zoomcti.token", token);
    sessionStorage.removeItem("zoomcti.signedOut");
    if (agent.sign_in_required) { showSignin(agent.sign_in_required); return; }
    showAgent(agent);
    if (state.ws) { state.ws.onclose = null; state.ws.close(); }
    connect();
  }

  function showSignin(message) {
    app.wrapups.reset();
    app.settings.setAgent(null);
    $("agent").hidden = true;
    $("signin").hidden = false;
    $("signin-btn").disabled = false;
    $("signin-msg").textContent = message || "Sign in with Salesforce to receive your calls here.";
  }

  // The popup runs the OAuth flow on our own origin and hands its result
  // to us, the window that opened it, by postMessage. We take a message only
  // from our own origin and from the very popup we opened.
  function startSignin() {
    // The org this console belongs to: the server signs the agent in to
    // it, with its own app, and refuses an org it does not connect to.
    const origin = salesforceOrigin();
    const start = "/oauth/salesforce/start" + (origin ? "?origin=" + encodeURIComponent(origin) : "");
    const popup = window.open(start, "zoomcti-signin", "popup,width=520,height=700");
    if (!popup) {
      showSignin("Your browser blocked the sign-in window. Allow pop-ups for Salesforce and press Sign in again.");
      return;
    }
    $("signin-btn").disabled = true;
    $("signin-msg").textContent = "Finish signing in in the Salesforce window…";
    state.signinPopup = popup;
    watchPopup(popup, () => {
      if (state.signinPopup !== popup) return;
      state.signinPopup = null;
      showSignin("The sign-in window was closed. Press Sign in to try again.");
    });
  }

  // watchPopup calls onClosed if the popup closes without a result.
  function watchPopup(popup, onClosed) {
    const timer = setInterval(() => {
      if (!popup.closed) return;
      clearInterval(timer);
      setTimeout(onClosed, 500); // its last message may still be on the way
    }, 1000);
  }

  window.addEventListener("message", (e) => {
    if (e.origin !== location.origin || !e.data || !e.source) return;
    if (e.data.type === "zoomcti:signin" && e.source === state.signinPopup) {
      state.signinPopup = null;
      if (e.data.status === "done" && e.data.token) signedIn(e.data.token, e.data.agent);
      else showSignin(e.data.message);
    } else if (e.data.type === "zoomcti:zoom" && e.source === state.zoomPopup) {
      state.zoomPopup = null;
      zoomFinished(e.data);
    }
  });

  async function signOut() {
    const token = state.token;
    state.token = null;
    sessionStorage.removeItem("zoomcti.token");
    sessionStorage.setItem("zoomcti.signedOut", "1");
    if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
    setConnected(false);
    try {
      await fetch("/api/signout", { method: "POST", headers: { Authorization: "Bearer " + token } });
    } catch (e) { /* the session expires by itself */ }
    showSignin("You signed out.");
  }

  function showAgent(agent) {
    $("signin").hidden = true;
    $("agent").hidden = false;
    $("agent-name").textContent = agent.name || agent.username;
    $("agent-user").textContent = agent.username || "";
    renderZoom(agent.zoom);
    app.settings.setAgent(agent); // admins get the Settings button
  }

  // --- Zoom link ------------------------------------------------------------

  const zoomLabel = { linked: "linked", not_linked: "not linked", needs_reauth: "needs re-authorization" };

  function renderZoom(zoom, message) {
    if (!zoom) return;
    $("zoom").dataset.status = zoom.status;
    $("zoom-status").textContent = zoomLabel[zoom.status] + (zoom.email ? " · " + zoom.email : "");
    $("zoom-link-btn").hidden = zoom.status === "linked";
    $("zoom-disconnect-btn").hidden = zoom.status === "not_linked";
    if (zoom.status !== "linked") renderPresence(null);
    $("zoom-msg").textContent = message || zoom.message || "";
  }

  function renderPresence(p) {
    const el = $("presence");
    el.hidden = !p;
    if (!p) return;
    el.textContent = p.label;
    el.dataset.status = p.status;
  }

  async function authorizeZoom() {
    // Opened at once, inside the click, so that no popup blocker stops it.
    const popup = window.open("about:blank", "zoomcti-zoom", "popup,width=520,height=700");
    if (!popup) { $("zoom-msg").textContent = "Your browser blocked the Zoom window. Allow pop-ups and try again."; return; }
    const res = await fetch("/api/zoom/ticket", { method: "POST", headers: { Authorization: "Bearer " + state.token } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok || !body.ticket) { popup.close(); $("zoom-msg").textContent = body.error || "Cannot start the Zoom authorization."; return; }
    // The ticket goes in a POST body aimed at the popup, never in a URL.
    const form = document.createElement("form");
    form.method = "POST";
    form.action = body.action;
    form.target = "zoomcti-zoom";
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "ticket";
    input.value = body.ticket;
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
    setTimeout(() => form.remove(), 0);
    $("zoom-msg").textContent = "Finish in the Zoom window…";
    state.zoomPopup = popup;
    watchPopup(popup, () => {
      if (state.zoomPopup !== popup) return;
      state.zoomPopup = null;
      $("zoom-msg").textContent = "The Zoom window was closed. Press Authorize Zoom to try again.";
    });
  }

  // zoomFinished shows the popup's outcome with the link as the server has it.
  async function zoomFinished(data) {
    try {
      const res = await fetch("/api/me", { headers: { Authorization: "Bearer " + state.token } });
      if (res.ok) {
        const me = await res.json();
        renderZoom(me.zoom, data.status === "done" ? "Zoom is linked." : data.message);
        return;
      }
    } catch (e) { /* show the outcome anyway */ }
    $("zoom-msg").textContent = data.status === "done" ? "Zoom is linked." : data.message;
  }

  async function disconnectZoom() {
    const res = await fetch("/api/zoom/disconnect", { method: "POST", headers: { Authorization: "Bearer " + state.token } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { $("zoom-msg").textContent = body.error || "Disconnect failed; try again."; return; }
    renderZoom(body.zoom, "Zoom disconnected.");
  }

  // The admin's softphone size (settings cards) overrides the call center's.
  async function sizePanel(size) {
    const api = await opencti;
    if (size.height) api.setSoftphonePanelHeight({ heightPX: size.height });
    if (size.width) api.setSoftphonePanelWidth({ widthPX: size.width });
  }

  function setConnected(on) {
    const el = $("conn");
    el.textContent = on ? "connected" : "offline";
    el.className = "conn " + (on ? "conn-on" : "conn-off");
    el.title = on ? "Receiving calls" : "Reconnecting…";
    document.body.dataset.connected = on ? "true" : "false";
  }

  // wsSend drops the message when offline: what it says (a click to dial)
  // is only useful now.
  function wsSend(msg) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
    state.ws.send(JSON.stringify(msg));
    return true;
  }

  function connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    const ws = new WebSocket(url);
    state.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: state.token }));
    ws.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "hello") {
        state.retry = 0;
        setConnected(true);
        showError("");
        if (msg.agent) { renderZoom(msg.agent.zoom); app.settings.setAgent(msg.agent); }
        if (msg.softphone) sizePanel(msg.softphone);
        renderPresence(msg.presence);
        app.wrapups.load(); // calls may have ended while we were away
      } else if (msg.type === "call") {
        onCall(msg);
      } else if (msg.type === "zoom") {
        renderZoom(msg.zoom, msg.message);
      } else if (msg.type === "presence") {
        renderPresence(msg.presence);
      } else if (msg.type === "logged") {
        onLogged(msg);
      } else if (msg.type === "dial_noted") {
        if (state.dialNoted) state.dialNoted(msg);
      } else if (msg.type === "wrapup") {
        app.wrapups.onWrapUp(msg.wrapup);
      } else if (msg.type === "signin_required") {
        sessionStorage.removeItem("zoomcti.token");
        if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
        setConnected(false);
        showSignin(msg.message);
      }
    };
    ws.onclose = (e) => {
      setConnected(false);
      if (e.code === 4401) {
        state.token = null;
        sessionStorage.removeItem("zoomcti.token");
        showSignin("Your session ended. Sign in again.");
        return;
      }
      if (e.code === 4408) {
        // Too many softphones of this agent are open and this is the
        // oldest: reconnecting would only close another one.
        $("zoom-msg").textContent = "This softphone was closed because you opened it in too many tabs. Reload this tab to use it here.";
        return;
      }
      // Back off up to 30 s with jitter, so a restarted server is not
      // stormed by every softphone at once.
      const delay = Math.min(30000, 500 * 2 ** state.retry++) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  // --- Calls -------------------------------------------------------------

  function onCall(msg) {
    const call = msg.call;
    knowCall(call);
    bindWork(call);
    state.call = call;
    renderCall(call);
    if (app.embed) app.embed.onServerCall(call);
    if (call.state === "ended") remember(call);
    pop(msg);
  }

  // The call's Task is in Salesforce: say so, and refresh the console so the
  // record's Activity shows it.
  async function onLogged(msg) {
    const call = state.recent.find((c) => c.id === msg.call_id);
    if (call) { call.logged = true; remember(call); }
    const known = state.calls.get(msg.call_id);
    if (known) known.logged = true;
    if (state.call && state.call.id === msg.call_id) $("call-note").textContent = "Call logged to Salesforce.";
    if (state.wrapups.some((w) => w.call.id === msg.call_id)) {
      // Saved from another window: this one's copy is stale.
      if (state.open && state.open.call.id === msg.call_id) app.wrapups.close();
      app.wrapups.drop(msg.call_id);
    }
    if (state.logMsg && state.logMsg.callId === msg.call_id) app.wrapups.setMessage("Call log saved to Salesforce.");
    completeWork(msg.call_id, msg.task_id);
    const api = await opencti;
    api.refreshView({});
  }

  // knowCall keeps the last calls seen, for messages that name a call only
  // by its id.
  function knowCall(call) {
    state.calls.delete(call.id);
    state.calls.set(call.id, call);
    if (state.calls.size > 50) state.calls.delete(state.calls.keys().next().value);
  }

  const dirLabel = { inbound: "Incoming call", outbound: "Outgoing call", internal: "Internal call" };
  const stateLabel = { ringing: "Ringing", answered: "On call", held: "On hold", ended: "Ended" };

  function renderCall(call) {
    const card = $("call");
    card.hidden = false;
    card.dataset.callId = call.id;
    card.dataset.state = call.state;
    card.classList.toggle("ended", call.state === "ended");
    $("call-dir").textContent = dirLabel[call.direction] || "Call";
    $("call-state").textContent = call.state === "ended" && call.result ? "Ended · " + call.result : stateLabel[call.state] || call.state;
    $("call-number").textContent = call.number || "Unknown number";
    $("call-name").textContent = call.name || "";
    $("call-queue").textContent = call.queue ? "via " + call.queue : "";
    const list = $("call-matches");
    list.textContent = "";
    for (const m of call.matches || []) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "link";
      // An Account's "account" is itself: its name is said once.
      const account = m.type !== "Account" && m.account_name && m.account_name !== m.name ? " · " + m.account_name : "";
      b.textContent = m.name + " · " + m.type + account;
      b.dataset.recordId = m.id;
      const several = (call.matches || []).length > 1;
      if (several) {
        // The one picked is the one the call is logged on; it stays
        // marked across a reload and in every tab (the server keeps it).
        b.setAttribute("aria-pressed", String(call.chosen === m.id));
        if (call.chosen === m.id) b.classList.add("chosen");
      }
      b.onclick = () => {
        popRecord(m.id);
        if (several) wsSend({ type: "choose", call_id: call.id, record_id: m.id });
      };
      li.appendChild(b);
      list.appendChild(li);
    }
    $("call-note").textContent = (call.matches || []).length === 0 && call.direction !== "internal"
      ? "No matching Contact, Lead or Account."
      : (call.matches.length > 1
        ? (call.chosen ? "Logged on the record you picked." : call.state === "ended" ? "" : "Several records match: pick one.")
        : "");
    clearInterval(state.timer);
    const tick = () => {
      let secs = call.duration;
      if (call.state !== "ended" && call.answered) secs = Math.max(0, Math.round((Date.now() - Date.parse(call.answered)) / 1000));
      $("call-timer").textContent = call.answered ? fmtDuration(secs) : "";
    };
    tick();
    if (call.state !== "ended") state.timer = setInterval(tick, 1000);
  }

  function fmtDuration(s) {
    const m = Math.floor(s / 60), r = s % 60;
    return m + ":" + String(r).padStart(2, "0");
  }

  function remember(call) {
    state.recent = [call, ...state.recent.filter((c) => c.id !== call.id)].slice(0, 10);
    const ul = $("recent");
    ul.textContent = "";
    for (const c of state.recent) {
      const li = document.createElement("li");
      const who = document.createElement("span");
      who.textContent = (c.matches && c.matches[0] ? c.matches[0].name : c.number) + " · " + (dirLabel[c.direction] || "");
      const how = document.createElement("span");
      how.className = "muted";
      how.textContent = (c.result === "completed" ? fmtDuration(c.duration) : c.result || "") + (c.logged ? " · logged" : "");
      li.append(who, how);
      ul.appendChild(li);
    }
  }

  Object.assign(app, { knowCall, dirLabel, fmtDuration });
  $("signin-btn").onclick = startSignin;
  $("signout-btn").onclick = signOut;
  $("zoom-link-btn").onclick = authorizeZoom;
  $("zoom-disconnect-btn").onclick = disconnectZoom;
  setConnected(false);
  // After static/wrapup.js and static/settings.js (also deferred, and later
  // in the page) have run.
  window.addEventListener("DOMContentLoaded", () => {
    loadOpenCTI();
    signIn().catch((e) => showError(e.message));
  });
})();
