package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// figureCols are the protocol figure columns in election.Figure order.
var figureCols = func() string {
	names := make([]string, election.NumFigures)
	for f := election.Figure(0); f < election.NumFigures; f++ {
		names[f] = f.String()
	}
	return strings.Join(names, ", ")
}()

const protoHead = `id, area_id, source, version, COALESCE(batch_id, 0), `

func scanProtocol(sc interface{ Scan(...any) error }) (*election.Protocol, error) {
	p := &election.Protocol{}
	var figs [election.NumFigures]sql.NullInt64
	var src, votes string
	dest := []any{&p.ID, &p.AreaID, &src, &p.Version, &p.BatchID}
	for i := range figs {
		dest = append(dest, &figs[i])
	}
	dest = append(dest, &votes, scanTime(&p.Received))
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	p.Source = election.Source(src)
	for i, f := range figs {
		if f.Valid {
			p.Figures.Set(election.Figure(i), f.Int64)
		}
	}
	// decodeIDs: encoding/json's result, faster (the dashboard's PVT reads
	// 25,000 protocols at 1,000,000 stations).
	if err := decodeIDs(votes, &p.Votes); err != nil {
		return nil, fmt.Errorf("protocol %d: bad votes: %w", p.ID, err)
	}
	return p, nil
}

// Protocols returns, for every area of an election that has a protocol of
// the given source, its latest version. Older versions stay in the database
// and are read with AreaProtocols.
func (db *DB) Protocols(ctx context.Context, electionID int64, source election.Source) (_ []*election.Protocol, err error) {
	defer wrap(&err, "store.Protocols(election %d, %s)", electionID, source)
	rows, err := db.QueryContext(ctx, `SELECT `+protoHead+figureCols+`, votes, received FROM protocols
		WHERE election_id = $1 AND source = $2 AND `+visible("batch_id")+` ORDER BY area_id, version`, electionID, string(source))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*election.Protocol
	for rows.Next() {
		p, err := scanProtocol(rows)
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].AreaID == p.AreaID {
			out[n-1] = p // a later version of the same area
			continue
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AreaProtocols returns every version of every source of one area's
// protocol, by source then version.
func (db *DB) AreaProtocols(ctx context.Context, electionID, areaID int64) (_ []*election.Protocol, err error) {
	defer wrap(&err, "store.AreaProtocols(election %d, area %d)", electionID, areaID)
	rows, err := db.QueryContext(ctx, `SELECT `+protoHead+figureCols+`, votes, received FROM protocols
		WHERE election_id = $1 AND area_id = $2 AND `+visible("batch_id")+` ORDER BY source, version`, electionID, areaID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*election.Protocol
	for rows.Next() {
		p, err := scanProtocol(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SourceCounts returns how many areas have a protocol of each source.
func (db *DB) SourceCounts(ctx context.Context, electionID int64) (_ map[election.Source]int, err error) {
	defer wrap(&err, "store.SourceCounts(election %d)", electionID)
	rows, err := db.QueryContext(ctx, `SELECT source, count(DISTINCT area_id) FROM protocols WHERE election_id = $1 AND `+visible("batch_id")+` GROUP BY source`, electionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[election.Source]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[election.Source(s)] = n
	}
	return out, rows.Err()
}

// Batches lists an election's imports, oldest first.
func (db *DB) Batches(ctx context.Context, electionID int64) (_ []election.Batch, err error) {
	defer wrap(&err, "store.Batches(election %d)", electionID)
	rows, err := db.QueryContext(ctx, `SELECT id, election_id, source, file, sha256, rows, rejected, created FROM batches WHERE election_id = $1 AND pending = '' ORDER BY id`, electionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []election.Batch
	for rows.Next() {
		var b election.Batch
		var src string
		if err := rows.Scan(&b.ID, &b.ElectionID, &src, &b.File, &b.SHA256, &b.Rows, &b.Rejected, scanTime(&b.Created)); err != nil {
			return nil, err
		}
		b.Source = election.Source(src)
		out = append(out, b)
	}
	return out, rows.Err()
}

// ProtocolStamp changes whenever an election's protocols change (a new
// version only ever adds rows): the tally cache keys on it.
func (db *DB) ProtocolStamp(ctx context.Context, electionID int64) (string, error) {
	var maxID, n int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0), count(*) FROM protocols WHERE election_id = $1 AND `+visible("batch_id")+``, electionID).Scan(&maxID, &n); err != nil {
		return "", fmt.Errorf("store.ProtocolStamp(%d): %w", electionID, err)
	}
	return strconv.FormatInt(maxID, 10) + "/" + strconv.FormatInt(n, 10), nil
}
