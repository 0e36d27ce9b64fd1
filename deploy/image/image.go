// Package image builds zoomcti's container image without a container
// daemon: a static zoomcti binary on an empty base with a CA bundle, a
// non-root user and a volume for the embedded store, written as an OCI
// image layout (and, for `docker load`, a tarball). deploy/Dockerfile
// builds the same layout for those who use Docker.
package image

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's layout; deploy/Dockerfile, compose.yaml and the Kubernetes
// manifests rely on these.
const (
	BinaryPath = "/usr/local/bin/zoomcti"
	CAPath     = "/etc/ssl/certs/ca-certificates.crt"
	DataDir    = "/data" // the volume for the embedded store
	UID        = 65532   // "nonroot", as in distroless images
	GID        = 65532
	Port       = "8080/tcp"
)

// Options say what goes into the image.
type Options struct {
	Binary  string    // a static linux zoomcti binary (BuildBinary)
	CACerts string    // a PEM bundle of CA certificates
	Version string    // the org.opencontainers.image.version label
	Arch    string    // GOARCH of the binary: amd64, arm64
	Created time.Time // the image's and its files' time (zero: the epoch), for reproducible digests
}

// Build assembles the image: a base layer (users, CA bundle, the data
// directory) and the binary's layer, with its configuration.
func Build(o Options) (v1.Image, error) {
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("image: binary: %w", err)
	}
	ca, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("image: CA bundle: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("image: CA bundle %s: no certificate in it", o.CACerts)
	}
	if o.Arch == "" {
		return nil, errors.New("image: no architecture")
	}
	created := o.Created.UTC()
	if o.Created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	base, err := layer(created, []file{
		{name: "etc/", mode: 0o755},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:" + strconv.Itoa(UID) + ":" + strconv.Itoa(GID) + ":nonroot:/home/nonroot:/sbin/nologin\n")},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:" + strconv.Itoa(GID) + ":\n")},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: strings.TrimPrefix(CAPath, "/"), mode: 0o644, data: ca},
		{name: "home/", mode: 0o755},
		{name: "home/nonroot/", mode: 0o700, uid: UID, gid: GID},
		{name: strings.TrimPrefix(DataDir, "/") + "/", mode: 0o700, uid: UID, gid: GID},
	})
	if err != nil {
		return nil, err
	}
	app, err := layer(created, []file{
		{name: "usr/", mode: 0o755},
		{name: "usr/local/", mode: 0o755},
		{name: "usr/local/bin/", mode: 0o755},
		{name: strings.TrimPrefix(BinaryPath, "/"), mode: 0o755, data: bin},
	})
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "zoomcti image: users, CA bundle, " + DataDir}},
		mutate.Addendum{Layer: app, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "zoomcti image: " + BinaryPath}},
	)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", o.Arch, v1.Time{Time: created}
	cf.Config = Config(o.Version)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return img, nil
}

// Config is the image's run configuration. It carries no secret: those
// come from the environment or files mounted at run time.
func Config(version string) v1.Config {
	return v1.Config{
		Entrypoint: []string{BinaryPath},
		Cmd:        []string{"serve"},
		User:       strconv.Itoa(UID) + ":" + strconv.Itoa(GID),
		WorkingDir: DataDir,
		Env: []string{
			"ZOOMCTI_ADDR=0.0.0.0:8080",
			"ZOOMCTI_STORE_PATH=" + DataDir + "/zoomcti.db",
		},
		ExposedPorts: map[string]struct{}{Port: {}},
		Volumes:      map[string]struct{}{DataDir: {}},
		StopSignal:   "SIGTERM",
		Healthcheck: &v1.HealthConfig{
			Test:        []string{"CMD", BinaryPath, "health"},
			Interval:    30 * time.Second,
			Timeout:     5 * time.Second,
			StartPeriod: 10 * time.Second,
			Retries:     3,
		},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "zoomcti",
			"org.opencontainers.image.description": "Zoom Phone inside Salesforce: an Open CTI softphone backend",
			"org.opencontainers.image.version":     version,
		},
	}
}

type file struct {
	name     string // relative, directories end in "/"
	mode     int64
	uid, gid int
	data     []byte
}

// layer is a gzip-compressed OCI layer of files, with fixed times and
// owners so that the same inputs give the same digest.
func layer(mtime time.Time, files []file) (v1.Layer, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.gid, ModTime: mtime, Format: tar.FormatPAX}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("image: layer: %w", err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("image: layer: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	return l, nil
}
