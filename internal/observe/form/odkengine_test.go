package form

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// odkEngine returns a runner of testdata/odkengine/fill.mjs: ODK's own form
// engine (@getodk/xforms-engine, the engine of ODK Web Forms) under Node.
// VIGIL_XFORMS_ENGINE names the node_modules directory holding it and
// jsdom (.ci/run sets it). Without them the test skips; under CI it fails.
func odkEngine(t *testing.T) func(cases []engineCase) []engineResult {
	t.Helper()
	dir := os.Getenv("VIGIL_XFORMS_ENGINE")
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not installed"
	case dir == "":
		missing = "VIGIL_XFORMS_ENGINE is not set"
	default:
		for _, m := range []string{"@getodk/xforms-engine", "jsdom"} {
			if _, err := os.Stat(filepath.Join(dir, m, "package.json")); err != nil {
				missing = m + " is not installed in " + dir
			}
		}
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("ODK's form engine: %s (.ci/run installs @getodk/xforms-engine and jsdom with npm)", missing)
		}
		t.Skipf("ODK's form engine: %s", missing)
	}
	return func(cases []engineCase) []engineResult {
		t.Helper()
		in, err := json.Marshal(cases)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(node, "testdata/odkengine/fill.mjs", dir)
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("xforms-engine: %v\n%s", err, stderr.Bytes())
		}
		var res []engineResult
		if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
			t.Fatalf("xforms-engine output (%d results for %d forms): %v\n%.500s", len(res), len(cases), err, out)
		}
		return res
	}
}

type engineCase struct {
	Name    string      `json:"name"`
	XForm   string      `json:"xform"`
	Answers [][2]string `json:"answers"` // instance reference, value as the XForm carries it
}

type engineResult struct {
	Name  string `json:"name"`
	XML   string `json:"xml"`
	Error string `json:"error"`
}

// engineAnswers chooses an answer, in the XForm's wire format, for every
// question of f that ODK's engine can be given one directly and whose
// value nothing else decides: not in a repeat, not relevant-conditional,
// not calculated or read-only, not a filtered select (but the station
// cascade, answered region → district → station), not a photo, geopoint,
// note or acknowledgement. It returns the references and values to set,
// and the answers vigil expects the instance to carry (for the cascade,
// the station's number, which the engine calculates).
func engineAnswers(t *testing.T, f *Form) ([][2]string, Answers) {
	t.Helper()
	set := [][2]string{}
	want := Answers{}
	ref := func(q *Question) string {
		if q.Group != "" {
			return "/" + InstanceRoot + "/" + q.Group + "/" + q.ID
		}
		return "/" + InstanceRoot + "/" + q.ID
	}
	groupRelevant := func(q *Question) bool {
		for p := q.Group; p != ""; {
			if g := f.Group(p); g != nil && g.Relevant != "" {
				return true
			}
			i := strings.LastIndex(p, "/")
			if i < 0 {
				break
			}
			p = p[:i]
		}
		return false
	}
	// The station cascade: the last station and its ancestors.
	var helpers []*Question
	for i := range f.Questions {
		if f.Questions[i].Helper {
			helpers = append(helpers, &f.Questions[i])
		}
	}
	if len(helpers) > 0 {
		last := helpers[len(helpers)-1]
		c := last.Choices[len(last.Choices)-1]
		vals := []string{c.Value}
		parent := c.Extra["parent"]
		for k := len(helpers) - 2; k >= 0; k-- {
			vals = append([]string{parent}, vals...)
			i := slices.IndexFunc(helpers[k].Choices, func(d Choice) bool { return d.Value == parent })
			if i < 0 {
				t.Fatalf("%s: cascade: no %s %s", f.ID, helpers[k].ID, parent)
			}
			parent = helpers[k].Choices[i].Extra["parent"]
		}
		for k, h := range helpers {
			set = append(set, [2]string{ref(h), vals[k]})
		}
		n, _ := strconv.ParseInt(c.Value, 10, 64)
		want[StationID] = IntValue(n)
	}
	for i := range f.Questions {
		q := &f.Questions[i]
		if q.Helper || (q.ID == StationID && len(helpers) > 0) || f.RepeatOf(q) != "" || q.Relevant != "" || groupRelevant(q) || q.Calculation != "" || q.ReadOnly || q.ChoiceFilter != "" {
			continue
		}
		raw := ""
		switch q.Type {
		case YesNo:
			raw = YesValue
		case SingleChoice, Assessment:
			if opts := q.Options(); len(opts) > 0 {
				raw = opts[len(opts)-1].Value
			}
		case MultipleChoice:
			var vs []string
			for _, c := range q.Options()[:min(2, len(q.Options()))] {
				vs = append(vs, c.Value)
			}
			raw = strings.Join(vs, " ")
		case Integer:
			n := int64(3)
			if lo, _ := q.Bounds(); lo != nil {
				n = *lo
			}
			raw = strconv.FormatInt(n, 10)
		case Decimal:
			raw = "2.5"
		case Text:
			raw = "vigil"
		case Date:
			raw = "2026-03-01"
		case Time:
			raw = "10:20:00.000+05:00"
		case Protocol:
			m := map[string]int64{}
			for k, it := range q.Items {
				set = append(set, [2]string{ref(q) + "/" + it.ID, strconv.Itoa(100 + k)})
				m[it.ID] = int64(100 + k)
			}
			want[q.ID] = ProtocolValue(m)
			continue
		}
		if raw == "" {
			continue
		}
		v, err := ReadValue(q, raw)
		if err != nil {
			t.Fatalf("%s/%s: %q: %v", f.ID, q.ID, raw, err)
		}
		set = append(set, [2]string{ref(q), raw})
		want[q.ID] = v
	}
	return set, want
}

