// The admin page's agents table, without the page: GET /api/admin/agents's
// rows as the admin reads them. Pure: static/js/admin/agents.js draws it.

// zoom says how an agent's Zoom link stands: {text, tone, why}.
export function zoom(a) {
  if (a.zoom_linked && a.zoom_reauth) return { text: "Needs re-authorisation", tone: "warning", why: a.zoom_reauth };
  if (a.zoom_linked) return { text: "Linked", tone: "success", why: "" };
  return { text: "Not linked", tone: "neutral", why: "" };
}

// salesforce says whether the agent's Salesforce sign-in still holds.
export function salesforce(a) {
  if (a.salesforce_signin_required) return { text: "Must sign in again", tone: "warning", why: a.salesforce_signin_required };
  return { text: "Signed in", tone: "success", why: "" };
}

// ago is how long before now t was, in words ("never" for none).
export function ago(t, now) {
  if (!t) return "never";
  const ms = now - Date.parse(t);
  if (!(ms >= 0)) return "just now";
  const s = Math.floor(ms / 1000);
  if (s < 60) return "just now";
  const m = Math.floor(s / 60);
  if (m < 60) return m + (m === 1 ? " minute ago" : " minutes ago");
  const h = Math.floor(m / 60);
  if (h < 48) return h + (h === 1 ? " hour ago" : " hours ago");
  const d = Math.floor(h / 24);
  return d + " days ago";
}

// counts sums the table up: agents, linked, needing attention.
export function counts(rows) {
  const out = { agents: 0, linked: 0, attention: 0 };
  for (const a of rows || []) {
    out.agents++;
    if (zoom(a).tone === "success") out.linked++;
    if (zoom(a).tone === "warning" || salesforce(a).tone === "warning") out.attention++;
  }
  return out;
}
