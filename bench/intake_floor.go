package bench

// The floors of `zoomcti bench intake --floor`: the bare handler that also
// stores each delivery the plainest durable ways the same kind of store
// allows, written as anyone would with the library alone. What zoomcti's
// intake costs beyond them is what its decoding, its queue job and its
// batching cost; what it costs beyond the bare handler includes the write
// every durable intake pays.
//
// Redis has one: a MULTI per delivery. Local disk has two: an append-only
// journal, the least any intake that keeps its events on disk pays (one
// write and one fdatasync for all the deliveries waiting), and bbolt's own
// group commit, the plainest write to the kind of file zoomcti keeps.

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
	"sync"
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
	file   string // the journal's, for the tests
	put    func(ctx context.Context, mark string, body []byte) (bool, error)
	close  func()
}

// floorsFor opens, one at a time, the floors of the store redisURL names
// (none: an embedded store): a journal and a bbolt file, each in a
// temporary directory, or redisURL under a fresh key prefix (deleted by
// close).
func floorsFor(redisURL string) []func(context.Context) (*floorStore, error) {
	if redisURL != "" {
		return []func(context.Context) (*floorStore, error){
			func(ctx context.Context) (*floorStore, error) { return openRedisFloor(ctx, redisURL) },
		}
	}
	return []func(context.Context) (*floorStore, error){
		func(context.Context) (*floorStore, error) { return openJournalFloor() },
		func(context.Context) (*floorStore, error) { return openBoltFloor() },
	}
}

// openBoltFloor writes each delivery with bbolt's DB.Batch: its mark and,
// under the bucket's next sequence, its body.
func openBoltFloor() (*floorStore, error) {
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

// errJournalClosed answers a delivery that comes once the journal closes.
var errJournalClosed = errors.New("journal closed")

// journalWrite is one delivery waiting for the journal's next sync.
type journalWrite struct {
	mark   string
	record []byte
	done   chan error // buffered: the syncer never waits on a writer
}

// openJournalFloor appends each delivery to one file, as a record of its
// mark and its body, and answers it once an fdatasync after its write
// returned: every delivery waiting while a sync runs goes in the next
// write and sync together. Its marks live in memory alone, so it does less
// than an intake must: a restart would have to read the whole journal back
// to know them, and nothing ever leaves it.
func openJournalFloor() (*floorStore, error) {
	dir, err := os.MkdirTemp("", "zoomcti-intake-journal-")
	if err != nil {
		return nil, fmt.Errorf("intake floor: %w", err)
	}
	path := filepath.Join(dir, "journal")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("intake floor: %w", err)
	}
	var (
		mu      sync.Mutex // guards seen and pending
		seen    = map[string]bool{}
		pending []*journalWrite
		closed  bool
		kick    = make(chan struct{}, 1)
		stop    = make(chan struct{})
		stopped = make(chan struct{})
	)
	go func() {
		defer close(stopped)
		var buf []byte
		for closing := false; !closing; {
			select {
			case <-kick:
			case <-stop:
				closing = true // sync what waits, and take no more
			}
			for {
				mu.Lock()
				group := pending
				pending, closed = nil, closing
				mu.Unlock()
				if len(group) == 0 {
					break
				}
				buf = buf[:0]
				for _, w := range group {
					buf = append(buf, w.record...)
				}
				_, err := f.Write(buf)
				if err == nil {
					err = dataSync(f)
				}
				if err != nil {
					// Not stored: a redelivery must find no mark.
					mu.Lock()
					for _, w := range group {
						delete(seen, w.mark)
					}
					mu.Unlock()
				}
				for _, w := range group {
					w.done <- err
				}
			}
		}
	}()
	return &floorStore{
		name: "an append-only journal: one write and one sync for the deliveries waiting",
		file: path,
		put: func(_ context.Context, mark string, body []byte) (bool, error) {
			rec := binary.AppendUvarint(nil, uint64(len(mark)))
			rec = append(rec, mark...)
			rec = binary.AppendUvarint(rec, uint64(len(body)))
			w := &journalWrite{mark: mark, record: append(rec, body...), done: make(chan error, 1)}
			mu.Lock()
			if closed {
				mu.Unlock()
				return false, errJournalClosed
			}
			if seen[mark] {
				mu.Unlock()
				return false, nil
			}
			seen[mark] = true
			pending = append(pending, w)
			mu.Unlock()
			select {
			case kick <- struct{}{}:
			default: // the syncer is told already
			}
			if err := <-w.done; err != nil {
				return false, err
			}
			return true, nil
		},
		close: func() {
			close(stop)
			<-stopped
			f.Close()
			os.RemoveAll(dir)
		},
	}, nil
}