// engineRefuses lists the corpus workbooks vigil imports (as pyxform
// converts them) that ODK's engine refuses to load, with its message.
// None now: bad_calc.xlsx, whose calculation is English prose ("Expression
// has syntax error" here), is refused by vigil's import, which parses
// every expression (xlsform/pyxform_corpus_test.go).
var engineRefuses = map[string]string{}

// ODKEngineAgrees is TestODKEngineAgrees (odkengine_workbooks_test.go),
// with workbooks reading the corpus workbooks vigil imports, by file name
// (called once the engine is found, so a skip reads nothing): it loads vigil's
// XForms — the five built-in forms bound to an election and its areas
// (with the station cascade), and every workbook's form — in ODK's own
// form engine, answers them, and checks the instance the engine
// serialises: vigil reads it without a problem (every field is one of the
// form's), each answer read back equals the one given, with the same text
// as vigil's own instance document (EncodeInstance) for the same answers,
// and the cascade's choice made the engine calculate the station's
// number. It is exported to the test package form_test, which can import
// form/xlsform to read the workbooks (form's own tests cannot: xlsform
// imports form).
func ODKEngineAgrees(t *testing.T, workbooks func() map[string]*Form) {
	t.Helper()
	run := odkEngine(t)
	forms := map[string]*Form{}
	for _, tmpl := range Templates() {
		forms["builtin "+tmpl.ID] = BindStations(BindElection(tmpl, testElection()), testAreas(), testNumber)
	}
	maps.Copy(forms, workbooks())
	// Forms whose calculations Evaluate must compute as the engine does.
	forms["conditions"] = condForm(t)
	feat, err := FromXLSFormRows(featSurvey, featChoices, featSettings)
	if err != nil {
		t.Fatal(err)
	}
	forms["features"] = feat
	names := slices.Sorted(maps.Keys(forms))
	var cases []engineCase
	wants := map[string]Answers{}
	for _, name := range names {
		f := forms[name]
		set, want := engineAnswers(t, f)
		cases = append(cases, engineCase{Name: name, XForm: string(XForm(f)), Answers: set})
		wants[name] = want
	}
	answered, calcs := 0, 0
	for i, res := range run(cases) {
		name, f, want := names[i], forms[names[i]], wants[names[i]]
		if why, ok := engineRefuses[name]; ok {
			if !strings.Contains(res.Error, why) {
				t.Errorf("%s: the engine should refuse it (%s); error %q", name, why, res.Error)
			}
			continue
		}
		if res.Error != "" {
			t.Errorf("%s: the engine: %s", name, res.Error)
			continue
		}
		inst, err := ParseInstance(strings.NewReader(res.XML))
		if err != nil {
			t.Errorf("%s: the engine's instance does not parse: %v\n%s", name, err, res.XML)
			continue
		}
		if inst.FormID != f.ID || inst.Version != f.Version || !strings.HasPrefix(inst.InstanceID, "uuid:") {
			t.Errorf("%s: instance of %q version %q id %q", name, inst.FormID, inst.Version, inst.InstanceID)
		}
		got, probs := f.ReadInstance(inst)
		for _, p := range probs {
			if !strings.HasPrefix(p.Question, "meta/") {
				t.Errorf("%s: vigil reads the engine's instance: %s: %s", name, p.Question, p.Message)
			}
		}
		ours, err := ParseInstance(bytes.NewReader(EncodeInstance(f, "uuid:x", want)))
		if err != nil {
			t.Fatal(err)
		}
		for id, v := range want {
			if !got[id].Equal(v) {
				t.Errorf("%s: %s: the engine's instance carries %v, want %v", name, id, got[id], v)
			}
		}
		for p, raw := range ours.Fields {
			if raw != "" && !strings.HasPrefix(p, "meta/") && inst.Fields[p] != raw {
				t.Errorf("%s: field %s: engine %q, vigil %q", name, p, inst.Fields[p], raw)
			}
		}
		answered += len(want)
		// The server's evaluator (Evaluate) on the same answers: it
		// clears nothing the engine kept, and each calculation it
		// recomputes has the engine's value.
		ev, _ := Evaluate(f, got, time.Now())
		for id := range got {
			if _, kept := ev[id]; !kept {
				t.Errorf("%s: Evaluate cleared %s, which the engine kept", name, id)
			}
		}
		for i := range f.Questions {
			q := &f.Questions[i]
			if q.Type != Calculate || f.RepeatOf(q) != "" {
				continue
			}
			if e, err := ParseExpr(q.Calculation); err != nil || e.Volatile() {
				continue
			}
			field := q.ID
			if q.Group != "" {
				field = q.Group + "/" + q.ID
			}
			engine := inst.Fields[field]
			mine, _ := ev[q.ID].Text()
			if engine != mine {
				t.Errorf("%s: calculate %s = %s: engine %q, Evaluate %q", name, q.ID, q.Calculation, engine, mine)
			}
			calcs++
		}
	}
	t.Logf("%d forms, %d answers compared, %d calculations", len(cases), answered, calcs)
	if answered < 5*len(Templates()) {
		t.Errorf("only %d answers compared", answered)
	}
}
