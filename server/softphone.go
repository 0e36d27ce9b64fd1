package server

import (
	"encoding/json"
	"encoding/xml"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/zoomcti/zoomcti/static"
)

// softphoneConfig is handed to the page; nothing secret goes in it.
type softphoneConfig struct {
	Demo              bool     `json:"demo"`
	APIVersion        string   `json:"apiVersion"`
	SalesforceOrigins []string `json:"salesforceOrigins"`
	// EmbedURL is the Zoom Phone Smart Embed the page frames; EmbedOrigin
	// the only origin it posts to and takes messages from.
	EmbedURL    string `json:"embedURL"`
	EmbedOrigin string `json:"embedOrigin"`
}

// embedOrigin is the Smart Embed's origin (the URL was validated at start).
func (s *Server) embedOrigin() string {
	u, err := url.Parse(s.cfg.ZoomEmbedURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// handleSoftphone answers GET /softphone, the Open CTI adapter URL.
func (s *Server) handleSoftphone(w http.ResponseWriter, r *http.Request) {
	page, err := fs.ReadFile(static.Pages, "softphone.html")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tmpl, err := template.New("softphone").Parse(string(page))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg, _ := json.Marshal(softphoneConfig{Demo: s.cfg.Demo, APIVersion: s.cfg.SFAPIVersion, SalesforceOrigins: s.cfg.FrameAncestors,
		EmbedURL: s.cfg.ZoomEmbedURL, EmbedOrigin: s.embedOrigin()})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", s.softphoneCSP())
	// html/template escapes the JSON for its <script> context.
	if err := tmpl.Execute(w, template.JS(cfg)); err != nil {
		s.log.Warn("render softphone", "err", err)
	}
}

// softphoneCSP lets only the Salesforce domains frame the page (never
// X-Frame-Options, which cannot name them) and load their opencti_min.js,
// and the page frame only the Zoom Phone Smart Embed.
func (s *Server) softphoneCSP() string {
	anc := strings.Join(s.cfg.FrameAncestors, " ")
	return "default-src 'self'; script-src 'self' " + anc + "; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-src " + s.embedOrigin() + "; frame-ancestors 'self' " + anc + "; base-uri 'none'; form-action 'self'"
}

// staticHandler serves GET /static/ from the embedded scripts and styles:
// files only, no directory listing (a directory is 404), and no template
// (those live in static.Pages and are rendered by their handlers).
func (s *Server) staticHandler() http.Handler {
	return http.StripPrefix("/static/", http.FileServerFS(filesOnly{static.FS}))
}

// filesOnly is an fs.FS whose directories do not exist, so the file server
// neither lists them nor looks for an index.html in them.
type filesOnly struct{ fsys fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return file, nil
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		if strings.HasPrefix(s.cfg.PublicURL, "https://") {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// callCenter is the Open CTI call center definition (reference §2).
type callCenter struct {
	XMLName  xml.Name  `xml:"callCenter"`
	Sections []section `xml:"section"`
}

type section struct {
	SortOrder int    `xml:"sortOrder,attr"`
	Name      string `xml:"name,attr"`
	Label     string `xml:"label,attr"`
	Items     []item `xml:"item"`
}

type item struct {
	SortOrder int    `xml:"sortOrder,attr"`
	Name      string `xml:"name,attr"`
	Label     string `xml:"label,attr"`
	Value     string `xml:",chardata"`
}

// handleCallCenter answers GET /callcenter.xml: the file an admin imports
// at Setup → Call Centers → Import.
func (s *Server) handleCallCenter(w http.ResponseWriter, r *http.Request) {
	items := []item{
		{Name: "reqInternalName", Label: "Internal Name", Value: "ZoomPhoneCTI"},
		{Name: "reqDisplayName", Label: "Display Name", Value: "Zoom Phone"},
		{Name: "reqAdapterUrl", Label: "CTI Adapter URL", Value: s.cfg.PublicURL + "/softphone"},
		{Name: "reqUseApi", Label: "Use CTI API", Value: "true"},
		{Name: "reqSoftphoneHeight", Label: "Softphone Height", Value: "640"},
		{Name: "reqSoftphoneWidth", Label: "Softphone Width", Value: "400"},
		{Name: "reqSalesforceCompatibilityMode", Label: "Salesforce Compatibility Mode", Value: "Lightning"},
	}
	for i := range items {
		items[i].SortOrder = i
	}
	dial := []item{
		{SortOrder: 0, Name: "reqOutsidePrefix", Label: "Outside Prefix"},
		{SortOrder: 1, Name: "reqLongDistPrefix", Label: "Long Distance Prefix"},
		{SortOrder: 2, Name: "reqInternationalPrefix", Label: "International Prefix"},
	}
	cc := callCenter{Sections: []section{
		{SortOrder: 0, Name: "reqGeneralInfo", Label: "General Information", Items: items},
		{SortOrder: 1, Name: "reqDialingOptions", Label: "Dialing Options", Items: dial},
	}}
	out, err := xml.MarshalIndent(cc, "", "  ")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="zoomcti-callcenter.xml"`)
	}
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
	_, _ = w.Write([]byte("\n"))
}
