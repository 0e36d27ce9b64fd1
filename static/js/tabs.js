// Phone (Zoom's Smart Embed) and Calls (zoomcti's part) share the panel as
// SLDS tabs; the admin's Settings cover both. This module owns which tab
// is selected.
import { $ } from "./dom.js";

let selected = "calls";
let covered = false;

export function current() {
  return selected;
}

export function select(name) {
  if (covered) return;
  selected = name;
  for (const t of ["phone", "calls"]) {
    const on = t === name;
    const tab = $("tab-" + t);
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    tab.closest(".slds-tabs_default__item").classList.toggle("slds-is-active", on);
  }
  $("phone-pane").hidden = name !== "phone";
  $("phone").hidden = name !== "calls";
  document.body.dataset.tab = name;
}

// cover hides the tabs and both panes (Settings open), or shows them again.
export function cover(on) {
  covered = on;
  $("tabs").hidden = on;
  if (on) {
    $("phone-pane").hidden = true;
    $("phone").hidden = true;
  } else {
    select(selected);
  }
}

// showWhenShown brings Calls forward when element id appears: zoomcti's
// part asks for the agent (the sign-in, a wrap-up to fill in). With
// unlessTyping, not while the agent works in Zoom's embed (a text, the
// keypad): hiding it would drop what they type.
function showWhenShown(id, { unlessTyping = false } = {}) {
  new MutationObserver(() => {
    if ($(id).hidden) return;
    if (unlessTyping && document.hasFocus() && $("phone-pane").contains(document.activeElement)) return;
    select("calls");
  }).observe($(id), { attributes: true, attributeFilter: ["hidden"] });
}

export function init() {
  $("tab-phone").onclick = () => select("phone");
  $("tab-calls").onclick = () => select("calls");
  $("tabs").addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    const next = selected === "phone" ? "calls" : "phone";
    select(next);
    $("tab-" + next).focus();
  });
  showWhenShown("wrapup", { unlessTyping: true });
  showWhenShown("signin");
  select("calls");
}
