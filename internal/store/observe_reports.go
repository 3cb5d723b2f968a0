package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
)

// StoredForm is one version of a form as an organisation holds it.
type StoredForm struct {
	ID      int64      `json:"id"`
	OrgID   int64      `json:"org_id"`
	Active  bool       `json:"active"`
	Created time.Time  `json:"created"`
	Form    *form.Form `json:"form"`
}

// SaveForm stores a version of a form, which the caller has checked
// (observe.SaveForm does), with the audit entries in the same transaction.
// A key and version already stored is an error: versions are never
// overwritten.
func (db *DB) SaveForm(ctx context.Context, orgID int64, f *form.Form, audit ...AuditEntry) (_ *StoredForm, err error) {
	defer wrap(&err, "store.SaveForm(org %d, %s %s)", orgID, f.ID, f.Version)
	sfs, err := db.saveForms(ctx, orgID, []*form.Form{f}, audit)
	if err != nil {
		return nil, err
	}
	return sfs[0], nil
}

// SaveForms stores forms as SaveForm does, all or none, with the audit
// entries in the same transaction (observe.InstallDefaultForms).
func (db *DB) SaveForms(ctx context.Context, orgID int64, fs []*form.Form, audit ...AuditEntry) (_ []*StoredForm, err error) {
	defer wrap(&err, "store.SaveForms(org %d, %d forms)", orgID, len(fs))
	return db.saveForms(ctx, orgID, fs, audit)
}

func (db *DB) saveForms(ctx context.Context, orgID int64, fs []*form.Form, audit []AuditEntry) ([]*StoredForm, error) {
	bodies := make([]string, len(fs))
	for i, f := range fs {
		b, err := json.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("form %s: %w", f.ID, err)
		}
		bodies[i] = string(b)
	}
	sfs := make([]*StoredForm, len(fs))
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for i, f := range fs {
			sf := &StoredForm{OrgID: orgID, Active: true, Created: time.Now().UTC(), Form: f}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM forms WHERE org_id = $1 AND form_key = $2 AND version = $3`, orgID, f.ID, f.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("form %s version %s is already stored; give the new one another version", f.ID, f.Version)
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO forms (org_id, form_key, version, phase, body, active, created) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id`,
				orgID, f.ID, f.Version, string(f.Phase), bodies[i], fmtTime(sf.Created)).Scan(&sf.ID); err != nil {
				return err
			}
			sfs[i] = sf
		}
		if err := auditAll(ctx, tx, audit); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, 0, ChangeObservation)
	})
	if err != nil {
		return nil, err
	}
	return sfs, nil
}

func scanForm(sc interface{ Scan(...any) error }) (*StoredForm, error) {
	sf := &StoredForm{}
	var body string
	var active int
	if err := sc.Scan(&sf.ID, &sf.OrgID, &active, scanTime(&sf.Created), &body); err != nil {
		return nil, err
	}
	sf.Active = active != 0
	sf.Form = &form.Form{}
	if err := json.Unmarshal([]byte(body), sf.Form); err != nil {
		return nil, fmt.Errorf("form %d: bad body: %w", sf.ID, err)
	}
	return sf, nil
}

const formCols = `id, org_id, active, created, body`

