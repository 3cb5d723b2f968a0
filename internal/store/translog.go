package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/translog"
)

// The transparency log's storage (see internal/translog and
// docs/evidence.md). Leaves are appended in the transaction that commits
// the rows they record, so that a row and its leaf exist together or not
// at all. Appends serialise on one tree: on PostgreSQL the log_state row
// is locked (SELECT … FOR UPDATE) until commit, on SQLite the transaction
// already holds the database's write lock. The lock is taken last in every
// transaction, after the transaction's other writes, so that it is held
// only for the append and the commit.

// qLoader runs the log's statements on a database/sql transaction (or any
// Querier) of either engine.
type qLoader struct {
	q Querier
	d Dialect
}

func (l qLoader) dialect() Dialect { return l.d }
func (l qLoader) exec(ctx context.Context, q string, args ...any) error {
	_, err := l.q.ExecContext(ctx, q, args...)
	return err
}
func (l qLoader) queryRow(ctx context.Context, q string, args ...any) interface{ Scan(...any) error } {
	return l.q.QueryRowContext(ctx, q, args...)
}
func (l qLoader) each(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := l.q.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(rows, fn)
}
func (l qLoader) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if tx, ok := l.q.(*sql.Tx); ok && l.d == SQLite {
		// SQLite parses every statement it is given; one statement of a
		// few rows, prepared once and run for each chunk, parses far less
		// text than one statement of all the rows.
		return sqlLoader{tx}.insertPer(ctx, table, cols, rows, 16)
	}
	per := max(1, 1000/len(cols))
	for lo := 0; lo < len(rows); lo += per {
		hi := min(lo+per, len(rows))
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, (hi-lo)*len(cols))
		for i := lo; i < hi; i++ {
			if i > lo {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for j := range cols {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(param(l.d, len(args)+j+1))
			}
			b.WriteByte(')')
			args = append(args, rows[i]...)
		}
		if _, err := l.q.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// logTable says how the rows of one table become leaves.
type logTable struct {
	table string
	cols  string // the SELECT list, from alias t
	// keyOf is the WHERE clause selecting one row by its ref's key parts.
	leaf func(scan func(...any) error) (translog.Leaf, error)
}

var logTables = []logTable{
	{table: "batches", cols: `t.id, t.election_id, t.source, t.file, t.sha256, t.rows, t.rejected, t.created`,
		leaf: func(scan func(...any) error) (translog.Leaf, error) {
			var id, el, rows, rej int64
			var src, file, sum, created string
			if err := scan(&id, &el, &src, &file, &sum, &rows, &rej, &created); err != nil {
				return translog.Leaf{}, err
			}
			return translog.Leaf{Kind: translog.KindImport, Ref: translog.Ref("batches", id), Election: el, Data: map[string]any{
				"source": src, "file": file, "sha256": sum, "rows": rows, "rejected": rej, "created": created}}, nil
		}},
	{table: "protocols", cols: `t.id, t.election_id, t.area_id, COALESCE((SELECT a.path FROM areas a WHERE a.id = t.area_id), ''), t.source, t.version,
		COALESCE(t.batch_id, 0), COALESCE(t.report_id, 0), t.votes, t.received, ` + prefixCols("t.", figureCols),
		leaf: func(scan func(...any) error) (translog.Leaf, error) {
			var id, el, area, version, batch, report int64
			var path, src, votes, received string
			var figs [election.NumFigures]sql.NullInt64
			dest := []any{&id, &el, &area, &path, &src, &version, &batch, &report, &votes, &received}
			for i := range figs {
				dest = append(dest, &figs[i])
			}
			if err := scan(dest...); err != nil {
				return translog.Leaf{}, err
			}
			return protocolLeaf(id, el, area, path, nil, src, version, batch, report, votes, nil, received, &figs), nil
		}},
	{table: "reports", cols: `t.id, t.org_id, t.election_id, t.form_id, t.phase, COALESCE(t.area_id, 0), t.channel, t.client_id, t.answers, t.status, t.qc, t.triage, t.submitted, t.received`,
		leaf: func(scan func(...any) error) (translog.Leaf, error) {
			var id, org, el, form, area int64
			var phase, channel, cid, answers, status, qc, triage, submitted, received string
			if err := scan(&id, &org, &el, &form, &phase, &area, &channel, &cid, &answers, &status, &qc, &triage, &submitted, &received); err != nil {
				return translog.Leaf{}, err
			}
			return reportLeaf(id, org, el, form, phase, area, channel, cid, answers, status, qc, triage, submitted, received), nil
		}},
	{table: "photos", cols: `t.id, t.org_id, t.election_id, t.report_id, t.question, t.sha256, t.size, t.received`,
		leaf: func(scan func(...any) error) (translog.Leaf, error) {
			var id, org, el, report, size int64
			var q, sum, received string
			if err := scan(&id, &org, &el, &report, &q, &sum, &size, &received); err != nil {
				return translog.Leaf{}, err
			}
			return translog.Leaf{Kind: translog.KindPhoto, Ref: translog.Ref("photos", id), Election: el, Data: map[string]any{
				"org": org, "report": report, "question": q, "sha256": sum, "size": size, "received": received}}, nil
		}},
	{table: "resolutions", cols: `t.org_id, t.election_id, t.area_id, t.phase, t.question, t.value, COALESCE(t.user_id, 0), t.created`,
		leaf: func(scan func(...any) error) (translog.Leaf, error) {
			var org, el, area, user int64
			var phase, q, value, created string
			if err := scan(&org, &el, &area, &phase, &q, &value, &user, &created); err != nil {
				return translog.Leaf{}, err
			}
			return translog.Leaf{Kind: translog.KindResolution, Ref: translog.Ref("resolutions", org, el, area, phase, q), Election: el, Data: map[string]any{
				"org": org, "area": area, "phase": phase, "question": q, "value_sha256": translog.SHA256Hex(value), "user": user, "created": created}}, nil
		}},
	{table: "published_findings", cols: `t.id, t.org_id, t.election_id, t.published, t.published_by, t.findings, t.statement_html`,
		leaf: func(scan func(...any) error) (translog.Leaf, error) {
			var id, org, el int64
			var published, by, findings, statement string
			if err := scan(&id, &org, &el, &published, &by, &findings, &statement); err != nil {
				return translog.Leaf{}, err
			}
			return translog.Leaf{Kind: translog.KindFindings, Ref: translog.Ref("published_findings", id), Election: el, Data: map[string]any{
				"org": org, "published": published, "published_by_sha256": translog.SHA256Hex(by),
				"findings_sha256": translog.SHA256Hex(findings), "statement_sha256": translog.SHA256Hex(statement)}}, nil
		}},
	{table: "rec_assessments", cols: `t.id, t.recommendation_id, t.report_id, t.status, t.reasoning, t.evidence, t.proposed, t.updated`,
		leaf: func(scan func(...any) error) (translog.Leaf, error) {
			var id, rec, report, proposed int64
			var status, reasoning, evidence, updated string
			if err := scan(&id, &rec, &report, &status, &reasoning, &evidence, &proposed, &updated); err != nil {
				return translog.Leaf{}, err
			}
			return translog.Leaf{Kind: translog.KindAssessment, Ref: translog.Ref("rec_assessments", id), Data: map[string]any{
				"recommendation": rec, "report": report, "status": status, "reasoning_sha256": translog.SHA256Hex(reasoning),
				"evidence_sha256": translog.SHA256Hex(evidence), "proposed": proposed, "updated": updated}}, nil
		}},
	{table: "official_captures", cols: `t.id, t.election_id, t.url, t.fetched, t.sha256, t.size, t.content_type, t.previous_sha256, COALESCE(t.batch_id, 0)`,
		leaf: func(scan func(...any) error) (translog.Leaf, error) {
			var id, el, size, batch int64
			var u, fetched, sum, ct, prev string
			if err := scan(&id, &el, &u, &fetched, &sum, &size, &ct, &prev, &batch); err != nil {
				return translog.Leaf{}, err
			}
			d := map[string]any{"url": u, "fetched": fetched, "sha256": sum, "size": size, "content_type": ct, "previous_sha256": prev}
			if batch != 0 {
				d["batch"] = batch
			}
			return translog.Leaf{Kind: translog.KindCapture, Ref: translog.Ref("official_captures", id), Election: el, Data: d}, nil
		}},
}

// reportLeaf is a report's leaf from its stored values, read back (the
// audit) or as just written (the writer, which saves reading them back).
func reportLeaf(id, org, el, form int64, phase string, area int64, channel, cid, answers, status, qc, triage, submitted, received string) translog.Leaf {
	// The answers are private: the leaf commits to them with the client
	// id, which the observer's device knows and a guesser does not, so
	// that a short answer cannot be found by trying.
	return translog.Leaf{Kind: translog.KindReport, Ref: translog.Ref("reports", id), Election: el, Data: map[string]any{
		"org": org, "form": form, "phase": phase, "area": area, "channel": channel,
		"commitment": translog.SHA256Hex(cid, answers), "status": status, "qc": qc, "triage": translog.SHA256Hex(triage),
		"submitted": submitted, "received": received}}
}

// reportLeafHead begins every report leaf's encoding, up to its id:
// Encode writes kind, then ref ("reports/ID").
const reportLeafHead = `{"kind":"` + translog.KindReport + `","ref":"reports/`

// reportLeafTail is the encoding of r's leaf after its id: the bytes
// reportLeaf(…).Encode() writes there for the values InsertReports
// stores, written directly. The group commit has it made by each
// submitter, in its own goroutine, before the report is queued: the
// writer, which every report waits for in turn, then only writes the id
// in front and hashes (see reportLeafEncoding). TestReportLeafTail holds
// it to Encode's bytes; the audit recomputes every leaf the slow way.
func reportLeafTail(r *Report) []byte {
	status := r.Status
	if status == "" {
		status = StatusNew
	}
	qc := "[]" // no rule fired, the common case
	if len(r.QC) > 0 {
		// A []string always marshals.
		q, _ := json.Marshal(r.QC)
		qc = string(q)
	}
	b := make([]byte, 0, 384)
	b = append(b, '"') // closes the ref
	if r.ElectionID != 0 {
		b = append(b, `,"election":`...)
		b = strconv.AppendInt(b, r.ElectionID, 10)
	}
	// The data's keys in sorted order, as Encode writes them.
	b = append(b, `,"data":{"area":`...)
	b = strconv.AppendInt(b, r.AreaID, 10)
	b = append(b, `,"channel":`...)
	b = translog.AppendString(b, r.Channel)
	b = append(b, `,"commitment":"`...)
	b = appendCommitment(b, r.ClientID, r.Answers)
	b = append(b, `","form":`...)
	b = strconv.AppendInt(b, r.FormID, 10)
	b = append(b, `,"org":`...)
	b = strconv.AppendInt(b, r.OrgID, 10)
	b = append(b, `,"phase":`...)
	b = translog.AppendString(b, r.Phase)
	b = append(b, `,"qc":`...)
	b = translog.AppendString(b, qc)
	b = append(b, `,"received":`...)
	b = appendTime(b, r.Received)
	b = append(b, `,"status":`...)
	b = translog.AppendString(b, status)
	b = append(b, `,"submitted":`...)
	b = appendTime(b, r.Submitted)
	b = append(b, `,"triage":"`...)
	if r.Triage == "" {
		b = append(b, sha256Empty...)
	} else {
		b = appendSHA256Hex(b, r.Triage)
	}
	return append(b, `"}}`...)
}

// sha256Empty is the hex SHA-256 of nothing: the triage of a report that
// has no triage note, nearly every one.
var sha256Empty = translog.SHA256Hex("")

// appendTime appends fmtTime(t) as a JSON string (TimeLayout needs no
// escaping), without fmtTime's string.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"')
}

