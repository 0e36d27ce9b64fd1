// Package static holds the pages zoomcti serves — the Open CTI softphone and
// its script and styles — embedded into the binary.
package static

import "embed"

// FS holds every file of this folder the server serves.
//
//go:embed softphone.html softphone.js wrapup.js settings.js softphone.css
var FS embed.FS
