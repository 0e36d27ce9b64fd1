package static

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Only the icons the pages use are vendored, and every icon they use is:
// each utility icon in vendor/slds is named by a softphone.css class that
// the page or its scripts use, and each standard icon by the scripts.
func TestVendoredIconsAreTheOnesUsed(t *testing.T) {
	css, err := os.ReadFile("softphone.css")
	if err != nil {
		t.Fatal(err)
	}
	code := string(css)
	for _, root := range []string{"js", "."} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != root {
				if root == "." {
					return fs.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".html") {
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				code += "\n" + string(b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	cssIcon := regexp.MustCompile(`\.zc-icon-(\w+) \{ --zc-icon:url\(vendor/slds/icons/utility/(\w+)\.svg\); \}`)
	defined := map[string]bool{}
	for _, m := range cssIcon.FindAllStringSubmatch(string(css), -1) {
		if m[1] != m[2] {
			t.Errorf(".zc-icon-%s draws %s.svg", m[1], m[2])
		}
		defined[m[1]] = true
	}
	// Icons the page asks for: icon("name"…), iconButton("name"…) and zc-icon-name classes.
	used := map[string]bool{}
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`\bicon(?:Button)?\("(\w+)"`), regexp.MustCompile(`zc-icon-(\w+)"`), regexp.MustCompile(`zc-icon-(\w+) `)} {
		for _, m := range re.FindAllStringSubmatch(code, -1) {
			used[m[1]] = true
		}
	}
	// toast.js and calls.js pick some by a table.
	for _, m := range regexp.MustCompile(`: "(\w+)"`).FindAllStringSubmatch(code, -1) {
		if defined[m[1]] {
			used[m[1]] = true
		}
	}
	for name := range used {
		if !defined[name] && name != "wrap" {
			t.Errorf("the page uses icon %q, which softphone.css does not define (add it to scripts/vendor-frontend's ICONS)", name)
		}
	}
	files, err := filepath.Glob("vendor/slds/icons/*/*.svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".svg")
		switch filepath.Base(filepath.Dir(f)) {
		case "utility":
			if !used[name] {
				t.Errorf("%s is vendored but not used: drop it from scripts/vendor-frontend's ICONS", f)
			}
		case "standard":
			if !strings.Contains(code, `"`+name+`"`) {
				t.Errorf("%s is vendored but no script names it", f)
			}
		}
	}
}
