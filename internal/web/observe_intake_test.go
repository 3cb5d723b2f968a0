package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// Issue 10, item 1: an SMS never lands in a foreign organisation. A number
// on Mission A's roster cannot join Group B's unless both agreed; once
// shared, a message from it asks which organisation, and "@ID" answers.
func TestSMSSharedNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		ctx := context.Background()
		if err := db.SetOrgCountry(ctx, fx.OrgB.ID, "KZ"); err != nil {
			t.Fatal(err)
		}
		// Gulnara (1001, +77000000004) of Mission A, written nationally.
		obs, err := observe.ParseRosterIn(strings.NewReader("id,name,phone,team\n1001,Gulnara,8 700 000 00 04,TB\n"), "b2.csv", "Group B", "KZ")
		if err != nil || obs[0].Phone != "+77000000004" {
			t.Fatalf("%+v %v", obs, err)
		}
		_, _, err = db.ImportRoster(ctx, fx.OrgB.ID, obs)
		var taken store.PhoneConflicts
		if !errors.As(err, &taken) || len(taken) != 1 || !strings.HasPrefix(err.Error(), `line 2: phone +77000000004 (observer "1001") is already on the roster of "Mission A"`) {
			t.Fatalf("a number of another roster: %v", err)
		}
		// One side's agreement is not enough.
		if err := db.SharePhone(ctx, fx.OrgB.ID, fx.OrgA.ID, "+77000000004"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ImportRoster(ctx, fx.OrgB.ID, obs); !errors.As(err, &taken) {
			t.Fatalf("shared by one side only: %v", err)
		}
		if err := db.SharePhone(ctx, fx.OrgA.ID, fx.OrgB.ID, "+77000000004"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ImportRoster(ctx, fx.OrgB.ID, obs); err != nil {
			t.Fatalf("shared by both: %v", err)
		}
		good := "VO1001AA101AB0930AC311AD1AE1AF1AG2AH1AI2AJ2AK2AL2AM2AN3"
		code, body := fx.Twilio(t, "+77000000004", good, "SH1", true)
		want := fmt.Sprintf("this number is on the rosters of Mission A, Group B. Send the report again starting with @%d for Mission A, @%d for Group B.", fx.OrgA.ID, fx.OrgB.ID)
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("shared number: %d %s", code, body)
		}
		for _, org := range []int64{fx.OrgA.ID, fx.OrgB.ID} {
			if n, _ := db.CountReports(ctx, org); n != 0 {
				t.Fatalf("organisation %d got a report by guess", org)
			}
		}
		code, body = fx.Twilio(t, "+77000000004", fmt.Sprintf("@%d %s", fx.OrgB.ID, good), "SH2", true)
		if code != 200 || strings.Contains(body, "not accepted") {
			t.Fatalf("@B: %d %s", code, body)
		}
		if _, err := db.ReportByClientID(ctx, fx.OrgB.ID, "sms:twilio:SH2"); err != nil {
			t.Fatalf("the report is not in Group B: %v", err)
		}
		if n, _ := db.CountReports(ctx, fx.OrgA.ID); n != 0 {
			t.Fatal("Mission A got Group B's report")
		}
		// "@" naming an organisation that does not have the number asks again.
		code, body = fx.Twilio(t, "+77000000004", "@999 "+good, "SH3", true)
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("@999: %d %s", code, body)
		}
		// A national number is read in the country of the organisation
		// whose roster has it: Group B's (KZ); Mission A has no country.
		code, body = fx.Twilio(t, "87000000004", good, "SH4", true)
		if code != 200 || strings.Contains(body, "not accepted") || strings.Contains(body, "not on the observer roster") {
			t.Fatalf("national: %d %s", code, body)
		}
		if _, err := db.ReportByClientID(ctx, fx.OrgB.ID, "sms:twilio:SH4"); err != nil {
			t.Fatalf("national number: %v", err)
		}
	})
}

// A number on two rosters without agreement (put there before this
// check, or by hand) is refused, never resolved to the first.
func TestSMSTwoRostersUnshared(t *testing.T) {
	db := storetest.SQLite(t)
	fx := webtest.NewObsFixture(t, db)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `UPDATE observers SET phone = '+77000000004' WHERE code = 'b1'`); err != nil {
		t.Fatal(err)
	}
	code, body := fx.Twilio(t, "+77000000004", "VO1001AA101AB0930AC311AD1AE1AF1AG2AH1AI2AJ2AK2AL2AM2AN3", "U1", true)
	if code != 200 || !strings.Contains(body, "have not agreed to share it; nothing was stored") {
		t.Fatalf("%d %s", code, body)
	}
	for _, org := range []int64{fx.OrgA.ID, fx.OrgB.ID} {
		if n, _ := db.CountReports(ctx, org); n != 0 {
			t.Fatalf("organisation %d got a report", org)
		}
	}
}

