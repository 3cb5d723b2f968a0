package web_test

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/web/webtest"
)

const specPath = "../../docs/openapi.yaml"

// TestOpenAPILint runs the two linters API clients' tooling is built on,
// Redocly's and swagger-cli, on docs/openapi.yaml. They come from npm
// (.ci/run installs them, pinned); without them the test skips, except
// under CI=true, where it must run.
func TestOpenAPILint(t *testing.T) {
	for _, tool := range []struct {
		name string
		args []string
	}{
		{"redocly", []string{"lint", "--config", "../../docs/redocly.yaml", specPath}},
		{"swagger-cli", []string{"validate", specPath}},
	} {
		t.Run(tool.name, func(t *testing.T) {
			path, err := exec.LookPath(tool.name)
			if err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s is not installed (npm: .ci/run installs it): %v", tool.name, err)
				}
				t.Skipf("%s is not installed; .ci/run installs it", tool.name)
			}
			cmd := exec.Command(path, tool.args...)
			cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s %s: %v\n%s", tool.name, strings.Join(tool.args, " "), err, out)
			}
		})
	}
}

// TestSpecCatchesAWrongAnswer: the validator is not a rubber stamp.
func TestSpecCatchesAWrongAnswer(t *testing.T) {
	cases := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/api/v1/observe/qc-rules", 200, `{"rules": [{"form": "voting", "name": "x", "expr": "a > b", "action": "explode"}]}`},
		{"GET", "/api/v1/observe/audit", 200, `{"audit": "none"}`},
		{"GET", "/api/v1/observe/audit", 418, `{}`},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, "http://x"+c.path, nil)
		h := http.Header{"Content-Type": {"application/json"}}
		if err := webtest.SpecError(t, req, c.status, h, []byte(c.body)); err == nil {
			t.Errorf("%s %s %d %s passed the spec", c.method, c.path, c.status, c.body)
		}
	}
	// And a right one passes.
	req, _ := http.NewRequest("GET", "http://x/api/v1/observe/qc-rules", nil)
	if err := webtest.SpecError(t, req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"rules": []}`)); err != nil {
		t.Errorf("a right answer failed: %v", err)
	}
}
