package architecture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/vigil-elections/vigil"

// pkg is what `go list -json` says of a package, the fields used here.
type pkg struct {
	ImportPath   string
	Dir          string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// goList runs `go list -json` with args in the module and decodes its
// stream of packages. The go command is the only complete answer to "what
// does this package import" (build tags, the module graph), so the tests
// run it; without it they skip, and fail in CI.
func goList(t *testing.T, args ...string) []pkg {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no go command on the PATH: in CI the architecture tests must run")
		}
		t.Skip("no go command on the PATH: the import graph cannot be listed")
	}
	cmd := exec.Command(gobin, append([]string{"list", "-json=ImportPath,Dir,Imports,TestImports,XTestImports"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var ps []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		t.Fatalf("go list %s listed no package", strings.Join(args, " "))
	}
	return ps
}

func short(path string) string { return strings.TrimPrefix(path, module+"/") }

func own(path string) bool { return strings.HasPrefix(path, module+"/") }

// under reports whether path is the package dir or one below it.
func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// storeDomain are the vigil packages the store may depend on, directly or
// not: the domain's types it reads and writes rows of, and jsontext, the
// JSON encoder the domain's types and the store share. Each is a leaf of
// values and rules over them; none does I/O. observe/agg is the one that
// is more than types: the arithmetic of the observation aggregates, which
// the store applies inside every write's transaction so that no writer can
// store a report without its counts (docs/architecture.md argues it).
var storeDomain = map[string]bool{
	"internal/election":     true, // protocols, areas, figures
	"internal/observe/form": true, // forms and answers, stored as JSON
	"internal/observe/agg":  true, // the aggregate rows and their arithmetic
	"internal/recommend":    true, // the recommendations dataset
	"internal/translog":     true, // the transparency log's leaves
	"internal/jsontext":     true, // JSON written as json.Marshal writes it: a leaf of functions, no I/O, no types
}

// storeTransports are the packages that run HTTP or other programs, and
// the only packages in the store's graph allowed to import each, with the
// reason. The project's own packages import none of them: a vigil package
// that does fails, and so does a new dependency that brings one in.
// net/http is not here but in storeForbidden: nothing in the graph may
// bring it in.
var storeTransports = map[string]map[string]string{
	"os/exec": {
		"modernc.org/libc": "the SQLite driver's C library (system(3), popen(3)); never called by vigil",
	},
}

// storeForbidden are packages the store's graph must not hold at all,
// with the reason. The first two were in it through observe/form until its
// workbook reading and writing (excelize) and its media check
// (http.DetectContentType) moved to observe/form/xlsform and
// observe/form/media; the templates through recommend until the draft's
// HTML page moved to recommend/draft. The store imports none of those.
var storeForbidden = map[string]string{
	"github.com/xuri/excelize/v2": "the XLSForm spreadsheet library: workbooks are read and written in observe/form/xlsform, above the store",
	"net/http":                    "the store neither serves nor calls HTTP (a form's media files are sniffed in observe/form/media)",
	"html/template":               "the store renders no page (a mission's draft is rendered in recommend/draft)",
	"text/template":               "the store renders no text (html/template is built on it; a mission's draft is rendered in recommend/draft)",
}

// TestStoreImports: internal/store depends on no vigil package beyond the
// domain's types (storeDomain) — not on the web, the observation service,
// the integrity tests, the demo, Chromium or PDF printing —, os/exec
// enters its graph only through the packages storeTransports names, and
// net/http, excelize and the templates (storeForbidden) do not enter it
// at all.
func TestStoreImports(t *testing.T) {
	store := module + "/internal/store"
	graph := goList(t, "-deps", store)
	by := map[string]pkg{}
	for _, p := range graph {
		by[p.ImportPath] = p
	}
	if _, ok := by[store]; !ok {
		t.Fatalf("go list -deps %s does not list the store itself", store)
	}
	// via finds the chain of imports from the store to a package, for the
	// message: "store → recommend → chromium" says what to cut.
	via := func(target string) string {
		prev := map[string]string{store: ""}
		queue := []string{store}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if p == target {
				var chain []string
				for q := p; q != ""; q = prev[q] {
					chain = append(chain, short(q))
				}
				slices.Reverse(chain)
				return strings.Join(chain, " → ")
			}
			for _, imp := range by[p].Imports {
				if _, seen := prev[imp]; !seen {
					prev[imp] = p
					queue = append(queue, imp)
				}
			}
		}
		return short(target)
	}
	var ownDeps []string
	for _, p := range graph {
		if !own(p.ImportPath) || p.ImportPath == store {
			continue
		}
		ownDeps = append(ownDeps, short(p.ImportPath))
		if !storeDomain[short(p.ImportPath)] {
			t.Errorf("the store depends on %s (%s): it may import the domain's types only (%s); "+
				"a rule that needs the store belongs in the domain, with a small interface the store implements (docs/architecture.md)",
				short(p.ImportPath), via(p.ImportPath), strings.Join(sortedKeys(storeDomain), ", "))
		}
	}
	// The rule is only as good as the graph it was checked on: the store
	// does use its domain packages (a listing that lost them would pass
	// everything above).
	for d := range storeDomain {
		if !slices.Contains(ownDeps, d) {
			t.Errorf("the store no longer depends on %s: take it out of storeDomain", d)
		}
	}
	for p, why := range storeForbidden {
		if _, ok := by[p]; ok {
			t.Errorf("the store's graph holds %s (%s): %s", p, via(p), why)
		}
	}
	for transport, allowed := range storeTransports {
		if _, ok := by[transport]; !ok {
			t.Errorf("%s is no longer in the store's graph: take its entry out of storeTransports", transport)
			continue
		}
		for _, p := range graph {
			if !slices.Contains(p.Imports, transport) {
				continue
			}
			if _, ok := allowed[p.ImportPath]; !ok {
				t.Errorf("%s imports %s (%s): the store's graph runs no HTTP and no program but through %s",
					short(p.ImportPath), transport, via(p.ImportPath), strings.Join(sortedKeys(allowed), ", "))
			}
		}
		for p := range allowed {
			if !slices.Contains(by[p].Imports, transport) {
				t.Errorf("%s no longer imports %s: take it out of storeTransports", p, transport)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestWebImportDirection: imports point from the web down, never up.
// Nothing under internal/ outside internal/web imports the web, in its
// code or its tests (cmd/vigil, above it, does); the web's core imports
// no room (only the leaf web/chart); a room imports no other room (only
// the core, web/chart, and in its tests webtest and site).
func TestWebImportDirection(t *testing.T) {
	web := module + "/internal/web"
	// The packages that are not rooms: the core's leaf, the assembly of
	// every room, and the rooms' shared test fixtures.
	notRooms := map[string]bool{web + "/chart": true, web + "/site": true, web + "/webtest": true}
	for _, p := range goList(t, module+"/...") {
		switch {
		case !under(p.ImportPath, module+"/internal"):
			// cmd/, bench/: above the web.
		case !under(p.ImportPath, web):
			for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
				if under(imp, web) {
					t.Errorf("%s imports %s: nothing below the web imports it (docs/architecture.md)", short(p.ImportPath), short(imp))
				}
			}
		case p.ImportPath == web:
			for _, imp := range p.Imports {
				if under(imp, web) && imp != web+"/chart" {
					t.Errorf("the web's core imports %s: the core imports no room; the room mounts itself on the core", short(imp))
				}
			}
		case !notRooms[p.ImportPath]:
			for _, imp := range p.Imports {
				if under(imp, web) && imp != web && imp != web+"/chart" && imp != p.ImportPath {
					t.Errorf("room %s imports %s: a room imports no other room; what both need belongs in the core", short(p.ImportPath), short(imp))
				}
			}
		}
	}
}

// sqlStart matches a string that starts with a statement of SQL, as the
// project writes them (keywords in capitals): a query, a change, DDL, or
// a PostgreSQL command. A message or a label that happens to start with
// one of these words in capitals would match too; none does today, and
// one that did could be reworded.
var sqlStart = regexp.MustCompile(`^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+(RECURSIVE\s+)?\w+(\s*\([^)]*\))?\s+AS\s*\(|CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\s|ALTER\s+TABLE\s|DROP\s+(TABLE|INDEX|VIEW)\s|PRAGMA\s|COPY\s|LISTEN\s|NOTIFY\s|ANALYZE\b|VACUUM\b|TRUNCATE\s|BEGIN\b|COMMIT\b|ROLLBACK\b)`)

// TestNoSQLOutsideStore: no Go code outside internal/store holds SQL; a
// package that needs data calls a store method. Tests are exempt (they
// check what the store wrote, sometimes with a query of their own), and
// so are strings in comments (which are not literals).
func TestNoSQLOutsideStore(t *testing.T) {
	root := moduleRoot(t)
	// The rule must bite: the store's own code holds SQL by this test's
	// reading, or the matcher has gone blind.
	if n := sqlLiterals(t, filepath.Join(root, "internal", "store", "import.go")); len(n) == 0 {
		t.Fatal("the matcher finds no SQL in internal/store/import.go: it would find none anywhere")
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			// Not the store; not vendored or generated trees, hidden
			// directories or test data.
			if rel == filepath.Join("internal", "store") || d.Name() == "testdata" || d.Name() == "third_party" ||
				d.Name() == "node_modules" || (strings.HasPrefix(d.Name(), ".") && rel != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		for _, lit := range sqlLiterals(t, path) {
			t.Errorf("%s:%d holds SQL (%.60q): SQL lives in internal/store only; add a store method (docs/architecture.md, \"Where SQL lives\")", rel, lit.line, lit.text)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d Go files outside the store read from %s: the walk missed the code", files, root)
	}
}

type literal struct {
	line int
	text string
}

// sqlLiterals returns the string literals of a Go file that start with SQL.
func sqlLiterals(t *testing.T, path string) []literal {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	var out []literal
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatalf("%s: literal %s: %v", fset.Position(lit.Pos()), lit.Value, err)
		}
		if sqlStart.MatchString(s) {
			out = append(out, literal{fset.Position(lit.Pos()).Line, s})
		}
		return true
	})
	return out
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// testHelpers are the packages under internal/ that serve tests only and
// may read the test environment (VIGIL_TEST_POSTGRES, VIGIL_DATA, CI…).
var testHelpers = map[string]bool{
	"internal/browsertest":     true,
	"internal/realdata":        true,
	"internal/store/storetest": true,
	"internal/web/webtest":     true,
}

// TestNoEnvironmentBelowCmd: no package under internal/ reads the
// environment (tests and test helpers aside); every setting comes in
// through an option or a field that cmd/vigil fills from its injected
// getenv, so that a test sets it per server and one process can hold two
// differently configured ones.
func TestNoEnvironmentBelowCmd(t *testing.T) {
	root := moduleRoot(t)
	env := map[string]bool{"Getenv": true, "LookupEnv": true, "Environ": true, "ExpandEnv": true}
	files := 0
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if testHelpers[filepath.ToSlash(rel)] || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if imp.Path.Value == `"os"` || imp.Path.Value == `"syscall"` {
				osName := strings.Trim(imp.Path.Value, `"`)
				if imp.Name != nil {
					osName = imp.Name.Name
				}
				ast.Inspect(f, func(n ast.Node) bool {
					sel, ok := n.(*ast.SelectorExpr)
					if !ok || !env[sel.Sel.Name] {
						return true
					}
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == osName {
						t.Errorf("%s: %s.%s reads the environment below cmd: take the setting as an option that cmd/vigil fills from its getenv",
							fset.Position(sel.Pos()), osName, sel.Sel.Name)
					}
					return true
				})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d Go files read under %s/internal: the walk missed the code", files, root)
	}
}

// demoDecls returns the package-level names of a Go file that contain
// "demo" in any case: a function, method, type, variable or constant.
func demoDecls(fset *token.FileSet, f *ast.File) []string {
	var out []string
	add := func(id *ast.Ident) {
		if strings.Contains(strings.ToLower(id.Name), "demo") {
			out = append(out, fmt.Sprintf("%s (line %d)", id.Name, fset.Position(id.Pos()).Line))
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			add(d.Name)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						add(n)
					}
				}
			}
		}
	}
	return out
}

