package transparency_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/translog"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// proveReceipt checks, as an observer with a receipt would, that the
// receipt's leaf is in the log's signed tree, using only public routes.
func proveReceipt(t *testing.T, base, vkey string, index int64, hash string) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/log/proof?index=%d", base, index))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		Leaf       string      `json:"leaf"`
		Proof      []tlog.Hash `json:"proof"`
		Checkpoint string      `json:"checkpoint"`
	}
	if err := jsonDecode(resp.Body, &p); err != nil || resp.StatusCode != 200 {
		t.Fatalf("proof of leaf %d: %s %v", index, resp.Status, err)
	}
	if got := translog.LeafHash([]byte(p.Leaf)).String(); got != hash {
		t.Fatalf("leaf %d hashes to %s, the receipt says %s", index, got, hash)
	}
	o, err := translog.OpenCheckpoint([]byte(p.Checkpoint), vkey)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(p.Proof, o.Size, o.Hash, index, translog.LeafHash([]byte(p.Leaf))); err != nil {
		t.Fatalf("leaf %d: %v", index, err)
	}
}

func TestReceiptsOnEveryChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		skey, vkey, _ := translog.GenerateKey("test.vigil/log")
		h, err := site.New(db, web.Options{LogVKey: vkey})
		if err != nil {
			t.Fatal(err)
		}
		pub := httptest.NewServer(h)
		defer pub.Close()

		// API (and the web form, which posts to the same route).
		code, first := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("c0ffee00-0000-4000-8000-0000000000aa", 101, "good", false))
		leaf, _ := first["leaf"].(map[string]any)
		if code != 201 || leaf == nil || leaf["leaf_hash"] == "" {
			t.Fatalf("API receipt: %d %v", code, first)
		}
		_, again := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("c0ffee00-0000-4000-8000-0000000000aa", 101, "good", false))
		if fmt.Sprint(again["leaf"]) != fmt.Sprint(leaf) {
			t.Fatalf("a resend's receipt %v is not the first's %v", again["leaf"], leaf)
		}
		// SMS: a short code in the reply, the same on the gateway's retry.
		sms := "VO1001AA101AB0930AC311AD1AE1AF1AG2AH1AI2AJ2AK2AL2AM2AN3"
		_, body := fx.Twilio(t, "+77000000004", sms, "SM0100", true)
		m := regexp.MustCompile(`Receipt L(\d+)-([0-9a-f]{6})`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no receipt in the SMS reply: %s", body)
		}
		if _, again := fx.Twilio(t, "+77000000004", sms, "SM0100", true); !strings.Contains(again, m[0]) {
			t.Fatalf("the retry's reply lacks the receipt: %s", again)
		}
		webtest.SignCheckpoint(t, db, skey)
		idx := int64(leaf["leaf_index"].(float64))
		proveReceipt(t, pub.URL, vkey, idx, leaf["leaf_hash"].(string))
		smsIdx, _ := strconv.ParseInt(m[1], 10, 64)
		ls, _ := db.LogLeaves(context.Background(), smsIdx, smsIdx+1)
		if len(ls) != 1 || !strings.Contains(string(ls[0].Data), `"channel":"sms"`) {
			t.Fatalf("the SMS receipt's leaf: %v", ls)
		}
		lh := translog.LeafHash(ls[0].Data)
		if fmt.Sprintf("%x", lh[:3]) != m[2] {
			t.Fatalf("the SMS code's hash %s is not the leaf's", m[2])
		}
		proveReceipt(t, pub.URL, vkey, smsIdx, lh.String())

		// A leaf not yet in a signed checkpoint is not proved yet.
		code, _ = fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("c0ffee00-0000-4000-8000-0000000000bb", 101, "good", false))
		n, _ := db.LogSize(context.Background())
		resp, _ := http.Get(fmt.Sprintf("%s/log/proof?index=%d", pub.URL, n-1))
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if code != 201 || resp.StatusCode != 404 || !strings.Contains(string(b), "not yet in a signed checkpoint") {
			t.Fatalf("unsigned leaf: %d %s", resp.StatusCode, b)
		}
	})
}

// TestLogRoutesArePublicAndReadOnly: anyone may read the log; nobody may
// write to it but a known witness with a valid cosignature.
func TestLogRoutesArePublicAndReadOnly(t *testing.T) {
	db := storetest.SQLite(t)
	webtest.NewObsFixture(t, db) // a log with leaves in it
	skey, vkey, _ := translog.GenerateKey("test.vigil/log")
	wsk, wvk, _ := translog.GenerateWitnessKey("w.test/1")
	webtest.SignCheckpoint(t, db, skey)
	h, _ := site.New(db, web.Options{LogVKey: vkey, Witnesses: []string{wvk}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	cp, _ := db.LatestCheckpoint(context.Background())
	for _, p := range []string{"/log/checkpoint", "/log/key", "/log/tile/0/000.p/" + strconv.FormatInt(cp.Size%256, 10), "/log/tile/entries/000.p/" + strconv.FormatInt(cp.Size%256, 10)} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s without credentials: %s", p, resp.Status)
		}
		if strings.HasPrefix(p, "/log/tile/") && !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: cache %q", p, resp.Header.Get("Cache-Control"))
		}
	}
	post := func(body string) int {
		resp, err := http.Post(srv.URL+"/log/cosignature", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// A stranger's cosignature, a forged checkpoint: refused.
	ssk, _, _ := translog.GenerateWitnessKey("stranger.test/1")
	stranger, _, _ := translog.Cosign(cp.Signed, ssk)
	if code := post(string(stranger)); code != 403 {
		t.Fatalf("a stranger's cosignature: %d", code)
	}
	forged := strings.Replace(string(cp.Signed), "\n"+strconv.FormatInt(cp.Size, 10)+"\n", "\n999\n", 1)
	fc, _, _ := translog.Cosign([]byte(forged), wsk)
	if code := post(string(fc)); code != 403 {
		t.Fatalf("a forged checkpoint: %d", code)
	}
	good, _, _ := translog.Cosign(cp.Signed, wsk)
	if code := post(string(good)); code != 201 {
		t.Fatalf("the witness's cosignature: %d", code)
	}
	resp, _ := http.Get(srv.URL + "/log/checkpoint")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	o, err := translog.OpenCheckpoint(b, vkey, wvk)
	if err != nil || len(o.Witnesses) != 1 {
		t.Fatalf("served checkpoint: %v %s", err, b)
	}
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
