package main

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestCommand runs what scripts/image runs: the OCI layout and the `docker
// load` tarball hold the same image, dated SOURCE_DATE_EPOCH, and the
// command prints its digest.
func TestCommand(t *testing.T) {
	dir := t.TempDir()
	out, tarPath := filepath.Join(dir, "oci"), filepath.Join(dir, "image.tar")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1767225600"} // 2026-01-01
	var stdout bytes.Buffer
	// The binary is built as the image tests build it, so from the build cache.
	err := run(context.Background(), []string{"--repo", "../../..", "--out", out, "--tar", tarPath, "--version", "9.9.9"},
		func(k string) string { return env[k] }, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("layout index %+v, %v", im, err)
	}
	digest := im.Manifests[0].Digest
	if !strings.Contains(stdout.String(), "zoomcti:9.9.9 "+digest.String()) {
		t.Errorf("printed %q, want the tag and %s", stdout.String(), digest)
	}
	tag, err := name.NewTag("zoomcti:9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	fromTar, err := tarball.ImageFromPath(tarPath, &tag)
	if err != nil {
		t.Fatal(err)
	}
	// `docker load` reads the tarball's config and layers: the same as the layout's.
	img, err := idx.Image(digest)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []v1.Image{img, fromTar} {
		cfg, err := i.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		layers, err := i.Layers()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range layers {
			d, err := l.DiffID()
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.String())
		}
		got := cfg.String() + " " + strings.Join(ids, " ")
		if want, _ := img.ConfigName(); !strings.HasPrefix(got, want.String()) || len(ids) != 2 {
			t.Errorf("image %s, want the layout's config %s and its two layers", got, want)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || cf.Architecture != runtime.GOARCH {
		t.Errorf("created %v, arch %s", cf.Created, cf.Architecture)
	}
}
