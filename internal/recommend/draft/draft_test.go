package draft_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/chromium"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/pdf"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/recommend/draft"
)

// demoDataset is the recommendations' demo dataset, its 2023 missions
// naming the election kz-2023 (the sources below answer for it).
func demoDataset(t *testing.T) *recommend.Dataset {
	t.Helper()
	ds := demo.RecommendationsDataset(demo.RecommendationOptions{Elections: map[int]string{2023: "kz-2023"}})
	if err := recommend.Check(&recommend.Dataset{}, ds); err != nil {
		t.Fatalf("the demo dataset does not check: %v", err)
	}
	return ds
}

type fakeResults map[string]recommend.StationCoverage

func (f fakeResults) StationCoverage(_ context.Context, e string) (recommend.StationCoverage, error) {
	c, ok := f[e]
	if !ok {
		return recommend.StationCoverage{Election: e}, nil
	}
	c.Election, c.Found = e, true
	return c, nil
}

type fakeFindings map[string][]recommend.Indicator

func (f fakeFindings) Indicators(_ context.Context, e, org string) ([]recommend.Indicator, error) {
	if org != "OSCE/ODIHR" {
		return nil, nil
	}
	return f[e], nil
}

type fakeIntegrity struct{ items []recommend.IntegrityItem }

func (f fakeIntegrity) Integrity(context.Context, string) ([]recommend.IntegrityItem, error) {
	if f.items == nil {
		return nil, recommend.ErrNotComputed
	}
	return f.items, nil
}

func TestStatementDraftSaysWhatIsMissing(t *testing.T) {
	ds := demoDataset(t)
	ctx := context.Background()
	d, err := recommend.BuildDraft(ctx, ds, "kz-2023-parliamentary-eom", recommend.StatementDraft, recommend.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := draft.WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	for _, want := range []string{"observation findings: not available", "results: not available", "integrity results", "not computed"} {
		if !strings.Contains(out, want) {
			t.Errorf("the statement does not say %q", want)
		}
	}
	// No figure without a source: the page has no table.
	if strings.Contains(out, "<table>") {
		t.Error("a statement without sources has a table of figures")
	}

	src := recommend.Sources{
		Results:   fakeResults{"kz-2023": {Stations: 400, WithOfficial: 380, WithFinal: 380}},
		Findings:  fakeFindings{"kz-2023": {{Code: recommend.IndicatorObserversRestricted, Label: "Observers restricted during the count", Count: 12, Of: 240}}},
		Integrity: fakeIntegrity{items: []recommend.IntegrityItem{{Test: "Parallel vote tabulation", Result: "official turnout within the 95 % interval", Figure: "61.2\u00a0% ± 1.1"}}},
	}
	d, err = recommend.BuildDraft(ctx, ds, "kz-2023-parliamentary-eom", recommend.StatementDraft, src)
	if err != nil {
		t.Fatal(err)
	}
	html.Reset()
	if err := draft.WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	out = html.String()
	for _, want := range []string{"12 of 240 observed (5.0\u00a0%)", "Official results are available for 380 of 400 polling stations (95.0\u00a0%).", "61.2\u00a0% ± 1.1",
		// On 19 March 2023 the 36 of 2022 were open (2 of 2021 closed as fully implemented).
		"On 2023-03-19, 36 recommendations of earlier reports to KZ were open (not found fully implemented), 8 of them priority recommendations; 36 had not been assessed.",
		"Final Report (2023-02-24): Of 30 prior recommendations, 2 were fully implemented"} {
		if !strings.Contains(out, want) {
			t.Errorf("the statement does not say %q", want)
		}
	}
	if strings.Contains(out, `class="missing"`) {
		t.Error("says not computed with every source present")
	}
}
func TestPrintPDF(t *testing.T) {
	browser := chromium.Find(os.Getenv)
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium: in CI the PDF test must run")
		}
		t.Skip("no Chromium (set VIGIL_CHROMIUM): PDF printing not tested")
	}
	// Each language: Kazakh's letters are where the fonts went wrong.
	for _, lang := range recommend.DraftLangs {
		t.Run(lang, func(t *testing.T) { printDraft(t, browser, lang) })
	}
}

