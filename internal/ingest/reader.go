package ingest

import (
	"archive/zip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/election"
)

// Row is one polling station's results as read from a file.
type Row struct {
	// Line is where the row starts: the line number in a text file (the
	// header and skipped lines counted, first line 1), the row number in a
	// sheet.
	Line int
	// Path is the station's area path, top level first; the last element
	// names the station.
	Path []string
	// Figures are the protocol figures; a figure whose cells are all empty
	// is absent, not zero.
	Figures election.Figures
	// Votes holds each option's votes, in the order of Reader.Options. An
	// option whose cells are all empty has 0 here and true in VotesAbsent.
	Votes []int64
	// VotesAbsent is nil when every option has a value; otherwise true for
	// each option whose cells were all empty.
	VotesAbsent []bool
	// Attrs are the mapping's attributes (nil when it has none).
	Attrs map[string]string
}

// Empty reports whether the row has no figure and no vote at all (e.g. a
// station listed without results).
func (r *Row) Empty() bool {
	for f := election.Figure(0); f < election.NumFigures; f++ {
		if r.Figures.Has(f) {
			return false
		}
	}
	if r.VotesAbsent == nil {
		return false
	}
	for _, a := range r.VotesAbsent {
		if !a {
			return false
		}
	}
	return true
}

// RowError is an invalid row. It concerns that row only: the caller may
// stop (all-or-nothing import) or note it and call Next again
// (--skip-invalid). Every other error from Next is fatal.
type RowError struct {
	File     string // base name of the file (inside a zip: the entry)
	Line     int
	Column   string // the header text; "" when the error is not one cell's
	Value    string // the cell as read (shortened when long)
	Expected string // what the cell or row should have been
}

func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: ", e.Column)
	}
	if e.Column != "" || e.Value != "" {
		fmt.Fprintf(&b, "value %q: ", e.Value)
	}
	b.WriteString("expected ")
	b.WriteString(e.Expected)
	return b.String()
}

// IsRowError reports whether err concerns a single row, so that reading
// may continue with the next one.
func IsRowError(err error) bool {
	var re *RowError
	return errors.As(err, &re)
}

// HeaderError is a header that does not fit the mapping: a column it names
// is missing or ambiguous. It is fatal.
type HeaderError struct {
	File   string
	Key    string // the mapping key naming the column
	Column string
	Msg    string
}

func (e *HeaderError) Error() string {
	return fmt.Sprintf("%s: header: column %q (mapping %q): %s", e.File, e.Column, e.Key, e.Msg)
}

// Reader streams the rows of one results file. It is not safe for
// concurrent use.
type Reader struct {
	file    string
	m       *Mapping
	src     source
	header  []string
	nfields int
	nulls   map[string]bool
	numeric bool

	areaCols []int
	figCols  [election.NumFigures][]int
	optCols  [][]int
	attrCols []int
	skipCols []int
	station  template // nil without station_name_format
	stCols   []int    // the columns of station's placeholders

	skipped int
	records int   // records read after the header, blank ones included
	err     error // sticky fatal error (or io.EOF)
}

// Limits on what one file may hold. They are far above any real results
// file (the largest election, India's, has about a million stations; the
// longest station names about 200 characters) and low enough that a
// hostile file is refused before it holds the machine. The bound on a
// count is election.MaxCount.
const (
	// MaxRows bounds the records of one file after the header (blank and
	// skipped ones included): reading stops with an error past it. With
	// every count at most election.MaxCount, no sum over MaxRows stations
	// overflows.
	MaxRows = 5_000_000
	// MaxCellBytes bounds any one cell, whether the mapping uses it or not.
	MaxCellBytes = 64 << 10
	// MaxNameBytes bounds an area or station name (after white space is
	// cleaned): names are shown on every page and in every path.
	MaxNameBytes = 1024
)

// maxRows is MaxRows, lowered by tests.
var maxRows = MaxRows

