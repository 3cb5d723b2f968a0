package gateway_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

func TestOpenRosa(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		base := fmt.Sprintf("/openrosa/%s", fx.El.Name)
		tok := fx.Tokens["obs1"]
		// No credentials: a Basic challenge, with the OpenRosa headers.
		resp, _ := fx.OpenRosa(t, "GET", base+"/formList", "", "", nil, "")
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") || resp.Header.Get("X-OpenRosa-Version") != "1.0" {
			t.Fatalf("formList without auth: %d %v", resp.StatusCode, resp.Header)
		}
		resp, body := fx.OpenRosa(t, "GET", base+"/formList", "obs1", tok, nil, "")
		if resp.StatusCode != 200 || !strings.Contains(body, "<formID>voting</formID>") || !strings.Contains(body, "<downloadUrl>"+fx.Srv.URL+base+"/forms/counting/") {
			t.Fatalf("formList: %d %s", resp.StatusCode, body)
		}
		resp, body = fx.OpenRosa(t, "GET", base+"/forms/counting/"+form.TemplateVersion, "obs1", tok, nil, "")
		if resp.StatusCode != 200 || !strings.Contains(body, "votes_2") || !strings.Contains(body, "<h:html") {
			t.Fatalf("form download: %d %.300s", resp.StatusCode, body)
		}
		// The built-in forms ask the station through the cascade of the
		// election's areas (issue 13), and formList's hash is the served
		// XForm's.
		resp, vx := fx.OpenRosa(t, "GET", base+"/forms/voting/"+form.TemplateVersion, "obs1", tok, nil, "")
		if resp.StatusCode != 200 || !strings.Contains(vx, "instance('station_area_3')/root/item[parent = ") || !strings.Contains(vx, "<value>PS 102</value>") ||
			!strings.Contains(vx, `calculate=" /data/station_area_3 "`) {
			t.Fatalf("voting download: %d %.300s", resp.StatusCode, vx)
		}
		_, list := fx.OpenRosa(t, "GET", base+"/formList", "obs1", tok, nil, "")
		if sum := md5.Sum([]byte(vx)); !strings.Contains(list, "<hash>md5:"+hex.EncodeToString(sum[:])+"</hash>") {
			t.Error("formList's hash is not the voting XForm's")
		}
		resp, _ = fx.OpenRosa(t, "HEAD", base+"/submission", "obs1", tok, nil, "")
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
			fx.Stations["102"].ParentID, fx.Stations["102"].ParentID)), 1)
		body1, ct := webtest.MultipartSubmission(t, doc)
		resp, body = fx.OpenRosa(t, "POST", base+"/submission", "obs1", tok, body1, ct)
		if resp.StatusCode != 201 || !strings.Contains(body, "OpenRosaResponse") || resp.Header.Get("Location") == "" {
			t.Fatalf("submission: %d %s", resp.StatusCode, body)
		}
		body2, ct := webtest.MultipartSubmission(t, doc)
		resp, body = fx.OpenRosa(t, "POST", base+"/submission", "obs1", tok, body2, ct)
		if resp.StatusCode != 202 || !strings.Contains(body, "Already received") {
			t.Fatalf("resubmission: %d %s", resp.StatusCode, body)
		}
		rep, err := db.ReportByClientID(context.Background(), fx.OrgA.ID, "uuid:0c2a7f1e-1111-4000-8000-000000000002")
		if err != nil || rep.Channel != "openrosa" || rep.AreaID != fx.Stations["102"].ID {
			t.Fatalf("stored: %+v %v", rep, err)
		}
		// Problems are answered precisely, nothing stored.
		bad := bytes.Replace(form.EncodeInstance(voting, "uuid:bad-1", a), []byte("<station>102</station>"), []byte("<station>abc</station>"), 1)
		body3, ct := webtest.MultipartSubmission(t, bad)
		resp, body = fx.OpenRosa(t, "POST", base+"/submission", "obs1", tok, body3, ct)
		if resp.StatusCode != 400 || !strings.Contains(body, "station") {
			t.Fatalf("bad submission: %d %s", resp.StatusCode, body)
		}
		resp, body = fx.OpenRosa(t, "POST", base+"/submission", "obs1", tok, strings.NewReader("<x/>"), "text/xml")
		if resp.StatusCode != 400 || !strings.Contains(body, "xml_submission_file") {
			t.Fatalf("not multipart: %d %s", resp.StatusCode, body)
		}
		// A staff user with a password may use Collect too (Basic).
		resp, _ = fx.OpenRosa(t, "GET", base+"/formList", "analyst", webtest.Password, nil, "")
		if resp.StatusCode != 200 {
			t.Fatalf("staff formList: %d", resp.StatusCode)
		}
		resp, _ = fx.OpenRosa(t, "GET", base+"/formList", "analyst", "wrong password", nil, "")
		if resp.StatusCode != 401 {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
	})
}