// appendCommitment appends the hex SHA-256 of client id, newline, answers:
// translog.SHA256Hex(cid, answers) without converting the answers.
func appendCommitment(b []byte, cid string, answers []byte) []byte {
	h := sha256.New()
	io.WriteString(h, cid)
	h.Write([]byte{'\n'})
	h.Write(answers)
	var sum [sha256.Size]byte
	return hex.AppendEncode(b, h.Sum(sum[:0]))
}

// reportLeafEncoding is the encoding of report id's leaf from its tail.
func reportLeafEncoding(id int64, tail []byte) ([]byte, error) {
	b := make([]byte, 0, len(reportLeafHead)+20+len(tail))
	b = append(b, reportLeafHead...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, tail...)
	if len(b) > translog.MaxLeafSize {
		return nil, fmt.Errorf("leaf reports/%d: %d bytes, more than %d", id, len(b), translog.MaxLeafSize)
	}
	return b, nil
}

// reportTail is a report's leaf but for its id, encoded (reportLeafTail)
// and packed (packLeaf's ops for the same bytes): what a submitter makes
// before queueing its report.
type reportTail struct{ enc, packed []byte }

func makeReportTail(r *Report) reportTail {
	enc := reportLeafTail(r)
	if p, ok := packReportTail(r, enc); ok {
		return reportTail{enc, p}
	}
	// The tail begins with the quote that closes the ref: kept as it is,
	// so that the rest packs as packLeaf packs the whole leaf.
	return reportTail{enc, packAppend(append(make([]byte, 0, 160), '"'), enc[1:])}
}

