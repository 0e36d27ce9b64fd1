package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/server"
)

// HostileOptions describe the memory attack of issue 8 that `zoomcti
// hostile` and TestHostileInputKeepsHeapFlat play against a server: OAuth
// callbacks with huge error values, then many slow webhook bodies with a
// fresh timestamp and a well-formed (wrong) signature, all in flight
// together.
type HostileOptions struct {
	BaseURL     string        // the server, e.g. http://127.0.0.1:8080
	Callbacks   int           // sign-in callbacks, each with an error value of ErrorSize bytes
	ErrorSize   int           //
	Webhooks    int           // webhook requests in flight together
	WebhookSize int           // each one's declared body size
	Trickle     time.Duration // how long each webhook body takes to send, less its last byte
	// Sources is how many loopback source addresses (127.10.x.y) the
	// requests come from, so that per-address rate limits do not hide the
	// problem; 0 sends from the default address (a server not on loopback).
	Sources int
	// InFlight is called once every webhook has either sent all but the
	// last byte of its body or been answered: the moment to measure.
	InFlight func()
	// Events are correctly signed webhooks (with WebhookSecret), each of a
	// made-up event type, account and user: they pass every check, so
	// they reach what counts webhooks by kind (issue 12: the metrics'
	// series stay as many). Sent after the callbacks, before the slow
	// bodies.
	Events        int
	WebhookSecret string
}

// HostileResult counts the answers by HTTP status (0: no answer).
type HostileResult struct {
	Callbacks map[int]int
	Events    map[int]int
	Webhooks  map[int]int
}

// Hostile plays opts against a running server. It stops when every request
// has been answered or ctx is done.
func Hostile(ctx context.Context, opts HostileOptions) (HostileResult, error) {
	res := HostileResult{Callbacks: map[int]int{}, Events: map[int]int{}, Webhooks: map[int]int{}}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return res, fmt.Errorf("hostile: bad server URL %q", opts.BaseURL)
	}
	var next atomic.Uint32
	dialer := func() *net.Dialer {
		d := &net.Dialer{Timeout: 5 * time.Second}
		if opts.Sources > 0 {
			i := next.Add(1) % uint32(opts.Sources)
			d.LocalAddr = &net.TCPAddr{IP: loopbackSource(i).AsSlice()}
		}
		return d
	}
	var mu sync.Mutex
	count := func(m map[int]int, status int) {
		mu.Lock()
		m[status]++
		mu.Unlock()
	}

	// Callbacks: each needs a live state, which a start hands out in its
	// redirect to Salesforce.
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true, // every request from the next source address
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return dialer().DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	huge := url.QueryEscape(strings.Repeat("x", opts.ErrorSize))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				// Each value different, as a counter name each would be a new one.
				count(res.Callbacks, hostileCallback(ctx, client, base.String(), strconv.Itoa(i)+huge))
			}
		})
	}
	for i := 0; i < opts.Callbacks && ctx.Err() == nil; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	// Signed events of made-up types, each from a new user of a new account.
	sender := &zoomsim.Sender{URL: base.String() + "/webhooks/zoom", Secret: opts.WebhookSecret, Client: client}
	events := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range events {
				count(res.Events, hostileEvent(ctx, sender, i))
			}
		})
	}
	for i := 0; i < opts.Events && ctx.Err() == nil; i++ {
		events <- i
	}
	close(events)
	wg.Wait()

	// Webhooks: all in flight together, each holding back its last byte
	// until every one is either stalled or answered.
	var ready, done sync.WaitGroup
	hold := make(chan struct{})
	ready.Add(opts.Webhooks)
	for range opts.Webhooks {
		done.Go(func() {
			count(res.Webhooks, hostileWebhook(ctx, dialer(), base.Host, opts.WebhookSize, opts.Trickle, ready.Done, hold))
		})
	}
	ready.Wait()
	if opts.InFlight != nil {
		opts.InFlight()
	}
	close(hold)
	done.Wait()
	return res, ctx.Err()
}

// loopbackSource is the i-th source address, in 127.10.0.0/16.
func loopbackSource(i uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 10, byte(i / 250), byte(i%250 + 1)})
}

