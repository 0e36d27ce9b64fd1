package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/zoomcti/zoomcti/deploy/image"
	"github.com/zoomcti/zoomcti/deploy/internal/repo"
)

// loadCompose loads compose.yaml as `docker compose` would, with the schema
// check on (an unknown key fails) and no variable from this environment.
func loadCompose(t *testing.T, dir string) *types.Project {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  abs,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(abs, "compose.yaml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.ResolvePaths = true })
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p
}

func TestCompose(t *testing.T) {
	p := loadCompose(t, ".")
	vars, err := repo.ConfigVars("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	deployReadme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}

	redis, ok := p.Services["redis"]
	if !ok {
		t.Fatal("no redis service")
	}
	cmd := strings.Join(redis.Command, " ")
	if !strings.Contains(cmd, "--appendonly yes") {
		t.Errorf("redis runs %q: want persistence (--appendonly yes)", cmd)
	}
	if !slices.ContainsFunc(redis.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Type == "volume" && v.Target == "/data" }) {
		t.Errorf("redis keeps its data in no named volume: %+v", redis.Volumes)
	}

	budget, err := repo.ShutdownBudget("..")
	if err != nil {
		t.Fatal(err)
	}
	var instances []string
	for name, s := range p.Services {
		if !strings.HasPrefix(name, "zoomcti") {
			continue
		}
		instances = append(instances, name)
		if !s.ReadOnly {
			t.Errorf("%s: the root filesystem is writable (read_only)", name)
		}
		if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s: not built from deploy/Dockerfile: %+v", name, s.Build)
		} else if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: build: %v", name, err)
		}
		env := s.Environment
		if v := env["ZOOMCTI_REDIS_URL"]; v == nil || !strings.HasPrefix(*v, "redis://redis:") {
			t.Errorf("%s: ZOOMCTI_REDIS_URL is not the redis service", name)
		}
		if v := env["ZOOMCTI_ADDR"]; v == nil || !strings.HasSuffix(*v, ":8080") {
			t.Errorf("%s: ZOOMCTI_ADDR is not on port 8080 (the upstream in nginx.conf)", name)
		}
		for k, v := range env {
			if !repo.Documented(vars, k) {
				t.Errorf("%s: %s is not in the README's configuration table", name, k)
			}
			// Secrets come from files, never from the compose file or compose.env.
			if regexp.MustCompile(`SECRET|KEY|TOKEN`).MatchString(k) && !strings.HasSuffix(k, "_FILE") {
				t.Errorf("%s: %s is given inline; use %s_FILE and a secret", name, k, k)
			}
			if strings.HasSuffix(k, "_FILE") && v != nil {
				secret := strings.TrimPrefix(*v, "/run/secrets/")
				if !slices.ContainsFunc(s.Secrets, func(r types.ServiceSecretConfig) bool { return r.Source == secret }) {
					t.Errorf("%s: %s=%s names no secret of the service", name, k, *v)
				}
			}
		}
		if s.HealthCheck == nil || len(s.HealthCheck.Test) < 3 || s.HealthCheck.Test[1] != image.BinaryPath || s.HealthCheck.Test[2] != "health" {
			t.Errorf("%s: healthcheck %+v, want zoomcti health", name, s.HealthCheck)
		}
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) < budget {
			t.Errorf("%s: stop_grace_period %v, want at least the server's shutdown, %v", name, s.StopGracePeriod, budget)
		}
		if s.DependsOn["redis"].Condition != types.ServiceConditionHealthy {
			t.Errorf("%s: does not wait for a healthy redis", name)
		}
	}
	slices.Sort(instances)
	if !slices.Equal(instances, []string{"zoomcti1", "zoomcti2", "zoomcti3"}) {
		t.Errorf("instances %q, want three", instances)
	}

	// Every file the project names is here, or (secrets) is one the README
	// tells how to make.
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == "bind" {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %v", name, err)
				}
			}
		}
		for _, ef := range s.EnvFiles {
			if _, err := os.Stat(ef.Path); err != nil {
				t.Errorf("%s: env_file: %v", name, err)
			}
		}
		for _, r := range s.Secrets {
			if _, ok := p.Secrets[r.Source]; !ok {
				t.Errorf("%s: secret %s is not defined", name, r.Source)
			}
		}
	}
	for name, sec := range p.Secrets {
		rel, err := filepath.Rel(p.WorkingDir, sec.File)
		if err != nil || rel != filepath.Join("secrets", name) {
			t.Errorf("secret %s: file %s, want secrets/%s (ignored by git)", name, sec.File, name)
		}
		if !strings.Contains(string(deployReadme), "secrets/"+name) {
			t.Errorf("deploy/README.md does not say how to make secrets/%s", name)
		}
	}

	proxy, ok := p.Services["proxy"]
	if !ok {
		t.Fatal("no proxy service")
	}
	conf, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	checkNginxConf(t, string(conf), instances)
	if !proxy.ReadOnly {
		t.Error("proxy: the root filesystem is writable (read_only)")
	}
	if !slices.ContainsFunc(proxy.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Type == "bind" && v.Target == "/etc/nginx/nginx.conf" && filepath.Base(v.Source) == "nginx.conf" && v.ReadOnly
	}) {
		t.Errorf("proxy does not mount nginx.conf read-only: %+v", proxy.Volumes)
	}
	for _, m := range regexp.MustCompile(`ssl_certificate(?:_key)? /run/secrets/(\S+);`).FindAllStringSubmatch(string(conf), -1) {
		if !slices.ContainsFunc(proxy.Secrets, func(r types.ServiceSecretConfig) bool { return r.Source == m[1] }) {
			t.Errorf("nginx.conf reads /run/secrets/%s, which the proxy is not given", m[1])
		}
	}
	if !slices.ContainsFunc(proxy.Ports, func(pc types.ServicePortConfig) bool { return pc.Target == 443 && pc.Published == "443" }) {
		t.Errorf("proxy publishes %+v, want 443", proxy.Ports)
	}
	// The proxy's address is the one the instances trust for X-Forwarded-For.
	for name, n := range proxy.Networks {
		if n != nil && n.Ipv4Address != "" {
			for _, inst := range instances {
				if v := p.Services[inst].Environment["ZOOMCTI_TRUSTED_PROXIES"]; v == nil || *v != n.Ipv4Address {
					t.Errorf("%s: ZOOMCTI_TRUSTED_PROXIES is not %s, the proxy's address on %s", inst, n.Ipv4Address, name)
				}
			}
		}
	}
}