// packReportTail writes the ops packAppend writes for a report's leaf tail
// (after its first byte) straight from the report, as reportLeafTail
// writes the JSON: packAppend's tokenising and dictionary look-ups were
// most of the packing's cost. ok is false for a report it does not cover
// (a negative id, a string that needs escaping, a time outside
// TimeLayout's four-digit years), which packAppend then packs.
// TestReportLeafTail holds the two to the same bytes.
func packReportTail(r *Report, enc []byte) (_ []byte, ok bool) {
	if r.ElectionID < 0 || r.AreaID < 0 || r.FormID < 0 || r.OrgID < 0 || len(r.QC) > 0 ||
		!plainString(r.Channel) || !plainString(r.Phase) || !plainString(r.Status) {
		return nil, false
	}
	// The times as reportLeafTail wrote them (with no string before them
	// that needs escaping, each key appears once).
	received, ok1 := packTimeAfter(enc, `,"received":"`)
	submitted, ok2 := packTimeAfter(enc, `,"submitted":"`)
	if !ok1 || !ok2 {
		return nil, false
	}
	b := make([]byte, 0, 128)
	b = append(b, '"')
	num := func(key string, n int64) {
		b = append(b, opCommaKey, packKeyIdx[key])
		b = binary.AppendUvarint(append(b, opInt), uint64(n))
	}
	str := func(key, v string) {
		b = append(b, opCommaKey, packKeyIdx[key])
		b = packString(b, []byte(v))
	}
	if r.ElectionID != 0 {
		num("election", r.ElectionID)
	}
	b = append(b, opCommaKey, packKeyIdx["data"], '{', opKey, packKeyIdx["area"])
	b = binary.AppendUvarint(append(b, opInt), uint64(r.AreaID))
	str("channel", r.Channel)
	// The commitment, from the encoding just made (its hex, at a fixed
	// place before `","form":`).
	i := bytes.Index(enc, []byte(`,"commitment":"`))
	if i < 0 || len(enc) < i+15+64 {
		return nil, false
	}
	b = append(b, opCommaKey, packKeyIdx["commitment"], opHex)
	b, err := hex.AppendDecode(b, enc[i+15:i+15+64])
	if err != nil {
		return nil, false
	}
	num("form", r.FormID)
	num("org", r.OrgID)
	str("phase", r.Phase)
	b = append(b, opCommaKey, packKeyIdx["qc"], opStr, packValueIdx["[]"])
	b = append(b, opCommaKey, packKeyIdx["received"], opTime)
	b = append(b, received[:]...)
	status := r.Status
	if status == "" {
		status = StatusNew
	}
	str("status", status)
	b = append(b, opCommaKey, packKeyIdx["submitted"], opTime)
	b = append(b, submitted[:]...)
	b = append(b, opCommaKey, packKeyIdx["triage"])
	if r.Triage == "" {
		b = append(b, opStr, packValueIdx[sha256Empty])
	} else {
		b = append(b, opHex)
		var sum [32]byte
		hex.Decode(sum[:], []byte(translog.SHA256Hex(r.Triage)))
		b = append(b, sum[:]...)
	}
	return append(b, '}', '}'), true
}

// plainString reports whether s is written as it is inside a JSON string
// (printable ASCII, no quote or backslash): what packString packs as is.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func packTimeAfter(enc []byte, key string) ([9]byte, bool) {
	i := bytes.Index(enc, []byte(key))
	if i < 0 || len(enc) < i+len(key)+len(TimeLayout)+1 || enc[i+len(key)+len(TimeLayout)] != '"' {
		return [9]byte{}, false
	}
	return packTimeOf(enc[i+len(key) : i+len(key)+len(TimeLayout)])
}

// reportPackedHead is the packed form of reportLeafHead: what packLeaf
// writes for `{"kind":"report","ref":"reports/` before the id.
var reportPackedHead = []byte{leafPackV1, '{', opKey, packKeyIdx["kind"], opStr, packValueIdx[translog.KindReport],
	opCommaKey, packKeyIdx["ref"], opRef, packTableIdx["reports"]}

// appendReportPacked appends report id's packed leaf from its packed tail:
// packLeaf of appendReportLeaf's bytes, which TestReportLeafTail checks.
func appendReportPacked(b []byte, id int64, packedTail []byte) []byte {
	b = append(b, reportPackedHead...)
	b = binary.AppendUvarint(append(b, opInt), uint64(id))
	return append(b, packedTail...)
}

// appendSHA256Hex appends the hex SHA-256 of the parts concatenated
// (translog.SHA256Hex joins its parts with newlines: callers pass them).
func appendSHA256Hex(b []byte, parts ...string) []byte {
	h := sha256.New()
	for _, p := range parts {
		io.WriteString(h, p)
	}
	var sum [sha256.Size]byte
	return hex.AppendEncode(b, h.Sum(sum[:0]))
}

// logReports appends, in q's transaction and with one append, the leaves
// of reports just inserted (from the values written, as InsertReports
// wrote them) and of protocols by id, and returns the receipts by ref.
// tails[i], when there is one, is rs[i]'s reportLeafTail made beforehand;
// hint is the group commit's guess at the log's state (nil: none); audit
// are entries of the same transaction it writes too, with the leaves'
// statement when it can (see appendHinted).
func logReports(ctx context.Context, q Querier, d Dialect, rs []*Report, tails []reportTail, protocolIDs []int64, hint *logHint, audit []AuditEntry) (map[string]translog.Receipt, error) {
	l := qLoader{q, d}
	leaves := make([]encodedLeaf, 0, len(rs)+len(protocolIDs))
	// Every report's packed form in one buffer (one allocation per batch
	// rather than one per report); its leaf hash streamed through one
	// digest, the head, the id and the tail, without writing the leaf out.
	var packs []byte
	var lh hash.Hash
	var num [20]byte
	for i, r := range rs {
		var t reportTail
		if i < len(tails) {
			t = tails[i]
		}
		if t.enc == nil {
			t = makeReportTail(r)
		}
		if packs == nil {
			packs = make([]byte, 0, len(rs)*(len(reportPackedHead)+10+len(t.packed)))
			lh = sha256.New()
		}
		id := strconv.AppendInt(num[:0], r.ID, 10)
		if n := len(reportLeafHead) + len(id) + len(t.enc); n > translog.MaxLeafSize {
			return nil, fmt.Errorf("leaf reports/%d: %d bytes, more than %d", r.ID, n, translog.MaxLeafSize)
		}
		// RFC 6962's leaf hash, SHA-256(0x00 ‖ leaf), as tlog.RecordHash.
		lh.Reset()
		lh.Write([]byte{0})
		io.WriteString(lh, reportLeafHead)
		lh.Write(id)
		lh.Write(t.enc)
		var h tlog.Hash
		lh.Sum(h[:0])
		p := len(packs)
		packs = appendReportPacked(packs, r.ID, t.packed)
		leaves = append(leaves, encodedLeaf{kind: translog.KindReport, ref: translog.Ref("reports", r.ID), election: r.ElectionID,
			hash: h, hashed: true, packed: packs[p:len(packs):len(packs)]})
	}
	if len(protocolIDs) > 0 {
		ps, err := tableLeaves(ctx, l, "protocols", idList(protocolIDs)+` ORDER BY t.id`)
		if err != nil {
			return nil, err
		}
		for _, lf := range ps {
			enc, err := lf.Encode()
			if err != nil {
				return nil, err
			}
			leaves = append(leaves, encodedLeaf{kind: lf.Kind, ref: lf.Ref, election: lf.Election, enc: enc})
		}
	}
	rcs, err := appendHinted(ctx, l, leaves, hint, audit)
	if err != nil {
		return nil, err
	}
	out := make(map[string]translog.Receipt, len(rcs))
	for i, lf := range leaves {
		out[lf.ref] = rcs[i]
	}
	return out, nil
}

