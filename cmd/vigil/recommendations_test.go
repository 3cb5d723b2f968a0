package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/chromium"
)

func TestRecommendationsCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	mustVigil(t, "recommendations", "seed", "--db", db)
	out := mustVigil(t, "recommendations", "summary", "--db", db, "--country", "KZ", "--json")
	var sum struct {
		Assessments []struct {
			Report string         `json:"report"`
			Date   string         `json:"date"`
			Counts map[string]int `json:"counts"`
			ByArea map[string]any `json:"by_area"`
		} `json:"assessments"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err, out)
	}
	if len(sum.Assessments) != 2 {
		t.Fatalf("assessments: %s", out)
	}
	last := sum.Assessments[1]
	want := map[string]int{"fully": 3, "mostly": 3, "partially": 24, "not": 6, "not_assessed": 0}
	for k, v := range want {
		if last.Counts[k] != v {
			t.Errorf("%s: %d, want %d", k, last.Counts[k], v)
		}
	}
	if last.Report != "kz-2023-parliamentary-final" || last.Date != "2023-06-22" || len(last.ByArea) == 0 {
		t.Errorf("last assessment %+v", last)
	}
	if out := mustVigil(t, "recommendations", "summary", "--db", db, "--country", "KZ"); !strings.Contains(out, "Of 36 prior recommendations, 3 were fully implemented, 3 mostly, 24 partially and 6 not implemented.") {
		t.Errorf("text summary:\n%s", out)
	}

	// Export in both formats, import into a new database, export again.
	for _, ext := range []string{".json", ".csv"} {
		a := filepath.Join(dir, "a"+ext)
		b := filepath.Join(dir, "b"+ext)
		other := filepath.Join(dir, "other"+ext+".db")
		mustVigil(t, "recommendations", "export", "--db", db, a)
		mustVigil(t, "recommendations", "import", "--db", other, a)
		mustVigil(t, "recommendations", "export", "--db", other, b)
		ab, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		if len(ab) < 1000 || !bytes.Equal(ab, bb) {
			t.Errorf("%s: export → import → export differs (%d and %d bytes)", ext, len(ab), len(bb))
		}
	}

	// A file with one bad field imports nothing and says where.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("record,key,country,type,name\nmission,m1,KZ,full,One\nmission,m2,KZ,grand,Two\n"), 0o644)
	fresh := filepath.Join(dir, "fresh.db")
	_, err := vigil(t, "recommendations", "import", "--db", fresh, bad)
	if err == nil || !strings.Contains(err.Error(), "bad.csv:3:15: type: unknown mission type \"grand\"") {
		t.Fatalf("bad import: %v", err)
	}
	if out := mustVigil(t, "recommendations", "summary", "--db", fresh); strings.Contains(out, "KZ") {
		t.Errorf("a failed import left a country:\n%s", out)
	}

	out = mustVigil(t, "recommendations", "history", "--db", db, "kz-2023-parliamentary-final#1", "--json")
	var h struct {
		History []struct {
			Ref string `json:"ref"`
		} `json:"history"`
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil || len(h.History) != 3 {
		t.Fatalf("history: %v %s", err, out)
	}

	html := filepath.Join(dir, "final.html")
	mustVigil(t, "recommendations", "draft", "--db", db, "--mission", "kz-2023-parliamentary-eom", "--kind", "final", html)
	if b, _ := os.ReadFile(html); !bytes.Contains(b, []byte("Of 36 prior recommendations")) {
		t.Error("the final report draft lacks the follow-up")
	}
	testDraftPDF(t, db, dir)
	mustVigil(t, "recommendations", "assess", "--db", db, "--report", "kz-2023-parliamentary-final", "--status", "mostly", "kz-2022-presidential-final#1")
	if out := mustVigil(t, "recommendations", "summary", "--db", db, "--country", "KZ"); !strings.Contains(out, "3 were fully implemented, 4 mostly, 23 partially") {
		t.Errorf("after re-assessing:\n%s", out)
	}
}

// The demo seeds the history of recommendations with its observation
// mission as their owner: the 2023 follow-up comes out as the Kazakhstan
// reports put it, and the 2022 follow-up's proposals read the demo
// election's results and observers' findings.
func TestDemoSeedsRecommendations(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	mustVigil(t, "demo", "--db", db, "--no-serve")
	out := mustVigil(t, "recommendations", "summary", "--db", db, "--country", "KZ")
	if !strings.Contains(out, "Of 36 prior recommendations, 3 were fully implemented, 3 mostly, 24 partially and 6 not implemented.") {
		t.Errorf("summary:\n%s", out)
	}
	out = mustVigil(t, "recommendations", "propose", "--db", db, "--report", "kz-2022-presidential-final", "--json")
	var props struct {
		Proposals []struct {
			Topic  string `json:"topic"`
			OK     bool   `json:"ok"`
			Status string `json:"status"`
		} `json:"proposals"`
	}
	if err := json.Unmarshal([]byte(out), &props); err != nil {
		t.Fatal(err, out)
	}
	got := map[string]bool{}
	for _, p := range props.Proposals {
		got[p.Topic] = p.OK && p.Status != ""
	}
	if !got["disaggregated_results"] || !got["observer_access"] {
		t.Errorf("the demo's proposals lack evidence: %s", out)
	}
}

// testDraftPDF prints a draft to PDF with the Chromium the command's
// environment names (VIGIL_CHROMIUM through run's getenv, not the
// process's environment): a program that is no Chromium is an error
// naming it, and the real one writes a PDF.
func testDraftPDF(t *testing.T, db, dir string) {
	t.Helper()
	out := filepath.Join(dir, "final.pdf")
	args := []string{"vigil", "recommendations", "draft", "--db", db, "--mission", "kz-2023-parliamentary-eom", "--kind", "final", out}
	withChromium := func(c string) error {
		getenv := func(k string) string {
			if k == chromium.EnvVar {
				return c
			}
			return os.Getenv(k)
		}
		var stdout, stderr bytes.Buffer
		return run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr)
	}
	if err := withChromium("/bin/false"); err == nil || !strings.Contains(err.Error(), "/bin/false") {
		t.Errorf("draft to PDF with /bin/false as Chromium: %v, want an error naming it", err)
	}
	c := chromium.Find(os.Getenv)
	if c == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium: in CI the PDF draft must be printed")
		}
		t.Log("no Chromium (set VIGIL_CHROMIUM): the PDF draft is not printed")
		return
	}
	if err := withChromium(c); err != nil {
		t.Fatalf("draft to PDF: %v", err)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("the draft is not a PDF: %v %q", err, b[:min(len(b), 20)])
	}
}
