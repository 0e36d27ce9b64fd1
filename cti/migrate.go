package cti

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// legacyKinds are the kinds of agent keys that versions before the hash
// tags named "kind:org:user:…", with how long each kind lives (the store
// does not tell a key's remaining life, so a moved key gets its kind's
// whole life again).
var legacyKinds = []struct {
	kind string
	ttl  time.Duration
}{
	{"call", callTTL},
	{"active", callTTL},
	{"tasklog", loggedTTL},
	{"dial", dialMemory},
	{"wrapup", wrapUpTTL},
	{"sms", loggedTTL},
	{"smspending", smsPendingTTL},
	{"smstask", loggedTTL},
}

// MigrateKeys moves the agent keys an earlier version named without the
// agent's hash tag ("tasklog:00D…:005…:<call id>") to their tagged names,
// so that an upgraded deployment keeps its Task done-markers (a reconcile
// must not log those calls again), pending wrap-ups, SMS threads and calls
// in progress. A key already present under its new name is kept, and the
// old one dropped; locks are left to run out. It may run on several
// instances at once, and again: it only moves what it finds. It returns how
// many keys it moved.
func (e *Engine) MigrateKeys(ctx context.Context) (int, error) {
	moved := 0
	for _, k := range legacyKinds {
		keys, err := e.cfg.KV.Keys(ctx, k.kind+":")
		if err != nil {
			return moved, fmt.Errorf("cti: migrate keys: %w", err)
		}
		for _, old := range keys {
			// kind:org:user:rest ("active" has no rest).
			want := 3
			if k.kind == "active" {
				want = 2
			}
			parts := strings.SplitN(strings.TrimPrefix(old, k.kind+":"), ":", want)
			if len(parts) != want || parts[0] == "" || parts[1] == "" || strings.Contains(parts[1], ":") ||
				strings.ContainsAny(old, "{}") || strings.HasSuffix(old, ":lock") {
				continue // tagged already, not an agent's key, or a lock
			}
			name := k.kind + ":" + agentKey(Agent{OrgID: parts[0], UserID: parts[1]})
			if want == 3 {
				name += ":" + parts[2]
			}
			v, err := e.cfg.KV.Get(ctx, old)
			if errors.Is(err, e.cfg.NotFound) {
				continue // moved by another instance, or expired
			}
			if err != nil {
				return moved, fmt.Errorf("cti: migrate %s: %w", k.kind, err)
			}
			if _, err := e.cfg.KV.SetNX(ctx, name, v, k.ttl); err != nil {
				return moved, fmt.Errorf("cti: migrate %s: %w", k.kind, err)
			}
			if err := e.cfg.KV.Delete(ctx, old); err != nil {
				return moved, fmt.Errorf("cti: migrate %s: %w", k.kind, err)
			}
			moved++
		}
	}
	return moved, nil
}
