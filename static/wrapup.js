// The wrap-up form and the unlinked call logs of the zoomcti softphone
// (static/softphone.js). With Auto Save Call Logs off, every ended call
// waits on the server until the agent saves or discards its log.
(function () {
  "use strict";

  const app = window.zoomcti;
  const { $, state, knowCall, dirLabel, fmtDuration } = app;

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
    who.appendChild(option("", people.length ? "— None —" : "No Contact or Lead matches the number"));
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
    // An empty Name keeps the draft's; "none" clears it.
    const who = (f.editable_who ? whoPicker.id : $("wu-who").value) || (state.open && state.open.draft.who_id ? "none" : "");
    const fields = {};
    for (const c of $("wu-fields").querySelectorAll("[data-field]")) fields[c.dataset.field] = c.value;
    return {
      subject: $("wu-subject").value,
      notes: $("wu-notes").value,
      disposition: f.sales_engagement ? $("wu-disposition").value : "",
      who_id: who,
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

  app.wrapups = {
    load: loadWrapUps, onWrapUp, drop: dropWrapUp, reset: resetWrapUps,
    close: closeWrapUp, setMessage: setUnlinkedMsg,
  };
})();
