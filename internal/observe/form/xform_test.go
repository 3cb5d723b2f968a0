package form

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"slices"
	"strings"
	"testing"
)

// xmlNode is a generic tree for checking documents.
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

func TestXFormStructure(t *testing.T) {
	for _, tmpl := range Templates() {
		f := BindElection(tmpl, testElection())
		doc, err := ExportXForm(f)
		if err != nil {
			t.Fatal(err)
		}
		root := parseXML(t, doc)
		if root.XMLName.Space != nsXHTML || root.XMLName.Local != "html" {
			t.Fatalf("%s: root %v", f.ID, root.XMLName)
		}
		var binds []string
		var instRoot *xmlNode
		langs := map[string]int{}
		refs := map[string]bool{}
		root.walk(func(n *xmlNode) {
			switch n.XMLName.Local {
			case "bind":
				if n.XMLName.Space != nsXForms {
					t.Errorf("bind in namespace %q", n.XMLName.Space)
				}
				binds = append(binds, strings.TrimPrefix(n.attr("nodeset"), "/data/"))
			case "instance":
				instRoot = &n.Nodes[0]
			case "translation":
				langs[n.attr("lang")] = len(n.Nodes)
			case "input", "select1", "select", "upload":
				refs[strings.TrimPrefix(n.attr("ref"), "/data/")] = true
			}
		})
		want := append(FieldPaths(f), "meta/instanceID")
		if !slices.Equal(binds, want) {
			t.Errorf("%s: binds %v\nwant %v", f.ID, binds, want)
		}
		for _, p := range FieldPaths(f) {
			if !refs[p] {
				t.Errorf("%s: no control for %s", f.ID, p)
			}
		}
		if instRoot == nil || instRoot.attr("id") != f.ID || instRoot.attr("version") != f.Version {
			t.Errorf("%s: instance root %+v", f.ID, instRoot)
		}
		if langs["English (en)"] == 0 || langs["English (en)"] != langs["Russian (ru)"] {
			t.Errorf("%s: translations %v", f.ID, langs)
		}
		if !bytes.Contains(doc, []byte("Общая оценка голосования")) && f.ID == "voting" {
			t.Error("Russian labels missing")
		}
		if !bytes.Equal(doc, XForm(f)) {
			t.Errorf("%s: export is not deterministic", f.ID)
		}
	}
}

func TestXFormConstraintsAndRelevance(t *testing.T) {
	f := validateForm()
	f.Questions[1].Constraint = ". != ${lo}"
	doc := string(XForm(f))
	for _, want := range []string{
		`<bind nodeset="/data/n" type="int" constraint=". &gt;= 0 and . &lt;= 10 and (. !=  /data/lo )"/>`,
		`<bind nodeset="/data/rel" type="string" required="true()" relevant=" /data/yn  = 'yes'"/>`,
		`<bind nodeset="/data/note" type="string" readonly="true()"/>`,
		`<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>`,
		`<select ref="/data/many">`,
		`<item><label ref="jr:itext('/data/grade/very_bad:label')"/><value>very_bad</value></item>`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("XForm lacks %s", want)
		}
	}
	f.Questions = append(f.Questions, Question{ID: "meta", Type: Text, Label: Label{EN: "m"}})
	if _, err := ExportXForm(f); err == nil {
		t.Error("question id meta accepted")
	}
}

func TestXFormGroups(t *testing.T) {
	f := &Form{ID: "g", Name: Label{EN: "G"}, Phase: Incident, Version: "1", Questions: []Question{
		{ID: "a", Type: Text, Label: Label{EN: "a"}},
		{ID: "b", Type: Text, Label: Label{EN: "b"}, Group: "outer"},
		{ID: "c", Type: Text, Label: Label{EN: "c"}, Group: "outer/inner"},
		{ID: "d", Type: Text, Label: Label{EN: "d"}, Group: "other"},
	}}
	doc := XForm(f)
	root := parseXML(t, doc)
	var inst *xmlNode
	root.walk(func(n *xmlNode) {
		if n.XMLName.Local == "instance" {
			inst = &n.Nodes[0]
		}
	})
	var paths []string
	var rec func(n *xmlNode, prefix string)
	rec = func(n *xmlNode, prefix string) {
		for i := range n.Nodes {
			c := &n.Nodes[i]
			p := prefix + c.XMLName.Local
			if len(c.Nodes) == 0 {
				paths = append(paths, p)
			} else {
				rec(c, p+"/")
			}
		}
	}
	rec(inst, "")
	want := []string{"a", "outer/b", "outer/inner/c", "other/d", "meta/instanceID"}
	if !slices.Equal(paths, want) {
		t.Errorf("instance paths %v, want %v", paths, want)
	}
	if !bytes.Contains(doc, []byte(`<group ref="/data/outer"><group ref="/data/outer/inner">`)) &&
		!bytes.Contains(doc, []byte("<group ref=\"/data/outer\">\n")) {
		t.Errorf("body groups missing:\n%s", doc)
	}
	// A submission with groups reads back.
	a := Answers{"a": TextValue("1"), "c": TextValue("3"), "d": TextValue("4")}
	s, err := ParseSubmission(f, EncodeInstance(f, "uuid:x", a))
	if err != nil || len(s.Problems) > 0 || len(s.Answers) != 3 || !s.Answers["c"].Equal(TextValue("3")) {
		t.Fatalf("%v %+v", err, s)
	}
}