// Forms returns the latest version of each of an organisation's forms.
func (db *DB) Forms(ctx context.Context, orgID int64) (_ []*StoredForm, err error) {
	defer wrap(&err, "store.Forms(org %d)", orgID)
	rows, err := db.QueryContext(ctx, `SELECT `+formCols+` FROM forms WHERE org_id = $1 AND active = 1 ORDER BY form_key, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*StoredForm
	for rows.Next() {
		sf, err := scanForm(rows)
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].Form.ID == sf.Form.ID {
			out[n-1] = sf
			continue
		}
		out = append(out, sf)
	}
	return out, rows.Err()
}

// FormByKey returns a form of org by key and version; an empty version
// means the latest. ErrNotFound if none.
func (db *DB) FormByKey(ctx context.Context, orgID int64, key, version string) (_ *StoredForm, err error) {
	defer wrap(&err, "store.FormByKey(org %d, %q, %q)", orgID, key, version)
	var row *sql.Row
	if version == "" {
		row = db.QueryRowContext(ctx, `SELECT `+formCols+` FROM forms WHERE org_id = $1 AND form_key = $2 ORDER BY id DESC LIMIT 1`, orgID, key)
	} else {
		row = db.QueryRowContext(ctx, `SELECT `+formCols+` FROM forms WHERE org_id = $1 AND form_key = $2 AND version = $3`, orgID, key, version)
	}
	sf, err := scanForm(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("form %q version %q: %w", key, version, ErrNotFound)
	}
	return sf, err
}

// FormByID loads a stored form by id.
func (db *DB) FormByID(ctx context.Context, id int64) (_ *StoredForm, err error) {
	defer wrap(&err, "store.FormByID(%d)", id)
	sf, err := scanForm(db.QueryRowContext(ctx, `SELECT `+formCols+` FROM forms WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("form %d: %w", id, ErrNotFound)
	}
	return sf, err
}

// Report statuses.
const (
	StatusNew         = "new"
	StatusFlagged     = "flagged"
	StatusVerified    = "verified"
	StatusQuarantined = "quarantined"
)

// Report is one observation report, whichever channel brought it.
type Report struct {
	ID          int64           `json:"id"`
	OrgID       int64           `json:"org_id"`
	ElectionID  int64           `json:"election_id"`
	FormID      int64           `json:"form_id"`
	FormKey     string          `json:"form"`
	FormVersion string          `json:"form_version"`
	Phase       string          `json:"phase"`
	AreaID      int64           `json:"area_id,omitempty"`
	AreaPath    []string        `json:"area_path,omitempty"`
	ObserverID  int64           `json:"observer_id,omitempty"`
	UserID      int64           `json:"user_id,omitempty"`
	Channel     string          `json:"channel"` // api, web, sms, openrosa
	ClientID    string          `json:"client_id"`
	Answers     json.RawMessage `json:"answers"`
	Status      string          `json:"status"`
	QC          []string        `json:"qc,omitempty"` // names of the QC rules that fired
	Triage      string          `json:"triage,omitempty"`
	Submitted   time.Time       `json:"submitted"`
	Received    time.Time       `json:"received"`
	// Decoded, when the submitter has it, is Answers decoded: what
	// Answers holds is its encoding (observe.Service.Submit), so the group
	// commit folds these instead of decoding Answers again (a fifteenth
	// of its CPU and of the intake's allocation, issue 9). Folding reads
	// each value only as its encoding (agg's valueKey), which decoding the
	// encoding gives back when the answers are valid UTF-8, the only ones
	// Submit gives here (form.TestAnswersReencode). Never stored, never
	// sent.
	Decoded form.Answers `json:"-"`
}

