package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/translog"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// The authorisation table of every route. TestEveryRouteEveryRole walks
// every pattern the server registers (Server.Routes) and calls it as each
// of these principals, two organisations' worth:
//
//	anon  the public
//	admA  administrator of A       admB  administrator of B
//	anaA  analyst of A             anaB  analyst of B
//	coA   coordinator of A, North  coB   coordinator of B, North
//	coAS  coordinator of A, South  obsB  observer of B (token), at PS 101
//	obsA  observer of A (token), team T1: PS 101, 102 (North)
//
// The objects in the paths are A's: its report at PS 101 (North) by obsA,
// its published findings, its recommendations, tokens of its North
// observers. So coA is in scope and coAS out of it, and B's principals
// must never get A's objects (403 or 404) — the test also checks that no
// answer to anon or to B carries any of A's private markers.
//
// One letter per principal, in the order above: Y allowed (a 2xx or 3xx
// that is not the login page, or a 4xx other than 401/403/404: the request
// got past the check and its input was judged), N denied (401, 403, 404
// or a redirect to the login). A route without a row fails the test.
var principals = []string{"anon", "admA", "anaA", "coA", "coAS", "obsA", "admB", "anaB", "coB", "obsB"}

const (
	public       = "YYYYYYYYYY"
	loggedIn     = "NYYYYYYYYY" // any login, each in its own organisation and scope
	staff        = "NYYYYNYYYN" // administrators, analysts and coordinators, each in their own organisation
	adminAnalyst = "NYYNNNYYNN"
	adminOnly    = "NYNNNNYNNN"
	nobody       = "NNNNNNNNNN" // signed webhooks: no login opens them
)

type routeRow struct {
	who  string
	path string // the path with placeholders {election}, {report}, … (default: the pattern's)
	body string // a body; "json:" prefix for JSON, "form:" for a form, else raw
}

