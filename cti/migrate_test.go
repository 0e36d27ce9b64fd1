package cti

import (
	"context"
	"slices"
	"testing"
	"time"
)

// An upgraded deployment keeps what an earlier version stored under names
// without the agent's hash tag: a call logged before the upgrade is not
// logged again (by a reconcile, say), a pending wrap-up is still listed.
func TestMigrateKeysKeepsWhatAnEarlierVersionStored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := *f.alice
	old := "tasklog:" + a.Key() + ":C-OLD"
	legacy := map[string]string{
		old:                                  "00T000000000001",
		"tasklog:" + a.Key() + ":C2:writing": "2026-01-01T00:00:00Z",
		"active:" + a.Key():                  "C3",
		"wrapup:" + a.Key() + ":C4":          `{"call_id":"C4"}`,
		"lock:sms:" + a.Key() + ":x":         "held",     // a lock: left to run out
		"queuelog:" + a.OrgID + ":C5":        a.Key(),    // never tagged
		"call:odd":                           "not ours", // not an agent's key
	}
	for k, v := range legacy {
		if err := f.kv.Set(ctx, k, []byte(v), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// A key an instance already moved (or wrote anew) is kept as it is.
	if err := f.kv.Set(ctx, ActiveCallKey(a), []byte("C9"), time.Hour); err != nil {
		t.Fatal(err)
	}
	n, err := f.e.MigrateKeys(ctx)
	if err != nil || n != 4 {
		t.Fatalf("MigrateKeys = %d, %v; want 4 moved", n, err)
	}
	if ok, err := f.e.Logged(ctx, a, "C-OLD"); !ok || err != nil {
		t.Fatalf("Logged(a call logged before the upgrade) = %v, %v; want true", ok, err)
	}
	if v, _ := f.kv.Get(ctx, logKey(a, "C2")+":writing"); string(v) != "2026-01-01T00:00:00Z" {
		t.Fatalf("write claim after the move = %q", v)
	}
	if v, _ := f.kv.Get(ctx, ActiveCallKey(a)); string(v) != "C9" {
		t.Fatalf("active call = %q, want the one written under the new name", v)
	}
	keys, _ := f.kv.Keys(ctx, "")
	slices.Sort(keys)
	for _, k := range keys {
		if _, was := legacy[k]; was && k != "lock:sms:"+a.Key()+":x" && k != "queuelog:"+a.OrgID+":C5" && k != "call:odd" {
			t.Errorf("legacy key %q still there", k)
		}
	}
	if wrapUps, err := f.e.WrapUps(ctx, a); err != nil || len(wrapUps) != 1 {
		t.Fatalf("pending wrap-ups after the move = %d, %v; want 1", len(wrapUps), err)
	}
	if n, err := f.e.MigrateKeys(ctx); err != nil || n != 0 {
		t.Fatalf("second MigrateKeys = %d, %v; want nothing left to move", n, err)
	}
}