// InsertReport stores a report in q's transaction unless the
// organisation already has one with its client id. It returns the id of
// the stored report and whether it was new: a duplicate leaves everything
// as it was (the first copy wins). d is q's engine: on PostgreSQL the
// aggregates' locks (lockObs) are taken.
func InsertReport(ctx context.Context, q Querier, d Dialect, r *Report) (id int64, created bool, err error) {
	defer wrap(&err, "store.InsertReport(org %d, %q)", r.OrgID, r.ClientID)
	if r.Status == "" {
		r.Status = StatusNew
	}
	qc, _ := json.Marshal(nonNil(r.QC))
	err = q.QueryRowContext(ctx, `INSERT INTO reports (org_id, election_id, form_id, phase, area_id, observer_id, user_id, channel, client_id, answers, status, qc, triage, submitted, received)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (org_id, client_id) DO NOTHING RETURNING id`,
		r.OrgID, r.ElectionID, r.FormID, r.Phase, nullID(r.AreaID), nullID(r.ObserverID), nullID(r.UserID), r.Channel, r.ClientID,
		string(r.Answers), r.Status, string(qc), r.Triage, fmtTime(r.Submitted), fmtTime(r.Received)).Scan(&id)
	if err == nil {
		r.ID = id
		if err := obsReportsAdded(ctx, q, d, []*Report{r}, nil); err != nil {
			return 0, false, err
		}
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	err = q.QueryRowContext(ctx, `SELECT id FROM reports WHERE org_id = $1 AND client_id = $2`, r.OrgID, r.ClientID).Scan(&id)
	r.ID = id
	return id, false, err
}

// InsertProtocol stores one version of an area's protocol in q's
// transaction: the next version of its source (an observer's copy read off
// a counting report, a recount), with no import batch. p.ID and p.Version
// are set. The caller counts it in the results aggregates with
// ApplyProtocols in the same transaction (once for all its protocols).
func InsertProtocol(ctx context.Context, q Querier, electionID int64, p *election.Protocol) (err error) {
	defer wrap(&err, "store.InsertProtocol(election %d)", electionID)
	// The schema declares no foreign key for area_id (bulk loads check
	// their references set-wise): a single insert checks its own.
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM areas WHERE id = $1 AND election_id = $2 AND `+visible("batch_id"), p.AreaID, electionID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("protocol for area %d: %w in election %d", p.AreaID, ErrNotFound, electionID)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(max(version), 0) + 1 FROM protocols WHERE area_id = $1 AND source = $2`,
		p.AreaID, string(p.Source)).Scan(&p.Version); err != nil {
		return err
	}
	if p.Received.IsZero() {
		p.Received = time.Now().UTC()
	}
	votes, _ := json.Marshal(nonNilInts(p.Votes))
	args := []any{electionID, p.AreaID, string(p.Source), p.Version}
	ph := []string{"$1", "$2", "$3", "$4"}
	for f := election.Figure(0); f < election.NumFigures; f++ {
		if p.Figures.Has(f) {
			args = append(args, p.Figures.Value(f))
		} else {
			args = append(args, nil)
		}
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	var report any
	if p.ReportID != 0 {
		report = p.ReportID
	}
	args = append(args, string(votes), fmtTime(p.Received), report)
	ph = append(ph, fmt.Sprintf("$%d", len(args)-2), fmt.Sprintf("$%d", len(args)-1), fmt.Sprintf("$%d", len(args)))
	return q.QueryRowContext(ctx, `INSERT INTO protocols (election_id, area_id, source, version, `+figureCols+`, votes, received, report_id) VALUES (`+
		strings.Join(ph, ", ")+`) RETURNING id`, args...).Scan(&p.ID)
}

func nonNilInts(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}

// ReportFilter selects reports. Zero fields do not filter.
type ReportFilter struct {
	OrgID      int64 // required
	ElectionID int64
	Phase      string
	AreaID     int64
	ObserverID int64
	Status     string
	AfterID    int64 // for paging: reports with a larger id
	Limit      int   // 0: no limit
}

const reportCols = `r.id, r.org_id, r.election_id, r.form_id, f.form_key, f.version, r.phase, COALESCE(r.area_id, 0), COALESCE(a.path, '[]'),
	COALESCE(r.observer_id, 0), COALESCE(r.user_id, 0), r.channel, r.client_id, r.answers, r.status, r.qc, r.triage, r.submitted, r.received`

const reportFrom = ` FROM reports r JOIN forms f ON f.id = r.form_id LEFT JOIN areas a ON a.id = r.area_id`

func scanReport(sc interface{ Scan(...any) error }) (*Report, error) {
	r := &Report{}
	var answers string
	if err := sc.Scan(&r.ID, &r.OrgID, &r.ElectionID, &r.FormID, &r.FormKey, &r.FormVersion, &r.Phase, &r.AreaID, scanJSON(&r.AreaPath, "area path"),
		&r.ObserverID, &r.UserID, &r.Channel, &r.ClientID, &answers, &r.Status, scanJSON(&r.QC, "report qc"), &r.Triage, scanTime(&r.Submitted), scanTime(&r.Received)); err != nil {
		return nil, err
	}
	r.Answers = json.RawMessage(answers)
	return r, nil
}

// Reports lists reports by id.
func (db *DB) Reports(ctx context.Context, f ReportFilter) (_ []*Report, err error) {
	defer wrap(&err, "store.Reports(org %d)", f.OrgID)
	where := []string{"r.org_id = $1"}
	args := []any{f.OrgID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ElectionID != 0 {
		add("r.election_id = $%d", f.ElectionID)
	}
	if f.Phase != "" {
		add("r.phase = $%d", f.Phase)
	}
	if f.AreaID != 0 {
		add("r.area_id = $%d", f.AreaID)
	}
	if f.ObserverID != 0 {
		add("r.observer_id = $%d", f.ObserverID)
	}
	if f.Status != "" {
		add("r.status = $%d", f.Status)
	}
	if f.AfterID != 0 {
		add("r.id > $%d", f.AfterID)
	}
	q := `SELECT ` + reportCols + reportFrom + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY r.id`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return queryList(ctx, db, scanReport, q, args...)
}

// Report loads one report of org; ErrNotFound if org has none with id.
func (db *DB) Report(ctx context.Context, orgID, id int64) (_ *Report, err error) {
	defer wrap(&err, "store.Report(org %d, %d)", orgID, id)
	r, err := scanReport(db.QueryRowContext(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.org_id = $1 AND r.id = $2`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("report %d: %w", id, ErrNotFound)
	}
	return r, err
}

// ReportByClientID loads a report of org by its client id.
func (db *DB) ReportByClientID(ctx context.Context, orgID int64, clientID string) (_ *Report, err error) {
	defer wrap(&err, "store.ReportByClientID(org %d, %q)", orgID, clientID)
	r, err := scanReport(db.QueryRowContext(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.org_id = $1 AND r.client_id = $2`, orgID, clientID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("report %q: %w", clientID, ErrNotFound)
	}
	return r, err
}

// CountReports counts an organisation's reports.
func (db *DB) CountReports(ctx context.Context, orgID int64) (_ int, err error) {
	defer wrap(&err, "store.CountReports(org %d)", orgID)
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM reports WHERE org_id = $1`, orgID).Scan(&n)
	return n, err
}

// UpdateReport sets a report's status and triage (empty keeps them), with
// an audit entry, in one transaction.
func (db *DB) UpdateReport(ctx context.Context, orgID, id int64, status, triage string, audit AuditEntry) (err error) {
	defer wrap(&err, "store.UpdateReport(org %d, %d, %q, %q)", orgID, id, status, triage)
	return db.InTx(ctx, func(tx *sql.Tx) error {
		before := &Report{OrgID: orgID, ID: id}
		// Locked as read: the counters move from this status, and a second
		// reviewer's decision through another instance must wait and read
		// the first's, not move them from the same status again.
		if err := tx.QueryRowContext(ctx, `SELECT election_id, COALESCE(area_id, 0), phase, status FROM reports WHERE org_id = $1 AND id = $2`+forUpdate(db.Dialect), orgID, id).
			Scan(&before.ElectionID, &before.AreaID, &before.Phase, &before.Status); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("report %d: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE reports SET status = CASE WHEN $1 = '' THEN status ELSE $1 END,
			triage = CASE WHEN $2 = '' THEN triage ELSE $2 END WHERE org_id = $3 AND id = $4`, status, triage, orgID, id)
		if err != nil {
			return err
		}
		if n, err := rowsAffected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("report %d: %w", id, ErrNotFound)
		}
		after := *before
		if status != "" {
			after.Status = status
		}
		c := newObsChange()
		c.report(&after, before.Status, true)
		if err := obsApply(ctx, tx, db.Dialect, c); err != nil {
			return err
		}
		if err := Audit(ctx, tx, audit); err != nil {
			return err
		}
		// The decision is logged as the report's new leaf: the audit then
		// holds the row to its latest state.
		if _, err = logIDs(ctx, qLoader{tx, db.Dialect}, "reports", []int64{id}); err != nil {
			return err
		}
		var electionID int64
		if err := tx.QueryRowContext(ctx, `SELECT election_id FROM reports WHERE id = $1`, id).Scan(&electionID); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, electionID, ChangeReports)
	})
}

// SMSMessage is one coded SMS received through a gateway.
type SMSMessage struct {
	Provider  string    `json:"provider"`
	MessageID string    `json:"message_id"`
	OrgID     int64     `json:"org_id,omitempty"`
	Sender    string    `json:"sender"`
	Body      string    `json:"body"`
	ReportID  int64     `json:"report_id,omitempty"`
	Reply     string    `json:"reply"`
	Received  time.Time `json:"received"`
}

// SMSByID finds a message already received; ErrNotFound otherwise.
func (db *DB) SMSByID(ctx context.Context, provider, messageID string) (_ *SMSMessage, err error) {
	defer wrap(&err, "store.SMSByID(%q, %q)", provider, messageID)
	m := &SMSMessage{}
	err = db.QueryRowContext(ctx, `SELECT provider, message_id, COALESCE(org_id, 0), sender, body, COALESCE(report_id, 0), reply, received FROM sms_messages WHERE provider = $1 AND message_id = $2`,
		provider, messageID).Scan(&m.Provider, &m.MessageID, &m.OrgID, &m.Sender, &m.Body, &m.ReportID, &m.Reply, scanTime(&m.Received))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sms %s/%s: %w", provider, messageID, ErrNotFound)
	}
	return m, err
}

// InsertSMS records a message in q's transaction; a message already
// recorded is left as it was (created false).
func InsertSMS(ctx context.Context, q Querier, m *SMSMessage) (created bool, err error) {
	defer wrap(&err, "store.InsertSMS(%s, %q)", m.Provider, m.MessageID)
	if m.Received.IsZero() {
		m.Received = time.Now().UTC()
	}
	res, err := q.ExecContext(ctx, `INSERT INTO sms_messages (provider, message_id, org_id, sender, body, report_id, reply, received) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (provider, message_id) DO NOTHING`,
		m.Provider, m.MessageID, nullID(m.OrgID), m.Sender, m.Body, nullID(m.ReportID), m.Reply, fmtTime(m.Received))
	if err != nil {
		return false, err
	}
	n, err := rowsAffected(res)
	return n > 0, err
}

// QCRule is a quality-control rule of an organisation: an expression over
// a form's answers that, when true, flags (or quarantines) the report.
type QCRule struct {
	ID      int64  `json:"id"`
	OrgID   int64  `json:"org_id"`
	FormKey string `json:"form"`
	Name    string `json:"name"`
	Expr    string `json:"expr"`
	Action  string `json:"action"` // flag or quarantine
}

// SaveQCRule stores (or replaces, by form and name) a rule, with the audit
// entries in the same transaction.
func (db *DB) SaveQCRule(ctx context.Context, r *QCRule, audit ...AuditEntry) error {
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM qc_rules WHERE org_id = $1 AND form_key = $2 AND name = $3`, r.OrgID, r.FormKey, r.Name); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO qc_rules (org_id, form_key, name, expr, action) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			r.OrgID, r.FormKey, r.Name, r.Expr, r.Action).Scan(&r.ID); err != nil {
			return err
		}
		if err := auditAll(ctx, tx, audit); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, 0, ChangeObservation)
	})
	if err != nil {
		return fmt.Errorf("store.SaveQCRule(%d, %s): %w", r.OrgID, r.Name, err)
	}
	return nil
}

