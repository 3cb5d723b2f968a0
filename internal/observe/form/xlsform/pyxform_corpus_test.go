package xlsform

import (
	"bytes"
	"encoding/xml"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/formtest"
)

// pyxformCorpus imports every workbook of pyxform's own test corpus
// (testdata/pyxform, from github.com/XLSForm/pyxform tests/example_xls at
// v4.5.0, BSD-2-Clause, its LICENSE beside them) and returns the forms
// vigil takes and the problems of those it refuses, by file name.
func pyxformCorpus(t *testing.T) (map[string]*form.Form, map[string]error) {
	t.Helper()
	files, err := filepath.Glob("testdata/pyxform/*.xlsx")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	ok, refused := map[string]*form.Form{}, map[string]error{}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		f, err := ImportFile(bytes.NewReader(raw), name)
		if err != nil {
			refused[name] = err
			continue
		}
		ok[name] = f
	}
	return ok, refused
}

// The corpus workbooks vigil refuses, and why (docs/forms.md's table):
// each message must be among the problems reported.
var corpusRefused = map[string][]string{
	// The XLSForm specification's own test form: every type and column.
	"xlsform_spec_test.xlsx": {
		`column "public_key": encrypted forms are not supported`,
		`column "submission_url": submission_url is not supported`,
		`column "audio": audio media are not supported`,
		`type "datetime": dateTime is not supported`,
		`type "barcode": barcodes are not supported`,
		`type "audio": audio is not supported`,
		`type "video": video is not supported`,
		`${start} refers to metadata`,
	},
	"include.xlsx": {`type "include": include is not supported`},
	// Its entities sheet declares an entity list (save_to).
	"case_insensitivity.xlsx": {`entities are not supported`},
	"include_json.xlsx":       {`type "include": include is not supported`},
	"loop.xlsx":               {`loops over a choice list are not supported`},
	// Its calculation is English prose: pyxform passes it through, ODK's
	// engine refuses the XForm ("Expression has syntax error"), and so
	// does vigil's import, with the cell.
	"bad_calc.xlsx": {`sheet survey, row 2, column "calculation": calculation "because pyxform doesn't know what to do" is not an expression ODK can evaluate`},
	// A workbook whose only sheet is "Sheet1".
	"survey_no_name.xlsx": {`the workbook has no survey sheet`},
}

func TestPyxformCorpusImports(t *testing.T) {
	ok, refused := pyxformCorpus(t)
	// attribute_columns_test and flat_xlsform_test are copies of the spec
	// test form with other settings: refused for the same reasons.
	corpusRefused["attribute_columns_test.xlsx"] = corpusRefused["xlsform_spec_test.xlsx"]
	corpusRefused["flat_xlsform_test.xlsx"] = corpusRefused["xlsform_spec_test.xlsx"]
	for name, f := range ok {
		if _, want := corpusRefused[name]; want {
			t.Errorf("%s imported; want it refused", name)
		}
		if f.Version == "" {
			t.Errorf("%s: no version", name)
		}
		if _, err := form.ExportXForm(f); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, err := range refused {
		wants, known := corpusRefused[name]
		if !known {
			t.Errorf("%s refused:\n%v", name, err)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q not among\n%v", name, w, err)
			}
		}
	}
	if len(ok) < 10 {
		t.Errorf("%d corpus forms imported", len(ok))
	}
}

// pyxform finds pyxform: VIGIL_PYXFORM is a directory holding its source
// (the pyxform package) and VIGIL_PYTHON the Python with its
// dependencies (openpyxl, xlrd, defusedxml, lark; Debian packages them).
// The test skips without it, and fails under CI=true.
func pyxform(t *testing.T) func(xlsx string) []byte {
	t.Helper()
	dir, py := os.Getenv("VIGIL_PYXFORM"), os.Getenv("VIGIL_PYTHON")
	if py == "" {
		py = "python3"
	}
	cmd := exec.Command(py, "-c", "import pyxform")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pyxform not available (VIGIL_PYXFORM=%q, VIGIL_PYTHON=%q): %v\n%s", dir, py, err, out)
		}
		t.Skipf("pyxform not available (set VIGIL_PYXFORM and VIGIL_PYTHON): %v", err)
	}
	return func(xlsx string) []byte {
		t.Helper()
		out := filepath.Join(t.TempDir(), "form.xml")
		cmd := exec.Command(py, "-m", "pyxform.xls2xform", "--skip_validate", xlsx, out)
		cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pyxform %s: %v\n%s", xlsx, err, msg)
		}
		doc, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
}

