package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/load"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// fullDatabase writes, in the database at addr, some of everything vigil
// keeps: an election's results, an observation mission with its roster,
// deployment, forms, reports, QC, sessions, tokens and audit log, a photo,
// the recommendations and published findings.
func fullDatabase(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	d, err := store.Open(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	el := demo.Generate(7, demo.Params{Stations: 300, ObservedShare: 0.3})
	e, err := demo.Write(ctx, d, el)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := demo.SeedObservation(ctx, d, e.ID, 7, demo.ObservationFacts(el))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedRecommendations(ctx, d, demo.RecommendationOptions{Country: "KZ", Organisation: obs.Organisation, Elections: map[int]string{2022: e.Name}}); err != nil {
		t.Fatal(err)
	}
	o, err := d.OrganisationByName(ctx, obs.Organisation)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observe.Publish(ctx, d, access.Principal{Role: access.Analyst, OrgID: o.ID, Name: "t"}, e.ID, "t"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := load.Setup(ctx, d, 20); err != nil { // a user with a token
		t.Fatal(err)
	}
	u, err := d.UserByName(ctx, "load-coordinator")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CreateSession(ctx, access.HashToken("a session"), u.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	var reportID int64
	if err := d.QueryRow(`SELECT min(id) FROM reports WHERE org_id = $1`, o.ID).Scan(&reportID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SavePhoto(ctx, &store.Photo{OrgID: o.ID, ElectionID: e.ID, ReportID: reportID, Question: "protocol_photo",
		FileName: "p.jpg", ContentType: "image/jpeg", SHA256: strings.Repeat("ab", 32), Size: 5, Data: []byte{0xff, 0xd8, 0, 1, 0xff}}); err != nil {
		t.Fatal(err)
	}
	if sf, err := d.FormByKey(ctx, o.ID, "voting", ""); err != nil {
		t.Fatal(err)
	} else if err := d.SaveFormMedia(ctx, &store.FormMedia{OrgID: o.ID, FormID: sf.ID, FileName: "booth.png", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n")}); err != nil {
		t.Fatal(err)
	}
	var areaID int64
	d.QueryRow(`SELECT area_id FROM reports WHERE id = $1`, reportID).Scan(&areaID)
	if err := d.Resolve(ctx, o.ID, e.ID, store.Resolution{AreaID: areaID, Phase: "counting", Question: "overall", Value: []byte(`"good"`), UserID: u.ID},
		store.AuditEntry{OrgID: o.ID, Actor: "t", Channel: "web", Action: "resolve"}); err != nil {
		t.Fatal(err)
	}
	other, err := d.EnsureOrganisation(ctx, "Partner", "domestic")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SharePhone(ctx, o.ID, other.ID, "+77010000001"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.InsertSMS(ctx, d, &store.SMSMessage{Provider: "twilio", MessageID: "SM1", OrgID: o.ID, Sender: "+77010000001",
		Body: "V 12 ...", ReportID: reportID, Reply: "ok", Received: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	// The tables of the transparency log, official captures and station
	// points: a copy without them would fail the log's audit or lose the map.
	page := []byte("region,registered\nA,100\n")
	if _, err := d.SaveCapture(ctx, &store.Capture{ElectionID: e.ID, URL: "https://cec.example/results.csv", Fetched: time.Now().UTC(),
		SHA256: fmt.Sprintf("%x", sha256.Sum256(page)), Size: len(page), ContentType: "text/csv", Body: page}); err != nil {
		t.Fatal(err)
	}
	size, err := d.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := d.LogRoot(ctx, size)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SaveCheckpoint(ctx, size, root, []byte("fixture checkpoint\n")); err != nil {
		t.Fatal(err)
	}
	if err := d.AddCosignature(ctx, size, "witness.example", "— witness.example fixture\n"); err != nil {
		t.Fatal(err)
	}
	if err := d.ReplaceStationPoints(ctx, e.ID, []store.StationPoint{{AreaID: areaID, Lat: 43.238, Lon: 76.945}}); err != nil {
		t.Fatal(err)
	}
}

func sumsOf(t *testing.T, addr string) []store.TableSum {
	t.Helper()
	d, err := store.Open(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := store.Sums(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCopyBothWays moves a database with some of everything from SQLite
// to PostgreSQL and back, and finds every table's rows and checksum
// unchanged; the PostgreSQL copy takes new rows (its identities moved
// past the copied ids); a non-empty target is refused.
func TestCopyBothWays(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.db")
	fullDatabase(t, a)
	want := sumsOf(t, a)
	var empty []string
	for _, s := range want {
		if s.Rows == 0 {
			empty = append(empty, s.Table)
		}
	}
	t.Logf("tables left empty by the fixture: %v", empty)
	if len(empty) > 0 {
		t.Fatalf("the fixture leaves %d tables empty: %v", len(empty), empty)
	}
	pg := storetest.PostgresAddr(t)
	out := mustVigil(t, "copy", "--from", a, "--to", pg, "--json")
	var rep struct {
		Rows   int64            `json:"rows"`
		Tables []store.TableSum `json:"tables"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err, out)
	}
	if rep.Rows < 1000 || len(rep.Tables) != len(want) {
		t.Fatalf("copy report: %d rows, %d tables", rep.Rows, len(rep.Tables))
	}
	if got := sumsOf(t, pg); !equalSums(got, want) {
		t.Fatalf("PostgreSQL copy differs:\n got %v\nwant %v", got, want)
	}
	b := filepath.Join(dir, "b.db")
	mustVigil(t, "copy", "--from", pg, "--to", b)
	if got := sumsOf(t, b); !equalSums(got, want) {
		t.Fatalf("copy back to SQLite differs:\n got %v\nwant %v", got, want)
	}
	// The copies are live databases: new rows get new ids.
	mustVigil(t, "user", "add", "--db", pg, "--org", "New", "--username", "after-copy", "--role", "analyst")
	var obsCode, org string
	if d, err := store.Open(context.Background(), pg); err == nil {
		d.QueryRow(`SELECT o.code, g.name FROM observers o JOIN organisations g ON g.id = o.org_id ORDER BY o.id LIMIT 1`).Scan(&obsCode, &org)
		d.Close()
	}
	mustVigil(t, "token", "create", "--db", pg, "--org", org, "--observer", obsCode)
	if _, err := vigil(t, "copy", "--from", a, "--to", b); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("copy into a full database: %v", err)
	}
	if _, err := vigil(t, "copy", "--from", filepath.Join(dir, "missing.db"), "--to", filepath.Join(dir, "c.db")); err == nil {
		t.Fatal("copy from a missing file succeeded")
	}
}

func equalSums(a, b []store.TableSum) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestBackupUnderLoad takes a backup of a served database while reports
// arrive, restores it into SQLite and PostgreSQL, and finds in both every
// report acknowledged before the backup began; the source engine is
// SQLite (VACUUM INTO) and PostgreSQL (the logical copy).
func TestBackupUnderLoad(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			addr := filepath.Join(dir, "v.db")
			if engine == "postgres" {
				addr = storetest.PostgresAddr(t)
			}
			db, err := store.Open(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			electionID, token, err := load.Setup(ctx, db, 100)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			s := startServe(t, nil, "--db", addr, "--addr", "127.0.0.1:0", "--metrics-addr=", "--log-level", "warn",
				"--report-burst", "1000000", "--report-every", "1ns") // one token sends the whole load
			var mu sync.Mutex
			acked := map[int]bool{}
			lctx, cancel := context.WithCancel(ctx)
			defer cancel()
			done := make(chan load.Result, 1)
			go func() {
				done <- load.Run(lctx, load.Config{URL: s.base, Token: token, ElectionID: electionID, Stations: 100, Clients: 20,
					Reports: 1000000, Duration: 2 * time.Minute, Prefix: "bk", Retries: 5,
					OnAck: func(i int) { mu.Lock(); acked[i] = true; mu.Unlock() }})
			}()
			waitAcks := func(n int) {
				for deadline := time.Now().Add(time.Minute); ; {
					mu.Lock()
					k := len(acked)
					mu.Unlock()
					if k >= n {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("only %d reports acknowledged in a minute, want %d", k, n)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			waitAcks(300)
			mu.Lock()
			before := make([]int, 0, len(acked))
			for i := range acked {
				before = append(before, i)
			}
			mu.Unlock()
			backup := filepath.Join(dir, "backup.db")
			out := mustVigil(t, "backup", "--db", addr, backup, "--json")
			mu.Lock()
			during := len(acked) - len(before)
			mu.Unlock()
			waitAcks(len(before) + during + 100) // the load went on after the backup
			cancel()
			res := <-done
			if err := s.stop(t); err != nil {
				t.Fatalf("serve: %v", err)
			}
			t.Logf("%d reports acknowledged before the backup, %d during it; load: %v", len(before), during, res)
			if !strings.Contains(out, `"table": "reports"`) {
				t.Fatalf("backup output: %.500s", out)
			}
			if _, err := vigil(t, "backup", "--db", addr, backup); err == nil || !strings.Contains(err.Error(), "exists") {
				t.Fatalf("a second backup over the first: %v", err)
			}
			for _, target := range []string{filepath.Join(dir, "restored.db"), storetest.PostgresAddr(t)} {
				mustVigil(t, "restore", "--db", target, backup)
				r, err := store.Open(ctx, target)
				if err != nil {
					t.Fatal(err)
				}
				have := map[string]bool{}
				rows, err := r.Query(`SELECT client_id FROM reports`)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var id string
					rows.Scan(&id)
					have[id] = true
				}
				rows.Close()
				r.Close()
				for _, i := range before {
					if !have[load.ClientID("bk", i)] {
						t.Fatalf("restored into %s: report %d, acknowledged before the backup, is missing", target, i)
					}
				}
				if len(have) < len(before) {
					t.Fatalf("restore has %d reports", len(have))
				}
				// A restore never merges into data.
				if _, err := vigil(t, "restore", "--db", target, backup); err == nil || !strings.Contains(err.Error(), "not empty") {
					t.Fatalf("restore over data: %v", err)
				}
			}
		})
	}
}