// appendReceipts appends leaves and returns their receipts by row ref.
func appendReceipts(ctx context.Context, l qLoader, leaves []translog.Leaf) (map[string]translog.Receipt, error) {
	rcs, err := appendLeaves(ctx, l, leaves)
	if err != nil {
		return nil, err
	}
	out := make(map[string]translog.Receipt, len(rcs))
	for i, lf := range leaves {
		out[lf.Ref] = rcs[i]
	}
	return out, nil
}

func prefixCols(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// protocolLeaf is a protocol's leaf from its stored columns: path is the
// area's stored path (JSON), votes the stored votes (JSON). The log reads
// a protocol back through it; an import encodes its protocols' leaves
// from the very values it wrote (storeChunk) with protocolLeafEncoding,
// which TestProtocolLeafEncoding holds to this leaf's encoding. parts and list, when not nil, are path and votes already
// decoded (the import holds them: decoding them again was most of
// building a leaf); the caller answers for their being exactly what
// decoding would give.
func protocolLeaf(id, el, area int64, path string, parts []string, src string, version, batch, report int64, votes string, list []int64, received string, figs *[election.NumFigures]sql.NullInt64) translog.Leaf {
	d := map[string]any{"area": area, "source": src, "version": version, "received": received}
	if parts == nil && json.Unmarshal([]byte(path), &parts) != nil {
		d["path"] = path
	} else {
		d["path"] = strings.Join(parts, " / ")
	}
	if batch != 0 {
		d["batch"] = batch
	}
	if report != 0 {
		d["report"] = report
	}
	if list == nil && json.Unmarshal([]byte(votes), &list) != nil {
		d["votes_text"] = votes
	} else {
		d["votes"] = nonNilInts(list)
	}
	for i, f := range figs {
		if f.Valid {
			d[election.Figure(i).String()] = f.Int64
		}
	}
	return translog.Leaf{Kind: translog.KindProtocol, Ref: translog.Ref("protocols", id), Election: el, Data: d}
}

func logTableOf(name string) logTable {
	for _, t := range logTables {
		if t.table == name {
			return t
		}
	}
	panic("store: no log table " + name)
}

// tableLeaves reads the leaves of the rows of table matching where (on
// alias t; "" for all rows).
func tableLeaves(ctx context.Context, l loader, table, where string, args ...any) ([]translog.Leaf, error) {
	t := logTableOf(table)
	q := `SELECT ` + t.cols + ` FROM ` + t.table + ` t`
	if where != "" {
		q += ` WHERE ` + where
	}
	var out []translog.Leaf
	err := l.each(ctx, q, args, func(scan func(...any) error) error {
		lf, err := t.leaf(scan)
		if err != nil {
			return fmt.Errorf("log: reading %s: %w", table, err)
		}
		out = append(out, lf)
		return nil
	})
	return out, err
}

// idList makes "t.id IN (1,2,3)" for ids the caller holds (integers, so
// written into the statement rather than bound: one statement whatever
// their number).
func idList(ids []int64) string {
	var b strings.Builder
	b.WriteString("t.id IN (")
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(')')
	return b.String()
}

// logIDs appends the leaves of the given rows of a table; no ids, no work.
func logIDs(ctx context.Context, l loader, table string, ids []int64) ([]translog.Receipt, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	leaves, err := tableLeaves(ctx, l, table, idList(ids)+` ORDER BY t.id`)
	if err != nil {
		return nil, err
	}
	return appendLeaves(ctx, l, leaves)
}

// RowSet names rows of a logged table by id.
type RowSet struct {
	Table string
	IDs   []int64
}

// LogRows appends, in q's transaction and with one append, the leaves of
// the given rows, and returns their receipts by ref ("reports/12"). For
// code outside the store that writes rows in its own transaction (the
// observation writer's group commit, the demo).
func LogRows(ctx context.Context, q Querier, d Dialect, sets ...RowSet) (map[string]translog.Receipt, error) {
	l := qLoader{q, d}
	var leaves []translog.Leaf
	for _, s := range sets {
		if len(s.IDs) == 0 {
			continue
		}
		ls, err := tableLeaves(ctx, l, s.Table, idList(s.IDs)+` ORDER BY t.id`)
		if err != nil {
			return nil, err
		}
		leaves = append(leaves, ls...)
	}
	return appendReceipts(ctx, l, leaves)
}

// FirstReceipts returns, for refs already in the log, their first leaf's
// receipt (a resent report is answered with the receipt of its first copy).
func FirstReceipts(ctx context.Context, q Querier, refs []string) (map[string]translog.Receipt, error) {
	out := map[string]translog.Receipt{}
	for _, ref := range refs {
		var idx int64
		var data []byte
		err := q.QueryRowContext(ctx, `SELECT idx, data FROM log_leaves WHERE ref = $1 ORDER BY idx LIMIT 1`, ref).Scan(&idx, &data)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		enc, err := unpackLeaf(data)
		if err != nil {
			return nil, fmt.Errorf("leaf %d: %w", idx, err)
		}
		out[ref] = receipt(idx, enc)
	}
	return out, nil
}

// Receipt returns the receipt of a ref's first leaf; ErrNotFound if the
// log has none.
func (db *DB) Receipt(ctx context.Context, ref string) (translog.Receipt, error) {
	m, err := FirstReceipts(ctx, db, []string{ref})
	if err != nil {
		return translog.Receipt{}, err
	}
	rc, ok := m[ref]
	if !ok {
		return translog.Receipt{}, fmt.Errorf("receipt of %s: %w", ref, ErrNotFound)
	}
	return rc, nil
}

func receipt(idx int64, enc []byte) translog.Receipt {
	return translog.Receipt{Index: idx, Hash: translog.LeafHash(enc).String()}
}

// logUnlogged appends leaves for every row of table that has none (rows
// written by code that does not log row by row: a recommendations import,
// the demo, a database from before the log).
func logUnlogged(ctx context.Context, l loader, table string) ([]translog.Receipt, error) {
	t := logTableOf(table)
	all, err := tableLeaves(ctx, l, t.table, "")
	if err != nil {
		return nil, err
	}
	logged := map[string]bool{}
	if err := l.each(ctx, `SELECT DISTINCT ref FROM log_leaves WHERE ref LIKE $1`, []any{table + "/%"}, func(scan func(...any) error) error {
		var r string
		if err := scan(&r); err != nil {
			return err
		}
		logged[r] = true
		return nil
	}); err != nil {
		return nil, err
	}
	var todo []translog.Leaf
	for _, lf := range all {
		if !logged[lf.Ref] {
			todo = append(todo, lf)
		}
	}
	return appendLeaves(ctx, l, todo)
}

// LogUnlogged appends, in q's transaction, leaves for the rows of every
// logged table that have none. See logUnlogged.
func LogUnlogged(ctx context.Context, q Querier, d Dialect) error {
	// The log's lock before reading what it holds: two instances opening
	// a database from before the log at once would each read "nothing
	// logged" and both append every row. The second now waits, then reads
	// the first's leaves.
	if _, _, err := lockLog(ctx, qLoader{q, d}); err != nil {
		return err
	}
	for _, t := range logTables {
		if _, err := logUnlogged(ctx, qLoader{q, d}, t.table); err != nil {
			return err
		}
	}
	return nil
}

// logDeleted appends a tombstone: the rows ref names were removed by vigil
// (an election deleted, an assessment replaced). scope "election" covers
// every leaf of the election, "observation" its reports, resolutions and
// published findings; "" the ref alone.
func logDeleted(ctx context.Context, l loader, ref string, electionID int64, scope string) error {
	d := map[string]any{}
	if scope != "" {
		d["scope"] = scope
	}
	_, err := appendLeaves(ctx, l, []translog.Leaf{{Kind: translog.KindDeleted, Ref: ref, Election: electionID, Data: d}})
	return err
}

// lockLog takes the log's lock and returns the tree size with the
// frontier stored beside it (nil when it is not the frontier of that size).
func lockLog(ctx context.Context, l loader) (int64, []byte, error) {
	q := `SELECT size, frontier FROM log_state WHERE id = 1`
	if l.dialect() == Postgres {
		q += ` FOR UPDATE`
	}
	var n int64
	var f []byte
	if err := l.queryRow(ctx, q).Scan(&n, &f); err != nil {
		return 0, nil, fmt.Errorf("log: reading its size: %w", err)
	}
	return n, f, nil
}

// frontierIndexes are the stored-hash indexes of the roots of the complete
// subtrees a tree of n leaves splits into, one per bit set in n, largest
// first: all that appending to it needs beyond the hashes it computes.
func frontierIndexes(n int64) []int64 {
	var out []int64
	for level := 62; level >= 0; level-- {
		if n>>uint(level)&1 == 1 {
			out = append(out, tlog.StoredHashIndex(level, n>>uint(level)-1))
		}
	}
	return out
}

// decodeFrontier returns the hashes of a stored frontier (8 bytes of size,
// big-endian, then the hashes of frontierIndexes(size)) if it is the
// frontier of a tree of n leaves, nil if not: a database from before the
// frontier was kept, or a row edited by hand.
func decodeFrontier(b []byte, n int64) []tlog.Hash {
	want := len(frontierIndexes(n))
	if len(b) != 8+want*tlog.HashSize || int64(binary.BigEndian.Uint64(b)) != n {
		return nil
	}
	out := make([]tlog.Hash, want)
	for i := range out {
		copy(out[i][:], b[8+i*tlog.HashSize:])
	}
	return out
}

func encodeFrontier(n int64, hs []tlog.Hash) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(hs)*tlog.HashSize), uint64(n))
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

