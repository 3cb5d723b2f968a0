package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Querier is what both *sql.DB and *sql.Tx offer; the observation methods
// that may run inside a caller's transaction take one.
type Querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Organisation is a mission or an observer group. Organisations on one
// installation share the results core and nothing else.
type Organisation struct {
	ID      int64     `json:"id"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"` // international, domestic
	Created time.Time `json:"created"`
}

// User is a member of an organisation's staff (or an observer with a
// login).
type User struct {
	ID         int64     `json:"id"`
	OrgID      int64     `json:"org_id"`
	Username   string    `json:"username"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Area       []string  `json:"area,omitempty"`
	ObserverID int64     `json:"observer_id,omitempty"`
	Disabled   bool      `json:"disabled,omitempty"`
	Created    time.Time `json:"created"`
	hash       string
}

// PasswordHash returns the stored argon2id hash.
func (u *User) PasswordHash() string { return u.hash }

// EnsureOrganisation returns the organisation with the given name,
// creating it (of the given kind) when it does not exist.
func (db *DB) EnsureOrganisation(ctx context.Context, name, kind string) (_ *Organisation, err error) {
	defer wrap(&err, "store.EnsureOrganisation(%q, %q)", name, kind)
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, errors.New("an organisation needs a name")
	}
	if kind == "" {
		kind = "domestic"
	}
	if kind != "domestic" && kind != "international" {
		return nil, fmt.Errorf("organisation kind %q: want domestic or international", kind)
	}
	o, err := db.OrganisationByName(ctx, name)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return o, err
	}
	// Two callers ensuring one organisation at once (two instances
	// starting, two imports of a roster): the second's insert does
	// nothing, and it reads the first's row.
	if _, err := db.ExecContext(ctx, `INSERT INTO organisations (name, kind, created) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		name, kind, fmtTime(time.Now().UTC())); err != nil {
		return nil, err
	}
	return db.OrganisationByName(ctx, name)
}

// OrganisationByName finds an organisation; ErrNotFound if none.
func (db *DB) OrganisationByName(ctx context.Context, name string) (_ *Organisation, err error) {
	defer wrap(&err, "store.OrganisationByName(%q)", name)
	o := &Organisation{}
	err = db.QueryRowContext(ctx, `SELECT id, name, kind, created FROM organisations WHERE name = $1`, name).
		Scan(&o.ID, &o.Name, &o.Kind, scanTime(&o.Created))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("organisation %q: %w", name, ErrNotFound)
	}
	return o, err
}

// Organisation loads an organisation by id.
func (db *DB) Organisation(ctx context.Context, id int64) (_ *Organisation, err error) {
	defer wrap(&err, "store.Organisation(%d)", id)
	o := &Organisation{}
	err = db.QueryRowContext(ctx, `SELECT id, name, kind, created FROM organisations WHERE id = $1`, id).
		Scan(&o.ID, &o.Name, &o.Kind, scanTime(&o.Created))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("organisation %d: %w", id, ErrNotFound)
	}
	return o, err
}

// CreateUser stores a user with an already hashed password; u.ID is set.
// A username already taken is an error. The audit entries are written in
// the same transaction (an empty Object becomes "user:NAME").
func (db *DB) CreateUser(ctx context.Context, u *User, passwordHash string, audit ...AuditEntry) (err error) {
	defer wrap(&err, "store.CreateUser(%q)", u.Username)
	if strings.TrimSpace(u.Username) == "" {
		return errors.New("a user needs a username")
	}
	area, err := json.Marshal(nonNil(u.Area))
	if err != nil {
		return err
	}
	if u.Created.IsZero() {
		u.Created = time.Now().UTC()
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		// ON CONFLICT rather than a look first: two creations of one name
		// at once would both have found none, and the second would have
		// failed on the unique key with the database's own message.
		err := tx.QueryRowContext(ctx, `INSERT INTO users (org_id, username, name, role, password_hash, area_path, observer_id, disabled, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) ON CONFLICT (username) DO NOTHING RETURNING id`,
			u.OrgID, u.Username, u.Name, u.Role, passwordHash, string(area), nullID(u.ObserverID), fmtTime(u.Created)).Scan(&u.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("a user named %q already exists", u.Username)
		}
		if err != nil {
			return err
		}
		return auditAll(ctx, tx, withObject(audit, "user:"+u.Username))
	})
}

const userCols = `id, org_id, username, name, role, password_hash, area_path, COALESCE(observer_id, 0), disabled, created`

