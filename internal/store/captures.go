package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-elections/vigil/internal/translog"
)

// Capture is one distinct version of an official publication fetched from
// the election administration (vigil capture, vigil watch).
type Capture struct {
	ID             int64            `json:"id"`
	ElectionID     int64            `json:"election_id,omitempty"`
	URL            string           `json:"url"`
	Fetched        time.Time        `json:"fetched"`
	SHA256         string           `json:"sha256"`
	Size           int              `json:"size"`
	ContentType    string           `json:"content_type"`
	Body           []byte           `json:"-"`
	PreviousSHA256 string           `json:"previous_sha256,omitempty"` // the version this one replaced; empty for the first
	BatchID        int64            `json:"batch_id,omitempty"`        // the import of this version, when it was imported
	Receipt        translog.Receipt `json:"leaf"`
}

// LatestCapture returns the last version captured of a URL; ErrNotFound
// if none.
func (db *DB) LatestCapture(ctx context.Context, url string) (_ *Capture, err error) {
	defer wrap(&err, "store.LatestCapture(%s)", url)
	cs, err := db.captures(ctx, `WHERE url = $1 ORDER BY id DESC LIMIT 1`, url)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("capture of %s: %w", url, ErrNotFound)
	}
	return cs[0], nil
}

// Captures lists every version captured of a URL, oldest first.
func (db *DB) Captures(ctx context.Context, url string) (_ []*Capture, err error) {
	defer wrap(&err, "store.Captures(%s)", url)
	return db.captures(ctx, `WHERE url = $1 ORDER BY id`, url)
}

func (db *DB) captures(ctx context.Context, where string, args ...any) ([]*Capture, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, election_id, url, fetched, sha256, size, content_type, body, previous_sha256, COALESCE(batch_id, 0) FROM official_captures `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Capture
	for rows.Next() {
		c := &Capture{}
		if err := rows.Scan(&c.ID, &c.ElectionID, &c.URL, scanTime(&c.Fetched), &c.SHA256, &c.Size, &c.ContentType, &c.Body, &c.PreviousSHA256, &c.BatchID); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveCapture stores a new version with its leaf, in one transaction. A
// version whose hash is that of the latest stored is not stored again
// (stored is false).
func (db *DB) SaveCapture(ctx context.Context, c *Capture) (stored bool, err error) {
	defer wrap(&err, "store.SaveCapture(%s)", c.URL)
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		// Two watchers of one URL (two servers, or a watch and a manual
		// capture) would otherwise both read the same latest version under
		// READ COMMITTED and both store the new one, the second flagged as
		// a change. SQLite's immediate transaction already serialises them.
		// Taken first, so held with the log's lock (always last) in one
		// order only.
		if err := lockNamed(ctx, tx, db.Dialect, "capture "+c.URL); err != nil {
			return err
		}
		var last string
		err := tx.QueryRowContext(ctx, `SELECT sha256 FROM official_captures WHERE url = $1 ORDER BY id DESC LIMIT 1`, c.URL).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if last == c.SHA256 {
			return nil
		}
		c.PreviousSHA256 = last
		if err := tx.QueryRowContext(ctx, `INSERT INTO official_captures (election_id, url, fetched, sha256, size, content_type, body, previous_sha256, batch_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			c.ElectionID, c.URL, fmtTime(c.Fetched), c.SHA256, c.Size, c.ContentType, c.Body, c.PreviousSHA256, nullID(c.BatchID)).Scan(&c.ID); err != nil {
			return err
		}
		rc, err := logIDs(ctx, qLoader{tx, db.Dialect}, "official_captures", []int64{c.ID})
		if err != nil {
			return err
		}
		c.Receipt = rc[0]
		stored = true
		return nil
	})
	return stored, err
}
