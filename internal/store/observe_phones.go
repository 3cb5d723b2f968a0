package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OrgCountry returns an organisation's country (ISO 3166-1 alpha-2, ""
// when not set), which reads national phone numbers.
func (db *DB) OrgCountry(ctx context.Context, orgID int64) (_ string, err error) {
	defer wrap(&err, "store.OrgCountry(org %d)", orgID)
	var cc string
	err = db.QueryRowContext(ctx, `SELECT country FROM organisations WHERE id = $1`, orgID).Scan(&cc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("organisation %d: %w", orgID, ErrNotFound)
	}
	return cc, err
}

// SetOrgCountry sets an organisation's country.
func (db *DB) SetOrgCountry(ctx context.Context, orgID int64, country string) (err error) {
	defer wrap(&err, "store.SetOrgCountry(org %d, %q)", orgID, country)
	_, err = db.ExecContext(ctx, `UPDATE organisations SET country = $1 WHERE id = $2`, strings.ToUpper(country), orgID)
	return err
}

// OrgCountries lists the countries set on organisations, for reading an
// inbound number written nationally.
func (db *DB) OrgCountries(ctx context.Context) (_ []string, err error) {
	defer wrap(&err, "store.OrgCountries()")
	return queryList(ctx, db, func(sc interface{ Scan(...any) error }) (string, error) {
		var s string
		err := sc.Scan(&s)
		return s, err
	}, `SELECT DISTINCT country FROM organisations WHERE country <> '' ORDER BY country`)
}

// SharePhone records that organisation orgID agrees to share a phone
// number (E.164) with partnerID: an observer (or two people sharing a
// phone) on both rosters. The number is shared only once both have agreed.
// The audit entries are written in the same transaction.
func (db *DB) SharePhone(ctx context.Context, orgID, partnerID int64, phone string, audit ...AuditEntry) (err error) {
	defer wrap(&err, "store.SharePhone(org %d, partner %d)", orgID, partnerID)
	if orgID == partnerID {
		return errors.New("an organisation shares a number with another one")
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO phone_shares (phone, org_id, partner_id, created) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			phone, orgID, partnerID, fmtTime(time.Now().UTC())); err != nil {
			return err
		}
		return auditAll(ctx, tx, audit)
	})
}

// PhoneShared reports whether both organisations agreed to share a number.
func (db *DB) PhoneShared(ctx context.Context, phone string, a, b int64) (_ bool, err error) {
	defer wrap(&err, "store.PhoneShared(orgs %d, %d)", a, b)
	return phoneShared(ctx, db, phone, a, b)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func phoneShared(ctx context.Context, q queryRower, phone string, a, b int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM phone_shares WHERE phone = $1 AND ((org_id = $2 AND partner_id = $3) OR (org_id = $3 AND partner_id = $2))`,
		phone, a, b).Scan(&n)
	return n == 2, err
}

// PhoneTaken is a roster's phone number that is already on another
// organisation's roster without an agreement of both to share it.
type PhoneTaken struct {
	Line  int    // the observer's line in the roster file
	Code  string // the observer's id
	Phone string
	Org   string // the other organisation
}

func (e *PhoneTaken) Error() string {
	return fmt.Sprintf("line %d: phone %s (observer %q) is already on the roster of %q: a number identifies one observer of one organisation on SMS; "+
		"if the same person observes for both, both organisations' administrators must agree to share it (vigil roster share)", e.Line, e.Phone, e.Code, e.Org)
}

// PhoneConflicts are all the numbers of a roster that are taken.
type PhoneConflicts []*PhoneTaken

func (es PhoneConflicts) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// phoneConflicts finds the observers whose number another organisation's
// roster has, unless both agreed to share it.
func phoneConflicts(ctx context.Context, tx *sql.Tx, orgID int64, obs []Observer) (PhoneConflicts, error) {
	var out PhoneConflicts
	for i := range obs {
		o := &obs[i]
		if o.Phone == "" {
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT o.org_id, g.name FROM observers o JOIN organisations g ON g.id = o.org_id
			WHERE o.phone = $1 AND o.org_id <> $2 ORDER BY o.org_id`, o.Phone, orgID)
		if err != nil {
			return nil, err
		}
		type other struct {
			id   int64
			name string
		}
		var others []other
		for rows.Next() {
			var x other
			if err := rows.Scan(&x.id, &x.name); err != nil {
				rows.Close()
				return nil, err
			}
			others = append(others, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, x := range others {
			ok, err := phoneShared(ctx, tx, o.Phone, orgID, x.id)
			if err != nil {
				return nil, err
			}
			if !ok {
				out = append(out, &PhoneTaken{Line: o.Line, Code: o.Code, Phone: o.Phone, Org: x.name})
			}
		}
	}
	return out, nil
}