func TestSMSTwilio(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		ctx := context.Background()
		good := "VO1001AA101AB0930AC311AD1AE1AF1AG2AH1AI2AJ2AK2AL2AM2AN3 @queue outside"
		code, body := fx.Twilio(t, "+77000000004", good, "SM0001", true)
		if code != 200 || !strings.Contains(body, "<Response><Message>") {
			t.Fatalf("sms: %d %s", code, body)
		}
		rep, err := db.ReportByClientID(ctx, fx.OrgA.ID, "sms:twilio:SM0001")
		if err != nil || rep.Channel != "sms" || rep.AreaID != fx.Stations["101"].ID || !strings.Contains(string(rep.Answers), `"overall":"bad"`) {
			t.Fatalf("stored: %+v %v", rep, err)
		}
		// The gateway retries: same reply, nothing stored twice.
		code, again := fx.Twilio(t, "+77000000004", good, "SM0001", true)
		if code != 200 || again != body {
			t.Fatalf("retry: %d %s (first %s)", code, again, body)
		}
		if n, _ := db.CountReports(ctx, fx.OrgA.ID); n != 1 {
			t.Fatalf("%d reports after a retry", n)
		}
		// A forged request.
		if code, _ := fx.Twilio(t, "+77000000004", good, "SM0002", false); code != 403 {
			t.Fatalf("unsigned: %d", code)
		}
		// A message with a problem gets a reply that names it.
		code, body = fx.Twilio(t, "+77000000004", "VO1001AA101AB0930AD1AE7", "SM0003", true)
		if code != 200 || !strings.Contains(body, "AE") {
			t.Fatalf("bad sms: %d %s", code, body)
		}
		// An unknown phone.
		code, body = fx.Twilio(t, "+79990000000", good, "SM0004", true)
		if code != 200 || !strings.Contains(body, "not on the observer roster") {
			t.Fatalf("unknown phone: %d %s", code, body)
		}
		// A station the team is not assigned.
		code, body = fx.Twilio(t, "+77000000004", strings.Replace(good, "AA101", "AA201", 1), "SM0005", true)
		if code != 200 || !strings.Contains(body, "not accepted") || !strings.Contains(body, "not assigned") {
			t.Fatalf("unassigned: %d %s", code, body)
		}
		if n, _ := db.CountReports(ctx, fx.OrgA.ID); n != 1 {
			t.Fatalf("%d reports after refused messages", n)
		}
		m, err := db.SMSByID(ctx, "twilio", "SM0003")
		if err != nil || m.ReportID != 0 || m.Reply == "" {
			t.Fatalf("refused message record: %+v %v", m, err)
		}
	})
}

func TestSMSTelerivet(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	post := func(params url.Values) (int, string) {
		resp, err := http.PostForm(fx.Srv.URL+"/sms/telerivet?lang=ru", params)
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
	if _, err := fx.DB.ReportByClientID(context.Background(), fx.OrgA.ID, "sms:telerivet:SMabc"); err != nil {
		t.Fatal(err)
	}
	params.Set("secret", "wrong")
	if code, _ := post(params); code != 403 {
		t.Fatalf("wrong secret: %d", code)
	}
}
