package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of the CLI's text output (testdata/golden/*.golden)")

// transcript runs vigil with an empty environment and returns what a user
// would see: the command, standard output, standard error and the exit
// status, with the test's temporary directory written $TMP.
func transcript(t *testing.T, tmp string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"vigil"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	var b strings.Builder
	fmt.Fprintf(&b, "$ vigil %s\n%s", strings.Join(args, " "), out.String())
	if errb.Len() > 0 {
		fmt.Fprintf(&b, "--- stderr\n%s", errb.String())
	}
	if err != nil {
		fmt.Fprintf(&b, "--- vigil: %v\n--- exit %d\n", err, exitCode(err))
	}
	s := b.String()
	if tmp != "" {
		s = strings.ReplaceAll(s, tmp, "$TMP")
	}
	return s
}

// golden compares got with testdata/golden/NAME.golden, or writes it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/vigil -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it after a deliberate change)\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// TestCLITextGolden pins the text the commands print: readable tables and
// sentences whose shares and turnouts name their denominators, and the
// usage errors.
func TestCLITextGolden(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "v.db")
	file := []string{"--file", "testdata/small.csv", "--mapping", "testdata/small.json"}
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	// The same file as observers' copies: check --source observer checks
	// those alone (issue 12: it checked every source, with spurious flags).
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "observer", "--mapping", "testdata/small.json", "testdata/small.csv")
	mustVigil(t, "user", "add", "--db", db, "--org", "Mission", "--username", "boss", "--role", "administrator")
	cases := []struct {
		name string
		args []string
	}{
		{"tally", append([]string{"tally", "--level", "1"}, file...)},
		{"check", []string{"check", "--db", db, "--election", "e1"}},
		{"check-source", []string{"check", "--db", db, "--election", "e1", "--source", "observer"}},
		{"forensics-digits", append([]string{"forensics", "digits"}, file...)},
		{"forensics-integer", append([]string{"forensics", "integer", "--replicates", "50"}, file...)},
		{"forensics-shpilkin", append([]string{"forensics", "shpilkin", "--leader", "Alpha"}, file...)},
		{"forensics-fingerprint", append([]string{"forensics", "fingerprint"}, file...)},
		{"forensics-alone", []string{"forensics"}},
		{"pvt-against-all", []string{"pvt", "--frame", "testdata/pvt-frame.csv", "--sample", "testdata/pvt-sample.csv", "--stratum", "region",
			"--options", "Alpha,Against all,Beta", "--cannot-win", "Against all", "--id", "station", "--registered", "registered"}},
		{"findings-nothing-observed", []string{"findings", "--db", db, "--election", "e1"}},
		{"deploy-draw-strata", []string{"deploy", "draw", "--db", db, "--org", "Mission", "--election", "e1", "--seed", "published", "--size", "1", "--no-assign"}},
		{"import-missing-flags", []string{"import", "--db", db, "--election", "e2", "testdata/small.csv"}},
		{"import-header-only", []string{"import", "--db", db, "--election", "e2", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/header-only.csv"}},
		{"tally-no-database", []string{"tally", "--db", filepath.Join(tmp, "nosuch.db"), "--election", "e1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name, transcript(t, tmp, c.args...))
		})
	}
}

// TestReadOnlyCommandsRefuseMissingDatabase: a mistyped --db is an error,
// and leaves no new database file behind.
func TestReadOnlyCommandsRefuseMissingDatabase(t *testing.T) {
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "nosuch.db")
	for _, args := range [][]string{
		{"tally", "--election", "e1"},
		{"check", "--election", "e1"},
		{"compare", "--election", "e1"},
		{"seats", "--election", "e1"},
		{"forensics", "digits", "--election", "e1"},
		{"forensics", "integer", "--election", "e1"},
		{"pvt", "--election", "e1", "--stratum", "Region"},
		{"findings", "--election", "e1"},
		{"findings", "publish", "--election", "e1", "--org", "X"},
		{"elections"},
		{"election", "config", "--election", "e1"},
		{"recommendations", "summary", "--country", "KZ"},
		{"recommendations", "export", "--country", "KZ", filepath.Join(tmp, "x.json")},
		{"token", "list", "--org", "X"},
		{"deploy", "draw", "--org", "X", "--election", "e1", "--seed", "s", "--size", "3"},
	} {
		_, err := vigil(t, append(args, "--db", missing)...)
		if err == nil || !errors.Is(err, store.ErrNoDatabase) && !strings.Contains(err.Error(), "no such database") {
			t.Errorf("vigil %s --db nosuch.db: err %v, want no such database", strings.Join(args, " "), err)
		}
		if _, serr := os.Stat(missing); serr == nil {
			t.Fatalf("vigil %s created %s", strings.Join(args, " "), missing)
		}
	}
}

