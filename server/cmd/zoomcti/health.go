package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

const healthHelp = `
Usage: zoomcti health [--url URL] [--ready] [--timeout 3s]

Asks a running zoomcti whether it is well: GET /healthz (alive) or, with
--ready, /readyz (its store answers) on ZOOMCTI_ADDR (default
127.0.0.1:8080; an unspecified host such as 0.0.0.0 is asked on loopback).
Exits 0 when the server answers 200, 1 otherwise. It is the container
image's health check: the image has no shell and no curl.
`

func cmdHealth(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("health", healthHelp, stderr)
	target := fs.String("url", "", "the URL to GET (default http://ZOOMCTI_ADDR/healthz)")
	ready := fs.Bool("ready", false, "ask /readyz instead of /healthz")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	u := *target
	if u == "" {
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		host, err := healthHost(getenv("ZOOMCTI_ADDR"))
		if err != nil {
			return usageError{err}
		}
		u = "http://" + host + path
	} else if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return usageError{fmt.Errorf("--url %q: want http(s)://HOST[:PORT]/PATH", u)}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", u, resp.Status, body)
	}
	fmt.Fprintf(stdout, "%s: %s\n", u, resp.Status)
	return nil
}

// healthHost is where to reach a server listening on addr (ZOOMCTI_ADDR):
// a server listening on all interfaces is asked on loopback.
func healthHost(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:8080", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("ZOOMCTI_ADDR %q: must be HOST:PORT", addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port), nil
}
