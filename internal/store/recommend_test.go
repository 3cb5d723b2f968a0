package store_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

func TestRecommendationsSeedSummaryRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st, err := demo.SeedRecommendations(ctx, db, demo.RecommendationOptions{Elections: map[int]string{2022: "test-2022"}})
		if err != nil {
			t.Fatal(err)
		}
		if st.Recommendations != 98 || st.Missions != 4 || st.Assessments != 66 {
			t.Fatalf("seeded %+v", st)
		}
		if st, err := demo.SeedRecommendations(ctx, db, demo.RecommendationOptions{}); err != nil || st.Missions != 0 {
			t.Fatalf("a second seed: %+v %v", st, err)
		}
		ds, err := db.Recommendations(ctx, "kz")
		if err != nil {
			t.Fatal(err)
		}
		s := recommend.Summarise(ds, "KZ")
		if want := (recommend.Counts{Fully: 3, Mostly: 3, Partially: 24, Not: 6}); len(s.Assessments) != 2 || s.Assessments[1].Counts != want {
			t.Fatalf("summary %+v", s.Assessments)
		}
		// The history of a 2023 recommendation reaches back to 2021 from
		// the database, with ids.
		x := recommend.NewIndex(ds)
		h := x.History("kz-2023-parliamentary-final#1")
		if len(h) != 3 || h[0].Recommendation.ID == 0 || h[0].Assessments[0].Status == "" {
			t.Fatalf("history %+v", h)
		}
		ref, country, err := db.RecommendationRef(ctx, h[1].Recommendation.ID)
		if err != nil || ref != h[1].Ref || country != "KZ" {
			t.Fatalf("ref %q %q %v", ref, country, err)
		}
		// Export, import into a fresh database, export again: the same bytes.
		for _, f := range []recommend.Format{recommend.JSON, recommend.CSV} {
			var a bytes.Buffer
			if err := recommend.Write(&a, ds, f); err != nil {
				t.Fatal(err)
			}
			other := storetest.SQLite(t)
			in, err := recommend.Read(bytes.NewReader(a.Bytes()), "x."+string(f), f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := recommend.Import(ctx, other, in); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			back, err := other.Recommendations(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			recommend.Write(&b, back, f)
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s: export → import → export differs", f)
			}
		}
	})
}

func TestRecommendationImportAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ds := demo.RecommendationsDataset(demo.RecommendationOptions{})
		var buf bytes.Buffer
		recommend.WriteCSV(&buf, ds)
		// Break the last line: an assessment of a recommendation that does
		// not exist. Nothing of the file may stay.
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		last := len(lines)
		lines[last-1] = strings.Replace(lines[last-1], "kz-2022-presidential-final#", "kz-2022-presidential-final#9", 1)
		in, err := recommend.ReadCSV([]byte(strings.Join(lines, "\n")+"\n"), "broken.csv")
		if err != nil {
			t.Fatal(err)
		}
		_, err = recommend.Import(ctx, db, in)
		if err == nil || !strings.Contains(err.Error(), "broken.csv:"+strconv.Itoa(last)+":") {
			t.Fatalf("want an error at broken.csv:%d, got %v", last, err)
		}
		got, err := db.Recommendations(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Missions)+len(got.Reports)+len(got.Recommendations)+len(got.Assessments) != 0 {
			t.Fatalf("a failed import left records: %d missions", len(got.Missions))
		}
	})
}

func TestAssessReplaces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := demo.SeedRecommendations(ctx, db, demo.RecommendationOptions{}); err != nil {
			t.Fatal(err)
		}
		a := &recommend.Assessment{Recommendation: "kz-2022-presidential-final#1", ReportKey: "kz-2023-parliamentary-final",
			Status: recommend.Fully, Reasoning: "revised", Proposed: true}
		if err := recommend.Assess(ctx, db, a); err != nil {
			t.Fatal(err)
		}
		ds, _ := db.Recommendations(ctx, "KZ")
		x := recommend.NewIndex(ds)
		as := x.Assessed["kz-2022-presidential-final#1"]
		if len(as) != 1 || as[0].Status != recommend.Fully || as[0].Reasoning != "revised" || !as[0].Proposed {
			t.Fatalf("assessments %+v", as)
		}
		if err := recommend.Assess(ctx, db, &recommend.Assessment{Recommendation: "kz-2023-parliamentary-final#1", ReportKey: "kz-2021-parliamentary-final", Status: recommend.Fully}); err == nil {
			t.Fatal("an earlier report assessed a later recommendation")
		}
	})
}

func TestStationCoverage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		rows := []store.Row{station(2, []int64{10, 20}, "R1", "S1"), station(3, []int64{5, 5}, "R1", "S2"), station(4, []int64{1, 2}, "R2", "S3")}
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "f.csv", Options: []string{"A", "B"}}, storetest.Rows(rows[:2])); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.Observer, File: "o.csv", Options: []string{"A", "B"}}, storetest.Rows(rows[2:])); err != nil {
			t.Fatal(err)
		}
		c, err := db.StationCoverage(ctx, e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if want := (recommend.StationCoverage{Election: e.Name, Found: true, Stations: 3, WithOfficial: 2, WithFinal: 2}); c != want {
			t.Fatalf("coverage %+v, want %+v", c, want)
		}
		if c, err := db.StationCoverage(ctx, "nope"); err != nil || c.Found {
			t.Fatalf("absent election: %+v %v", c, err)
		}
	})
}
