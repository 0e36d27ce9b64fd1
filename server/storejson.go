package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/zoomcti/zoomcti/server/store"
)

// getter is the slice of the store getJSON reads.
type getter interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// getJSON decodes the JSON value stored at key into v and reports whether
// there was one; with none, v is left as it was (its defaults).
func getJSON[T any](ctx context.Context, kv getter, key string, v *T) (bool, error) {
	b, err := kv.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, err
	}
	return true, nil
}
