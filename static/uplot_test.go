package static

import (
	"os"
	"strings"
	"testing"
)

// uPlot is vendored only for the admin page's charts: its ES module is
// imported and its stylesheet linked, and its licence travels with it.
func TestVendoredChartLibraryIsUsed(t *testing.T) {
	page, err := os.ReadFile("admin.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `href="/static/vendor/uplot/uPlot.min.css"`) {
		t.Error("admin.html does not link vendor/uplot/uPlot.min.css")
	}
	charts, err := os.ReadFile("js/admin/charts.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(charts), `from "../../vendor/uplot/uPlot.esm.js"`) {
		t.Error("js/admin/charts.js does not import vendor/uplot/uPlot.esm.js")
	}
	lic, err := os.ReadFile("vendor/uplot/LICENSE")
	if err != nil || !strings.Contains(string(lic), "MIT") {
		t.Errorf("vendor/uplot/LICENSE: %v", err)
	}
	entries, err := os.ReadDir("vendor/uplot")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "LICENSE", "uPlot.esm.js", "uPlot.min.css":
		default:
			t.Errorf("vendor/uplot/%s is vendored but not used", e.Name())
		}
	}
}