// encodedLeaf is a leaf with its canonical encoding: what appendEncoded
// stores. The intake's reports arrive encoded (see reportLeafEncoding).
type encodedLeaf struct {
	kind, ref string
	election  int64
	enc       []byte
	// packed is enc's packed form (packLeaf) when the caller made it, nil
	// to have buildAppend make it; hash, when hashed, is enc's leaf hash,
	// and enc may then be nil (the intake's reports, see logReports).
	packed []byte
	hash   tlog.Hash
	hashed bool
}

// appendLeaves adds leaves at the end of the tree, in l's transaction,
// and returns their receipts.
func appendLeaves(ctx context.Context, l loader, leaves []translog.Leaf) ([]translog.Receipt, error) {
	encs := make([]encodedLeaf, len(leaves))
	for i, lf := range leaves {
		enc, err := lf.Encode()
		if err != nil {
			return nil, err
		}
		encs[i] = encodedLeaf{kind: lf.Kind, ref: lf.Ref, election: lf.Election, enc: enc}
	}
	return appendEncoded(ctx, l, encs)
}

// appendEncoded adds encoded leaves at the end of the tree, in l's
// transaction, and returns their receipts.
//
// It reads nothing but log_state: appending needs, beyond the hashes it
// computes itself, only the tree's frontier (the roots of its complete
// subtrees, O(log n) hashes), which log_state keeps with the size under
// the same lock, so a frontier is always that of the size it is read with,
// whichever instance wrote it and whether or not that transaction
// committed. A missing or stale frontier is read from the leaves' stored
// hashes, once.
func appendEncoded(ctx context.Context, l loader, leaves []encodedLeaf) ([]translog.Receipt, error) {
	return appendHinted(ctx, l, leaves, nil, nil)
}

