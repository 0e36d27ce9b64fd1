// The settings cards as SLDS form elements, built from lib/settings.js's
// CARDS, and the form read back as the settings document. A control's id
// is "set-" + its setting; its data-key is the error key it answers to.
// The module keeps nothing: the form itself is the state it reads.
import { $, el, iconButton, option } from "../dom.js";
import { CARDS, ITEMS, MAX_FIELDS, readNumber } from "../lib/settings.js";

let changed = () => {};

// onChange is told after the cards redraw part of themselves.
export function onChange(fn) {
  changed = fn;
}

function helpEl(id, text) {
  return text ? el("div", { id: id + "-help", class: "slds-form-element__help zc-help", text }) : null;
}

function errEl(id, key) {
  return el("div", { id: id + "-err", class: "slds-form-element__help zc-error", "data-error-for": key, tabIndex: -1, hidden: true });
}

// A control names its help and its error, and the key its error has.
function describe(control, id, key, hasHelp, errID) {
  control.setAttribute("aria-describedby", (hasHelp ? id + "-help " : "") + (errID || id + "-err"));
  control.dataset.key = key;
  return control;
}

function label(forID, text) {
  return el("label", { class: "slds-form-element__label", for: forID, text });
}

function control(...children) {
  return el("div", { class: "slds-form-element__control" }, ...children);
}

export function build() {
  const box = $("set-cards");
  for (const card of CARDS) {
    const hid = "set-card-" + card.title.toLowerCase().replace(/[^a-z]+/g, "-");
    const body = el("div", { class: "slds-card__body slds-card__body_inner zc-card-body" });
    let row = null;
    for (const it of card.items) {
      const f = buildItem(it);
      if (it.half) {
        // Height and width side by side.
        if (!row) { row = el("div", { class: "slds-grid slds-gutters_x-small" }); body.append(row); }
        row.append(el("div", { class: "slds-col slds-size_1-of-2" }, f));
      } else {
        row = null;
        body.append(f);
      }
    }
    box.append(el("article", { class: "slds-card zc-card", "aria-labelledby": hid },
      el("div", { class: "slds-card__header" }, el("h2", { id: hid, class: "slds-card__header-title zc-card-title", text: card.title })),
      body));
  }
}

function buildItem(it) {
  const id = "set-" + it.key;
  const help = !!it.help;
  const wrap = (...children) => el("div", { class: "slds-form-element zc-field", "data-setting": it.key }, ...children);
  switch (it.type) {
    case "toggle": {
      const input = describe(el("input", { type: "checkbox", id, name: id }), id, it.key, help);
      return wrap(
        el("label", { class: "slds-checkbox_toggle slds-grid slds-grid_align-spread zc-toggle", for: id },
          el("span", { class: "slds-form-element__label zc-toggle-label", text: it.label }),
          input,
          el("span", { class: "slds-checkbox_faux_container", "aria-hidden": "true" },
            el("span", { class: "slds-checkbox_faux" }),
            el("span", { class: "slds-checkbox_on", text: "On" }),
            el("span", { class: "slds-checkbox_off", text: "Off" }))),
        helpEl(id, it.help), errEl(id, it.key));
    }
    case "radio": {
      const group = el("div", { class: "slds-radio_button-group" });
      for (const [value, text] of it.options) {
        const r = describe(el("input", { type: "radio", name: id, id: id + "-" + value, value }), id, it.key, help);
        group.append(el("span", { class: "slds-button slds-radio_button" }, r,
          el("label", { class: "slds-radio_button__label", for: r.id }, el("span", { class: "slds-radio_faux", text }))));
      }
      return el("fieldset", { class: "slds-form-element zc-field", "data-setting": it.key, id },
        el("legend", { class: "slds-form-element__legend slds-form-element__label", text: it.label }),
        control(group), helpEl(id, it.help), errEl(id, it.key));
    }
    case "select": {
      const sel = describe(el("select", { id, class: "slds-select" }), id, it.key, help);
      for (const [value, text] of it.options) sel.append(option(value, text));
      return wrap(label(id, it.label), control(el("div", { class: "slds-select_container" }, sel)), helpEl(id, it.help), errEl(id, it.key));
    }
    case "text":
    case "number": {
      const input = describe(el("input", {
        id, type: it.type === "number" ? "number" : "text", autocomplete: "off", spellcheck: false,
        maxLength: it.maxLength, min: it.min, max: it.max, step: it.type === "number" ? 1 : undefined,
        placeholder: it.placeholder, class: "slds-input" + (it.code ? " zc-code" : ""),
        inputMode: it.type === "number" ? "numeric" : undefined,
      }), id, it.key, help);
      return wrap(label(id, it.label), control(input), helpEl(id, it.help), errEl(id, it.key));
    }
    case "list": {
      const ul = el("ul", { id, class: "zc-list-edit", "aria-labelledby": id + "-label" });
      const add = el("button", { type: "button", class: "slds-button zc-add", id: id + "-add", text: "+ " + it.add });
      add.onclick = () => {
        const values = listRows(it);
        values.push("");
        renderList(it, values);
        ul.querySelector("li:last-child input").focus();
      };
      return el("div", { class: "slds-form-element zc-field", "data-setting": it.key, role: "group", "aria-labelledby": id + "-label" },
        el("span", { class: "slds-form-element__label", id: id + "-label", text: it.label }),
        helpEl(id, it.help), ul, add, errEl(id, it.key));
    }
    case "fields": {
      const ol = el("ol", { id, class: "zc-clf-list", "aria-labelledby": id + "-label" });
      const add = el("button", { type: "button", class: "slds-button zc-add", id: id + "-add", text: "+ Add field" });
      add.onclick = addField;
      return el("div", { class: "slds-form-element zc-field", "data-setting": it.key, role: "group", "aria-labelledby": id + "-label" },
        el("span", { class: "slds-form-element__label", id: id + "-label", text: it.label }),
        helpEl(id, it.help), ol, add, errEl(id, it.key));
    }
  }
  throw new Error("unknown setting type " + it.type);
}

