package pvt

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// InputError is a bad value in an input file: where it is, what it is and
// what was expected.
type InputError struct {
	File     string
	Line     int    // 1-based line in the file; 0 when not about one line
	Column   string // column name; "" when not about one column
	Value    string
	Expected string
}

// Error formats the error as "file:line: column C: value \"v\": expected …".
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %s", e.Column)
	}
	fmt.Fprintf(&b, ": value %q: expected %s", e.Value, e.Expected)
	return b.String()
}

// Table is a delimited text table read whole: a header and rows of strings.
type Table struct {
	Name   string     // file name, for errors
	Header []string   // column names
	Rows   [][]string // data rows, each as long as Header
	Lines  []int      // 1-based file line of each row
}

// TableOptions controls ReadTable.
type TableOptions struct {
	// Delimiter is the field separator; 0 detects it from the header line
	// among ',', '|', ';' and tab (the most frequent wins, ',' on a tie).
	Delimiter rune
	// SkipLines is the number of lines before the header. -1 detects one
	// leading line that holds a single integer (the record count of INE's
	// REMESAS files) and then checks that count against the rows read.
	SkipLines int
}

// ReadTable reads a CSV-like table from r, gunzipping it when it starts with
// the gzip magic bytes. Quoted fields follow RFC 4180. Every row must have as
// many fields as the header. name is used in errors only.
func ReadTable(r io.Reader, name string, opt TableOptions) (*Table, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &InputError{File: name, Value: "gzip header", Expected: "a valid gzip stream: " + err.Error()}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	line := 0
	readLine := func() (string, error) {
		s, err := br.ReadString('\n')
		if err == io.EOF && s != "" {
			err = nil
		}
		if err != nil {
			return "", err
		}
		line++
		return strings.TrimRight(s, "\r\n"), nil
	}
	declared := -1
	skip := opt.SkipLines
	if skip < 0 {
		skip = 0
		first, _ := br.Peek(64)
		if i := bytes.IndexByte(first, '\n'); i > 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(string(first[:i]))); err == nil && n >= 0 {
				skip, declared = 1, n
			}
		}
	}
	for range skip {
		if _, err := readLine(); err != nil {
			return nil, &InputError{File: name, Line: line + 1, Value: "end of file", Expected: fmt.Sprintf("%d lines to skip before the header", skip)}
		}
	}
	headerLine, err := readLine()
	if err != nil {
		return nil, &InputError{File: name, Line: line + 1, Value: "end of file", Expected: "a header line"}
	}
	delim := opt.Delimiter
	if delim == 0 {
		delim = ','
		best := strings.Count(headerLine, ",")
		for _, d := range []rune{'|', ';', '\t'} {
			if c := strings.Count(headerLine, string(d)); c > best {
				delim, best = d, c
			}
		}
	}
	start := line // lines consumed before the header's own line
	cr := csv.NewReader(io.MultiReader(strings.NewReader(headerLine+"\n"), br))
	cr.Comma = delim
	cr.ReuseRecord = false
	t := &Table{Name: name}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &InputError{File: name, Line: start - 1 + pe.Line, Value: pe.Err.Error(), Expected: fmt.Sprintf("a well-formed %q-separated row as long as the header (%d fields)", delim, len(t.Header))}
			}
			return nil, &InputError{File: name, Value: err.Error(), Expected: "a readable file"}
		}
		ln, _ := cr.FieldPos(0)
		if t.Header == nil {
			t.Header = rec
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			}
			continue
		}
		t.Rows = append(t.Rows, rec)
		t.Lines = append(t.Lines, start-1+ln)
	}
	if t.Header == nil {
		return nil, &InputError{File: name, Line: start, Value: "", Expected: "a header line"}
	}
	if declared >= 0 && declared != len(t.Rows) {
		return nil, &InputError{File: name, Line: 1, Value: strconv.Itoa(declared),
			Expected: fmt.Sprintf("the record count on line 1 to match the %d rows read (truncated file?)", len(t.Rows))}
	}
	return t, nil
}

// Col returns the index of the named column: an exact match, else the only
// case-insensitive match. The error lists the columns there are.
func (t *Table) Col(name string) (int, error) {
	found := -1
	for i, h := range t.Header {
		if h == name {
			return i, nil
		}
		if strings.EqualFold(h, name) {
			if found >= 0 {
				return -1, &InputError{File: t.Name, Line: t.headerLine(), Column: name, Value: name, Expected: "one column of that name, found several differing in case"}
			}
			found = i
		}
	}
	if found < 0 {
		return -1, &InputError{File: t.Name, Line: t.headerLine(), Value: name, Expected: "a column among " + strings.Join(t.Header, ", ")}
	}
	return found, nil
}

func (t *Table) headerLine() int {
	if len(t.Lines) > 0 {
		return t.Lines[0] - 1
	}
	return 0
}

// Strings returns a column's values.
func (t *Table) Strings(col int) []string {
	out := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = strings.TrimSpace(r[col])
	}
	return out
}

// Numbers returns a column's values as non-negative finite numbers; an empty,
// "NA" or malformed cell is an InputError naming the line.
func (t *Table) Numbers(col int) ([]float64, error) {
	out := make([]float64, len(t.Rows))
	for i, r := range t.Rows {
		s := strings.TrimSpace(r[col])
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, &InputError{File: t.Name, Line: t.Lines[i], Column: t.Header[col], Value: s, Expected: "a non-negative number"}
		}
		out[i] = v
	}
	return out, nil
}

// Times returns arrival times from one column (RFC 3339, or
// "2006-01-02 15:04:05" read as UTC) or from six columns year, month, day,
// hour, minute, second (as in INE's REMESAS files).
func (t *Table) Times(cols []int) ([]time.Time, error) {
	out := make([]time.Time, len(t.Rows))
	for i, r := range t.Rows {
		switch len(cols) {
		case 1:
			s := strings.TrimSpace(r[cols[0]])
			var tm time.Time
			var err error
			for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
				if tm, err = time.Parse(layout, s); err == nil {
					break
				}
			}
			if err != nil {
				return nil, &InputError{File: t.Name, Line: t.Lines[i], Column: t.Header[cols[0]], Value: s, Expected: `a time such as "2018-07-01 20:19:47" or RFC 3339`}
			}
			out[i] = tm
		case 6:
			var p [6]int
			for j, c := range cols {
				s := strings.TrimSpace(r[c])
				v, err := strconv.Atoi(s)
				if err != nil {
					return nil, &InputError{File: t.Name, Line: t.Lines[i], Column: t.Header[c], Value: s, Expected: "an integer date or time part"}
				}
				p[j] = v
			}
			out[i] = time.Date(p[0], time.Month(p[1]), p[2], p[3], p[4], p[5], 0, time.UTC)
		default:
			return nil, fmt.Errorf("pvt: arrival time needs 1 column or 6 (year, month, day, hour, minute, second), got %d", len(cols))
		}
	}
	return out, nil
}