// Open opens a results file and checks its header against the mapping. The
// format follows the name: .xlsx (a sheet), .zip (the CSV inside), .gz
// (gzip-compressed CSV), anything else CSV. The caller must Close the
// Reader.
func Open(name string, m *Mapping) (*Reader, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".xlsx") || strings.HasSuffix(lower, ".xlsm"):
		f, err := openXLSX(name, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		src, err := newXLSXSource(f, m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		return newReader(filepath.Base(name), src, m)
	case strings.HasSuffix(lower, ".zip"):
		zr, err := zip.OpenReader(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		e, err := pickEntry(zr.File, name, m.Entry)
		if err != nil {
			zr.Close()
			return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		inner := strings.ToLower(e.Name)
		if strings.HasSuffix(inner, ".xlsx") || strings.HasSuffix(inner, ".zip") {
			zr.Close()
			return nil, fmt.Errorf("%s: %s: unzip it first (only CSV is read inside a zip)", filepath.Base(name), e.Name)
		}
		rc, err := e.Open()
		if err != nil {
			zr.Close()
			return nil, fmt.Errorf("%s: %s: %w", filepath.Base(name), e.Name, err)
		}
		var r io.Reader = rc
		closer := multiCloser{rc, zr}
		if strings.HasSuffix(inner, ".gz") {
			gz, err := newGzip(rc)
			if err != nil {
				closer.Close()
				return nil, fmt.Errorf("%s: %s: %w", filepath.Base(name), e.Name, err)
			}
			r, closer = gz, multiCloser{gz, rc, zr}
		}
		src, err := newCSVSource(r, m, closer)
		if err != nil {
			closer.Close()
			return nil, fmt.Errorf("%s: %s: %w", filepath.Base(name), e.Name, err)
		}
		return newReader(filepath.Base(e.Name), src, m)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, filepath.Base(name), m)
	if err != nil {
		f.Close()
		return nil, err
	}
	if cs, ok := r.src.(*csvSource); ok {
		cs.closer = multiCloser{cs.closer, f}
	} else {
		f.Close()
	}
	return r, nil
}

// NewReader reads results from r; name (a file name) picks the format and
// appears in errors: ".gz" is gunzipped, ".xlsx" is read through excelize
// (which holds the whole workbook in memory when reading from an
// io.Reader: prefer Open), anything else is CSV. A .zip needs random
// access: use Open. Closing the Reader does not close r.
func NewReader(r io.Reader, name string, m *Mapping) (*Reader, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	base := filepath.Base(name)
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		return nil, fmt.Errorf("%s: a zip archive must be opened by its path (Open)", base)
	case strings.HasSuffix(lower, ".xlsx") || strings.HasSuffix(lower, ".xlsm"):
		f, err := openXLSX(name, r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", base, err)
		}
		src, err := newXLSXSource(f, m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", base, err)
		}
		return newReader(base, src, m)
	}
	var closer io.Closer
	if strings.HasSuffix(lower, ".gz") {
		gz, err := newGzip(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", base, err)
		}
		r, closer = gz, gz
	}
	src, err := newCSVSource(r, m, closer)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, fmt.Errorf("%s: %w", base, err)
	}
	return newReader(base, src, m)
}

