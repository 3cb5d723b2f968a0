package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-elections/vigil/internal/translog"
)

// PublishedFindings is one publication of a mission's findings.
type PublishedFindings struct {
	ID           int64     `json:"id"`
	OrgID        int64     `json:"org_id"`
	Organisation string    `json:"organisation"`
	ElectionID   int64     `json:"election_id"`
	Published    time.Time `json:"published"`
	PublishedBy  string    `json:"published_by"`
	Findings     string    `json:"-"` // the findings JSON, as computed then
	Statement    string    `json:"-"` // the statement, a standalone HTML page
	// Receipt is the publication's leaf in the transparency log (set by
	// PublishFindings).
	Receipt translog.Receipt `json:"receipt"`
}

// PublishFindings stores a snapshot; earlier publications stay. The audit
// entries given are written in the same transaction, with the
// publication's id as their detail when they have none.
func (db *DB) PublishFindings(ctx context.Context, p *PublishedFindings, audit ...AuditEntry) (err error) {
	defer wrap(&err, "store.PublishFindings(election %d)", p.ElectionID)
	if p.Published.IsZero() {
		p.Published = time.Now().UTC()
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO published_findings (org_id, election_id, published, published_by, findings, statement_html)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, p.OrgID, p.ElectionID, fmtTime(p.Published), p.PublishedBy, p.Findings, p.Statement).Scan(&p.ID); err != nil {
			return err
		}
		for _, a := range audit {
			if a.Detail == nil {
				a.Detail = json.RawMessage(`{"publication":` + strconv.FormatInt(p.ID, 10) + `}`)
			}
			if err := Audit(ctx, tx, a); err != nil {
				return err
			}
		}
		rc, err := logIDs(ctx, qLoader{tx, db.Dialect}, "published_findings", []int64{p.ID})
		if err != nil {
			return err
		}
		if len(rc) == 1 {
			p.Receipt = rc[0]
		}
		return db.touchTx(ctx, tx, p.ElectionID, ChangePublished)
	})
}

// PublishedFindingsOf lists an election's publications, newest first,
// without their bodies.
func (db *DB) PublishedFindingsOf(ctx context.Context, electionID int64) (_ []PublishedFindings, err error) {
	defer wrap(&err, "store.PublishedFindingsOf(election %d)", electionID)
	rows, err := db.QueryContext(ctx, `SELECT p.id, p.org_id, COALESCE(o.name, ''), p.election_id, p.published, p.published_by
		FROM published_findings p LEFT JOIN organisations o ON o.id = p.org_id
		WHERE p.election_id = $1 ORDER BY p.id DESC`, electionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PublishedFindings{}
	for rows.Next() {
		var p PublishedFindings
		if err := rows.Scan(&p.ID, &p.OrgID, &p.Organisation, &p.ElectionID, scanTime(&p.Published), &p.PublishedBy); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PublishedFindingsByID loads one publication with its bodies.
func (db *DB) PublishedFindingsByID(ctx context.Context, electionID, id int64) (_ *PublishedFindings, err error) {
	defer wrap(&err, "store.PublishedFindingsByID(election %d, %d)", electionID, id)
	var p PublishedFindings
	err = db.QueryRowContext(ctx, `SELECT p.id, p.org_id, COALESCE(o.name, ''), p.election_id, p.published, p.published_by, p.findings, p.statement_html
		FROM published_findings p LEFT JOIN organisations o ON o.id = p.org_id WHERE p.election_id = $1 AND p.id = $2`, electionID, id).
		Scan(&p.ID, &p.OrgID, &p.Organisation, &p.ElectionID, scanTime(&p.Published), &p.PublishedBy, &p.Findings, &p.Statement)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("published findings %d: %w", id, ErrNotFound)
	}
	return &p, err
}