func TestSubmissionRoundTrip(t *testing.T) {
	f := BindElection(CountingTemplate(), testElection())
	a := Answers{
		StationID: IntValue(117), "arrival_time": TextValue("19:45"), "unused_cancelled": BoolValue(true),
		"ballots_shown": BoolValue(false), OverallID: TextValue(Bad), ProtocolPhotoID: TextValue("1700000000.jpg"),
		ProtocolID: ProtocolValue(map[string]int64{"registered": 1500, "valid": 990, "invalid": 10, "votes_1": 800, "votes_2": 150, "votes_3": 40}),
	}
	doc := EncodeInstance(f, "uuid:6f1c2a0e-0000-4000-8000-000000000001", a)
	s, err := ParseSubmission(f, doc)
	if err != nil {
		t.Fatal(err)
	}
	if s.InstanceID != "uuid:6f1c2a0e-0000-4000-8000-000000000001" || s.Version != f.Version || s.FormID != "counting" {
		t.Errorf("metadata %+v", s)
	}
	if len(s.Problems) > 0 {
		t.Errorf("problems %v", s.Problems)
	}
	if len(s.Answers) != len(a) {
		t.Errorf("answers %v, want %v", s.Answers, a)
	}
	for k, v := range a {
		if !s.Answers[k].Equal(v) {
			t.Errorf("%s: %v, want %v", k, s.Answers[k], v)
		}
	}
}

// collectSubmission is shaped like what ODK Collect posts: the form's
// default namespace, meta without prefix, times with milliseconds and zone.
const collectSubmission = `<?xml version='1.0' ?><data id="voting" version="2026.1" xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" xmlns:odk="http://www.opendatakit.org/xforms">
<station>42</station><arrival_time>10:15:00.000+05:00</arrival_time><voters_so_far>311</voters_so_far>
<boxes_sealed>yes</boxes_sealed><secrecy_ensured>no</secrecy_ensured><identity_checked>yes</identity_checked>
<group_voting>yes</group_voting><ballot_box_stuffing>no</ballot_box_stuffing><multiple_voting/>
<identical_signatures>no</identical_signatures><unauthorised_present>no</unauthorised_present>
<unauthorised_directing>no</unauthorised_directing><observers_restricted>no</observers_restricted>
<overall>bad</overall>
<meta><instanceID>uuid:0b0ad1f5-3f5e-4b5b-9b0e-2a9f6a1c0d11</instanceID><deprecatedID>uuid:aaaa</deprecatedID></meta></data>`

func TestSubmissionFromCollect(t *testing.T) {
	f := VotingTemplate()
	s, err := ParseSubmission(f, []byte(collectSubmission))
	if err != nil {
		t.Fatal(err)
	}
	if s.InstanceID != "uuid:0b0ad1f5-3f5e-4b5b-9b0e-2a9f6a1c0d11" || s.DeprecatedID != "uuid:aaaa" {
		t.Errorf("ids %q %q", s.InstanceID, s.DeprecatedID)
	}
	if errs := Validate(f, s.Answers); len(errs) != 1 || errs[0].Question != "multiple_voting" {
		t.Errorf("validate: %v", errs)
	}
	ind := f.Indicators(s.Answers)
	if !ind[IndBallotSecrecyNotEnsured] || !ind[IndGroupVoting] || ind[IndBallotBoxStuffing] {
		t.Errorf("indicators %v", ind)
	}
	if v, _ := s.Answers["voters_so_far"].Int(); v != 311 {
		t.Errorf("voters_so_far = %v", s.Answers["voters_so_far"])
	}
}

