package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/vigil-elections/vigil/internal/translog"
	"strconv"
	"time"
)

// Observer is one person of an organisation's roster.
type Observer struct {
	ID     int64    `json:"id"`
	OrgID  int64    `json:"org_id"`
	Code   string   `json:"code"` // the roster's id, unique in the organisation
	Name   string   `json:"name"`
	Phone  string   `json:"phone,omitempty"`
	TeamID int64    `json:"team_id,omitempty"`
	Team   string   `json:"team,omitempty"`
	Area   []string `json:"area,omitempty"`
	Line   int      `json:"-"` // where a roster file gave it, for errors
}

// Team is a pair (or more) of observers who travel together.
type Team struct {
	ID    int64    `json:"id"`
	OrgID int64    `json:"org_id"`
	Name  string   `json:"name"`
	Area  []string `json:"area,omitempty"`
}

// ImportRoster stores observers of one organisation in one transaction,
// creating their teams by name; an observer whose code exists is updated
// (name, phone, team, area). All or nothing, the audit entries included:
// an entry without a detail gets the counts created and updated. A phone
// number already on another organisation's roster is refused
// (PhoneConflicts, every one) unless both agreed to share it (SharePhone):
// SMS reports are matched by number and must never land in a foreign
// organisation.
func (db *DB) ImportRoster(ctx context.Context, orgID int64, obs []Observer, audit ...AuditEntry) (created, updated int, err error) {
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		// One roster import at a time (on PostgreSQL, across instances):
		// the phone check below reads the other organisations' rosters, and
		// two imports each checking before the other commits would both
		// take the same numbers; the "moved" check reads the teams another
		// import of the same organisation may be changing.
		if err := lockNamed(ctx, tx, db.Dialect, "roster"); err != nil {
			return err
		}
		taken, err := phoneConflicts(ctx, tx, orgID, obs)
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			return taken
		}
		teams := map[string]int64{}
		created, updated = 0, 0
		moved := false // an observer changed team: their reports change cluster
		for i := range obs {
			o := &obs[i]
			area, _ := json.Marshal(nonNil(o.Area))
			if o.Team != "" {
				id, ok := teams[o.Team]
				if !ok {
					err := tx.QueryRowContext(ctx, `SELECT id FROM teams WHERE org_id = $1 AND name = $2`, orgID, o.Team).Scan(&id)
					if errors.Is(err, sql.ErrNoRows) {
						err = tx.QueryRowContext(ctx, `INSERT INTO teams (org_id, name, area_path) VALUES ($1, $2, $3) RETURNING id`, orgID, o.Team, string(area)).Scan(&id)
					}
					if err != nil {
						return fmt.Errorf("team %q: %w", o.Team, err)
					}
					teams[o.Team] = id
				}
				o.TeamID = id
			}
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM observers WHERE org_id = $1 AND code = $2`, orgID, o.Code).Scan(&id)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				err = tx.QueryRowContext(ctx, `INSERT INTO observers (org_id, code, name, phone, team_id, area_path, created) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
					orgID, o.Code, o.Name, o.Phone, nullID(o.TeamID), string(area), fmtTime(time.Now().UTC())).Scan(&o.ID)
				created++
			case err == nil:
				o.ID = id
				var team int64
				if err := tx.QueryRowContext(ctx, `SELECT COALESCE(team_id, 0) FROM observers WHERE id = $1`, id).Scan(&team); err != nil {
					return fmt.Errorf("observer %q: %w", o.Code, err)
				}
				moved = moved || team != o.TeamID
				_, err = tx.ExecContext(ctx, `UPDATE observers SET name = $1, phone = $2, team_id = $3, area_path = $4 WHERE id = $5`,
					o.Name, o.Phone, nullID(o.TeamID), string(area), id)
				updated++
			}
			if err != nil {
				return fmt.Errorf("observer %q: %w", o.Code, err)
			}
			o.OrgID = orgID
		}
		if moved {
			// Rare (a roster corrected before election day, mostly): the
			// organisation's aggregates are rebuilt with the new teams.
			if err := rebuildObservation(ctx, tx, db.Dialect, orgID); err != nil {
				return err
			}
		}
		for i := range audit {
			if audit[i].Detail == nil {
				audit[i].Detail = fmt.Appendf(nil, `{"created":%d,"updated":%d}`, created, updated)
			}
		}
		if err := auditAll(ctx, tx, audit); err != nil {
			return err
		}
		// ChangeAccess too: an observer's code and team (so the stations
		// their token may report from) are part of what every instance
		// caches of their token (web's tokenCacheTTL).
		return db.touchTx(ctx, tx, 0, ChangeObservation, ChangeAccess)
	})
	var taken PhoneConflicts
	if errors.As(err, &taken) {
		return 0, 0, taken // the caller's input, said by line: no operation prefix
	} else if err != nil {
		return 0, 0, fmt.Errorf("store.ImportRoster(org %d): %w", orgID, err)
	}
	return created, updated, nil
}

