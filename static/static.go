// Package static holds the pages zoomcti serves — the Open CTI softphone and
// its script and styles — embedded into the binary.
package static

import "embed"

// FS holds the files served as they are under /static/: scripts and
// styles, never a template.
//
//go:embed softphone.js wrapup.js settings.js embed.js softphone.css
var FS embed.FS

// Pages holds the templates the server renders with their headers (the
// softphone at /softphone, with its CSP); they are never served raw.
//
//go:embed softphone.html
var Pages embed.FS
