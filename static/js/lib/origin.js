// Which Salesforce origins may supply the Open CTI script the page runs:
// the server's list (ZOOMCTI_FRAME_ANCESTORS), patterns such as
// "https://*.force.com" or "http://127.0.0.1:8081".

// originMatches says whether the URL u matches one pattern.
export function originMatches(pattern, u) {
  let p;
  try { p = new URL(pattern.replace("*.", "wildcard.")); } catch (e) { return false; }
  if (p.protocol !== u.protocol || p.port !== u.port) return false;
  if (pattern.includes("://*.")) {
    const suffix = p.hostname.slice("wildcard".length); // ".force.com"
    return u.hostname.endsWith(suffix) && u.hostname.length > suffix.length;
  }
  return p.hostname === u.hostname;
}

// allowedOrigin returns the origin of candidate when a pattern allows it,
// else null.
export function allowedOrigin(candidate, patterns) {
  if (!candidate) return null;
  let u;
  try { u = new URL(candidate); } catch (e) { return null; }
  return (patterns || []).some((p) => originMatches(p, u)) ? u.origin : null;
}
