package observeapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestProtocolPhotos: a counting report's protocol photo, sent through
// OpenRosa or the API, is published beside the observer version it created;
// what is not an image is refused; only the author (or staff) adds photos.
func TestProtocolPhotos(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		pic := webtest.PNG(t)

		// Through the API: the counting report, then its photo.
		rep := webtest.CountingReport("photo-report-0001", 101, 600)
		rep["answers"].(map[string]any)[form.ProtocolPhotoID] = "protocol.png"
		code, body := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), rep)
		if code != 201 {
			t.Fatalf("counting report: %d %v", code, body)
		}
		id := int64(body["report_id"].(float64))
		post := func(as string, q string, data []byte) int {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/elections/%d/reports/%d/photos?question=%s&name=protocol.png", fx.Srv.URL, fx.El.ID, id, q), bytes.NewReader(data))
			req.Header.Set("Authorization", "Bearer "+fx.Tokens[as])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if c := post("obs3", form.ProtocolPhotoID, pic); c != 403 && c != 404 {
			t.Errorf("another observer added a photo: %d", c)
		}
		if c := post("obs1", form.ProtocolPhotoID, []byte("<html>not an image</html>")); c != 400 {
			t.Errorf("a non-image was accepted: %d", c)
		}
		if c := post("obs1", "overall", pic); c != 400 {
			t.Errorf("a photo for a question that is not a photo question: %d", c)
		}
		if c := post("obs1", form.ProtocolPhotoID, pic); c != 201 {
			t.Fatalf("photo: %d", c)
		}
		if c := post("obs1", form.ProtocolPhotoID, pic); c != 201 {
			t.Fatalf("photo resent: %d", c)
		}
		var n int
		db.QueryRow(`SELECT count(*) FROM photos`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d photos stored, want 1 (a resend is stored once)", n)
		}

		// The station page shows it, and anyone may fetch it.
		_, page := fx.Do(t, "", "GET", fmt.Sprintf("/elections/%d/areas/%d", fx.El.ID, fx.Stations["101"].ID), nil)
		html, _ := page["raw"].(string)
		i := strings.Index(html, fmt.Sprintf("/elections/%d/photos/", fx.El.ID))
		if i < 0 {
			t.Fatalf("the station page shows no photo")
		}
		src := html[i : strings.IndexByte(html[i:], '"')+i]
		resp, err := http.Get(fx.Srv.URL + src)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, pic) {
			t.Fatalf("photo: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}

		// Through OpenRosa: the photo travels as a part named by the answer.
		counting := form.BindElection(form.CountingTemplate(), fx.El)
		// The same answers as the API report, at station 102, with the photo.
		raw, _ := json.Marshal(webtest.CountingReport("x", 102, 600)["answers"])
		var a form.Answers
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		a[form.ProtocolPhotoID] = form.TextValue("p102.png")
		doc := form.EncodeInstance(counting, "uuid:photo-102", a)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, _ := mw.CreateFormFile("xml_submission_file", "submission.xml")
		w.Write(doc)
		w, _ = mw.CreateFormFile("p102.png", "p102.png")
		w.Write(pic)
		mw.Close()
		resp2, body2 := fx.OpenRosa(t, "POST", fmt.Sprintf("/openrosa/%s/submission", fx.El.Name), "obs1", fx.Tokens["obs1"], &buf, mw.FormDataContentType())
		if resp2.StatusCode != 201 || strings.Contains(body2, "not kept") {
			t.Fatalf("openrosa with a photo: %d %s", resp2.StatusCode, body2)
		}
		db.QueryRow(`SELECT count(*) FROM photos WHERE file_name = 'p102.png'`).Scan(&n)
		if n != 1 {
			t.Fatalf("the OpenRosa photo was not stored")
		}
	})
}
