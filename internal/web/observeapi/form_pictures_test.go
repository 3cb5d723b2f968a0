package observeapi_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/media"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// picturesForm names three pictures (media::image): one beside a
// question, two in its choices.
func picturesForm() *form.Form {
	return &form.Form{ID: "pics", Version: "1", Phase: form.VotingTemplate().Phase, Name: form.Label{EN: "Pictures"}, Questions: []form.Question{
		{ID: "seal", Type: form.SingleChoice, Label: form.Label{EN: "Is the seal like this?"}, Image: form.Label{EN: "booth.png"},
			Choices: []form.Choice{
				{Value: "intact", Label: form.Label{EN: "Intact"}, Image: form.Label{EN: "seal-ok.png"}},
				{Value: "broken", Label: form.Label{EN: "Broken"}, Image: form.Label{EN: "seal-broken.jpg"}},
			}},
	}}
}

// putMedia uploads a form picture as role (a session cookie).
func putMedia(t *testing.T, fx *webtest.ObsFixture, as, path string, data []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", fx.Srv.URL+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "image/png")
	req.AddCookie(fx.Cookies[as])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	webtest.CheckAgainstSpec(t, req, resp, raw)
	return resp.StatusCode, string(raw)
}

// TestFormPictures: a form's pictures are uploaded by staff, refused when
// the form does not name them or they are not pictures, listed in the
// OpenRosa manifest with the MD5 of the bytes served, and shown by the web
// form beside the question and its choices (issue 13).
func TestFormPictures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		if code, out := fx.Do(t, "admin", "POST", "/api/v1/observe/forms", picturesForm()); code != 201 {
			t.Fatalf("form upload: %d %v", code, out)
		}
		pic := webtest.PNG(t)
		put := "/api/v1/observe/forms/pics/1/media/"
		code, out := putMedia(t, fx, "admin", put+"booth.png", pic)
		if code != 201 || !strings.Contains(out, `"missing":["seal-broken.jpg","seal-ok.png"]`) || !strings.Contains(out, `"content_type":"image/png"`) {
			t.Fatalf("upload: %d %s", code, out)
		}
		for _, c := range []struct {
			as, name string
			data     []byte
			code     int
			want     string
		}{
			{"admin", "other.png", pic, 400, `does not name`},
			{"admin", "seal-ok.png", []byte("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"), 400, "not a PNG"},
			{"admin", "seal-broken.jpg", pic, 400, "name ends in"},
			{"admin", "seal-ok.png", append(bytes.Clone(pic), make([]byte, media.MaxBytes)...), 400, "at most"},
			{"coordinator", "seal-ok.png", pic, 403, "forbidden"},
			{"analystB", "seal-ok.png", pic, 404, "not found"}, // B has no form pics
		} {
			if code, out := putMedia(t, fx, c.as, put+c.name, c.data); code != c.code || !strings.Contains(out, c.want) {
				t.Errorf("%s %s: %d %s, want %d %q", c.as, c.name, code, out, c.code, c.want)
			}
		}
		log, err := db.AuditLog(context.Background(), fx.OrgA.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		var audited int
		for _, e := range log {
			if e.Action == "form.media" {
				audited++
				if e.Object != "form:pics:1:booth.png" {
					t.Errorf("audit entry of a refused upload: %+v", e)
				}
			}
		}
		if audited != 1 {
			t.Errorf("%d form.media audit entries, want 1", audited)
		}

		// OpenRosa: the form list names a manifest, which lists the
		// picture with the MD5 of the bytes its download URL serves.
		base := "/openrosa/" + fx.El.Name
		tok := fx.Tokens["obs1"]
		_, list := fx.OpenRosa(t, "GET", base+"/formList", "obs1", tok, nil, "")
		manifest := fx.Srv.URL + base + "/forms/pics/1/manifest"
		if !strings.Contains(list, "<manifestUrl>"+manifest+"</manifestUrl>") {
			t.Fatalf("formList names no manifest for pics: %s", list)
		}
		resp, mf := fx.OpenRosa(t, "GET", strings.TrimPrefix(manifest, fx.Srv.URL), "obs1", tok, nil, "")
		m := regexp.MustCompile(`<filename>booth.png</filename><hash>md5:([0-9a-f]{32})</hash><downloadUrl>([^<]+)</downloadUrl>`).FindStringSubmatch(mf)
		if resp.StatusCode != 200 || m == nil || strings.Contains(mf, "seal-ok.png") {
			t.Fatalf("manifest: %d %s", resp.StatusCode, mf)
		}
		resp, data := fx.OpenRosa(t, "GET", strings.TrimPrefix(m[2], fx.Srv.URL), "obs1", tok, nil, "")
		sum := md5.Sum([]byte(data))
		if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != m[1] || data != string(pic) || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("served picture: %d %q, hash %x, manifest says %s", resp.StatusCode, resp.Header.Get("Content-Type"), sum, m[1])
		}
		if resp, _ := fx.OpenRosa(t, "GET", base+"/forms/pics/1/media/seal-ok.png", "obs1", tok, nil, ""); resp.StatusCode != 404 {
			t.Errorf("a picture not uploaded: %d", resp.StatusCode)
		}
		if resp, _ := fx.OpenRosa(t, "GET", strings.TrimPrefix(m[2], fx.Srv.URL), "", "", nil, ""); resp.StatusCode != 401 {
			t.Errorf("picture without credentials: %d", resp.StatusCode)
		}

		// The web form shows the pictures beside the question and its
		// choices.
		code, page, _ := fx.Page(t, "token:obs1", fmt.Sprintf("/observe/%d/pics", fx.El.ID))
		mediaURL := fmt.Sprintf("/openrosa/%d/forms/pics/1/media/", fx.El.ID)
		for _, want := range []string{`<img class="q-media" src="` + mediaURL + `booth.png"`, `Intact <img class="c-media" src="` + mediaURL + `seal-ok.png"`} {
			if code != 200 || !strings.Contains(page, want) {
				t.Errorf("web form: %d, no %s", code, want)
			}
		}
	})
}

