package web_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/sms"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

func (fx *obsFixture) openRosa(t *testing.T, method, path, user, pass string, body io.Reader, ct string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, fx.srv.URL+path, body)
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

func multipartSubmission(t *testing.T, doc []byte) (io.Reader, string) {
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

func TestOpenRosa(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newObsFixture(t, db)
		base := fmt.Sprintf("/openrosa/%s", fx.el.Name)
		tok := fx.tokens["obs1"]
		// No credentials: a Basic challenge, with the OpenRosa headers.
		resp, _ := fx.openRosa(t, "GET", base+"/formList", "", "", nil, "")
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") || resp.Header.Get("X-OpenRosa-Version") != "1.0" {
			t.Fatalf("formList without auth: %d %v", resp.StatusCode, resp.Header)
		}
		resp, body := fx.openRosa(t, "GET", base+"/formList", "obs1", tok, nil, "")
		if resp.StatusCode != 200 || !strings.Contains(body, "<formID>voting</formID>") || !strings.Contains(body, "<downloadUrl>"+fx.srv.URL+base+"/forms/counting/") {
			t.Fatalf("formList: %d %s", resp.StatusCode, body)
		}
		resp, body = fx.openRosa(t, "GET", base+"/forms/counting/"+form.TemplateVersion, "obs1", tok, nil, "")
		if resp.StatusCode != 200 || !strings.Contains(body, "votes_2") || !strings.Contains(body, "<h:html") {
			t.Fatalf("form download: %d %.300s", resp.StatusCode, body)
		}
		// The built-in forms ask the station through the cascade of the
		// election's areas (issue 13), and formList's hash is the served
		// XForm's.
		resp, vx := fx.openRosa(t, "GET", base+"/forms/voting/"+form.TemplateVersion, "obs1", tok, nil, "")
		if resp.StatusCode != 200 || !strings.Contains(vx, "instance('station_area_3')/root/item[parent = ") || !strings.Contains(vx, "<value>PS 102</value>") ||
			!strings.Contains(vx, `calculate=" /data/station_area_3 "`) {
			t.Fatalf("voting download: %d %.300s", resp.StatusCode, vx)
		}
		_, list := fx.openRosa(t, "GET", base+"/formList", "obs1", tok, nil, "")
		if sum := md5.Sum([]byte(vx)); !strings.Contains(list, "<hash>md5:"+hex.EncodeToString(sum[:])+"</hash>") {
			t.Error("formList's hash is not the voting XForm's")
		}
		resp, _ = fx.openRosa(t, "HEAD", base+"/submission", "obs1", tok, nil, "")
		if resp.StatusCode != 204 || resp.Header.Get("X-OpenRosa-Accept-Content-Length") == "" {
			t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
		}
		voting := form.VotingTemplate()
		a := form.Answers{"station": form.IntValue(102), "arrival_time": form.TextValue("11:05"), "overall": form.TextValue("bad")}
		for _, q := range voting.Questions {
			if q.Type == form.YesNo {
				a[q.ID] = form.BoolValue(q.ID == "ballot_box_stuffing")
			}
		}
		doc := form.EncodeInstance(voting, "uuid:0c2a7f1e-1111-4000-8000-000000000002", a)
		// Collect may add metadata of its own, and sends the cascade's
		// region and district, which are not stored.
		doc = bytes.Replace(doc, []byte("<orx:instanceID>"), []byte("<orx:instanceName>Station 102</orx:instanceName><orx:instanceID>"), 1)
		doc = bytes.Replace(doc, []byte("<station>102</station>"), []byte(fmt.Sprintf("<station_area_1>%d</station_area_1><station_area_2>%d</station_area_2><station_area_3>102</station_area_3><station>102</station>",
			fx.stations["102"].ParentID, fx.stations["102"].ParentID)), 1)
		body1, ct := multipartSubmission(t, doc)
		resp, body = fx.openRosa(t, "POST", base+"/submission", "obs1", tok, body1, ct)
		if resp.StatusCode != 201 || !strings.Contains(body, "OpenRosaResponse") || resp.Header.Get("Location") == "" {
			t.Fatalf("submission: %d %s", resp.StatusCode, body)
		}
		body2, ct := multipartSubmission(t, doc)
		resp, body = fx.openRosa(t, "POST", base+"/submission", "obs1", tok, body2, ct)
		if resp.StatusCode != 202 || !strings.Contains(body, "Already received") {
			t.Fatalf("resubmission: %d %s", resp.StatusCode, body)
		}
		rep, err := db.ReportByClientID(context.Background(), fx.orgA.ID, "uuid:0c2a7f1e-1111-4000-8000-000000000002")
		if err != nil || rep.Channel != "openrosa" || rep.AreaID != fx.stations["102"].ID {
			t.Fatalf("stored: %+v %v", rep, err)
		}
		// Problems are answered precisely, nothing stored.
		bad := bytes.Replace(form.EncodeInstance(voting, "uuid:bad-1", a), []byte("<station>102</station>"), []byte("<station>abc</station>"), 1)
		body3, ct := multipartSubmission(t, bad)
		resp, body = fx.openRosa(t, "POST", base+"/submission", "obs1", tok, body3, ct)
		if resp.StatusCode != 400 || !strings.Contains(body, "station") {
			t.Fatalf("bad submission: %d %s", resp.StatusCode, body)
		}
		resp, body = fx.openRosa(t, "POST", base+"/submission", "obs1", tok, strings.NewReader("<x/>"), "text/xml")
		if resp.StatusCode != 400 || !strings.Contains(body, "xml_submission_file") {
			t.Fatalf("not multipart: %d %s", resp.StatusCode, body)
		}
		// A staff user with a password may use Collect too (Basic).
		resp, _ = fx.openRosa(t, "GET", base+"/formList", "analyst", password, nil, "")
		if resp.StatusCode != 200 {
			t.Fatalf("staff formList: %d", resp.StatusCode)
		}
		resp, _ = fx.openRosa(t, "GET", base+"/formList", "analyst", "wrong password", nil, "")
		if resp.StatusCode != 401 {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
	})
}

