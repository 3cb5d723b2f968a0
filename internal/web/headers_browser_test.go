package web_test

import (
	"testing"

	"github.com/vigil-elections/vigil/internal/browsertest"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestCSPEnforcedInBrowser: Chromium applies the pages' Content-Security-
// Policy: an injected inline script does not run and is reported as a
// violation (eval is not tried: DevTools' evaluation bypasses CSP). The
// other browser tests (portal with htmx and Leaflet, dashboard, offline
// form) run under the same policy.
func TestCSPEnforcedInBrowser(t *testing.T) {
	b := browsertest.Start(t)
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	p := b.Page(t)
	p.Navigate(fx.Srv.URL + "/login")
	got := browsertest.Eval[string](p, `new Promise(ok => {
  const seen = [];
  document.addEventListener("securitypolicyviolation", e => seen.push(e.violatedDirective));
  const s = document.createElement("script");
  s.textContent = "window.injected = 1";
  document.body.appendChild(s);
  setTimeout(() => ok((window.injected === undefined ? "blocked" : "ran") + " " + seen.join(",")), 200);
})`)
	if got != "blocked script-src-elem" && got != "blocked script-src" {
		t.Errorf("in the browser: %q, want the inline script blocked", got)
	}
}