func newReader(file string, src source, m *Mapping) (*Reader, error) {
	r := &Reader{file: file, m: m, src: src, numeric: src.numeric()}
	hdr, err := src.header()
	if err != nil {
		src.close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	r.header = hdr
	r.nfields = len(hdr)
	if err := r.resolve(); err != nil {
		src.close()
		return nil, err
	}
	if len(m.NullValues) > 0 {
		r.nulls = make(map[string]bool, len(m.NullValues))
		for _, v := range m.NullValues {
			r.nulls[strings.TrimSpace(v)] = true
		}
	}
	return r, nil
}

// resolve finds each column the mapping names in the header. Names are
// compared after trimming surrounding white space; a name the header holds
// twice is an error only when the mapping uses it. "#N" (1-based) names the
// Nth column when no header text is "#N".
func (r *Reader) resolve() error {
	index := make(map[string]int, len(r.header))
	for i, h := range r.header {
		h = strings.TrimSpace(h)
		if _, dup := index[h]; dup {
			index[h] = -1
		} else {
			index[h] = i
		}
	}
	find := func(key, col string) (int, error) {
		i, ok := index[strings.TrimSpace(col)]
		if !ok {
			// "#N" names the Nth column, for headers left empty.
			if n, err := strconv.Atoi(strings.TrimPrefix(col, "#")); err == nil && strings.HasPrefix(col, "#") && n >= 1 && n <= len(r.header) {
				return n - 1, nil
			}
			return 0, &HeaderError{File: r.file, Key: key, Column: col, Msg: "not in the header" + r.suggest(col)}
		}
		if i < 0 {
			return 0, &HeaderError{File: r.file, Key: key, Column: col, Msg: "the header has it more than once"}
		}
		return i, nil
	}
	findAll := func(key string, cols []string) ([]int, error) {
		idx := make([]int, len(cols))
		for j, c := range cols {
			i, err := find(key, c)
			if err != nil {
				return nil, err
			}
			idx[j] = i
		}
		return idx, nil
	}
	var err error
	if r.areaCols, err = findAll("areas", r.m.Areas); err != nil {
		return err
	}
	for f, cols := range r.m.Figures {
		if cols == nil {
			continue
		}
		if r.figCols[f], err = findAll("figures."+election.Figure(f).String(), cols); err != nil {
			return err
		}
	}
	r.optCols = make([][]int, len(r.m.Options))
	for j, o := range r.m.Options {
		if r.optCols[j], err = findAll("options."+o.Name, o.Columns); err != nil {
			return err
		}
	}
	for _, a := range r.m.Attributes {
		i, err := find("attributes."+a.Name, a.Columns[0])
		if err != nil {
			return err
		}
		r.attrCols = append(r.attrCols, i)
	}
	if r.m.StationName != "" {
		r.station, _ = parseTemplate(r.m.StationName) // validated
		for j := 1; j < len(r.station); j += 2 {
			i, err := find("station_name_format", r.station[j])
			if err != nil {
				return err
			}
			r.stCols = append(r.stCols, i)
		}
	}
	for _, c := range r.m.SkipRowsWhere {
		i, err := find("skip_rows_where", c.Column)
		if err != nil {
			return err
		}
		r.skipCols = append(r.skipCols, i)
	}
	return nil
}

// suggest names a header column that differs from col only in case or
// inner white space, to make a near miss easy to fix.
func (r *Reader) suggest(col string) string {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	want := norm(col)
	for _, h := range r.header {
		if norm(h) == want {
			return fmt.Sprintf(" (the header has %q)", h)
		}
	}
	return ""
}

// Options returns the option names in ballot order (Row.Votes order).
func (r *Reader) Options() []string {
	names := make([]string, len(r.m.Options))
	for i, o := range r.m.Options {
		names[i] = o.Name
	}
	return names
}

// Header returns the header's column names as read.
func (r *Reader) Header() []string { return r.header }

// File returns the name used in errors: the file's base name, or the
// entry's name inside a zip.
func (r *Reader) File() string { return r.file }

// Skipped returns how many rows were passed over so far because they were
// blank or matched "skip_rows_where".
func (r *Reader) Skipped() int { return r.skipped }

// Close releases the file.
func (r *Reader) Close() error {
	if r.src == nil {
		return nil
	}
	err := r.src.close()
	r.src = nil
	if r.err == nil {
		r.err = errors.New("ingest: reader closed")
	}
	return err
}

// Next returns the next station's row. At the end it returns io.EOF. A
// *RowError concerns that row only and Next may be called again; after any
// other error Next keeps returning it.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	for {
		rec, line, err := r.src.next()
		if err == nil {
			if r.records++; r.records > maxRows {
				err = fmt.Errorf("line %d: more than %d rows: split the file", line, maxRows)
			}
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && isCSVSyntax(pe.Err) {
				return Row{}, &RowError{File: r.file, Line: pe.StartLine, Expected: "well-formed CSV (" + pe.Err.Error() + fmt.Sprintf(" on line %d", pe.Line) + ")"}
			}
			if err != io.EOF {
				err = fmt.Errorf("%s: %w", r.file, err)
			}
			r.err = err
			return Row{}, err
		}
		if blank(rec) {
			r.skipped++
			continue
		}
		if r.skip(rec) {
			r.skipped++
			continue
		}
		return r.row(rec, line)
	}
}