// --- List editors (dispositions, Related To objects, prefixes) ----------------

// listRows are a list's rows as typed, blank ones included.
export function listRows(it) {
  return [...$("set-" + it.key).querySelectorAll("input")].map((i) => i.value.trim());
}

function renderList(it, values) {
  const id = "set-" + it.key;
  const ul = $(id);
  ul.textContent = "";
  if (!values.length) ul.append(el("li", { class: "slds-text-color_weak zc-empty", text: it.empty }));
  values.forEach((v, i) => {
    const name = it.one + " " + (i + 1);
    const rowErr = id + "-" + i + "-err";
    const input = describe(el("input", {
      type: "text", id: id + "-" + i, value: v, "aria-label": name, maxLength: it.maxLength, class: "slds-input",
      placeholder: it.placeholder, autocomplete: "off", spellcheck: false,
    }), id, it.key, !!it.help, rowErr + " " + id + "-err");
    // Enter goes on to the next value (a new one after the last), rather
    // than saving the whole form half-typed.
    input.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      const next = $(id + "-" + (i + 1));
      if (next) next.focus();
      else if (input.value.trim() !== "") $(id + "-add").click();
    });
    const row = el("div", { class: "zc-list-row" }, el("div", { class: "slds-form-element__control zc-grow" }, input));
    if (it.reorder) {
      row.append(
        iconButton("arrowup", "Move " + name + " up", { disabled: i === 0, onclick: () => moveListItem(it, i, -1), cls: "zc-up" }),
        iconButton("arrowdown", "Move " + name + " down", { disabled: i === values.length - 1, onclick: () => moveListItem(it, i, 1), cls: "zc-down" }));
    }
    row.append(iconButton("delete", "Remove " + name, { onclick: () => removeListItem(it, i), cls: "zc-remove" }));
    // Each row's own error sits under it (a value listed twice).
    ul.append(el("li", { class: "slds-form-element zc-list-item" }, row,
      el("div", { id: rowErr, class: "slds-form-element__help zc-error", "data-error-for": it.key + "[" + i + "]", hidden: true })));
  });
  changed();
}

function moveListItem(it, i, by) {
  const values = listRows(it);
  [values[i], values[i + by]] = [values[i + by], values[i]];
  renderList(it, values);
  const li = $("set-" + it.key).children[i + by];
  const b = li.querySelector(by < 0 ? "button.zc-up" : "button.zc-down");
  (b.disabled ? li.querySelector("input") : b).focus();
}

function removeListItem(it, i) {
  const values = listRows(it);
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
  return [...$("set-call_log_fields").querySelectorAll(":scope > li.zc-clf")].map(readField);
}

function renderFields(fields) {
  const ol = $("set-call_log_fields");
  ol.textContent = "";
  if (!fields.length) ol.append(el("li", { class: "slds-text-color_weak zc-empty", text: "None: the call log has the standard fields only." }));
  fields.forEach((f, i) => ol.append(fieldCard(f, i, fields.length)));
  $("set-call_log_fields-add").disabled = fields.length >= MAX_FIELDS;
  changed();
}

