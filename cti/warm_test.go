package cti

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// warmingCRM is a CRM that can warm its lookups: it notes each number it
// is asked to warm, and whether the call's state had been read by then.
type warmingCRM struct {
	*fakeCRM
	mu     sync.Mutex
	warmed []string
	late   bool // a number was warmed after its call was read
	loaded bool // the call's state has been read
}

func (w *warmingCRM) WarmLookup(_ context.Context, _ Agent, number string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warmed = append(w.warmed, number)
	w.late = w.late || w.loaded
}

// A ringing inbound call's number is warmed in the CRM before the call's
// state is read, so that the CRM's read of its cache runs beside it; no
// other event warms anything.
func TestARingingInboundCallsNumberIsWarmedBeforeTheCallIsRead(t *testing.T) {
	tests := []struct {
		name  string
		call  func(*fixture) call
		steps []EventKind
		want  []string
	}{
		{name: "inbound, ringing", call: func(f *fixture) call { return f.inbound("C1", ada) },
			steps: []EventKind{KindRinging, KindAnswered, KindEnded}, want: []string{ada.Number}},
		{name: "inbound, first heard of when answered", call: func(f *fixture) call { return f.inbound("C1", ada) },
			steps: []EventKind{KindAnswered, KindEnded}},
		{name: "outbound", call: func(f *fixture) call { return f.outbound("C1", ada) },
			steps: []EventKind{KindRinging, KindAnswered}},
		{name: "internal", call: func(f *fixture) call { return f.internal("C1", carolParty, false) },
			steps: []EventKind{KindRinging}},
		{name: "a withheld number", call: func(f *fixture) call { return f.inbound("C1", Party{Name: "Anonymous"}) },
			steps: []EventKind{KindRinging}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			w := &warmingCRM{fakeCRM: f.crm}
			f.e.cfg.CRM = w
			f.kv.fail = func(op, key string) error {
				if op == "get" && strings.HasPrefix(key, CallKeyPrefix(*f.alice)) {
					w.mu.Lock()
					w.loaded = true
					w.mu.Unlock()
				}
				return nil
			}
			c := tc.call(f)
			for _, k := range tc.steps {
				f.at(c, k)
				f.tick(time.Second)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if strings.Join(w.warmed, ",") != strings.Join(tc.want, ",") {
				t.Errorf("warmed %q, want %q", w.warmed, tc.want)
			}
			if w.late {
				t.Error("a number was warmed after its call's state was read")
			}
			if len(tc.want) > 0 && len(f.push.of(f.alice, "call")) == 0 {
				t.Error("nothing reached the softphone")
			}
		})
	}
}