func isCSVSyntax(err error) bool {
	return errors.Is(err, csv.ErrQuote) || errors.Is(err, csv.ErrBareQuote) || errors.Is(err, csv.ErrFieldCount)
}

func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

func (r *Reader) skip(rec []string) bool {
	for j, c := range r.m.SkipRowsWhere {
		i := r.skipCols[j]
		v := ""
		if i < len(rec) {
			v = strings.TrimSpace(rec[i])
		}
		for _, want := range c.Values {
			if v == strings.TrimSpace(want) {
				return true
			}
		}
	}
	return false
}

func (r *Reader) row(rec []string, line int) (Row, error) {
	row := Row{Line: line}
	// A text row must have the header's fields, or its columns may have
	// shifted. A spreadsheet row stops at its last cell, which may be
	// before the header's last or (formatted but empty) after it.
	if len(rec) != r.nfields && !(r.numeric && (len(rec) < r.nfields || blank(rec[r.nfields:]))) {
		return row, &RowError{File: r.file, Line: line,
			Expected: fmt.Sprintf("%d fields as in the header, found %d", r.nfields, len(rec))}
	}
	for i, c := range rec {
		if len(c) > MaxCellBytes {
			col := "#" + strconv.Itoa(i+1)
			if i < len(r.header) && r.header[i] != "" {
				col = r.header[i]
			}
			return row, &RowError{File: r.file, Line: line, Column: col, Value: short(c),
				Expected: fmt.Sprintf("a cell of at most %d KiB (it has %d KiB)", MaxCellBytes>>10, len(c)>>10)}
		}
	}
	cell := func(i int) string {
		if i < len(rec) {
			return rec[i]
		}
		return ""
	}
	tooLong := func(i int, v string) error {
		return &RowError{File: r.file, Line: line, Column: r.header[i], Value: short(v),
			Expected: fmt.Sprintf("a name of at most %d bytes (it has %d)", MaxNameBytes, len(v))}
	}
	row.Path = make([]string, 0, len(r.areaCols)+1)
	for _, i := range r.areaCols {
		v := r.text(cell(i))
		if v == "" || r.nulls[v] {
			if r.m.DropEmptyAreas {
				continue
			}
			return row, &RowError{File: r.file, Line: line, Column: r.header[i], Value: short(cell(i)),
				Expected: `an area name or number (or "empty_areas": "drop" in the mapping)`}
		}
		if !utf8.ValidString(v) {
			return row, &RowError{File: r.file, Line: line, Column: r.header[i], Value: short(v), Expected: `UTF-8 text (set "encoding" in the mapping)`}
		}
		if len(v) > MaxNameBytes {
			return row, tooLong(i, v)
		}
		row.Path = append(row.Path, v)
	}
	if r.station != nil {
		var b strings.Builder
		filled := false
		for j, part := range r.station {
			if j%2 == 0 {
				b.WriteString(part)
				continue
			}
			i := r.stCols[j/2]
			v := r.text(cell(i))
			if r.nulls[v] {
				v = ""
			}
			if !utf8.ValidString(v) {
				return row, &RowError{File: r.file, Line: line, Column: r.header[i], Value: short(v), Expected: `UTF-8 text (set "encoding" in the mapping)`}
			}
			filled = filled || v != ""
			b.WriteString(v)
		}
		if !filled {
			return row, &RowError{File: r.file, Line: line, Column: r.header[r.stCols[0]], Value: short(cell(r.stCols[0])),
				Expected: "a station name or number (station_name_format)"}
		}
		name := strings.TrimSpace(b.String())
		if len(name) > MaxNameBytes {
			return row, tooLong(r.stCols[0], name)
		}
		row.Path = append(row.Path, name)
	}
	if len(row.Path) == 0 {
		return row, &RowError{File: r.file, Line: line, Expected: "at least one area name or number"}
	}
	for f, cols := range r.figCols {
		if cols == nil {
			continue
		}
		n, ok, err := r.sum(rec, cols, line)
		if err != nil {
			return row, err
		}
		if ok {
			row.Figures.Set(election.Figure(f), n)
		}
	}
	row.Votes = make([]int64, len(r.optCols))
	for j, cols := range r.optCols {
		n, ok, err := r.sum(rec, cols, line)
		if err != nil {
			return row, err
		}
		if !ok {
			if row.VotesAbsent == nil {
				row.VotesAbsent = make([]bool, len(r.optCols))
			}
			row.VotesAbsent[j] = true
		}
		row.Votes[j] = n
	}
	if len(r.attrCols) > 0 {
		row.Attrs = make(map[string]string, len(r.attrCols))
		for j, i := range r.attrCols {
			v := r.text(cell(i))
			if r.nulls[v] {
				v = ""
			}
			if !utf8.ValidString(v) {
				return row, &RowError{File: r.file, Line: line, Column: r.header[i], Value: short(v), Expected: `UTF-8 text (set "encoding" in the mapping)`}
			}
			row.Attrs[r.m.Attributes[j].Name] = v
		}
	}
	return row, nil
}

