package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/translog"
)

// querier is what reads need of a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Recommendations loads the missions, reports, recommendations and
// assessments of one country (ISO code; "" for every country), with their
// database ids. The follow-up of a country is hundreds of records, so the
// summaries work on all of it in memory.
func (db *DB) Recommendations(ctx context.Context, country string) (_ *recommend.Dataset, err error) {
	defer wrap(&err, "store.Recommendations(%q)", country)
	return loadRecommendations(ctx, db, strings.ToUpper(strings.TrimSpace(country)))
}

func loadRecommendations(ctx context.Context, q querier, country string) (*recommend.Dataset, error) {
	ds := &recommend.Dataset{Missions: []*recommend.Mission{}, Reports: []*recommend.Report{},
		Recommendations: []*recommend.Recommendation{}, Assessments: []*recommend.Assessment{}}
	// Every query filters on the mission's country; '' selects all.
	const byCountry = ` ($1 = '' OR m.country = $1) `
	each := func(query string, fn func(scan func(...any) error) error) error {
		rows, err := q.QueryContext(ctx, query, country)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows.Scan); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	missions := map[int64]*recommend.Mission{}
	if err := each(`SELECT m.id, m.slug, m.country, m.type, m.name, m.organisation, m.election, m.election_date
		FROM rec_missions m WHERE`+byCountry+`ORDER BY m.id`, func(scan func(...any) error) error {
		m := &recommend.Mission{}
		var typ string
		if err := scan(&m.ID, &m.Key, &m.Country, &typ, &m.Name, &m.Organisation, &m.Election, &m.ElectionDate); err != nil {
			return err
		}
		m.Type = recommend.MissionType(typ)
		missions[m.ID] = m
		ds.Missions = append(ds.Missions, m)
		return nil
	}); err != nil {
		return nil, err
	}
	reports := map[int64]*recommend.Report{}
	if err := each(`SELECT r.id, r.mission_id, r.slug, r.kind, r.title, r.date
		FROM rec_reports r JOIN rec_missions m ON m.id = r.mission_id WHERE`+byCountry+`ORDER BY r.id`, func(scan func(...any) error) error {
		r := &recommend.Report{}
		var kind string
		if err := scan(&r.ID, &r.MissionID, &r.Key, &kind, &r.Title, &r.Date); err != nil {
			return err
		}
		r.Kind = recommend.ReportKind(kind)
		r.MissionKey = missions[r.MissionID].Key
		reports[r.ID] = r
		ds.Reports = append(ds.Reports, r)
		return nil
	}); err != nil {
		return nil, err
	}
	recs := map[int64]*recommend.Recommendation{}
	if err := each(`SELECT c.id, c.report_id, c.number, c.text, c.priority, c.area, c.addressee, c.topic
		FROM rec_recommendations c JOIN rec_reports r ON r.id = c.report_id JOIN rec_missions m ON m.id = r.mission_id
		WHERE`+byCountry+`ORDER BY c.id`, func(scan func(...any) error) error {
		c := &recommend.Recommendation{}
		var prio int
		var area, topic string
		if err := scan(&c.ID, &c.ReportID, &c.Number, &c.Text, &prio, &area, &c.Addressee, &topic); err != nil {
			return err
		}
		c.Priority, c.Area, c.Topic = prio != 0, recommend.Area(area), recommend.Topic(topic)
		c.ReportKey = reports[c.ReportID].Key
		recs[c.ID] = c
		ds.Recommendations = append(ds.Recommendations, c)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each(`SELECT p.recommendation_id, p.repeats_id
		FROM rec_repeats p JOIN rec_recommendations c ON c.id = p.recommendation_id JOIN rec_reports r ON r.id = c.report_id
		JOIN rec_missions m ON m.id = r.mission_id WHERE`+byCountry+`ORDER BY p.recommendation_id, p.repeats_id`, func(scan func(...any) error) error {
		var id, prev int64
		if err := scan(&id, &prev); err != nil {
			return err
		}
		if c, p := recs[id], recs[prev]; c != nil && p != nil {
			c.Repeats = append(c.Repeats, p.Ref())
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each(`SELECT a.id, a.recommendation_id, a.report_id, a.status, a.reasoning, a.evidence, a.proposed, a.updated
		FROM rec_assessments a JOIN rec_reports r ON r.id = a.report_id JOIN rec_missions m ON m.id = r.mission_id
		WHERE`+byCountry+`ORDER BY a.id`, func(scan func(...any) error) error {
		a := &recommend.Assessment{}
		var status string
		var prop int
		if err := scan(&a.ID, &a.RecommendationID, &a.ReportID, &status, &a.Reasoning, &a.Evidence, &prop, scanTime(&a.Updated)); err != nil {
			return err
		}
		c, r := recs[a.RecommendationID], reports[a.ReportID]
		if c == nil || r == nil {
			return nil
		}
		a.Status, a.Proposed = recommend.Status(status), prop != 0
		a.Recommendation, a.ReportKey = c.Ref(), r.Key
		ds.Assessments = append(ds.Assessments, a)
		return nil
	}); err != nil {
		return nil, err
	}
	return ds, nil
}

// ImportRecommendations adds the records of ds, all or nothing. Inside the
// transaction, check is given what the database holds (the domain's
// recommend.Import passes recommend.Check): its error is returned as it is,
// each at its file, line and column, and leaves the database as it was. On
// success the records get their database ids.
func (db *DB) ImportRecommendations(ctx context.Context, ds *recommend.Dataset, check func(existing *recommend.Dataset) error) (recommend.ImportStats, error) {
	var st recommend.ImportStats
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		existing, err := loadRecommendations(ctx, tx, "")
		if err != nil {
			return fmt.Errorf("store.ImportRecommendations: %w", err)
		}
		if err := check(existing); err != nil {
			return err
		}
		st, err = insertRecommendations(ctx, tx, existing, ds)
		if err != nil {
			return err
		}
		if _, err = logUnlogged(ctx, qLoader{tx, db.Dialect}, "rec_assessments"); err != nil {
			return err
		}
		// Recommendations belong to missions, not elections: election 0.
		return db.touchTx(ctx, tx, 0, ChangeRecommendations)
	})
	if err != nil {
		return recommend.ImportStats{}, err
	}
	return st, nil
}

func insertRecommendations(ctx context.Context, tx *sql.Tx, existing, ds *recommend.Dataset) (recommend.ImportStats, error) {
	var st recommend.ImportStats
	missionID, reportID, recID := map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, m := range existing.Missions {
		missionID[m.Key] = m.ID
	}
	for _, r := range existing.Reports {
		reportID[r.Key] = r.ID
	}
	for _, r := range existing.Recommendations {
		recID[r.Ref()] = r.ID
	}
	for _, m := range ds.Missions {
		if err := tx.QueryRowContext(ctx, `INSERT INTO rec_missions (slug, country, type, name, organisation, election, election_date)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			m.Key, m.Country, string(m.Type), m.Name, m.Organisation, m.Election, m.ElectionDate).Scan(&m.ID); err != nil {
			return st, fmt.Errorf("mission %q: %w", m.Key, err)
		}
		missionID[m.Key] = m.ID
		st.Missions++
	}
	for _, r := range ds.Reports {
		r.MissionID = missionID[r.MissionKey]
		if err := tx.QueryRowContext(ctx, `INSERT INTO rec_reports (mission_id, slug, kind, title, date) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			r.MissionID, r.Key, string(r.Kind), r.Title, r.Date).Scan(&r.ID); err != nil {
			return st, fmt.Errorf("report %q: %w", r.Key, err)
		}
		reportID[r.Key] = r.ID
		st.Reports++
	}
	for _, c := range ds.Recommendations {
		c.ReportID = reportID[c.ReportKey]
		if err := tx.QueryRowContext(ctx, `INSERT INTO rec_recommendations (report_id, number, text, priority, area, addressee, topic)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			c.ReportID, c.Number, c.Text, boolInt(c.Priority), string(c.Area), c.Addressee, string(c.Topic)).Scan(&c.ID); err != nil {
			return st, fmt.Errorf("recommendation %s: %w", c.Ref(), err)
		}
		recID[c.Ref()] = c.ID
		st.Recommendations++
	}
	for _, c := range ds.Recommendations {
		for _, p := range c.Repeats {
			if _, err := tx.ExecContext(ctx, `INSERT INTO rec_repeats (recommendation_id, repeats_id) VALUES ($1, $2)`, c.ID, recID[p]); err != nil {
				return st, fmt.Errorf("recommendation %s repeats %s: %w", c.Ref(), p, err)
			}
		}
	}
	for _, a := range ds.Assessments {
		a.RecommendationID, a.ReportID = recID[a.Recommendation], reportID[a.ReportKey]
		if a.Updated.IsZero() {
			a.Updated = time.Now().UTC().Truncate(time.Second)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO rec_assessments (recommendation_id, report_id, status, reasoning, evidence, proposed, updated)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			a.RecommendationID, a.ReportID, string(a.Status), a.Reasoning, a.Evidence, boolInt(a.Proposed), fmtTime(a.Updated)).Scan(&a.ID); err != nil {
			return st, fmt.Errorf("assessment of %s by %q: %w", a.Recommendation, a.ReportKey, err)
		}
		st.Assessments++
	}
	return st, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Assess records a report's assessment of a recommendation, replacing the
// same report's earlier assessment of it if there is one (an analyst
// revising a draft). Inside the transaction check is given what the
// database holds without that earlier assessment (recommend.Assess passes
// the checks of an import).
func (db *DB) Assess(ctx context.Context, a *recommend.Assessment, check func(existing *recommend.Dataset) error) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		existing, err := loadRecommendations(ctx, tx, "")
		if err != nil {
			return fmt.Errorf("store.Assess(%s): %w", a.Recommendation, err)
		}
		kept := existing.Assessments[:0:0]
		var old *recommend.Assessment
		for _, e := range existing.Assessments {
			if e.Recommendation == a.Recommendation && e.ReportKey == a.ReportKey {
				old = e
				continue
			}
			kept = append(kept, e)
		}
		existing.Assessments = kept
		if err := check(existing); err != nil {
			return err
		}
		in := &recommend.Dataset{Assessments: []*recommend.Assessment{a}}
		if old != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM rec_assessments WHERE id = $1`, old.ID); err != nil {
				return err
			}
			if err := logDeleted(ctx, qLoader{tx, db.Dialect}, translog.Ref("rec_assessments", old.ID), 0, ""); err != nil {
				return err
			}
		}
		a.Updated = time.Time{}
		if _, err = insertRecommendations(ctx, tx, existing, in); err != nil {
			return err
		}
		if _, err = logIDs(ctx, qLoader{tx, db.Dialect}, "rec_assessments", []int64{a.ID}); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, 0, ChangeRecommendations)
	})
}

