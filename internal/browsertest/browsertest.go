// Package browsertest drives a real headless Chromium for vigil's
// end-to-end tests: start a browser, open pages, click, read the DOM,
// resize to a phone, save screenshots as test artefacts.
//
// Chromium comes from $VIGIL_CHROMIUM or /usr/bin/chromium (Debian's
// package). Without it the tests skip — except when CI=true, where they
// fail, since CI installs it. Screenshots go to $VIGIL_ARTIFACTS/<test>
// when that is set, else to the test's temporary directory; each path is
// logged.
//
// Typical use:
//
//	b := browsertest.Start(t)
//	p := b.Page(t)
//	p.Navigate(srv.URL + "/")
//	p.ClickNav(`a[href="/elections/1/areas/root"]`)
//	if n := browsertest.Eval[int](p, `document.querySelectorAll("td.diff").length`); n == 0 { … }
//	p.Screenshot("station")
package browsertest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vigil-elections/vigil/internal/chromium"
)

// Timeout bounds each action of a Page.
var Timeout = 30 * time.Second

// ExecPath returns the Chromium to run, or "" when there is none.
// It searches as the program does (package chromium).
func ExecPath() string { return chromium.Find(os.Getenv) }

// Browser is one headless Chromium shared by a test's pages.
type Browser struct {
	ctx       context.Context
	artefacts string
}

// Start launches Chromium with a fresh profile and stops it when the test
// ends. It skips the test when Chromium is absent, unless CI=true.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := ExecPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("browsertest: Chromium not found (set VIGIL_CHROMIUM or install chromium); CI=true requires it")
		}
		t.Skip("browsertest: Chromium not found (set VIGIL_CHROMIUM or apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		t.Fatalf("browsertest: starting %s: %v", path, err)
	}
	t.Cleanup(func() {
		bcancel()
		acancel()
	})
	dir := os.Getenv("VIGIL_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, safeName(t.Name()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &Browser{ctx: bctx, artefacts: dir}
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// Artefacts is the directory screenshots are saved in.
func (b *Browser) Artefacts() string { return b.artefacts }

// Page is one browser tab bound to a test.
type Page struct {
	t   testing.TB
	b   *Browser
	ctx context.Context
}

// Page opens a new tab, closed when the test ends. The viewport starts at
// 1280 × 900 (a desktop).
func (b *Browser) Page(t testing.TB) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil { // creates the tab; no timeout here
		cancel()
		t.Fatalf("browsertest: new tab: %v", err)
	}
	t.Cleanup(cancel)
	p := &Page{t: t, b: b, ctx: ctx}
	p.Desktop()
	return p
}

// Context returns the tab's chromedp context, for actions this package
// does not wrap; give it a timeout with WithTimeout.
func (p *Page) Context() context.Context { return p.ctx }

// Do runs chromedp actions on the tab within Timeout, failing the test on
// an error.
func (p *Page) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression in the page and returns its value
// decoded as T, failing the test on an error.
func Eval[T any](p *Page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("browser: evaluating %s: %v", abbrev(js), err)
	}
	return v
}

func abbrev(s string) string {
	if len(s) > 80 {
		return s[:77] + "…"
	}
	return s
}

// Navigate loads url and waits for the page to load; it fails the test on
// a status of 400 or more.
func (p *Page) Navigate(url string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		p.t.Fatalf("browser: navigating to %s: %v", url, err)
	}
	if resp != nil && resp.Status >= 400 {
		p.t.Fatalf("browser: %s: status %d", url, resp.Status)
	}
}

// ClickNav clicks the first element matching the CSS selector and waits
// for the navigation it starts.
func (p *Page) ClickNav(css string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(css)))
	if err != nil {
		p.t.Fatalf("browser: clicking %s: %v", css, err)
	}
	if resp != nil && resp.Status >= 400 {
		p.t.Fatalf("browser: clicking %s: status %d", css, resp.Status)
	}
}

// Click clicks the first visible element matching the CSS selector.
func (p *Page) Click(css string) {
	p.t.Helper()
	p.Do("clicking "+css, chromedp.Click(chromedp.CSS(css)))
}

