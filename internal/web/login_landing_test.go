package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// Staff who log in without a destination land on the dashboard; a
// destination given is kept.
func TestLoginLanding(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	for _, c := range []struct{ next, want string }{{"", "/dashboard/"}, {"/observe/", "/observe/"}, {"//evil.example", "/observe/"}} {
		client := &http.Client{Jar: &webtest.CookieJar{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.PostForm(fx.Srv.URL+"/login", url.Values{"username": {"analyst"}, "password": {webtest.Password}, "next": {c.next}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, c.want) {
			t.Errorf("next %q: %d to %q, want %q", c.next, resp.StatusCode, loc, c.want)
		}
	}
}