func routeTable() map[string]routeRow {
	return map[string]routeRow{
		"GET /healthz":                     {who: public},
		"GET /readyz":                      {who: public},
		"GET /static/":                     {who: public, path: "/static/vigil.css"},
		"GET /static/vendor/":              {who: public, path: "/static/vendor/htmx.min.js"},
		"GET /api/v1/elections":            {who: public},
		"GET /api/v1/elections/{election}": {who: public},
		"GET /api/v1/elections/{election}/areas/{area}":           {who: public},
		"GET /api/v1/elections/{election}/areas/{area}/protocols": {who: public},
		"GET /api/v1/elections/{election}/batches":                {who: public},
		"GET /api/v1/elections/{election}/tally":                  {who: public},
		"GET /api/v1/elections/{election}/flags":                  {who: public},
		"GET /api/v1/elections/{election}/compare":                {who: public},
		"GET /api/v1/elections/{election}/forensics/integer":      {who: public},
		"GET /api/v1/elections/{election}/forensics/fingerprint":  {who: public},
		"GET /api/v1/elections/{election}/forensics/shpilkin":     {who: public},
		"GET /api/v1/elections/{election}/forensics/digits":       {who: public},
		"GET /api/v1/elections/{election}/forensics/control":      {who: public},
		"GET /api/v1/elections/{election}/pvt":                    {who: public},
		"GET /api/v1/elections/{election}/results":                {who: public},
		// The fixture's election has no geometry: 404 for everyone.
		"GET /api/v1/elections/{election}/geojson":         {who: nobody},
		"GET /api/v1/elections/{election}/opendata/{file}": {who: public, path: "/api/v1/elections/{election}/opendata/official-preliminary.csv"},
		"GET /{$}":                                       {who: public},
		"GET /elections/{election}":                      {who: public},
		"GET /elections/{election}/areas/{area}":         {who: public},
		"GET /elections/{election}/search":               {who: public, path: "/elections/{election}/search?q=101"},
		"GET /elections/{election}/copies":               {who: public},
		"GET /elections/{election}/map":                  {who: public},
		"GET /elections/{election}/data":                 {who: public},
		"GET /elections/{election}/forensics":            {who: public},
		"GET /elections/{election}/photos/{id}":          {who: public, path: "/elections/{election}/photos/{photo}"},
		"GET /elections/{election}/findings":             {who: public},
		"GET /elections/{election}/findings/{id}":        {who: public, path: "/elections/{election}/findings/{published}"},
		"GET /elections/{election}/findings/{id}/figure": {who: public, path: "/elections/{election}/findings/{published}/figure?phase=counting"},
		"GET /elections/{election}/controls":             {who: public},
		// Whatever no other route answers: the "not found" page, the same
		// 404 for everyone.
		"GET /": {who: nobody, path: "/no/such/page"},
		"GET /api/v1/elections/{election}/findings/published":      {who: public},
		"GET /api/v1/elections/{election}/findings/published/{id}": {who: public, path: "/api/v1/elections/{election}/findings/published/{published}"},
		"POST /api/v1/elections/{election}/findings/publish":       {who: adminAnalyst},

		// Observation: people, forms, tokens, rules.
		"GET /api/v1/observe/me":              {who: public},
		"POST /api/v1/observe/login":          {who: public, body: `json:{"username":"analyst","password":"correct horse battery"}`},
		"POST /api/v1/observe/logout":         {who: public},
		"GET /api/v1/observe/forms":           {who: loggedIn},
		"POST /api/v1/observe/forms":          {who: adminAnalyst, body: "json:{}"},
		"POST /api/v1/observe/forms/defaults": {who: adminAnalyst},
		"GET /api/v1/observe/forms/{form}":    {who: loggedIn, path: "/api/v1/observe/forms/voting"},
		// The voting form names no pictures: past the check, the upload is
		// refused as input (400); B's own voting form likewise.
		"PUT /api/v1/observe/forms/{form}/{version}/media/{file}": {who: adminAnalyst, path: "/api/v1/observe/forms/voting/" + form.VotingTemplate().Version + "/media/a.png", body: "png"},
		"POST /api/v1/observe/roster":                             {who: adminOnly, body: "id,name,phone\n"},
		"GET /api/v1/observe/observers":                           {who: staff},
		// A's observer obs2 is in North: B's administrator has no such
		// observer (404), coAS is out of scope, analysts do not issue.
		"POST /api/v1/observe/tokens":        {who: "NYNYNNNNNN", body: `json:{"observer":"obs2"}`},
		"DELETE /api/v1/observe/tokens/{id}": {who: "NYNYNNNNNN", path: "/api/v1/observe/tokens/{newtoken}"},
		"GET /api/v1/observe/qc-rules":       {who: staff},
		"POST /api/v1/observe/qc-rules":      {who: adminAnalyst, body: `json:{"form":"counting","name":"r2","expr":"ballots_in_box > ballots_issued"}`},
		"GET /api/v1/observe/audit":          {who: adminAnalyst},

		// Reports: the submission at PS 101 is allowed to whoever may
		// report there in their own organisation (obsB's team is B's at
		// PS 101; coB's area is North); A's report only to A, in scope.
		"POST /api/v1/elections/{election}/reports":             {who: "NYNYNYYNYY", body: "json:{submit}"},
		"GET /api/v1/elections/{election}/reports":              {who: loggedIn},
		"GET /api/v1/elections/{election}/reports/{id}":         {who: "NYYYNYNNNN", path: "/api/v1/elections/{election}/reports/{report}"},
		"PATCH /api/v1/elections/{election}/reports/{id}":       {who: "NYYYNNNNNN", path: "/api/v1/elections/{election}/reports/{report}", body: `json:{"status":"verified"}`},
		"POST /api/v1/elections/{election}/reports/{id}/photos": {who: "NYNYNYNNNN", path: "/api/v1/elections/{election}/reports/{report}/photos?question=" + form.ProtocolPhotoID + "&name=p.png", body: "png"},
		"GET /api/v1/elections/{election}/conflicts":            {who: staff},
		"POST /api/v1/elections/{election}/conflicts":           {who: "NYYYNNYYYN", body: `json:{"area_id":{area},"phase":"voting","question":"overall","value":"bad"}`},
		"GET /api/v1/elections/{election}/findings":             {who: staff},
		"GET /api/v1/elections/{election}/assignments":          {who: loggedIn},
		"POST /api/v1/elections/{election}/assignments":         {who: adminOnly, body: `json:{"assignments":[]}`},
		"POST /api/v1/elections/{election}/deployments":         {who: adminOnly, body: `json:{"seed":"x","size":2,"strata":["region"],"assign":false}`},
		"GET /api/v1/elections/{election}/deployments/latest":   {who: staff},

		// OpenRosa: any login (Collect sends Basic; a cookie or bearer
		// token is as good).
		"GET /openrosa/{election}/formList":               {who: loggedIn},
		"GET /openrosa/{election}/forms/{form}/{version}": {who: loggedIn, path: "/openrosa/{election}/forms/voting/{version}"},
		"HEAD /openrosa/{election}/submission":            {who: loggedIn},
		"POST /openrosa/{election}/submission":            {who: loggedIn, body: "not multipart"},
		"POST /sms/twilio":                                {who: nobody, body: "form:From=%2B77000000001&Body=hi"},
		"POST /sms/telerivet":                             {who: nobody, body: "form:secret=wrong&from_number=%2B77000000001&content=hi"},

		// OpenRosa form media: the fixture's election is small, so its
		// forms have a manifest without files.
		"GET /openrosa/{election}/forms/{form}/{version}/manifest":     {who: loggedIn, path: "/openrosa/{election}/forms/voting/{version}/manifest"},
		"GET /openrosa/{election}/forms/{form}/{version}/media/{file}": {who: nobody, path: "/openrosa/{election}/forms/voting/{version}/media/station_area_3.csv"},

		// Pages of the observers and staff.
		"GET /login":                              {who: public},
		"POST /login":                             {who: public, body: "form:username=analyst&password=correct+horse+battery"},
		"POST /logout":                            {who: public},
		"GET /observe/{$}":                        {who: loggedIn},
		"GET /observe/t/{token}":                  {who: public, path: "/observe/t/{obstoken}"},
		"GET /observe/{election}/{form}":          {who: loggedIn, path: "/observe/{election}/voting"},
		"GET /observe/reports/{election}":         {who: loggedIn},
		"GET /observe/sw.js":                      {who: public},
		"GET /observe/review/{election}":          {who: staff},
		"POST /observe/review/{election}/resolve": {who: staff, body: "form:"},
		"POST /observe/review/{election}/status":  {who: staff, body: "form:"},
		"GET /dashboard/{$}":                      {who: staff},
		"GET /dashboard/{election}":               {who: staff},
		"GET /dashboard/{election}/events":        {who: staff},
		"POST /dashboard/{election}/reports/{id}": {who: "NYYYNNNNNN", path: "/dashboard/{election}/reports/{report}", body: "form:status=verified"},
		"GET /dashboard/{election}/reports/{id}":  {who: "NYYYNNNNNN", path: "/dashboard/{election}/reports/{report}"},
		"POST /dashboard/{election}/conflicts":    {who: staff, body: "form:"},

		// Recommendations: public reads; writes by the administrators and
		// analysts of the owning organisation (A). B's staff pass the
		// first question (staff of some organisation) and are refused on
		// the mission's organisation, or on the body.
		"GET /api/v1/recommendations":                   {who: public, path: "/api/v1/recommendations?country=KZ"},
		"GET /api/v1/recommendations/summary":           {who: public, path: "/api/v1/recommendations/summary?country=KZ"},
		"GET /api/v1/recommendations/missions":          {who: public, path: "/api/v1/recommendations/missions?country=KZ"},
		"GET /api/v1/recommendations/export":            {who: public, path: "/api/v1/recommendations/export?country=KZ"},
		"GET /api/v1/recommendations/{id}":              {who: public, path: "/api/v1/recommendations/{rec}"},
		"GET /api/v1/recommendations/proposals":         {who: adminAnalyst[:6] + "NNNN", path: "/api/v1/recommendations/proposals?report=kz-2023-parliamentary-final"},
		"POST /api/v1/recommendations/missions":         {who: adminAnalyst[:6] + "NNNN", body: `json:{"key":"m-{n}","country":"KZ","type":"full","name":"EOM","organisation":"Mission A"}`},
		"POST /api/v1/recommendations/reports":          {who: adminAnalyst, body: "json:{}"},
		"POST /api/v1/recommendations":                  {who: adminAnalyst, body: "json:{}"},
		"POST /api/v1/recommendations/{id}/assessments": {who: adminAnalyst[:6] + "NNNN", path: "/api/v1/recommendations/{rec}/assessments", body: `json:{"report":"kz-2023-parliamentary-final","status":"mostly","reasoning":"r"}`},
		"POST /api/v1/recommendations/import":           {who: adminAnalyst, body: "json:{}"},
		"GET /recommendations":                          {who: public},
		"GET /recommendations/{id}":                     {who: public, path: "/recommendations/{rec}"},
		"GET /recommendations/missions/{mission}/draft": {who: adminAnalyst[:6] + "NNNN", path: "/recommendations/missions/{mission}/draft"},

		// The transparency log: public and read-only; a cosignature is
		// taken only with a configured witness's valid signature, which
		// no login replaces.
		"GET /log/checkpoint":                      {who: public},
		"GET /log/tile/":                           {who: public, path: "/log/tile/entries/000.p/1"},
		"GET /log/key":                             {who: public},
		"GET /log/proof":                           {who: public, path: "/log/proof?index=0"},
		"POST /log/cosignature":                    {who: nobody, body: "not a cosigned checkpoint"},
		"GET /log/bundle/results/{election}":       {who: public},
		"GET /log/bundle/findings/{election}/{id}": {who: public, path: "/log/bundle/findings/{election}/{published}"},
		"GET /log/bundle/recommendations/{report}": {who: public, path: "/log/bundle/recommendations/{recreport}"},
	}
}

