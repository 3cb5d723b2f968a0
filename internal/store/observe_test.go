package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

func TestObservationStorage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := &election.Election{Name: "e", Kind: election.Presidential, Options: []election.Option{{Name: "A"}, {Name: "B"}}}
		if err := db.CreateElection(ctx, e); err != nil {
			t.Fatal(err)
		}
		root, _ := db.AreaByPath(ctx, e.ID, nil)
		org, err := db.EnsureOrganisation(ctx, "Mission", "international")
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := db.EnsureOrganisation(ctx, "Mission", ""); again.ID != org.ID {
			t.Fatal("EnsureOrganisation made a second organisation")
		}
		if _, err := db.EnsureOrganisation(ctx, "X", "party"); err == nil {
			t.Fatal("bad kind accepted")
		}
		// Forms: versions are never overwritten.
		sf, err := db.SaveForm(ctx, org.ID, form.CountingTemplate())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveForm(ctx, org.ID, form.CountingTemplate()); err == nil || !strings.Contains(err.Error(), "already stored") {
			t.Fatalf("same version twice: %v", err)
		}
		v2 := form.CountingTemplate()
		v2.Version = "2"
		if _, err := db.SaveForm(ctx, org.ID, v2); err != nil {
			t.Fatal(err)
		}
		latest, err := db.FormByKey(ctx, org.ID, "counting", "")
		if err != nil || latest.Form.Version != "2" {
			t.Fatalf("latest: %+v %v", latest, err)
		}
		if fs, _ := db.Forms(ctx, org.ID); len(fs) != 1 || fs[0].Form.Version != "2" {
			t.Fatalf("forms: %d", len(fs))
		}
		// Roster: all or nothing, update by code.
		c, u, err := db.ImportRoster(ctx, org.ID, []store.Observer{{Code: "1", Name: "A", Team: "T"}, {Code: "2", Name: "B", Team: "T"}})
		if err != nil || c != 2 || u != 0 {
			t.Fatalf("roster: %d %d %v", c, u, err)
		}
		c, u, err = db.ImportRoster(ctx, org.ID, []store.Observer{{Code: "2", Name: "B2", Phone: "+77000000002", Team: "T"}})
		if err != nil || c != 0 || u != 1 {
			t.Fatalf("roster update: %d %d %v", c, u, err)
		}
		o2, _ := db.ObserverByCode(ctx, org.ID, "2")
		if o2.Name != "B2" || o2.Team != "T" {
			t.Fatalf("observer %+v", o2)
		}
		// Reports: a client id is stored once.
		rep := &store.Report{OrgID: org.ID, ElectionID: e.ID, FormID: sf.ID, Phase: "counting", AreaID: root.ID, ObserverID: o2.ID,
			Channel: "api", ClientID: "client-0001", Answers: json.RawMessage(`{"overall":"bad"}`), Submitted: time.Now(), Received: time.Now()}
		var id1, id2 int64
		var created1, created2 bool
		for _, dst := range []struct {
			id *int64
			c  *bool
		}{{&id1, &created1}, {&id2, &created2}} {
			if err := db.InTx(ctx, func(tx *sql.Tx) error {
				var err error
				*dst.id, *dst.c, err = store.InsertReport(ctx, tx, db.Dialect, rep)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if !created1 || created2 || id1 != id2 {
			t.Fatalf("dedupe: %d %v, %d %v", id1, created1, id2, created2)
		}
		if n, _ := db.CountReports(ctx, org.ID); n != 1 {
			t.Fatalf("%d reports", n)
		}
		got, err := db.Report(ctx, org.ID, id1)
		if err != nil || got.FormKey != "counting" || got.Status != store.StatusNew || string(got.Answers) != `{"overall":"bad"}` {
			t.Fatalf("report %+v %v", got, err)
		}
		if _, err := db.Report(ctx, org.ID+1, id1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another organisation's report: %v", err)
		}
		if err := db.UpdateReport(ctx, org.ID, id1, store.StatusQuarantined, "", store.AuditEntry{OrgID: org.ID, Actor: "t", Channel: "test", Action: "report.review"}); err != nil {
			t.Fatal(err)
		}
		if rs, _ := db.Reports(ctx, store.ReportFilter{OrgID: org.ID, Status: store.StatusQuarantined}); len(rs) != 1 {
			t.Fatalf("quarantined: %d", len(rs))
		}
		// Protocol versions numbered per area and source.
		for want := 1; want <= 2; want++ {
			p := &election.Protocol{AreaID: root.ID, Source: election.Observer, Votes: []int64{3, 4}}
			p.Figures.Set(election.Valid, 7)
			if err := db.InTx(ctx, func(tx *sql.Tx) error { return store.InsertProtocol(ctx, tx, e.ID, p) }); err != nil {
				t.Fatal(err)
			}
			if p.Version != want {
				t.Fatalf("version %d, want %d", p.Version, want)
			}
		}
		ps, _ := db.AreaProtocols(ctx, e.ID, root.ID)
		if len(ps) != 2 || ps[1].Figures.Value(election.Valid) != 7 || ps[1].Figures.Has(election.Invalid) {
			t.Fatalf("protocols %+v", ps)
		}
		// Sessions expire; tokens revoke.
		u2 := &store.User{OrgID: org.ID, Username: "u", Role: "analyst"}
		if err := db.CreateUser(ctx, u2, "hash"); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateUser(ctx, &store.User{OrgID: org.ID, Username: "u", Role: "analyst"}, "h"); err == nil {
			t.Fatal("duplicate user name accepted")
		}
		db.CreateSession(ctx, "live", u2.ID, time.Hour)
		db.CreateSession(ctx, "dead", u2.ID, -time.Second)
		if su, err := db.SessionUser(ctx, "live"); err != nil || su.ID != u2.ID || su.PasswordHash() != "hash" {
			t.Fatalf("live session: %v", err)
		}
		if _, err := db.SessionUser(ctx, "dead"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		// A new password ends the user's sessions.
		if err := db.SetPassword(ctx, u2.ID, "hash2"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SessionUser(ctx, "live"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a session outlived the password change: %v", err)
		}
		if u, err := db.UserByName(ctx, "u"); err != nil || u.PasswordHash() != "hash2" {
			t.Fatalf("password not changed: %v", err)
		}
		if err := db.SetPassword(ctx, 999999, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no such user: %v", err)
		}
		// A login starts its session only with the hash it verified still
		// the user's: one that checked the old password before the change
		// gets no session after it.
		if err := db.StartSession(ctx, "old-password", u2.ID, "hash", time.Hour); !errors.Is(err, store.ErrCredentialsChanged) {
			t.Fatalf("a session started with the replaced password: %v", err)
		}
		if _, err := db.SessionUser(ctx, "old-password"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the refused session exists: %v", err)
		}
		if err := db.StartSession(ctx, "new-password", u2.ID, "hash2", time.Hour); err != nil {
			t.Fatal(err)
		}
		if su, err := db.SessionUser(ctx, "new-password"); err != nil || su.ID != u2.ID {
			t.Fatalf("session with the current password: %v", err)
		}
		db.CreateSession(ctx, "live", u2.ID, time.Hour)
		tok := &store.Token{OrgID: org.ID, ObserverID: o2.ID}
		if err := db.CreateToken(ctx, tok, "th"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenGrant(ctx, "th"); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeToken(ctx, org.ID+1, tok.ID, store.AuditEntry{OrgID: org.ID + 1, Actor: "t", Channel: "test", Action: "token.revoke"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoking another organisation's token: %v", err)
		}
		if log, _ := db.AuditLog(ctx, org.ID+1, 10); len(log) != 0 {
			t.Fatalf("a failed revocation left audit entries %+v", log)
		}
		if err := db.RevokeToken(ctx, org.ID, tok.ID, store.AuditEntry{OrgID: org.ID, Actor: "t", Channel: "test", Action: "token.revoke"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenGrant(ctx, "th"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked token: %v", err)
		}
		// SMS messages once per provider id.
		m := &store.SMSMessage{Provider: "twilio", MessageID: "SM1", Sender: "+7", Body: "x", Reply: "r"}
		if ok, err := store.InsertSMS(ctx, db, m); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, err := store.InsertSMS(ctx, db, m); ok || err != nil {
			t.Fatal(ok, err)
		}
		if log, _ := db.AuditLog(ctx, org.ID, 10); len(log) != 2 || log[0].Action != "token.revoke" || log[1].Action != "report.review" {
			t.Fatalf("audit %+v", log)
		}
		// Stored data that does not decode is an error naming it, not an
		// empty value.
		if _, err := db.ExecContext(ctx, `UPDATE reports SET qc = 'not json' WHERE id = $1`, id1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Reports(ctx, store.ReportFilter{OrgID: org.ID}); err == nil || !strings.Contains(err.Error(), "report qc") {
			t.Fatalf("a report with malformed QC flags read as %v", err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE audit SET at = 'yesterday' WHERE org_id = $1`, org.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AuditLog(ctx, org.ID, 10); err == nil || !strings.Contains(err.Error(), `stored time "yesterday"`) {
			t.Fatalf("an audit entry with a malformed time read as %v", err)
		}
		if err := db.Assign(ctx, org.ID, e.ID, []store.Assignment{{TeamID: o2.TeamID, AreaID: root.ID + 1000}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("assigning to an area of no election: %v", err)
		}
		if err := db.DeleteObservation(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteElection(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.CountReports(ctx, org.ID); n != 0 {
			t.Fatalf("%d reports after DeleteObservation", n)
		}
	})
}
