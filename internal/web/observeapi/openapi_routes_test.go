package observeapi

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPIListsEveryRoute keeps docs/openapi.yaml in step with the
// observation API's routes.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	spec, err := os.ReadFile("../../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := regexp.MustCompile(`h\("(GET|POST|PATCH|DELETE) (/api/v1/[^"]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(routes) < 15 {
		t.Fatalf("found %d routes", len(routes))
	}
	for _, r := range routes {
		method, path := strings.ToLower(r[1]), r[2]
		i := strings.Index(string(spec), "\n  "+path+":\n")
		if i < 0 {
			t.Errorf("docs/openapi.yaml lacks %s", path)
			continue
		}
		rest := string(spec[i+len(path)+4:])
		if j := strings.Index(rest, "\n  /"); j >= 0 {
			rest = rest[:j]
		}
		if !strings.Contains(rest, "\n    "+method+":") {
			t.Errorf("docs/openapi.yaml lacks %s %s", r[1], path)
		}
	}
}
