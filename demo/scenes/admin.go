package scenes

import (
	"context"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/demo"
)

// Admin is the admin page's tabs (/admin, 1280 wide, signed in as the
// demo's admin): the Set-up Guide, Health after a few calls, and the
// settings cards.
func Admin() []Scene {
	return []Scene{
		{Name: "admin-setup", About: "the admin page's Set-up Guide, each step checked live", Take: adminScene("setup", nil)},
		{Name: "admin-health", About: "the admin page's Health: charts of the org's last hour after three calls, its agents", Take: adminScene("health", func(ctx context.Context, st *Stage) error {
			for _, from := range []string{adaPhone, stranger, adaPhone} {
				bodies, err := st.Inbound(zoomsim.CallSpec{From: from})
				if err != nil {
					return err
				}
				if err := st.Send(ctx, bodies...); err != nil {
					return err
				}
			}
			return st.WaitHealth(ctx, 3)
		})},
		{Name: "admin-settings", About: "the admin page's settings cards, laid out for a full page", Take: adminScene("settings", nil)},
	}
}

func adminScene(tab string, set func(ctx context.Context, st *Stage) error) func(ctx context.Context, st *Stage, path string) error {
	return func(ctx context.Context, st *Stage, path string) error {
		if set != nil {
			if err := set(ctx, st); err != nil {
				return err
			}
		}
		return demo.ScreenshotAdmin(ctx, st.Demo.ServerURL, tab, path)
	}
}
