package bench

// The floor of `zoomcti bench intake --floor`: the bare handler that also
// stores each delivery the plainest durable way the same kind of store
// allows, written as anyone would with the library alone. What zoomcti's
// intake costs beyond it is what its decoding, its queue job and its
// batching cost; what it costs beyond the bare handler includes the write
// every durable intake pays.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	goredis "github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	redisstore "github.com/zoomcti/zoomcti/server/store/redis"
)

// floorBatchDelay is how long the embedded floor's group commit (bbolt's
// DB.Batch) waits for more writes. bbolt's default, 10 ms, leaves 32
// senders waiting on the timer rather than the disk: about a quarter of
// the deliveries a second of 1 ms, in a one-off run with the delay changed
// (on the machine it was chosen on; no command here runs the default).
const floorBatchDelay = time.Millisecond

// errFloorDuplicate answers a redelivery in the embedded floor.
var errFloorDuplicate = errors.New("duplicate")

// floorStore is where the floor handler writes: put stores body under
// its dedupe mark and reports false, storing nothing, for a mark already
// there.
type floorStore struct {
	name   string
	prefix string // of its keys, in Redis
	put    func(ctx context.Context, mark string, body []byte) (bool, error)
	close  func()
}

// openFloor opens the floor's store: a bbolt file in a temporary directory,
// or redisURL under a fresh key prefix (deleted by close).
func openFloor(ctx context.Context, redisURL string) (*floorStore, error) {
	if redisURL != "" {
		return openRedisFloor(ctx, redisURL)
	}
	dir, err := os.MkdirTemp("", "zoomcti-intake-floor-")
	if err != nil {
		return nil, fmt.Errorf("intake floor: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "floor.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("intake floor: %w", err)
	}
	db.MaxBatchDelay = floorBatchDelay
	seen, queue := []byte("seen"), []byte("events")
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{seen, queue} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("intake floor: %w", err)
	}
	return &floorStore{
		name: "bbolt DB.Batch, its group commit, of a mark and the body",
		put: func(_ context.Context, mark string, body []byte) (bool, error) {
			err := db.Batch(func(tx *bolt.Tx) error {
				s := tx.Bucket(seen)
				if s.Get([]byte(mark)) != nil {
					return errFloorDuplicate
				}
				if err := s.Put([]byte(mark), []byte{1}); err != nil {
					return err
				}
				q := tx.Bucket(queue)
				id, err := q.NextSequence()
				if err != nil {
					return err
				}
				return q.Put(binary.BigEndian.AppendUint64(nil, id), body)
			})
			if errors.Is(err, errFloorDuplicate) {
				return false, nil
			}
			return err == nil, err
		},
		close: func() { db.Close(); os.RemoveAll(dir) },
	}, nil
}

// openRedisFloor writes each delivery as one MULTI of SET NX PX (the mark)
// and RPUSH (the body), keys in one slot so that a cluster takes it too.
// A MULTI cannot skip the RPUSH when the mark was there, so a redelivery
// is queued again: the floor does less than an intake must.
func openRedisFloor(ctx context.Context, redisURL string) (*floorStore, error) {
	client, err := redisstore.NewClient(redisURL)
	if err != nil {
		return nil, fmt.Errorf("intake floor: %w", err)
	}
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("intake floor: %w", err)
	}
	prefix := "zoomcti-bench-floor-" + rand.Text() + ":"
	queue := prefix + "{floor}:events"
	return &floorStore{
		name:   "a Redis MULTI of SET NX PX and RPUSH per delivery",
		prefix: prefix,
		put: func(ctx context.Context, mark string, body []byte) (bool, error) {
			var set *goredis.BoolCmd
			_, err := client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
				set = p.SetNX(ctx, prefix+"{floor}:seen:"+mark, "1", 72*time.Hour)
				p.RPush(ctx, queue, body)
				return nil
			})
			if err != nil {
				return false, err
			}
			return set.Val(), nil
		},
		close: func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = redisstore.DeletePrefix(ctx, redisURL, prefix)
			client.Close()
		},
	}, nil
}

// floorIntake is bareIntake that also stores each delivery in st, marked
// by its body's hash, before its 200.
func floorIntake(secret string, st *floorStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := verifiedBody(w, r, secret)
		if !ok {
			return
		}
		sum := sha256.Sum256(body)
		stored, err := st.put(r.Context(), hex.EncodeToString(sum[:16]), body)
		if err != nil {
			http.Error(w, "cannot store the event", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if !stored {
			_, _ = io.WriteString(w, `{"status":"duplicate"}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"received"}`)
	})
}