// Issue 10, item 8: a token's reports are rate-limited with 429 and
// Retry-After, on the JSON API and OpenRosa alike (one budget).
func TestIntakeTokenRateLimit(t *testing.T) {
	fx := webtest.NewObsFixtureWith(t, storetest.SQLite(t), web.Options{Intake: web.IntakeLimits{ReportBurst: 2, ReportEvery: time.Hour}})
	for i := 1; i <= 2; i++ {
		if code, body := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport(fmt.Sprintf("ratelimit-%d", i), 101, "good", false)); code != 201 {
			t.Fatalf("report %d: %d %v", i, code, body)
		}
	}
	req, _ := http.NewRequest("POST", fx.Srv.URL+fx.ReportsPath(), strings.NewReader(`{"client_id":"ratelimit-3","form":"voting","answers":{}}`))
	req.Header.Set("Authorization", "Bearer "+fx.Tokens["obs1"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "too many reports") {
		t.Fatalf("over the limit: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if secs, _ := strconv.Atoi(resp.Header.Get("Retry-After")); secs < 1 || secs > 3600 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	voting := form.VotingTemplate()
	doc := form.EncodeInstance(voting, "uuid:ratelimit-4", form.Answers{"station": form.IntValue(101)})
	body, ct := webtest.MultipartSubmission(t, doc)
	r2, text := fx.OpenRosa(t, "POST", "/openrosa/"+fx.El.Name+"/submission", "obs1", fx.Tokens["obs1"], body, ct)
	if r2.StatusCode != 429 || r2.Header.Get("Retry-After") == "" {
		t.Fatalf("OpenRosa over the limit: %d %s", r2.StatusCode, text)
	}
	// Another observer has a budget of their own.
	if code, body := fx.Do(t, "token:obs2", "POST", fx.ReportsPath(), webtest.VotingReport("ratelimit-5", 101, "good", false)); code != 201 {
		t.Fatalf("another observer: %d %v", code, body)
	}
}

// A number flooding the gateway gets no reply past its budget (no reply
// storm to pay for); a number on no roster gets one reply per window.
func TestSMSFlood(t *testing.T) {
	fx := webtest.NewObsFixtureWith(t, storetest.SQLite(t), web.Options{Intake: web.IntakeLimits{SMSBurst: 3, SMSEvery: time.Hour}})
	empty := "<Response></Response>"
	for i := 1; i <= 5; i++ {
		code, body := fx.Twilio(t, "+77000000004", "VO1001AA101AB0930AD1AE7", fmt.Sprintf("FL%d", i), true)
		if code != 200 || (i <= 3) == strings.Contains(body, empty) {
			t.Fatalf("message %d: %d %s", i, code, body)
		}
	}
	for i := 1; i <= 3; i++ {
		code, body := fx.Twilio(t, "+79990000000", "hello", fmt.Sprintf("UN%d", i), true)
		if code != 200 || (i == 1) != strings.Contains(body, "not on the observer roster") || (i > 1) != strings.Contains(body, empty) {
			t.Fatalf("unknown %d: %d %s", i, code, body)
		}
	}
}

// A missed call through Telerivet (message_type=call) gets no SMS reply.
func TestTelerivetMissedCall(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	params := url.Values{"secret": {"telerivet-secret"}, "event": {"incoming_message"}, "message_type": {"call"}, "id": {"CALL1"},
		"from_number": {"+77000000004"}, "to_number": {"+77001112233"}, "content": {""}}
	resp, err := http.PostForm(fx.Srv.URL+"/sms/telerivet", params)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"messages":[]}` {
		t.Fatalf("missed call: %d %s", resp.StatusCode, b)
	}
	if _, err := fx.DB.SMSByID(context.Background(), "telerivet", "CALL1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a missed call was handled as a message: %v", err)
	}
}

// The free-text cap is the same on every channel: the JSON API (and the
// web form, which posts to it), OpenRosa and SMS.
func TestFreeTextCap(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	long := strings.Repeat("x", form.MaxTextBytes+1)
	want := fmt.Sprintf("a text of at most %d bytes (it has %d)", form.MaxTextBytes, len(long))
	rep := webtest.CountingReport("longtext-1", 101, 600)
	rep["answers"].(map[string]any)[form.ProtocolPhotoID] = long
	code, body := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), rep)
	if code != 400 || !strings.Contains(fmt.Sprint(body), want) {
		t.Fatalf("JSON: %d %v", code, body)
	}
	counting := form.CountingTemplate()
	doc := form.EncodeInstance(counting, "uuid:longtext-2", form.Answers{"station": form.IntValue(101), form.ProtocolPhotoID: form.TextValue(long)})
	mb, ct := webtest.MultipartSubmission(t, doc)
	resp, text := fx.OpenRosa(t, "POST", "/openrosa/"+fx.El.Name+"/submission", "obs1", fx.Tokens["obs1"], mb, ct)
	if resp.StatusCode != 400 || !strings.Contains(text, want) {
		t.Fatalf("OpenRosa: %d %.300s", resp.StatusCode, text)
	}
	// SMS: the whole message is bounded more tightly still (sms.MaxLength).
	code, reply := fx.Twilio(t, "+77000000004", "VO1001AA101AB0930AC311AD1AE1AF1AG2AH1AI2AJ2AK2AL2AM2AN3 @"+long, "LONG3", true)
	if code != 200 || !strings.Contains(reply, "unreadable") {
		t.Fatalf("SMS: %d %.300s", code, reply)
	}
	for _, org := range []int64{fx.OrgA.ID} {
		if n, _ := fx.DB.CountReports(context.Background(), org); n != 0 {
			t.Fatalf("%d reports stored with an over-long text", n)
		}
	}
}

// Photo limits: the size of one, the count per report, the bytes per
// organisation, each a setting.
func TestPhotoLimits(t *testing.T) {
	pic := webtest.PNG(t)
	post := func(fx *webtest.ObsFixture, id int64, name string, data []byte) (int, string) {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/elections/%d/reports/%d/photos?question=%s&name=%s", fx.Srv.URL, fx.El.ID, id, form.ProtocolPhotoID, name), bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+fx.Tokens["obs1"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	report := func(fx *webtest.ObsFixture, cid string) int64 {
		code, body := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.CountingReport(cid, 101, 600))
		if code != 201 {
			t.Fatalf("report: %d %v", code, body)
		}
		return int64(body["report_id"].(float64))
	}
	fx := webtest.NewObsFixtureWith(t, storetest.SQLite(t), web.Options{Intake: web.IntakeLimits{MaxPhotosPerReport: 2, MaxPhotoBytes: 4 << 10, MaxPhotoBytesOrg: int64(3 * len(pic))}})
	id := report(fx, "photolimit-1")
	big := append(append([]byte{}, pic...), make([]byte, 5<<10)...)
	if code, body := post(fx, id, "big.png", big); code != 400 || !strings.Contains(body, "larger than") {
		t.Fatalf("big photo: %d %s", code, body)
	}
	// Bytes that are no picture are the sender's mistake: 400, named.
	if code, body := post(fx, id, "notes.png", []byte("just some text, not a picture at all")); code != 400 || !strings.Contains(body, `notes.png\" is not a JPEG, PNG or WebP image`) {
		t.Fatalf("a text as a photo: %d %s", code, body)
	}
	for i, want := range []int{201, 201, 409} {
		code, body := post(fx, id, fmt.Sprintf("p%d.png", i), pic)
		if code != want {
			t.Fatalf("photo %d: %d %s", i, code, body)
		}
		if want == 409 && !strings.Contains(body, "a report has at most 2 photos") {
			t.Fatalf("photo %d: %s", i, body)
		}
	}
	id2 := report(fx, "photolimit-2")
	if code, _ := post(fx, id2, "q0.png", pic); code != 201 {
		t.Fatalf("third photo of the organisation: %d", code)
	}
	if code, body := post(fx, id2, "q1.png", pic); code != 409 || !strings.Contains(body, "the organisation's photos may take at most") {
		t.Fatalf("over the organisation's quota: %d %s", code, body)
	}
}

// The roster upload through the API refuses another organisation's number
// too, with the file and line (409).
func TestRosterUploadTakenPhone(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	code, out := fx.Do(t, "admin", "POST", "/api/v1/observe/roster?file=new.csv", "id,name,phone\nn1,Nurlan,+77000000101\nn2,Erlan,+7 700 000 00 09\n")
	if code != 409 || !strings.Contains(fmt.Sprint(out), `new.csv: line 3: phone +77000000009 (observer "n2") is already on the roster of "Group B"`) {
		t.Fatalf("roster: %d %v", code, out)
	}
	if obs, _ := fx.DB.Observers(context.Background(), fx.OrgA.ID); len(obs) != 4 {
		t.Fatalf("a refused roster changed the roster: %d observers", len(obs))
	}
}
