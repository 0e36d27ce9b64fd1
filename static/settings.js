// The admin's settings cards in the zoomcti softphone (static/softphone.js):
// the Zoom for Lightning settings of the admin's Salesforce org, read and
// written as one document through /api/settings, and a read-only Health
// card from /api/admin/status. Only admins see the Settings button; the
// server refuses anyone else anyway. A change applies to the next call.
(function () {
  "use strict";

  const app = window.zoomcti;
  const { $, state } = app;

  const MAX_FIELDS = 20; // cti.Settings.Validate: at most 20 call log fields

  // The cards, grouped as the Zoom for Lightning documentation groups them.
  // A control's id is "set-" + its setting, and its error element answers
  // to the setting's key in the server's field errors.
  const CARDS = [
    {
      title: "Call logging",
      items: [
        {
          key: "auto_save_call_logs", type: "toggle", label: "Auto Save Call Logs",
          help: "On: the call log (a Task) is written when the call ends. Off: the agent completes a wrap-up form first, and the call waits in Unlinked call logs until it is saved or discarded.",
        },
        {
          key: "log_queue_calls_to_answering_member", type: "toggle", label: "Log answered queue calls against the answering member",
          help: "On: a queue call is logged once, for the member who answered, and not for members it only rang. Off: still one log per queue call; when nobody answered, the first member it rang gets it.",
        },
        {
          key: "ignore_internal_calls", type: "toggle", label: "Ignore internal calls",
          help: "Calls between extensions are neither popped nor logged.",
        },
        {
          key: "task_status", type: "text", label: "Closed Task status", placeholder: "the org's own (e.g. Completed)", maxLength: 255,
          help: "The API name of one of your org's closed Task statuses. Empty: the first closed status in Setup, read from the org.",
        },
        {
          key: "call_log_fields", type: "fields", label: "Call log fields",
          help: "Extra Task fields, in this order: the wrap-up form shows them and the call log writes them. A default is also what Auto Save writes.",
        },
      ],
    },
    {
      title: "SMS",
      items: [
        {
          key: "auto_save_sms", type: "toggle", label: "Auto Save SMS",
          help: "One Task per agent, other number and day, created on the first text and updated as more arrive.",
        },
      ],
    },
    {
      title: "Wrap-up",
      items: [
        {
          key: "editable_contact_lead", type: "toggle", label: "Editable Contact/Lead",
          help: "On: the wrap-up's Name searches any Contact or Lead. Off: it offers the records that match the number.",
        },
        {
          key: "sales_engagement", type: "toggle", label: "Sales Engagement",
          help: "Adds a disposition (Call Result) to the wrap-up and completes the agent's Sales Engagement work item with it.",
        },
        {
          key: "dispositions", type: "list", label: "Dispositions", one: "Disposition", add: "Add disposition",
          placeholder: "e.g. Left Voicemail", maxLength: 255, reorder: true,
          help: "The Call Result values the wrap-up offers, in this order.",
          empty: "No dispositions.",
          showIf: (s) => s.sales_engagement,
        },
        {
          key: "related_to_objects", type: "list", label: "Related To objects", one: "Object", add: "Add object",
          placeholder: "e.g. Opportunity", maxLength: 80, reorder: true,
          help: "API names of the objects the wrap-up's Related To searches.",
          empty: "None listed: Account, Opportunity and Case.",
        },
      ],
    },
    {
      title: "Screen pops",
      items: [
        { key: "pop_on", type: "radio", label: "Pop the record when the call is", options: [["ringing", "Ringing"], ["answered", "Answered"]] },
        {
          key: "multiple_match", type: "select", label: "When several records match",
          options: [["choose", "The agent picks one in the softphone"], ["search", "Open the console's search for the number"], ["layout", "Let the softphone layout decide"]],
        },
        {
          key: "no_match", type: "select", label: "When no record matches",
          options: [["new_contact", "Open a new Contact"], ["new_lead", "Open a new Lead"], ["flow", "Run a screen flow"], ["none", "Pop nothing"]],
        },
        {
          key: "no_match_flow", type: "text", label: "Flow API name", placeholder: "e.g. New_Caller", maxLength: 80, code: true,
          help: "An active screen flow with a String input variable named Phone: it receives the caller's number.",
          showIf: (s) => s.no_match === "flow",
        },
      ],
    },
    {
      title: "Common settings",
      items: [
        {
          key: "match_zoom_email_to_username", type: "toggle", label: "Match the Zoom login email with the Salesforce username",
          help: "An agent's Zoom account is linked only when its login email equals the agent's Salesforce username (on) or Salesforce email (off), ignoring case. It is checked when the agent authorizes Zoom, and again when their Zoom email changes.",
        },
      ],
    },
    {
      title: "Softphone size",
      items: [
        { key: "softphone_height", type: "number", label: "Height (pixels)", min: 240, max: 2560, half: true },
        { key: "softphone_width", type: "number", label: "Width (pixels)", min: 200, max: 1920, half: true },
      ],
    },
    {
      title: "Phone numbers",
      items: [
        {
          key: "default_country", type: "text", label: "Default country", maxLength: 2, upper: true, placeholder: "US",
          help: "How numbers stored without a country code read, such as 03-1234-5678 or (202) 555-0142: a two-letter code like US, GB or JP.",
        },
        {
          key: "strip_prefixes", type: "list", label: "Prefixes to strip", one: "Prefix", add: "Add prefix",
          placeholder: "e.g. 9", maxLength: 6,
          help: "Dialled in front of a number, such as an outside line; the first that matches is removed.",
          empty: "None.",
        },
        {
          key: "add_prefix", type: "text", label: "Prefix to add", maxLength: 6, placeholder: "e.g. +44",
          help: "Put in front of numbers that arrive without a country code, after stripping.",
        },
        {
          key: "phone_e164_fields", type: "list", label: "Normalised-number fields", one: "Field", add: "Add field",
          placeholder: "e.g. Contact.Phone_E164__c", maxLength: 80,
          help: "Text fields your org keeps in E.164 (+4930901821), as Object.Field on Contact, Lead or Account. Set, callers are found by them at once, even in records created a moment ago, and only on the objects listed; empty, by Salesforce search, which finds a record only once Salesforce has indexed it (minutes).",
          empty: "None: callers are found by search.",
        },
      ],
    },
  ];
  const ITEMS = CARDS.flatMap((c) => c.items);
  const ITEM = new Map(ITEMS.map((it) => [it.key, it]));

  const ui = {
    agent: null,
    base: null, // the document the form was filled from: settings it does not show survive a save
    defaults: null,
    baseline: "", // collect() of the form as loaded or saved, for "unsaved changes"
    loaded: false,
    saving: false,
    loadSeq: 0,
  };

  // --- Small DOM helpers ---------------------------------------------------

  // el builds an element; text always goes in as textContent.
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k === "for") e.htmlFor = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role") e.setAttribute(k, v === true ? "true" : String(v));
      else e[k] = v;
    }
    e.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
    return e;
  }

  function helpEl(id, text) {
    return text ? el("p", { id: id + "-help", class: "help", text }) : null;
  }

  function errEl(id, key) {
    return el("p", { id: id + "-err", class: "field-error", "data-error-for": key, tabIndex: -1, hidden: true });
  }

  // A control names its help and its error, and the key its error has.
  function describe(control, id, key, hasHelp) {
    control.setAttribute("aria-describedby", (hasHelp ? id + "-help " : "") + id + "-err");
    control.dataset.key = key;
    return control;
  }

  function option(value, label) {
    return el("option", { value, text: label });
  }

  function iconButton(text, label, disabled, onclick, cls) {
    const b = el("button", { type: "button", class: "icon" + (cls ? " " + cls : ""), text, title: label, "aria-label": label, disabled });
    b.onclick = onclick;
    return b;
  }

  function request(method, path, body) {
    const init = { method, headers: { Authorization: "Bearer " + state.token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(async (res) => ({ status: res.status, ok: res.ok, data: await res.json().catch(() => ({})) }));
  }

  function failure(text) {
    return { status: 0, ok: false, data: { error: text } };
  }

  function problem(res, fallback) {
    if (res.status === 401) return "Your session ended: close Settings and sign in again.";
    return res.data.error ? sentence(res.data.error) : fallback;
  }

  function sentence(s) {
    s = String(s || "");
    return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");
  }

  // --- Building the cards ---------------------------------------------------

  function buildCards() {
    const box = $("set-cards");
    for (const card of CARDS) {
      const hid = "set-card-" + card.title.toLowerCase().replace(/[^a-z]+/g, "-");
      const sec = el("section", { class: "card set-card", "aria-labelledby": hid }, el("h3", { id: hid, text: card.title }));
      let row = null;
      for (const it of card.items) {
        const f = buildItem(it);
        if (it.half) {
          // Height and width side by side.
          if (!row) { row = el("div", { class: "set-row" }); sec.append(row); }
          row.append(f);
        } else {
          row = null;
          sec.append(f);
        }
      }
      box.append(sec);
    }
  }

  function buildItem(it) {
    const id = "set-" + it.key;
    const help = !!it.help;
    switch (it.type) {
      case "toggle": {
        const input = describe(el("input", { type: "checkbox", id, class: "switch", role: "switch" }), id, it.key, help);
        return el("div", { class: "field toggle", "data-setting": it.key },
          el("div", { class: "toggle-row" }, el("label", { for: id, text: it.label }), input),
          helpEl(id, it.help), errEl(id, it.key));
      }
      case "radio": {
        const fs = el("fieldset", { class: "field radios", "data-setting": it.key, id }, el("legend", { text: it.label }));
        const row = el("div", { class: "radio-row" });
        for (const [value, label] of it.options) {
          const r = describe(el("input", { type: "radio", name: id, id: id + "-" + value, value }), id, it.key, help);
          row.append(el("label", { class: "radio", for: r.id }, r, el("span", { text: label })));
        }
        fs.append(...[row, helpEl(id, it.help), errEl(id, it.key)].filter(Boolean));
        return fs;
      }
      case "select": {
        const sel = describe(el("select", { id }), id, it.key, help);
        for (const [value, label] of it.options) sel.append(option(value, label));
        return el("div", { class: "field", "data-setting": it.key },
          el("label", { for: id, text: it.label }), sel, helpEl(id, it.help), errEl(id, it.key));
      }
      case "text":
      case "number": {
        const input = describe(el("input", {
          id, type: it.type === "number" ? "number" : "text", autocomplete: "off", spellcheck: false,
          maxLength: it.maxLength, min: it.min, max: it.max, step: it.type === "number" ? 1 : undefined,
          placeholder: it.placeholder, class: it.code ? "code" : undefined,
          inputMode: it.type === "number" ? "numeric" : undefined,
        }), id, it.key, help);
        return el("div", { class: "field", "data-setting": it.key },
          el("label", { for: id, text: it.label }), input, helpEl(id, it.help), errEl(id, it.key));
      }
      case "list": {
        const ul = el("ul", { id, class: "list-edit", "aria-labelledby": id + "-label" });
        const add = el("button", { type: "button", class: "link add", id: id + "-add", text: "+ " + it.add });
        add.onclick = () => {
          const values = listValues(it, true);
          values.push("");
          renderList(it, values);
          ul.querySelector("li:last-child input").focus();
        };
        return el("div", { class: "field", "data-setting": it.key, role: "group", "aria-labelledby": id + "-label" },
          el("span", { class: "field-label", id: id + "-label", text: it.label }),
          helpEl(id, it.help), ul, add, errEl(id, it.key));
      }
      case "fields": {
        const ol = el("ol", { id, class: "clf-list", "aria-labelledby": id + "-label" });
        const add = el("button", { type: "button", class: "link add", id: id + "-add", text: "+ Add field" });
        add.onclick = addField;
        return el("div", { class: "field", "data-setting": it.key, role: "group", "aria-labelledby": id + "-label" },
          el("span", { class: "field-label", id: id + "-label", text: it.label }),
          helpEl(id, it.help), ol, add, errEl(id, it.key));
      }
    }
    throw new Error("unknown setting type " + it.type);
  }

  // --- List editors (dispositions, Related To objects, prefixes) ------------

  function listValues(it, keepBlank) {
    const values = [...$("set-" + it.key).querySelectorAll("input")].map((i) => i.value.trim());
    return keepBlank ? values : values.filter((v) => v !== "");
  }

  function renderList(it, values) {
    const id = "set-" + it.key;
    const ul = $(id);
    ul.textContent = "";
    if (!values.length) ul.append(el("li", { class: "muted empty", text: it.empty }));
    values.forEach((v, i) => {
      const name = it.one + " " + (i + 1);
      const input = describe(el("input", {
        type: "text", id: id + "-" + i, value: v, "aria-label": name, maxLength: it.maxLength,
        placeholder: it.placeholder, autocomplete: "off", spellcheck: false,
      }), id, it.key, !!it.help);
      // Enter goes on to the next value (a new one after the last), rather
      // than saving the whole form half-typed.
      input.addEventListener("keydown", (e) => {
        if (e.key !== "Enter") return;
        e.preventDefault();
        const next = $(id + "-" + (i + 1));
        if (next) next.focus();
        else if (input.value.trim() !== "") $(id + "-add").click();
      });
      const li = el("li", {}, input);
      if (it.reorder) {
        li.append(
          iconButton("↑", "Move " + name + " up", i === 0, () => moveListItem(it, i, -1), "up"),
          iconButton("↓", "Move " + name + " down", i === values.length - 1, () => moveListItem(it, i, 1), "down"));
      }
      li.append(iconButton("✕", "Remove " + name, false, () => removeListItem(it, i), "remove"));
      ul.append(li);
    });
    changed();
  }

  function moveListItem(it, i, by) {
    const values = listValues(it, true);
    [values[i], values[i + by]] = [values[i + by], values[i]];
    renderList(it, values);
    const li = $("set-" + it.key).children[i + by];
    const b = li.querySelector(by < 0 ? "button.up" : "button.down");
    (b.disabled ? li.querySelector("input") : b).focus();
  }

  function removeListItem(it, i) {
    const values = listValues(it, true);
    values.splice(i, 1);
    renderList(it, values);
    const ul = $("set-" + it.key);
    const next = ul.children[Math.min(i, values.length - 1)];
    (next && next.querySelector("input") || $("set-" + it.key + "-add")).focus();
  }

  // --- Call log fields editor ------------------------------------------------

  const TYPES = [["text", "Text"], ["textarea", "Text area"], ["picklist", "Picklist"]];

  function readField(li) {
    const part = (p) => li.querySelector('[data-part="' + p + '"]');
    const type = part("type").value;
    return {
      name: part("name").value.trim(),
      label: part("label").value.trim(),
      type,
      options: type === "picklist" ? splitLines(part("options").value) : [],
      default: part("default").value.trim(),
      required: part("required").checked,
    };
  }

  function splitLines(s) {
    return s.split("\n").map((x) => x.trim()).filter(Boolean);
  }

  function readFields() {
    return [...$("set-call_log_fields").querySelectorAll(":scope > li.clf")].map(readField);
  }

  function renderFields(fields) {
    const ol = $("set-call_log_fields");
    ol.textContent = "";
    if (!fields.length) ol.append(el("li", { class: "muted empty", text: "None: the call log has the standard fields only." }));
    fields.forEach((f, i) => ol.append(fieldCard(f, i, fields.length)));
    $("set-call_log_fields-add").disabled = fields.length >= MAX_FIELDS;
    changed();
  }

  // fieldCard is one extra field: its API name, label, type, the options
  // of a picklist, a default, whether it is required, and where it goes.
  function fieldCard(f, i, n) {
    const p = "set-clf-" + i, k = "call_log_fields[" + i + "]";
    const title = "Field " + (i + 1);
    const sub = (part, label, control, extraClass) => {
      describe(control, p + "-" + part, k + "." + part, false);
      control.id = p + "-" + part;
      control.dataset.part = part;
      return el("div", { class: "field" + (extraClass ? " " + extraClass : ""), "data-part-wrap": part },
        el("label", { for: control.id, text: label }), control, errEl(p + "-" + part, k + "." + part));
    };
    const type = el("select", {});
    for (const [v, l] of TYPES) type.append(option(v, l));
    type.value = f.type;
    const options = el("textarea", { rows: 3, value: (f.options || []).join("\n"), placeholder: "One value per line", spellcheck: false });
    const required = el("input", { type: "checkbox", id: p + "-required", checked: !!f.required, "data-part": "required" });
    const li = el("li", { class: "clf", "data-index": i },
      el("fieldset", {},
        el("legend", { text: title }),
        el("div", { class: "set-row" },
          sub("name", "API name", el("input", { type: "text", value: f.name || "", placeholder: "Call_Outcome__c", autocomplete: "off", spellcheck: false, maxLength: 80, class: "code" })),
          sub("label", "Label", el("input", { type: "text", value: f.label || "", placeholder: "Outcome", autocomplete: "off", maxLength: 80 }))),
        el("div", { class: "set-row" },
          sub("type", "Type", type),
          el("div", { class: "field check" }, el("label", { class: "checkbox", for: required.id }, required, el("span", { text: "Required" })))),
        sub("options", "Options", options),
        sub("default", "Default", defaultControl(f)),
        el("div", { class: "clf-actions" },
          iconButton("↑", "Move " + title + " up", i === 0, () => moveField(i, -1), "up"),
          iconButton("↓", "Move " + title + " down", i === n - 1, () => moveField(i, 1), "down"),
          iconButton("Remove", "Remove " + title, false, () => removeField(i), "remove text"))));
    li.querySelector('[data-part-wrap="options"]').hidden = f.type !== "picklist";
    type.addEventListener("change", () => redrawField(li));
    options.addEventListener("input", () => refreshDefault(li));
    return li;
  }

  // A picklist's default is one of its options; another field's is text.
  function defaultControl(f) {
    if (f.type !== "picklist") return el("input", { type: "text", value: f.default || "", autocomplete: "off", maxLength: 255 });
    const sel = el("select", {});
    sel.append(option("", "— None —"));
    const opts = f.options || [];
    for (const o of opts) sel.append(option(o, o));
    // Kept though it is no longer an option, so that the server names it.
    if (f.default && !opts.includes(f.default)) sel.append(option(f.default, f.default + " (not an option)"));
    sel.value = f.default || "";
    return sel;
  }

  function refreshDefault(li) {
    const f = readField(li);
    const old = li.querySelector('[data-part="default"]');
    const neu = defaultControl(f);
    neu.id = old.id;
    neu.dataset.part = "default";
    neu.dataset.key = old.dataset.key;
    neu.setAttribute("aria-describedby", old.getAttribute("aria-describedby"));
    old.replaceWith(neu);
  }

  // The type changed: a picklist shows its options and a default among them.
  function redrawField(li) {
    const f = readField(li);
    f.options = splitLines(li.querySelector('[data-part="options"]').value);
    li.querySelector('[data-part-wrap="options"]').hidden = f.type !== "picklist";
    refreshDefault(li);
    changed();
  }

  function addField() {
    const fields = readFields();
    if (fields.length >= MAX_FIELDS) return;
    fields.push({ name: "", label: "", type: "text", options: [], default: "", required: false });
    renderFields(fields);
    $("set-clf-" + (fields.length - 1) + "-name").focus();
  }

  function moveField(i, by) {
    const fields = readFields();
    [fields[i], fields[i + by]] = [fields[i + by], fields[i]];
    renderFields(fields);
    const li = $("set-call_log_fields").children[i + by];
    const b = li.querySelector(by < 0 ? "button.up" : "button.down");
    (b.disabled ? li.querySelector('[data-part="name"]') : b).focus();
  }

  function removeField(i) {
    const fields = readFields();
    fields.splice(i, 1);
    renderFields(fields);
    const next = $("set-clf-" + Math.min(i, fields.length - 1) + "-name");
    (next || $("set-call_log_fields-add")).focus();
  }

  // --- The form as a settings document ---------------------------------------

  function fill(doc) {
    for (const it of ITEMS) {
      const id = "set-" + it.key, v = doc[it.key];
      switch (it.type) {
        case "toggle": $(id).checked = !!v; break;
        case "radio":
          for (const r of document.getElementsByName(id)) r.checked = r.value === v;
          break;
        case "select": case "text": $(id).value = v == null ? "" : String(v); break;
        case "number": $(id).value = v == null ? "" : String(v); break;
        case "list": renderList(it, (v || []).map(String)); break;
        case "fields": renderFields(v || []); break;
      }
    }
    clearErrors();
    changed();
  }

  // collect reads the form into the whole document PUT /api/settings takes.
  function collect() {
    const doc = { ...(ui.base || {}) };
    for (const it of ITEMS) {
      const id = "set-" + it.key;
      switch (it.type) {
        case "toggle": doc[it.key] = $(id).checked; break;
        case "radio": {
          const r = [...document.getElementsByName(id)].find((x) => x.checked);
          doc[it.key] = r ? r.value : "";
          break;
        }
        case "select": doc[it.key] = $(id).value; break;
        case "text": doc[it.key] = it.upper ? $(id).value.trim().toUpperCase() : $(id).value.trim(); break;
        case "number": {
          const raw = $(id).value.trim();
          doc[it.key] = /^\d{1,6}$/.test(raw) ? Number(raw) : raw; // not a number: caught before sending
          break;
        }
        case "list": doc[it.key] = listValues(it, false); break;
        case "fields": doc[it.key] = readFields(); break;
      }
    }
    if (doc.no_match !== "flow") doc.no_match_flow = "";
    return doc;
  }

  function dirty() {
    return ui.loaded && JSON.stringify(collect()) !== ui.baseline;
  }

  // changed follows every edit: what shows depends on other settings, and
  // the footer says when something is not saved yet.
  function changed() {
    if (!ui.loaded) return;
    const doc = collect();
    for (const it of ITEMS) {
      if (!it.showIf) continue;
      const wrap = $("set-" + it.key).closest(".field");
      wrap.hidden = !it.showIf(doc);
    }
    $("set-dirty").hidden = JSON.stringify(doc) === ui.baseline;
  }

  // --- Errors ---------------------------------------------------------------------

  function errorEl(key) {
    return [...$("set-form").querySelectorAll("[data-error-for]")].find((e) => e.dataset.errorFor === key);
  }

  function controlsFor(key) {
    return [...$("set-form").querySelectorAll("[data-key]")].filter((c) => c.dataset.key === key);
  }

  function clearErrors(scope) {
    for (const e of (scope || $("set-form")).querySelectorAll("[data-error-for]")) { e.textContent = ""; e.hidden = true; }
    for (const c of (scope || $("set-form")).querySelectorAll('[aria-invalid="true"]')) c.removeAttribute("aria-invalid");
  }

  function keyLabel(key) {
    const m = /^call_log_fields\[(\d+)\]\.(\w+)$/.exec(key);
    if (m) return "Call log field " + (Number(m[1]) + 1) + " " + m[2];
    return ITEM.has(key) ? ITEM.get(key).label : key;
  }

  // showErrors puts each message next to its control and focuses the first
  // in the page's order; a message for a control not shown is returned.
  function showErrors(fields) {
    const stray = [], shown = [];
    for (const [key, msg] of Object.entries(fields || {})) {
      const e = errorEl(key);
      if (!e || e.parentElement.closest("[hidden]")) { stray.push(keyLabel(key) + ": " + msg); continue; }
      e.textContent = sentence(msg);
      e.hidden = false;
      for (const c of controlsFor(key)) c.setAttribute("aria-invalid", "true");
      shown.push(e);
    }
    shown.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    if (shown.length) {
      const key = shown[0].dataset.errorFor;
      const controls = controlsFor(key);
      const target = controls.find((c) => c.checked) || controls[0] || shown[0];
      target.focus();
      target.scrollIntoView({ block: "center" });
    }
    return stray;
  }

  function setMsg(text, isError) {
    const m = $("set-msg");
    m.textContent = text || "";
    m.classList.toggle("is-error", !!isError);
  }

  // --- Load, save, reset ------------------------------------------------------

  async function load() {
    const seq = ++ui.loadSeq;
    ui.loaded = false;
    $("settings").dataset.state = "loading";
    $("set-cards").hidden = true;
    $("set-save").disabled = $("set-reset").disabled = true;
    $("set-dirty").hidden = true;
    setMsg("Loading settings…");
    let res;
    try { res = await request("GET", "/api/settings"); } catch (e) { res = failure("Could not load the settings: check your connection."); }
    if (seq !== ui.loadSeq) return; // closed or reopened meanwhile
    if (!res.ok) {
      $("settings").dataset.state = "error";
      setMsg(problem(res, "Could not load the settings; try again."), true);
      return;
    }
    ui.defaults = res.data.defaults || null;
    show(res.data.settings || {});
    $("set-cards").hidden = false;
    $("set-save").disabled = false;
    $("set-reset").disabled = !ui.defaults;
    $("settings").dataset.state = "ready";
    setMsg("");
  }

  // show fills the form from a document the server holds.
  function show(doc) {
    ui.base = doc;
    ui.loaded = true;
    fill(doc);
    ui.baseline = JSON.stringify(collect());
    changed();
  }

  async function save(e) {
    e.preventDefault();
    if (!ui.loaded || ui.saving) return;
    clearErrors();
    const doc = collect();
    const local = {};
    for (const k of ["softphone_height", "softphone_width"]) {
      if (typeof doc[k] !== "number") local[k] = "enter a whole number of pixels";
    }
    if (Object.keys(local).length) {
      showErrors(local);
      setMsg("Check the highlighted settings.", true);
      return;
    }
    const sent = JSON.stringify(doc);
    ui.saving = true;
    $("set-save").disabled = true;
    $("settings").dataset.state = "saving";
    setMsg("Saving…");
    let res;
    try { res = await request("PUT", "/api/settings", doc); } catch (err) { res = failure("Not saved: check your connection and try again."); }
    ui.saving = false;
    $("set-save").disabled = false;
    $("settings").dataset.state = "ready";
    if (!ui.loaded) return; // closed and discarded meanwhile
    if (res.ok) {
      if (JSON.stringify(collect()) === sent) {
        show(res.data.settings || doc);
      } else {
        // Edited while saving: keep the edits, and count them as unsaved.
        ui.base = res.data.settings || doc;
        ui.baseline = sent;
        changed();
      }
      setMsg("Saved — applies to the next call.");
      return;
    }
    if (res.status === 400 && res.data.fields) {
      const stray = showErrors(res.data.fields);
      setMsg(["Not saved: check the highlighted settings.", ...stray.map(sentence)].join(" "), true);
      return;
    }
    setMsg(problem(res, "Not saved; try again."), true);
  }

  // Reset fills the form with the defaults; Save stores them.
  function resetToDefaults() {
    if (!ui.loaded || !ui.defaults) return;
    fill(ui.defaults);
    setMsg("Defaults filled in. Press Save to apply them.");
  }

  // --- Health -----------------------------------------------------------------

  // The server's queues, in the order a call goes through them.
  const queueLabel = {
    "events.ring": "Ringing events waiting (screen pops)",
    events: "Other Zoom events waiting",
    outbox: "Call logs waiting for Salesforce",
  };

  let healthSeq = 0;
  async function loadHealth() {
    const seq = ++healthSeq;
    $("set-health").dataset.state = "loading";
    $("set-health-when").textContent = "Checking…";
    let res;
    try { res = await request("GET", "/api/admin/status"); } catch (e) { res = failure("Could not reach zoomcti: check your connection."); }
    if (seq !== healthSeq) return;
    const box = $("set-health-body");
    box.textContent = "";
    if (!res.ok) {
      $("set-health").dataset.state = "error";
      $("set-health-when").textContent = "";
      box.append(el("p", { class: "field-error", text: problem(res, "The status is unavailable; try again.") }));
      return;
    }
    renderHealth(res.data);
    $("set-health").dataset.state = "ready";
    $("set-health-when").textContent = "Checked " + fmtTime(new Date());
  }

  function renderHealth(h) {
    const dl = el("dl", { class: "health" });
    const row = (term, ...desc) => dl.append(el("dt", { text: term }), el("dd", {}, ...desc));
    const u = h.api_usage;
    if (u && u.limit > 0) {
      const pct = Math.round((u.used * 100) / u.limit);
      row("Salesforce API requests (last 24 hours)",
        el("span", { "data-health": "usage", text: fmtInt(u.used) + " of " + fmtInt(u.limit) + " used (" + pct + "%)" }),
        el("meter", { min: 0, max: u.limit, value: u.used, low: u.limit * 0.5, high: u.limit * 0.8, optimum: 0, "aria-label": "Salesforce API requests used" }),
        el("span", { class: "muted", text: "As Salesforce reported it " + fmtWhen(u.at) + "." }));
    } else {
      row("Salesforce API requests (last 24 hours)",
        el("span", { class: "muted", "data-health": "usage", text: "Not reported yet: Salesforce reports it with each request zoomcti makes." }));
    }
    row("Requests to Salesforce", h.api_paused
      ? el("span", { class: "bad", "data-health": "paused" }, el("strong", { text: "Paused" }),
        ": the org's API limit was reached. Pops use the console's search and call logs wait; zoomcti tries again within five minutes.")
      : el("span", { class: "good", "data-health": "paused", text: "Running" }));
    const zr = h.zoom_refusal;
    row("Zoom app", zr
      ? el("span", { class: "bad", "data-health": "zoom" }, el("strong", { text: "Refused " + fmtWhen(zr.at) }), ": " + zr.message)
      : el("span", { class: "good", "data-health": "zoom", text: "No refusal from Zoom in the last seven days" }));
    const queues = h.queues || {};
    const known = Object.keys(queueLabel);
    const rank = (q) => (known.includes(q) ? known.indexOf(q) : known.length);
    for (const name of Object.keys(queues).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
      row(queueLabel[name] || "Queue " + name, el("span", { "data-health": "queue-" + name, text: fmtInt(queues[name]) }));
    }
    const box = $("set-health-body");
    box.append(dl);
    const counters = h.counters || {};
    const names = Object.keys(counters).sort();
    if (names.length) {
      const cl = el("dl", { class: "health counters" });
      for (const n of names) cl.append(el("dt", { text: n.replace(/_/g, " ") }), el("dd", { text: fmtInt(counters[n]) }));
      box.append(el("details", {}, el("summary", { text: "This org, last hour" }), cl));
    }
  }

  function fmtInt(n) {
    return Number(n || 0).toLocaleString();
  }

  function fmtTime(d) {
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function fmtWhen(iso) {
    const d = new Date(iso);
    if (isNaN(d) || d.getFullYear() < 2000) return "at an unknown time";
    if (d.toDateString() === new Date().toDateString()) return "today at " + fmtTime(d);
    return "on " + d.toLocaleDateString([], { month: "short", day: "numeric" }) + " at " + fmtTime(d);
  }

  // --- Opening and closing the panel -----------------------------------------

  function isOpen() {
    return !$("settings").hidden;
  }

  async function open() {
    if (!ui.agent || !ui.agent.admin) return;
    $("phone").hidden = true;
    $("settings").hidden = false;
    $("set-confirm").hidden = true;
    noteCall();
    $("set-title").focus();
    loadHealth();
    if (dirty()) {
      // Left for a call with changes unsaved: they are still here.
      setMsg("Your unsaved changes are still here.");
      return;
    }
    await load();
  }

  // Back asks first when something is not saved, inside the page: a
  // confirm() dialog may be blocked in Salesforce's cross-origin frame.
  function requestClose() {
    if (dirty()) {
      $("set-confirm").hidden = false;
      $("set-confirm-stay").focus();
      return;
    }
    close(true);
  }

  // close goes back to the phone; discard forgets the form's contents.
  function close(discard) {
    $("set-confirm").hidden = true;
    $("settings").hidden = true;
    $("phone").hidden = false;
    if (discard) forget();
    const b = $("settings-btn");
    if (!b.hidden && !$("agent").hidden) b.focus();
  }

  function forget() {
    ui.loadSeq++;
    ui.loaded = false;
    ui.base = null;
    ui.baseline = "";
    $("set-dirty").hidden = true;
    clearErrors();
    setMsg("");
  }

  function keepEditing() {
    $("set-confirm").hidden = true;
    $("set-back").focus();
  }

  // setAgent is told who is signed in (null: nobody). Only admins get the
  // button; another user, or one no longer an admin, loses the open form.
  function setAgent(agent) {
    const admin = !!(agent && agent.admin);
    const same = !!(agent && ui.agent && agent.org_id === ui.agent.org_id && agent.user_id === ui.agent.user_id);
    ui.agent = agent || null;
    $("settings-btn").hidden = !admin;
    if (!admin || !same) {
      if (isOpen()) close(true);
      else forget();
    }
  }

  // The phone is hidden behind the panel: a live call says so, with a way back.
  function noteCall() {
    const card = $("call");
    const live = !card.hidden && ["ringing", "answered", "held"].includes(card.dataset.state);
    $("set-call").hidden = !live;
    if (live) $("set-call-text").textContent = [$("call-dir").textContent, $("call-number").textContent, $("call-state").textContent].filter(Boolean).join(" · ");
  }

  buildCards();
  $("settings-btn").onclick = open;
  $("set-back").onclick = requestClose;
  $("set-confirm-leave").onclick = () => close(true);
  $("set-confirm-stay").onclick = keepEditing;
  $("set-confirm").addEventListener("keydown", (e) => { if (e.key === "Escape") keepEditing(); });
  $("set-call-btn").onclick = () => close(false);
  $("set-reset").onclick = resetToDefaults;
  $("set-health-refresh").onclick = loadHealth;
  $("set-form").addEventListener("submit", save);
  const edited = (e) => {
    // An edited control's error is out of date.
    const f = e.target.closest && e.target.closest(".field");
    if (f && e.target.dataset && e.target.dataset.key) {
      for (const c of controlsFor(e.target.dataset.key)) c.removeAttribute("aria-invalid");
      const err = errorEl(e.target.dataset.key);
      if (err) { err.textContent = ""; err.hidden = true; }
    }
    changed();
  };
  $("set-form").addEventListener("input", edited);
  $("set-form").addEventListener("change", edited);
  new MutationObserver(() => { if (isOpen()) noteCall(); })
    .observe($("call"), { attributes: true, attributeFilter: ["hidden", "data-state", "data-call-id"] });
  window.addEventListener("beforeunload", (e) => { if (dirty()) e.preventDefault(); });

  app.settings = { setAgent, open, close: () => close(true) };
})();