// sum adds the cells of cols. ok is false when every cell is empty (the
// figure is absent); an empty cell among filled ones counts as zero.
func (r *Reader) sum(rec []string, cols []int, line int) (n int64, ok bool, err error) {
	for _, i := range cols {
		s := ""
		if i < len(rec) {
			s = rec[i]
		}
		if r.nulls != nil && r.nulls[strings.TrimSpace(s)] {
			continue
		}
		v, present, valid := parseCount(s, r.numeric)
		if !valid {
			return 0, false, &RowError{File: r.file, Line: line, Column: r.header[i], Value: short(s), Expected: countExpected}
		}
		if !present {
			continue
		}
		if n > election.MaxCount-v {
			return 0, false, &RowError{File: r.file, Line: line, Column: r.header[i], Value: short(s),
				Expected: "columns that sum to at most " + strconv.FormatInt(election.MaxCount, 10) + " (the bound on one protocol's figure)"}
		}
		n += v
		ok = true
	}
	return n, ok, nil
}

// countExpected is what a count cell must hold.
var countExpected = "a whole number from 0 to " + strconv.FormatInt(election.MaxCount, 10)

// parseCount reads a count: decimal digits, optionally surrounded by
// spaces. Spreadsheet numbers may carry a zero fraction ("12.0"). present
// is false for an empty cell; valid is false for anything else that is not
// a whole number from 0 to election.MaxCount (which keeps every tally of
// such cells within int64).
func parseCount(s string, numeric bool) (n int64, present, valid bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, true
	}
	if numeric {
		if dot := strings.IndexByte(s, '.'); dot > 0 && strings.Trim(s[dot+1:], "0") == "" {
			s = s[:dot]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, true, false
		}
		d := int64(c - '0')
		if n > (election.MaxCount-d)/10 {
			return 0, true, false
		}
		n = n*10 + d
	}
	return n, true, true
}

// short truncates a cell's text for an error message.
func short(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// cleanText trims a name and turns line breaks and runs of white space
// inside it into single spaces (names broken over lines by a PDF
// conversion).
func cleanText(s string) string {
	// One pass finds the common case (nothing to do) without allocating.
	clean := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f':
			clean = false
		case c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3:
			// Lead bytes of every non-ASCII space (U+0085, U+00A0,
			// U+1680, U+2000–U+205F, U+3000): let TrimSpace decide.
			clean = false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			clean = false
		}
		if !clean {
			break
		}
	}
	if clean {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// text cleans a name or attribute cell. Spreadsheet cells are read raw (so
// that counts are not subject to number formats), so a number cell written
// with a zero fraction ("459.0") is shown as Excel's General format shows
// it ("459").
func (r *Reader) text(s string) string {
	s = cleanText(s)
	if r.numeric {
		if dot := strings.IndexByte(s, '.'); dot > 0 && strings.Trim(s[dot+1:], "0") == "" && strings.Trim(s[:dot], "0123456789") == "" {
			s = s[:dot]
		}
	}
	return s
}
