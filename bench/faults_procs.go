package bench

// The processes zoomcti faults runs: redis-server, the zoomcti instances
// and nginx in front of them, each a child of the harness with its output
// in a log file of the run's directory.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// proc is one child process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	log    string        // its output
	exited chan struct{} // closed once it has exited
	err    error         // how it exited, once exited is closed
}

// startProc starts argv with env, its output appended to dir/name.log.
func startProc(name, dir string, argv, env []string) (*proc, error) {
	path := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own copy
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr, cmd.Env = f, f, env
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: path, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// term sends SIGTERM and waits up to grace for the process to exit, then
// kills it. It reports how the process exited, or that it had to be killed.
func (p *proc) term(grace time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
		return p.err
	case <-t.C:
		p.kill()
		return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", p.name, grace)
	}
}

// tail is the end of the process's log, for an error message.
func (p *proc) tail(lines int) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(ls[max(0, len(ls)-lines):], "\n")
}

// waitUntil polls cond every 50 ms until it holds, ctx ends, the deadline
// passes or p (when not nil) exits.
func waitUntil(ctx context.Context, p *proc, timeout time.Duration, what string, cond func(context.Context) bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if cond(ctx) {
			return nil
		}
		if p != nil && !p.running() {
			return fmt.Errorf("%s exited (%v) before %s:\n%s", p.name, p.err, what, p.tail(20))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s within %s", what, timeout)
		}
		if !sleepUntil(ctx, time.Now().Add(50*time.Millisecond)) {
			return ctx.Err()
		}
	}
}

// freePort finds a loopback port nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// findProgram finds name in PATH or in the system directories Debian
// installs it in (nginx is in /usr/sbin, outside most users' PATH).
func findProgram(name string) (string, error) {
	if strings.ContainsRune(name, os.PathSeparator) {
		return name, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (Debian: apt-get install %s)", name, map[string]string{"nginx": "nginx-light", "redis-server": "redis-server"}[name])
}

// redisRig is the shared store of a fault run: what the instances connect
// to, and how the redis-restart scenario crashes and restarts it. One
// redis-server today; a Redis Cluster rig (several redis-server nodes in
// cluster mode, `redis-cli --cluster create`, the cluster's URL) is the
// other implementation to add once zoomcti speaks to a cluster.
type redisRig interface {
	URL() string
	// Crash kills the store as a power cut would (SIGKILL); Start brings it
	// back on the same files and returns once it answers.
	Crash()
	Start(ctx context.Context) error
	Stop()
	String() string
}

// redisServer is one redis-server on a loopback port, its append-only
// file in dir.
type redisServer struct {
	bin, dir string
	port     int
	fsync    string // appendfsync: always or everysec
	p        *proc
}

var _ redisRig = (*redisServer)(nil)

func (r *redisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) String() string {
	return fmt.Sprintf("redis-server (appendonly yes, appendfsync %s)", r.fsync)
}

func (r *redisServer) Start(ctx context.Context) error {
	p, err := startProc("redis", r.dir, []string{r.bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(r.port), "--dir", r.dir, "--daemonize", "no",
		"--appendonly", "yes", "--appendfsync", r.fsync, "--save", "",
	}, os.Environ())
	if err != nil {
		return err
	}
	r.p = p
	o, _ := goredis.ParseURL(r.URL())
	c := goredis.NewClient(o)
	defer c.Close()
	// PING answers LOADING while the append-only file is read back.
	return waitUntil(ctx, p, 60*time.Second, "answer from redis-server", func(ctx context.Context) bool {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return c.Ping(pctx).Err() == nil
	})
}

func (r *redisServer) Crash() { r.p.kill() }

func (r *redisServer) Stop() {
	if r.p != nil && r.p.running() {
		_ = r.p.term(10 * time.Second)
	}
}

// instance is one `zoomcti serve` process.
type instance struct {
	n    int // 1, 2, 3...
	addr string
	argv []string
	env  []string
	dir  string
	p    *proc
}

func (in *instance) name() string { return fmt.Sprintf("zoomcti-%d", in.n) }

// start runs the instance and returns once it answers /readyz.
func (in *instance) start(ctx context.Context) error {
	p, err := startProc(in.name(), in.dir, in.argv, in.env)
	if err != nil {
		return err
	}
	in.p = p
	return waitUntil(ctx, p, 60*time.Second, in.name()+" ready", func(ctx context.Context) bool {
		return httpOK(ctx, "http://"+in.addr+"/readyz")
	})
}

func httpOK(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// logLine is one line of an instance's log (slog's text format).
var logLine = regexp.MustCompile(`level=(WARN|ERROR) msg=("(?:[^"\\]|\\.)*"|\S+)`)

// logCounts counts the warnings and errors in the instances' logs by
// level and message.
func logCounts(paths []string) map[string]int {
	out := map[string]int{}
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := logLine.FindStringSubmatch(sc.Text()); m != nil {
				msg := m[2]
				if uq, err := strconv.Unquote(msg); err == nil {
					msg = uq
				}
				out[m[1]+" "+msg]++
			}
		}
		f.Close()
	}
	return out
}

