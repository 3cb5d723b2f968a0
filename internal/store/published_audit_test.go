package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// A publication's audit entry is written in its transaction, with the
// publication's id; an entry that cannot be written takes the
// publication with it.
func TestPublishFindingsAuditsInItsTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		org, err := db.EnsureOrganisation(ctx, "Mission", "international")
		if err != nil {
			t.Fatal(err)
		}
		pub := &store.PublishedFindings{OrgID: org.ID, ElectionID: e.ID, PublishedBy: "analyst", Findings: `{}`, Statement: "<p>x</p>"}
		if err := db.PublishFindings(ctx, pub, store.AuditEntry{OrgID: org.ID, Actor: "a", Channel: "api", Action: "findings.publish", Object: "election"}); err != nil {
			t.Fatal(err)
		}
		var detail string
		if err := db.QueryRow(`SELECT detail FROM audit WHERE action = 'findings.publish'`).Scan(&detail); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"publication":%d}`, pub.ID); detail != want {
			t.Errorf("audit detail %s, want %s", detail, want)
		}
		// With the audit table gone the entry cannot be written: no
		// publication without its entry.
		exec(t, db, `ALTER TABLE audit RENAME TO audit_gone`)
		bad := &store.PublishedFindings{OrgID: org.ID, ElectionID: e.ID, PublishedBy: "analyst", Findings: `{}`, Statement: "<p>y</p>"}
		if err := db.PublishFindings(ctx, bad, store.AuditEntry{OrgID: org.ID, Actor: "a", Channel: "api", Action: "findings.publish"}); err == nil {
			t.Fatal("a publication whose audit entry failed was stored")
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM published_findings`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d publications (%v), want 1", n, err)
		}
	})
}
