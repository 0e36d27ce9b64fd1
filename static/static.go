// Package static holds the pages zoomcti serves — the Open CTI softphone, the
// admin page, and their scripts and styles — embedded into the binary.
package static

import "embed"

// FS holds the files served as they are under /static/: the ES modules
// under js/ (js/main.js is the softphone's entry, js/admin/main.js the
// admin page's), the styles, the Lightning Design System files in
// vendor/slds and the chart library in vendor/uplot (scripts/vendor-frontend);
// never a template, and never the unit tests in test/.
//
//go:embed js softphone.css admin.css vendor/slds vendor/uplot
var FS embed.FS

// Pages holds the templates the server renders with their headers (the
// softphone at /softphone, the admin page at /admin, each with its CSP);
// they are never served raw.
//
//go:embed softphone.html admin.html
var Pages embed.FS