func scanUser(sc interface{ Scan(...any) error }) (*User, error) {
	u := &User{}
	var area string
	var disabled int
	if err := sc.Scan(&u.ID, &u.OrgID, &u.Username, &u.Name, &u.Role, &u.hash, &area, &u.ObserverID, &disabled, scanTime(&u.Created)); err != nil {
		return nil, err
	}
	u.Disabled = disabled != 0
	if err := json.Unmarshal([]byte(area), &u.Area); err != nil {
		return nil, fmt.Errorf("user %d: bad area: %w", u.ID, err)
	}
	return u, nil
}

// SetPassword replaces a user's password hash and ends the user's
// sessions, so that the old password opens nothing any more (a password is
// reset because it was lost or seen by someone else: whoever holds a
// session made with it must log in again). An audit entry, when given, is
// written in the same transaction (vigil user reset-password).
func (db *DB) SetPassword(ctx context.Context, userID int64, passwordHash string, audit ...AuditEntry) (err error) {
	defer wrap(&err, "store.SetPassword(user %d)", userID)
	return db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, userID)
		if err != nil {
			return err
		}
		if n, err := rowsAffected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("user %d: %w", userID, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if err := auditAll(ctx, tx, audit); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, 0, ChangeAccess)
	})
}

// UserByName finds a user by username; ErrNotFound if none.
func (db *DB) UserByName(ctx context.Context, username string) (_ *User, err error) {
	defer wrap(&err, "store.UserByName(%q)", username)
	u, err := scanUser(db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	return u, err
}

// Users lists an organisation's users.
func (db *DB) Users(ctx context.Context, orgID int64) (_ []*User, err error) {
	defer wrap(&err, "store.Users(org %d)", orgID)
	rows, err := db.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession stores a session for a user under the hash of its token,
// with the audit entries in the same transaction, checking nothing of the
// user: a login, which checked a password, uses StartSession.
func (db *DB) CreateSession(ctx context.Context, tokenHash string, userID int64, ttl time.Duration, audit ...AuditEntry) error {
	if err := db.insertSession(ctx, tokenHash, userID, ttl, audit, ""); err != nil {
		return fmt.Errorf("store.CreateSession(user %d): %w", userID, err)
	}
	return nil
}

// ErrCredentialsChanged refuses a login whose password was changed (or
// whose account was disabled) between its check and its session.
var ErrCredentialsChanged = errors.New("the password was changed or the account disabled meanwhile")

// StartSession is CreateSession for a login that verified the password
// hash verifiedHash: the session is stored only if that is still the
// user's hash and the user is not disabled. A password reset deletes the
// user's sessions; a login whose check (an argon2id hash, a tenth of a
// second) began before the reset and whose session came after would
// otherwise keep a live session opened with the old password. On
// PostgreSQL the user's row is read FOR SHARE, so that a reset not yet
// committed is waited for and its hash compared.
func (db *DB) StartSession(ctx context.Context, tokenHash string, userID int64, verifiedHash string, ttl time.Duration, audit ...AuditEntry) error {
	lock := ""
	if db.Dialect == Postgres {
		lock = ` FOR SHARE`
	}
	if err := db.insertSession(ctx, tokenHash, userID, ttl, audit,
		`EXISTS (SELECT 1 FROM users WHERE id = $2 AND password_hash = $5 AND disabled = 0`+lock+`)`, verifiedHash); err != nil {
		return fmt.Errorf("store.StartSession(user %d): %w", userID, err)
	}
	return nil
}

// insertSession stores a session, with its audit entries, if cond (""
// for none; its parameters from $5 are args) holds; ErrCredentialsChanged
// if it does not.
func (db *DB) insertSession(ctx context.Context, tokenHash string, userID int64, ttl time.Duration, audit []AuditEntry, cond string, args ...any) error {
	now := time.Now().UTC()
	if cond == "" {
		cond = "1 = 1"
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created, expires) SELECT $1, $2, $3, $4 WHERE `+cond,
			append([]any{tokenHash, userID, fmtTime(now), fmtTime(now.Add(ttl))}, args...)...)
		if err != nil {
			return err
		}
		if n, err := rowsAffected(res); err != nil {
			return err
		} else if n == 0 {
			return ErrCredentialsChanged
		}
		return auditAll(ctx, tx, audit)
	})
}

// SessionUser returns the user of a live session; ErrNotFound when the
// session does not exist, has expired, or its user is disabled.
func (db *DB) SessionUser(ctx context.Context, tokenHash string) (_ *User, err error) {
	defer wrap(&err, "store.SessionUser()")
	u, err := scanUser(db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = (SELECT s.user_id FROM sessions s
		WHERE s.token_hash = $1 AND s.expires > $2) AND disabled = 0`, tokenHash, fmtTime(time.Now().UTC())))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	return u, err
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("store.DeleteSession: %w", err)
	}
	return nil
}