// printDraft prints the final report's draft in a language and checks the
// PDF: A4, and every glyph from one font family with no synthetic font. A
// Kazakh draft in Georgia/Liberation Serif took ә, қ, ұ … from DejaVu Sans,
// and its bold headings from a Type 3 font Chromium drew for them.
func printDraft(t *testing.T, browser, lang string) {
	d, err := recommend.BuildDraftIn(context.Background(), demoDataset(t), "kz-2023-parliamentary-eom", recommend.FinalDraft, recommend.Sources{}, lang)
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := draft.WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "final.pdf")
	if err := pdf.Print(context.Background(), browser, html.Bytes(), out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b[:min(len(b), 20)])
	}
	// A4 is 210 × 297 mm, 595.28 × 841.89 points; US Letter would be 612 × 792.
	m := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the PDF states no page size (/MediaBox)")
	}
	wpt, _ := strconv.ParseFloat(string(m[1]), 64)
	hpt, _ := strconv.ParseFloat(string(m[2]), 64)
	if math.Abs(wpt-595.28) > 1 || math.Abs(hpt-841.89) > 1 {
		t.Errorf("page is %.2f × %.2f pt, want A4 (595.28 × 841.89)", wpt, hpt)
	}
	// Chromium (Skia) writes font dictionaries uncompressed: /BaseFont
	// /AAAAAA+DejaVuSerif-Bold for a subset of DejaVu Serif Bold.
	if bytes.Contains(b, []byte("/Type3")) {
		t.Error("the PDF has a Type 3 font: a glyph drawn by Chromium, not taken from a font")
	}
	families := map[string]bool{}
	for _, f := range regexp.MustCompile(`/BaseFont\s*/(?:[A-Z]{6}\+)?([A-Za-z]+)`).FindAllSubmatch(b, -1) {
		families[string(f[1])] = true
	}
	if len(families) != 1 {
		t.Errorf("the text is set in %d font families, want one: %v", len(families), families)
	}
}

// TestDraftInKazakh: a final report drafted in Kazakh (and Russian) has
// none of the English draft's own words: headings, table heads, gaps,
// the sentences vigil writes; what it quotes (recommendations) stays.
func TestDraftInKazakh(t *testing.T) {
	src := recommend.Sources{
		Results:   fakeResults{"kz-2023": {Stations: 400, WithOfficial: 380, WithFinal: 380}},
		Findings:  fakeFindings{"kz-2023": {{Code: recommend.IndicatorObserversRestricted, Label: "Observers restricted during the count", Count: 12, Of: 240}}},
		Integrity: fakeIntegrity{},
	}
	english := []string{"Executive summary", "to be written by the core team", "Annex:", "Finding", "Source", "Fully", "Not assessed",
		"Prior recommendations", "Drafted by vigil", "observed (", "Official results are available", "Polling stations",
		"not computed", "vigil's evidence suggests", "were open", "no. ", "(priority)", "implemented", "Publication of results", "Election day"}
	for lang, want := range map[string][]string{
		"kk": {`<html lang="kk">`, "Қорытынды есеп — жоба", "Түйіндеме", "Нәтижелерді жариялау", "байқалған 240 учаскенің 12-і (5,0\u00a0%)",
			"Ресми нәтижелер 400 сайлау учаскесінің 380-і бойынша қолжетімді (95,0\u00a0%).", "Бұрынғы ұсынымдар: 36; толық орындалды — 3"},
		"ru": {`<html lang="ru">`, "Окончательный отчёт — проект", "Резюме", "12 из 240 наблюдавшихся (5,0\u00a0%)", "Прежних рекомендаций: 36; выполнена полностью — 3"},
	} {
		for _, kind := range []recommend.DraftKind{recommend.FinalDraft, recommend.StatementDraft} {
			d, err := recommend.BuildDraftIn(context.Background(), demoDataset(t), "kz-2023-parliamentary-eom", kind, src, lang)
			if err != nil {
				t.Fatal(err)
			}
			var html bytes.Buffer
			if err := draft.WriteHTML(&html, d); err != nil {
				t.Fatal(err)
			}
			out := html.String()
			if kind == recommend.FinalDraft {
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("%s %s lacks %q", lang, kind, w)
					}
				}
			}
			// The recommendations are quoted as recorded: drop them
			// before looking for English.
			body := regexp.MustCompile(`(?s)<ul class="recs">.*?</ul>|<style>.*?</style>|<title>.*?</title>`).ReplaceAllString(out, "")
			body = strings.ReplaceAll(body, "Observers restricted during the count", "")
			for _, e := range english {
				if strings.Contains(body, e) {
					t.Errorf("%s %s: English %q left in the draft", lang, kind, e)
				}
			}
		}
	}
	if d, _ := recommend.BuildDraftIn(context.Background(), demoDataset(t), "kz-2023-parliamentary-eom", recommend.StatementDraft, recommend.Sources{}, "de"); d.Lang != "en" {
		t.Errorf("German: %s, want English", d.Lang)
	}
}

// TestDraftNamesUntitledReports: a report recorded without a title is
// named by its kind in the draft's language, not by the English code.
func TestDraftNamesUntitledReports(t *testing.T) {
	ds := demoDataset(t)
	for _, r := range ds.Reports {
		r.Title = ""
	}
	for lang, want := range map[string]string{"en": " final report, no. ", "ru": ", окончательный отчёт, № ", "kk": ", қорытынды есеп, № "} {
		d, err := recommend.BuildDraftIn(context.Background(), ds, "kz-2023-parliamentary-eom", recommend.FinalDraft, recommend.Sources{}, lang)
		if err != nil {
			t.Fatal(err)
		}
		var html bytes.Buffer
		if err := draft.WriteHTML(&html, d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html.String(), want) {
			t.Errorf("%s: no %q in the draft", lang, want)
		}
	}
}
