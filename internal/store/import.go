package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/vigil-elections/vigil/internal/election"
)

// Row is one polling station's protocol as an import reads it.
type Row struct {
	Line    int               // where it came from, for messages
	Path    []string          // area names from level 1 down to the station
	Attrs   map[string]string // extra station attributes (stratum, flags)
	Figures election.Figures
	Votes   []int64 // by the position of ImportRequest.Options
}

// ImportRequest describes one batch.
type ImportRequest struct {
	ElectionID int64
	// Create, when set (and ElectionID 0), is a new election that the
	// import creates inside its transaction, with its options, root area
	// and configuration: an import that fails leaves no election behind.
	// Its ID is set on success. An election of the same name is an error.
	Create *election.Election
	// AreaLevels, when set, names the levels of an election that has none
	// yet (its configuration is updated in the import's transaction).
	AreaLevels []string
	Source     election.Source
	File       string   // the file's name as given
	SHA256     string   // of the file's bytes
	Options    []string // option names, in the order of Row.Votes
	// Rejected, when set, is asked at the end of the import how many rows
	// the caller set aside (--skip-invalid), which only then is known.
	Rejected func() int
}

// Import loads a batch of protocols in one transaction: either every row is
// stored, as new versions beside any earlier ones, or nothing is (a bad row,
// a cancelled context or a killed process leave the database as it was).
// Areas named by the rows' paths are created as needed. Options the election
// does not have yet are added to it. next yields rows until io.EOF; any other
// error from it aborts the import and is returned as is.
func (db *DB) Import(ctx context.Context, req ImportRequest, next func() (Row, error)) (*election.Batch, error) {
	var e *election.Election
	if req.Create != nil {
		c := *req.Create
		if err := checkNewElection(&c); err != nil {
			return nil, err
		}
		e = &c
	} else {
		var err error
		if e, err = db.Election(ctx, req.ElectionID); err != nil {
			return nil, err
		}
	}
	var batch *election.Batch
	start := time.Now()
	err := db.bulkTx(ctx, func(l loader) error {
		var err error
		if batch, err = runImport(ctx, l, e, req, next); err != nil {
			return err
		}
		return touch(ctx, l, []int64{e.ID}, ChangeProtocols, ChangeElection)
	})
	if err != nil {
		return nil, err
	}
	if req.Create != nil {
		*req.Create = *e
	}
	if db.OnImport != nil {
		db.OnImport(batch.Rows, time.Since(start))
	}
	return batch, nil
}

// createElectionTx stores a new election, its options and its root area in
// an import's transaction (the import takes its locks first).
func createElectionTx(ctx context.Context, l loader, e *election.Election) error {
	var n int
	if err := l.queryRow(ctx, `SELECT count(*) FROM elections WHERE name = $1`, e.Name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("an election named %q already exists", e.Name)
	}
	cfg, err := json.Marshal(e.Config)
	if err != nil {
		return err
	}
	if err := l.queryRow(ctx, `INSERT INTO elections (name, kind, country, date, config, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		e.Name, string(e.Kind), e.Country, e.Date, string(cfg), fmtTime(e.Created)).Scan(&e.ID); err != nil {
		return fmt.Errorf("creating election %q: %w", e.Name, err)
	}
	for i := range e.Options {
		o := &e.Options[i]
		o.Position = i
		if o.Kind == "" {
			o.Kind = election.Candidate
		}
		if err := l.exec(ctx, `INSERT INTO options (election_id, position, name, kind) VALUES ($1, $2, $3, $4)`, e.ID, i, o.Name, string(o.Kind)); err != nil {
			return fmt.Errorf("option %q: %w", o.Name, err)
		}
	}
	return l.exec(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station, attrs) VALUES ($1, NULL, 0, $2, '[]', 0, '{}')`, e.ID, e.Name)
}

