// Phone numbers and durations as the softphone shows and compares them.

// sameNumber compares numbers in any spelling ("(202) 555-0142",
// "+12025550142") by their digits, allowing a missing country code or
// outside-line prefix.
export function sameNumber(a, b) {
  const x = String(a || "").replace(/\D/g, ""), y = String(b || "").replace(/\D/g, "");
  if (!x || !y) return false;
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  return short.length >= 7 && long.endsWith(short);
}

// dialable keeps a leading + and the digits: the form Zoom documents for
// zoomphonecall:// and zp-make-call (E.164, + kept).
export function dialable(number) {
  const s = String(number || "").trim();
  const digits = s.replace(/\D/g, "");
  if (!digits) return "";
  return (s.startsWith("+") ? "+" : "") + digits;
}

// fmtDuration writes seconds as m:ss.
export function fmtDuration(s) {
  s = Math.max(0, Math.floor(Number(s) || 0));
  const m = Math.floor(s / 60), r = s % 60;
  return m + ":" + String(r).padStart(2, "0");
}
