package main

import (
	"context"
	"fmt"
	"io"

	"github.com/zoomcti/zoomcti/server"
)

const serveHelp = `
Usage: zoomcti serve [--addr HOST:PORT]

Runs the zoomcti server: the softphone page, the websocket, the Zoom webhook
endpoint and the workers. Configuration comes from ZOOMCTI_* environment
variables (see the README); a missing or bad one is named at start.
`

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveHelp, stderr)
	addr := fs.String("addr", "", "listen address (env ZOOMCTI_ADDR, default 127.0.0.1:8080)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := serveConfig(getenv, *addr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	log.Info("starting zoomcti", "version", version(), "config", cfg)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	return server.Run(ctx, cfg, log)
}

// serveConfig is the configuration serve runs with: the environment, then
// --addr when given, validated.
func serveConfig(getenv func(string) string, addr string) (server.Config, error) {
	cfg, err := server.ConfigFromEnv(getenv)
	if err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	if addr != "" {
		cfg.Addr = addr
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}