// QCRules lists an organisation's rules.
func (db *DB) QCRules(ctx context.Context, orgID int64) (_ []QCRule, err error) {
	defer wrap(&err, "store.QCRules(org %d)", orgID)
	rows, err := db.QueryContext(ctx, `SELECT id, org_id, form_key, name, expr, action FROM qc_rules WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QCRule
	for rows.Next() {
		var r QCRule
		if err := rows.Scan(&r.ID, &r.OrgID, &r.FormKey, &r.Name, &r.Expr, &r.Action); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Resolution is a coordinator's choice of the value of one field of a
// station's reports of one phase, where its observers disagreed.
type Resolution struct {
	AreaID   int64           `json:"area_id"`
	Phase    string          `json:"phase"`
	Question string          `json:"question"`
	Value    json.RawMessage `json:"value"`
	UserID   int64           `json:"user_id"`
	Created  time.Time       `json:"created"`
}

// Resolve stores (or replaces) a resolution, with an audit entry.
func (db *DB) Resolve(ctx context.Context, orgID, electionID int64, r Resolution, audit AuditEntry) (err error) {
	defer wrap(&err, "store.Resolve(org %d, election %d)", orgID, electionID)
	if _, err := resolutionValue(string(r.Value)); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM resolutions WHERE org_id = $1 AND election_id = $2 AND area_id = $3 AND phase = $4 AND question = $5`,
			orgID, electionID, r.AreaID, r.Phase, r.Question); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO resolutions (org_id, election_id, area_id, phase, question, value, user_id, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			orgID, electionID, r.AreaID, r.Phase, r.Question, string(r.Value), nullID(r.UserID), fmtTime(time.Now().UTC())); err != nil {
			return err
		}
		c := newObsChange()
		c.groups[obsGroup{orgID, electionID, r.AreaID, r.Phase}] = true
		c.touched[obsScope{orgID, electionID}] = true
		if err := obsApply(ctx, tx, db.Dialect, c); err != nil {
			return err
		}
		if err := Audit(ctx, tx, audit); err != nil {
			return err
		}
		leaves, err := tableLeaves(ctx, qLoader{tx, db.Dialect}, "resolutions", `t.org_id = $1 AND t.election_id = $2 AND t.area_id = $3 AND t.phase = $4 AND t.question = $5`,
			orgID, electionID, r.AreaID, r.Phase, r.Question)
		if err != nil {
			return err
		}
		if _, err = appendLeaves(ctx, qLoader{tx, db.Dialect}, leaves); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, electionID, ChangeResolutions)
	})
}

