package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// vigil health asks a running vigil whether it is ready: the container
// image's HEALTHCHECK, which has no shell or curl to do it with, and any
// script. Exit status 0 when the answer is 200.

func init() {
	register(command{name: "health", summary: "ask a running vigil whether it is ready (exit status 0 if so)", run: runHealth})
}

func runHealth(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "health", "[--url URL] [--timeout D]")
	url := fs.String("url", "http://"+defaultAddr+"/readyz", "the `URL` to ask: /readyz (ready for traffic) or /healthz (alive)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", *url, nil)
	if err != nil {
		return usagef("health: --url %q: %v", *url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	e.stdout.Write(body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", *url, resp.Status)
	}
	return nil
}
