// The Set-up Guide's words: GET /api/admin/setup's states as the admin
// reads them. Pure: static/js/admin/setup.js draws the steps.

// STATE is how a step or a check shows: a mark (✓ ✗ and the others), its
// words, and its tone.
export const STATE = {
  ok: { mark: "✓", label: "Passed", tone: "success" },
  fail: { mark: "✗", label: "Failed", tone: "error" },
  evidence: { mark: "✓", label: "Seen working", tone: "evidence" },
  unknown: { mark: "?", label: "Can't check from here", tone: "unknown" },
};

export function stateOf(s) {
  return STATE[s] || STATE.unknown;
}

// tally counts the steps by state.
export function tally(steps) {
  const n = { ok: 0, fail: 0, evidence: 0, unknown: 0 };
  for (const st of steps || []) n[STATE[st.state] ? st.state : "unknown"]++;
  return n;
}

// headline sums the guide up in a sentence.
export function headline(steps) {
  const n = tally(steps);
  const total = (steps || []).length;
  if (!total) return "No steps to show.";
  const parts = [(n.ok + n.evidence) + " of " + total + " steps done"];
  if (n.fail) parts.push(n.fail + (n.fail === 1 ? " needs" : " need") + " fixing");
  if (n.unknown) parts.push(n.unknown + " can't be checked from here");
  return parts.join(", ") + ".";
}

// guideRef names the section of docs/setup.md a step points to:
// "docs/setup.md#31-the-external-client-app" → "docs/setup.md § 3.1".
export function guideRef(guide) {
  if (!guide) return "";
  const [file, anchor] = guide.split("#");
  const m = /^(\d)(\d*)-/.exec(anchor || "");
  if (!m) return file;
  return file + " § " + m[1] + (m[2] ? "." + m[2] : "");
}