// checkNginxConf: round-robin over exactly the instances, websockets passed
// through with a long read timeout.
func checkNginxConf(t *testing.T, conf string, instances []string) {
	t.Helper()
	var servers []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server (\S+):8080\b`).FindAllStringSubmatch(conf, -1) {
		servers = append(servers, m[1])
	}
	if !slices.Equal(servers, instances) {
		t.Errorf("nginx.conf upstream servers %q, want %q on port 8080", servers, instances)
	}
	for _, re := range []string{
		`proxy_http_version 1\.1;`,
		`proxy_set_header Upgrade \$http_upgrade;`,
		`proxy_set_header Connection \$connection_upgrade;`,
		`proxy_read_timeout (1h|[0-9]{4,}s?);`, // far past the 25 s pings
		`listen 443 ssl;`,
		`proxy_pass http://zoomcti;`,
	} {
		if !regexp.MustCompile(re).MatchString(conf) {
			t.Errorf("nginx.conf lacks %s", re)
		}
	}
	if regexp.MustCompile(`(?m)^\s*(least_conn|ip_hash|hash)\b`).MatchString(conf) {
		t.Error("nginx.conf does not balance round-robin")
	}
}

// TestNginxConfParses runs `nginx -t` on nginx.conf, with the instances'
// names pointed at loopback and a throwaway certificate, when nginx is
// installed (scripts/test installs it in CI).
func TestNginxConfParses(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
		if _, err := os.Stat(nginx); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("nginx is not installed (scripts/test installs it in CI)")
			}
			t.Skip("nginx is not installed")
		}
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeSelfSigned(t, cert, key)
	b, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := regexp.MustCompile(`zoomcti\d:8080`).ReplaceAllString(string(b), "127.0.0.1:8080")
	conf = strings.NewReplacer("/run/secrets/tls_cert", cert, "/run/secrets/tls_key", key, "/tmp/", dir+"/").Replace(conf)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-c", path, "-e", "stderr").CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}

// TestSystemdUnit: the unit gives the server its whole shutdown before
// systemd kills it.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("zoomcti.service")
	if err != nil {
		t.Fatal(err)
	}
	budget, err := repo.ShutdownBudget("..")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("zoomcti.service sets no TimeoutStopSec (in seconds)")
	}
	if n, _ := strconv.Atoi(string(m[1])); time.Duration(n)*time.Second < budget {
		t.Errorf("TimeoutStopSec=%s, want at least the server's shutdown, %v", m[1], budget)
	}
}
