package server

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/zoomcti/zoomcti/static"
)

// /static/ serves scripts and styles only: no directory listing, and no
// template raw (the softphone page exists only at /softphone, with its CSP).
func TestStaticServesNoListingAndNoTemplate(t *testing.T) {
	s, _ := newTestServer(t, nil)
	h := s.Handler()
	get := func(t *testing.T, path string) *httptest.ResponseRecorder {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	tests := []struct {
		name string
		path string
		code int
	}{
		{"the directory", "/static/", http.StatusNotFound},
		{"the directory, dot", "/static/.", http.StatusNotFound},
		{"the softphone template", "/static/softphone.html", http.StatusNotFound},
		{"index.html", "/static/index.html", http.StatusNotFound},
		{"the static package source", "/static/static.go", http.StatusNotFound},
		{"a script", "/static/js/main.js", http.StatusOK},
		{"a script module", "/static/js/lib/callcard.js", http.StatusOK},
		{"the styles", "/static/softphone.css", http.StatusOK},
		{"SLDS", "/static/vendor/slds/styles/salesforce-lightning-design-system.min.css", http.StatusOK},
		{"an SLDS icon", "/static/vendor/slds/icons/utility/call.svg", http.StatusOK},
		{"the vendored versions", "/static/vendor/VERSIONS", http.StatusNotFound},
		{"a unit test", "/static/test/callcard.test.js", http.StatusNotFound},
		{"the js directory", "/static/js/", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, tc.path)
			// The mux cleans /static/. and the file server answers
			// /static/index.html with a redirect to the directory: follow
			// them, as a browser would.
			for path, hops := tc.path, 0; w.Code/100 == 3 && hops < 3; hops++ {
				base, _ := url.Parse(path)
				loc, err := base.Parse(w.Header().Get("Location"))
				if err != nil {
					t.Fatal(err)
				}
				path = loc.Path
				w = get(t, path)
			}
			if w.Code != tc.code {
				t.Fatalf("GET %s: %d, want %d; body %.200q", tc.path, w.Code, tc.code, w.Body.String())
			}
			if bytes.Contains(w.Body.Bytes(), []byte("{{")) || strings.Contains(w.Body.String(), `href="main.js"`) {
				t.Fatalf("GET %s served a template or a listing: %.200q", tc.path, w.Body.String())
			}
		})
	}

	// Every page the server renders is 404 under /static/, whatever its name.
	err := fs.WalkDir(static.Pages, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if w := get(t, "/static/"+name); w.Code != http.StatusNotFound {
			t.Errorf("template %s served raw under /static/: %d", name, w.Code)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// No file served raw is a template.
	err = fs.WalkDir(static.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, name)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("{{")) {
			t.Errorf("%s is served raw under /static/ but holds template actions; put it in static.Pages", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The real page: rendered, with its CSP.
	w := get(t, "/softphone")
	if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors") {
		t.Fatalf("/softphone: %d, CSP %q", w.Code, w.Header().Get("Content-Security-Policy"))
	}
	if bytes.Contains(w.Body.Bytes(), []byte("{{")) || !bytes.Contains(w.Body.Bytes(), []byte(`"apiVersion":"67.0"`)) {
		t.Fatalf("/softphone is not the rendered page: %.300q", w.Body.String())
	}
}
