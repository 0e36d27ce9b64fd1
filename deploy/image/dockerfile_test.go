package image

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// instruction is one line of a Dockerfile, continuations joined.
type instruction struct{ cmd, args string }

func readDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		cur += strings.TrimSpace(line)
		if strings.HasSuffix(cur, "\\") {
			cur = strings.TrimSuffix(cur, "\\") + " "
			continue
		}
		if cur != "" {
			cmd, args, _ := strings.Cut(cur, " ")
			out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		}
		cur = ""
	}
	return out
}

func jsonArray(t *testing.T, s string) []string {
	t.Helper()
	var a []string
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		t.Fatalf("%q: want the JSON (exec) form: %v", s, err)
	}
	return a
}

// TestDockerfileMatchesImage: deploy/Dockerfile, which nothing here can
// run, makes the image the daemonless build makes: the same entrypoint,
// user, environment, port, volume, health check and labels, a static build
// with the Go the module asks for, and the same files in the same places.
func TestDockerfileMatchesImage(t *testing.T) {
	ins := readDockerfile(t, "../Dockerfile")
	last := -1
	for i, in := range ins {
		if in.cmd == "FROM" {
			last = i
		}
	}
	if last < 0 || ins[last].args != "scratch" {
		t.Fatalf("the final stage must be FROM scratch, is %v", ins[last])
	}
	build, final := ins[:last], ins[last+1:]

	goMod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	var buildCmds string
	for _, in := range build {
		if in.cmd == "FROM" && !strings.HasPrefix(in.args, "golang:"+string(goVersion[1])) {
			t.Errorf("build stage %q: want golang:%s (go.mod)", in.args, goVersion[1])
		}
		buildCmds += in.args + "\n"
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-o /out" + BinaryPath, "/etc/ssl/certs/ca-certificates.crt /out" + CAPath} {
		if !strings.Contains(buildCmds, want) {
			t.Errorf("the build stage does not have %q", want)
		}
	}

	want := Config("${VERSION}")
	var got struct {
		entrypoint, cmd, volumes []string
		user, workdir, stop      string
		env, ports               []string
		labels                   map[string]string
		health                   string
		copies                   []string
	}
	got.labels = map[string]string{}
	for _, in := range final {
		switch in.cmd {
		case "ENTRYPOINT":
			got.entrypoint = jsonArray(t, in.args)
		case "CMD":
			got.cmd = jsonArray(t, in.args)
		case "VOLUME":
			got.volumes = jsonArray(t, in.args)
		case "USER":
			got.user = in.args
		case "WORKDIR":
			got.workdir = in.args
		case "STOPSIGNAL":
			got.stop = in.args
		case "ENV":
			got.env = append(got.env, in.args)
		case "EXPOSE":
			got.ports = append(got.ports, in.args)
		case "LABEL":
			k, v, _ := strings.Cut(in.args, "=")
			got.labels[k] = strings.Trim(v, `"`)
		case "HEALTHCHECK":
			got.health = in.args
		case "COPY":
			got.copies = append(got.copies, in.args)
		case "ARG":
		default:
			t.Errorf("unexpected %s in the final stage", in.cmd)
		}
	}
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: Dockerfile %v, image %v", what, got, want)
		}
	}
	check("ENTRYPOINT", got.entrypoint, want.Entrypoint)
	check("CMD", got.cmd, want.Cmd)
	check("USER", got.user, want.User)
	check("WORKDIR", got.workdir, want.WorkingDir)
	check("STOPSIGNAL", got.stop, want.StopSignal)
	check("ENV", got.env, want.Env)
	check("EXPOSE", got.ports, slices.Sorted(maps.Keys(want.ExposedPorts)))
	check("VOLUME", got.volumes, slices.Sorted(maps.Keys(want.Volumes)))
	check("LABEL", got.labels, want.Labels)
	h := want.Healthcheck
	check("HEALTHCHECK", got.health, fmt.Sprintf("--interval=%s --timeout=%s --start-period=%s --retries=%d CMD %s",
		dockerDuration(h.Interval), dockerDuration(h.Timeout), dockerDuration(h.StartPeriod), h.Retries, mustJSON(h.Test[1:])))
	copies := strings.Join(got.copies, "\n")
	for _, want := range []string{"/out/usr /usr", "/out/etc /etc", fmt.Sprintf("--chown=%d:%d /out%s %s", UID, GID, DataDir, DataDir)} {
		if !strings.Contains(copies, want) {
			t.Errorf("the final stage does not COPY %q", want)
		}
	}
}

func dockerDuration(d time.Duration) string { return fmt.Sprintf("%ds", int(d.Seconds())) }

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return strings.ReplaceAll(string(b), `","`, `", "`)
}
