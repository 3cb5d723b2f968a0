package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/store"
)

// Publish freezes an organisation's current findings for an election and
// makes them public: the findings as computed now, and the statement
// rendered from them. Reports stay internal: the statement's figures link to
// the reports behind them, which only the mission's staff can open.
func Publish(ctx context.Context, db *store.DB, p access.Principal, electionID int64, by string, audit ...store.AuditEntry) (*store.PublishedFindings, error) {
	if err := access.Check(p, access.PublishFindings, access.Resource{OrgID: p.OrgID}); err != nil {
		return nil, err
	}
	f, err := FindingsOf(ctx, db, p, electionID, true)
	if err != nil {
		return nil, err
	}
	org, err := db.Organisation(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	fj, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	var html bytes.Buffer
	if err := StatementHTML(&html, f, StatementOptions{ReportsURL: fmt.Sprintf("/observe/reports/%d", electionID), Organisation: org.Name}); err != nil {
		return nil, err
	}
	pub := &store.PublishedFindings{OrgID: p.OrgID, Organisation: org.Name, ElectionID: electionID, PublishedBy: by, Findings: string(fj), Statement: html.String()}
	if err := db.PublishFindings(ctx, pub, audit...); err != nil {
		return nil, err
	}
	return pub, nil
}
