// Package ingest reads disaggregated election results (one row per polling
// station) from CSV, gzip- or zip-compressed CSV and XLSX files, driven by a
// JSON column mapping that says which columns make the station's area path,
// which sum to each protocol figure and which hold the votes of each option.
//
// Reading is streamed: memory stays flat in the size of the file. The
// importer (vigil import) drives a Reader with a loop over Next; a *RowError
// concerns one row and reading may continue after it, any other error is
// fatal. The mapping format is documented in docs/import.md.
package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/election"
)

// Mapping says how the columns of one results file map onto stations,
// figures and options. Build it with ParseMapping or LoadMapping, which
// validate it; a Mapping built by hand is validated again by Open.
type Mapping struct {
	// Areas are the columns whose values make the station's area path, top
	// level first; the last one names the station itself.
	Areas []string
	// Figures holds, for each protocol figure, the columns that sum to it
	// (nil when the file does not have the figure).
	Figures [election.NumFigures][]string
	// Options are the ballot options in ballot order (the order of the
	// "options" object in the JSON file): each is the sum of its columns.
	Options []Column
	// OptionKinds ("option_kinds") says what some options are, by name:
	// "against-all", "yes", "no", "candidate", "party". Options not listed
	// take the election's default (see ElectionOptions).
	OptionKinds map[string]election.OptionKind
	// Attributes are extra columns carried onto the station (a stratum, a
	// flag), in the order of the JSON object.
	Attributes []Column
	// Delimiter separates CSV fields; 0 means detect it from the header line
	// (comma, semicolon, tab or pipe).
	Delimiter rune
	// SkipLines is the number of lines (XLSX: rows) before the header.
	SkipLines int
	// Sheet is the XLSX sheet to read; "" means the first.
	Sheet string
	// Entry is the file to read inside a .zip; "" means the only one (or
	// the one named like the zip without ".zip").
	Entry string
	// Encoding of a CSV file: "" or "utf-8" (a BOM is allowed), or one of
	// the single-byte encodings listed in docs/import.md.
	Encoding string
	// StationName ("station_name_format") builds the station's name, the
	// path's last element, from a template of {column} placeholders, e.g.
	// "{PS CODE} {PS NAME}"; the areas then list only the levels above the
	// station. Write "{{" and "}}" for literal braces.
	StationName string
	// DropEmptyAreas ("empty_areas": "drop") leaves an empty area cell out
	// of the path instead of rejecting the row, for files where some rows
	// are results of a higher level (Russia 2021's electronic-voting
	// pseudo-stations have no uik). A row with no area at all is still an
	// error.
	DropEmptyAreas bool
	// NullValues are cell values read as empty (e.g. "NA" in files written
	// by R).
	NullValues []string
	// SkipRowsWhere skips rows whose cell in a column equals one of the
	// values (e.g. aggregate rows mixed with the stations).
	SkipRowsWhere []Condition
	// Extra keeps keys this package does not interpret ("kind",
	// "station_name_format", …) for the importer, as raw JSON.
	Extra map[string]json.RawMessage
}

// Levels names the positions of Row.Path: the area columns, then
// "station" when station_name_format builds the station's name. With
// "empty_areas": "drop" a row's path may be shorter.
func (m *Mapping) Levels() []string {
	levels := append([]string(nil), m.Areas...)
	if m.StationName != "" {
		levels = append(levels, "station")
	}
	return levels
}

// ElectionOptions returns the options in ballot order as the election
// records them, each of the kind option_kinds gives it or else def.
func (m *Mapping) ElectionOptions(def election.OptionKind) []election.Option {
	opts := make([]election.Option, len(m.Options))
	for i, o := range m.Options {
		kind, ok := m.OptionKinds[o.Name]
		if !ok {
			kind = def
		}
		opts[i] = election.Option{Position: i, Name: o.Name, Kind: kind}
	}
	return opts
}

