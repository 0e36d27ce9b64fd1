package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/zoomcti/zoomcti/deploy/internal/repo"
)

// testBinary is the static zoomcti TestMain builds once for every test.
var testBinary string

// repoRoot is the zoomcti repository this module sits in.
const repoRoot = "../.."

const testCA = "/etc/ssl/certs/ca-certificates.crt"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zoomcti-image-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBinary = filepath.Join(dir, "zoomcti")
	if err := BuildBinary(context.Background(), repoRoot, runtime.GOARCH, testBinary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// builtImage is the image built once and read back from an OCI layout, as
// a registry or `skopeo copy oci:...` would.
var builtImage = sync.OnceValues(func() (v1.Image, error) {
	img, err := Build(Options{Binary: testBinary, CACerts: testCA, Version: "1.2.3-test", Arch: runtime.GOARCH})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(filepath.Dir(testBinary), "oci")
	if err := WriteLayout(dir, img, "1.2.3-test"); err != nil {
		return nil, err
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations[RefNameAnnotation] != "1.2.3-test" {
		return nil, fmt.Errorf("layout index: %+v", im.Manifests)
	}
	if im.Manifests[0].MediaType != types.OCIManifestSchema1 {
		return nil, fmt.Errorf("manifest media type %s, want OCI", im.Manifests[0].MediaType)
	}
	return idx.Image(im.Manifests[0].Digest)
})

func buildImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := builtImage()
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestImageConfig(t *testing.T) {
	img := buildImage(t)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/zoomcti"}) || !slices.Equal(c.Cmd, []string{"serve"}) {
		t.Errorf("entrypoint %q cmd %q, want the binary and serve", c.Entrypoint, c.Cmd)
	}
	// A numeric, non-root user, so that Kubernetes' runAsNonRoot can verify it.
	if !regexp.MustCompile(`^[1-9][0-9]*:[1-9][0-9]*$`).MatchString(c.User) {
		t.Errorf("user %q, want a numeric non-root uid:gid", c.User)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v, want 8080/tcp", c.ExposedPorts)
	}
	if _, ok := c.Volumes["/data"]; !ok || len(c.Volumes) != 1 || c.WorkingDir != "/data" {
		t.Errorf("volumes %v, workdir %q: want /data", c.Volumes, c.WorkingDir)
	}
	env := map[string]string{}
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		// No secret is baked into the image.
		if regexp.MustCompile(`SECRET|KEY|TOKEN|PASSWORD`).MatchString(k) {
			t.Errorf("the image sets %s", k)
		}
	}
	vars, err := repo.ConfigVars("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for k := range env {
		if !repo.Documented(vars, k) {
			t.Errorf("the image sets %s, which is not in the README's configuration table", k)
		}
	}
	if env["ZOOMCTI_ADDR"] != "0.0.0.0:8080" || !strings.HasPrefix(env["ZOOMCTI_STORE_PATH"], "/data/") {
		t.Errorf("env %v: want the server on every interface at 8080 and the store in /data", c.Env)
	}
	if c.Healthcheck == nil || !slices.Equal(c.Healthcheck.Test, []string{"CMD", "/usr/local/bin/zoomcti", "health"}) {
		t.Errorf("healthcheck %+v, want zoomcti health", c.Healthcheck)
	}
	for k, want := range map[string]string{"org.opencontainers.image.title": "zoomcti", "org.opencontainers.image.version": "1.2.3-test"} {
		if c.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], want)
		}
	}
}

// entry is one file of the image's filesystem.
type entry struct {
	hdr  *tar.Header
	data []byte
}

func imageFiles(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files["/"+strings.TrimSuffix(h.Name, "/")] = entry{h, b}
	}
	return files
}

func TestImageFiles(t *testing.T) {
	files := imageFiles(t, buildImage(t))
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	// Exactly these: no shell, no package manager, nothing to exec but zoomcti.
	want := []string{"/data", "/etc", "/etc/group", "/etc/passwd", "/etc/ssl", "/etc/ssl/certs",
		"/etc/ssl/certs/ca-certificates.crt", "/home", "/home/nonroot", "/usr", "/usr/local", "/usr/local/bin", "/usr/local/bin/zoomcti"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %q\nwant %q", names, want)
	}
	bin := files["/usr/local/bin/zoomcti"]
	if bin.hdr.Typeflag != tar.TypeReg || bin.hdr.Mode != 0o755 || bin.hdr.Uid != 0 {
		t.Errorf("binary: type %c mode %o uid %d; want a root-owned executable nobody else may change", bin.hdr.Typeflag, bin.hdr.Mode, bin.hdr.Uid)
	}
	// Static: no dynamic loader, no shared library.
	f, err := elf.NewFile(bytes.NewReader(bin.data))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader: not static (CGO_ENABLED=0)")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %q", libs)
	}
	ca := files["/etc/ssl/certs/ca-certificates.crt"]
	if n := bytes.Count(ca.data, []byte("-----BEGIN CERTIFICATE-----")); n < 50 || ca.hdr.Mode != 0o644 {
		t.Errorf("CA bundle: %d certificates, mode %o", n, ca.hdr.Mode)
	}
	if !strings.Contains(string(files["/etc/passwd"].data), ":65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot user: %q", files["/etc/passwd"].data)
	}
	if d := files["/data"]; d.hdr.Typeflag != tar.TypeDir || d.hdr.Uid != UID || d.hdr.Gid != GID {
		t.Errorf("/data: type %c owner %d:%d, want a directory of the image's user (a fresh volume takes its owner)", d.hdr.Typeflag, d.hdr.Uid, d.hdr.Gid)
	}
}