// TestImportHeaderOnlyCreatesNothing: no database, no election, no batch.
func TestImportHeaderOnlyCreatesNothing(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "v.db")
	_, err := vigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/header-only.csv")
	if err == nil || !strings.Contains(err.Error(), "header-only.csv") || !strings.Contains(err.Error(), "nothing imported") {
		t.Fatalf("header-only import: err %v", err)
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("a header-only import created the database")
	}
	// Into an existing database: the election named is not created.
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	if _, err := vigil(t, "import", "--db", db, "--election", "e2", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/header-only.csv"); err == nil {
		t.Fatal("header-only import into an existing database succeeded")
	}
	// A file whose every row is rejected imports nothing either.
	rep := filepath.Join(tmp, "rejected.csv")
	bad := filepath.Join(tmp, "bad.csv")
	os.WriteFile(bad, []byte("Region;District;Station;Registered;Issued;In box;Invalid;Valid;Alpha;Beta;Gamma\nNorth;D1;101;x;700;700;10;690;400;200;90\n"), 0o644)
	if _, err := vigil(t, "import", "--db", db, "--election", "e3", "--source", "official-final", "--mapping", "testdata/small.json", bad, "--skip-invalid", rep); err == nil || !strings.Contains(err.Error(), "every row was rejected") {
		t.Fatalf("all rows rejected: err %v", err)
	}
	out := mustVigil(t, "elections", "--db", db, "--json")
	if strings.Contains(out, `"e2"`) || strings.Contains(out, `"e3"`) || !strings.Contains(out, `"e1"`) {
		t.Fatalf("elections after failed imports: %s", out)
	}
}

// TestImportNamesTheMissingFlag: each missing flag by name, exit status 2.
func TestImportNamesTheMissingFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--source", "observer", "--mapping", "m.json"}, "missing --election ("},
		{[]string{"--election", "e", "--mapping", "m.json"}, "missing --source ("},
		{[]string{"--election", "e", "--source", "observer"}, "missing --mapping ("},
		{[]string{"--election", "e"}, "missing --source and --mapping ("},
	} {
		_, err := vigil(t, append(append([]string{"import"}, c.args...), "f.csv")...)
		if err == nil || !strings.Contains(err.Error(), c.want) || exitCode(err) != 2 {
			t.Errorf("import %v: err %v, want %q and exit 2", c.args, err, c.want)
		}
	}
}

// TestCommandGroupAloneIsUsageError: "vigil forensics" lists its
// subcommands on stderr and exits 2; an unknown subcommand is named.
func TestCommandGroupAloneIsUsageError(t *testing.T) {
	for _, g := range []string{"forensics", "recommendations", "token", "deploy"} {
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"vigil", g}, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
		if err == nil || exitCode(err) != 2 || out.Len() != 0 || !strings.Contains(errb.String(), "usage: vigil "+g) {
			t.Errorf("vigil %s: err %v, stdout %q, stderr %q", g, err, out.String(), errb.String())
		}
	}
	if _, err := vigil(t, "forensics", "benford"); err == nil || !strings.Contains(err.Error(), `"benford"`) {
		t.Errorf("unknown subcommand: %v", err)
	}
}

