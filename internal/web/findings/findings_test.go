package findings_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestPublishFindings: only an administrator or analyst publishes, the
// publication is public, frozen, and of the publisher's organisation only.
func TestPublishFindings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		path := fmt.Sprintf("/api/v1/elections/%d/findings/publish", fx.El.ID)
		for _, c := range []struct {
			as   string
			want int
		}{{"", 401}, {"token:obs1", 403}, {"coordinator", 403}, {"analyst", 201}} {
			if code, body := fx.Do(t, c.as, "POST", path, nil); code != c.want {
				t.Errorf("publish as %q: %d, want %d (%v)", c.as, code, c.want, body)
			}
		}
		code, body := fx.Do(t, "", "GET", fmt.Sprintf("/api/v1/elections/%d/findings/published", fx.El.ID), nil)
		list, _ := body["published"].([]any)
		if code != 200 || len(list) != 1 {
			t.Fatalf("published list: %d %v", code, body)
		}
		first := list[0].(map[string]any)
		if first["organisation"] != "Mission A" {
			t.Errorf("publication of %v", first["organisation"])
		}
		id := int(first["id"].(float64))
		code, body = fx.Do(t, "", "GET", fmt.Sprintf("/api/v1/elections/%d/findings/published/%d", fx.El.ID, id), nil)
		if code != 200 || body["findings"] == nil {
			t.Fatalf("one publication: %d %v", code, body)
		}
		code, body = fx.Do(t, "", "GET", fmt.Sprintf("/elections/%d/findings/%d", fx.El.ID, id), nil)
		if raw, _ := body["raw"].(string); code != 200 || !strings.Contains(raw, "Mission A") {
			t.Fatalf("statement page: %d", code)
		}
		code, body = fx.Do(t, "", "GET", fmt.Sprintf("/elections/%d/findings", fx.El.ID), nil)
		if raw, _ := body["raw"].(string); code != 200 || !strings.Contains(raw, fmt.Sprintf("/findings/%d", id)) {
			t.Fatalf("findings page: %d %v", code, body)
		}
		if code, _ := fx.Do(t, "", "GET", fmt.Sprintf("/elections/%d/findings/999", fx.El.ID), nil); code != 404 {
			t.Errorf("a missing publication: %d", code)
		}
	})
}