// Token is an API token: it authenticates an observer's phone (or a
// user's script) without a password. Only its hash is stored.
type Token struct {
	ID         int64     `json:"id"`
	OrgID      int64     `json:"org_id"`
	UserID     int64     `json:"user_id,omitempty"`
	ObserverID int64     `json:"observer_id,omitempty"`
	Label      string    `json:"label"`
	Created    time.Time `json:"created"`
	Revoked    string    `json:"revoked,omitempty"` // when; empty while valid
}

// CreateToken stores a token's hash for an observer or a user of org,
// with the audit entries in the same transaction (an empty Object becomes
// "token:ID").
func (db *DB) CreateToken(ctx context.Context, t *Token, tokenHash string, audit ...AuditEntry) (err error) {
	defer wrap(&err, "store.CreateToken(org %d)", t.OrgID)
	if (t.UserID == 0) == (t.ObserverID == 0) {
		return errors.New("a token belongs to exactly one observer or one user")
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if err := insertToken(ctx, tx, t, tokenHash); err != nil {
			return err
		}
		return auditAll(ctx, tx, withObject(audit, "token:"+strconv.FormatInt(t.ID, 10)))
	})
}

// CreateTokens stores many tokens' hashes (hashes[i] is ts[i]'s) in one
// transaction, all or none: a load generator's or a deployment's
// observers, whom a transaction each would keep waiting on as many
// commits. Each token gets the audit entry given, with its own object
// ("token:ID"); an entry without an action is none.
func (db *DB) CreateTokens(ctx context.Context, ts []*Token, hashes []string, audit AuditEntry) (err error) {
	defer wrap(&err, "store.CreateTokens(%d tokens)", len(ts))
	if len(hashes) != len(ts) {
		return fmt.Errorf("%d hashes for %d tokens", len(hashes), len(ts))
	}
	for _, t := range ts {
		if (t.UserID == 0) == (t.ObserverID == 0) {
			return errors.New("a token belongs to exactly one observer or one user")
		}
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		for i, t := range ts {
			if err := insertToken(ctx, tx, t, hashes[i]); err != nil {
				return fmt.Errorf("token %d (%q): %w", i+1, t.Label, err)
			}
			if audit.Action != "" {
				e := audit
				e.OrgID, e.Object = t.OrgID, "token:"+strconv.FormatInt(t.ID, 10)
				if err := Audit(ctx, tx, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func insertToken(ctx context.Context, tx *sql.Tx, t *Token, tokenHash string) error {
	t.Created = time.Now().UTC()
	return tx.QueryRowContext(ctx, `INSERT INTO api_tokens (org_id, user_id, observer_id, token_hash, label, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		t.OrgID, nullID(t.UserID), nullID(t.ObserverID), tokenHash, t.Label, fmtTime(t.Created)).Scan(&t.ID)
}

// TokenGrant is what a valid token grants: the token and, for an
// observer's, the observer's organisation and code and the areas their
// team is assigned, in every election.
type TokenGrant struct {
	Token         Token
	ObserverOrg   int64
	ObserverCode  string
	ObserverAreas []AssignedArea
}

// TokenGrant finds a valid (unrevoked) token with what it grants, in one
// query; ErrNotFound if there is none. Every submission from a phone
// authenticates, and an observer sends a report every half hour or so:
// a server's cache of principals seldom holds the observer's, and the
// three queries the token, the observer and their stations took each
// were a fifth of the intake's CPU with 40,000 observers (issue 9).
func (db *DB) TokenGrant(ctx context.Context, tokenHash string) (_ *TokenGrant, err error) {
	defer wrap(&err, "store.TokenGrant()")
	rows, err := db.QueryContext(ctx, `SELECT t.id, t.org_id, COALESCE(t.user_id, 0), COALESCE(t.observer_id, 0), t.label, t.created,
			COALESCE(o.org_id, 0), COALESCE(o.code, ''), a.election_id, ar.path
		FROM api_tokens t
		LEFT JOIN observers o ON o.id = t.observer_id
		LEFT JOIN assignments a ON a.team_id = o.team_id
		LEFT JOIN areas ar ON ar.id = a.area_id
		WHERE t.token_hash = $1 AND t.revoked = ''`, tokenHash)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var g *TokenGrant
	for rows.Next() {
		var t Token
		var org int64
		var code string
		var election sql.NullInt64
		var path sql.NullString
		if err := rows.Scan(&t.ID, &t.OrgID, &t.UserID, &t.ObserverID, &t.Label, scanTime(&t.Created), &org, &code, &election, &path); err != nil {
			return nil, err
		}
		if g == nil {
			g = &TokenGrant{Token: t, ObserverOrg: org, ObserverCode: code}
		}
		if path.Valid {
			var p []string
			if err := json.Unmarshal([]byte(path.String), &p); err != nil {
				return nil, fmt.Errorf("token %d: the path of an assigned area: %w", t.ID, err)
			}
			g.ObserverAreas = append(g.ObserverAreas, AssignedArea{Election: election.Int64, Path: p})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	if g.Token.ObserverID != 0 && g.ObserverOrg == 0 {
		return nil, fmt.Errorf("token %d: observer %d: %w", g.Token.ID, g.Token.ObserverID, ErrNotFound)
	}
	return g, nil
}

// RevokeToken revokes a token of org, with the audit entries in the same
// transaction; ErrNotFound if org has no such valid token.
func (db *DB) RevokeToken(ctx context.Context, orgID, id int64, audit ...AuditEntry) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked = $1 WHERE id = $2 AND org_id = $3 AND revoked = ''`,
			fmtTime(time.Now().UTC()), id, orgID)
		if err != nil {
			return fmt.Errorf("store.RevokeToken(%d): %w", id, err)
		}
		n, err := rowsAffected(res)
		if err != nil {
			return fmt.Errorf("store.RevokeToken(%d): %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("token %d: %w", id, ErrNotFound)
		}
		if err := auditAll(ctx, tx, audit); err != nil {
			return err
		}
		// Every instance drops the token from its cache at once.
		return db.touchTx(ctx, tx, 0, ChangeAccess)
	})
}

// Tokens lists an organisation's tokens (never their secrets).
func (db *DB) Tokens(ctx context.Context, orgID int64) (_ []Token, err error) {
	defer wrap(&err, "store.Tokens(org %d)", orgID)
	rows, err := db.QueryContext(ctx, `SELECT id, org_id, COALESCE(user_id, 0), COALESCE(observer_id, 0), label, created, revoked FROM api_tokens WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.OrgID, &t.UserID, &t.ObserverID, &t.Label, scanTime(&t.Created), &t.Revoked); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// AuditEntry is one line of the audit log: who did what, when, through
// which channel (web, api, sms, openrosa, cli).
type AuditEntry struct {
	ID      int64           `json:"id"`
	OrgID   int64           `json:"org_id,omitempty"`
	Actor   string          `json:"actor"`
	Channel string          `json:"channel"`
	Action  string          `json:"action"`
	Object  string          `json:"object,omitempty"`
	Detail  json.RawMessage `json:"detail,omitempty"`
	At      time.Time       `json:"at"`
}

// Audit appends an entry to the log, in q's transaction when q is one.
func Audit(ctx context.Context, q Querier, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	detail := string(e.Detail)
	if detail == "" {
		detail = "{}"
	}
	_, err := q.ExecContext(ctx, `INSERT INTO audit (org_id, actor, channel, action, object, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		nullID(e.OrgID), e.Actor, e.Channel, e.Action, e.Object, detail, fmtTime(e.At))
	if err != nil {
		return fmt.Errorf("store.Audit(%s %s): %w", e.Action, e.Object, err)
	}
	return nil
}

// auditAll appends entries in tx: an action and its audit entries commit
// or fail together, so the log never misses an action that happened.
func auditAll(ctx context.Context, tx *sql.Tx, es []AuditEntry) error {
	for _, e := range es {
		if err := Audit(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// withObject returns es with object as the Object of those that have
// none: the caller of a store method that creates a record does not know
// the record's id before the transaction does.
func withObject(es []AuditEntry, object string) []AuditEntry {
	out := make([]AuditEntry, len(es))
	for i, e := range es {
		if e.Object == "" {
			e.Object = object
		}
		out[i] = e
	}
	return out
}

// AuditLog returns an organisation's most recent entries, newest first.
func (db *DB) AuditLog(ctx context.Context, orgID int64, limit int) (_ []AuditEntry, err error) {
	defer wrap(&err, "store.AuditLog(org %d)", orgID)
	rows, err := db.QueryContext(ctx, `SELECT id, COALESCE(org_id, 0), actor, channel, action, object, detail, at FROM audit WHERE org_id = $1 ORDER BY id DESC LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var detail string
		if err := rows.Scan(&e.ID, &e.OrgID, &e.Actor, &e.Channel, &e.Action, &e.Object, &detail, scanTime(&e.At)); err != nil {
			return nil, err
		}
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	return out, rows.Err()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// User loads a user by id; ErrNotFound if none.
func (db *DB) User(ctx context.Context, id int64) (_ *User, err error) {
	defer wrap(&err, "store.User(%d)", id)
	u, err := scanUser(db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return u, err
}