// routeFixture is obsFixture with the principals above and A's objects.
type routeFixture struct {
	*webtest.ObsFixture
	vars   map[string]string
	nosuch *http.Client
	n      int
}

func newRouteFixture(t *testing.T, db *store.DB) *routeFixture {
	// The transparency log's keys: the log signs, a witness may cosign.
	logSK, logVK, _ := translog.GenerateKey("test.vigil/log")
	_, witnessVK, _ := translog.GenerateWitnessKey("w.test/1")
	fx := &routeFixture{ObsFixture: webtest.NewObsFixtureWith(t, db, web.Options{LogVKey: logVK, Witnesses: []string{witnessVK}}), vars: map[string]string{}}
	ctx := context.Background()
	hash, _ := access.HashPassword(webtest.Password)
	for _, u := range []store.User{
		{OrgID: fx.OrgA.ID, Username: "coordS", Role: "coordinator", Area: []string{"South"}},
		{OrgID: fx.OrgB.ID, Username: "adminB", Role: "administrator"},
		{OrgID: fx.OrgB.ID, Username: "coordB", Role: "coordinator", Area: []string{"North"}},
	} {
		if err := db.CreateUser(ctx, &u, hash); err != nil {
			t.Fatal(err)
		}
		fx.Cookies[u.Username] = fx.Login(t, u.Username)
	}
	e := fmt.Sprintf("/api/v1/elections/%d", fx.El.ID)
	// A's private markers: a report's client id, a QC rule's name, an
	// observer's name (Aigerim, on A's roster).
	rep := webtest.CountingReport("marker-report-A", 101, 600)
	rep["answers"].(map[string]any)[form.ProtocolPhotoID] = "p.png"
	code, out := fx.Do(t, "token:obs1", "POST", e+"/reports", rep)
	if code != 201 {
		t.Fatalf("setup report: %d %v", code, out)
	}
	fx.vars["report"] = fmt.Sprint(out["report_id"])
	if code, out := fx.Do(t, "analyst", "POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "markerRuleA", "expr": "ballots_in_box > ballots_issued"}); code != 201 {
		t.Fatalf("setup rule: %d %v", code, out)
	}
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s%s/reports/%s/photos?question=%s&name=p.png", fx.Srv.URL, e, fx.vars["report"], form.ProtocolPhotoID), bytes.NewReader(webtest.PNG(t)))
	req.Header.Set("Authorization", "Bearer "+fx.Tokens["obs1"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("setup photo: %v %v", err, resp)
	}
	resp.Body.Close()
	var photo int64
	if err := db.QueryRowContext(ctx, `SELECT max(id) FROM photos`).Scan(&photo); err != nil {
		t.Fatal(err)
	}
	fx.vars["photo"] = fmt.Sprint(photo)
	for _, as := range []string{"admin", "adminB"} {
		if code, out := fx.Do(t, as, "POST", e+"/deployments", map[string]any{"seed": "s", "size": 4, "strata": []string{"region"}}); code != 201 {
			t.Fatalf("setup deployment %s: %d %v", as, code, out)
		}
	}
	code, out = fx.Do(t, "analyst", "POST", e+"/findings/publish", nil)
	if code != 201 {
		t.Fatalf("setup publish: %d %v", code, out)
	}
	fx.vars["published"] = fmt.Sprint(out["published"].(map[string]any)["id"])
	if _, err := demo.SeedRecommendations(ctx, db, demo.RecommendationOptions{Organisation: "Mission A", Elections: map[int]string{2023: fx.El.Name}}); err != nil {
		t.Fatal(err)
	}
	ds, err := db.Recommendations(ctx, "KZ")
	if err != nil {
		t.Fatal(err)
	}
	fx.vars["rec"] = strconv.FormatInt(recommend.NewIndex(ds).Recs["kz-2022-presidential-final#1"].ID, 10)
	for _, m := range ds.Missions {
		if m.Organisation == "Mission A" {
			fx.vars["mission"] = m.Key
		}
	}
	_, forms := fx.Do(t, "admin", "GET", "/api/v1/observe/forms", nil)
	for _, f := range forms["forms"].([]any) {
		if ff := f.(map[string]any)["form"].(map[string]any); ff["id"] == "voting" {
			fx.vars["version"] = fmt.Sprint(ff["version"])
		}
	}
	fx.vars["election"] = strconv.FormatInt(fx.El.ID, 10)
	fx.vars["area"] = strconv.FormatInt(fx.Stations["101"].ID, 10)
	fx.vars["obstoken"] = fx.Tokens["obs2"]
	var recReport int64
	db.QueryRowContext(ctx, `SELECT report_id FROM rec_assessments ORDER BY id LIMIT 1`).Scan(&recReport)
	fx.vars["recreport"] = strconv.FormatInt(recReport, 10)
	webtest.SignCheckpoint(t, db, logSK) // after the setup: every bundle's leaves are in it
	fx.nosuch = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return fx
}

// expand fills a path or body's placeholders; {newtoken} issues a fresh
// token of A's North observer obs2 (each revocation needs its own), {n} a
// fresh number, {submit} a voting report at PS 101 with a fresh client id.
func (fx *routeFixture) expand(t *testing.T, s string) string {
	for k, v := range fx.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	if strings.Contains(s, "{newtoken}") {
		s = strings.ReplaceAll(s, "{newtoken}", strconv.FormatInt(fx.NewToken(t, "obs2"), 10))
	}
	fx.n++
	s = strings.ReplaceAll(s, "{n}", strconv.Itoa(fx.n))
	if strings.Contains(s, "{submit}") {
		b, _ := json.Marshal(webtest.VotingReport(fmt.Sprintf("route-test-%06d", fx.n), 101, "good", false))
		s = strings.ReplaceAll(s, "{submit}", string(b))
	}
	return s
}

type routeAnswer struct {
	code   int
	header http.Header
	body   string
}

func (fx *routeFixture) call(t *testing.T, who, method, path, body string) routeAnswer {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch {
	case strings.HasPrefix(body, "json:"):
		rd, ct = strings.NewReader(strings.TrimPrefix(body, "json:")), "application/json"
	case strings.HasPrefix(body, "form:"):
		rd, ct = strings.NewReader(strings.TrimPrefix(body, "form:")), "application/x-www-form-urlencoded"
	case body == "png":
		rd, ct = bytes.NewReader(webtest.PNG(t)), "image/png"
	case body != "":
		rd, ct = strings.NewReader(body), "text/plain"
	}
	req, _ := http.NewRequest(method, fx.Srv.URL+path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	switch who {
	case "anon":
	case "obsA":
		req.Header.Set("Authorization", "Bearer "+fx.Tokens["obs1"])
	case "obsB":
		req.Header.Set("Authorization", "Bearer "+fx.TokenB)
	default:
		req.AddCookie(fx.Cookies[userOf[who]])
	}
	resp, err := fx.nosuch.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, who, err)
	}
	defer resp.Body.Close()
	// An event stream stays open: read its first event (enough to look
	// for markers), then hang up.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		br := bufio.NewReader(resp.Body)
		var ev strings.Builder
		for {
			line, err := br.ReadString('\n')
			ev.WriteString(line)
			if err != nil || (line == "\n" && strings.Contains(ev.String(), "data:")) {
				break
			}
		}
		return routeAnswer{resp.StatusCode, resp.Header, ev.String()}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	// Every route and every role: the JSON API's answers as the spec says.
	webtest.CheckAgainstSpec(t, req, resp, b)
	return routeAnswer{resp.StatusCode, resp.Header, string(b)}
}