// TestWebFormPictureBrowser: in Chromium, the web form's picture loads
// (the observer's session opens the media route) and is kept in the
// offline cache.
func TestWebFormPictureBrowser(t *testing.T) {
	bin := webtest.Chromium(t)
	db := storetest.SQLite(t)
	fx := webtest.NewObsFixture(t, db)
	if code, out := fx.Do(t, "admin", "POST", "/api/v1/observe/forms", picturesForm()); code != 201 {
		t.Fatalf("form upload: %d %v", code, out)
	}
	if code, out := putMedia(t, fx, "admin", "/api/v1/observe/forms/pics/1/media/booth.png", webtest.PNG(t)); code != 201 {
		t.Fatalf("upload: %d %s", code, out)
	}
	eval := webtest.ObserverBrowser(t, bin, fx, "obs1", fmt.Sprintf("%s/observe/%d/pics", fx.Srv.URL, fx.El.ID))
	// webtest.PNG is 4×3 pixels: a loaded picture has that natural size.
	got := eval(`new Promise(r => { const i = document.querySelector("img.q-media");
		if (!i) return r("no img");
		const done = () => r(i.naturalWidth + "x" + i.naturalHeight);
		if (i.complete) done(); else { i.onload = done; i.onerror = () => r("error"); } })`)
	if got != "4x3" {
		t.Errorf("picture in the web form: %s", got)
	}
	src := fmt.Sprintf("/openrosa/%d/forms/pics/1/media/booth.png", fx.El.ID)
	cached := eval(`(async () => { for (let k = 0; k < 100; k++) {
		const hit = await caches.open("vigil-observe-v1").then(c => c.match("` + src + `"));
		if (hit) return hit.headers.get("Content-Type") + " " + (await hit.arrayBuffer()).byteLength;
		await new Promise(r => setTimeout(r, 100)); } return "not cached"; })()`)
	if want := fmt.Sprintf("image/png %d", len(webtest.PNG(t))); cached != want {
		t.Errorf("offline cache: %q, want %q", cached, want)
	}
}