// appendHinted is appendEncoded with a guess at the log's state (see
// logHint) and audit entries to write in the same transaction. On
// PostgreSQL, when the guess is right, the append and the audit entries
// are one statement, one round trip, instead of three: the intake's
// commit is a handful of round trips, and each is, on a loaded server,
// what a submission waits for most.
func appendHinted(ctx context.Context, l loader, leaves []encodedLeaf, hint *logHint, audit []AuditEntry) ([]translog.Receipt, error) {
	ql, isQ := l.(qLoader)
	if len(audit) > 0 && !isQ {
		return nil, errors.New("log: audit entries to write through a bulk loader")
	}
	if len(leaves) == 0 {
		if len(audit) > 0 {
			return nil, AuditMany(ctx, ql.q, ql.d, audit)
		}
		return nil, nil
	}
	if isQ && ql.d == Postgres && hint != nil {
		if n, stored, ok := hint.get(); ok && decodeFrontier(stored, n) != nil {
			a := buildAppend(n, decodeFrontier(stored, n), leaves)
			done, err := pgAppendIf(ctx, ql, a, n, stored, audit)
			if err != nil {
				return nil, fmt.Errorf("log: storing leaves %d to %d: %w", n, a.size, err)
			}
			audit = nil // written either way
			hint.count(done)
			if done {
				hint.set(a.size, a.frontier)
				return a.receipts, nil
			}
			// Another append came first (another instance, or this
			// one's rolled back): the log's lock is now held, and the
			// state is read under it as below.
		}
	}
	if len(audit) > 0 {
		// Before the lock, which is held from then to the commit.
		if err := AuditMany(ctx, ql.q, ql.d, audit); err != nil {
			return nil, err
		}
	}
	n, stored, err := lockLog(ctx, l)
	if err != nil {
		return nil, err
	}
	front := decodeFrontier(stored, n)
	if front == nil && n > 0 {
		if front, err = readHashes(ctx, l, frontierIndexes(n)); err != nil {
			return nil, fmt.Errorf("log: reading the frontier of %d leaves: %w", n, err)
		}
	}
	a := buildAppend(n, front, leaves)
	if err := insertLeaves(ctx, l, a.rows, a.size, a.frontier); err != nil {
		return nil, fmt.Errorf("log: storing leaves %d to %d: %w", n, a.size, err)
	}
	if hint != nil {
		hint.set(a.size, a.frontier)
	}
	return a.receipts, nil
}

// logAppend is an append computed on a tree of known size and frontier:
// the rows to store, the new size and frontier, the receipts.
type logAppend struct {
	rows     [][]any
	size     int64
	frontier []byte
	receipts []translog.Receipt
}

// buildAppend computes the leaves' hashes and tlog's stored hashes on top
// of the tree of n leaves whose frontier is front (frontierIndexes order).
func buildAppend(n int64, front []tlog.Hash, leaves []encodedLeaf) logAppend {
	var f frontier
	f.load(n, front)
	a := logAppend{rows: make([][]any, 0, len(leaves)), receipts: make([]translog.Receipt, len(leaves))}
	// One buffer for every leaf's stored hashes (each leaf stores 2 on
	// average) and one for the packed leaves not packed yet: two
	// allocations per batch rather than two per leaf.
	all := make([]byte, 0, (2*len(leaves)+64)*tlog.HashSize)
	var packs []byte
	for i, lf := range leaves {
		idx := n + int64(i)
		h := lf.hash
		if !lf.hashed {
			h = translog.LeafHash(lf.enc)
		}
		lo := len(all)
		all = f.append(all, h)
		data := lf.packed
		if data == nil {
			if packs == nil {
				packs = make([]byte, 0, 160*len(leaves))
			}
			p := len(packs)
			packs = packLeaf(packs, lf.enc)
			data = packs[p:len(packs):len(packs)]
		}
		a.rows = append(a.rows, []any{idx, lf.kind, lf.ref, lf.election, data, all[lo:len(all):len(all)]})
		a.receipts[i] = translog.Receipt{Index: idx, Hash: h.String()}
	}
	a.size = n + int64(len(leaves))
	a.frontier = encodeFrontier(a.size, f.hashes())
	return a
}

// logHint is what a writer's last append left in log_state: its size and
// frontier. The group commit keeps one for its writers, since an
// instance's own appends are nearly always the only ones (its writers
// append one after the other); an append that finds log_state otherwise
// (another instance's append, the other writer's that read the hint
// before it moved, a rolled-back one, a hand edit) does the usual locked
// read. Nothing depends on the hint being right: pgAppendIf stores
// nothing unless log_state holds exactly the size and frontier the hashes
// were computed on, and those two determine every hash an append stores.
type logHint struct {
	mu           sync.Mutex
	size         int64
	frontier     []byte
	hits, misses int64 // appends that took one statement, and that found another state (for tests)
}

func (h *logHint) count(hit bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if hit {
		h.hits++
	} else {
		h.misses++
	}
}

func (h *logHint) get() (int64, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.size, h.frontier, h.frontier != nil
}

func (h *logHint) set(size int64, frontier []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.size, h.frontier = size, frontier
}

// pgAppendIf stores a's leaves and state in one statement if log_state
// holds size n and frontier prev, and reports whether it did. It locks
// log_state's row either way (FOR UPDATE, which under READ COMMITTED sees
// the latest committed state), so that a false is followed by a locked
// read of the state that no other append can change before commit.
//
// The audit entries, if any, are written whatever log_state holds.
func pgAppendIf(ctx context.Context, ql qLoader, a logAppend, n int64, prev []byte, audit []AuditEntry) (bool, error) {
	args := append(pgLeafArrays(a.rows), a.size, a.frontier, n, prev)
	aud := ""
	if len(audit) > 0 {
		cols := make([][]any, 7)
		for _, e := range audit {
			for c, v := range auditValues(e) {
				cols[c] = append(cols[c], v)
			}
		}
		org := make([]*int64, len(audit))
		for i, v := range cols[0] {
			if id, ok := v.(int64); ok {
				org[i] = &id
			}
		}
		args = append(args, org)
		for _, c := range cols[1:] {
			txt := make([]string, len(c))
			for i, v := range c {
				txt[i] = v.(string)
			}
			args = append(args, txt)
		}
		aud = `aud AS (INSERT INTO audit (org_id, actor, channel, action, object, detail, at)
			SELECT * FROM unnest($11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])),`
	}
	res, err := ql.q.ExecContext(ctx, `WITH st AS (SELECT size, frontier FROM log_state WHERE id = 1 FOR UPDATE),
		ok AS (SELECT 1 FROM st WHERE size = $9 AND frontier = $10), `+aud+`
		ins AS (INSERT INTO log_leaves (idx, kind, ref, election_id, data, hashes)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::bytea[]) WHERE EXISTS (SELECT 1 FROM ok))
		UPDATE log_state SET size = $7, frontier = $8 WHERE id = 1 AND EXISTS (SELECT 1 FROM ok)`,
		args...)
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	return k == 1, err
}

// pgLeafArrays turns leaf rows into the six arrays unnest makes rows of.
func pgLeafArrays(rows [][]any) []any {
	idx := make([]int64, len(rows))
	kind := make([]string, len(rows))
	ref := make([]string, len(rows))
	el := make([]int64, len(rows))
	data := make([][]byte, len(rows))
	hashes := make([][]byte, len(rows))
	for i, r := range rows {
		idx[i], kind[i], ref[i], el[i], data[i], hashes[i] = r[0].(int64), r[1].(string), r[2].(string), r[3].(int64), r[4].([]byte), r[5].([]byte)
	}
	return []any{idx, kind, ref, el, data, hashes}
}

