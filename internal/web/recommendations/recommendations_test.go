package recommendations

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/chromium"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
)

// headerStaff stands in for the staff login in tests: the request's
// X-Test-Org header names the caller's organisation.
func headerStaff(r *http.Request, org string) error {
	switch got := r.Header.Get("X-Test-Org"); got {
	case "":
		return web.Errorf(web.Unauthorized, "log in first")
	case org:
		return nil
	}
	switch org {
	case anyOrganisation:
		return nil
	default:
		return web.Errorf(web.Forbidden, "the mission belongs to another organisation")
	}
}

type testFindings map[string][]recommend.Indicator

func (f testFindings) Indicators(_ context.Context, e, _ string) ([]recommend.Indicator, error) {
	return f[e], nil
}

// recServer serves the recommendations routes over a database holding a
// small demo election (as the 2022 mission's) and the demo history.
func recServer(t *testing.T, db *store.DB, staff staffCheck) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	el := demo.Generate(11, demo.Params{Stations: 300, ObservedShare: 0.1})
	if _, err := demo.Write(ctx, db, el); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedRecommendations(ctx, db, demo.RecommendationOptions{Elections: map[int]string{2022: demo.Name}}); err != nil {
		t.Fatal(err)
	}
	// The core alone, with the static files the pages link, and this
	// room's routes under the test's staff rule.
	s, err := web.New(db, web.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Chromium: chromium.Find(os.Getenv)})
	if err != nil {
		t.Fatal(err)
	}
	s.HealthRoutes()
	(&room{s}).recommendRoutesWith(staff, recommend.Sources{Results: db, Findings: testFindings{
		demo.Name: {{Code: recommend.IndicatorObserversRestricted, Count: 9, Of: 30}},
	}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, method, url, org string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if org != "" {
		req.Header.Set("X-Test-Org", org)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %s", method, url, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func TestRecommendationsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := recServer(t, db, headerStaff)
		u := srv.URL + "/api/v1/recommendations"

		code, body := call(t, "GET", u+"?country=KZ", "", nil)
		recs, _ := body["recommendations"].([]any)
		if code != 200 || len(recs) != 98 {
			t.Fatalf("list: %d, %d recommendations", code, len(recs))
		}
		code, body = call(t, "GET", u+"?country=KZ&area=publication_results&report=kz-2021-parliamentary-final", "", nil)
		recs, _ = body["recommendations"].([]any)
		if code != 200 || len(recs) != 2 || recs[0].(map[string]any)["status"] != "partially" {
			t.Fatalf("filtered list: %d %v", code, body)
		}
		if code, _ := call(t, "GET", u+"?country=Kazakhstan", "", nil); code != 400 {
			t.Errorf("bad country: %d", code)
		}

		code, body = call(t, "GET", u+"/summary?country=kz", "", nil)
		as, _ := body["assessments"].([]any)
		if code != 200 || len(as) != 2 {
			t.Fatalf("summary %d %v", code, body)
		}
		counts := as[1].(map[string]any)["counts"].(map[string]any)
		if counts["fully"] != 3.0 || counts["mostly"] != 3.0 || counts["partially"] != 24.0 || counts["not"] != 6.0 || counts["not_assessed"] != 0.0 {
			t.Errorf("2023 counts %v", counts)
		}
		code, body = call(t, "GET", u+"/summary", "", nil)
		if cs, _ := body["countries"].([]any); code != 200 || len(cs) != 1 {
			t.Errorf("comparison %d %v", code, body)
		}

		// One recommendation with its history: the 2021 disaggregated
		// results recommendation, repeated in 2022 and 2023.
		id := int(recs[0].(map[string]any)["id"].(float64))
		code, body = call(t, "GET", u+"/"+strconv.Itoa(id), "", nil)
		hist, _ := body["history"].([]any)
		if code != 200 || len(hist) != 3 {
			t.Fatalf("one: %d %v", code, body)
		}
		ref23 := hist[2].(map[string]any)["ref"].(string)
		if code, _ := call(t, "GET", u+"/999999", "", nil); code != 404 {
			t.Errorf("absent: %d", code)
		}

		// Proposals for the 2022 report's follow-up read the 2022 election.
		if code, _ := call(t, "GET", u+"/proposals?report=kz-2022-presidential-final", "", nil); code != 401 {
			t.Errorf("anonymous proposals: %d", code)
		}
		code, body = call(t, "GET", u+"/proposals?report=kz-2022-presidential-final", "OSCE/ODIHR", nil)
		ps, _ := body["proposals"].([]any)
		if code != 200 || len(ps) != 2 {
			t.Fatalf("proposals %d %v", code, body)
		}
		got := map[string]string{}
		for _, p := range ps {
			m := p.(map[string]any)
			got[m["topic"].(string)], _ = m["status"].(string)
		}
		if got["disaggregated_results"] != "fully" || got["observer_access"] != "not" {
			t.Errorf("proposals %v", got)
		}

		// Writes: staff of the owning organisation only.
		assess := map[string]any{"report": "kz-2022-presidential-final", "accept_proposal": true}
		if code, _ := call(t, "POST", u+"/"+strconv.Itoa(id)+"/assessments", "", assess); code != 401 {
			t.Errorf("anonymous assess: %d", code)
		}
		if code, _ := call(t, "POST", u+"/"+strconv.Itoa(id)+"/assessments", "Another NGO", assess); code != 403 {
			t.Errorf("other organisation: %d", code)
		}
		// A browser's cross-site POST is refused whoever's cookie it carries.
		req, _ := http.NewRequest("POST", u+"/"+strconv.Itoa(id)+"/assessments", strings.NewReader(`{"report":"kz-2022-presidential-final","status":"fully"}`))
		req.Header.Set("X-Test-Org", "OSCE/ODIHR")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
			t.Errorf("cross-site POST: %v %v", resp.StatusCode, err)
		} else {
			resp.Body.Close()
		}
		code, body = call(t, "POST", u+"/"+strconv.Itoa(id)+"/assessments", "OSCE/ODIHR", assess)
		a, _ := body["assessment"].(map[string]any)
		if code != 201 || a["status"] != "fully" || a["proposed"] != true || !strings.Contains(a["reasoning"].(string), "(100.0 %") {
			t.Fatalf("assess from proposal: %d %v", code, body)
		}
		code, body = call(t, "GET", u+"/summary?country=KZ", "", nil)
		c22 := body["assessments"].([]any)[0].(map[string]any)["counts"].(map[string]any)
		if code != 200 || c22["fully"] != 3.0 || c22["partially"] != 15.0 {
			t.Errorf("after assessing, 2022 counts %v", c22)
		}

		// Creating a mission, a report, a recommendation; errors are 400
		// with the field.
		mission := map[string]any{"key": "kz-2024-referendum-eam", "country": "KZ", "type": "assessment", "name": "ODIHR EAM, Referendum 2024", "organisation": "OSCE/ODIHR"}
		if code, body := call(t, "POST", u+"/missions", "OSCE/ODIHR", mission); code != 201 {
			t.Fatalf("mission: %d %v", code, body)
		}
		if code, body := call(t, "POST", u+"/missions", "OSCE/ODIHR", mission); code != 400 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "already exists") {
			t.Errorf("duplicate mission: %d %v", code, body)
		}
		report := map[string]any{"key": "kz-2024-final", "mission": "kz-2024-referendum-eam", "kind": "final", "date": "2024-12-01"}
		if code, body := call(t, "POST", u+"/reports", "OSCE/ODIHR", report); code != 201 {
			t.Fatalf("report: %d %v", code, body)
		}
		rec := map[string]any{"report": "kz-2024-final", "number": "1", "text": "Publish results by polling station.", "area": "publication_results",
			"priority": true, "repeats": []string{ref23}}
		if code, body := call(t, "POST", u, "Another NGO", rec); code != 403 {
			t.Errorf("recommendation by another organisation: %d %v", code, body)
		}
		rec["area"] = "weather"
		if code, body := call(t, "POST", u, "OSCE/ODIHR", rec); code != 400 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "area") {
			t.Errorf("bad area: %d %v", code, body)
		}
		rec["area"] = "publication_results"
		code, body = call(t, "POST", u, "OSCE/ODIHR", rec)
		if code != 201 {
			t.Fatalf("recommendation: %d %v", code, body)
		}
		newID := int(body["recommendation"].(map[string]any)["id"].(float64))

		// Import a file through the API: staff of every organisation it
		// touches; a bad line imports nothing and says where.
		csvBody := "record,recommendation,report,status,reasoning\nassessment," + ref23 + ",kz-2024-final,partially,Results by district only.\n"
		for _, c := range []struct {
			org  string
			body string
			want int
		}{
			{"", csvBody, 401},
			{"Another NGO", csvBody, 403},
			{"OSCE/ODIHR", strings.Replace(csvBody, "partially", "somewhat", 1), 400},
			{"OSCE/ODIHR", csvBody, 201},
		} {
			req, _ := http.NewRequest("POST", u+"/import", strings.NewReader(c.body))
			req.Header.Set("Content-Type", "text/csv")
			if c.org != "" {
				req.Header.Set("X-Test-Org", c.org)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("import as %q: %d, want %d: %s", c.org, resp.StatusCode, c.want, b)
			}
			if c.want == 400 && !strings.Contains(string(b), "request body:2:") {
				t.Errorf("import error without its line: %s", b)
			}
		}
		if _, body := call(t, "GET", u+"/"+strconv.Itoa(newID), "", nil); len(body["history"].([]any)) != 4 {
			t.Errorf("the new recommendation's history: %v", body["history"])
		}
	})
}

