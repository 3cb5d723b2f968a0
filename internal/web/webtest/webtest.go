// Package webtest holds what the tests of the web rooms share: the
// observation fixture (a small election, two organisations, a user of
// every role, observers with tokens) served by the whole site, the demo
// server, HTTP helpers, and the check of answers against
// docs/openapi.yaml. Only tests import it.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/browsertest"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/sms"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/translog"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
)

// ObsFixture is a small election (2 regions × 2 districts × 3 stations,
// numbered 101…), two organisations (A and B), a user of every role in A,
// an analyst in B, and observers of A with tokens: obs1 assigned to
// stations 101 and 102 (North / N1), obs3 to 201 (South / S1).
type ObsFixture struct {
	DB       *store.DB
	Srv      *httptest.Server
	El       *election.Election
	OrgA     *store.Organisation
	OrgB     *store.Organisation
	Stations map[string]election.Area // by number
	Cookies  map[string]*http.Cookie  // role → session cookie
	Tokens   map[string]string        // observer code → token
	TokenB   string                   // an observer of B
	H        *web.Server
}

const Password = "correct horse battery"

func NewObsFixture(t *testing.T, db *store.DB) *ObsFixture {
	t.Helper()
	return NewObsFixtureWith(t, db, web.Options{})
}

// NewObsFixtureWith is newObsFixture with server options (limits).
func NewObsFixtureWith(t *testing.T, db *store.DB, opts web.Options) *ObsFixture {
	t.Helper()
	ctx := context.Background()
	fx := &ObsFixture{DB: db, Stations: map[string]election.Area{}, Cookies: map[string]*http.Cookie{}, Tokens: map[string]string{}}
	fx.El = &election.Election{Name: "test-2026", Kind: election.Presidential, Date: "2026-11-22",
		Options: []election.Option{{Name: "Alpha"}, {Name: "Beta"}}}
	if err := db.CreateElection(ctx, fx.El); err != nil {
		t.Fatal(err)
	}
	var rows []store.Row
	for ri, region := range []string{"North", "South"} {
		for d := 1; d <= 2; d++ {
			for s := 1; s <= 3; s++ {
				num := (ri+1)*100 + (d-1)*3 + s
				var f election.Figures
				f.Set(election.Registered, 1000)
				f.Set(election.BallotsInBox, 600)
				rows = append(rows, store.Row{Line: len(rows) + 2, Path: []string{region, fmt.Sprintf("%c%d", region[0], d), fmt.Sprintf("PS %d", num)},
					Attrs: map[string]string{"urban": fmt.Sprint(s % 2)}, Figures: f, Votes: []int64{400, 200}})
			}
		}
	}
	if _, err := db.Import(ctx, store.ImportRequest{ElectionID: fx.El.ID, Source: election.OfficialPreliminary, File: "t.csv", Options: []string{"Alpha", "Beta"}},
		storetest.Rows(rows)); err != nil {
		t.Fatal(err)
	}
	areas, err := db.Areas(ctx, fx.El.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range areas {
		if a.Station {
			fx.Stations[observe.StationNumber(&a)] = a
		}
	}
	if fx.OrgA, err = db.EnsureOrganisation(ctx, "Mission A", "international"); err != nil {
		t.Fatal(err)
	}
	if fx.OrgB, err = db.EnsureOrganisation(ctx, "Group B", "domestic"); err != nil {
		t.Fatal(err)
	}
	for _, org := range []*store.Organisation{fx.OrgA, fx.OrgB} {
		if _, err := observe.InstallDefaultForms(ctx, db, org.ID); err != nil {
			t.Fatal(err)
		}
	}
	roster := "id,name,phone,organisation,team,area\n" +
		"obs1,Aigerim,+7 700 000 0001,Mission A,T1,North\n" +
		"obs2,Bolat,+77000000002,Mission A,T1,North\n" +
		"obs3,Dana,+77000000003,Mission A,T2,South\n" +
		"1001,Gulnara,+77000000004,Mission A,T1,North\n"
	obs, err := observe.ParseRoster(strings.NewReader(roster), "roster.csv", "Mission A")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ImportRoster(ctx, fx.OrgA.ID, obs); err != nil {
		t.Fatal(err)
	}
	obsB, _ := observe.ParseRoster(strings.NewReader("id,name,phone,team\nb1,Erlan,+77000000009,TB\n"), "b.csv", "Group B")
	if _, _, err := db.ImportRoster(ctx, fx.OrgB.ID, obsB); err != nil {
		t.Fatal(err)
	}
	teams, _ := db.Teams(ctx, fx.OrgA.ID)
	tid := map[string]int64{}
	for _, tm := range teams {
		tid[tm.Name] = tm.ID
	}
	if err := db.Assign(ctx, fx.OrgA.ID, fx.El.ID, []store.Assignment{
		{TeamID: tid["T1"], AreaID: fx.Stations["101"].ID}, {TeamID: tid["T1"], AreaID: fx.Stations["102"].ID},
		{TeamID: tid["T1"], AreaID: fx.Stations["101"].ParentID},
		{TeamID: tid["T2"], AreaID: fx.Stations["201"].ID},
	}); err != nil {
		t.Fatal(err)
	}
	teamsB, _ := db.Teams(ctx, fx.OrgB.ID)
	if err := db.Assign(ctx, fx.OrgB.ID, fx.El.ID, []store.Assignment{{TeamID: teamsB[0].ID, AreaID: fx.Stations["101"].ID}}); err != nil {
		t.Fatal(err)
	}
	hash, err := access.HashPassword(Password)
	if err != nil {
		t.Fatal(err)
	}
	users := []store.User{
		{OrgID: fx.OrgA.ID, Username: "admin", Role: "administrator"},
		{OrgID: fx.OrgA.ID, Username: "analyst", Role: "analyst"},
		{OrgID: fx.OrgA.ID, Username: "coordinator", Role: "coordinator", Area: []string{"North"}},
		{OrgID: fx.OrgB.ID, Username: "analystB", Role: "analyst"},
	}
	for i := range users {
		if err := db.CreateUser(ctx, &users[i], hash); err != nil {
			t.Fatal(err)
		}
	}
	for _, code := range []string{"obs1", "obs2", "obs3"} {
		o, err := db.ObserverByCode(ctx, fx.OrgA.ID, code)
		if err != nil {
			t.Fatal(err)
		}
		tok := access.NewToken()
		if err := db.CreateToken(ctx, &store.Token{OrgID: fx.OrgA.ID, ObserverID: o.ID}, access.HashToken(tok)); err != nil {
			t.Fatal(err)
		}
		fx.Tokens[code] = tok
	}
	ob, _ := db.ObserverByCode(ctx, fx.OrgB.ID, "b1")
	fx.TokenB = access.NewToken()
	if err := db.CreateToken(ctx, &store.Token{OrgID: fx.OrgB.ID, ObserverID: ob.ID}, access.HashToken(fx.TokenB)); err != nil {
		t.Fatal(err)
	}
	if opts.TwilioAuthToken == "" {
		opts.TwilioAuthToken = "twilio-secret"
	}
	if opts.TelerivetSecret == "" {
		opts.TelerivetSecret = "telerivet-secret"
	}
	h, err := site.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	fx.H = h
	t.Cleanup(h.CloseObservation)
	fx.Srv = httptest.NewServer(h)
	t.Cleanup(fx.Srv.Close)
	for _, u := range []string{"admin", "analyst", "coordinator", "analystB"} {
		fx.Cookies[u] = fx.Login(t, u)
	}
	return fx
}

func (fx *ObsFixture) Login(t *testing.T, user string) *http.Cookie {
	t.Helper()
	resp, err := http.Post(fx.Srv.URL+"/api/v1/observe/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, Password)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie {
			return c
		}
	}
	t.Fatalf("login %s: no session cookie", user)
	return nil
}