// frontier is the right edge of the tree while a batch is appended: for
// each bit set in size, the hash of the complete subtree of that height
// (level). Appending leaf n completes one subtree per trailing 1 bit of
// n, each the node hash of the frontier's subtree of that level and the
// one just completed below it: exactly the hashes tlog's
// StoredHashesForRecordHash computes for leaf n, in the same order (its
// own hash, then one per level), without a hash reader or a map.
// TestFrontierMatchesTlog holds the two to the same hashes.
type frontier struct {
	size int64
	lvl  [64]tlog.Hash // lvl[L] is meaningful when bit L of size is set
}

// load sets the frontier of a tree of n leaves from its hashes in the
// order of frontierIndexes (largest subtree first).
func (f *frontier) load(n int64, hs []tlog.Hash) {
	f.size = n
	k := 0
	for level := 62; level >= 0; level-- {
		if n>>uint(level)&1 == 1 {
			f.lvl[level] = hs[k]
			k++
		}
	}
}

// append adds a leaf of hash h and appends to b the hashes tlog stores for
// it (32 bytes each).
func (f *frontier) append(b []byte, h tlog.Hash) []byte {
	b = append(b, h[:]...)
	level := 0
	for ; f.size>>uint(level)&1 == 1; level++ {
		h = tlog.NodeHash(f.lvl[level], h)
		b = append(b, h[:]...)
	}
	f.lvl[level] = h
	f.size++
	return b
}

// hashes returns the frontier in the order of frontierIndexes.
func (f *frontier) hashes() []tlog.Hash {
	var out []tlog.Hash
	for level := 62; level >= 0; level-- {
		if f.size>>uint(level)&1 == 1 {
			out = append(out, f.lvl[level])
		}
	}
	return out
}

// hashHome says where tlog's stored hash idx is kept: in the hashes of
// the leaf whose append completed its subtree, at the subtree's level.
// The hash of the subtree (level L, number k) is completed by leaf
// (k+1)·2^L − 1, the L-th of the hashes that leaf stored.
func hashHome(idx int64) (leaf int64, pos int) {
	level, k := tlog.SplitStoredHashIndex(idx)
	return (k+1)<<uint(level) - 1, level
}

// insertLeaves stores leaf rows and the log's new size and frontier. On
// PostgreSQL through database/sql, a multi-row INSERT of a whole batch is a
// long statement with thousands of parameters, which PostgreSQL parses and
// plans each time: six arrays unnested into rows cost a fraction of that,
// and the state's update rides in the same statement (one round trip). A
// bulk load (an import's COPY) and SQLite take the loader's insert.
func insertLeaves(ctx context.Context, l loader, rows [][]any, size int64, frontier []byte) error {
	ql, ok := l.(qLoader)
	if !ok || ql.d != Postgres {
		var err error
		if tx, per := sqliteTx(l); tx != nil {
			err = sqliteInsertLeaves(ctx, tx, rows, per)
		} else {
			err = l.insert(ctx, "log_leaves", leafCols, rows)
		}
		if err != nil {
			return err
		}
		return l.exec(ctx, `UPDATE log_state SET size = $1, frontier = $2 WHERE id = 1`, size, frontier)
	}
	// A data-modifying WITH runs whether or not the UPDATE reads it.
	_, err := ql.q.ExecContext(ctx, `WITH ins AS (INSERT INTO log_leaves (idx, kind, ref, election_id, data, hashes)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::bytea[]))
		UPDATE log_state SET size = $7, frontier = $8 WHERE id = 1`, append(pgLeafArrays(rows), size, frontier)...)
	return err
}

var leafCols = []string{"idx", "kind", "ref", "election_id", "data", "hashes"}

// sqliteTx is the SQLite transaction a loader runs in, nil if it is not
// one, and the leaf rows a statement should take there: as many as the
// loader's own inserts for an import's bulk load, a few for the intake's
// batches (see qLoader.insert).
func sqliteTx(l loader) (*sql.Tx, int) {
	switch x := l.(type) {
	case sqlLoader:
		return x.tx, max(1, 2000/len(leafCols))
	case qLoader:
		if tx, ok := x.q.(*sql.Tx); ok && x.d == SQLite {
			return tx, 16
		}
	}
	return nil, 0
}

// sqliteInsertLeaves writes leaf rows with INSERT OR FAIL, per rows a
// statement, prepared once per call. A statement of several rows that may
// abort halfway makes SQLite save every page it touches in a statement
// journal first, to undo that statement alone; in the intake's commit that
// journal has already spilled to a file (the reports' insert), and writing
// to it was a third of the leaves' insert. OR FAIL keeps the rows a failing
// statement wrote instead, so SQLite keeps no statement journal: which is
// safe because a failed append fails its whole transaction, and every
// caller rolls that back.
func sqliteInsertLeaves(ctx context.Context, tx *sql.Tx, rows [][]any, per int) error {
	return execChunked(ctx, tx, rows, per, leafInsertSQL)
}

func leafInsertSQL(n int) string {
	return "INSERT OR FAIL" + strings.TrimPrefix(insertSQL("log_leaves", leafCols, n), "INSERT")
}

func readHashes(ctx context.Context, l loader, idx []int64) ([]tlog.Hash, error) {
	var b strings.Builder
	b.WriteString(`SELECT idx, hashes FROM log_leaves WHERE idx IN (`)
	seen := map[int64]bool{}
	for _, x := range idx {
		leaf, _ := hashHome(x)
		if seen[leaf] {
			continue
		}
		if len(seen) > 0 {
			b.WriteByte(',')
		}
		seen[leaf] = true
		b.WriteString(strconv.FormatInt(leaf, 10))
	}
	b.WriteByte(')')
	got := make(map[int64][]byte, len(seen))
	if err := l.each(ctx, b.String(), nil, func(scan func(...any) error) error {
		var id int64
		var h []byte
		if err := scan(&id, &h); err != nil {
			return err
		}
		got[id] = h
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		leaf, pos := hashHome(x)
		hs, ok := got[leaf]
		if !ok || len(hs) < (pos+1)*tlog.HashSize {
			return nil, fmt.Errorf("log: stored hash %d (of leaf %d) is missing", x, leaf)
		}
		copy(out[i][:], hs[pos*tlog.HashSize:])
	}
	return out, nil
}

// LogHashReader reads the tree's stored hashes (for tiles, roots, proofs).
func (db *DB) LogHashReader(ctx context.Context) tlog.HashReader {
	l := qLoader{db, db.Dialect}
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		var out []tlog.Hash
		for lo := 0; lo < len(idx); lo += 500 {
			got, err := readHashes(ctx, l, idx[lo:min(lo+500, len(idx))])
			if err != nil {
				return nil, err
			}
			out = append(out, got...)
		}
		return out, nil
	})
}

