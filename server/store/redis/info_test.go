package redis

import (
	"context"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store/storetest"
)

func TestInfoCPUReadsUserAndSystemTime(t *testing.T) {
	info := "# CPU\r\nused_cpu_sys:2.550086\r\nused_cpu_user:26.573102\r\nused_cpu_sys_children:1.000000\r\nused_cpu_user_children:0.000000\r\n"
	got, err := infoCPU(info)
	if want := 29123188 * time.Microsecond; err != nil || got != want {
		t.Errorf("infoCPU = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"# CPU\r\nused_cpu_sys:2.5\r\n", "used_cpu_sys:x\r\nused_cpu_user:1\r\n"} {
		if _, err := infoCPU(bad); err == nil {
			t.Errorf("infoCPU(%q) read a time", bad)
		}
	}
}

func TestServerCPUGrowsWithWork(t *testing.T) {
	url := storetest.RedisURL(t)
	ctx := context.Background()
	before, err := ServerCPU(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, url, Options{Prefix: "zoomcti-test:cpu:"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for {
		// INFO's CPU times move in steps of the kernel's accounting.
		after, err := ServerCPU(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if after > before {
			return
		}
		for range 100 {
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}
