package web_test

import (
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestRecommendationWritesNeedStaff checks the real staff rule on the
// recommendation writes: the administrator and analyst of the owning
// organisation may write; a coordinator, an observer, another
// organisation's analyst and the public may not.
func TestRecommendationWritesNeedStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newObsFixture(t, db)
		mission := func(key string) map[string]any {
			return map[string]any{"key": key, "country": "KZ", "type": "full", "name": "EOM " + key, "organisation": "Mission A"}
		}
		for _, c := range []struct {
			as   string
			want int
		}{
			{"", 401}, {"token:obs1", 403}, {"coordinator", 403}, {"analystB", 403}, {"analyst", 201}, {"admin", 201},
		} {
			code, body := fx.do(t, c.as, "POST", "/api/v1/recommendations/missions", mission("m-"+c.as))
			if code != c.want {
				t.Errorf("as %q: %d, want %d (%v)", c.as, code, c.want, body)
			}
		}
		// Reading stays public.
		if code, _ := fx.do(t, "", "GET", "/api/v1/recommendations?country=KZ", nil); code != 200 {
			t.Errorf("public read: %d", code)
		}
	})
}
