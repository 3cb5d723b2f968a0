package recommend

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Format is a file format of import and export.
type Format string

// The formats.
const (
	JSON Format = "json"
	CSV  Format = "csv"
)

// FormatOf picks the format from a file name's extension.
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return JSON, nil
	case ".csv":
		return CSV, nil
	}
	return "", fmt.Errorf("%s: want a .json or .csv file", name)
}

// Read parses a dataset in the given format. name is used in error
// messages. Only the file's own syntax and fields are checked here; Check
// resolves references.
func Read(r io.Reader, name string, f Format) (*Dataset, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	switch f {
	case JSON:
		return ReadJSON(b, name)
	case CSV:
		return ReadCSV(b, name)
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// Write writes a dataset in the given format, in its canonical order
// (ds is sorted in place), without database ids.
func Write(w io.Writer, ds *Dataset, f Format) error {
	ds.Sort()
	switch f {
	case JSON:
		return WriteJSON(w, ds)
	case CSV:
		return WriteCSV(w, ds)
	}
	return fmt.Errorf("unknown format %q", f)
}

// portable copies the records without their database ids, which mean
// nothing on another installation.
func portable(ds *Dataset) *Dataset {
	out := &Dataset{Missions: []*Mission{}, Reports: []*Report{}, Recommendations: []*Recommendation{}, Assessments: []*Assessment{}}
	for _, m := range ds.Missions {
		c := *m
		c.ID = 0
		out.Missions = append(out.Missions, &c)
	}
	for _, r := range ds.Reports {
		c := *r
		c.ID, c.MissionID = 0, 0
		out.Reports = append(out.Reports, &c)
	}
	for _, r := range ds.Recommendations {
		c := *r
		c.ID, c.ReportID = 0, 0
		out.Recommendations = append(out.Recommendations, &c)
	}
	for _, a := range ds.Assessments {
		c := *a
		c.ID, c.RecommendationID, c.ReportID = 0, 0, 0
		out.Assessments = append(out.Assessments, &c)
	}
	return out
}

// WriteJSON writes the dataset as indented JSON.
func WriteJSON(w io.Writer, ds *Dataset) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(portable(ds))
}

// ReadJSON parses the JSON form: an object with the arrays missions,
// reports, recommendations and assessments (each optional). Errors give
// the line and column of the record at fault.
func ReadJSON(b []byte, name string) (*Dataset, error) {
	ds := &Dataset{}
	dec := json.NewDecoder(bytes.NewReader(b))
	posErr := func(off int64, field, format string, a ...any) error {
		line, col := lineCol(b, off)
		return &PosError{File: name, Line: line, Col: col, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	wrap := func(base int64, err error) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		var fe *FieldError
		switch {
		case errors.As(err, &fe):
			return posErr(base, fe.Field, "%s", fe.Msg)
		case errors.As(err, &se):
			return posErr(base+se.Offset, "", "%s", se.Error())
		case errors.As(err, &te):
			return posErr(base+te.Offset, te.Field, "want %s, not %s", te.Type, te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return posErr(int64(len(b)), "", "unexpected end of file")
		}
		return posErr(base, "", "%s", err.Error())
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, wrap(0, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, posErr(0, "", "want a JSON object with missions, reports, recommendations and assessments")
	}
	for dec.More() {
		keyOff := skipSpace(b, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, wrap(keyOff, err)
		}
		key, _ := tok.(string)
		var add func(raw []byte, src *Src) error
		switch key {
		case "missions":
			add = func(raw []byte, src *Src) error {
				m := &Mission{Src: src}
				ds.Missions = append(ds.Missions, m)
				return strictUnmarshal(raw, m)
			}
		case "reports":
			add = func(raw []byte, src *Src) error {
				r := &Report{Src: src}
				ds.Reports = append(ds.Reports, r)
				return strictUnmarshal(raw, r)
			}
		case "recommendations":
			add = func(raw []byte, src *Src) error {
				r := &Recommendation{Src: src}
				ds.Recommendations = append(ds.Recommendations, r)
				return strictUnmarshal(raw, r)
			}
		case "assessments":
			add = func(raw []byte, src *Src) error {
				a := &Assessment{Src: src}
				ds.Assessments = append(ds.Assessments, a)
				return strictUnmarshal(raw, a)
			}
		default:
			return nil, posErr(keyOff, "", "unknown member %q (want missions, reports, recommendations, assessments)", key)
		}
		arrOff := skipSpace(b, dec.InputOffset())
		tok, err = dec.Token()
		if err != nil {
			return nil, wrap(arrOff, err)
		}
		if tok == nil {
			continue // "missions": null
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, posErr(arrOff, key, "want an array")
		}
		for dec.More() {
			off := skipSpace(b, dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, wrap(off, err)
			}
			line, col := lineCol(b, off)
			if err := add(raw, &Src{File: name, Line: line, Col: col}); err != nil {
				return nil, wrap(off, err)
			}
		}
		if _, err := dec.Token(); err != nil { // ]
			return nil, wrap(skipSpace(b, dec.InputOffset()), err)
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return nil, wrap(skipSpace(b, dec.InputOffset()), err)
	}
	if off := skipSpace(b, dec.InputOffset()); off < int64(len(b)) {
		return nil, posErr(off, "", "unexpected data after the JSON object")
	}
	for _, m := range ds.Missions {
		m.ID = 0
	}
	for _, r := range ds.Reports {
		r.ID, r.MissionID = 0, 0
	}
	for _, r := range ds.Recommendations {
		r.ID, r.ReportID = 0, 0
	}
	for _, a := range ds.Assessments {
		a.ID, a.RecommendationID, a.ReportID = 0, 0, 0
	}
	return ds, nil
}

func strictUnmarshal(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		if s, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &FieldError{Field: strings.Trim(s, `"`), Msg: "unknown field"}
		}
		return err
	}
	return nil
}

func skipSpace(b []byte, off int64) int64 {
	for off < int64(len(b)) {
		switch b[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// lineCol turns a byte offset into a 1-based line and column (in bytes).
func lineCol(b []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(b)))
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}

// The CSV form is one file: a header, then one row per record, the record
// column saying which (mission, report, recommendation, assessment). A row
// fills only the columns of its record; columns may come in any order.
var csvColumns = []string{
	"record", "key", "country", "type", "name", "organisation", "election", "election_date",
	"mission", "kind", "title", "date",
	"report", "number", "priority", "area", "addressee", "topic", "repeats", "text",
	"recommendation", "status", "reasoning", "evidence", "proposed", "updated",
}

var csvRecordCols = map[string][]string{
	"mission":        {"key", "country", "type", "name", "organisation", "election", "election_date"},
	"report":         {"key", "mission", "kind", "title", "date"},
	"recommendation": {"report", "number", "priority", "area", "addressee", "topic", "repeats", "text"},
	"assessment":     {"recommendation", "report", "status", "reasoning", "evidence", "proposed", "updated"},
}

// WriteCSV writes the CSV form.
func WriteCSV(w io.Writer, ds *Dataset) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	idx := map[string]int{}
	for i, c := range csvColumns {
		idx[c] = i
	}
	row := func(kind string, vals map[string]string) error {
		rec := make([]string, len(csvColumns))
		rec[0] = kind
		for k, v := range vals {
			rec[idx[k]] = v
		}
		return cw.Write(rec)
	}
	for _, m := range ds.Missions {
		if err := row("mission", map[string]string{"key": m.Key, "country": m.Country, "type": string(m.Type), "name": m.Name,
			"organisation": m.Organisation, "election": m.Election, "election_date": m.ElectionDate}); err != nil {
			return err
		}
	}
	for _, r := range ds.Reports {
		if err := row("report", map[string]string{"key": r.Key, "mission": r.MissionKey, "kind": string(r.Kind), "title": r.Title, "date": r.Date}); err != nil {
			return err
		}
	}
	for _, r := range ds.Recommendations {
		pr := "other"
		if r.Priority {
			pr = "priority"
		}
		if err := row("recommendation", map[string]string{"report": r.ReportKey, "number": r.Number, "priority": pr, "area": string(r.Area),
			"addressee": r.Addressee, "topic": string(r.Topic), "repeats": strings.Join(r.Repeats, ";"), "text": r.Text}); err != nil {
			return err
		}
	}
	for _, a := range ds.Assessments {
		prop, upd := "", ""
		if a.Proposed {
			prop = "yes"
		}
		if !a.Updated.IsZero() {
			upd = a.Updated.UTC().Format(time.RFC3339)
		}
		if err := row("assessment", map[string]string{"recommendation": a.Recommendation, "report": a.ReportKey, "status": string(a.Status),
			"reasoning": a.Reasoning, "evidence": a.Evidence, "proposed": prop, "updated": upd}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV parses the CSV form. Errors give the line and column of the
// field at fault.
func ReadCSV(b []byte, name string) (*Dataset, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff")) // a byte-order mark from spreadsheet programs
	cr := csv.NewReader(bytes.NewReader(b))
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &PosError{File: name, Line: pe.Line, Col: pe.Column, Msg: pe.Err.Error()}
		}
		return &PosError{File: name, Msg: err.Error()}
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &PosError{File: name, Line: 1, Msg: "empty file: want a header row"}
	}
	if err != nil {
		return nil, csvErr(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if !slices.Contains(csvColumns, h) {
			return nil, &PosError{File: name, Line: 1, Col: fieldCol(cr, i), Msg: fmt.Sprintf("unknown column %q", h)}
		}
		if _, dup := col[h]; dup {
			return nil, &PosError{File: name, Line: 1, Col: fieldCol(cr, i), Msg: fmt.Sprintf("column %q appears twice", h)}
		}
		col[h] = i
	}
	if _, ok := col["record"]; !ok {
		return nil, &PosError{File: name, Line: 1, Msg: `no "record" column`}
	}
	ds := &Dataset{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		src := &Src{File: name, Line: line, Col: 1, Cols: map[string]int{}}
		for h, i := range col {
			src.Cols[h] = fieldCol(cr, i)
		}
		get := func(h string) string {
			if i, ok := col[h]; ok {
				return rec[i]
			}
			return ""
		}
		kind := strings.TrimSpace(get("record"))
		if kind == "" && allEmpty(rec) {
			continue
		}
		allowed, ok := csvRecordCols[kind]
		if !ok {
			return nil, errAt(src, "record", "unknown record %q (want mission, report, recommendation or assessment)", kind)
		}
		for h := range col {
			if h != "record" && get(h) != "" && !slices.Contains(allowed, h) {
				return nil, errAt(src, h, "a %s has no %s", kind, h)
			}
		}
		switch kind {
		case "mission":
			ds.Missions = append(ds.Missions, &Mission{Key: get("key"), Country: get("country"), Type: MissionType(get("type")),
				Name: get("name"), Organisation: get("organisation"), Election: get("election"), ElectionDate: get("election_date"), Src: src})
		case "report":
			ds.Reports = append(ds.Reports, &Report{Key: get("key"), MissionKey: get("mission"), Kind: ReportKind(get("kind")),
				Title: get("title"), Date: get("date"), Src: src})
		case "recommendation":
			r := &Recommendation{ReportKey: get("report"), Number: get("number"), Area: Area(get("area")), Addressee: get("addressee"),
				Topic: Topic(get("topic")), Text: get("text"), Src: src}
			switch strings.ToLower(strings.TrimSpace(get("priority"))) {
			case "priority":
				r.Priority = true
			case "other", "":
			default:
				return nil, errAt(src, "priority", "%q: want priority or other", get("priority"))
			}
			if s := strings.TrimSpace(get("repeats")); s != "" {
				for p := range strings.SplitSeq(s, ";") {
					r.Repeats = append(r.Repeats, strings.TrimSpace(p))
				}
			}
			ds.Recommendations = append(ds.Recommendations, r)
		case "assessment":
			a := &Assessment{Recommendation: get("recommendation"), ReportKey: get("report"), Status: Status(get("status")),
				Reasoning: get("reasoning"), Evidence: get("evidence"), Src: src}
			switch strings.ToLower(strings.TrimSpace(get("proposed"))) {
			case "yes", "true":
				a.Proposed = true
			case "no", "false", "":
			default:
				return nil, errAt(src, "proposed", "%q: want yes or no", get("proposed"))
			}
			if s := strings.TrimSpace(get("updated")); s != "" {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					return nil, errAt(src, "updated", "%q: want an RFC 3339 time", s)
				}
				a.Updated = t.UTC()
			}
			ds.Assessments = append(ds.Assessments, a)
		}
	}
	return ds, nil
}

func fieldCol(cr *csv.Reader, field int) int {
	_, c := cr.FieldPos(field)
	return c
}

func allEmpty(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