// WaitVisible waits until an element matching the CSS selector is visible.
func (p *Page) WaitVisible(css string) {
	p.t.Helper()
	p.Do("waiting for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
}

// Text returns the visible text of the first element matching css.
func (p *Page) Text(css string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		p.t.Fatalf("browser: text of %s: %v", css, err)
	}
	return strings.TrimSpace(s)
}

// Location returns the page's URL.
func (p *Page) Location() string {
	p.t.Helper()
	return Eval[string](p, `location.href`)
}

// Phone sets a 375 × 812 touch viewport (an inexpensive phone).
func (p *Page) Phone() {
	p.t.Helper()
	p.Do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2), chromedp.EmulateMobile))
}

// Desktop sets a 1280 × 900 viewport.
func (p *Page) Desktop() {
	p.t.Helper()
	p.Do("desktop viewport", chromedp.EmulateViewport(1280, 900))
}

// Screenshot saves the viewport as <name>.png among the artefacts, logs its
// path and returns it.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	return p.shot(name, chromedp.CaptureScreenshot())
}

// FullScreenshot saves the whole page, not only the viewport.
func (p *Page) FullScreenshot(name string) string {
	p.t.Helper()
	return p.shot(name, chromedp.FullScreenshot(100))
}

func (p *Page) shot(name string, a chromedp.Action[[]byte]) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.b.artefacts, safeName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", path)
	return path
}

// ErrNoChromium is returned by Available when there is no browser.
var ErrNoChromium = errors.New("browsertest: Chromium not found")

// Available reports whether a browser can be started, for code that wants
// to decide before calling Start.
func Available() error {
	if ExecPath() == "" {
		return ErrNoChromium
	}
	return nil
}

// auditJS lists basic accessibility faults of the current page: no lang on
// <html>, no <main> or no <h1>, a heading level skipped, an image without
// alt, a table without a caption, a form control without a label, a link
// or button without a name, an id used twice. It is no substitute for a
// full audit, but catches what templates most often get wrong.
const auditJS = `(() => {
  const out = [];
  if (!document.documentElement.lang) out.push("html has no lang");
  if (!document.querySelector("main")) out.push("no <main> landmark");
  const hs = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")];
  if (!hs.length || hs[0].tagName !== "H1") out.push("the first heading is not an h1");
  for (let i = 1; i < hs.length; i++) {
    if (+hs[i].tagName[1] > +hs[i-1].tagName[1] + 1) out.push("heading level skipped before: " + hs[i].textContent.trim().slice(0, 40));
  }
  for (const img of document.querySelectorAll("img:not([alt])")) out.push("img without alt: " + img.src);
  for (const t of document.querySelectorAll("table")) if (!t.querySelector("caption") && !t.getAttribute("aria-label")) out.push("table without caption");
  for (const c of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const named = (c.id && document.querySelector('label[for="' + c.id + '"]')) || c.closest("label") || c.getAttribute("aria-label") || c.getAttribute("aria-labelledby");
    if (!named) out.push("form control without a label: " + (c.name || c.id));
  }
  for (const a of document.querySelectorAll("a[href], button")) if (!(a.textContent.trim() || a.getAttribute("aria-label") || a.getAttribute("title") || a.querySelector("img[alt]"))) out.push("link or button without a name: " + a.outerHTML.slice(0, 60));
  const ids = {};
  for (const e of document.querySelectorAll("[id]")) { if (ids[e.id]) out.push("duplicate id " + e.id); ids[e.id] = true; }
  return out;
})()`

// Audit returns the basic accessibility faults of the page (see auditJS);
// an empty slice when there are none.
func (p *Page) Audit() []string {
	p.t.Helper()
	return Eval[[]string](p, auditJS)
}

// Type focuses the first element matching css and types text into it, key
// by key (as a person would, so input events fire).
func (p *Page) Type(css, text string) {
	p.t.Helper()
	p.Do("typing into "+css, chromedp.SendKeys(chromedp.CSS(css), text))
}

// Offline cuts the tab off the network (offline = true) or reconnects it:
// requests fail as without a connection and navigator.onLine follows, for
// testing pages that must work offline (the observers' form).
func (p *Page) Offline(offline bool) {
	p.t.Helper()
	p.Do("network offline="+strconv.FormatBool(offline), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}
