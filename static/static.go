// Package static holds the pages zoomcti serves — the Open CTI softphone and
// its scripts and styles — embedded into the binary.
package static

import "embed"

// FS holds the files served as they are under /static/: the ES modules
// under js/ (js/main.js is the page's entry), the styles, and the Lightning
// Design System files in vendor/slds (scripts/vendor-frontend); never a
// template, and never the unit tests in test/.
//
//go:embed js softphone.css vendor/slds
var FS embed.FS

// Pages holds the templates the server renders with their headers (the
// softphone at /softphone, with its CSP); they are never served raw.
//
//go:embed softphone.html
var Pages embed.FS
