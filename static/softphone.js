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
    wsSend({
      type: "dial", number: raw, // as clicked: the server applies the org's number rules
      record_id: payload.recordId || "", record_name: payload.recordName || "", object_type: payload.objectType || "",
    });
    window.open("zoomphonecall://" + encodeURIComponent(number), "_self");
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
    resetWrapUps();
    $("agent").hidden = true;
    $("signin").hidden = false;
    $("signin-btn").disabled = false;
    $("signin-msg").textContent = message || "Sign in with Salesforce to receive your calls here.";
  }

  // The popup runs the OAuth flow on our own origin; we poll for its result
  // with a key only this page knows.
  function startSignin() {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    const poll = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const popup = window.open("/oauth/salesforce/start?poll=" + poll, "zoomcti-signin", "popup,width=520,height=700");
    if (!popup) {
      showSignin("Your browser blocked the sign-in window. Allow pop-ups for Salesforce and press Sign in again.");
      return;
    }
    $("signin-btn").disabled = true;
    $("signin-msg").textContent = "Finish signing in in the Salesforce window…";
    state.poll = { key: poll, until: Date.now() + 10 * 60 * 1000 };
    pollSignin();
  }

  async function pollSignin() {
    const p = state.poll;
    if (!p || p.busy) return;
    if (Date.now() > p.until) { state.poll = null; showSignin("Sign-in timed out. Press Sign in to try again."); return; }
    p.busy = true;
    let body = { status: "pending" };
    try {
      const res = await fetch("/api/session/poll", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ poll: p.key }) });
      if (res.ok) body = await res.json();
    } catch (e) { /* offline for a moment: keep polling */ }
    p.busy = false;
    if (state.poll !== p) return;
    if (body.status === "done") { state.poll = null; signedIn(body.token, body.agent); return; }
    if (body.status === "error") { state.poll = null; showSignin(body.message); return; }
    clearTimeout(p.timer);
    p.timer = setTimeout(pollSignin, 1000);
  }

  window.addEventListener("message", (e) => {
    if (e.origin === location.origin && e.data && e.data.type === "zoomcti:signin-done") { pollSignin(); pollZoom(); }
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

  function newPollKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function authorizeZoom() {
    // Opened at once, inside the click, so that no popup blocker stops it.
    const popup = window.open("about:blank", "zoomcti-zoom", "popup,width=520,height=700");
    if (!popup) { $("zoom-msg").textContent = "Your browser blocked the Zoom window. Allow pop-ups and try again."; return; }
    const poll = newPollKey();
    const res = await fetch("/api/zoom/ticket", {
      method: "POST", headers: { Authorization: "Bearer " + state.token, "Content-Type": "application/json" },
      body: JSON.stringify({ poll }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { popup.close(); $("zoom-msg").textContent = body.error || "Cannot start the Zoom authorization."; return; }
    popup.location.href = body.url;
    $("zoom-msg").textContent = "Finish in the Zoom window…";
    state.zoomPoll = { key: poll, until: Date.now() + 10 * 60 * 1000 };
    pollZoom();
  }

  async function pollZoom() {
    const p = state.zoomPoll;
    if (!p || p.busy) return;
    if (Date.now() > p.until) { state.zoomPoll = null; $("zoom-msg").textContent = "Zoom authorization timed out. Try again."; return; }
    p.busy = true;
    let body = { status: "pending" };
    try {
      const res = await fetch("/api/zoom/poll", {
        method: "POST", headers: { Authorization: "Bearer " + state.token, "Content-Type": "application/json" },
        body: JSON.stringify({ poll: p.key }),
      });
      if (res.ok) body = await res.json();
    } catch (e) { /* keep polling */ }
    p.busy = false;
    if (state.zoomPoll !== p) return;
    if (body.status === "done") { state.zoomPoll = null; renderZoom(body.zoom, "Zoom is linked."); return; }
    if (body.status === "error") { state.zoomPoll = null; $("zoom-msg").textContent = body.message; return; }
    clearTimeout(p.timer);
    p.timer = setTimeout(pollZoom, 1000);
  }

  async function disconnectZoom() {
    const res = await fetch("/api/zoom/disconnect", { method: "POST", headers: { Authorization: "Bearer " + state.token } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { $("zoom-msg").textContent = body.error || "Disconnect failed; try again."; return; }
    renderZoom(body.zoom, "Zoom disconnected.");
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
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
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
        if (msg.agent) renderZoom(msg.agent.zoom);
        renderPresence(msg.presence);
        loadWrapUps(); // calls may have ended while we were away
      } else if (msg.type === "call") {
        onCall(msg);
      } else if (msg.type === "zoom") {
        renderZoom(msg.zoom, msg.message);
      } else if (msg.type === "presence") {
        renderPresence(msg.presence);
      } else if (msg.type === "logged") {
        onLogged(msg);
      } else if (msg.type === "wrapup") {
        onWrapUp(msg.wrapup);
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
      if (state.open && state.open.call.id === msg.call_id) closeWrapUp();
      dropWrapUp(msg.call_id);
    }
    if (state.logMsg && state.logMsg.callId === msg.call_id) setUnlinkedMsg("Call log saved to Salesforce.");
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
      b.textContent = m.name + " · " + m.type + (m.account_name ? " · " + m.account_name : "");
      b.dataset.recordId = m.id;
      b.onclick = () => popRecord(m.id);
      li.appendChild(b);
      list.appendChild(li);
    }
    $("call-note").textContent = (call.matches || []).length === 0 && call.direction !== "internal"
      ? "No matching Contact, Lead or Account." : (call.matches.length > 1 ? "Several records match: pick one." : "");
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

  // --- Wrap-up and unlinked call logs ------------------------------------
  //
  // With Auto Save Call Logs off, every ended call waits on the server until
  // the agent saves or discards its log. The list comes from the server, so
  // it survives reloads and shows calls that ended while the page was closed.

  async function request(method, path, body) {
    const init = { method, headers: { Authorization: "Bearer " + state.token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const data = await res.json().catch(() => ({}));
    return { status: res.status, ok: res.ok, data };
  }

  let loadSeq = 0;
  async function loadWrapUps() {
    if (!state.token) return;
    const seq = ++loadSeq;
    let res;
    try { res = await request("GET", "/api/calllogs"); } catch (e) { return; }
    if (seq !== loadSeq || !res.ok) return; // a newer load answers
    state.form = res.data.form || null;
    state.wrapups = res.data.wrapups || [];
    for (const w of state.wrapups) knowCall(w.call);
    renderUnlinked();
  }

  // A call just ended: list it at once and open its form, unless the agent
  // is busy with another one.
  async function onWrapUp(w) {
    if (!w || !w.call) return;
    knowCall(w.call);
    state.wrapups = [w, ...state.wrapups.filter((x) => x.call.id !== w.call.id)];
    renderUnlinked();
    await loadWrapUps();
    if (!state.open && state.wrapups.some((x) => x.call.id === w.call.id)) openWrapUp(w.call.id);
  }

  function dropWrapUp(callID) {
    state.wrapups = state.wrapups.filter((w) => w.call.id !== callID);
    renderUnlinked();
  }

  function resetWrapUps() {
    closeWrapUp();
    state.wrapups = [];
    state.form = null;
    renderUnlinked();
  }

  function whoOf(call) {
    const m = call.matches && call.matches[0];
    return m ? m.name : call.name || call.number || "Unknown number";
  }

  function fmtWhen(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return d.toDateString() === new Date().toDateString() ? time : d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + time;
  }

  function describeCall(call) {
    const parts = [dirLabel[call.direction] || "Call", call.number || "Unknown number"];
    parts.push(call.result === "completed" ? fmtDuration(call.duration) : call.result || "");
    parts.push(fmtWhen(call.ended || call.ringing));
    return parts.filter(Boolean).join(" · ");
  }

  function renderUnlinked() {
    const list = state.wrapups;
    // Shown while there is something to log, and always when the admin
    // wants every call logged by hand (an empty list is good news then).
    $("unlinked").hidden = list.length === 0 && (!state.form || state.form.auto_save);
    $("unlinked-count").textContent = String(list.length);
    $("unlinked-count").dataset.count = String(list.length);
    const ul = $("unlinked-list");
    ul.textContent = "";
    if (list.length === 0) {
      const li = document.createElement("li");
      li.className = "muted empty";
      li.textContent = "Every call is logged.";
      ul.appendChild(li);
    }
    for (const w of list) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.callId = w.call.id;
      if (state.open && state.open.call.id === w.call.id) b.setAttribute("aria-current", "true");
      const who = document.createElement("span");
      who.textContent = whoOf(w.call) + " · " + (dirLabel[w.call.direction] || "Call");
      const when = document.createElement("span");
      when.className = "muted";
      when.textContent = fmtWhen(w.created);
      b.append(who, when);
      b.onclick = () => openWrapUp(w.call.id);
      li.appendChild(b);
      ul.appendChild(li);
    }
  }

  function setUnlinkedMsg(text, callId) {
    state.logMsg = text ? { callId } : null;
    $("unlinked-msg").textContent = text || "";
  }

  function option(value, label) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    return o;
  }

  // A picker is a search box over GET /api/records plus quick choices; the
  // chosen record's id is what gets saved, the box shows its name.
  function makePicker(prefix, kind, onPick) {
    const input = $(prefix + "-q"), results = $(prefix + "-results"), chips = $(prefix + "-chips");
    const p = { id: "", name: "", timer: null, seq: 0 };
    const pick = (rec) => {
      p.id = rec ? rec.id : "";
      p.name = rec ? rec.name : "";
      input.value = p.name;
      input.dataset.recordId = p.id;
      results.textContent = "";
      clearTimeout(p.timer);
      p.seq++; // a search still on its way must not reopen the results
      if (onPick) onPick(p.id);
    };
    const note = (text) => {
      results.textContent = "";
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = text;
      results.appendChild(li);
    };
    async function search(q) {
      const seq = ++p.seq;
      note("Searching…");
      let res;
      try {
        res = await request("GET", "/api/records?for=" + kind + "&q=" + encodeURIComponent(q));
      } catch (e) {
        res = { ok: false, data: { error: "Search failed: check your connection." } };
      }
      if (seq !== p.seq) return; // the agent typed on
      if (!res.ok) { note(res.data.error || "Search failed; try again."); return; }
      const recs = res.data.records || [];
      if (recs.length === 0) { note("No records found."); return; }
      results.textContent = "";
      for (const rec of recs) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.dataset.recordId = rec.id;
        const name = document.createElement("span");
        name.textContent = rec.name;
        const detail = document.createElement("span");
        detail.className = "detail";
        detail.textContent = " · " + rec.type + (rec.detail ? " · " + rec.detail : "");
        b.append(name, detail);
        b.onclick = () => { pick(rec); input.focus(); };
        li.appendChild(b);
        results.appendChild(li);
      }
    }
    input.addEventListener("input", () => {
      p.id = "";
      input.dataset.recordId = "";
      if (onPick) onPick("");
      clearTimeout(p.timer);
      const q = input.value.trim();
      if (q.length < 2) { p.seq++; results.textContent = ""; return; }
      p.timer = setTimeout(() => search(q), 300); // one request per pause in typing
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") {
        const first = results.querySelector("button");
        if (first) { e.preventDefault(); first.focus(); }
      } else if (e.key === "Escape") {
        results.textContent = "";
      } else if (e.key === "Enter") {
        e.preventDefault(); // Enter picks, it does not save the half-filled form
        const first = results.querySelector("button");
        if (first) first.click();
      }
    });
    results.addEventListener("keydown", (e) => {
      const items = [...results.querySelectorAll("button")];
      const i = items.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < items.length - 1) { e.preventDefault(); items[i + 1].focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? items[i - 1] : input).focus(); }
      if (e.key === "Escape") { results.textContent = ""; input.focus(); }
    });
    p.set = pick;
    // pending: the agent typed but did not choose, so there is nothing to save.
    p.pending = () => input.value.trim() !== "" && !p.id;
    p.chips = (recs) => {
      chips.textContent = "";
      for (const rec of recs) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "chip";
        b.dataset.recordId = rec.id;
        b.textContent = rec.name + (rec.type ? " · " + rec.type : "");
        b.onclick = () => pick(rec);
        chips.appendChild(b);
      }
    };
    p.input = input;
    return p;
  }

  // A call logged on a Lead cannot be related to anything else.
  function onWhoChange(id) {
    const lead = id.startsWith("00Q");
    const what = $("wu-what-q");
    if (lead && whatPicker.id) whatPicker.set(null);
    what.disabled = lead;
    what.placeholder = lead ? "Not available for a Lead" : whatPlaceholder();
  }

  function whatPlaceholder() {
    const objs = (state.form && state.form.related_to_objects) || [];
    return objs.length ? "Search " + objs.join(", ") : "Search records";
  }

  const whoPicker = makePicker("wu-who", "who", onWhoChange);
  const whatPicker = makePicker("wu-what", "what");

  // recordName names an id the call's matches know: a match or its Account.
  function recordName(call, id) {
    for (const m of call.matches || []) {
      if (m.id === id) return m.name;
      if (m.account_id === id && m.account_name) return m.account_name;
    }
    return id;
  }

  function accountsOf(call) {
    const seen = new Map();
    for (const m of call.matches || []) {
      if (m.type === "Account") seen.set(m.id, { id: m.id, name: m.name, type: "Account" });
      else if (m.account_id && m.account_name) seen.set(m.account_id, { id: m.account_id, name: m.account_name, type: "Account" });
    }
    return [...seen.values()];
  }

  function openWrapUp(callID) {
    const w = state.wrapups.find((x) => x.call.id === callID);
    const f = state.form;
    if (!w || !f || state.saving) return;
    state.open = w;
    const call = w.call, draft = w.draft || {};
    $("wrapup").dataset.callId = call.id;
    $("wu-call").textContent = whoOf(call) + " — " + describeCall(call);
    $("wu-subject").value = draft.subject || "";
    $("wu-notes").value = "";

    $("wu-disposition-field").hidden = !f.sales_engagement;
    const disp = $("wu-disposition");
    disp.textContent = "";
    disp.appendChild(option("", "— None —"));
    for (const d of f.dispositions || []) disp.appendChild(option(d, d));

    // Name: among the number's matches, or any Contact or Lead when the
    // admin lets agents search.
    const people = (call.matches || []).filter((m) => m.type === "Contact" || m.type === "Lead");
    const who = $("wu-who");
    who.hidden = f.editable_who;
    $("wu-who-picker").hidden = !f.editable_who;
    $("wu-who-label").htmlFor = f.editable_who ? "wu-who-q" : "wu-who";
    who.textContent = "";
    if (!draft.who_id || people.length === 0) who.appendChild(option("", people.length ? "— None —" : "No Contact or Lead matches the number"));
    for (const m of people) who.appendChild(option(m.id, m.name + " · " + m.type + (m.account_name ? " · " + m.account_name : "")));
    who.value = draft.who_id || "";
    who.disabled = people.length === 0;
    whoPicker.set(draft.who_id ? { id: draft.who_id, name: recordName(call, draft.who_id) } : null);
    whoPicker.chips(people.map((m) => ({ id: m.id, name: m.name, type: m.type })));

    whatPicker.set(draft.what_id ? { id: draft.what_id, name: recordName(call, draft.what_id) } : null);
    whatPicker.chips(accountsOf(call));
    onWhoChange(f.editable_who ? whoPicker.id : who.value);

    renderExtraFields(f.fields || [], draft.fields || {});
    clearErrors();
    setFormMsg("");
    $("wu-confirm").hidden = true;
    $("wrapup").hidden = false;
    renderUnlinked();
    $("wrapup").scrollIntoView({ block: "start" });
    $("wu-notes").focus();
  }

  function closeWrapUp() {
    state.open = null;
    $("wrapup").hidden = true;
    $("wu-confirm").hidden = true;
    renderUnlinked();
  }

  // The admin's extra Task fields, in the admin's order.
  function renderExtraFields(fields, draftFields) {
    const box = $("wu-fields");
    box.textContent = "";
    fields.forEach((f, i) => {
      const id = "wu-f-" + i;
      const wrap = document.createElement("div");
      wrap.className = "field";
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = f.label;
      if (f.required) {
        const star = document.createElement("span");
        star.className = "req";
        star.textContent = "*";
        star.setAttribute("aria-hidden", "true");
        label.appendChild(star);
      }
      let control;
      if (f.type === "picklist") {
        control = document.createElement("select");
        control.appendChild(option("", "— None —"));
        for (const o of f.options || []) control.appendChild(option(o, o));
      } else if (f.type === "textarea") {
        control = document.createElement("textarea");
        control.rows = 2;
      } else {
        control = document.createElement("input");
        control.type = "text";
        control.maxLength = 255;
      }
      control.id = id;
      control.dataset.field = f.name;
      // Checked by the server, which names the problem next to the field;
      // `required` would let the browser block the save with its own bubble.
      if (f.required) control.setAttribute("aria-required", "true");
      const value = draftFields[f.name] !== undefined ? draftFields[f.name] : f.default || "";
      control.value = value;
      const err = document.createElement("p");
      err.id = id + "-err";
      err.className = "field-error";
      err.dataset.errorFor = "fields." + f.name;
      err.hidden = true;
      control.setAttribute("aria-describedby", err.id);
      wrap.append(label, control, err);
      box.appendChild(wrap);
    });
  }

  function errorEl(key) {
    return [...document.querySelectorAll("#wu-form [data-error-for]")].find((el) => el.dataset.errorFor === key);
  }

  function controlFor(key) {
    const ids = { subject: "wu-subject", notes: "wu-notes", disposition: "wu-disposition", what_id: "wu-what-q" };
    if (key === "who_id") return state.form && state.form.editable_who ? $("wu-who-q") : $("wu-who");
    if (ids[key]) return $(ids[key]);
    if (key.startsWith("fields.")) return [...$("wu-fields").querySelectorAll("[data-field]")].find((c) => c.dataset.field === key.slice(7));
    return null;
  }

  function clearErrors() {
    for (const el of document.querySelectorAll("#wu-form [data-error-for]")) { el.textContent = ""; el.hidden = true; }
    for (const el of document.querySelectorAll("#wu-form [aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  // showErrors puts each message next to its control; one for a control the
  // form does not show goes into the form's message instead.
  function showErrors(fields) {
    const stray = [];
    let first = null;
    for (const [key, msg] of Object.entries(fields || {})) {
      const el = errorEl(key), control = controlFor(key);
      if (!el || (el.closest(".field") || el).hidden) { stray.push(key + ": " + msg); continue; }
      el.textContent = msg;
      el.hidden = false;
      if (control) {
        control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
    }
    if (first) first.focus();
    return stray;
  }

  function sentence(s) {
    return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");
  }

  function setFormMsg(text, isError) {
    const el = $("wu-msg");
    el.textContent = text || "";
    el.classList.toggle("is-error", !!isError);
  }

  function editOf(f) {
    const fields = {};
    for (const c of $("wu-fields").querySelectorAll("[data-field]")) fields[c.dataset.field] = c.value;
    return {
      subject: $("wu-subject").value,
      notes: $("wu-notes").value,
      disposition: f.sales_engagement ? $("wu-disposition").value : "",
      who_id: f.editable_who ? whoPicker.id : $("wu-who").value,
      what_id: whatPicker.id,
      fields,
    };
  }

  async function saveWrapUp(e) {
    e.preventDefault();
    const w = state.open, f = state.form;
    if (!w || !f || state.saving) return;
    clearErrors();
    setFormMsg("");
    const local = {};
    if (f.editable_who && whoPicker.pending()) local.who_id = "Choose a Contact or Lead from the search results, or clear the box.";
    if (whatPicker.pending()) local.what_id = "Choose a record from the search results, or clear the box.";
    if (Object.keys(local).length) { showErrors(local); setFormMsg("Check the highlighted fields.", true); return; }

    const edit = editOf(f);
    // Noted before the request: the Task can be written, and its "logged"
    // message arrive, before this request's answer does.
    state.dispositions.set(w.call.id, edit.disposition);
    state.saving = true;
    $("wu-save").disabled = true;
    setFormMsg("Saving…");
    let res;
    try {
      res = await request("POST", "/api/calllogs/" + encodeURIComponent(w.call.id), edit);
    } catch (err) {
      res = { status: 0, ok: false, data: { error: "Not saved: check your connection and try again." } };
    }
    state.saving = false;
    $("wu-save").disabled = false;
    if (res.status !== 202) state.dispositions.delete(w.call.id);
    if (res.status === 202) {
      // Queued: the "logged" message follows once Salesforce has the Task
      // (or came already).
      closeWrapUp();
      dropWrapUp(w.call.id);
      const logged = (state.calls.get(w.call.id) || {}).logged;
      setUnlinkedMsg(logged ? "Call log saved to Salesforce." : "Saving the log of the call with " + whoOf(w.call) + "…", w.call.id);
      loadWrapUps();
    } else if (res.status === 400) {
      const stray = showErrors(res.data.fields);
      setFormMsg([sentence(res.data.error || "Check the highlighted fields."), ...stray].join(" "), true);
    } else if (res.status === 404) {
      closeWrapUp();
      dropWrapUp(w.call.id);
      setUnlinkedMsg("That call log was already saved or discarded.");
      loadWrapUps();
    } else {
      setFormMsg(res.data.error || "Not saved; try again.", true);
    }
  }

  async function discardWrapUp() {
    const w = state.open;
    if (!w || state.saving) return;
    state.saving = true;
    let res;
    try {
      res = await request("DELETE", "/api/calllogs/" + encodeURIComponent(w.call.id));
    } catch (err) {
      res = { status: 0, ok: false, data: { error: "Not discarded: check your connection and try again." } };
    }
    state.saving = false;
    if (res.ok || res.status === 404) {
      closeWrapUp();
      dropWrapUp(w.call.id);
      setUnlinkedMsg(res.ok ? "Call log discarded." : "That call log was already saved or discarded.");
      loadWrapUps();
      return;
    }
    $("wu-confirm").hidden = true;
    setFormMsg(res.data.error || "Not discarded; try again.", true);
  }

  // Discarding cannot be undone, so it asks first, inside the page: a
  // confirm() dialog may be blocked in Salesforce's cross-origin frame.
  function askDiscard() {
    $("wu-confirm").hidden = false;
    $("wu-discard-no").focus();
  }

  function keepWrapUp() {
    $("wu-confirm").hidden = true;
    $("wu-discard").focus();
  }

  $("wu-form").addEventListener("submit", saveWrapUp);
  $("wu-who").addEventListener("change", () => onWhoChange($("wu-who").value));
  $("wu-later").onclick = closeWrapUp;
  $("wu-discard").onclick = askDiscard;
  $("wu-discard-yes").onclick = discardWrapUp;
  $("wu-discard-no").onclick = keepWrapUp;
  $("wu-confirm").addEventListener("keydown", (e) => { if (e.key === "Escape") keepWrapUp(); });

  $("signin-btn").onclick = startSignin;
  $("signout-btn").onclick = signOut;
  $("zoom-link-btn").onclick = authorizeZoom;
  $("zoom-disconnect-btn").onclick = disconnectZoom;
  setConnected(false);
  loadOpenCTI();
  signIn().catch((e) => showError(e.message));
})();
