package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadInProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "load.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-db", db, "-demo", "300", "-path", "/elections/1/areas/root,/api/v1/elections/1/results", "-c", "4", "-n", "5000", "-d", "10s", "-arrive", "200"}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"5000 requests (0 errors)", "latency p50", "protocols arrived during the run"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"-db", db, "-stations", "-c", "2", "-n", "50", "-d", "10s"}, &out); err != nil || !strings.Contains(out.String(), "station pages") {
		t.Fatalf("stations: %v\n%s", err, out.String())
	}
}

func TestLoadRefusesOtherHosts(t *testing.T) {
	for _, u := range []string{"http://example.com", "http://10.0.0.1:8080", "http://[::2]:80"} {
		if err := run(context.Background(), []string{"-url", u, "-n", "1"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%s: %v, want a refusal", u, err)
		}
	}
	if err := run(context.Background(), []string{"-url", "http://127.0.0.1:1", "-n", "0"}, &bytes.Buffer{}); err == nil {
		t.Error("-n 0 accepted")
	}
}
