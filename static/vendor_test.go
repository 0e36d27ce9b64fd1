package static

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The vendored files are exactly what scripts/vendor-frontend copied from
// the npm packages: SLDS's licence forbids derivatives of its icons, and an
// edited stylesheet would silently stop being Salesforce's. A file edited,
// added or removed by hand fails here; run the script instead.
func TestVendoredFilesAreAsCopied(t *testing.T) {
	f, err := os.Open("vendor/VERSIONS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	packages := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 4 && fields[0] == "package":
			packages++
		case len(fields) == 3 && fields[0] == "file":
			want[fields[2]] = fields[1]
		}
	}
	if packages != 3 || len(want) == 0 {
		t.Fatalf("vendor/VERSIONS names %d packages and %d files; rerun scripts/vendor-frontend", packages, len(want))
	}
	for path, sum := range want {
		b, err := os.ReadFile(filepath.Join("..", path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s differs from the copy scripts/vendor-frontend recorded: vendored files are never edited", path)
		}
	}
	for _, dir := range []string{"vendor/slds", "vendor/uplot", "../internal/browsertest/axe"} {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel := strings.TrimPrefix(filepath.ToSlash(filepath.Join("static", p)), "static/../")
			if _, ok := want[rel]; !ok {
				t.Errorf("%s is not in vendor/VERSIONS: vendored files come from scripts/vendor-frontend", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
