package form

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Limits of a submission document; ODK forms are far smaller.
const (
	maxSubmissionDepth  = 32
	maxSubmissionFields = 10000
)

// Instance is an OpenRosa submission's instance document, parsed but not
// yet read against a form: the form id and version from the root element's
// attributes, the metadata, and every leaf element's text by its path
// below the root ("station", "grp/q", "protocol/valid").
type Instance struct {
	FormID       string
	Version      string
	InstanceID   string // meta/instanceID, e.g. "uuid:…"
	DeprecatedID string // meta/deprecatedID: the instance this one edits
	Fields       map[string]string
	Order        []string // field paths in document order
	// Indexed holds every leaf by its path with each element's position
	// among its same-named siblings ("incident[2]/what[1]"): the instances
	// of a repeat, which Fields (last one wins) cannot tell apart.
	Indexed map[string]string
}

// ErrNotInstance is returned for documents that are not XForm instances.
var ErrNotInstance = errors.New("form: not an XForm instance document")

// ParseInstance reads the XML part of an OpenRosa submission (the
// xml_submission_file of the multipart POST; the multipart itself is the
// server's business). Namespaces are ignored: ODK Collect writes meta in
// the form's namespace, other clients as orx:meta. The instance ID comes
// from meta/instanceID, or failing that from an instanceID attribute on the
// root (as ODK Aggregate accepted).
func ParseInstance(r io.Reader) (*Instance, error) {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	inst := &Instance{Fields: map[string]string{}, Indexed: map[string]string{}}
	var stack []string
	var indexed []string           // stack's elements as name[position]
	counts := []map[string]int{{}} // per open element, its children by name
	var text strings.Builder
	hasChild := []bool{}
	rootSeen := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotInstance, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				if rootSeen {
					return nil, fmt.Errorf("%w: more than one root element", ErrNotInstance)
				}
				rootSeen = true
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "id":
						inst.FormID = a.Value
					case "version":
						inst.Version = a.Value
					case "instanceID":
						inst.InstanceID = a.Value
					}
				}
			} else {
				hasChild[len(hasChild)-1] = true
			}
			if len(stack) >= maxSubmissionDepth {
				return nil, fmt.Errorf("%w: nested deeper than %d elements", ErrNotInstance, maxSubmissionDepth)
			}
			stack = append(stack, t.Name.Local)
			parent := counts[len(counts)-1]
			parent[t.Name.Local]++
			indexed = append(indexed, t.Name.Local+"["+strconv.Itoa(parent[t.Name.Local])+"]")
			counts = append(counts, map[string]int{})
			hasChild = append(hasChild, false)
			text.Reset()
		case xml.CharData:
			if len(stack) > 0 && text.Len() < 1<<20 {
				text.Write(t)
			}
		case xml.EndElement:
			leaf := !hasChild[len(hasChild)-1]
			if leaf && len(stack) > 1 {
				p := strings.Join(stack[1:], "/")
				v := strings.TrimSpace(text.String())
				switch p {
				case "meta/instanceID":
					inst.InstanceID = v
				case "meta/deprecatedID":
					inst.DeprecatedID = v
				default:
					if _, dup := inst.Fields[p]; !dup {
						inst.Order = append(inst.Order, p)
					}
					inst.Fields[p] = v // a repeated element: the last one wins
					inst.Indexed[strings.Join(indexed[1:], "/")] = v
					if len(inst.Fields) > maxSubmissionFields {
						return nil, fmt.Errorf("%w: more than %d fields", ErrNotInstance, maxSubmissionFields)
					}
				}
			}
			stack = stack[:len(stack)-1]
			indexed = indexed[:len(indexed)-1]
			counts = counts[:len(counts)-1]
			hasChild = hasChild[:len(hasChild)-1]
			text.Reset()
		}
	}
	if !rootSeen {
		return nil, fmt.Errorf("%w: no root element", ErrNotInstance)
	}
	if inst.FormID == "" {
		return nil, fmt.Errorf("%w: the root element has no id attribute", ErrNotInstance)
	}
	return inst, nil
}

// Submission is an instance read against its form.
type Submission struct {
	FormID       string
	Version      string
	InstanceID   string
	DeprecatedID string
	Answers      Answers
	// Problems are values that could not be read as their question's type
	// and fields the form does not have. Validate the Answers for the rest.
	Problems []FieldError
}