// xmlNode is a generic tree for reading an XForm.
type xmlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xmlNode  `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *xmlNode) attr(local string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (n *xmlNode) walk(fn func(*xmlNode)) {
	fn(n)
	for i := range n.Nodes {
		n.Nodes[i].walk(fn)
	}
}

func parseXML(t *testing.T, b []byte) *xmlNode {
	t.Helper()
	var n xmlNode
	if err := xml.Unmarshal(b, &n); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, b)
	}
	return &n
}

// xformShape is what an XForm means for the data it collects: the
// primary instance's elements (path, "*" marking a repeat's template,
// default text) and each bind's type and which of required, relevant,
// constraint, calculate and readonly it has.
type xformShape struct {
	Instance []string
	Binds    map[string]string
	Langs    []string
}

func shapeOf(t *testing.T, doc []byte) xformShape {
	t.Helper()
	root := parseXML(t, doc)
	s := xformShape{Binds: map[string]string{}}
	var model *xmlNode
	root.walk(func(n *xmlNode) {
		if n.XMLName.Local == "model" && model == nil {
			model = n
		}
	})
	if model == nil {
		t.Fatalf("no model:\n%s", doc)
	}
	for i := range model.Nodes {
		n := &model.Nodes[i]
		switch n.XMLName.Local {
		case "instance":
			if n.attr("id") != "" || len(n.Nodes) == 0 {
				continue
			}
			var walk func(n *xmlNode, path string)
			walk = func(n *xmlNode, path string) {
				p := path + "/" + n.XMLName.Local
				if strings.HasPrefix(p, "/"+form.InstanceRoot+"/meta") {
					return
				}
				mark := ""
				for _, a := range n.Attrs {
					if a.Name.Local == "template" {
						mark = "*"
					}
				}
				if len(n.Nodes) == 0 {
					mark += "=" + strings.TrimSpace(n.Text)
				}
				if path != "" {
					s.Instance = append(s.Instance, p+mark)
				}
				for j := range n.Nodes {
					walk(&n.Nodes[j], p)
				}
			}
			walk(&n.Nodes[0], "")
		case "bind":
			ns := n.attr("nodeset")
			if strings.HasPrefix(ns, "/"+form.InstanceRoot+"/meta/") {
				continue
			}
			d := "type=" + n.attr("type")
			if d == "type=" {
				d = "type=string" // a group's bind, or pyxform leaving the default
			}
			for _, a := range []string{"required", "relevant", "constraint", "calculate", "readonly"} {
				if v := n.attr(a); v != "" && v != "false()" {
					d += " " + a
				}
			}
			s.Binds[ns] = d
		case "itext":
			for _, tr := range n.Nodes {
				s.Langs = append(s.Langs, tr.attr("lang"))
			}
		}
	}
	return s
}

// compareWithPyxform converts a workbook with pyxform and compares its
// XForm's shape with vigil's XForm of the form vigil imported from it.
func compareWithPyxform(t *testing.T, run func(string) []byte, name, xlsx string, f *form.Form) {
	t.Helper()
	theirs := shapeOf(t, run(xlsx))
	ours := shapeOf(t, form.XForm(f))
	if !slices.Equal(theirs.Instance, ours.Instance) {
		t.Errorf("%s: primary instance differs:\npyxform %q\nvigil   %q", name, theirs.Instance, ours.Instance)
	}
	for ns, d := range theirs.Binds {
		if o, ok := ours.Binds[ns]; !ok || o != d {
			t.Errorf("%s: bind %s: pyxform %q, vigil %q", name, ns, d, o)
		}
	}
	for ns, d := range ours.Binds {
		if _, ok := theirs.Binds[ns]; !ok && d != "type=string" {
			t.Errorf("%s: bind %s (%s) that pyxform does not write", name, ns, d)
		}
	}
	if len(theirs.Langs) > 0 && !slices.Equal(theirs.Langs, ours.Langs) {
		t.Errorf("%s: languages: pyxform %q, vigil %q", name, theirs.Langs, ours.Langs)
	}
}

// TestPyxformAgrees: for the corpus workbooks vigil imports, for the
// checklist of the feature test and for vigil's templates exported as
// XLSForm, pyxform's XForm and vigil's have the same primary instance and
// binds; and pyxform reads every workbook vigil exports (the round trip
// of issue 13).
func TestPyxformAgrees(t *testing.T) {
	run := pyxform(t)
	ok, _ := pyxformCorpus(t)
	for _, name := range slices.Sorted(maps.Keys(ok)) {
		compareWithPyxform(t, run, name, filepath.Join("testdata/pyxform", name), ok[name])
	}
	feat, err := form.FromXLSFormRows(formtest.FeatSurvey(), formtest.FeatChoices(), formtest.FeatSettings())
	if err != nil {
		t.Fatal(err)
	}
	forms := []*form.Form{feat}
	for _, tmpl := range form.Templates() {
		forms = append(forms, form.BindElection(tmpl, formtest.Election()))
		if tmpl.Phase != form.Tabulation {
			// With the cascading station selection (issue 13).
			g := form.BindStations(form.BindElection(tmpl, formtest.Election()), formtest.Areas(), formtest.StationNumber)
			g.ID += "_cascade"
			forms = append(forms, g)
		}
	}
	for _, f := range forms {
		b, err := Export(f)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), f.ID+".xlsx")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		compareWithPyxform(t, run, f.ID+" (exported)", path, f)
	}
}