// Column is a named sum of columns: an option or an attribute.
type Column struct {
	Name    string
	Columns []string
}

// Condition matches rows whose cell in Column is one of Values.
type Condition struct {
	Column string
	Values []string
}

// MappingError is an invalid mapping; Key names the offending key as a path
// ("figures.registered", "options.Putin", "delimiter").
type MappingError struct {
	File string // the mapping's file, when loaded from one
	Key  string
	Msg  string
}

func (e *MappingError) Error() string {
	var b strings.Builder
	b.WriteString("mapping")
	if e.File != "" {
		b.WriteString(" ")
		b.WriteString(e.File)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %q", e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// LoadMapping reads and validates a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := ParseMapping(b)
	if err != nil {
		var me *MappingError
		if errors.As(err, &me) {
			me.File = path
		}
		return nil, err
	}
	return m, nil
}

// maxMappingBytes bounds a mapping document; real ones are a few kilobytes.
const maxMappingBytes = 1 << 20

// ParseMapping decodes and validates a JSON mapping. Errors are
// *MappingError naming the key. The "options" and "attributes" objects are
// read as token streams so that their order is kept.
func ParseMapping(data []byte) (*Mapping, error) {
	if len(data) > maxMappingBytes {
		return nil, &MappingError{Msg: "larger than 1 MiB"}
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	m := &Mapping{}
	seen := map[string]bool{}
	err := readObject(d, "", func(key string) error {
		if seen[key] {
			return &MappingError{Key: key, Msg: "given twice"}
		}
		seen[key] = true
		switch key {
		case "areas":
			cols, err := readColumns(d, key)
			if len(cols) > 0 {
				m.Areas = cols
			}
			return err
		case "figures":
			return readObject(d, key, func(name string) error {
				k := key + "." + name
				fig, ok := election.ParseFigure(name)
				if !ok {
					return &MappingError{Key: k, Msg: "unknown figure (known: " + figureList() + ")"}
				}
				if m.Figures[fig] != nil {
					return &MappingError{Key: k, Msg: "given twice"}
				}
				cols, err := readColumns(d, k)
				m.Figures[fig] = cols
				return err
			})
		case "options", "attributes":
			return readObject(d, key, func(name string) error {
				k := key + "." + name
				cols, err := readColumns(d, k)
				if err != nil {
					return err
				}
				c := Column{Name: name, Columns: cols}
				if key == "options" {
					m.Options = append(m.Options, c)
				} else {
					m.Attributes = append(m.Attributes, c)
				}
				return nil
			})
		case "option_kinds":
			return readObject(d, key, func(name string) error {
				k := key + "." + name
				if _, dup := m.OptionKinds[name]; dup {
					return &MappingError{Key: k, Msg: "given twice"}
				}
				s, err := readString(d, k)
				if err != nil {
					return err
				}
				if m.OptionKinds == nil {
					m.OptionKinds = map[string]election.OptionKind{}
				}
				m.OptionKinds[name] = election.OptionKind(s)
				return nil
			})
		case "delimiter":
			s, err := readString(d, key)
			if err != nil {
				return err
			}
			r, err := parseDelimiter(s)
			if err != nil {
				return &MappingError{Key: key, Msg: err.Error()}
			}
			m.Delimiter = r
			return nil
		case "skip_lines":
			n, err := readInt(d, key)
			m.SkipLines = n
			return err
		case "sheet":
			s, err := readString(d, key)
			m.Sheet = s
			return err
		case "entry":
			s, err := readString(d, key)
			m.Entry = s
			return err
		case "encoding":
			s, err := readString(d, key)
			m.Encoding = s
			return err
		case "station_name_format":
			s, err := readString(d, key)
			m.StationName = s
			return err
		case "empty_areas":
			s, err := readString(d, key)
			if err != nil {
				return err
			}
			switch s {
			case "error":
			case "drop":
				m.DropEmptyAreas = true
			default:
				return &MappingError{Key: key, Msg: `expected "error" (the default) or "drop"`}
			}
			return nil
		case "null_values":
			vals, err := readStrings(d, key)
			m.NullValues = vals
			return err
		case "skip_rows_where":
			return readObject(d, key, func(col string) error {
				vals, err := readStrings(d, key+"."+col)
				m.SkipRowsWhere = append(m.SkipRowsWhere, Condition{Column: col, Values: vals})
				return err
			})
		default:
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return &MappingError{Key: key, Msg: jsonMsg(err)}
			}
			if m.Extra == nil {
				m.Extra = map[string]json.RawMessage{}
			}
			m.Extra[key] = raw
			return nil
		}
	})
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, &MappingError{Msg: "unexpected data after the mapping object"}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Validate checks a mapping: at least one area column and one option, no
// empty or repeated names, a usable delimiter and encoding.
func (m *Mapping) Validate() error {
	if len(m.Areas) == 0 && m.StationName == "" {
		return &MappingError{Key: "areas", Msg: "needs at least one column (the station's name or number)"}
	}
	if m.StationName != "" {
		if _, err := parseTemplate(m.StationName); err != nil {
			return &MappingError{Key: "station_name_format", Msg: err.Error()}
		}
	}
	if err := checkColumns("areas", m.Areas); err != nil {
		return err
	}
	for f, cols := range m.Figures {
		if cols == nil {
			continue
		}
		k := "figures." + election.Figure(f).String()
		if len(cols) == 0 {
			return &MappingError{Key: k, Msg: "needs at least one column"}
		}
		if err := checkColumns(k, cols); err != nil {
			return err
		}
	}
	if len(m.Options) == 0 {
		return &MappingError{Key: "options", Msg: "needs at least one option"}
	}
	for _, group := range []struct {
		key  string
		cols []Column
	}{{"options", m.Options}, {"attributes", m.Attributes}} {
		names := map[string]bool{}
		for _, c := range group.cols {
			k := group.key + "." + c.Name
			if strings.TrimSpace(c.Name) == "" {
				return &MappingError{Key: k, Msg: "empty name"}
			}
			if !utf8.ValidString(c.Name) {
				return &MappingError{Key: k, Msg: "name is not valid UTF-8"}
			}
			if names[c.Name] {
				return &MappingError{Key: k, Msg: "given twice"}
			}
			names[c.Name] = true
			if len(c.Columns) == 0 {
				return &MappingError{Key: k, Msg: "needs a column"}
			}
			if group.key == "attributes" && len(c.Columns) != 1 {
				return &MappingError{Key: k, Msg: "expected one column name"}
			}
			if err := checkColumns(k, c.Columns); err != nil {
				return err
			}
		}
	}
	for name, kind := range m.OptionKinds {
		k := "option_kinds." + name
		if !slices.ContainsFunc(m.Options, func(o Column) bool { return o.Name == name }) {
			return &MappingError{Key: k, Msg: "not one of the options"}
		}
		switch kind {
		case election.Candidate, election.Party, election.AgainstAll, election.Yes, election.No:
		default:
			return &MappingError{Key: k, Msg: `expected "candidate", "party", "against-all", "yes" or "no"`}
		}
	}
	if m.Delimiter != 0 {
		if _, err := parseDelimiter(string(m.Delimiter)); err != nil {
			return &MappingError{Key: "delimiter", Msg: err.Error()}
		}
	}
	if m.SkipLines < 0 || m.SkipLines > maxSkipLines {
		return &MappingError{Key: "skip_lines", Msg: fmt.Sprintf("expected a whole number from 0 to %d", maxSkipLines)}
	}
	if _, err := decoderFor(m.Encoding); err != nil {
		return &MappingError{Key: "encoding", Msg: err.Error()}
	}
	for _, c := range m.SkipRowsWhere {
		if err := checkColumns("skip_rows_where", []string{c.Column}); err != nil {
			return err
		}
	}
	return nil
}

const maxSkipLines = 1000

func checkColumns(key string, cols []string) error {
	seen := map[string]bool{}
	for _, c := range cols {
		if strings.TrimSpace(c) == "" {
			return &MappingError{Key: key, Msg: "empty column name"}
		}
		if !utf8.ValidString(c) {
			return &MappingError{Key: key, Msg: "column name is not valid UTF-8"}
		}
		if seen[c] {
			return &MappingError{Key: key, Msg: fmt.Sprintf("column %q listed twice", c)}
		}
		seen[c] = true
	}
	return nil
}

// parseDelimiter accepts one character that can separate CSV fields, or
// the words "tab", "comma", "semicolon", "pipe".
func parseDelimiter(s string) (rune, error) {
	switch s {
	case "tab", `\t`:
		return '\t', nil
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "pipe":
		return '|', nil
	}
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || n != len(s) || r == utf8.RuneError {
		return 0, errors.New(`expected one character, e.g. ",", ";", "\t" or "|"`)
	}
	if r == '"' || r == '\r' || r == '\n' || r == 0xFEFF || !strconv.IsPrint(r) && r != '\t' {
		return 0, fmt.Errorf("%q cannot separate fields", s)
	}
	return r, nil
}

func figureList() string {
	names := make([]string, election.NumFigures)
	for i := range names {
		names[i] = election.Figure(i).String()
	}
	return strings.Join(names, ", ")
}

// readObject reads a JSON object key by key, leaving each value to fn.
func readObject(d *json.Decoder, key string, fn func(key string) error) error {
	t, err := d.Token()
	if err != nil {
		return &MappingError{Key: key, Msg: jsonMsg(err)}
	}
	if t != json.Delim('{') {
		if key == "" {
			return &MappingError{Msg: "expected a JSON object"}
		}
		return &MappingError{Key: key, Msg: "expected an object"}
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return &MappingError{Key: key, Msg: jsonMsg(err)}
		}
		k, ok := t.(string)
		if !ok { // the decoder guarantees strings as keys; be safe anyway
			return &MappingError{Key: key, Msg: "expected a key"}
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return &MappingError{Key: key, Msg: jsonMsg(err)}
	}
	return nil
}

// readColumns reads a column name or a list of them.
func readColumns(d *json.Decoder, key string) ([]string, error) {
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &MappingError{Key: key, Msg: jsonMsg(err)}
	}
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		cols := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, &MappingError{Key: key, Msg: "expected a column name or a list of column names"}
			}
			cols = append(cols, s)
		}
		return cols, nil
	}
	return nil, &MappingError{Key: key, Msg: "expected a column name or a list of column names"}
}