// loader is what an import needs of a transaction; SQLite and PostgreSQL
// differ in how rows are bulk-inserted and in locking.
type loader interface {
	exec(ctx context.Context, q string, args ...any) error
	queryRow(ctx context.Context, q string, args ...any) interface{ Scan(...any) error }
	each(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error
	insert(ctx context.Context, table string, cols []string, rows [][]any) error
	dialect() Dialect
}

func (db *DB) bulkTx(ctx context.Context, fn func(l loader) error) error {
	if db.Dialect == SQLite {
		return db.InTx(ctx, func(tx *sql.Tx) error { return fn(sqlLoader{tx}) })
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.Background())
		if err := fn(pgLoader{tx}); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

type sqlLoader struct{ tx *sql.Tx }

func (s sqlLoader) dialect() Dialect { return SQLite }
func (s sqlLoader) exec(ctx context.Context, q string, args ...any) error {
	_, err := s.tx.ExecContext(ctx, q, args...)
	return err
}
func (s sqlLoader) queryRow(ctx context.Context, q string, args ...any) interface{ Scan(...any) error } {
	return s.tx.QueryRowContext(ctx, q, args...)
}
func (s sqlLoader) each(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := s.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(rows, fn)
}

// insert writes rows with multi-row INSERT statements: far fewer statement
// executions than one per row, which is what costs in SQLite.
func (s sqlLoader) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	return s.insertPer(ctx, table, cols, rows, max(1, 2000/len(cols)))
}

// insertPer inserts rows per rows a statement.
func (s sqlLoader) insertPer(ctx context.Context, table string, cols []string, rows [][]any, per int) error {
	// Anonymous "?" parameters: modernc's SQLite looks named ones ($1) up
	// by a linear scan, which makes a long statement quadratic.
	var stmt *sql.Stmt
	stmtRows := 0
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	for len(rows) > 0 {
		n := min(per, len(rows))
		if n != stmtRows {
			if stmt != nil {
				stmt.Close()
			}
			var err error
			stmt, err = s.tx.PrepareContext(ctx, insertSQL(table, cols, n))
			if err != nil {
				return err
			}
			stmtRows = n
		}
		args := make([]any, 0, n*len(cols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func insertSQL(table string, cols []string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}

type pgLoader struct{ tx pgx.Tx }

func (p pgLoader) dialect() Dialect { return Postgres }
func (p pgLoader) exec(ctx context.Context, q string, args ...any) error {
	_, err := p.tx.Exec(ctx, q, args...)
	return err
}
func (p pgLoader) queryRow(ctx context.Context, q string, args ...any) interface{ Scan(...any) error } {
	return p.tx.QueryRow(ctx, q, args...)
}
func (p pgLoader) each(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := p.tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(rows, fn)
}

// insert streams rows with COPY, PostgreSQL's bulk load.
func (p pgLoader) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	_, err := p.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	return err
}

var protocolCols = append(append([]string{"id", "election_id", "area_id", "source", "version", "batch_id"},
	strings.Split(figureCols, ", ")...), "votes", "received")

var areaInsertCols = []string{"id", "election_id", "parent_id", "level", "name", "path", "station", "attrs"}

const flushEvery = 4096

func runImport(ctx context.Context, l loader, e *election.Election, req ImportRequest, next func() (Row, error)) (*election.Batch, error) {
	if l.dialect() == Postgres {
		// Ids are handed out here, not by the sequence, so that areas and
		// protocols can be copied in bulk; the lock keeps two imports (or
		// an import and a web submission) from taking the same ids.
		if err := l.exec(ctx, `LOCK TABLE areas, protocols IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return nil, err
		}
	}
	if req.Create != nil {
		if err := createElectionTx(ctx, l, e); err != nil {
			return nil, err
		}
	}
	if len(req.AreaLevels) > 0 && len(e.Config.AreaLevels) == 0 {
		cfg := e.Config
		cfg.AreaLevels = req.AreaLevels
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, err
		}
		if err := l.exec(ctx, `UPDATE elections SET config = $1 WHERE id = $2`, string(b), e.ID); err != nil {
			return nil, err
		}
		e.Config = cfg
	}
	// Options: map the file's option order onto the election's positions,
	// adding options the election does not have yet.
	pos := make([]int, len(req.Options))
	nOpts := len(e.Options)
	for i, name := range req.Options {
		p := e.OptionIndex(name)
		if p < 0 {
			p = nOpts
			if err := l.exec(ctx, `INSERT INTO options (election_id, position, name, kind) VALUES ($1, $2, $3, $4)`,
				e.ID, p, name, string(defaultOptionKind(e.Kind))); err != nil {
				return nil, fmt.Errorf("adding option %q: %w", name, err)
			}
			nOpts++
		}
		pos[i] = p
	}

	now := time.Now().UTC()
	b := &election.Batch{ElectionID: e.ID, Source: req.Source, File: req.File, SHA256: req.SHA256, Created: now}
	if err := l.queryRow(ctx, `INSERT INTO batches (election_id, source, file, sha256, rows, rejected, created) VALUES ($1, $2, $3, $4, 0, 0, $5) RETURNING id`,
		e.ID, string(req.Source), req.File, req.SHA256, fmtTime(now)).Scan(&b.ID); err != nil {
		return nil, err
	}

	// What exists already: areas by path, the latest version per area of
	// this source, and the highest ids.
	areas := map[string]int64{}
	if err := l.each(ctx, `SELECT id, path FROM areas WHERE election_id = $1`, []any{e.ID}, func(scan func(...any) error) error {
		var id int64
		var p string
		if err := scan(&id, &p); err != nil {
			return err
		}
		areas[p] = id
		return nil
	}); err != nil {
		return nil, err
	}
	versions := map[int64]int{}
	if err := l.each(ctx, `SELECT area_id, max(version) FROM protocols WHERE election_id = $1 AND source = $2 GROUP BY area_id`,
		[]any{e.ID, string(req.Source)}, func(scan func(...any) error) error {
			var id int64
			var v int
			if err := scan(&id, &v); err != nil {
				return err
			}
			versions[id] = v
			return nil
		}); err != nil {
		return nil, err
	}
	var nextArea, nextProto int64
	if err := l.queryRow(ctx, `SELECT COALESCE(max(id), 0) FROM areas`).Scan(&nextArea); err != nil {
		return nil, err
	}
	if err := l.queryRow(ctx, `SELECT COALESCE(max(id), 0) FROM protocols`).Scan(&nextProto); err != nil {
		return nil, err
	}

	firstNewArea := nextArea
	rootID, ok := areas["[]"]
	if !ok {
		return nil, fmt.Errorf("election %q has no root area", e.Name)
	}
	// Reading and parsing the file (here, in a goroutine of its own) and
	// storing the rows (the transaction's goroutine) overlap: while the
	// database takes one batch, the next is being read. The reader hands
	// over whole batches, areas before the protocols that refer to them.
	type batch struct{ areas, protos [][]any }
	batches := make(chan batch, 2)
	readErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows := 0
	go func() {
		defer close(batches)
		readErr <- readRows(rctx, req, next, func(areaRows, protoRows [][]any) bool {
			select {
			case batches <- batch{areaRows, protoRows}:
				return true
			case <-rctx.Done():
				return false
			}
		}, &importState{e: e, b: b, pos: pos, nOpts: nOpts, rootID: rootID, areas: areas, versions: versions,
			nextArea: nextArea, nextProto: nextProto, received: fmtTime(now), rows: &rows})
	}()
	var storeErr error
	for bt := range batches {
		if storeErr != nil {
			continue // drain, so that the reader can stop
		}
		if len(bt.areas) > 0 {
			if err := l.insert(ctx, "areas", areaInsertCols, bt.areas); err != nil {
				storeErr = fmt.Errorf("storing areas: %w", err)
				cancel()
				continue
			}
		}
		if len(bt.protos) > 0 {
			if err := l.insert(ctx, "protocols", protocolCols, bt.protos); err != nil {
				storeErr = fmt.Errorf("storing protocols: %w", err)
				cancel()
			}
		}
	}
	if err := <-readErr; err != nil && storeErr == nil {
		return nil, err
	}
	if storeErr != nil {
		return nil, storeErr
	}
	// The references the schema does not declare (see 0001_results.sql),
	// checked once for the whole batch.
	var orphans int
	if err := l.queryRow(ctx, `SELECT count(*) FROM areas a WHERE a.id > $1 AND a.parent_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM areas p WHERE p.id = a.parent_id AND p.election_id = a.election_id)`, firstNewArea).Scan(&orphans); err != nil {
		return nil, err
	}
	if orphans == 0 {
		if err := l.queryRow(ctx, `SELECT count(*) FROM protocols p WHERE p.batch_id = $1
			AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.id = p.area_id AND a.election_id = p.election_id)`, b.ID).Scan(&orphans); err != nil {
			return nil, err
		}
	}
	if orphans > 0 {
		return nil, fmt.Errorf("import of %s: %d rows refer to areas that do not exist (nothing was stored)", req.File, orphans)
	}
	if req.Rejected != nil {
		b.Rejected = req.Rejected()
	}
	if err := l.exec(ctx, `UPDATE batches SET rows = $1, rejected = $2 WHERE id = $3`, rows, b.Rejected, b.ID); err != nil {
		return nil, err
	}
	// The batch and every protocol version it brought, into the log in
	// this transaction.
	leaves, err := tableLeaves(ctx, l, "batches", `t.id = $1`, b.ID)
	if err != nil {
		return nil, err
	}
	protos, err := tableLeaves(ctx, l, "protocols", `t.batch_id = $1 ORDER BY t.id`, b.ID)
	if err != nil {
		return nil, err
	}
	rcs, err := appendLeaves(ctx, l, append(leaves, protos...))
	if err != nil {
		return nil, err
	}
	b.LeafIndex, b.LeafHash = rcs[0].Index, rcs[0].Hash
	// --- results aggregates (aggregates.go): in the transaction that makes
	// the batch visible.
	if err := applyResultAggregates(ctx, l, b.ID); err != nil {
		return nil, err
	}
	// --- end results aggregates
	if l.dialect() == Postgres {
		for _, t := range []string{"areas", "protocols"} {
			if err := l.exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(max(id), 1) FROM %s))`, t, t)); err != nil {
				return nil, err
			}
		}
	}
	b.Rows = rows
	return b, nil
}

