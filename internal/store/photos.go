package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Photo is a picture sent with a report.
type Photo struct {
	ID          int64     `json:"id"`
	OrgID       int64     `json:"org_id"`
	ElectionID  int64     `json:"election_id"`
	ReportID    int64     `json:"report_id"`
	Question    string    `json:"question"` // the form's photo question
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	Size        int       `json:"size"`
	Data        []byte    `json:"-"`
	Received    time.Time `json:"received"`
}

// SavePhoto stores a photo once: a resent photo (same report, same file
// name) is not stored again and created is false.
func (db *DB) SavePhoto(ctx context.Context, p *Photo) (created bool, err error) {
	return db.SavePhotoWithin(ctx, p, PhotoLimits{})
}

// PhotoLimits bound the photos of a report and of an organisation; zero
// is no bound.
type PhotoLimits struct {
	PerReport int   // photos of one report
	OrgBytes  int64 // bytes of all an organisation's photos
}

// ErrPhotoLimit is returned (wrapped, with the limit) for a photo over a
// PhotoLimits bound.
var ErrPhotoLimit = errors.New("photo limit reached")

// SavePhotoWithin is SavePhoto under limits, checked in its transaction,
// with the audit entries in the same transaction (written for a photo sent
// again too: the log records what was asked).
func (db *DB) SavePhotoWithin(ctx context.Context, p *Photo, lim PhotoLimits, audit ...AuditEntry) (created bool, err error) {
	defer wrap(&err, "store.SavePhoto(report %d, %q)", p.ReportID, p.FileName)
	if p.Received.IsZero() {
		p.Received = time.Now().UTC()
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if db.Dialect == Postgres {
			// The checks below count and then insert: two photos of one
			// report sent to two instances at once would both pass a limit
			// of one (and both pass the organisation's quota). The report's
			// row, and the organisation's when its bytes are counted, are
			// locked first, so that the second waits and counts the first
			// (forUpdate: NO KEY UPDATE, which the organisation's new
			// reports, referring to its row, do not wait for).
			if _, err := tx.ExecContext(ctx, `SELECT id FROM reports WHERE id = $1`+forUpdate(db.Dialect), p.ReportID); err != nil {
				return err
			}
			if lim.OrgBytes > 0 {
				if _, err := tx.ExecContext(ctx, `SELECT id FROM organisations WHERE id = $1`+forUpdate(db.Dialect), p.OrgID); err != nil {
					return err
				}
			}
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM photos WHERE report_id = $1 AND file_name = $2`, p.ReportID, p.FileName).Scan(&p.ID)
		if err == nil {
			return auditAll(ctx, tx, audit)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if lim.PerReport > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM photos WHERE report_id = $1`, p.ReportID).Scan(&n); err != nil {
				return err
			}
			if n >= lim.PerReport {
				return fmt.Errorf("%w: a report has at most %d photos", ErrPhotoLimit, lim.PerReport)
			}
		}
		if lim.OrgBytes > 0 {
			var total int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(sum(size), 0) FROM photos WHERE org_id = $1`, p.OrgID).Scan(&total); err != nil {
				return err
			}
			if total+int64(p.Size) > lim.OrgBytes {
				return fmt.Errorf("%w: the organisation's photos may take at most %d MiB and hold %d MiB", ErrPhotoLimit, lim.OrgBytes>>20, total>>20)
			}
		}
		created = true
		if err := tx.QueryRowContext(ctx, `INSERT INTO photos (org_id, election_id, report_id, question, file_name, content_type, sha256, size, data, received)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			p.OrgID, p.ElectionID, p.ReportID, p.Question, p.FileName, p.ContentType, p.SHA256, p.Size, p.Data, fmtTime(p.Received)).Scan(&p.ID); err != nil {
			return err
		}
		if _, err = logIDs(ctx, qLoader{tx, db.Dialect}, "photos", []int64{p.ID}); err != nil {
			return err
		}
		if err := auditAll(ctx, tx, audit); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, p.ElectionID, ChangePhotos)
	})
	return created, err
}

// ProtocolPhotos returns, for the given protocols, the photos of the
// question named question sent with the report each protocol came from:
// protocol id → photo ids.
func (db *DB) ProtocolPhotos(ctx context.Context, electionID int64, protocolIDs []int64, question string) (_ map[int64][]int64, err error) {
	defer wrap(&err, "store.ProtocolPhotos(election %d, %q)", electionID, question)
	out := map[int64][]int64{}
	for _, pid := range protocolIDs {
		rows, err := db.QueryContext(ctx, `SELECT ph.id FROM photos ph JOIN protocols p ON p.report_id = ph.report_id
			WHERE p.id = $1 AND p.election_id = $2 AND ph.election_id = $2 AND ph.question = $3 ORDER BY ph.id`, pid, electionID, question)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[pid] = append(out[pid], id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PublicPhoto loads a photo that is public: one of the given question sent
// with a report that created a protocol version of the election.
func (db *DB) PublicPhoto(ctx context.Context, electionID, id int64, question string) (_ *Photo, err error) {
	defer wrap(&err, "store.PublicPhoto(election %d, %d, %q)", electionID, id, question)
	var p Photo
	err = db.QueryRowContext(ctx, `SELECT ph.id, ph.org_id, ph.election_id, ph.report_id, ph.question, ph.file_name, ph.content_type, ph.sha256, ph.size, ph.data, ph.received
		FROM photos ph WHERE ph.id = $1 AND ph.election_id = $2 AND ph.question = $3
		AND EXISTS (SELECT 1 FROM protocols p WHERE p.report_id = ph.report_id AND p.election_id = $2)`, id, electionID, question).
		Scan(&p.ID, &p.OrgID, &p.ElectionID, &p.ReportID, &p.Question, &p.FileName, &p.ContentType, &p.SHA256, &p.Size, &p.Data, scanTime(&p.Received))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("photo %d: %w", id, ErrNotFound)
	}
	return &p, err
}