func TestSubmissionProblems(t *testing.T) {
	f := VotingTemplate()
	doc := `<data id="voting" version="1999"><station>4x</station><group_voting>perhaps</group_voting><mystery>1</mystery><meta><instanceID>uuid:1</instanceID></meta></data>`
	s, err := ParseSubmission(f, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != "1999" {
		t.Errorf("version %q", s.Version)
	}
	want := []string{`station: "4x": expected a whole number`, `group_voting: "perhaps": expected yes or no`, `mystery: "1": no such field in form voting version 2026.1`}
	if len(s.Problems) != len(want) {
		t.Fatalf("problems %v", s.Problems)
	}
	for i, w := range want {
		if s.Problems[i].Error() != w {
			t.Errorf("problem %d: %s, want %s", i, s.Problems[i].Error(), w)
		}
	}
	for _, bad := range []string{``, `not xml`, `<data version="1"/>`, `<data id="voting"><a></data>`, `<data id="voting"/><data id="voting"/>`,
		strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40)} {
		if _, err := ParseSubmission(f, []byte(bad)); !errors.Is(err, ErrNotInstance) {
			t.Errorf("%.40q: err %v", bad, err)
		}
	}
	if _, err := ParseSubmission(f, []byte(`<data id="opening"/>`)); err == nil || !strings.Contains(err.Error(), `for form "opening"`) {
		t.Errorf("other form: %v", err)
	}
	// orx-prefixed meta and the attribute fallback.
	inst, err := ParseInstance(strings.NewReader(`<x:data xmlns:x="urn:x" id="voting" instanceID="uuid:attr"><x:station>1</x:station></x:data>`))
	if err != nil || inst.InstanceID != "uuid:attr" || inst.Fields["station"] != "1" {
		t.Errorf("%v %+v", err, inst)
	}
}

func TestFormList(t *testing.T) {
	var entries []ListEntry
	for _, f := range Templates() {
		entries = append(entries, ListEntry{Form: f, DownloadURL: "https://vigil.example/formXml?formId=" + f.ID})
	}
	entries[0].ManifestURL = "https://vigil.example/manifest/opening"
	doc := FormList(entries, "ru")
	type xformEntry struct {
		FormID      string `xml:"formID"`
		Name        string `xml:"name"`
		Version     string `xml:"version"`
		Hash        string `xml:"hash"`
		DownloadURL string `xml:"downloadUrl"`
		ManifestURL string `xml:"manifestUrl"`
	}
	var list struct {
		XMLName xml.Name     `xml:"http://openrosa.org/xforms/xformsList xforms"`
		Forms   []xformEntry `xml:"xform"`
	}
	if err := xml.Unmarshal(doc, &list); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if len(list.Forms) != 5 {
		t.Fatalf("%d forms", len(list.Forms))
	}
	sum := md5.Sum(XForm(OpeningTemplate()))
	got := list.Forms[0]
	if got.FormID != "opening" || got.Name != "Открытие" || got.Version != TemplateVersion ||
		got.Hash != "md5:"+hex.EncodeToString(sum[:]) || got.ManifestURL == "" ||
		got.DownloadURL != "https://vigil.example/formXml?formId=opening" {
		t.Errorf("entry %+v", got)
	}
	if list.Forms[1].ManifestURL != "" {
		t.Error("manifestUrl for a form without media")
	}
	if Hash(XForm(VotingTemplate())) == Hash(XForm(OpeningTemplate())) {
		t.Error("hash does not tell forms apart")
	}
}

func FuzzSubmissionXML(f *testing.F) {
	form := BindElection(CountingTemplate(), testElection())
	f.Add([]byte(collectSubmission))
	f.Add(EncodeInstance(form, "uuid:1", Answers{StationID: IntValue(1), ProtocolID: ProtocolValue(map[string]int64{"valid": 3})}))
	f.Add([]byte(`<data id="counting"><protocol><valid>-1</valid><votes_9>2</votes_9></protocol></data>`))
	f.Add([]byte(`<data id="counting"><station>99999999999999999999</station><overall>very_bad</overall></data>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE data [<!ENTITY x "y">]><data id="counting">&x;</data>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := ParseSubmission(form, doc)
		if err != nil {
			return
		}
		errs := Validate(form, s.Answers)
		for _, e := range errs {
			_ = e.Error()
		}
		// What was read must survive a write and a read.
		again, err := ParseSubmission(form, EncodeInstance(form, s.InstanceID, s.Answers))
		if err != nil {
			t.Fatalf("re-encoded submission does not parse: %v", err)
		}
		for k, v := range s.Answers {
			if !again.Answers[k].Equal(v) {
				t.Fatalf("%s: %v became %v", k, v, again.Answers[k])
			}
		}
	})
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }
