// Reconcile from the admin page, without the page: the period an admin
// picks as the {from, to} POST /api/admin/reconcile takes, the JSON lines
// it streams back, and the summary in words, unsaved wrap-ups apart from
// the calls logged. Pure: static/js/admin/reconcile.js runs it.

const DAY = 24 * 60 * 60 * 1000;

function midnight(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

function addDays(d, n) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
}

// parseDate reads "YYYY-MM-DD" as the local midnight that starts it.
function parseDate(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || "");
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getMonth() === Number(m[2]) - 1 ? d : null;
}

// period turns the admin's choice into {from, to} (Dates, in the browser's
// time zone), or {error}: today, yesterday, the last 7 days (today
// included), or whole days from one date to another.
export function period(kind, now, fromDay, toDay) {
  const today = midnight(now);
  switch (kind) {
    case "today": return { from: today, to: now };
    case "yesterday": return { from: addDays(today, -1), to: today };
    case "week": return { from: addDays(today, -6), to: now };
    case "custom": {
      const from = parseDate(fromDay), last = parseDate(toDay || fromDay);
      if (!from) return { error: "Pick the first day." };
      if (!last) return { error: "Pick the last day." };
      if (last < from) return { error: "The last day is before the first." };
      if (from > now) return { error: "The first day has not come yet." };
      const end = addDays(last, 1);
      return { from, to: end > now ? now : end };
    }
  }
  return { error: "Pick a period." };
}

// lines splits a stream's text into whole JSON lines as it arrives: push
// takes a chunk and returns the objects its complete lines hold; a line
// that is not JSON comes back as {error}.
export function lines() {
  let rest = "";
  const parse = (l) => {
    try { return JSON.parse(l); } catch (e) { return { error: "unreadable progress: " + l.slice(0, 80) }; }
  };
  return {
    push(chunk) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop();
      return parts.filter((l) => l.trim() !== "").map(parse);
    },
    end() {
      const l = rest.trim();
      rest = "";
      return l ? [parse(l)] : [];
    },
  };
}

function n(v, one, many) {
  const k = Number(v || 0);
  return k.toLocaleString("en-US") + " " + (k === 1 ? one : many);
}

// agentLine is one agent's progress in words.
export function agentLine(p) {
  return (p.agent || "an agent") + ": " + [
    n(p.seen, "call", "calls"), n(p.already_logged, "already logged", "already logged"), n(p.logged_now, "logged now", "logged now"),
    n(p.unsaved_wrapups, "unsaved wrap-up", "unsaved wrap-ups"),
    ...(p.failed ? [n(p.failed, "failed", "failed")] : []),
  ].join(", ");
}

// SUMMARY are the summary's figures as the page lists them. Unsaved
// wrap-ups are calls waiting for their agent's wrap-up (Auto Save Call
// Logs off): not logged, and not lost, so never counted with the logged.
export const SUMMARY = [
  { key: "seen", label: "Calls in Zoom's history" },
  { key: "already_logged", label: "Already logged" },
  { key: "logged_now", label: "Logged now" },
  { key: "unsaved_wrapups", label: "Unsaved wrap-ups (waiting for the agent, not logged)" },
  { key: "ignored", label: "Internal calls ignored" },
  { key: "failed", label: "Failed" },
];

// percent is how far the run is, for the progress bar.
export function percent(p) {
  if (!p || !p.total) return 0;
  return Math.round((Math.min(p.done, p.total) * 100) / p.total);
}