func (fx *obsFixture) twilio(t *testing.T, from, body, sid string, sign bool) (int, string) {
	t.Helper()
	u := fx.srv.URL + "/sms/twilio?lang=en"
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

func TestSMSTwilio(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newObsFixture(t, db)
		ctx := context.Background()
		good := "VO1001AA101AB0930AC311AD1AE1AF1AG2AH1AI2AJ2AK2AL2AM2AN3 @queue outside"
		code, body := fx.twilio(t, "+77000000004", good, "SM0001", true)
		if code != 200 || !strings.Contains(body, "<Response><Message>") {
			t.Fatalf("sms: %d %s", code, body)
		}
		rep, err := db.ReportByClientID(ctx, fx.orgA.ID, "sms:twilio:SM0001")
		if err != nil || rep.Channel != "sms" || rep.AreaID != fx.stations["101"].ID || !strings.Contains(string(rep.Answers), `"overall":"bad"`) {
			t.Fatalf("stored: %+v %v", rep, err)
		}
		// The gateway retries: same reply, nothing stored twice.
		code, again := fx.twilio(t, "+77000000004", good, "SM0001", true)
		if code != 200 || again != body {
			t.Fatalf("retry: %d %s (first %s)", code, again, body)
		}
		if n, _ := db.CountReports(ctx, fx.orgA.ID); n != 1 {
			t.Fatalf("%d reports after a retry", n)
		}
		// A forged request.
		if code, _ := fx.twilio(t, "+77000000004", good, "SM0002", false); code != 403 {
			t.Fatalf("unsigned: %d", code)
		}
		// A message with a problem gets a reply that names it.
		code, body = fx.twilio(t, "+77000000004", "VO1001AA101AB0930AD1AE7", "SM0003", true)
		if code != 200 || !strings.Contains(body, "AE") {
			t.Fatalf("bad sms: %d %s", code, body)
		}
		// An unknown phone.
		code, body = fx.twilio(t, "+79990000000", good, "SM0004", true)
		if code != 200 || !strings.Contains(body, "not on the observer roster") {
			t.Fatalf("unknown phone: %d %s", code, body)
		}
		// A station the team is not assigned.
		code, body = fx.twilio(t, "+77000000004", strings.Replace(good, "AA101", "AA201", 1), "SM0005", true)
		if code != 200 || !strings.Contains(body, "not accepted") || !strings.Contains(body, "not assigned") {
			t.Fatalf("unassigned: %d %s", code, body)
		}
		if n, _ := db.CountReports(ctx, fx.orgA.ID); n != 1 {
			t.Fatalf("%d reports after refused messages", n)
		}
		m, err := db.SMSByID(ctx, "twilio", "SM0003")
		if err != nil || m.ReportID != 0 || m.Reply == "" {
			t.Fatalf("refused message record: %+v %v", m, err)
		}
	})
}