// fieldCard is one extra field: its API name, label, type, the options
// of a picklist, a default, whether it is required, and where it goes.
function fieldCard(f, i, n) {
  const p = "set-clf-" + i, k = "call_log_fields[" + i + "]";
  const title = "Field " + (i + 1);
  const sub = (part, text, ctl, wrapSelect) => {
    describe(ctl, p + "-" + part, k + "." + part, false);
    ctl.id = p + "-" + part;
    ctl.dataset.part = part;
    return el("div", { class: "slds-form-element", "data-part-wrap": part },
      label(ctl.id, text), control(wrapSelect ? el("div", { class: "slds-select_container" }, ctl) : ctl), errEl(p + "-" + part, k + "." + part));
  };
  const type = el("select", { class: "slds-select" });
  for (const [v, l] of TYPES) type.append(option(v, l));
  type.value = f.type;
  const options = el("textarea", { class: "slds-textarea", rows: 3, value: (f.options || []).join("\n"), placeholder: "One value per line", spellcheck: false });
  const required = el("input", { type: "checkbox", id: p + "-required", checked: !!f.required, "data-part": "required" });
  const def = defaultControl(f);
  const li = el("li", { class: "zc-clf", "data-index": i },
    el("fieldset", { class: "slds-box slds-box_x-small zc-clf-box" },
      el("legend", { class: "slds-form-element__legend slds-form-element__label", text: title }),
      el("div", { class: "slds-grid slds-gutters_x-small" },
        el("div", { class: "slds-col slds-size_1-of-2" }, sub("name", "API name", el("input", { class: "slds-input zc-code", type: "text", value: f.name || "", placeholder: "Call_Outcome__c", autocomplete: "off", spellcheck: false, maxLength: 80 }))),
        el("div", { class: "slds-col slds-size_1-of-2" }, sub("label", "Label", el("input", { class: "slds-input", type: "text", value: f.label || "", placeholder: "Outcome", autocomplete: "off", maxLength: 80 })))),
      el("div", { class: "slds-grid slds-gutters_x-small slds-grid_vertical-align-end" },
        el("div", { class: "slds-col slds-size_1-of-2" }, sub("type", "Type", type, true)),
        el("div", { class: "slds-col slds-size_1-of-2" },
          el("div", { class: "slds-form-element" }, el("div", { class: "slds-form-element__control" },
            el("div", { class: "slds-checkbox" }, required,
              el("label", { class: "slds-checkbox__label", for: required.id },
                el("span", { class: "slds-checkbox_faux" }), el("span", { class: "slds-form-element__label", text: "Required" }))))))),
      sub("options", "Options", options),
      sub("default", "Default", def, def.tagName === "SELECT"),
      el("div", { class: "zc-clf-actions" },
        iconButton("arrowup", "Move " + title + " up", { disabled: i === 0, onclick: () => moveField(i, -1), cls: "zc-up" }),
        iconButton("arrowdown", "Move " + title + " down", { disabled: i === n - 1, onclick: () => moveField(i, 1), cls: "zc-down" }),
        el("button", { type: "button", class: "slds-button slds-button_text-destructive zc-remove", text: "Remove", title: "Remove " + title, "aria-label": "Remove " + title, onclick: () => removeField(i) }))));
  li.querySelector('[data-part-wrap="options"]').hidden = f.type !== "picklist";
  type.addEventListener("change", () => redrawField(li));
  options.addEventListener("input", () => refreshDefault(li));
  return li;
}

// A picklist's default is one of its options; another field's is text.
function defaultControl(f) {
  if (f.type !== "picklist") return el("input", { class: "slds-input", type: "text", value: f.default || "", autocomplete: "off", maxLength: 255 });
  const sel = el("select", { class: "slds-select" });
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
  const ctl = old.closest(".slds-form-element__control");
  ctl.textContent = "";
  ctl.append(neu.tagName === "SELECT" ? el("div", { class: "slds-select_container" }, neu) : neu);
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
  const b = li.querySelector(by < 0 ? "button.zc-up" : "button.zc-down");
  (b.disabled ? li.querySelector('[data-part="name"]') : b).focus();
}

function removeField(i) {
  const fields = readFields();
  fields.splice(i, 1);
  renderFields(fields);
  const next = $("set-clf-" + Math.min(i, fields.length - 1) + "-name");
  (next || $("set-call_log_fields-add")).focus();
}

// --- The form as a settings document -------------------------------------------

export function fill(doc) {
  for (const it of ITEMS) {
    const id = "set-" + it.key, v = doc[it.key];
    switch (it.type) {
      case "toggle": $(id).checked = !!v; break;
      case "radio":
        for (const r of document.getElementsByName(id)) r.checked = r.value === v;
        break;
      case "select": case "text": case "number": $(id).value = v == null ? "" : String(v); break;
      case "list": renderList(it, (v || []).map(String)); break;
      case "fields": renderFields(v || []); break;
    }
  }
}

// collect reads the form into the whole document PUT /api/settings takes,
// over base (settings the form does not show survive a save).
export function collect(base) {
  const doc = { ...(base || {}) };
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
      case "number": doc[it.key] = readNumber($(id).value); break;
      case "list": doc[it.key] = listRows(it).filter((v) => v !== ""); break;
      case "fields": doc[it.key] = readFields(); break;
    }
  }
  if (doc.no_match !== "flow") doc.no_match_flow = "";
  return doc;
}

// rows are every list's rows as typed, for the page's own checks.
export function rows() {
  return Object.fromEntries(ITEMS.filter((it) => it.type === "list").map((it) => [it.key, listRows(it)]));
}

// showIf hides the settings that depend on others.
export function applyShowIf(doc) {
  for (const it of ITEMS) {
    if (!it.showIf) continue;
    $("set-" + it.key).closest(".zc-field").hidden = !it.showIf(doc);
  }
}