func readStrings(d *json.Decoder, key string) ([]string, error) {
	cols, err := readColumns(d, key)
	if err != nil {
		var me *MappingError
		if errors.As(err, &me) {
			me.Msg = strings.ReplaceAll(me.Msg, "column names", "strings")
			me.Msg = strings.ReplaceAll(me.Msg, "column name", "string")
		}
	}
	return cols, err
}

func readString(d *json.Decoder, key string) (string, error) {
	var v any
	if err := d.Decode(&v); err != nil {
		return "", &MappingError{Key: key, Msg: jsonMsg(err)}
	}
	s, ok := v.(string)
	if !ok {
		return "", &MappingError{Key: key, Msg: "expected a string"}
	}
	return s, nil
}

func readInt(d *json.Decoder, key string) (int, error) {
	var v any
	if err := d.Decode(&v); err != nil {
		return 0, &MappingError{Key: key, Msg: jsonMsg(err)}
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, &MappingError{Key: key, Msg: "expected a whole number"}
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return 0, &MappingError{Key: key, Msg: "expected a whole number"}
	}
	return i, nil
}

func jsonMsg(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected end of the JSON document"
	}
	return "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// MarshalJSON writes the mapping in the format ParseMapping reads, keeping
// the order of options and attributes.
func (m *Mapping) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	str := func(s string) {
		j, _ := json.Marshal(s)
		b.Write(j)
	}
	list := func(ss []string) {
		j, _ := json.Marshal(ss)
		b.Write(j)
	}
	b.WriteString(`{"figures":{`)
	first := true
	for f, cols := range m.Figures {
		if cols == nil {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		str(election.Figure(f).String())
		b.WriteByte(':')
		list(cols)
	}
	b.WriteByte('}')
	if len(m.Areas) > 0 {
		b.WriteString(`,"areas":`)
		list(m.Areas)
	}
	for _, g := range []struct {
		key  string
		cols []Column
	}{{"options", m.Options}, {"attributes", m.Attributes}} {
		if len(g.cols) == 0 && g.key == "attributes" {
			continue
		}
		b.WriteString(`,"` + g.key + `":{`)
		for i, c := range g.cols {
			if i > 0 {
				b.WriteByte(',')
			}
			str(c.Name)
			b.WriteByte(':')
			if len(c.Columns) == 1 {
				str(c.Columns[0])
			} else {
				list(c.Columns)
			}
		}
		b.WriteByte('}')
	}
	if len(m.OptionKinds) > 0 {
		names := make([]string, 0, len(m.OptionKinds))
		for n := range m.OptionKinds {
			names = append(names, n)
		}
		sort.Strings(names)
		b.WriteString(`,"option_kinds":{`)
		for i, n := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			str(n)
			b.WriteByte(':')
			str(string(m.OptionKinds[n]))
		}
		b.WriteByte('}')
	}
	if m.Delimiter != 0 {
		b.WriteString(`,"delimiter":`)
		str(string(m.Delimiter))
	}
	if m.SkipLines != 0 {
		fmt.Fprintf(&b, `,"skip_lines":%d`, m.SkipLines)
	}
	for _, kv := range [][2]string{{"station_name_format", m.StationName}, {"sheet", m.Sheet}, {"entry", m.Entry}, {"encoding", m.Encoding}} {
		if kv[1] != "" {
			b.WriteString(`,"` + kv[0] + `":`)
			str(kv[1])
		}
	}
	if m.DropEmptyAreas {
		b.WriteString(`,"empty_areas":"drop"`)
	}
	if m.NullValues != nil {
		b.WriteString(`,"null_values":`)
		list(m.NullValues)
	}
	if len(m.SkipRowsWhere) > 0 {
		b.WriteString(`,"skip_rows_where":{`)
		for i, c := range m.SkipRowsWhere {
			if i > 0 {
				b.WriteByte(',')
			}
			str(c.Column)
			b.WriteByte(':')
			list(c.Values)
		}
		b.WriteByte('}')
	}
	keys := make([]string, 0, len(m.Extra))
	for k := range m.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m.Extra[k]
		b.WriteByte(',')
		str(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// template is a parsed station_name_format: literal text and column names,
// alternating (parts[0] literal, parts[1] column, parts[2] literal, …).
type template []string

func parseTemplate(s string) (template, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("not valid UTF-8")
	}
	var t template
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '{' && i+1 < len(s) && s[i+1] == '{', c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexAny(s[i+1:], "{}")
			if end < 0 || s[i+1+end] != '}' {
				return nil, errors.New(`unclosed "{" (write "{{" for a literal brace)`)
			}
			col := s[i+1 : i+1+end]
			if strings.TrimSpace(col) == "" {
				return nil, errors.New("empty column name in {}")
			}
			t = append(t, lit.String(), col)
			lit.Reset()
			i += end + 1
		case c == '}':
			return nil, errors.New(`unmatched "}" (write "}}" for a literal brace)`)
		default:
			lit.WriteByte(c)
		}
	}
	if len(t) == 0 {
		return nil, errors.New("names no {column}")
	}
	return append(t, lit.String()), nil
}
