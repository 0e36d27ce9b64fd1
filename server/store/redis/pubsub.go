package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
)

// subBuffer is how many undelivered messages a subscription holds before
// further messages to it are dropped.
const subBuffer = 256

type subscription struct {
	s      *Store
	ps     *goredis.PubSub
	ch     chan store.Message
	done   chan struct{} // closed by close: stop delivering
	exited chan struct{} // closed by forward after it closed ch
	once   sync.Once
}

func (sub *subscription) C() <-chan store.Message { return sub.ch }

// Close ends the subscription and closes C before returning.
func (sub *subscription) Close() error {
	s := sub.s
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
	return sub.close()
}

func (sub *subscription) close() error {
	var err error
	sub.once.Do(func() {
		close(sub.done)
		err = sub.ps.Close()
		<-sub.exited
	})
	if err != nil {
		return fmt.Errorf("redis: close subscription: %w", err)
	}
	return nil
}

// forward moves messages from go-redis to C without ever waiting on the
// reader: when C's buffer is full the message is dropped, so a stalled
// reader cannot back up the connection (Redis would eventually disconnect
// it, dropping every channel). It keeps draining after close so that the
// go-redis reader goroutine is never stuck sending, and ends when go-redis
// closes its channel. What was lost (a dropped message, or everything
// published while go-redis made a broken connection again) is announced
// by a Gap message before the next one.
func (sub *subscription) forward(in <-chan any) {
	defer close(sub.exited)
	defer close(sub.ch)
	strip := sub.s.channel("")
	gap := false
	for m := range in {
		select {
		case <-sub.done:
			continue
		default:
		}
		var msg *store.Message
		switch m := m.(type) {
		case *goredis.Message:
			msg = &store.Message{Channel: strings.TrimPrefix(m.Channel, strip), Payload: []byte(m.Payload)}
		case *goredis.Subscription:
			// Count 1 is a connection's first channel: Subscribe took the
			// first connection's, so this is go-redis subscribing again on
			// a new connection after the old one broke.
			if m.Count == 1 && m.Kind == "subscribe" {
				gap = true
			}
		}
		if gap {
			select {
			case sub.ch <- store.Message{Gap: true}:
				gap = false
			default:
			}
		}
		if msg != nil {
			select {
			case sub.ch <- *msg:
			default:
				gap = true
			}
		}
	}
}

// Publish sends payload to every subscriber of channel on every instance.
//
// A cluster forwards every PUBLISH to every node, whichever node takes it,
// but a client left to itself sends each to any node, and two messages
// that took different nodes can overtake each other on their way to a
// subscriber. So on a cluster every message goes through one node, the
// master of the channels' prefix's slot: a publisher's messages then reach
// each subscriber in the order sent, as on one server.
func (s *Store) Publish(ctx context.Context, channel string, payload []byte) error {
	var c goredis.UniversalClient = s.client
	if s.cluster != nil {
		node, err := s.cluster.MasterForKey(ctx, s.channel(""))
		if err != nil {
			return fmt.Errorf("redis: publish: %w", err)
		}
		c = node
	}
	if err := c.Publish(ctx, s.channel(channel), payload).Err(); err != nil {
		return fmt.Errorf("redis: publish: %w", err)
	}
	return nil
}

// Subscribe subscribes to channels on a dedicated connection and returns
// once Redis has confirmed the subscription.
func (s *Store) Subscribe(ctx context.Context, channels ...string) (store.Subscription, error) {
	if len(channels) == 0 {
		return nil, errors.New("redis: subscribe: no channels")
	}
	full := make([]string, len(channels))
	for i, c := range channels {
		full[i] = s.channel(c)
	}
	ps := s.client.Subscribe(ctx, full...)
	// Subscribe only sends the command. Redis registers all channels of one
	// SUBSCRIBE before replying, so the first confirmation means every
	// channel is live; go-redis's Channel skips the remaining confirmations.
	reply, err := ps.Receive(ctx)
	if err == nil {
		if _, ok := reply.(*goredis.Subscription); !ok {
			err = fmt.Errorf("unexpected reply %T", reply)
		}
	}
	if err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("redis: subscribe: %w", err)
	}
	sub := &subscription{
		s:      s,
		ps:     ps,
		ch:     make(chan store.Message, subBuffer),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ps.Close()
		return nil, fmt.Errorf("redis: subscribe: %w", goredis.ErrClosed)
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	go sub.forward(ps.ChannelWithSubscriptions(goredis.WithChannelSize(subBuffer)))
	return sub, nil
}
