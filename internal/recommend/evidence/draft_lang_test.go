package evidence_test

import (
	"bytes"
	"context"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/recommend/draft"
	"github.com/vigil-elections/vigil/internal/recommend/evidence"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// englishRun is a run of three or more Latin-alphabet words: an English
// sentence or phrase. Names and codes (a candidate's two names,
// "kz-2022-demo", "vigil compare", "OSCE/ODIHR") are shorter. A run stays
// within a line: the draft's elements become lines.
var englishRun = regexp.MustCompile(`[A-Za-z][A-Za-z'’-]*(?:[ \t\x{00a0},;:()"«»./–—]+[A-Za-z][A-Za-z'’-]*){2,}`)

// TestDraftsHaveNoEnglishSentence drafts every mission's statement and
// final report in Russian and Kazakh from real sources (a demo election
// with observers' reports and protocol copies, so that every part has
// figures: findings, results, the comparison of copies, proposals), and
// finds no English sentence in them but the records they quote
// (recommendations, assessments, names of missions and reports).
func TestDraftsHaveNoEnglishSentence(t *testing.T) {
	storetest.Each(t, draftsHaveNoEnglishSentence)
}

func draftsHaveNoEnglishSentence(t *testing.T, db *store.DB) {
	ctx := context.Background()
	sum := seedObserved(t, db, 400)
	ds := demo.RecommendationsDataset(demo.RecommendationOptions{Organisation: sum.Organisation,
		// 2021's missions name an election vigil does not hold: the
		// drafts say so, in their language.
		Elections: map[int]string{2021: "absent-election", 2022: demo.Name, 2023: demo.Name}})
	var records []string
	for _, m := range ds.Missions {
		records = append(records, m.Name)
	}
	for _, r := range ds.Reports {
		records = append(records, r.Title)
	}
	for _, r := range ds.Recommendations {
		records = append(records, r.Text)
	}
	for _, a := range ds.Assessments {
		records = append(records, a.Reasoning)
	}
	// The longest first, so that a title inside a name goes with the name.
	slices.SortFunc(records, func(a, b string) int { return len(b) - len(a) })
	tags := regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]+>`)
	src := evidence.Sources(db)
	var suggests, compared, absent bool
	for _, lang := range []string{"ru", "kk"} {
		for _, m := range ds.Missions {
			for _, kind := range []recommend.DraftKind{recommend.StatementDraft, recommend.FinalDraft} {
				d, err := recommend.BuildDraftIn(ctx, ds, m.Key, kind, src, lang)
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := draft.WriteHTML(&b, d); err != nil {
					t.Fatal(err)
				}
				text := html.UnescapeString(tags.ReplaceAllString(b.String(), "\n"))
				lead, _, _ := strings.Cut(recommend.Say(lang, recommend.P("note.suggests", "\x00", "")), "\x00")
				suggests = suggests || strings.Contains(text, lead)
				compared = compared || strings.Contains(text, recommend.Say(lang, recommend.P("cmp.no_change")))
				absent = absent || strings.Contains(text, recommend.Say(lang, recommend.P("integ.not_in_core", "absent-election")))
				for _, r := range records {
					text = strings.ReplaceAll(text, r, "")
				}
				for _, e := range englishRun.FindAllString(text, -1) {
					t.Errorf("%s %s of %s: English %q", lang, kind, m.Key, e)
				}
			}
		}
	}
	// The parts that came in English before have been drafted.
	if !suggests || !compared || !absent {
		t.Errorf("the drafts lack a proposal (%v), the comparison of copies (%v) or the absent election (%v)", suggests, compared, absent)
	}
}
