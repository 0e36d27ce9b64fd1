// Command zoomcti-image builds zoomcti's container image without a
// container daemon (see deploy/README.md): it builds a static zoomcti
// binary from the repository, lays it on an empty base with a CA bundle,
// and writes an OCI image layout and, with --tar, a tarball for
// `docker load`. scripts/image runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/zoomcti/zoomcti/deploy/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zoomcti-image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("zoomcti-image", flag.ContinueOnError)
	repo := fs.String("repo", "..", "the zoomcti repository to build")
	out := fs.String("out", "zoomcti-oci", "directory of the OCI image layout to write (replaced)")
	tarPath := fs.String("tar", "", "also write a tarball for `docker load` here")
	version := fs.String("version", "dev", "the image's version label and tag")
	arch := fs.String("arch", runtime.GOARCH, "GOARCH of the image: amd64, arm64, ...")
	ca := fs.String("ca", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle to ship (PEM); Debian's ca-certificates package makes this one")
	binary := fs.String("binary", "", "a static zoomcti binary to use instead of building one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	created := time.Unix(0, 0)
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		created = time.Unix(sec, 0)
	}
	bin := *binary
	if bin == "" {
		tmp, err := os.MkdirTemp("", "zoomcti-image")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "zoomcti")
		if err := image.BuildBinary(ctx, *repo, *arch, bin); err != nil {
			return err
		}
	}
	img, err := image.Build(image.Options{Binary: bin, CACerts: *ca, Version: *version, Arch: *arch, Created: created})
	if err != nil {
		return err
	}
	ref := "zoomcti:" + *version
	if err := image.WriteLayout(*out, img, *version); err != nil {
		return err
	}
	if *tarPath != "" {
		if err := image.WriteTarball(*tarPath, img, ref); err != nil {
			return err
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s in %s\n", ref, digest, *out)
	if *tarPath != "" {
		fmt.Fprintf(stdout, "docker load -i %s\n", *tarPath)
	}
	return nil
}
