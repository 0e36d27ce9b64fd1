package sfsim

import _ "embed"

var (
	//go:embed authorize.html
	authorizeHTML string
	//go:embed console.html
	consoleHTML string
	//go:embed console.css
	consoleCSS []byte
	//go:embed console.js
	consoleJS []byte
	//go:embed opencti.js
	openctiJS []byte
)
