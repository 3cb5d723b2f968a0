package store

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// FormMedia is a file a form version names (a media::image picture),
// uploaded beside its workbook and served in its OpenRosa manifest.
type FormMedia struct {
	ID          int64     `json:"id"`
	OrgID       int64     `json:"org_id"`
	FormID      int64     `json:"form_id"` // the stored form version
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	MD5         string    `json:"md5"` // "md5:HEX", as the OpenRosa manifest writes it
	Size        int       `json:"size"`
	Data        []byte    `json:"-"`
	Created     time.Time `json:"created"`
}

// SaveFormMedia stores a form version's media file, replacing one of the
// same name, with the audit entries in the same transaction. The caller
// checks the name and bytes against the form (form/media.Check); the
// store checks that the form version belongs to the organisation and
// computes the hash and size from the bytes.
func (db *DB) SaveFormMedia(ctx context.Context, m *FormMedia, audit ...AuditEntry) (err error) {
	defer wrap(&err, "store.SaveFormMedia(form %d, %q)", m.FormID, m.FileName)
	sum := md5.Sum(m.Data)
	m.MD5, m.Size = "md5:"+hex.EncodeToString(sum[:]), len(m.Data)
	if m.Created.IsZero() {
		m.Created = time.Now().UTC()
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM forms WHERE id = $1 AND org_id = $2`, m.FormID, m.OrgID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("form %d of organisation %d: %w", m.FormID, m.OrgID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM form_media WHERE form_id = $1 AND file_name = $2`, m.FormID, m.FileName); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO form_media (org_id, form_id, file_name, content_type, md5, size, data, created)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			m.OrgID, m.FormID, m.FileName, m.ContentType, m.MD5, m.Size, m.Data, fmtTime(m.Created)).Scan(&m.ID); err != nil {
			return err
		}
		return auditAll(ctx, tx, audit)
	})
}

const formMediaCols = `id, org_id, form_id, file_name, content_type, md5, size, created`

// FormMediaList returns a form version's media files without their bytes,
// in name order.
func (db *DB) FormMediaList(ctx context.Context, formID int64) (_ []FormMedia, err error) {
	defer wrap(&err, "store.FormMediaList(form %d)", formID)
	rows, err := db.QueryContext(ctx, `SELECT `+formMediaCols+` FROM form_media WHERE form_id = $1 ORDER BY file_name`, formID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FormMedia
	for rows.Next() {
		var m FormMedia
		if err := rows.Scan(&m.ID, &m.OrgID, &m.FormID, &m.FileName, &m.ContentType, &m.MD5, &m.Size, scanTime(&m.Created)); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FormMediaFile loads one of a form version's media files with its bytes;
// ErrNotFound if the version has none of that name.
func (db *DB) FormMediaFile(ctx context.Context, formID int64, name string) (_ *FormMedia, err error) {
	defer wrap(&err, "store.FormMediaFile(form %d, %q)", formID, name)
	var m FormMedia
	err = db.QueryRowContext(ctx, `SELECT `+formMediaCols+`, data FROM form_media WHERE form_id = $1 AND file_name = $2`, formID, name).
		Scan(&m.ID, &m.OrgID, &m.FormID, &m.FileName, &m.ContentType, &m.MD5, &m.Size, scanTime(&m.Created), &m.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("media file %q: %w", name, ErrNotFound)
	}
	return &m, err
}