func defaultOptionKind(k election.Kind) election.OptionKind {
	switch k {
	case election.PartyList:
		return election.Party
	default:
		return election.Candidate
	}
}

// importState is what the reading side of an import keeps: the areas and
// versions known, the ids handed out.
type importState struct {
	e                   *election.Election
	b                   *election.Batch
	pos                 []int
	nOpts               int
	rootID              int64
	areas               map[string]int64
	versions            map[int64]int
	nextArea, nextProto int64
	received            string
	rows                *int
}

// readRows reads every row, creates the areas its path needs and builds the
// protocol rows, handing them to emit in batches (emit returns false when
// the import is being abandoned).
func readRows(ctx context.Context, req ImportRequest, next func() (Row, error), emit func(areas, protos [][]any) bool, st *importState) error {
	seen := map[int64]int{} // station area id -> line, to catch a station twice in one file
	var areaRows, protoRows [][]any
	flush := func() error {
		if len(areaRows) == 0 && len(protoRows) == 0 {
			return nil
		}
		if !emit(areaRows, protoRows) {
			return ctx.Err()
		}
		areaRows, protoRows = nil, make([][]any, 0, flushEvery)
		return nil
	}
	var pathBuf []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(r.Path) == 0 {
			return fmt.Errorf("%s:%d: the row names no area", req.File, r.Line)
		}
		// Find or create each level of the path.
		parent := st.rootID
		var stationID int64
		for lvl := 1; lvl <= len(r.Path); lvl++ {
			pathBuf = appendPathJSON(pathBuf[:0], r.Path[:lvl])
			id, ok := st.areas[string(pathBuf)]
			if !ok {
				key := string(pathBuf)
				st.nextArea++
				id = st.nextArea
				st.areas[key] = id
				station := 0
				attrs := "{}"
				if lvl == len(r.Path) {
					station = 1
					if len(r.Attrs) > 0 {
						ab, _ := json.Marshal(r.Attrs)
						attrs = string(ab)
					}
				}
				areaRows = append(areaRows, []any{id, st.e.ID, parent, lvl, r.Path[lvl-1], key, station, attrs})
			}
			parent = id
			stationID = id
		}
		if prev, dup := seen[stationID]; dup {
			return fmt.Errorf("%s:%d: station %s appears twice in the file (first at line %d)", req.File, r.Line, strings.Join(r.Path, " / "), prev)
		}
		seen[stationID] = r.Line
		st.versions[stationID]++
		votes := make([]int64, st.nOpts)
		for i, v := range r.Votes {
			if i < len(st.pos) {
				votes[st.pos[i]] = v
			}
		}
		vb := appendVotesJSON(nil, votes)
		st.nextProto++
		row := make([]any, 0, len(protocolCols))
		row = append(row, st.nextProto, st.e.ID, stationID, string(req.Source), st.versions[stationID], st.b.ID)
		for f := election.Figure(0); f < election.NumFigures; f++ {
			if r.Figures.Has(f) {
				row = append(row, r.Figures.Value(f))
			} else {
				row = append(row, nil)
			}
		}
		row = append(row, string(vb), st.received)
		protoRows = append(protoRows, row)
		*st.rows++
		if len(protoRows) >= flushEvery {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