// LogSize is the number of leaves in the log.
func (db *DB) LogSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT size FROM log_state WHERE id = 1`).Scan(&n)
	return n, err
}

// LogRoot is the root hash of the tree of the first size leaves.
func (db *DB) LogRoot(ctx context.Context, size int64) (tlog.Hash, error) {
	return tlog.TreeHash(size, db.LogHashReader(ctx))
}

// LogLeaf is a stored leaf.
type LogLeaf struct {
	Index    int64
	Kind     string
	Ref      string
	Election int64
	Data     []byte
	Hashes   []byte // the tree hashes its append stored (LogLeaves only)
}

// LogLeaves returns the leaves with index in [lo, hi).
func (db *DB) LogLeaves(ctx context.Context, lo, hi int64) ([]LogLeaf, error) {
	var out []LogLeaf
	err := qLoader{db, db.Dialect}.each(ctx, `SELECT idx, kind, ref, election_id, data, hashes FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx`,
		[]any{lo, hi}, func(scan func(...any) error) error {
			var l LogLeaf
			var data []byte
			if err := scan(&l.Index, &l.Kind, &l.Ref, &l.Election, &data, &l.Hashes); err != nil {
				return err
			}
			l.Data = storedLeaf(data)
			out = append(out, l)
			return nil
		})
	return out, err
}

// LogTile returns a tile's bytes in the C2SP tlog-tiles layout: hashes
// (levels 0 and up) or an entry bundle (level -1).
func (db *DB) LogTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	if t.L >= 0 {
		return tlog.ReadTileData(t, db.LogHashReader(ctx))
	}
	lo := t.N << uint(t.H)
	leaves, err := db.LogLeaves(ctx, lo, lo+int64(t.W))
	if err != nil {
		return nil, err
	}
	if len(leaves) != t.W {
		return nil, fmt.Errorf("entry bundle %d: %w", t.N, ErrNotFound)
	}
	entries := make([][]byte, len(leaves))
	for i, l := range leaves {
		entries[i] = l.Data
	}
	return translog.EncodeBundle(entries)
}

// Checkpoint is a stored signed checkpoint.
type Checkpoint struct {
	Size    int64
	Root    string
	Signed  []byte // the signed note, with any cosignatures appended
	Created time.Time
}

// SaveCheckpoint stores a signed checkpoint (once per size).
func (db *DB) SaveCheckpoint(ctx context.Context, size int64, root tlog.Hash, signed []byte) error {
	_, err := db.ExecContext(ctx, `INSERT INTO log_checkpoints (size, root, signed, created) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING`,
		size, root.String(), string(signed), fmtTime(time.Now().UTC()))
	return err
}

// LatestCheckpoint returns the largest signed checkpoint with the
// cosignatures witnesses have sent for it; ErrNotFound if none.
func (db *DB) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	return db.checkpoint(ctx, `SELECT size, root, signed, created FROM log_checkpoints ORDER BY size DESC LIMIT 1`)
}

// CheckpointAt returns the checkpoint of a given size.
func (db *DB) CheckpointAt(ctx context.Context, size int64) (*Checkpoint, error) {
	return db.checkpoint(ctx, `SELECT size, root, signed, created FROM log_checkpoints WHERE size = $1`, size)
}

func (db *DB) checkpoint(ctx context.Context, q string, args ...any) (*Checkpoint, error) {
	c := &Checkpoint{}
	var signed string
	err := db.QueryRowContext(ctx, q, args...).Scan(&c.Size, &c.Root, &signed, scanTime(&c.Created))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("checkpoint: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	c.Signed = []byte(signed)
	rows, err := db.QueryContext(ctx, `SELECT line FROM log_cosignatures WHERE size = $1 ORDER BY witness`, c.Size)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		c.Signed = append(c.Signed, line...)
	}
	return c, rows.Err()
}

// Checkpoints lists the stored checkpoints, oldest first, without
// cosignatures.
func (db *DB) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	var out []Checkpoint
	err := qLoader{db, db.Dialect}.each(ctx, `SELECT size, root, signed, created FROM log_checkpoints ORDER BY size`, nil,
		func(scan func(...any) error) error {
			var c Checkpoint
			var signed string
			if err := scan(&c.Size, &c.Root, &signed, scanTime(&c.Created)); err != nil {
				return err
			}
			c.Signed = []byte(signed)
			out = append(out, c)
			return nil
		})
	return out, err
}

// AddCosignature stores a witness's cosignature line for a checkpoint size
// (the caller has verified it); a witness's later line for the same size
// replaces its earlier one.
func (db *DB) AddCosignature(ctx context.Context, size int64, witness, line string) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_cosignatures WHERE size = $1 AND witness = $2`, size, witness); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO log_cosignatures (size, witness, line, created) VALUES ($1, $2, $3, $4)`,
			size, witness, line, fmtTime(time.Now().UTC()))
		return err
	})
}

// LogProof is an inclusion proof of one leaf in the tree of a given size.
type LogProof struct {
	Index int64       `json:"leaf_index"`
	Leaf  string      `json:"leaf"` // the leaf's encoding
	Size  int64       `json:"tree_size"`
	Proof []tlog.Hash `json:"proof"`
}

// ProveLeaf proves leaf index is in the tree of size leaves.
func (db *DB) ProveLeaf(ctx context.Context, index, size int64) (*LogProof, error) {
	if index < 0 || index >= size {
		return nil, fmt.Errorf("leaf %d is not in a tree of %d leaves", index, size)
	}
	ls, err := db.LogLeaves(ctx, index, index+1)
	if err != nil {
		return nil, err
	}
	if len(ls) != 1 {
		return nil, fmt.Errorf("leaf %d: %w", index, ErrNotFound)
	}
	p, err := tlog.ProveRecord(size, index, db.LogHashReader(ctx))
	if err != nil {
		return nil, fmt.Errorf("proving leaf %d in %d: %w", index, size, err)
	}
	return &LogProof{Index: index, Leaf: string(ls[0].Data), Size: size, Proof: p}, nil
}

// ProveTree proves that the tree of size old is a prefix of that of size n.
func (db *DB) ProveTree(ctx context.Context, old, n int64) (tlog.TreeProof, error) {
	return tlog.ProveTree(n, old, db.LogHashReader(ctx))
}

// storedLeaf is a stored leaf's encoding (unpackLeaf). Stored bytes that
// do not unpack (a hand edit) are returned as they are: their hash is not
// the one stored, which the audit reports, and a reader checking an entry
// bundle against the tree sees the same.
func storedLeaf(data []byte) []byte {
	enc, err := unpackLeaf(data)
	if err != nil {
		return data
	}
	return enc
}