var userOf = map[string]string{"admA": "admin", "anaA": "analyst", "coA": "coordinator", "coAS": "coordS",
	"admB": "adminB", "anaB": "analystB", "coB": "coordB"}

func allowed(a routeAnswer) bool {
	switch a.code {
	case 401, 403, 404:
		return false
	}
	if a.code >= 300 && a.code < 400 {
		u, _ := url.Parse(a.header.Get("Location"))
		return u == nil || u.Path != "/login" || u.Query().Get("next") == ""
	}
	return a.code < 500
}

// privateMarkersOfA are strings only A's staff (and, for the report,
// its author) may ever receive.
var privateMarkersOfA = []string{"marker-report-A", "markerRuleA", "Aigerim"}

// TestEveryRouteEveryRole: every route registered in the router, as every
// principal of two organisations, against routeTable, on both engines.
func TestEveryRouteEveryRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { everyRouteEveryRole(t, db) })
}

func everyRouteEveryRole(t *testing.T, db *store.DB) {
	fx := newRouteFixture(t, db)
	table := routeTable()
	routes := fx.H.Routes()
	for _, p := range routes {
		if _, ok := table[p]; !ok {
			t.Errorf("route %q has no row in the authorisation table (routes_access_test.go): give it its rule", p)
		}
	}
	for p := range table {
		if !slices.Contains(routes, p) {
			t.Errorf("the table's row %q matches no route", p)
		}
	}
	// Logging out ends the session: those routes go last, and each
	// staff principal logs in again after.
	slices.SortStableFunc(routes, func(a, b string) int {
		return boolInt(strings.Contains(a, "logout")) - boolInt(strings.Contains(b, "logout"))
	})
	for _, pattern := range routes {
		row, ok := table[pattern]
		if !ok {
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		if row.path != "" {
			path = row.path
		}
		path = strings.TrimSuffix(path, "{$}")
		got := make([]byte, len(principals))
		var detail []string
		for i, who := range principals {
			a := fx.call(t, who, method, fx.expand(t, path), fx.expand(t, row.body))
			status := a.code
			if a.code >= 500 {
				if row.who != public {
					t.Errorf("%s as %s: %d %s", pattern, who, a.code, abbrev(a.body))
				} else if who == "anon" {
					// Not a question of access (the same for everyone), but
					// a fault all the same: the fixture's small election
					// must get a clear 4xx, never a server error.
					t.Errorf("%s: %d for everyone on the fixture's small election: %s", pattern, a.code, abbrev(a.body))
				}
				a.code = 200
			}
			got[i] = "NY"[boolInt(allowed(a))]
			detail = append(detail, fmt.Sprintf("%s=%d", who, status))
			if who == "anon" && !allowed(a) && a.code == 403 && row.who != nobody {
				t.Errorf("%s as the public: 403, want 401 or the login page", pattern)
			}
			if a.header.Get("X-Content-Type-Options") != "nosniff" || a.header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s as %s: security headers missing", pattern, who)
			}
			if who == "anon" || strings.HasSuffix(who, "B") {
				for _, m := range privateMarkersOfA {
					if strings.Contains(a.body, m) {
						t.Errorf("%s as %s: the answer carries A's private %q", pattern, who, m)
					}
				}
			}
			if strings.Contains(pattern, "logout") && userOf[who] != "" {
				fx.Cookies[userOf[who]] = fx.Login(t, userOf[who])
			}
		}
		if string(got) != row.who {
			t.Errorf("%s\n  got  %s\n  want %s   (%s  %s)", pattern, got, row.who, strings.Join(principals, " "), strings.Join(detail, " "))
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func abbrev(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