// Resolutions lists an organisation's resolutions in an election.
func (db *DB) Resolutions(ctx context.Context, orgID, electionID int64) (_ []Resolution, err error) {
	defer wrap(&err, "store.Resolutions(org %d, election %d)", orgID, electionID)
	rows, err := db.QueryContext(ctx, `SELECT area_id, phase, question, value, COALESCE(user_id, 0), created FROM resolutions WHERE org_id = $1 AND election_id = $2`, orgID, electionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Resolution
	for rows.Next() {
		var r Resolution
		var v string
		if err := rows.Scan(&r.AreaID, &r.Phase, &r.Question, &v, &r.UserID, scanTime(&r.Created)); err != nil {
			return nil, err
		}
		if r.Value, err = resolutionValue(v); err != nil {
			return nil, fmt.Errorf("resolution of area %d %s/%s: %w", r.AreaID, r.Phase, r.Question, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// resolutionValue is a resolution's stored value, checked to decode as an
// answer: the aggregates and the findings read it as one, and a value that
// does not decode must stop them rather than leave the conflict quietly
// unresolved.
func resolutionValue(v string) (json.RawMessage, error) {
	var a form.Value
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return nil, fmt.Errorf("resolution value %.40q: %w", v, err)
	}
	return json.RawMessage(v), nil
}

// InsertReports stores many reports in q's transaction with one
// multi-row statement per chunk (the group commit's path): like
// InsertReport for each, in order. A client id already stored, or repeated
// within rs, keeps its first copy; created says which reports are new.
func InsertReports(ctx context.Context, q Querier, d Dialect, rs []*Report) (created []bool, err error) {
	defer wrap(&err, "store.InsertReports(%d reports)", len(rs))
	created = make([]bool, len(rs))
	// Rows go in (organisation, client id) order, whatever the order of
	// arrival (stable: the first copy of a repeated id stays first): two
	// instances writing batches that share retried reports then take the
	// unique index's locks in the same order, so one waits for the other
	// instead of deadlocking (PostgreSQL would find the deadlock after
	// deadlock_timeout, a second's stall, and fail one of the batches).
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(rs[a].OrgID, rs[b].OrgID); c != 0 {
			return c
		}
		return strings.Compare(rs[a].ClientID, rs[b].ClientID)
	})
	const chunk = 200 // 15 parameters each, far below both engines' limits
	for lo := 0; lo < len(rs); lo += chunk {
		hi := min(lo+chunk, len(rs))
		// Within one statement, a repeated (org, client id) would make
		// PostgreSQL refuse ON CONFLICT ("cannot affect row a second
		// time"): send the first of each and resolve the rest after.
		type key struct {
			org int64
			cid string
		}
		first := map[key]int{}
		var rows []int
		for _, i := range order[lo:hi] {
			r := rs[i]
			if r.Status == "" {
				r.Status = StatusNew
			}
			k := key{r.OrgID, r.ClientID}
			if _, dup := first[k]; !dup {
				first[k] = i
				rows = append(rows, i)
			}
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO reports (org_id, election_id, form_id, phase, area_id, observer_id, user_id, channel, client_id, answers, status, qc, triage, submitted, received) VALUES `)
		valuesRows(&b, d, 0, len(rows), 15)
		args := make([]any, 0, 15*len(rows))
		for _, i := range rows {
			r := rs[i]
			qc, err := json.Marshal(nonNil(r.QC))
			if err != nil {
				return nil, fmt.Errorf("report %q: qc: %w", r.ClientID, err)
			}
			args = append(args, r.OrgID, r.ElectionID, r.FormID, r.Phase, nullID(r.AreaID), nullID(r.ObserverID), nullID(r.UserID), r.Channel, r.ClientID,
				string(r.Answers), r.Status, string(qc), r.Triage, fmtTime(r.Submitted), fmtTime(r.Received))
		}
		b.WriteString(` ON CONFLICT (org_id, client_id) DO NOTHING RETURNING id, org_id, client_id`)
		res, err := q.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, err
		}
		got := map[key]int64{}
		for res.Next() {
			var id int64
			var k key
			if err := res.Scan(&id, &k.org, &k.cid); err != nil {
				res.Close()
				return nil, err
			}
			got[k] = id
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, err
		}
		for _, i := range order[lo:hi] {
			r := rs[i]
			k := key{r.OrgID, r.ClientID}
			if id, ok := got[k]; ok {
				r.ID = id
				created[i] = first[k] == i
				continue
			}
			if err := q.QueryRowContext(ctx, `SELECT id FROM reports WHERE org_id = $1 AND client_id = $2`, r.OrgID, r.ClientID).Scan(&r.ID); err != nil {
				return nil, fmt.Errorf("report %q: %w", r.ClientID, err)
			}
		}
	}
	// The intake checks the election before a report reaches the writer:
	// one deleted meanwhile (DeleteElection, through any instance) is told
	// here in words. The aggregates' rows refer to the election by a
	// foreign key, so a deletion that commits between this read and them
	// still fails the transaction, with the database's message.
	if err := electionsExist(ctx, q, rs); err != nil {
		return nil, err
	}
	// The aggregates in the same transaction: a report is counted when,
	// and only when, it is committed.
	if err := obsReportsAdded(ctx, q, d, rs, created); err != nil {
		return nil, err
	}
	return created, nil
}

// electionsExist fails when an election of rs is not stored.
func electionsExist(ctx context.Context, q Querier, rs []*Report) error {
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ElectionID
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for lo := 0; lo < len(ids); lo += 500 {
		part := ids[lo:min(lo+500, len(ids))]
		in, args := inIDs(part)
		check := func(row pgx.Row) error { // a *sql.Row, or pgx's row when queued
			var n int
			if err := row.Scan(&n); err != nil {
				return fmt.Errorf("checking the elections of these reports (of %v): %w", part, err)
			}
			if n != len(part) {
				return fmt.Errorf("an election of these reports (of %v): %w (deleted while they were written)", part, ErrNotFound)
			}
			return nil
		}
		if p := piped(q); p != nil {
			// Checked with the group commit's next statement: a round
			// trip less.
			p.addRow(`SELECT count(*) FROM elections WHERE id`+in, args, check)
			continue
		}
		if err := check(q.QueryRowContext(ctx, `SELECT count(*) FROM elections WHERE id`+in, args...)); err != nil {
			return err
		}
	}
	return nil
}

// AuditMany appends entries to the log with one statement per chunk.
func AuditMany(ctx context.Context, q Querier, d Dialect, es []AuditEntry) (err error) {
	defer wrap(&err, "store.AuditMany(%d entries)", len(es))
	return execRows(ctx, q, d, `INSERT INTO audit (org_id, actor, channel, action, object, detail, at) VALUES `, ``, len(es), 500, func(i int) ([]any, error) {
		return auditValues(es[i]), nil
	})
}

// auditValues are the values of an audit entry's row: org_id, actor,
// channel, action, object, detail, at.
func auditValues(e AuditEntry) []any {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	detail := string(e.Detail)
	if detail == "" {
		detail = "{}"
	}
	return []any{nullID(e.OrgID), e.Actor, e.Channel, e.Action, e.Object, detail, fmtTime(e.At)}
}

// param writes the n-th parameter of a long multi-row statement. SQLite
// looks "$n" up by name in a list, which costs a linear search per
// parameter (quadratic in a statement of thousands); anonymous "?" are
// numbered in order for free. PostgreSQL wants "$n".
func param(d Dialect, n int) string {
	if d == SQLite {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}

// ReportingOrganisations lists the ids of the organisations that hold
// reports of an election, in order.
func (db *DB) ReportingOrganisations(ctx context.Context, electionID int64) ([]int64, error) {
	ids, err := queryList(ctx, db, scanID, `SELECT DISTINCT org_id FROM reports WHERE election_id = $1 ORDER BY org_id`, electionID)
	if err != nil {
		return nil, fmt.Errorf("store.ReportingOrganisations(%d): %w", electionID, err)
	}
	return ids, nil
}

// Organisations lists every organisation, in order of id.
func (db *DB) Organisations(ctx context.Context) ([]*Organisation, error) {
	os, err := queryList(ctx, db, func(sc interface{ Scan(...any) error }) (*Organisation, error) {
		o := &Organisation{}
		return o, sc.Scan(&o.ID, &o.Name, &o.Kind, scanTime(&o.Created))
	}, `SELECT id, name, kind, created FROM organisations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store.Organisations: %w", err)
	}
	return os, nil
}

func scanID(sc interface{ Scan(...any) error }) (int64, error) {
	var id int64
	return id, sc.Scan(&id)
}

// CurrentElection is the election an organisation's phones report on when
// the channel does not say (SMS): the newest election in which the
// organisation has assignments, else the newest election; ErrNotFound when
// the database holds none.
func (db *DB) CurrentElection(ctx context.Context, orgID int64) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, `SELECT e.id FROM elections e WHERE EXISTS (SELECT 1 FROM assignments a WHERE a.election_id = e.id AND a.org_id = $1) AND `+visible("e.batch_id")+`
		ORDER BY e.date DESC, e.id DESC LIMIT 1`, orgID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = db.QueryRowContext(ctx, `SELECT id FROM elections WHERE `+visible("batch_id")+` ORDER BY date DESC, id DESC LIMIT 1`).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("no election in the database: %w", ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store.CurrentElection(org %d): %w", orgID, err)
	}
	return id, nil
}
