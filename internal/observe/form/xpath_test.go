package form

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// xpathVectors is testdata/xpath_vectors.json: the table that both the
// Go evaluator and observe.js's are checked against.
type xpathVectors struct {
	Now     string `json:"now"`
	Vectors []struct {
		Expr    string              `json:"expr"`
		Answers map[string][]string `json:"answers"`
		Current string              `json:"current"`
		Columns map[string]string   `json:"columns"`
		Want    *string             `json:"want"`
		Bool    *bool               `json:"bool"`
		Error   bool                `json:"error"`
	} `json:"vectors"`
}

func TestXPathVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/xpath_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs xpathVectors
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	now, err := time.Parse(time.RFC3339, vs.Now)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Vectors) < 50 {
		t.Fatalf("%d vectors", len(vs.Vectors))
	}
	for _, v := range vs.Vectors {
		env := &Env{Current: v.Current, Now: now, Lookup: func(name string) []string { return v.Answers[name] }}
		if v.Columns != nil {
			env.Column = func(name string) (string, bool) { s, ok := v.Columns[name]; return s, ok }
		}
		e, err := ParseExpr(v.Expr)
		var got any
		if err == nil {
			got, err = e.Eval(env)
		}
		if v.Error {
			if err == nil {
				t.Errorf("%s: got %v, want an error", v.Expr, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", v.Expr, err)
			continue
		}
		if v.Want != nil && xstring(got) != *v.Want {
			t.Errorf("%s: got %q, want %q", v.Expr, xstring(got), *v.Want)
		}
		if v.Bool != nil && xbool(got) != *v.Bool {
			t.Errorf("%s: got %v as a condition, want %v", v.Expr, xbool(got), *v.Bool)
		}
		if v.Want == nil && v.Bool == nil {
			t.Errorf("%s: vector checks nothing", v.Expr)
		}
	}
}

func TestXPathRefsAndVolatile(t *testing.T) {
	e, err := ParseExpr("if(${a} > /data/b, once(today()), ../c)")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Refs(); len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("refs %v", got)
	}
	if !e.Volatile() {
		t.Error("today() not volatile")
	}
	if e2, _ := ParseExpr("${a} + 1"); e2.Volatile() {
		t.Error("${a} + 1 volatile")
	}
}

// TestObserveJSXPathVectors runs the web form's evaluator (observe.js)
// under Node on the same vectors: the phone and the server must agree on
// what a form's conditions say. It skips without node, and fails under
// CI=true.
func TestObserveJSXPathVectors(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node not found: %v", err)
		}
		t.Skip("node not found")
	}
	js, _ := filepath.Abs("../../web/static/observe.js")
	cmd := exec.Command(node, "testdata/xpath_vectors.cjs", js, "testdata/xpath_vectors.json")
	// today() is the phone's local date: the vectors' clock is UTC.
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile("testdata/xpath_vectors.json")
	var vs xpathVectors
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d vectors, 0 disagree\n", len(vs.Vectors))
	if !strings.HasSuffix(string(out), want) {
		t.Errorf("observe.js disagrees with the vectors:\n%s", out)
	}
}

// FuzzXPath: any text parses or is refused, and evaluates or fails,
// without a panic (a form's expressions are its author's input).
func FuzzXPath(f *testing.F) {
	raw, _ := os.ReadFile("testdata/xpath_vectors.json")
	var vs xpathVectors
	if err := json.Unmarshal(raw, &vs); err == nil {
		for _, v := range vs.Vectors {
			f.Add(v.Expr)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpr(s)
		if err != nil {
			return
		}
		env := &Env{Current: "3", Now: time.Unix(0, 0), Lookup: func(name string) []string { return []string{"1", "a b"} },
			Column: func(name string) (string, bool) { return "x", name == "c" }}
		if _, err := e.Eval(env); err == nil {
			e.Refs()
			e.Volatile()
		}
	})
}
