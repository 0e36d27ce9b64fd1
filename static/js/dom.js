// Small DOM helpers shared by the softphone's modules: they hold no state.

export const $ = (id) => document.getElementById(id);

// el builds an element; text always goes in as textContent.
export function el(tag, props, ...children) {
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

// icon is an SLDS utility icon drawn in the text's colour (a CSS mask over
// the unmodified SVG; softphone.css names each one). label, when given, is
// read by screen readers; otherwise the icon is decoration.
export function icon(name, { size = "x-small", label } = {}) {
  const i = el("span", { class: "zc-icon zc-icon_" + size + " zc-icon-" + name, "aria-hidden": "true" });
  if (!label) return i;
  return el("span", { class: "zc-icon-wrap" }, i, el("span", { class: "slds-assistive-text", text: label }));
}

// recordIcon is the SLDS standard icon of a Contact, Lead or Account: its
// white glyph on the object's colour, as Lightning shows records. It is
// decoration: the text beside it names the type.
export function recordIcon(type) {
  const name = { Contact: "contact", Lead: "lead", Account: "account" }[type];
  if (!name) return null;
  return el("span", { class: "slds-icon_container slds-icon-standard-" + name, "aria-hidden": "true" },
    el("img", { class: "slds-icon slds-icon_x-small", src: "/static/vendor/slds/icons/standard/" + name + ".svg", alt: "" }));
}

// iconButton is an SLDS bordered icon button with its name for screen
// readers (and as a tooltip).
export function iconButton(iconName, label, { id, disabled, onclick, cls } = {}) {
  const b = el("button", {
    type: "button", id, class: "slds-button slds-button_icon slds-button_icon-border-filled" + (cls ? " " + cls : ""),
    title: label, disabled,
  }, icon(iconName), el("span", { class: "slds-assistive-text", text: label }));
  if (onclick) b.onclick = onclick;
  return b;
}

// option is a <select>'s option.
export function option(value, label) {
  return el("option", { value, text: label });
}

// spinner is SLDS's small inline spinner, announced as label.
export function spinner(label) {
  return el("div", { role: "status", class: "slds-spinner slds-spinner_x-small slds-spinner_brand slds-spinner_inline" },
    el("span", { class: "slds-assistive-text", text: label }),
    el("div", { class: "slds-spinner__dot-a" }), el("div", { class: "slds-spinner__dot-b" }));
}
