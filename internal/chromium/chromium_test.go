package chromium

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindOrder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"chromium-browser", "google-chrome"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	// chromium-browser comes before google-chrome on the PATH.
	if got := Find(getenv); got != filepath.Join(dir, "chromium-browser") {
		t.Errorf("Find = %q, want chromium-browser from the PATH", got)
	}
	// The environment wins, a name resolved on the PATH, a path as given.
	env[EnvVar] = "google-chrome"
	if got := Find(getenv); got != filepath.Join(dir, "google-chrome") {
		t.Errorf("Find with %s=google-chrome = %q", EnvVar, got)
	}
	env[EnvVar] = "/opt/nowhere/chrome"
	if got := Find(getenv); got != "/opt/nowhere/chrome" {
		t.Errorf("Find with a path = %q", got)
	}
}
