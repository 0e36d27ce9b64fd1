package bench

// The softphones in a process of their own. In one process, every
// softphone is two sockets (the bench's end and the server's), so 10,000
// agents need over 20,000 open files, and the softphones' CPU and memory
// mix with the server's. With Config.SoftphoneCommand the bench starts a
// child (this binary, `zoomcti bench softphones`) that connects them and
// reports, one line each, what they receive:
//
//	parent → child: "WSURL ORIGIN N", then N session tokens, one a line;
//	                end of input: close every softphone and exit
//	child → parent: "ready HEAP STACK" (bytes per softphone, once all are
//	                connected), then "pop I CALL KIND NS R" (R 1 for a pop
//	                resent on a reconnect, else 0), "logged I CALL NS",
//	                "other I TYPE", "fail TEXT"; NS is the Unix time in ns.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// softphoneProc is the child process and the parent's end of its pipes.
type softphoneProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed when its report ends
}

// startSoftphones starts the child, hands it every agent's session and
// waits until all are connected; it returns the child's heap and stack per
// softphone.
func (b *rig) startSoftphones(ctx context.Context, wsURL string) (heap, stack float64, err error) {
	c := b.cfg.SoftphoneCommand
	cmd := exec.CommandContext(ctx, c[0], c[1:]...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("bench: softphones: %w", err)
	}
	p := &softphoneProc{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	b.softphones = p
	w := bufio.NewWriter(stdin)
	fmt.Fprintf(w, "%s %s %d\n", wsURL, b.url, len(b.agents))
	for _, a := range b.agents {
		fmt.Fprintln(w, a.token)
	}
	if err := w.Flush(); err != nil {
		return 0, 0, fmt.Errorf("bench: softphones: %w", err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return 0, 0, fmt.Errorf("bench: softphones: the child stopped before connecting: %v", sc.Err())
	}
	f := strings.Fields(sc.Text())
	if len(f) != 3 || f[0] != "ready" {
		return 0, 0, fmt.Errorf("bench: softphones: %s", sc.Text())
	}
	heap, _ = strconv.ParseFloat(f[1], 64)
	stack, _ = strconv.ParseFloat(f[2], 64)
	go func() {
		defer close(p.done)
		for sc.Scan() {
			b.childLine(sc.Text())
		}
	}()
	return heap, stack, nil
}

// childLine acts on one line of the child's report.
func (b *rig) childLine(line string) {
	kind, rest, _ := strings.Cut(line, " ")
	f := strings.Fields(rest)
	agent := func() *benchAgent {
		if len(f) > 0 {
			if i, err := strconv.Atoi(f[0]); err == nil && i >= 0 && i < len(b.agents) {
				return b.agents[i]
			}
		}
		return nil
	}
	at := func(s string) time.Time {
		ns, _ := strconv.ParseInt(s, 10, 64)
		return time.Unix(0, ns)
	}
	switch a := agent(); {
	case kind == "pop" && a != nil && len(f) == 5:
		b.popped(a, f[1], f[2], f[4] == "1", at(f[3]))
	case kind == "logged" && a != nil && len(f) == 3:
		b.logged(a, f[1], at(f[2]))
	case kind == "other" && a != nil && len(f) == 2:
		b.unexpected(a, f[1])
	case kind == "fail":
		b.fail("%s", rest)
	default:
		b.fail("softphones: bad report line %q", line)
	}
}

// stopSoftphones closes the child's input, which closes every softphone,
// and waits for it to exit.
func (p *softphoneProc) stop() {
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
	}
	_ = p.cmd.Wait()
}

// RunSoftphones is the child side of Config.SoftphoneCommand (`zoomcti
// bench softphones`): it reads the server's websocket URL and the agents'
// sessions from in, connects a softphone for each, reports what they
// receive to out, and closes them all when in ends.
func RunSoftphones(ctx context.Context, in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	head, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("softphones: %w", err)
	}
	var wsURL, origin string
	var n int
	if _, err := fmt.Sscan(head, &wsURL, &origin, &n); err != nil || n < 1 {
		return fmt.Errorf("softphones: bad first line %q", head)
	}
	if err := raiseFileLimit(uint64(n + 1024)); err != nil {
		return fmt.Errorf("softphones: %w", err)
	}
	agents := make([]*benchAgent, n)
	for i := range agents {
		tok, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("softphones: agent %d: %w", i, err)
		}
		agents[i] = &benchAgent{i: i, token: strings.TrimSpace(tok)}
	}
	s := &lineSink{w: bufio.NewWriter(out)}
	before := takeMemory()
	d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}
	err = forEach(ctx, agents, 16, func(ctx context.Context, a *benchAgent) error {
		return a.dial(ctx, d, wsURL, origin, s)
	})
	if err != nil {
		s.line("error connecting the softphones: %v", err)
		for _, a := range agents {
			a.close()
		}
		return err
	}
	after := takeMemory()
	s.line("ready %.0f %.0f", float64(after.heap-before.heap)/float64(n), float64(after.stack-before.stack)/float64(n))
	_, _ = io.Copy(io.Discard, r) // until the bench is done
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Go(a.close)
	}
	wg.Wait()
	return nil
}

// lineSink reports to the parent, one line per event.
type lineSink struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (s *lineSink) line(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format+"\n", args...)
	_ = s.w.Flush()
}

func (s *lineSink) popped(a *benchAgent, callID, kind string, resent bool, at time.Time) {
	r := 0
	if resent {
		r = 1
	}
	s.line("pop %d %s %s %d %d", a.i, word(callID), word(kind), at.UnixNano(), r)
}

// card is not reported: the load bench does not use it, and a line per
// message would cost the child's CPU.
func (s *lineSink) card(*benchAgent, string) {}

func (s *lineSink) logged(a *benchAgent, callID string, at time.Time) {
	s.line("logged %d %s %d", a.i, word(callID), at.UnixNano())
}

func (s *lineSink) unexpected(a *benchAgent, msgType string) {
	s.line("other %d %s", a.i, word(msgType))
}

func (s *lineSink) fail(format string, args ...any) {
	s.line("fail %s", strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " "))
}

// word keeps a value one field of a report line.
func word(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n") {
		return strconv.Quote(s)
	}
	return s
}
