package web

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestNavCacheAsTheTemplate: enav gives, for any sequence of
// elections, titles and current pages, in every language, what the
// template "enav" gives.
func TestNavCacheAsTheTemplate(t *testing.T) {
	s, err := New(storetest.SQLite(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	els := []*election.Election{{ID: 1, Name: "a"}, {ID: 2, Name: "b"}, {ID: 1, Name: "a", Config: election.Config{Title: "A <renamed>"}}}
	for tag, tmpl := range s.portal.langs.pages {
		nc := &navCache{t: tmpl}
		for round := range 2 {
			for _, e := range append(els, nil) {
				for _, cur := range []string{"nav.results", "nav.map", "nav.data", ""} {
					c := s.Common(r, e, "x", cur)
					got, err := nc.render(c)
					if err != nil {
						t.Fatal(err)
					}
					var want bytes.Buffer
					if err := tmpl.ExecuteTemplate(&want, "enav", c); err != nil {
						t.Fatal(err)
					}
					if string(got) != want.String() {
						t.Errorf("%s, round %d, election %v, current %q:\n%s\nwant\n%s", tag, round, e, cur, got, want.String())
					}
				}
			}
		}
	}
}
