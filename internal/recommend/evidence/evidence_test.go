package evidence_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/recommend/evidence"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// The demo election has observers' copies at some stations, some of them
// altered in the official protocols: the comparison finds them.
func TestIntegrityFromStoredResults(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	el := demo.Generate(7, demo.Params{Stations: 400, ObservedShare: 0.2})
	if _, err := demo.Write(ctx, db, el); err != nil {
		t.Fatal(err)
	}
	src := evidence.Sources(db)
	items, err := src.Integrity.Integrity(ctx, demo.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || !strings.Contains(items[0].Result, "stations compared") || !strings.Contains(items[0].Figure, "stations differ") {
		t.Fatalf("items %+v", items)
	}
	// The drafts' phrase says in English what compare says, and in
	// Russian and Kazakh something else.
	if en := recommend.Say("en", items[0].ResultWords); en != items[0].Result {
		t.Errorf("the phrase in English:\n%s\ncompare's sentence:\n%s", en, items[0].Result)
	}
	for _, lang := range []string{"ru", "kk"} {
		if tr := recommend.Say(lang, items[0].ResultWords); tr == items[0].Result || strings.Contains(tr, "stations compared") {
			t.Errorf("%s: %s", lang, tr)
		}
	}
	if !strings.HasPrefix(items[1].Result, "not computed") || !strings.HasPrefix(items[2].Result, "not computed") {
		t.Errorf("PVT and forensics claim results: %+v", items[1:])
	}
	if _, err := src.Integrity.Integrity(ctx, "absent"); !errors.Is(err, recommend.ErrNotComputed) {
		t.Errorf("absent election: %v", err)
	}
	c, err := src.Results.StationCoverage(ctx, demo.Name)
	if err != nil || !c.Found || c.Stations == 0 || c.WithOfficial != c.Stations {
		t.Errorf("coverage %+v %v", c, err)
	}
}