// ParseSubmission parses an instance document and reads it against f. It
// fails when the document is not an instance or is for another form; a
// different version is accepted (the caller decides) and reported in
// Version. Empty elements are unanswered questions.
func ParseSubmission(f *Form, doc []byte) (*Submission, error) {
	inst, err := ParseInstance(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	if inst.FormID != f.ID {
		return nil, fmt.Errorf("form: submission is for form %q, not %q", inst.FormID, f.ID)
	}
	s := &Submission{FormID: inst.FormID, Version: inst.Version, InstanceID: inst.InstanceID, DeprecatedID: inst.DeprecatedID}
	s.Answers, s.Problems = f.ReadInstance(inst)
	return s, nil
}

// ReadInstance turns an instance's fields into typed answers. Values that
// do not read as their question's type, and fields of no question, are
// returned as problems.
func (f *Form) ReadInstance(inst *Instance) (Answers, []FieldError) {
	a := Answers{}
	var probs []FieldError
	used := map[string]bool{}
	for i := range f.Groups {
		if g := &f.Groups[i]; g.Repeat {
			probs = append(probs, f.readRepeat(inst, g, a, used)...)
		}
	}
	for i := range f.Questions {
		q := &f.Questions[i]
		if f.RepeatOf(q) != "" {
			continue
		}
		base := q.ID
		if q.Group != "" {
			base = q.Group + "/" + q.ID
		}
		if q.Type == Protocol {
			m := map[string]int64{}
			for _, it := range q.Items {
				p := base + "/" + it.ID
				raw, ok := inst.Fields[p]
				used[p] = ok
				if !ok || raw == "" {
					continue
				}
				n, err := strconv.ParseInt(raw, 10, 64)
				if err != nil {
					probs = append(probs, FieldError{Question: q.ID, Item: it.ID, Value: raw, Message: "expected a whole number"})
					continue
				}
				m[it.ID] = n
			}
			if len(m) > 0 {
				a[q.ID] = ProtocolValue(m)
			}
			continue
		}
		raw, ok := inst.Fields[base]
		used[base] = ok
		if !ok || raw == "" || q.Type == Note || q.Helper {
			continue
		}
		v, err := ReadValue(q, raw)
		if err != nil {
			probs = append(probs, FieldError{Question: q.ID, Value: raw, Message: err.Error()})
			continue
		}
		a[q.ID] = v
	}
	for _, p := range inst.Order {
		if !used[p] && inst.Fields[p] != "" && !IsStationHelper(p) {
			probs = append(probs, FieldError{Question: p, Value: inst.Fields[p], Message: fmt.Sprintf("no such field in form %s version %s", f.ID, f.Version)})
		}
	}
	return a, probs
}

// readRepeat reads the instances of a repeat from the instance's indexed
// leaves: "grp[1]/incident[k]/what[1]" is the answer to what in the k-th
// incident. Instances with no answer are left out.
func (f *Form) readRepeat(inst *Instance, g *Group, a Answers, used map[string]bool) []FieldError {
	var probs []FieldError
	segs := strings.Split(g.Path, "/")
	qs := map[string]*Question{} // by path below the repeat
	for _, q := range f.InRepeat(g) {
		rel := strings.TrimPrefix(strings.TrimPrefix(q.Group, g.Path), "/")
		if rel != "" {
			rel += "/"
		}
		qs[rel+q.ID] = q
		used[g.Path+"/"+rel+q.ID] = true
	}
	rows := map[int]Answers{}
	for _, key := range slices.Sorted(maps.Keys(inst.Indexed)) {
		parts := strings.Split(key, "/")
		if len(parts) <= len(segs) {
			continue
		}
		k, ok := 0, true
		for j, seg := range segs {
			name, pos, found := strings.Cut(parts[j], "[")
			n, err := strconv.Atoi(strings.TrimSuffix(pos, "]"))
			if !found || name != seg || err != nil || (j < len(segs)-1 && n != 1) {
				ok = false
				break
			}
			k = n
		}
		if !ok {
			continue
		}
		var rel []string
		for _, p := range parts[len(segs):] {
			name, _, _ := strings.Cut(p, "[")
			rel = append(rel, name)
		}
		q := qs[strings.Join(rel, "/")]
		raw := inst.Indexed[key]
		if q == nil || raw == "" || q.Type == Note {
			continue
		}
		v, err := ReadValue(q, raw)
		if err != nil {
			probs = append(probs, FieldError{Question: fmt.Sprintf("%s[%d]/%s", g.Name(), k, q.ID), Value: raw, Message: err.Error()})
			continue
		}
		if rows[k] == nil {
			rows[k] = Answers{}
		}
		rows[k][q.ID] = v
	}
	if len(rows) > 0 {
		var out []Answers
		for _, k := range slices.Sorted(maps.Keys(rows)) {
			out = append(out, rows[k])
		}
		a[g.Name()] = RepeatValue(out...)
	}
	return probs
}

// ReadValue reads the text of an answer, as XForms write it, into a value
// of the question's type: "yes"/"no" (also true/false, 1/0) for yes/no,
// space-separated choice values for multiple choice, decimal digits for
// numbers. It checks the form of the value, not its range or choices
// (Validate does).
func ReadValue(q *Question, raw string) (Value, error) {
	switch q.Type {
	case YesNo:
		switch strings.ToLower(raw) {
		case YesValue, "true", "1":
			return BoolValue(true), nil
		case NoValue, "false", "0":
			return BoolValue(false), nil
		}
		return Value{}, errors.New("expected yes or no")
	case Integer:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return Value{}, errors.New("expected a whole number")
		}
		return IntValue(n), nil
	case Decimal, Range:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return IntValue(n), nil
		}
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return Value{}, errors.New("expected a number")
		}
		return DecimalValue(x), nil
	case MultipleChoice:
		return ListValue(strings.Fields(raw)...), nil
	case Protocol:
		return Value{}, errors.New("a protocol block has no value of its own")
	}
	return TextValue(raw), nil
}