const observerCols = `o.id, o.org_id, o.code, o.name, o.phone, COALESCE(o.team_id, 0), COALESCE(t.name, ''), o.area_path`

func scanObserver(sc interface{ Scan(...any) error }) (*Observer, error) {
	o := &Observer{}
	var area string
	if err := sc.Scan(&o.ID, &o.OrgID, &o.Code, &o.Name, &o.Phone, &o.TeamID, &o.Team, &area); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(area), &o.Area); err != nil {
		return nil, fmt.Errorf("observer %d: bad area: %w", o.ID, err)
	}
	return o, nil
}

// Observer loads one observer.
func (db *DB) Observer(ctx context.Context, id int64) (_ *Observer, err error) {
	defer wrap(&err, "store.Observer(%d)", id)
	o, err := scanObserver(db.QueryRowContext(ctx, `SELECT `+observerCols+` FROM observers o LEFT JOIN teams t ON t.id = o.team_id WHERE o.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("observer %d: %w", id, ErrNotFound)
	}
	return o, err
}

// ObserverByCode finds an observer of org by roster id.
func (db *DB) ObserverByCode(ctx context.Context, orgID int64, code string) (_ *Observer, err error) {
	defer wrap(&err, "store.ObserverByCode(org %d, %q)", orgID, code)
	o, err := scanObserver(db.QueryRowContext(ctx, `SELECT `+observerCols+` FROM observers o LEFT JOIN teams t ON t.id = o.team_id WHERE o.org_id = $1 AND o.code = $2`, orgID, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("observer %q: %w", code, ErrNotFound)
	}
	return o, err
}

// ObserversByPhone finds the observers with a phone number (on every
// organisation: an SMS gateway may serve several).
func (db *DB) ObserversByPhone(ctx context.Context, phone string) (_ []*Observer, err error) {
	defer wrap(&err, "store.ObserversByPhone")
	return queryList(ctx, db, scanObserver, `SELECT `+observerCols+` FROM observers o LEFT JOIN teams t ON t.id = o.team_id WHERE o.phone = $1 ORDER BY o.id`, phone)
}

// Observers lists an organisation's roster.
func (db *DB) Observers(ctx context.Context, orgID int64) (_ []*Observer, err error) {
	defer wrap(&err, "store.Observers(org %d)", orgID)
	return queryList(ctx, db, scanObserver, `SELECT `+observerCols+` FROM observers o LEFT JOIN teams t ON t.id = o.team_id WHERE o.org_id = $1 ORDER BY o.id`, orgID)
}

// Teams lists an organisation's teams.
func (db *DB) Teams(ctx context.Context, orgID int64) (_ []Team, err error) {
	defer wrap(&err, "store.Teams(org %d)", orgID)
	rows, err := db.QueryContext(ctx, `SELECT id, org_id, name, area_path FROM teams WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var t Team
		if err := rows.Scan(&t.ID, &t.OrgID, &t.Name, scanJSON(&t.Area, "team area")); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Assignment puts a team at a polling station or a district commission.
type Assignment struct {
	TeamID   int64    `json:"team_id"`
	Team     string   `json:"team,omitempty"`
	AreaID   int64    `json:"area_id"`
	AreaPath []string `json:"area_path,omitempty"`
}

// Assign stores assignments of an organisation's teams for an election
// (an assignment that exists is kept), with the audit entries in the same
// transaction.
func (db *DB) Assign(ctx context.Context, orgID, electionID int64, as []Assignment, audit ...AuditEntry) (err error) {
	defer wrap(&err, "store.Assign(org %d, election %d)", orgID, electionID)
	return db.inTxTouch(ctx, electionID, []ChangeKind{ChangeObservation}, func(tx *sql.Tx) error {
		if err := assignTx(ctx, tx, orgID, electionID, as); err != nil {
			return err
		}
		if err := auditAll(ctx, tx, audit); err != nil {
			return err
		}
		if err := obsDeploymentChanged(ctx, tx, db.Dialect, orgID, electionID); err != nil {
			return err
		}
		return db.assignedTouch(ctx, tx)
	})
}

// assignedTouch announces that assignments changed to the caches of
// tokens (ChangeAccess): an observer's token grants the stations their
// team is assigned. Last in the transaction but for the election's own
// touch (0 before the election: ascending), after the aggregates'
// advisory locks: a roster import holding an organisation's aggregates'
// lock touches election 0 at its end, and taking the row before those
// locks would wait in a cycle with it.
func (db *DB) assignedTouch(ctx context.Context, tx *sql.Tx) error {
	return db.touchTx(ctx, tx, 0, ChangeAccess)
}

func assignTx(ctx context.Context, tx *sql.Tx, orgID, electionID int64, as []Assignment) error {
	for _, a := range as {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM teams WHERE id = $1 AND org_id = $2`, a.TeamID, orgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("team %d: %w", a.TeamID, ErrNotFound)
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM areas WHERE id = $1 AND election_id = $2 AND `+visible("batch_id"), a.AreaID, electionID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("area %d of election %d: %w", a.AreaID, electionID, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assignments (org_id, election_id, team_id, area_id) VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, area_id) DO NOTHING`,
			orgID, electionID, a.TeamID, a.AreaID); err != nil {
			return fmt.Errorf("assigning team %d to area %d: %w", a.TeamID, a.AreaID, err)
		}
	}
	return nil
}

// Assignments lists an organisation's assignments in an election, with
// team names and area paths.
func (db *DB) Assignments(ctx context.Context, orgID, electionID int64) (_ []Assignment, err error) {
	defer wrap(&err, "store.Assignments(org %d, election %d)", orgID, electionID)
	rows, err := db.QueryContext(ctx, `SELECT a.team_id, t.name, a.area_id, ar.path FROM assignments a
		JOIN teams t ON t.id = a.team_id JOIN areas ar ON ar.id = a.area_id
		WHERE a.org_id = $1 AND a.election_id = $2 ORDER BY a.team_id, a.area_id`, orgID, electionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		var a Assignment
		if err := rows.Scan(&a.TeamID, &a.Team, &a.AreaID, scanJSON(&a.AreaPath, "area path")); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ObserverStations returns the paths of the areas an observer's team is
// assigned, in every election.
func (db *DB) ObserverStations(ctx context.Context, observerID int64) (_ []AssignedArea, err error) {
	defer wrap(&err, "store.ObserverStations(observer %d)", observerID)
	rows, err := db.QueryContext(ctx, `SELECT a.election_id, ar.path FROM observers o JOIN assignments a ON a.team_id = o.team_id
		JOIN areas ar ON ar.id = a.area_id WHERE o.id = $1`, observerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AssignedArea
	for rows.Next() {
		var a AssignedArea
		if err := rows.Scan(&a.Election, scanJSON(&a.Path, "area path")); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AssignedArea is an area an observer's team is assigned in an election.
type AssignedArea struct {
	Election int64
	Path     []string
}

// Deployment is a drawn sample of stations.
type Deployment struct {
	ID         int64             `json:"id"`
	OrgID      int64             `json:"org_id"`
	ElectionID int64             `json:"election_id"`
	Seed       string            `json:"seed"`
	Design     json.RawMessage   `json:"design"`
	Stations   []DeployedStation `json:"stations"`
	Created    time.Time         `json:"created"`
}

// DeployedStation is one station of a deployment's sample.
type DeployedStation struct {
	AreaID  int64  `json:"area_id"`
	Stratum string `json:"stratum"`
	Rank    int    `json:"rank"`
}

// SaveDeployment stores a deployment and its stations; d.ID is set.
func (db *DB) SaveDeployment(ctx context.Context, d *Deployment) error {
	return db.Deploy(ctx, d, nil)
}

// Deploy stores a drawn deployment, its stations and the assignments of
// the organisation's teams to them, with the audit entries (an empty
// Object becomes "deployment:ID"), in one transaction: a draw is never
// stored without its teams or its entry. d.ID is set.
func (db *DB) Deploy(ctx context.Context, d *Deployment, as []Assignment, audit ...AuditEntry) (err error) {
	defer wrap(&err, "store.Deploy(org %d, election %d)", d.OrgID, d.ElectionID)
	if d.Created.IsZero() {
		d.Created = time.Now().UTC()
	}
	design := string(d.Design)
	if design == "" {
		design = "{}"
	}
	return db.inTxTouch(ctx, d.ElectionID, []ChangeKind{ChangeObservation}, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO deployments (org_id, election_id, seed, design, created) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			d.OrgID, d.ElectionID, d.Seed, design, fmtTime(d.Created)).Scan(&d.ID); err != nil {
			return err
		}
		for _, s := range d.Stations {
			if _, err := tx.ExecContext(ctx, `INSERT INTO deployment_stations (deployment_id, area_id, stratum, rank) VALUES ($1, $2, $3, $4)`,
				d.ID, s.AreaID, s.Stratum, s.Rank); err != nil {
				return err
			}
		}
		if err := assignTx(ctx, tx, d.OrgID, d.ElectionID, as); err != nil {
			return err
		}
		if err := auditAll(ctx, tx, withObject(audit, "deployment:"+strconv.FormatInt(d.ID, 10))); err != nil {
			return err
		}
		if err := obsDeploymentChanged(ctx, tx, db.Dialect, d.OrgID, d.ElectionID); err != nil {
			return err
		}
		if len(as) > 0 {
			return db.assignedTouch(ctx, tx)
		}
		return nil
	})
}

// LatestDeployment returns an organisation's latest deployment in an
// election with its stations; ErrNotFound if none.
func (db *DB) LatestDeployment(ctx context.Context, orgID, electionID int64) (_ *Deployment, err error) {
	defer wrap(&err, "store.LatestDeployment(org %d, election %d)", orgID, electionID)
	d := &Deployment{}
	var design string
	err = db.QueryRowContext(ctx, `SELECT id, org_id, election_id, seed, design, created FROM deployments WHERE org_id = $1 AND election_id = $2 ORDER BY id DESC LIMIT 1`,
		orgID, electionID).Scan(&d.ID, &d.OrgID, &d.ElectionID, &d.Seed, &design, scanTime(&d.Created))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("deployment: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	d.Design = json.RawMessage(design)
	rows, err := db.QueryContext(ctx, `SELECT area_id, stratum, rank FROM deployment_stations WHERE deployment_id = $1 ORDER BY area_id`, d.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s DeployedStation
		if err := rows.Scan(&s.AreaID, &s.Stratum, &s.Rank); err != nil {
			return nil, err
		}
		d.Stations = append(d.Stations, s)
	}
	return d, rows.Err()
}

// DeleteObservation removes everything observation holds about an
// election (reports, assignments, deployments, resolutions), for every
// organisation. Call it with DeleteElection.
func (db *DB) DeleteObservation(ctx context.Context, electionID int64) (err error) {
	defer wrap(&err, "store.DeleteObservation(election %d)", electionID)
	return db.inTxTouch(ctx, electionID, []ChangeKind{ChangeObservation, ChangeReports, ChangeResolutions, ChangePublished}, func(tx *sql.Tx) error {
		if err := deleteObservation(ctx, tx, electionID); err != nil {
			return err
		}
		if err := logDeleted(ctx, qLoader{tx, db.Dialect}, translog.Ref("elections", electionID), electionID, "observation"); err != nil {
			return err
		}
		return db.assignedTouch(ctx, tx)
	})
}

func deleteObservation(ctx context.Context, tx *sql.Tx, electionID int64) error {
	if err := obsDeleteElection(ctx, tx, electionID); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM deployment_stations WHERE deployment_id IN (SELECT id FROM deployments WHERE election_id = $1)`,
		`DELETE FROM deployments WHERE election_id = $1`,
		`DELETE FROM published_findings WHERE election_id = $1`,
		`DELETE FROM assignments WHERE election_id = $1`,
		`DELETE FROM resolutions WHERE election_id = $1`,
		`UPDATE sms_messages SET report_id = NULL WHERE report_id IN (SELECT id FROM reports WHERE election_id = $1)`,
		`DELETE FROM reports WHERE election_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, electionID); err != nil {
			return err
		}
	}
	return nil
}