// hostileEvent sends the i-th signed event of a made-up type.
func hostileEvent(ctx context.Context, s *zoomsim.Sender, i int) int {
	r := randomHex(8)
	body, _ := json.Marshal(map[string]any{
		"event":    "phone.made_up_" + r + "_" + strconv.Itoa(i),
		"event_ts": time.Now().UnixMilli(),
		"payload": map[string]any{"account_id": "acct_" + r, "object": map[string]any{
			"id": "obj_" + r, "user_id": "user_" + r, "call_id": "call_" + r, "email": r + "@hostile.example"}},
	})
	d, _ := s.Send(ctx, body)
	if d == nil {
		return 0 // no answer
	}
	return d.StatusCode
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// hostileCallback starts a sign-in and comes back, in the same browser (its
// cookie), with a huge error.
func hostileCallback(ctx context.Context, c *http.Client, base, hugeError string) int {
	status, loc, cookies := hostileGet(ctx, c, base+"/oauth/salesforce/start", nil)
	state := ""
	if u, err := url.Parse(loc); err == nil {
		state = u.Query().Get("state")
	}
	if status != http.StatusFound || state == "" {
		return -status // no state: the callback would be refused before counting anything
	}
	status, _, _ = hostileGet(ctx, c, base+"/oauth/salesforce/callback?state="+url.QueryEscape(state)+"&error="+hugeError, cookies)
	return status
}

func hostileGet(ctx context.Context, c *http.Client, u string, cookies []*http.Cookie) (int, string, []*http.Cookie) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", nil
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", nil
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header.Get("Location"), resp.Cookies()
}

// hostileChunk is what every webhook body is made of; one buffer for all.
var hostileChunk = make([]byte, 64<<10)

// hostileWebhook sends one webhook whose body trickles in over trickle,
// stalls before its last byte until hold is closed (calling ready once it
// has stalled or been answered), then finishes and reads the answer.
func hostileWebhook(ctx context.Context, d *net.Dialer, host string, size int, trickle time.Duration, ready func(), hold <-chan struct{}) int {
	var once sync.Once
	signal := func() { once.Do(ready) }
	defer signal()
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return 0
	}
	defer conn.Close()
	// Whatever the server does, this connection ends by itself.
	_ = conn.SetDeadline(time.Now().Add(trickle + 30*time.Second))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	head := "POST /webhooks/zoom HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(size) + "\r\n" +
		"x-zm-request-timestamp: " + strconv.FormatInt(time.Now().Unix(), 10) + "\r\n" +
		"x-zm-signature: v0=" + strings.Repeat("0", 64) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		return 0
	}
	answer := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answer <- 0
			return
		}
		resp.Body.Close()
		answer <- resp.StatusCode
	}()
	chunks := max(1, (size-1+len(hostileChunk)-1)/len(hostileChunk))
	pause := trickle / time.Duration(chunks)
	left := size - 1
	for left > 0 {
		n := min(left, len(hostileChunk))
		if _, err := conn.Write(hostileChunk[:n]); err != nil {
			break // answered early and closed: the answer says why
		}
		left -= n
		select {
		case status := <-answer:
			return status
		case <-time.After(pause):
		}
	}
	signal()
	select {
	case status := <-answer:
		return status
	case <-hold:
	}
	if size > 0 {
		_, _ = conn.Write(hostileChunk[:1])
	}
	select {
	case status := <-answer:
		return status
	case <-ctx.Done():
		return 0
	case <-time.After(15 * time.Second):
		return 0
	}
}

// ReadRSS reads a process's resident set size from /proc/PID/status
// (Linux); pid 0 is this process.
func ReadRSS(pid int) (int64, error) {
	p := "/proc/self/status"
	if pid > 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: cannot read VmRSS: %w", p, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New(p + ": no VmRSS line")
}

// HostileTarget serves a zoomcti with its production settings (and dummy
// secrets) on a loopback port over an embedded store in dir, for `zoomcti
// hostile` without --server. stop shuts it down.
func HostileTarget(ctx context.Context, dir string) (baseURL string, stop func() error, err error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg, err := server.ConfigFromEnv(func(string) string { return "" })
	if err != nil {
		return "", nil, err
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.ZoomWebhookSecret = hex.EncodeToString(key[:16])
	cfg.EncryptionKey = key
	cfg.SFClientID, cfg.SFClientSecret = "hostile-client-id", "hostile-client-secret"
	cfg.StorePath = dir + "/hostile.db"
	cfg.ReconcileEvery = 0
	if err := cfg.Validate(); err != nil {
		return "", nil, err
	}
	st, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	s, err := server.New(cfg, server.Deps{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		st.Close()
		return "", nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		st.Close()
		return "", nil, err
	}
	serveCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(serveCtx, ln) }()
	return "http://" + ln.Addr().String(), func() error {
		cancel()
		err := <-errc
		return errors.Join(err, st.Close())
	}, nil
}