// FieldPaths lists the instance paths a form's answers occupy, in form
// order (protocol items one by one); useful to servers and tests.
func FieldPaths(f *Form) []string {
	var out []string
	for _, q := range f.Questions {
		base := q.ID
		if q.Group != "" {
			base = q.Group + "/" + q.ID
		}
		if q.Type == Protocol {
			for _, it := range q.Items {
				out = append(out, base+"/"+it.ID)
			}
			continue
		}
		out = append(out, base)
	}
	return slices.Clip(out)
}

// EncodeInstance writes answers as an instance document of f, as ODK
// Collect would submit it (for tests, demonstrations and re-export).
// Answers to unknown questions are left out.
func EncodeInstance(f *Form, instanceID string, a Answers) []byte {
	var w xw
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString("<" + InstanceRoot)
	w.attr("xmlns:orx", nsORX)
	w.attr("id", f.ID)
	w.attr("version", f.Version)
	w.WriteString(">")
	encodeAnswers(&w, f, a, "")
	w.WriteString("<orx:meta><orx:instanceID>")
	w.text(instanceID)
	w.WriteString("</orx:instanceID></orx:meta></" + InstanceRoot + ">\n")
	return []byte(w.String())
}

// encodeAnswers writes the elements of the questions in the group path
// within (all the form's when ""), a repeat once per instance.
func encodeAnswers(w *xw, f *Form, a Answers, within string) {
	var open []string
	base := []string{}
	if within != "" {
		base = strings.Split(within, "/")
	}
	for i := range f.Questions {
		q := &f.Questions[i]
		if within != "" && q.Group != within && !strings.HasPrefix(q.Group, within+"/") {
			continue
		}
		if rp := f.RepeatOf(q); rp != "" && rp != within {
			// The repeat's questions, written with the repeat's first.
			if first := f.InRepeat(f.Group(rp)); first[0] != q {
				continue
			}
		}
		var want []string
		if q.Group != "" {
			want = strings.Split(q.Group, "/")[len(base):]
		}
		if rp := f.RepeatOf(q); rp != "" && rp != within {
			// Open up to the repeat, then write its instances.
			rel := strings.Split(rp, "/")[len(base):]
			want = rel[:len(rel)-1]
		}
		k := 0
		for k < len(open) && k < len(want) && open[k] == want[k] {
			k++
		}
		for j := len(open) - 1; j >= k; j-- {
			w.WriteString("</" + open[j] + ">")
		}
		for _, g := range want[k:] {
			w.WriteString("<" + g + ">")
		}
		open = want
		if rp := f.RepeatOf(q); rp != "" && rp != within {
			g := f.Group(rp)
			rows, _ := a[g.Name()].Repeat()
			for _, row := range rows {
				w.WriteString("<" + g.Name() + ">")
				encodeAnswers(w, f, row, rp)
				w.WriteString("</" + g.Name() + ">")
			}
			continue
		}
		v, ok := a[q.ID]
		if q.Type == Protocol {
			m, _ := v.Protocol()
			w.WriteString("<" + q.ID + ">")
			for _, it := range q.Items {
				w.WriteString("<" + it.ID + ">")
				if n, ok := m[it.ID]; ok {
					w.WriteString(strconv.FormatInt(n, 10))
				}
				w.WriteString("</" + it.ID + ">")
			}
			w.WriteString("</" + q.ID + ">")
			continue
		}
		w.WriteString("<" + q.ID + ">")
		if ok {
			if l, isList := v.List(); isList {
				w.text(strings.Join(l, " "))
			} else {
				w.text(v.String())
			}
		}
		w.WriteString("</" + q.ID + ">")
	}
	for j := len(open) - 1; j >= 0; j-- {
		w.WriteString("</" + open[j] + ">")
	}
}
