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
// to, and how the redis-restart scenario crashes and restarts it: one
// redis-server (redisServer) or a three-master Redis Cluster
// (redisCluster).
type redisRig interface {
	URL() string
	// Crash kills the store as a power cut would (SIGKILL); Start brings it
	// back on the same files and returns once it answers.
	Crash()
	Start(ctx context.Context) error
	Stop()
	String() string
	// Name is what the store is called in the run's notes; PIDs are its
	// processes.
	Name() string
	PIDs() []int
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

func (r *redisServer) Name() string { return "redis-server" }
func (r *redisServer) PIDs() []int  { return []int{r.p.pid()} }

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
// map and location blocks are deploy/nginx.conf's, directive for directive
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

        location = /webhooks/zoom {
            proxy_pass http://zoomcti;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 1s;
            proxy_next_upstream error timeout non_idempotent;
            proxy_next_upstream_timeout 2s;
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

// redisCluster is a three-master Redis Cluster on loopback ports, each
// node a redis-server with its append-only file and cluster file in a
// directory of its own. The redis-restart scenario crashes every node at
// once and starts them again on their files: the cluster comes back as it
// was (its nodes' files name each other and their slots).
type redisCluster struct {
	bin, dir string
	ports    []int
	fsync    string
	procs    []*proc
	created  bool
}

var _ redisRig = (*redisCluster)(nil)

func newRedisCluster(bin, dir, fsync string) (*redisCluster, error) {
	c := &redisCluster{bin: bin, dir: dir, fsync: fsync}
	for len(c.ports) < 3 {
		p, err := freeClusterPort(c.ports)
		if err != nil {
			return nil, err
		}
		c.ports = append(c.ports, p)
	}
	return c, nil
}

// freeClusterPort finds a loopback port that is free together with its
// cluster bus port (port + 10000), and not one of taken.
func freeClusterPort(taken []int) (int, error) {
	for range 100 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p+10000 > 65535 || slices.Contains(taken, p) {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+10000))
		if err != nil {
			continue
		}
		ln.Close()
		return p, nil
	}
	return 0, errors.New("faults: no free port pair for a cluster node")
}

func (c *redisCluster) URL() string {
	u := fmt.Sprintf("redis+cluster://127.0.0.1:%d", c.ports[0])
	for i, p := range c.ports[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += fmt.Sprintf("%saddr=127.0.0.1:%d", sep, p)
	}
	return u
}

func (c *redisCluster) String() string {
	return fmt.Sprintf("a three-master Redis Cluster (appendonly yes, appendfsync %s)", c.fsync)
}

func (c *redisCluster) client(port int) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
}

// Start starts the nodes; the first time, it gives each a third of the
// slots and introduces them; then it waits for every node to say
// cluster_state:ok.
func (c *redisCluster) Start(ctx context.Context) error {
	c.procs = nil
	for i, port := range c.ports {
		dir := filepath.Join(c.dir, fmt.Sprintf("redis-%d", i+1))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		p, err := startProc(fmt.Sprintf("redis-%d", i+1), dir, []string{c.bin,
			"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir, "--daemonize", "no",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
			"--appendonly", "yes", "--appendfsync", c.fsync, "--save", "",
		}, os.Environ())
		if err != nil {
			return err
		}
		c.procs = append(c.procs, p)
	}
	for i, port := range c.ports {
		cl := c.client(port)
		err := waitUntil(ctx, c.procs[i], 60*time.Second, "answer from a cluster node", func(ctx context.Context) bool {
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			return cl.Ping(pctx).Err() == nil
		})
		cl.Close()
		if err != nil {
			return err
		}
	}
	if !c.created {
		per := 16384 / len(c.ports)
		for i, port := range c.ports {
			lo, hi := i*per, (i+1)*per-1
			if i == len(c.ports)-1 {
				hi = 16383
			}
			cl := c.client(port)
			err := cl.Do(ctx, "cluster", "addslotsrange", lo, hi).Err()
			cl.Close()
			if err != nil {
				return fmt.Errorf("faults: cluster addslotsrange on %d: %w", port, err)
			}
		}
		first := c.client(c.ports[0])
		for _, port := range c.ports[1:] {
			if err := first.Do(ctx, "cluster", "meet", "127.0.0.1", port).Err(); err != nil {
				first.Close()
				return fmt.Errorf("faults: cluster meet %d: %w", port, err)
			}
		}
		first.Close()
		c.created = true
	}
	for i, port := range c.ports {
		cl := c.client(port)
		err := waitUntil(ctx, c.procs[i], 60*time.Second, "cluster_state:ok", func(ctx context.Context) bool {
			info, err := cl.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
		cl.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *redisCluster) Name() string { return "the Redis Cluster's nodes" }

func (c *redisCluster) PIDs() []int {
	var out []int
	for _, p := range c.procs {
		out = append(out, p.pid())
	}
	return out
}

// Crash kills every node as a power cut would.
func (c *redisCluster) Crash() {
	for _, p := range c.procs {
		p.kill()
	}
}

func (c *redisCluster) Stop() {
	for _, p := range c.procs {
		if p != nil && p.running() {
			_ = p.term(10 * time.Second)
		}
	}
}