// RecommendationRef finds a recommendation by id: its reference and its
// country. ErrNotFound if there is none.
func (db *DB) RecommendationRef(ctx context.Context, id int64) (ref, country string, err error) {
	defer wrap(&err, "store.RecommendationRef(%d)", id)
	var report, number string
	err = db.QueryRowContext(ctx, `SELECT r.slug, c.number, m.country FROM rec_recommendations c
		JOIN rec_reports r ON r.id = c.report_id JOIN rec_missions m ON m.id = r.mission_id WHERE c.id = $1`, id).Scan(&report, &number, &country)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("recommendation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", "", err
	}
	return recommend.Ref(report, number), country, nil
}

// ReportCountry finds the country of a report by its slug; ErrNotFound if
// there is no such report.
func (db *DB) ReportCountry(ctx context.Context, report string) (_ string, err error) {
	defer wrap(&err, "store.ReportCountry(%q)", report)
	var country string
	err = db.QueryRowContext(ctx, `SELECT m.country FROM rec_reports r JOIN rec_missions m ON m.id = r.mission_id WHERE r.slug = $1`, report).Scan(&country)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("report %q: %w", report, ErrNotFound)
	}
	return country, err
}

// MissionCountry finds the country and owning organisation of a mission
// by its slug; ErrNotFound if there is none.
func (db *DB) MissionCountry(ctx context.Context, mission string) (country, organisation string, err error) {
	defer wrap(&err, "store.MissionCountry(%q)", mission)
	err = db.QueryRowContext(ctx, `SELECT country, organisation FROM rec_missions WHERE slug = $1`, mission).Scan(&country, &organisation)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("mission %q: %w", mission, ErrNotFound)
	}
	return country, organisation, err
}

