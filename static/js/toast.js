// Messages in SLDS toasts, inline where the message belongs (the panel is
// too narrow for floating ones). An element with class zc-toast holds an
// icon, and a message element (its id is what tests and code address) that
// is a live region, so a screen reader hears each message once.
import { icon } from "./dom.js";

const ICON = { success: "success", error: "error", warning: "warning", info: "info" };

// show puts text in the message element msgEl, in tone (success, error,
// warning, info); empty text hides the toast.
export function show(msgEl, text, tone = "info") {
  const toast = msgEl.closest(".zc-toast");
  msgEl.textContent = text || "";
  msgEl.classList.toggle("is-error", tone === "error" && !!text);
  if (!toast) return;
  toast.hidden = !text;
  toast.dataset.tone = tone;
  toast.className = "zc-toast slds-notify slds-notify_toast slds-theme_" + tone;
  const slot = toast.querySelector(".zc-toast-icon");
  if (slot) {
    slot.textContent = "";
    slot.append(icon(ICON[tone] || "info", { size: "small" }));
  }
}