// nginxProxy is nginx from the distribution, round-robin over the
// instances with the websocket settings of deploy/nginx.conf, plain HTTP
// on loopback.
type nginxProxy struct {
	bin, dir string
	port     int
	p        *proc
}

// nginxConf is the proxy's configuration. Its upstream servers' parameters,
// map and location block are deploy/nginx.conf's, directive for directive
// (TestFaultNginxMatchesDeploy checks): what the guide recommends is what
// the fault runs test.
const nginxConf = `# zoomcti faults: the instances behind a round-robin proxy.
%s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/nginx-error.log warn;

events {
    worker_connections 8192;
}

http {
    access_log off;
    client_body_temp_path %[2]s/client_body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    client_max_body_size 2m;

    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      '';
    }

    upstream zoomcti {
%[3]s        keepalive 32;
    }

    server {
        listen 127.0.0.1:%[4]d;

        location / {
            proxy_pass http://zoomcti;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 1s;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
`

// config renders nginxConf for upstreams.
func (n *nginxProxy) config(upstreams []string) string {
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "        server %s max_fails=0;\n", u)
	}
	user := ""
	if os.Geteuid() == 0 {
		// Root's workers would otherwise run as nobody, who cannot write
		// the run's directory.
		user = "user root;"
	}
	return fmt.Sprintf(nginxConf, user, n.dir, servers.String(), n.port)
}

func (n *nginxProxy) start(ctx context.Context, upstreams []string) error {
	conf := filepath.Join(n.dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(n.config(upstreams)), 0o644); err != nil {
		return err
	}
	p, err := startProc("nginx", n.dir, []string{n.bin, "-p", n.dir, "-c", conf, "-e", filepath.Join(n.dir, "nginx-error.log"), "-g", "daemon off;"}, os.Environ())
	if err != nil {
		return err
	}
	n.p = p
	return waitUntil(ctx, p, 30*time.Second, "answer from nginx", func(ctx context.Context) bool {
		return httpOK(ctx, n.url()+"/healthz")
	})
}

func (n *nginxProxy) url() string { return fmt.Sprintf("http://127.0.0.1:%d", n.port) }

func (n *nginxProxy) stop() {
	if n.p != nil && n.p.running() {
		_ = n.p.term(10 * time.Second)
	}
}

// upstreamErrors counts what nginx logged about the instances (refused
// connections, resets, timeouts) by kind.
func (n *nginxProxy) upstreamErrors() map[string]int {
	b, err := os.ReadFile(filepath.Join(n.dir, "nginx-error.log"))
	if err != nil {
		return nil
	}
	out := map[string]int{}
	kinds := []string{"Connection refused", "Connection reset by peer", "upstream prematurely closed", "timed out", "no live upstreams"}
	for line := range strings.SplitSeq(string(b), "\n") {
		if i := slices.IndexFunc(kinds, func(k string) bool { return strings.Contains(line, k) }); i >= 0 {
			out[kinds[i]]++
		}
	}
	return out
}

// errNotYet is the Redis Cluster hook's answer until zoomcti speaks to a
// cluster.
var errNotYet = errors.New("faults: --redis-cluster: a Redis Cluster rig is not built yet (it lands with Redis Cluster support; see redisRig in bench/faults_procs.go)")
