package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// Whose CPU is whose. The server, the emulators and the bench's own
// clients share one process, so the run tells them apart by pprof label:
// the goroutine that serves zoomcti runs under side=server, the one that
// serves the emulators under side=emulators, and the rest of the run under
// side=bench. Goroutines inherit their creator's labels, so every
// connection, worker and websocket writer the server starts is the
// server's, and an outgoing request's transport goroutines belong to the
// side that made it. A CPU profile of the load samples every thread 100
// times a second with the running goroutine's labels; summing the samples
// by label splits the CPU time. The store is opened on the server's side,
// so its own goroutines (the embedded store's committer) are the server's.
// Goroutines that timers start carry no labels; an unlabelled sample inside
// the store code still counts as the server's. The runtime's own background
// work (the GC's mark workers, the scavenger) runs without labels and is
// reported as such; GC work a goroutine does while allocating (assists) is
// charged to that goroutine.

const (
	labelSide      = "side"
	sideServer     = "server"
	sideEmulators  = "emulators"
	sideBench      = "bench"
	sideUnlabelled = ""
)

// onSide runs f with the goroutine labelled side: what f starts belongs to
// that side.
func onSide(ctx context.Context, side string, f func(context.Context)) {
	pprof.Do(ctx, pprof.Labels(labelSide, side), f)
}

// CPUSplit is the CPU time sampled during load and drain, by side.
type CPUSplit struct {
	Server     time.Duration // zoomcti: handlers, workers, hub, store calls, its HTTP clients
	Emulators  time.Duration // the emulated org and Zoom serving zoomcti's requests
	Bench      time.Duration // the softphones, the webhook senders, the bench's bookkeeping
	Unlabelled time.Duration // the Go runtime's background work (GC mark workers), timers' goroutines
}

// Total is the CPU time of every sample.
func (c CPUSplit) Total() time.Duration { return c.Server + c.Emulators + c.Bench + c.Unlabelled }

// cpuProfile records a CPU profile between start and stop.
type cpuProfile struct{ buf bytes.Buffer }

func (p *cpuProfile) start() error {
	if err := pprof.StartCPUProfile(&p.buf); err != nil {
		return fmt.Errorf("bench: cpu profile: %w", err)
	}
	return nil
}

// stop ends the profile, copies it to w when set, and splits it by side.
func (p *cpuProfile) stop(w io.Writer) (CPUSplit, error) {
	pprof.StopCPUProfile()
	if w != nil {
		if _, err := w.Write(p.buf.Bytes()); err != nil {
			return CPUSplit{}, fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	by, err := cpuByLabel(p.buf.Bytes(), labelSide, storeFrames, sideServer)
	if err != nil {
		return CPUSplit{}, fmt.Errorf("bench: cpu profile: %w", err)
	}
	return CPUSplit{Server: by[sideServer], Emulators: by[sideEmulators], Bench: by[sideBench], Unlabelled: by[sideUnlabelled]}, nil
}

// storeFrames are the function name prefixes of the server's store code.
var storeFrames = []string{"go.etcd.io/bbolt.", "github.com/zoomcti/zoomcti/server/store/"}

// cpuByLabel sums the CPU time of a profile's samples by the value of
// their label key ("" for samples without it); an unlabelled sample with a
// frame whose function starts with one of frames counts as side. It reads
// the profile.proto fields it needs: sample_type (1), sample (2: location_id
// 1, value 2, label 3 with key 1 and str 2), location (4: id 1, line 4 with
// function_id 1), function (5: id 1, name 2) and string_table (6).
func cpuByLabel(gz []byte, key string, frames []string, side string) (map[string]time.Duration, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	type sample struct {
		locs   []uint64
		values []int64
		labels [][2]int64 // key, str: string table indexes
	}
	var (
		strs    []string
		types   []int64 // string index of each sample type's name
		samples []sample
		locFns  = map[uint64][]uint64{} // location id → function ids
		fnNames = map[uint64]int64{}    // function id → name's string index
	)
	varints := func(typ protowire.Type, v []byte, x uint64, add func(uint64)) error {
		if typ == protowire.VarintType {
			add(x)
			return nil
		}
		for len(v) > 0 {
			x, n := protowire.ConsumeVarint(v)
			if n < 0 {
				return protowire.ParseError(n)
			}
			add(x)
			v = v[n:]
		}
		return nil
	}
	err = eachField(data, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			return eachField(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
				if num == 1 {
					types = append(types, int64(x))
				}
				return nil
			})
		case 2:
			var s sample
			err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch {
				case num == 1:
					return varints(typ, v, x, func(x uint64) { s.locs = append(s.locs, x) })
				case num == 2:
					return varints(typ, v, x, func(x uint64) { s.values = append(s.values, int64(x)) })
				case num == 3 && typ == protowire.BytesType:
					var l [2]int64
					err := eachField(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
						if num == 1 || num == 2 {
							l[num-1] = int64(x)
						}
						return nil
					})
					s.labels = append(s.labels, l)
					return err
				}
				return nil
			})
			samples = append(samples, s)
			return err
		case 4:
			var id uint64
			var fns []uint64
			err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch {
				case num == 1:
					id = x
				case num == 4 && typ == protowire.BytesType:
					return eachField(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
						if num == 1 {
							fns = append(fns, x)
						}
						return nil
					})
				}
				return nil
			})
			locFns[id] = fns
			return err
		case 5:
			var id uint64
			var name int64
			err := eachField(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
				switch num {
				case 1:
					id = x
				case 2:
					name = int64(x)
				}
				return nil
			})
			fnNames[id] = name
			return err
		case 6:
			strs = append(strs, string(v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	str := func(i int64) string {
		if i < 0 || int(i) >= len(strs) {
			return ""
		}
		return strs[i]
	}
	cpu := -1
	for i, t := range types {
		if str(t) == "cpu" {
			cpu = i
		}
	}
	if cpu < 0 {
		return nil, errors.New("no cpu sample type")
	}
	out := map[string]time.Duration{}
	for _, s := range samples {
		if cpu >= len(s.values) {
			continue
		}
		label := ""
		for _, l := range s.labels {
			if str(l[0]) == key {
				label = str(l[1])
			}
		}
		if label == "" && inFrames(s.locs, func(loc uint64) []string {
			var names []string
			for _, fn := range locFns[loc] {
				names = append(names, str(fnNames[fn]))
			}
			return names
		}, frames) {
			label = side
		}
		out[label] += time.Duration(s.values[cpu])
	}
	return out, nil
}

// eachField calls f with each field of a protobuf message: its bytes when
// length-delimited, its value when a varint.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var (
			v []byte
			x uint64
		)
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// inFrames reports whether a function of one of locs starts with a prefix.
func inFrames(locs []uint64, names func(uint64) []string, prefixes []string) bool {
	for _, loc := range locs {
		for _, name := range names(loc) {
			for _, p := range prefixes {
				if strings.HasPrefix(name, p) {
					return true
				}
			}
		}
	}
	return false
}