// as is who makes a request: a staff user (by name), an observer's token
// ("token:obs1"), or nobody ("").
func (fx *ObsFixture) Do(t *testing.T, as, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, fx.Srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(as, "token:"):
		tok := fx.Tokens[strings.TrimPrefix(as, "token:")]
		if as == "token:b1" {
			tok = fx.TokenB
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case as != "":
		req.AddCookie(fx.Cookies[as])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	// Every answer of the API tests is also a test of docs/openapi.yaml.
	CheckAgainstSpec(t, req, resp, raw)
	var out map[string]any
	json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

// NewToken issues a new API token to an observer of A and returns its id.
func (fx *ObsFixture) NewToken(t *testing.T, code string) int64 {
	t.Helper()
	o, err := fx.DB.ObserverByCode(context.Background(), fx.OrgA.ID, code)
	if err != nil {
		t.Fatal(err)
	}
	tok := &store.Token{OrgID: fx.OrgA.ID, ObserverID: o.ID, Label: "spare"}
	if err := fx.DB.CreateToken(context.Background(), tok, access.HashToken(access.NewToken())); err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

func (fx *ObsFixture) ReportsPath() string {
	return fmt.Sprintf("/api/v1/elections/%d/reports", fx.El.ID)
}

func WithAnswer(rep map[string]any, q string, v any) map[string]any {
	rep["answers"].(map[string]any)[q] = v
	return rep
}

func VotingReport(clientID string, station int, overall string, stuffing bool) map[string]any {
	return map[string]any{"client_id": clientID, "form": "voting", "answers": map[string]any{
		"station": station, "arrival_time": "10:15", "boxes_sealed": true, "secrecy_ensured": true, "identity_checked": true,
		"group_voting": false, "ballot_box_stuffing": stuffing, "multiple_voting": false, "identical_signatures": false,
		"unauthorised_present": false, "unauthorised_directing": false, "observers_restricted": false, "overall": overall}}
}

func CountingReport(clientID string, station int, inBox int64) map[string]any {
	return map[string]any{"client_id": clientID, "form": "counting", "answers": map[string]any{
		"station": station, "arrival_time": "19:45", "unused_cancelled": true, "reconciliation_done": true, "ballots_shown": true,
		"validity_consistent": true, "protocol_pre_signed": false, "protocol_posted": true, "protocol_copy": true,
		"unauthorised_present": false, "unauthorised_directing": false, "observers_restricted": false, "overall": "good",
		"protocol": map[string]int64{"registered": 1000, "ballots_received": 1000, "ballots_cancelled": 400, "ballots_issued": 600, "ballots_in_box": inBox, "invalid": 10, "valid": 590, "votes_1": 390, "votes_2": 200}}}
}

// Page GETs a dashboard page as a staff user ("" for the public), without
// following redirects.
func (fx *ObsFixture) Page(t *testing.T, as, path string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", fx.Srv.URL+path, nil)
	req.Header.Set("Accept", "text/html")
	if as != "" {
		if strings.HasPrefix(as, "token:") {
			req.Header.Set("Authorization", "Bearer "+fx.Tokens[strings.TrimPrefix(as, "token:")])
		} else {
			req.AddCookie(fx.Cookies[as])
		}
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// PostForm posts a plain HTML form (the dashboard without JavaScript).
func (fx *ObsFixture) PostForm(t *testing.T, as, path string, form url.Values) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", fx.Srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Origin", fx.Srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(fx.Cookies[as])
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func IncidentReport(clientID string, station int, category string) map[string]any {
	return map[string]any{"client_id": clientID, "form": "incident", "answers": map[string]any{
		"station": station, "incident_time": "11:20", "category": category, "description": "Men with a list at the entrance."}}
}

func (fx *ObsFixture) OpenRosa(t *testing.T, method, path, user, pass string, body io.Reader, ct string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, fx.Srv.URL+path, body)
	req.Header.Set("X-OpenRosa-Version", "1.0")
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func MultipartSubmission(t *testing.T, doc []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("xml_submission_file", "submission.xml")
	w.Write(doc)
	p, _ := mw.CreateFormFile("photo.jpg", "photo.jpg")
	p.Write([]byte("\xff\xd8not really a jpeg"))
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (fx *ObsFixture) Twilio(t *testing.T, from, body, sid string, sign bool) (int, string) {
	t.Helper()
	u := fx.Srv.URL + "/sms/twilio?lang=en"
	params := url.Values{"MessageSid": {sid}, "From": {from}, "To": {"+77001112233"}, "Body": {body}}
	req, _ := http.NewRequest("POST", u, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		req.Header.Set("X-Twilio-Signature", sms.TwilioSignature("twilio-secret", u, params))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// CookieJar is a minimal jar for one test server.
type CookieJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *CookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cookies == nil {
		j.cookies = map[string]*http.Cookie{}
	}
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
		} else {
			j.cookies[c.Name] = c
		}
	}
}

func (j *CookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.cookies {
		out = append(out, c)
	}
	return out
}

// From makes a request as client address addr (through the trusted
// proxy), with optional Basic credentials; it returns status and body.
func (fx *ObsFixture) From(t *testing.T, addr, method, path, body string, basic ...string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, fx.Srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func LoginBody(user, pass string) string {
	return fmt.Sprintf(`{"username":%q,"password":%q}`, user, pass)
}

// DemoServer serves a small demo election on db.
func DemoServer(t *testing.T, db *store.DB) (*httptest.Server, *demo.Election) {
	t.Helper()
	el := demo.Generate(11, demo.Params{Stations: 600, ObservedShare: 0.1})
	if _, err := demo.Write(context.Background(), db, el); err != nil {
		t.Fatal(err)
	}
	h, err := site.New(db, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, el
}

func Get(t *testing.T, url string, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func GetWith(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func FetchBytes(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// Chromium finds the browser for end-to-end tests as the program does
// (browsertest.ExecPath); without one the test skips, except in CI.
func Chromium(t *testing.T) string {
	t.Helper()
	if p := browsertest.ExecPath(); p != "" {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium: set VIGIL_CHROMIUM (in CI the browser tests must run)")
	}
	t.Skip("browser test skipped: no Chromium (set VIGIL_CHROMIUM)")
	return ""
}

var spec struct {
	once   sync.Once
	router routers.Router
	err    error
}

// specRouter loads docs/openapi.yaml once, checks it with kin-openapi's
// own validation, and routes requests to its operations.
func specRouter(t *testing.T) routers.Router {
	t.Helper()
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(specFile)
		if err != nil {
			spec.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			spec.err = err
			return
		}
		// Match by path alone, whatever the test server's address.
		doc.Servers = nil
		spec.router, spec.err = legacy.NewRouter(doc)
	})
	if spec.err != nil {
		t.Fatalf("%s: %v", filepath.Base(specFile), spec.err)
	}
	return spec.router
}

// CheckAgainstSpec validates a live answer of the JSON API against
// docs/openapi.yaml: its status must be documented for the operation and
// its body must match the documented schema.
func CheckAgainstSpec(t *testing.T, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	if err := SpecError(t, req, resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("%s %s answered %d, not as docs/openapi.yaml says: %v\nbody: %.500s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
}

// SpecError is checkAgainstSpec's verdict. Requests outside the spec's
// paths are left alone, except under /api/v1/observe/, which the spec
// covers entirely.
func SpecError(t *testing.T, req *http.Request, status int, header http.Header, body []byte) error {
	router := specRouter(t)
	r := req.Clone(context.Background())
	r.Body = http.NoBody
	route, params, err := router.FindRoute(r)
	if err != nil {
		if strings.HasPrefix(req.URL.Path, "/api/v1/observe/") {
			return fmt.Errorf("%s %s is not in the spec: %w", req.Method, req.URL.Path, err)
		}
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// specFile is docs/openapi.yaml, found from this file's place, so that
// the tests of every room read it whatever their directory.
var specFile = func() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..", "..", "docs", "openapi.yaml")
}()

// ObserverBrowser starts Chromium (bin), signs in with observer code's
// token and opens the web form at formURL, waiting for the form; it
// returns an evaluator of JavaScript in that page (promises awaited). The
// browser closes at the test's end.
func ObserverBrowser(t *testing.T, bin string, fx *ObsFixture, code, formURL string) (eval func(js string) string) {
	t.Helper()
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU)...)
	t.Cleanup(cancelA)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	eval = func(js string) string {
		t.Helper()
		ectx, c := context.WithTimeout(ctx, 30*time.Second)
		defer c()
		v, err := chromedp.Run(ectx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fx.Srv.URL+"/observe/t/"+fx.Tokens[code])); err != nil {
		t.Fatal(err)
	}
	tctx, c := context.WithTimeout(ctx, 30*time.Second)
	defer c()
	if err := chromedp.Do(tctx, chromedp.Navigate(formURL), chromedp.WaitVisible(chromedp.CSS(`#report`))); err != nil {
		t.Fatal(err)
	}
	return eval
}

// PNG is a small picture (4×3 pixels, one red dot) for the tests of photos
// and form pictures.
func PNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ObservedDemo writes the demo election of seed and its observation, and
// returns the election and the observing organisation.
func ObservedDemo(t *testing.T, db *store.DB, seed uint64, p demo.Params) (*election.Election, *store.Organisation) {
	t.Helper()
	ctx := context.Background()
	el := demo.Generate(seed, p)
	e, err := demo.Write(ctx, db, el)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedObservation(ctx, db, e.ID, seed, demo.ObservationFacts(el)); err != nil {
		t.Fatal(err)
	}
	org, err := db.OrganisationByName(ctx, "Demo Observation Mission")
	if err != nil {
		t.Fatal(err)
	}
	return e, org
}

// SignCheckpoint signs a checkpoint of the whole log, as serve does every few
// seconds.
func SignCheckpoint(t testing.TB, db *store.DB, skey string) {
	t.Helper()
	ctx := context.Background()
	n, _ := db.LogSize(ctx)
	root, err := db.LogRoot(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := translog.SignCheckpoint(translog.Checkpoint{Origin: "test.vigil/log", Size: n, Hash: root}, skey)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheckpoint(ctx, n, root, signed); err != nil {
		t.Fatal(err)
	}
}
