package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/translog"
)

// CreateElection stores a new election with its options and its root area,
// setting e.ID. A name already taken is an error.
func (db *DB) CreateElection(ctx context.Context, e *election.Election) (err error) {
	defer wrap(&err, "store.CreateElection(%q)", e.Name)
	if err := checkNewElection(e); err != nil {
		return err
	}
	cfg, err := json.Marshal(e.Config)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		// ON CONFLICT rather than a look first, as CreateUser.
		err := tx.QueryRowContext(ctx,
			`INSERT INTO elections (name, kind, country, date, config, created) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING id`,
			e.Name, string(e.Kind), e.Country, e.Date, string(cfg), fmtTime(e.Created)).Scan(&e.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("an election named %q already exists", e.Name)
		}
		if err != nil {
			return err
		}
		if err := insertOptions(ctx, tx, e.ID, 0, e.Options); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station, attrs) VALUES ($1, NULL, 0, $2, '[]', 0, '{}')`, e.ID, e.Name); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, e.ID, ChangeElection, ChangeAreas)
	})
}

// checkNewElection checks a new election's name and kind and sets its
// creation time.
func checkNewElection(e *election.Election) error {
	if strings.TrimSpace(e.Name) == "" {
		return errors.New("an election needs a name")
	}
	if !e.Kind.Valid() {
		return fmt.Errorf("election %q: unknown kind %q (want presidential, party-list, referendum or single-member)", e.Name, e.Kind)
	}
	if e.Created.IsZero() {
		e.Created = time.Now().UTC()
	}
	return nil
}

func insertOptions(ctx context.Context, tx *sql.Tx, electionID int64, from int, opts []election.Option) error {
	for i := from; i < len(opts); i++ {
		o := &opts[i]
		o.Position = i
		if o.Kind == "" {
			o.Kind = election.Candidate
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO options (election_id, position, name, kind) VALUES ($1, $2, $3, $4)`,
			electionID, i, o.Name, string(o.Kind)); err != nil {
			return fmt.Errorf("option %q: %w", o.Name, err)
		}
	}
	return nil
}

// UpdateConfig replaces an election's check settings.
func (db *DB) UpdateConfig(ctx context.Context, electionID int64, cfg election.Config) (err error) {
	defer wrap(&err, "store.UpdateConfig(election %d)", electionID)
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	// The flags the aggregates count depend on the tolerances: they are
	// recomputed in the same transaction.
	return db.inTxTouch(ctx, electionID, []ChangeKind{ChangeConfig}, func(tx *sql.Tx) error {
		l := qLoader{tx, db.Dialect}
		if err := lockResults(ctx, l, electionID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE elections SET config = $1 WHERE id = $2`, string(b), electionID); err != nil {
			return err
		}
		_, err := refreshFlags(ctx, l, electionID)
		return err
	})
}

// Elections lists every election, newest first.
func (db *DB) Elections(ctx context.Context) (_ []*election.Election, err error) {
	defer wrap(&err, "store.Elections()")
	rows, err := db.QueryContext(ctx, `SELECT id FROM elections WHERE `+visible("batch_id")+` ORDER BY date DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*election.Election, 0, len(ids))
	for _, id := range ids {
		e, err := db.Election(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ElectionByName finds an election by its unique name; ErrNotFound if none.
func (db *DB) ElectionByName(ctx context.Context, name string) (_ *election.Election, err error) {
	defer wrap(&err, "store.ElectionByName(%q)", name)
	var id int64
	err = db.QueryRowContext(ctx, `SELECT id FROM elections WHERE name = $1 AND `+visible("batch_id"), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("election %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return db.Election(ctx, id)
}

// Election loads an election with its options.
func (db *DB) Election(ctx context.Context, id int64) (_ *election.Election, err error) {
	defer wrap(&err, "store.Election(%d)", id)
	e := &election.Election{}
	var kind, cfg string
	err = db.QueryRowContext(ctx, `SELECT id, name, kind, country, date, config, created FROM elections WHERE id = $1 AND `+visible("batch_id"), id).
		Scan(&e.ID, &e.Name, &kind, &e.Country, &e.Date, &cfg, scanTime(&e.Created))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("election %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	e.Kind = election.Kind(kind)
	if err := json.Unmarshal([]byte(cfg), &e.Config); err != nil {
		return nil, fmt.Errorf("election %q: bad config: %w", e.Name, err)
	}
	rows, err := db.QueryContext(ctx, `SELECT position, name, kind FROM options WHERE election_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var o election.Option
		var k string
		if err := rows.Scan(&o.Position, &o.Name, &k); err != nil {
			return nil, err
		}
		o.Kind = election.OptionKind(k)
		e.Options = append(e.Options, o)
	}
	return e, rows.Err()
}

// DeleteElection removes an election and everything that belongs to it:
// its observation (deployments, assignments, reports) and its results.
func (db *DB) DeleteElection(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "store.DeleteElection(%d)", id)
	return db.InTx(ctx, func(tx *sql.Tx) error {
		// Alone among the writers of the election (on PostgreSQL, across
		// instances): a report, an observer's protocol copy or an import
		// committing meanwhile would leave rows of a deleted election
		// behind. The observation aggregates' whole lock (as a rebuild
		// takes it) and the election's results lock, in the writers'
		// order.
		if db.Dialect == Postgres {
			if err := lockObsRebuild(ctx, tx, 0); err != nil {
				return err
			}
		}
		if err := lockResults(ctx, qLoader{tx, db.Dialect}, id); err != nil {
			return err
		}
		if err := deleteObservation(ctx, tx, id); err != nil {
			return err
		}
		if err := deleteResultAggregates(ctx, qLoader{tx, db.Dialect}, id); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM protocols WHERE election_id = $1`,
			`DELETE FROM batches WHERE election_id = $1`,
			`UPDATE areas SET parent_id = NULL WHERE election_id = $1`,
			`DELETE FROM areas WHERE election_id = $1`,
			`DELETE FROM options WHERE election_id = $1`,
			`DELETE FROM elections WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		// The tombstone last, after the election's row is gone: an import's
		// chunk holds that row's key share (its rows refer to it) while it
		// waits for the log's lock; taking the log first and the row after
		// deadlocked with it.
		if err := logDeleted(ctx, qLoader{tx, db.Dialect}, translog.Ref("elections", id), id, "election"); err != nil {
			return err
		}
		// Its assignments are gone: the tokens' caches hold them
		// (ChangeAccess), and on SQLite the next election can take the
		// same id, and its stations the same paths.
		if err := db.assignedTouch(ctx, tx); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, id, ChangeElection, ChangeAreas, ChangeProtocols, ChangeReports)
	})
}
