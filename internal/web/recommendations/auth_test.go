package recommendations_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestRecommendationWritesNeedStaff checks the real staff rule on the
// recommendation writes: the administrator and analyst of the owning
// organisation may write; a coordinator, an observer, another
// organisation's analyst and the public may not.
func TestRecommendationWritesNeedStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		mission := func(key string) map[string]any {
			return map[string]any{"key": key, "country": "KZ", "type": "full", "name": "EOM " + key, "organisation": "Mission A"}
		}
		for _, c := range []struct {
			as   string
			want int
		}{
			{"", 401}, {"token:obs1", 403}, {"coordinator", 403}, {"analystB", 403}, {"analyst", 201}, {"admin", 201},
		} {
			code, body := fx.Do(t, c.as, "POST", "/api/v1/recommendations/missions", mission("m-"+c.as))
			if code != c.want {
				t.Errorf("as %q: %d, want %d (%v)", c.as, code, c.want, body)
			}
		}
		// Reading stays public.
		if code, _ := fx.Do(t, "", "GET", "/api/v1/recommendations?country=KZ", nil); code != 200 {
			t.Errorf("public read: %d", code)
		}
	})
}

// Assessments and proposals follow the same rule; proposals read the
// results core of the assessing mission's election through the real
// evidence sources.
func TestRecommendationAssessAndProposalsNeedStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		ctx := context.Background()
		if _, err := demo.SeedRecommendations(ctx, db, demo.RecommendationOptions{Organisation: "Mission A", Elections: map[int]string{2023: fx.El.Name}}); err != nil {
			t.Fatal(err)
		}
		ds, err := db.Recommendations(ctx, "KZ")
		if err != nil {
			t.Fatal(err)
		}
		id := recommend.NewIndex(ds).Recs["kz-2022-presidential-final#1"].ID
		path := "/api/v1/recommendations/" + strconv.FormatInt(id, 10) + "/assessments"
		body := map[string]any{"report": "kz-2023-parliamentary-final", "status": "mostly", "reasoning": "revised"}
		for _, c := range []struct {
			as   string
			want int
		}{
			{"", 401}, {"coordinator", 403}, {"analystB", 403}, {"token:obs1", 403}, {"analyst", 201}, {"admin", 201},
		} {
			if code, out := fx.Do(t, c.as, "POST", path, body); code != c.want {
				t.Errorf("assess as %q: %d, want %d: %v", c.as, code, c.want, out)
			}
		}
		// Who may not write learns nothing of the body's faults.
		if code, _ := fx.Do(t, "", "POST", path, map[string]any{"report": "nonsense", "status": "maybe"}); code != 401 {
			t.Errorf("anonymous with a bad body: %d, want 401", code)
		}
		if code, _ := fx.Do(t, "coordinator", "POST", "/api/v1/recommendations/import", "not json"); code != 403 {
			t.Errorf("coordinator import with a bad body: %d, want 403", code)
		}
		const proposals = "/api/v1/recommendations/proposals?report=kz-2023-parliamentary-final"
		if code, _ := fx.Do(t, "", "GET", proposals, nil); code != 401 {
			t.Errorf("public proposals: %d", code)
		}
		if code, _ := fx.Do(t, "analystB", "GET", proposals, nil); code != 403 {
			t.Errorf("another organisation's proposals: %d", code)
		}
		code, out := fx.Do(t, "analyst", "GET", proposals, nil)
		var reasons []string
		list, _ := out["proposals"].([]any)
		for _, p := range list {
			if m, ok := p.(map[string]any); ok {
				reasons = append(reasons, m["reasoning"].(string))
			}
		}
		if code != 200 || !strings.Contains(strings.Join(reasons, " "), "polling stations of "+fx.El.Name) {
			t.Errorf("proposals: %d %v", code, out)
		}
	})
}
