package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/zoomcti/zoomcti/server/store"
)

// subBuffer is how many undelivered messages a subscription holds before
// further messages to it are dropped.
const subBuffer = 256

type subscription struct {
	s        *Store
	channels []string
	ch       chan store.Message
}

func (sub *subscription) C() <-chan store.Message { return sub.ch }

// Close ends the subscription and closes C. It is safe to call twice and
// after the store is closed.
func (sub *subscription) Close() error {
	s := sub.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.remove(sub) {
		close(sub.ch)
	}
	return nil
}

// Publish delivers payload to every current subscriber of channel. It never
// waits: a subscriber whose buffer is full misses the message, because one
// stalled websocket must not hold up calls for everyone else.
func (s *Store) Publish(ctx context.Context, channel string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: publish: %w", err)
	}
	// Subscribers share one copy, so the caller may reuse its slice.
	msg := store.Message{Channel: channel, Payload: bytes.Clone(payload)}
	// The read lock keeps Close from closing a channel mid-send.
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return fmt.Errorf("bolt: publish: %w", bbolt.ErrDatabaseNotOpen)
	}
	for sub := range s.subs[channel] {
		select {
		case sub.ch <- msg:
		default:
		}
	}
	return nil
}

// Subscribe registers a subscription to channels; it is active on return.
func (s *Store) Subscribe(ctx context.Context, channels ...string) (store.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: subscribe: %w", err)
	}
	if len(channels) == 0 {
		return nil, errors.New("bolt: subscribe: no channels")
	}
	sub := &subscription{s: s, channels: channels, ch: make(chan store.Message, subBuffer)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("bolt: subscribe: %w", bbolt.ErrDatabaseNotOpen)
	}
	for _, c := range channels {
		if s.subs[c] == nil {
			s.subs[c] = make(map[*subscription]struct{})
		}
		s.subs[c][sub] = struct{}{}
	}
	return sub, nil
}

// remove unregisters sub and reports whether it was registered. The caller
// holds s.mu.
func (s *Store) remove(sub *subscription) bool {
	found := false
	for _, c := range sub.channels {
		if _, ok := s.subs[c][sub]; ok {
			found = true
			delete(s.subs[c], sub)
			if len(s.subs[c]) == 0 {
				delete(s.subs, c)
			}
		}
	}
	return found
}

// closeSubscriptions ends every subscription, so readers ranging over C stop
// when the store shuts down.
func (s *Store) closeSubscriptions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, subs := range s.subs {
		for sub := range subs {
			if s.remove(sub) {
				close(sub.ch)
			}
		}
	}
}