// TestProgressOnlyOnTerminal: a progress line on a terminal's stderr,
// erased at the end; none with --json, and stdout the same either way.
func TestProgressOnlyOnTerminal(t *testing.T) {
	saved := isTerminal
	defer func() { isTerminal = saved }()
	isTerminal = func(io.Writer) bool { return true }
	runIt := func(args ...string) (string, string) {
		var out, errb bytes.Buffer
		if err := run(context.Background(), append([]string{"vigil"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, &errb); err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String()
	}
	args := []string{"forensics", "integer", "--file", "testdata/small.csv", "--mapping", "testdata/small.json", "--replicates", "40"}
	out, errs := runIt(args...)
	if !strings.Contains(errs, "integer test: 40 of 40 replicates (100 %)") || !strings.HasSuffix(errs, "\r\x1b[K") {
		t.Errorf("terminal stderr %q", errs)
	}
	if strings.Contains(out, "replicates (") {
		t.Errorf("progress on stdout: %q", out)
	}
	if _, errs = runIt(append(args, "--json")...); errs != "" {
		t.Errorf("--json: stderr %q", errs)
	}
	db := filepath.Join(t.TempDir(), "v.db")
	if _, errs = runIt("import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv"); !strings.Contains(errs, "import small.csv: 1 rows read") {
		t.Errorf("import on a terminal: stderr %q", errs)
	}
	isTerminal = func(io.Writer) bool { return false }
	if _, errs = runIt(args...); errs != "" {
		t.Errorf("not a terminal: stderr %q", errs)
	}
}

// TestDemoSignIn: the demo says where the dashboard is and with which
// account, and that account opens it; a second run gives a new password
// that works, the old one no longer.
func TestDemoSignIn(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	demoRun := func(password string) string {
		var out, errb bytes.Buffer
		env := func(k string) string {
			if k == "VIGIL_PASSWORD" {
				return password
			}
			return ""
		}
		if err := run(context.Background(), []string{"vigil", "demo", "--db", db, "--no-serve", "--addr", "127.0.0.1:8123"}, env, strings.NewReader(""), &out, &errb); err != nil {
			t.Fatalf("demo: %v\n%s", err, errb.String())
		}
		return out.String()
	}
	out := demoRun("first-password-1")
	for _, want := range []string{"http://127.0.0.1:8123/login", "http://127.0.0.1:8123/dashboard/", "user:     admin", "password: first-password-1", "vigil serve --db " + db} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The README quotes these lines as the demo prints them on its
	// default port, 8080, so that a reader knows where the dashboard is.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"The public portal:    http://127.0.0.1:8123/\n", "The staff dashboard:  http://127.0.0.1:8123/login, then http://127.0.0.1:8123/dashboard/\n", "  user:     admin\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("demo output lacks %q", line)
		}
		if !strings.Contains(string(readme), strings.ReplaceAll(line, "8123", "8080")) {
			t.Errorf("README.md does not quote the demo's %q", strings.ReplaceAll(line, "8123", "8080"))
		}
	}
	if !strings.Contains(string(readme), "port 8080") || !strings.Contains(string(readme), "compiles vigil") {
		t.Error("README.md names no port, or says nothing of the first run's compilation")
	}
	out = demoRun("")
	_, after, ok := strings.Cut(out, "password: ")
	pw, _, _ := strings.Cut(after, "\n")
	if !ok || len(pw) < 16 {
		t.Fatalf("second run's password %q:\n%s", pw, out)
	}
	d, err := store.OpenExisting(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	u, err := d.UserByName(context.Background(), "admin")
	if err != nil || u.Role != string(access.Administrator) {
		t.Fatalf("admin: %+v %v", u, err)
	}
	if ok, _ := access.VerifyPassword(u.PasswordHash(), pw); !ok {
		t.Error("the printed password does not open the admin account")
	}
	if ok, _ := access.VerifyPassword(u.PasswordHash(), "first-password-1"); ok {
		t.Error("the first run's password still works")
	}
}