// StationCoverage counts an election's polling stations and those with an
// official protocol (final or preliminary): the evidence that its results
// were published per station. It implements recommend.ResultsSource.
func (db *DB) StationCoverage(ctx context.Context, name string) (_ recommend.StationCoverage, err error) {
	defer wrap(&err, "store.StationCoverage(%q)", name)
	c := recommend.StationCoverage{Election: name}
	var id int64
	err = db.QueryRowContext(ctx, `SELECT id FROM elections WHERE name = $1 AND `+visible("batch_id"), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	c.Found = true
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM areas WHERE election_id = $1 AND station = 1 AND `+visible("batch_id"), id).Scan(&c.Stations); err != nil {
		return c, err
	}
	q := `SELECT count(DISTINCT p.area_id) FROM protocols p JOIN areas a ON a.id = p.area_id
		WHERE p.election_id = $1 AND a.station = 1 AND p.source IN ($2, $3) AND ` + visible("p.batch_id")
	for _, x := range []struct {
		n    *int
		a, b election.Source
	}{
		{&c.WithOfficial, election.OfficialFinal, election.OfficialPreliminary},
		{&c.WithFinal, election.OfficialFinal, election.OfficialFinal},
		{&c.WithPreliminary, election.OfficialPreliminary, election.OfficialPreliminary},
	} {
		if err := db.QueryRowContext(ctx, q, id, string(x.a), string(x.b)).Scan(x.n); err != nil {
			return c, err
		}
	}
	return c, nil
}