func TestRecommendationsPages(t *testing.T) {
	srv := recServer(t, storetest.SQLite(t), headerStaff)
	for path, want := range map[string]string{
		"/recommendations":            "Countries at their latest assessment",
		"/recommendations?country=KZ": "Of 36 prior recommendations, 3 were fully implemented, 3 mostly, 24 partially and 6 not implemented.",
		"/recommendations/1":          "History across electoral cycles",
	} {
		code, body := get(t, srv.URL+path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, missing %q", path, code, want)
		}
	}
	code, body := get(t, srv.URL+"/recommendations?country=KZ")
	if code != 200 || !strings.Contains(body, "disaggregated election results") || !strings.Contains(body, "By area, with the history of each") {
		t.Errorf("country page lacks the recommendations")
	}
	// In Russian: the page's words and the counts, the recommendations' own
	// texts as they were written.
	code, body = get(t, srv.URL+"/recommendations?country=KZ&lang=ru")
	for _, want := range []string{"Рекомендации: KZ", "Из 36 прежних рекомендаций: выполнено полностью — 3, в основном — 3, частично — 24, не выполнено — 6, не оценено — 0.",
		"Публикация результатов", "выполнена частично", "disaggregated election results",
		"Миссии и их отчёты", "заявление о предварительных выводах и заключениях"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("Russian country page lacks %q", want)
		}
	}
	// Drafts quote unpublished findings: the public sees no link to them,
	// the mission's staff do.
	if strings.Contains(body, "/draft?kind=") {
		t.Error("the public page links to the drafts, which answer 401 to the public")
	}
	dreq, _ := http.NewRequest("GET", srv.URL+"/recommendations?country=KZ", nil)
	dreq.Header.Set("X-Test-Org", "OSCE/ODIHR")
	if resp, err := http.DefaultClient.Do(dreq); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "/recommendations/missions/kz-2023-parliamentary-eom/draft?kind=final") {
			t.Error("the mission's staff see no link to its drafts")
		}
	}
	if strings.Contains(body, "rec.") {
		t.Errorf("a message key shows on the Russian page")
	}
	if code, _ := get(t, srv.URL+"/recommendations/missions/kz-2022-presidential-eom/draft?kind=final"); code != 401 {
		t.Errorf("anonymous draft: %d", code)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/recommendations/missions/kz-2022-presidential-eom/draft?kind=final", nil)
	req.Header.Set("X-Test-Org", "OSCE/ODIHR")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"Of 30 prior recommendations", "polling stations (100.0\u00a0%).", "not computed"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	// In the reader's language, as every page (issue 12: Kazakh).
	req, _ = http.NewRequest("GET", srv.URL+"/recommendations/missions/kz-2022-presidential-eom/draft?kind=final&lang=kk", nil)
	req.Header.Set("X-Test-Org", "OSCE/ODIHR")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`<html lang="kk">`, "Қорытынды есеп — жоба", "Бұрынғы ұсынымдар: 30;"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Kazakh draft lacks %q", want)
		}
	}
	if chromium.Find(os.Getenv) == "" {
		t.Log("no Chromium: the PDF draft is not tested")
		return
	}
	req, _ = http.NewRequest("GET", srv.URL+"/recommendations/missions/kz-2022-presidential-eom/draft?kind=statement&format=pdf", nil)
	req.Header.Set("X-Test-Org", "OSCE/ODIHR")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("PDF draft: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), b[:min(len(b), 40)])
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The server as vigil serve builds it has no staff login yet: every write
// is refused, reads work.
func TestRecommendationsWritesNeedLogin(t *testing.T) {
	db := storetest.SQLite(t)
	if _, err := demo.SeedRecommendations(context.Background(), db, demo.RecommendationOptions{}); err != nil {
		t.Fatal(err)
	}
	h, err := web.New(db, web.Options{Chromium: chromium.Find(os.Getenv)})
	h.HealthRoutes()
	Mount(h)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	if code, _ := call(t, "GET", srv.URL+"/api/v1/recommendations/summary?country=KZ", "", nil); code != 200 {
		t.Errorf("read: %d", code)
	}
	code, _ := call(t, "POST", srv.URL+"/api/v1/recommendations/1/assessments", "OSCE/ODIHR", map[string]any{"report": "kz-2023-parliamentary-final", "status": "fully"})
	if code != 401 {
		t.Errorf("write without a login: %d", code)
	}
}
