package browsertest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/browsertest"
)

func TestAuditFindsFaults(t *testing.T) {
	b := browsertest.Start(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/good" {
			io.WriteString(w, `<!doctype html><html lang="en"><title>ok</title><main><h1>Fine</h1><h2>Part</h2><table><caption>c</caption></table><label for="q">Q</label><input id="q"><a href="/">home</a></main></html>`)
			return
		}
		io.WriteString(w, `<!doctype html><html><title>bad</title><h2>No h1</h2><h4>skip</h4><img src="x.png"><table></table><input name="q"><a href="/"></a><p id="d"></p><p id="d"></p></html>`)
	}))
	defer srv.Close()
	p := b.Page(t)
	p.Navigate(srv.URL + "/good")
	if f := p.Audit(); len(f) != 0 {
		t.Fatalf("a sound page has faults: %v", f)
	}
	p.Navigate(srv.URL + "/bad")
	got := strings.Join(p.Audit(), "\n")
	for _, want := range []string{"no lang", "no <main>", "not an h1", "heading level skipped", "img without alt", "table without caption", "without a label: q", "link or button without a name", "duplicate id d"} {
		if !strings.Contains(got, want) {
			t.Errorf("the audit missed %q; it found:\n%s", want, got)
		}
	}
	// Typing fires input events; offline, fetch fails and navigator.onLine
	// says so; back online, both recover.
	p.Navigate(srv.URL + "/good")
	p.Type("#q", "abc")
	if v := browsertest.Eval[string](p, `document.getElementById("q").value`); v != "abc" {
		t.Errorf("typed %q", v)
	}
	p.Offline(true)
	if got := browsertest.Eval[string](p, `fetch("/good").then(() => "online", () => "failed").then(r => r + " " + navigator.onLine)`); got != "failed false" {
		t.Errorf("offline: %s", got)
	}
	p.Offline(false)
	if got := browsertest.Eval[string](p, `fetch("/good").then(() => "online", () => "failed").then(r => r + " " + navigator.onLine)`); got != "online true" {
		t.Errorf("back online: %s", got)
	}
	p.Phone()
	if w := browsertest.Eval[int](p, `screen.width`); w != 375 {
		t.Errorf("phone width %d", w)
	}
	p.Screenshot("bad")
}