// TestImageReproducible: the same inputs give the same digest, so an image
// can be rebuilt and compared.
func TestImageReproducible(t *testing.T) {
	img, err := Build(Options{Binary: testBinary, CACerts: testCA, Version: "1.2.3-test", Arch: runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	again, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	first, err := buildImage(t).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Fatalf("digests %v and %v", first, again)
	}
}

// TestTimeZonesCompiledIn: the image has no zoneinfo, and agents' local
// dates need one.
func TestTimeZonesCompiledIn(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./server/cmd/zoomcti")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
		t.Fatal("zoomcti does not import time/tzdata: the image would have no time zones")
	}
}

func TestBuildRefusesAnEmptyCABundle(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(Options{Binary: testBinary, CACerts: empty, Arch: runtime.GOARCH}); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Fatalf("err %v", err)
	}
}

// extract writes the image's filesystem under root, owners included when
// this test runs as root.
func extract(t *testing.T, files map[string]entry, root string) {
	t.Helper()
	for name, e := range files {
		p := filepath.Join(root, name)
		switch e.hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, os.FileMode(e.hdr.Mode)); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, e.data, os.FileMode(e.hdr.Mode)); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: unexpected type %c", name, e.hdr.Typeflag)
		}
	}
	for name, e := range files {
		p := filepath.Join(root, name)
		if err := os.Chmod(p, os.FileMode(e.hdr.Mode)); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(p, e.hdr.Uid, e.hdr.Gid); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestImageRuns runs the binary from the image's extracted filesystem as the
// image would: `version`, `health` with no server, then `serve` with the
// image's environment, as the image's user when the test runs as root, its
// store in the image's /data, until `health` and `health --ready` pass, and
// a SIGTERM stops it cleanly.
func TestImageRuns(t *testing.T) {
	img := buildImage(t)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	// The image's user must reach its files inside the test's directory.
	for d := root; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	extract(t, imageFiles(t, img), root)
	bin := filepath.Join(root, cf.Config.Entrypoint[0])
	dataDir := filepath.Join(root, cf.Config.WorkingDir)
	env := map[string]string{}
	for _, kv := range cf.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dataDir
		cmd.Env = []string{}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: UID, Gid: GID}}
		}
		return cmd
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the binary runs as this user, not as the image's")
	}

	out, err := command("version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "zoomcti ") {
		t.Fatalf("version: %v %q", err, out)
	}

	env["ZOOMCTI_ADDR"] = "127.0.0.1:1" // nothing listens there
	out, err = command("health").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "connection refused") {
		t.Fatalf("health with no server: %v %q; want exit 1 saying the connection was refused", err, out)
	}

	// The store path stays the image's own (/data/zoomcti.db), read
	// relative to the extracted root.
	env["ZOOMCTI_STORE_PATH"] = filepath.Join(root, env["ZOOMCTI_STORE_PATH"])
	env["ZOOMCTI_ADDR"] = "127.0.0.1:0"
	secret := "image-test-webhook-secret"
	env["ZOOMCTI_ZOOM_WEBHOOK_SECRET"] = secret
	env["ZOOMCTI_ENCRYPTION_KEY"] = base64.StdEncoding.EncodeToString([]byte("zoomcti-image-test-key-012345678"))
	serve := command("serve")
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var logs bytes.Buffer
	t.Cleanup(func() {
		if serve.ProcessState == nil {
			serve.Process.Kill()
			<-done
		}
	})
	// The server names its address in its "listening" line; the rest of
	// the log is kept to look at after it stops.
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`msg=listening addr=(\S+)`)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
		done <- serve.Wait()
	}()
	var addr string
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("serve exited before listening: %v\n%s", err, logs.String())
	case <-time.After(time.Minute):
		t.Fatal("serve did not listen within a minute")
	}
	env["ZOOMCTI_ADDR"] = addr
	for _, args := range [][]string{{"health"}, {"health", "--ready"}} {
		if out, err := command(args...).CombinedOutput(); err != nil || !strings.Contains(string(out), "200 OK") {
			t.Fatalf("%s against the running server: %v %q", args, err, out)
		}
	}
	st, err := os.Stat(env["ZOOMCTI_STORE_PATH"])
	if err != nil {
		t.Fatalf("the store is not in the image's data directory: %v", err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && sys.Uid != UID {
		t.Errorf("the store belongs to uid %d, want the image's user %d", sys.Uid, UID)
	}
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop within a minute of SIGTERM")
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the server logged its webhook secret")
	}
}
