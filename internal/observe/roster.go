package observe

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-elections/vigil/internal/store"
)

// RosterColumns are the columns of a roster file, in any order; the header
// names them (case and surrounding spaces ignored).
var RosterColumns = []string{"id", "name", "phone", "organisation", "team", "area"}

// RosterError is one problem of a roster file, where it is.
type RosterError struct {
	File   string
	Line   int // 1-based
	Column int // 1-based character column; 0 when the whole line is at fault
	Field  string
	Msg    string
}

func (e *RosterError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Column, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// RosterErrors are all the problems found, in file order.
type RosterErrors []*RosterError

func (es RosterErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// MaxRosterErrors bounds the problems reported for one file.
const MaxRosterErrors = 50

// NormalisePhone keeps the + and the digits of a phone number. It checks
// nothing: read numbers with E164.
func NormalisePhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '+' && b.Len() == 0 || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParseRoster reads a roster CSV (UTF-8, comma or semicolon separated, with
// a header) for organisation org. Every row needs an id (unique in the
// file) and a name; a phone, when given, must be an international number
// (+ and 7 to 15 digits, spaces and dashes ignored) not used twice; the
// organisation column, when given, must name org; the area is a path of
// names separated by "/". It returns every problem found (RosterErrors),
// up to MaxRosterErrors, and no rows when there is any.
func ParseRoster(r io.Reader, file, org string) ([]store.Observer, error) {
	return ParseRosterIn(r, file, org, "")
}

// ParseRosterIn is ParseRoster for an organisation in a country (ISO
// 3166-1 alpha-2; "" for none): phone numbers written nationally are read
// as that country's and stored in E.164. Each observer's Line is set.
func ParseRosterIn(r io.Reader, file, org, country string) ([]store.Observer, error) {
	br := newSniffer(r)
	cr := csv.NewReader(br)
	cr.Comma = br.sep
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var errs RosterErrors
	fail := func(line, col int, field, format string, a ...any) {
		if len(errs) < MaxRosterErrors {
			errs = append(errs, &RosterError{File: file, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, a...)})
		}
	}
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, RosterErrors{{File: file, Line: 1, Msg: "empty file: want a header with " + strings.Join(RosterColumns, ", ")}}
		}
		return nil, RosterErrors{csvError(file, err)}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if h == "organization" {
			h = "organisation"
		}
		if _, dup := col[h]; dup {
			l, c := cr.FieldPos(i)
			fail(l, c, h, "column named twice")
		}
		col[h] = i
	}
	for _, need := range []string{"id", "name"} {
		if _, ok := col[need]; !ok {
			fail(1, 0, need, "")
			errs[len(errs)-1].Msg = fmt.Sprintf("the header has no %q column (it has: %s)", need, strings.Join(header, ", "))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var out []store.Observer
	ids := map[string]int{}
	phones := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, csvError(file, err))
			break
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) (string, int) {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return "", 0
			}
			_, c := cr.FieldPos(i)
			return strings.TrimSpace(rec[i]), c
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > len(header) {
			_, c := cr.FieldPos(len(header))
			fail(line, c, "", "%d fields, the header has %d", len(rec), len(header))
			continue
		}
		o := store.Observer{Line: line}
		var c int
		o.Code, c = get("id")
		switch {
		case o.Code == "":
			fail(line, c, "id", "empty: every observer needs an id")
		case ids[o.Code] != 0:
			fail(line, c, "id", "%q already used on line %d", o.Code, ids[o.Code])
		default:
			ids[o.Code] = line
		}
		if o.Name, c = get("name"); o.Name == "" {
			fail(line, c, "name", "empty")
		}
		raw, c := get("phone")
		if raw != "" {
			var err error
			o.Phone, err = E164(raw, country)
			switch {
			case err != nil:
				fail(line, c, "phone", "%s", strings.TrimPrefix(err.Error(), ErrNotE164.Error()+": "))
			case phones[o.Phone] != 0:
				fail(line, c, "phone", "%s already used on line %d (SMS reports are matched by phone)", o.Phone, phones[o.Phone])
			default:
				phones[o.Phone] = line
			}
		}
		if got, c := get("organisation"); got != "" && org != "" && !strings.EqualFold(got, org) {
			fail(line, c, "organisation", "%q, but the roster is imported into %q", got, org)
		}
		o.Team, _ = get("team")
		if a, _ := get("area"); a != "" {
			for _, part := range strings.Split(a, "/") {
				if p := strings.TrimSpace(part); p != "" {
					o.Area = append(o.Area, p)
				}
			}
		}
		out = append(out, o)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		return nil, RosterErrors{{File: file, Line: 2, Msg: "no observers after the header"}}
	}
	return out, nil
}

func csvError(file string, err error) *RosterError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RosterError{File: file, Line: pe.Line, Column: pe.Column, Field: "csv", Msg: pe.Err.Error()}
	}
	return &RosterError{File: file, Line: 0, Msg: err.Error()}
}

// sniffer reads the first line to choose the separator (comma or
// semicolon, as spreadsheets in many locales write CSV).
type sniffer struct {
	io.Reader
	sep rune
}

func newSniffer(r io.Reader) *sniffer {
	buf := make([]byte, 4096)
	n, err := io.ReadFull(r, buf)
	buf = buf[:n]
	first := buf
	if i := strings.IndexByte(string(buf), '\n'); i >= 0 {
		first = buf[:i]
	}
	sep := ','
	if strings.Count(string(first), ";") > strings.Count(string(first), ",") {
		sep = ';'
	}
	rest := r
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		// A read that failed is the reader's error, not a short file.
		rest = failedReader{err}
	}
	return &sniffer{Reader: io.MultiReader(strings.NewReader(string(buf)), rest), sep: sep}
}

type failedReader struct{ err error }

func (f failedReader) Read([]byte) (int, error) { return 0, f.err }