// TestDemoDataInDemo: the demo's data and seeders live in internal/demo.
// No other package under internal/ (tests and test helpers aside) has a
// file named after the demo or declares a package-level name containing
// "demo" — the shape the seeders had when they sat in observe/demo.go
// (observe.SeedDemo) and recommend/seed.go (recommend.SeedDemo,
// demoThemes). cmd/vigil, above everything, runs the demo and may.
func TestDemoDataInDemo(t *testing.T) {
	// The rule must bite: the old seeder's declarations are found.
	fset := token.NewFileSet()
	old, err := parser.ParseFile(fset, "seed.go", "package recommend\nvar demoThemes = 1\nfunc SeedDemo() {}\n", parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	if got := demoDecls(fset, old); len(got) != 2 {
		t.Fatalf("the matcher finds %v in recommend's old seeder, want demoThemes and SeedDemo", got)
	}
	root := moduleRoot(t)
	files := 0
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == filepath.Join("internal", "demo") || testHelpers[filepath.ToSlash(rel)] || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		if strings.Contains(strings.ToLower(d.Name()), "demo") {
			t.Errorf("%s: a file named after the demo outside internal/demo: the demo's data and seeders belong in internal/demo", rel)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, n := range demoDecls(fset, f) {
			t.Errorf("%s declares %s: the demo's data and seeders belong in internal/demo", rel, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d Go files read under %s/internal: the walk missed the code", files, root)
	}
}