func TestSMSTelerivet(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	post := func(params url.Values) (int, string) {
		resp, err := http.PostForm(fx.srv.URL+"/sms/telerivet?lang=ru", params)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	params := url.Values{"secret": {"telerivet-secret"}, "event": {"incoming_message"}, "id": {"SMabc"}, "from_number": {"+77000000004"},
		"to_number": {"+77001112233"}, "content": {"VO1001AA102AB1015AD1AE1AF1AG2AH2AI2AJ2AK2AL2AM2AN2"}}
	code, body := post(params)
	if code != 200 || !strings.Contains(body, `"messages":[{"content":`) {
		t.Fatalf("telerivet: %d %s", code, body)
	}
	if _, err := fx.db.ReportByClientID(context.Background(), fx.orgA.ID, "sms:telerivet:SMabc"); err != nil {
		t.Fatal(err)
	}
	params.Set("secret", "wrong")
	if code, _ := post(params); code != 403 {
		t.Fatalf("wrong secret: %d", code)
	}
}

func TestWebForm(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	jar := &cookieJar{}
	client := &http.Client{Jar: jar}
	// Without credentials the form sends to the login page.
	resp, err := client.Get(fx.srv.URL + "/observe/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Fatalf("landed on %s", resp.Request.URL)
	}
	// Another team sent to one of obs1's stations too: obs1's page shows
	// their own team's assignment only.
	teams, _ := fx.db.Teams(context.Background(), fx.orgA.ID)
	for _, tm := range teams {
		if tm.Name == "T2" {
			if err := fx.db.Assign(context.Background(), fx.orgA.ID, fx.el.ID, []store.Assignment{{TeamID: tm.ID, AreaID: fx.stations["101"].ID}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The observer's link keeps the token in a cookie.
	resp, err = client.Get(fx.srv.URL + "/observe/t/" + fx.tokens["obs1"] + "?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Your team&#39;s assignment") || !strings.Contains(string(b), "PS 101") {
		t.Fatalf("index: %d %s", resp.StatusCode, b)
	}
	if !strings.Contains(string(b), "Signed in as Aigerim (obs1), observer.") {
		t.Errorf("the observer is not greeted by name: %s", b)
	}
	if strings.Contains(string(b), "team T2") || !strings.Contains(string(b), "team T1") {
		t.Errorf("the observer's page shows another team's assignment: %s", b)
	}
	resp, err = client.Get(fmt.Sprintf("%s/observe/%d/counting", fx.srv.URL, fx.el.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	for _, want := range []string{`data-form="counting"`, `data-item="votes_2"`, `name="overall" value="very_bad"`, `/static/observe.js`, fmt.Sprintf(`data-submit="/api/v1/elections/%d/reports"`, fx.el.ID)} {
		if !strings.Contains(page, want) {
			t.Errorf("form page lacks %s", want)
		}
	}
	resp, err = client.Get(fmt.Sprintf("%s/observe/%d/counting?lang=ru", fx.srv.URL, fx.el.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Подсчёт голосов") || !strings.Contains(string(b), "Очень плохо") {
		t.Errorf("Russian form page lacks its labels")
	}
	// What the page's script sends, with the cookie the link set.
	req, _ := http.NewRequest("POST", fx.srv.URL+fx.reportsPath(), strings.NewReader(`{"client_id":"web-0000-0001","form":"voting","answers":{"station":101,"arrival_time":"10:00","boxes_sealed":true,"secrecy_ensured":true,"identity_checked":true,"group_voting":false,"ballot_box_stuffing":false,"multiple_voting":false,"identical_signatures":false,"unauthorised_present":false,"unauthorised_directing":false,"observers_restricted":false,"overall":"good"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Vigil-Channel", "web")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("web submission: %d", resp.StatusCode)
	}
	if rep, err := fx.db.ReportByClientID(context.Background(), fx.orgA.ID, "web-0000-0001"); err != nil || rep.Channel != "web" {
		t.Fatalf("stored: %+v %v", rep, err)
	}
	// A cross-site request riding on the cookie is refused (CSRF).
	req, _ = http.NewRequest("POST", fx.srv.URL+fx.reportsPath(), strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
	resp, err = client.Get(fx.srv.URL + "/observe/sw.js")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(string(b), "caches.open") {
		t.Fatalf("service worker: %s", resp.Header.Get("Content-Type"))
	}
	// Staff log in through the page.
	staff := &http.Client{Jar: &cookieJar{}}
	resp, err = staff.PostForm(fx.srv.URL+"/login", url.Values{"username": {"analyst"}, "password": {password}, "next": {"/observe/"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Signed in as analyst") || !strings.Contains(string(b), "/observe/review/") {
		t.Fatalf("login page: %d %s", resp.StatusCode, b)
	}
	resp, err = staff.Get(fmt.Sprintf("%s/observe/reports/%d?phase=voting", fx.srv.URL, fx.el.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "1 report(s) · phase voting") || !strings.Contains(string(b), "North › N1 › PS 101") {
		t.Fatalf("reports page: %d %s", resp.StatusCode, b)
	}
	resp, err = staff.PostForm(fx.srv.URL+"/login", url.Values{"username": {"analyst"}, "password": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "wrong user name or password") {
		t.Fatalf("bad login: %d", resp.StatusCode)
	}
}

// cookieJar is a minimal jar for one test server.
type cookieJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
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

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.cookies {
		out = append(out, c)
	}
	return out
}

func TestLoginThrottle(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	codes := map[int]int{}
	for i := 0; i < 14; i++ {
		code, _ := fx.do(t, "", "POST", "/api/v1/observe/login", map[string]string{"username": "admin", "password": "guess " + fmt.Sprint(i)})
		codes[code]++
	}
	if codes[401] < 8 || codes[429] < 2 {
		t.Fatalf("14 wrong passwords from one address: %v", codes)
	}
	// The right password is refused too while the address is throttled.
	if code, _ := fx.do(t, "", "POST", "/api/v1/observe/login", map[string]string{"username": "admin", "password": password}); code != 429 {
		t.Fatalf("throttled login: %d", code)
	}
}

func TestReviewPage(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	fx.do(t, "token:obs1", "POST", fx.reportsPath(), votingReport("v-101-obs1", 101, "bad", true))
	fx.do(t, "token:obs2", "POST", fx.reportsPath(), votingReport("v-101-obs2", 101, "good", true))
	fx.do(t, "analyst", "POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "box_over_issued", "expr": "ballots_in_box > ballots_issued"})
	_, flagged := fx.do(t, "token:obs1", "POST", fx.reportsPath(), countingReport("count-101", 101, 650))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(as string) (int, string) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/observe/review/%d", fx.srv.URL, fx.el.ID), nil)
		if as != "" {
			req.AddCookie(fx.cookies[as])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(as, path string, form url.Values) int {
		req, _ := http.NewRequest("POST", fx.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(fx.cookies[as])
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	code, page := get("coordinator")
	if code != 200 || !strings.Contains(page, "Conflicts between observers (1)") || !strings.Contains(page, `value="&#34;bad&#34;"`) ||
		!strings.Contains(page, "Flagged and quarantined reports (1)") || !strings.Contains(page, "box_over_issued") {
		t.Fatalf("review page: %d\n%s", code, page)
	}
	if code, _ := get(""); code != 401 {
		t.Fatalf("public review page: %d", code)
	}
	base := fmt.Sprintf("/observe/review/%d", fx.el.ID)
	if code := post("coordinator", base+"/resolve", url.Values{"area_id": {fmt.Sprint(fx.stations["101"].ID)}, "phase": {"voting"}, "question": {"overall"}, "value": {`"bad"`}}); code != http.StatusSeeOther {
		t.Fatalf("resolve: %d", code)
	}
	if code := post("coordinator", base+"/status", url.Values{"report": {fmt.Sprint(flagged["report_id"])}, "status": {"verified"}}); code != http.StatusSeeOther {
		t.Fatalf("verify: %d", code)
	}
	_, page = get("coordinator")
	if !strings.Contains(page, "Conflicts between observers (0)") || !strings.Contains(page, "Flagged and quarantined reports (0)") {
		t.Fatalf("after review:\n%s", page)
	}
	// Another organisation's analyst cannot touch A's report.
	if code := post("analystB", base+"/status", url.Values{"report": {fmt.Sprint(flagged["report_id"])}, "status": {"quarantined"}}); code != 404 {
		t.Fatalf("org B reviewing A's report: %d", code)
	}
}
