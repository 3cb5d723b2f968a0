package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
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

var spec struct {
	once   sync.Once
	router routers.Router
	err    error
}

// specRouter loads docs/openapi.yaml once, checks it with kin-openapi's
// own validation, and routes requests to its operations.
func specRouter(t *testing.T) routers.Router {
	t.Helper()
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(specPath)
		if err != nil {
			spec.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			spec.err = err
			return
		}
		// Match by path alone, whatever the test server's address.
		doc.Servers = nil
		spec.router, spec.err = legacy.NewRouter(doc)
	})
	if spec.err != nil {
		t.Fatalf("%s: %v", filepath.Base(specPath), spec.err)
	}
	return spec.router
}

// checkAgainstSpec validates a live answer of the JSON API against
// docs/openapi.yaml: its status must be documented for the operation and
// its body must match the documented schema.
func checkAgainstSpec(t *testing.T, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	if err := specError(t, req, resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("%s %s answered %d, not as docs/openapi.yaml says: %v\nbody: %.500s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
}

// specError is checkAgainstSpec's verdict. Requests outside the spec's
// paths are left alone, except under /api/v1/observe/, which the spec
// covers entirely.
func specError(t *testing.T, req *http.Request, status int, header http.Header, body []byte) error {
	router := specRouter(t)
	r := req.Clone(context.Background())
	r.Body = http.NoBody
	route, params, err := router.FindRoute(r)
	if err != nil {
		if strings.HasPrefix(req.URL.Path, "/api/v1/observe/") {
			return fmt.Errorf("%s %s is not in the spec: %w", req.Method, req.URL.Path, err)
		}
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
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
		if err := specError(t, req, c.status, h, []byte(c.body)); err == nil {
			t.Errorf("%s %s %d %s passed the spec", c.method, c.path, c.status, c.body)
		}
	}
	// And a right one passes.
	req, _ := http.NewRequest("GET", "http://x/api/v1/observe/qc-rules", nil)
	if err := specError(t, req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"rules": []}`)); err != nil {
		t.Errorf("a right answer failed: %v", err)
	}
}
