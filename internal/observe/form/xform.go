package form

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The namespaces of an ODK XForm (ODK XForms specification).
const (
	nsXForms = "http://www.w3.org/2002/xforms"
	nsXHTML  = "http://www.w3.org/1999/xhtml"
	nsJR     = "http://openrosa.org/javarosa"
	nsODK    = "http://www.opendatakit.org/xforms"
	nsORX    = "http://openrosa.org/xforms"
	nsXSD    = "http://www.w3.org/2001/XMLSchema"
)

// InstanceRoot is the name of the instance's root element in the XForms
// vigil writes; submissions are accepted whatever their root is called.
const InstanceRoot = "data"

// xw writes XML text with escaping; errors are impossible on a Builder.
type xw struct{ strings.Builder }

// Escaping: only what XML requires, so that XPath in attributes stays
// readable (jr:itext('…') rather than jr:itext(&#39;…&#39;)).
var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
		"\n", "&#xA;", "\r", "&#xD;", "\t", "&#x9;")
)

func (w *xw) text(s string) { w.WriteString(textEscaper.Replace(validXML(s))) }

func (w *xw) attr(name, value string) {
	w.WriteString(" " + name + `="`)
	w.WriteString(attrEscaper.Replace(validXML(value)))
	w.WriteString(`"`)
}

// validXML drops characters XML 1.0 cannot carry (control characters,
// invalid UTF-8), so that any form text makes a well-formed document.
func validXML(s string) string {
	ok := true
	for _, r := range s {
		if !isXMLChar(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isXMLChar(r) {
			return r
		}
		return -1
	}, s)
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF && r != utf8.RuneError ||
		r >= 0xE000 && r <= 0xFFFD && r != utf8.RuneError ||
		r >= 0x10000 && r <= 0x10FFFF
}

// qpath returns the instance path of a question, e.g. /data/grp/q.
func qpath(q *Question) string {
	if q.Group != "" {
		return "/" + InstanceRoot + "/" + q.Group + "/" + q.ID
	}
	return "/" + InstanceRoot + "/" + q.ID
}

var refRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}`)

// refPath resolves a ${name} reference: a question's path, or a group's.
func refPath(f *Form, name string) (string, bool) {
	if q := f.Question(name); q != nil {
		return qpath(q), true
	}
	for _, q := range f.Questions {
		parts := strings.Split(q.Group, "/")
		if i := slices.Index(parts, name); q.Group != "" && i >= 0 {
			return "/" + InstanceRoot + "/" + strings.Join(parts[:i+1], "/"), true
		}
	}
	return "", false
}

// xpath turns XLSForm ${name} references into absolute instance paths
// (inside a repeat, ODK clients resolve them in the current repeat
// instance).
func xpath(f *Form, expr string) string {
	return refRE.ReplaceAllStringFunc(expr, func(m string) string {
		if p, ok := refPath(f, m[2:len(m)-1]); ok {
			return " " + p + " "
		}
		return m
	})
}

func bindType(q *Question) string {
	switch q.Type {
	case Integer:
		return "int"
	case Decimal:
		return "decimal"
	case Time:
		return "time"
	case Date:
		return "date"
	case Photo:
		return "binary"
	case Geopoint:
		return "geopoint"
	case Range:
		if start, end, step, err := q.RangeParams(); err == nil && start == math.Trunc(start) && end == math.Trunc(end) && step == math.Trunc(step) {
			return "int"
		}
		return "decimal"
	}
	return "string"
}

// groupsOf splits a question's group path.
func groupsOf(q *Question) []string {
	if q.Group == "" {
		return nil
	}
	return strings.Split(q.Group, "/")
}

// walkGroups calls open and close as the questions' group paths enter and
// leave groups, and each for every question, in form order.
func walkGroups(f *Form, open, close func(path string), each func(q *Question)) {
	var cur []string
	for i := range f.Questions {
		q := &f.Questions[i]
		want := groupsOf(q)
		k := 0
		for k < len(cur) && k < len(want) && cur[k] == want[k] {
			k++
		}
		for j := len(cur) - 1; j >= k; j-- {
			close(strings.Join(cur[:j+1], "/"))
		}
		for j := k; j < len(want); j++ {
			open(strings.Join(want[:j+1], "/"))
		}
		cur = want
		each(q)
	}
	for j := len(cur) - 1; j >= 0; j-- {
		close(strings.Join(cur[:j+1], "/"))
	}
}

// usesFilteredList reports whether a select's choices come from a
// secondary instance (an itemset), as a choice filter needs.
func usesFilteredList(q *Question) bool {
	return q.ChoiceFilter != "" && (q.Type == SingleChoice || q.Type == MultipleChoice)
}

// listInstance names the secondary instance of a filtered select's choices.
func listInstance(q *Question) string {
	if q.List != "" {
		return q.List
	}
	return q.ID
}

// isDynamic reports whether a default is an expression (set when the form
// is first opened) rather than a value.
func isDynamic(def string) bool { return strings.ContainsAny(def, "${(") }

// XForm writes the form as an ODK XForm, the document ODK Collect and
// Enketo download (OpenRosa form download), with the structure pyxform
// gives the same XLSForm: the primary instance (groups, repeats with their
// jr:template, calculated and or_other nodes, meta), binds (type,
// required, relevant, constraint, calculate, readonly, with the messages),
// labels, hints, guidance and images as itext in every language of the
// form, ${} references in texts as <output>, and choice lists filtered by
// choice_filter as secondary instances. The output is deterministic, so
// that its MD5 (Hash) changes only when the form does.
func XForm(f *Form) []byte {
	var w xw
	langs := f.LangNames()
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString(`<h:html xmlns="` + nsXForms + `" xmlns:h="` + nsXHTML + `" xmlns:jr="` + nsJR +
		`" xmlns:odk="` + nsODK + `" xmlns:orx="` + nsORX + `" xmlns:xsd="` + nsXSD + `">` + "\n")
	w.WriteString("<h:head>\n<h:title>")
	w.text(f.Name.In(langs[0]))
	w.WriteString("</h:title>\n")
	w.WriteString(`<model odk:xforms-version="1.0.0">` + "\n")

	// itext: every text in every language.
	w.WriteString("<itext>\n")
	for i, lang := range langs {
		w.WriteString("<translation")
		w.attr("lang", lang)
		if i == 0 {
			w.attr("default", "true()")
		}
		w.WriteString(">\n")
		for _, g := range f.Groups {
			if !g.Label.IsZero() {
				itext(&w, f, "/"+InstanceRoot+"/"+g.Path+":label", lang, g.Label, Label{})
			}
		}
		lists := map[string]bool{}
		for j := range f.Questions {
			q := &f.Questions[j]
			p := qpath(q)
			if q.Type != Calculate {
				itext(&w, f, p+":label", lang, q.Label, q.Image)
			}
			if !q.Hint.IsZero() || !q.Guidance.IsZero() {
				itextHint(&w, f, p+":hint", lang, q.Hint, q.Guidance)
			}
			if !q.ConstraintMsg.IsZero() {
				itext(&w, f, p+":constraintMsg", lang, q.ConstraintMsg, Label{})
			}
			if !q.RequiredMsg.IsZero() {
				itext(&w, f, p+":requiredMsg", lang, q.RequiredMsg, Label{})
			}
			if usesFilteredList(q) {
				if l := listInstance(q); !lists[l] {
					lists[l] = true
					for k, c := range q.Choices {
						itext(&w, f, l+"-"+strconv.Itoa(k), lang, c.Label, c.Image)
					}
				}
			} else {
				for _, c := range q.Options() {
					itext(&w, f, p+"/"+c.Value+":label", lang, c.Label, c.Image)
				}
			}
			for _, it := range q.Items {
				itext(&w, f, p+"/"+it.ID+":label", lang, it.Label, Label{})
			}
		}
		w.WriteString("</translation>\n")
	}
	w.WriteString("</itext>\n")

	// The primary instance: nested groups and repeats, protocol blocks,
	// meta.
	w.WriteString("<instance>\n<" + InstanceRoot)
	w.attr("id", f.ID)
	w.attr("version", f.Version)
	w.WriteString(">\n")
	// A repeat is written twice, as pyxform writes it: its jr:template and
	// a first instance, which clients show at once.
	var repeatStart []int
	walkGroups(f, func(path string) {
		w.WriteString("<" + path[strings.LastIndex(path, "/")+1:])
		if g := f.Group(path); g != nil && g.Repeat {
			w.attr("jr:template", "")
			repeatStart = append(repeatStart, w.Len())
		}
		w.WriteString(">\n")
	}, func(path string) {
		name := path[strings.LastIndex(path, "/")+1:]
		w.WriteString("</" + name + ">\n")
		if g := f.Group(path); g != nil && g.Repeat {
			start := repeatStart[len(repeatStart)-1]
			repeatStart = repeatStart[:len(repeatStart)-1]
			body := w.String()[start:]
			w.WriteString("<" + name)
			// Nested templates stay templates in the first instance
			// too: clients drop them when they add instances.
			w.WriteString(body)
		}
	}, func(q *Question) {
		if q.Type == Protocol {
			w.WriteString("<" + q.ID + ">")
			for _, it := range q.Items {
				w.WriteString("<" + it.ID + "/>")
			}
			w.WriteString("</" + q.ID + ">\n")
			return
		}
		if q.Default != "" && !isDynamic(q.Default) {
			w.WriteString("<" + q.ID + ">")
			w.text(q.Default)
			w.WriteString("</" + q.ID + ">\n")
			return
		}
		w.WriteString("<" + q.ID + "/>\n")
	})
	w.WriteString("<meta><instanceID/>")
	if f.InstanceName != "" {
		w.WriteString("<instanceName/>")
	}
	w.WriteString("</meta>\n</" + InstanceRoot + ">\n</instance>\n")

	// Secondary instances: the choice lists that a choice filter selects
	// from, each item with its name, its text's itext id and its extra
	// columns.
	lists := map[string]bool{}
	for i := range f.Questions {
		q := &f.Questions[i]
		if !usesFilteredList(q) || lists[listInstance(q)] {
			continue
		}
		l := listInstance(q)
		lists[l] = true
		w.WriteString("<instance")
		w.attr("id", l)
		if q.ItemsetFile != "" {
			// Served as form media (the OpenRosa manifest lists it):
			// a CSV with name, label and the filter's columns.
			w.attr("src", "jr://file-csv/"+q.ItemsetFile)
			w.WriteString("/>\n")
			continue
		}
		w.WriteString(">\n<root>\n")
		for k, c := range q.Choices {
			w.WriteString("<item><name>")
			w.text(c.Value)
			w.WriteString("</name><itextId>")
			w.text(l + "-" + strconv.Itoa(k))
			w.WriteString("</itextId>")
			for _, key := range slices.Sorted(maps.Keys(c.Extra)) {
				if ValidID(key) && key != "name" && key != "itextId" {
					w.WriteString("<" + key + ">")
					w.text(c.Extra[key])
					w.WriteString("</" + key + ">")
				}
			}
			w.WriteString("</item>\n")
		}
		w.WriteString("</root>\n</instance>\n")
	}

	// Binds.
	for _, g := range f.Groups {
		if g.Relevant != "" {
			w.WriteString("<bind")
			w.attr("nodeset", "/"+InstanceRoot+"/"+g.Path)
			w.attr("relevant", xpath(f, g.Relevant))
			w.WriteString("/>\n")
		}
	}
	for i := range f.Questions {
		q := &f.Questions[i]
		p := qpath(q)
		if q.Type == Protocol {
			if q.Relevant != "" {
				w.WriteString("<bind")
				w.attr("nodeset", p)
				w.attr("relevant", xpath(f, q.Relevant))
				w.WriteString("/>\n")
			}
			for _, it := range q.Items {
				w.WriteString("<bind")
				w.attr("nodeset", p+"/"+it.ID)
				w.attr("type", "int")
				if q.Required {
					w.attr("required", "true()")
				}
				w.attr("constraint", ". >= 0")
				w.WriteString("/>\n")
			}
			continue
		}
		w.WriteString("<bind")
		w.attr("nodeset", p)
		w.attr("type", bindType(q))
		switch {
		case q.Type == Note || q.ReadOnly:
			w.attr("readonly", "true()")
		}
		switch {
		case q.Type == Note:
		case q.Required:
			w.attr("required", "true()")
		case q.RequiredIf != "":
			w.attr("required", xpath(f, q.RequiredIf))
		}
		if !q.RequiredMsg.IsZero() {
			w.attr("jr:requiredMsg", "jr:itext('"+p+":requiredMsg')")
		}
		if c := constraint(f, q); c != "" {
			w.attr("constraint", c)
			if !q.ConstraintMsg.IsZero() {
				w.attr("jr:constraintMsg", "jr:itext('"+p+":constraintMsg')")
			}
		}
		if q.Relevant != "" {
			w.attr("relevant", xpath(f, q.Relevant))
		}
		if q.Calculation != "" {
			w.attr("calculate", xpath(f, q.Calculation))
		}
		w.WriteString("/>\n")
	}
	w.WriteString(`<bind nodeset="/` + InstanceRoot + `/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>` + "\n")
	if f.InstanceName != "" {
		w.WriteString("<bind")
		w.attr("nodeset", "/"+InstanceRoot+"/meta/instanceName")
		w.attr("type", "string")
		w.attr("calculate", xpath(f, f.InstanceName))
		w.WriteString("/>\n")
	}
	for i := range f.Questions {
		q := &f.Questions[i]
		if q.Default != "" && isDynamic(q.Default) {
			w.WriteString("<setvalue")
			w.attr("event", "odk-instance-first-load")
			w.attr("ref", qpath(q))
			w.attr("value", xpath(f, q.Default))
			w.WriteString("/>\n")
		}
	}
	w.WriteString("</model>\n</h:head>\n<h:body>\n")

	// Body: controls, with groups as <group ref> and repeats inside theirs.
	walkGroups(f, func(path string) {
		ref := "/" + InstanceRoot + "/" + path
		g := f.Group(path)
		w.WriteString("<group")
		w.attr("ref", ref)
		if g != nil && g.Appearance != "" {
			w.attr("appearance", g.Appearance)
		}
		w.WriteString(">")
		if g != nil && !g.Label.IsZero() {
			label(&w, ref+":label", "label")
		}
		w.WriteString("\n")
		if g != nil && g.Repeat {
			w.WriteString("<repeat")
			w.attr("nodeset", ref)
			if g.RepeatCount != "" {
				w.attr("jr:count", xpath(f, g.RepeatCount))
			}
			w.WriteString(">\n")
		}
	}, func(path string) {
		if g := f.Group(path); g != nil && g.Repeat {
			w.WriteString("</repeat>\n")
		}
		w.WriteString("</group>\n")
	}, func(q *Question) { control(&w, f, q) })
	w.WriteString("</h:body>\n</h:html>\n")
	return []byte(w.String())
}

// itext writes one text in one language: its value with ${} references
// as <output>, and an image when it has one.
func itext(w *xw, f *Form, id, lang string, l, image Label) {
	w.WriteString("<text")
	w.attr("id", id)
	w.WriteString(">")
	if !l.IsZero() || image.IsZero() {
		w.WriteString("<value>")
		textWithOutputs(w, f, l.In(lang))
		w.WriteString("</value>")
	}
	if !image.IsZero() {
		w.WriteString(`<value form="image">`)
		w.text("jr://images/" + image.In(lang))
		w.WriteString("</value>")
	}
	w.WriteString("</text>\n")
}

// itextHint writes a hint and its guidance (shown on request in ODK
// Collect).
func itextHint(w *xw, f *Form, id, lang string, hint, guidance Label) {
	w.WriteString("<text")
	w.attr("id", id)
	w.WriteString(">")
	if !hint.IsZero() {
		w.WriteString("<value>")
		textWithOutputs(w, f, hint.In(lang))
		w.WriteString("</value>")
	}
	if !guidance.IsZero() {
		w.WriteString(`<value form="guidance">`)
		textWithOutputs(w, f, guidance.In(lang))
		w.WriteString("</value>")
	}
	w.WriteString("</text>\n")
}

// textWithOutputs writes a text whose ${name} references show the answer:
// <output value="/data/name"/>, as pyxform writes them.
func textWithOutputs(w *xw, f *Form, s string) {
	last := 0
	for _, m := range refRE.FindAllStringSubmatchIndex(s, -1) {
		p, ok := refPath(f, s[m[2]:m[3]])
		if !ok {
			continue
		}
		w.text(s[last:m[0]])
		w.WriteString("<output")
		w.attr("value", " "+p+" ")
		w.WriteString("/>")
		last = m[1]
	}
	w.text(s[last:])
}

func label(w *xw, id, tag string) {
	w.WriteString("<" + tag)
	w.attr("ref", "jr:itext('"+id+"')")
	w.WriteString("/>")
}

func constraint(f *Form, q *Question) string {
	var parts []string
	if q.Type == Integer {
		if q.Min != nil {
			parts = append(parts, ". >= "+strconv.FormatInt(*q.Min, 10))
		}
		if q.Max != nil {
			parts = append(parts, ". <= "+strconv.FormatInt(*q.Max, 10))
		}
	}
	if q.Constraint != "" {
		c := xpath(f, q.Constraint)
		if len(parts) > 0 {
			c = "(" + c + ")"
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, " and ")
}

// choiceFilterXPath turns a choice filter into an itemset predicate: ${}
// references become instance paths, bare names the item's own columns.
func choiceFilterXPath(f *Form, filter string) string {
	return xpath(f, filter)
}

func control(w *xw, f *Form, q *Question) {
	p := qpath(q)
	labels := func() {
		label(w, p+":label", "label")
		if !q.Hint.IsZero() || !q.Guidance.IsZero() {
			label(w, p+":hint", "hint")
		}
	}
	switch q.Type {
	case Calculate:
		return // computed, never shown
	case Protocol:
		w.WriteString("<group")
		w.attr("ref", p)
		w.WriteString(">")
		label(w, p+":label", "label")
		w.WriteString("\n")
		for _, it := range q.Items {
			w.WriteString("<input")
			w.attr("ref", p+"/"+it.ID)
			w.WriteString(">")
			label(w, p+"/"+it.ID+":label", "label")
			w.WriteString("</input>\n")
		}
		w.WriteString("</group>\n")
		return
	case YesNo, SingleChoice, Assessment, MultipleChoice:
		tag := "select1"
		if q.Type == MultipleChoice {
			tag = "select"
		}
		w.WriteString("<" + tag)
		w.attr("ref", p)
		if q.Appearance != "" {
			w.attr("appearance", q.Appearance)
		}
		w.WriteString(">")
		labels()
		w.WriteString("\n")
		if usesFilteredList(q) {
			w.WriteString("<itemset")
			w.attr("nodeset", "instance('"+listInstance(q)+"')/root/item["+choiceFilterXPath(f, q.ChoiceFilter)+"]")
			if q.ItemsetFile != "" {
				w.WriteString(`><value ref="name"/><label ref="label"/></itemset>` + "\n")
			} else {
				w.WriteString(`><value ref="name"/><label ref="jr:itext(itextId)"/></itemset>` + "\n")
			}
		} else {
			for _, c := range q.Options() {
				w.WriteString("<item>")
				label(w, p+"/"+c.Value+":label", "label")
				w.WriteString("<value>")
				w.text(c.Value)
				w.WriteString("</value></item>\n")
			}
		}
		w.WriteString("</" + tag + ">\n")
		return
	}
	tag := "input"
	switch q.Type {
	case Photo:
		tag = "upload"
	case Acknowledge:
		tag = "trigger"
	case Range:
		tag = "range"
	}
	w.WriteString("<" + tag)
	w.attr("ref", p)
	if q.Appearance != "" {
		w.attr("appearance", q.Appearance)
	}
	if q.Type == Photo {
		w.attr("mediatype", "image/*")
	}
	if q.Type == Range {
		start, end, step, _ := q.RangeParams()
		w.attr("start", strconv.FormatFloat(start, 'f', -1, 64))
		w.attr("end", strconv.FormatFloat(end, 'f', -1, 64))
		w.attr("step", strconv.FormatFloat(step, 'f', -1, 64))
	}
	w.WriteString(">")
	labels()
	w.WriteString("</" + tag + ">\n")
}

// Hash is the form's hash as the OpenRosa form list states it:
// "md5:" and the hex MD5 of the XForm document.
func Hash(xform []byte) string {
	sum := md5.Sum(xform)
	return "md5:" + hex.EncodeToString(sum[:])
}

// ListEntry is one form in an OpenRosa form list.
type ListEntry struct {
	Form        *Form
	XForm       []byte // the document served at DownloadURL; hashed
	DownloadURL string
	ManifestURL string // empty: the form has no media files
}

// FormList writes the OpenRosa form-list document (<xforms
// xmlns="http://openrosa.org/xforms/xformsList">), with formID, name (in
// lang, English by default), version, hash, downloadUrl and manifestUrl for
// each form. Serve it as text/xml; charset=utf-8.
func FormList(entries []ListEntry, lang string) []byte {
	var w xw
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString(`<xforms xmlns="http://openrosa.org/xforms/xformsList">` + "\n")
	for _, e := range entries {
		xf := e.XForm
		if xf == nil {
			xf = XForm(e.Form)
		}
		w.WriteString("<xform>")
		elem(&w, "formID", e.Form.ID)
		elem(&w, "name", e.Form.Name.In(lang))
		elem(&w, "version", e.Form.Version)
		elem(&w, "hash", Hash(xf))
		elem(&w, "downloadUrl", e.DownloadURL)
		if e.ManifestURL != "" {
			elem(&w, "manifestUrl", e.ManifestURL)
		}
		w.WriteString("</xform>\n")
	}
	w.WriteString("</xforms>\n")
	return []byte(w.String())
}

func elem(w *xw, name, value string) {
	w.WriteString("<" + name + ">")
	w.text(value)
	w.WriteString("</" + name + ">")
}

// checkExportable reports why a form cannot be written as an XForm.
func checkExportable(f *Form) error {
	if err := f.Check(); err != nil {
		return err
	}
	for _, q := range f.Questions {
		for _, g := range strings.Split(q.Group, "/") {
			if q.Group != "" && !ValidID(g) {
				return fmt.Errorf("form %s: question %s: group %q is not a valid element name", f.ID, q.ID, g)
			}
		}
		if q.ID == "meta" && q.Group == "" {
			return fmt.Errorf("form %s: question id meta is reserved for the submission metadata", f.ID)
		}
	}
	return nil
}

// ExportXForm checks the form and writes it as an XForm.
func ExportXForm(f *Form) ([]byte, error) {
	if err := checkExportable(f); err != nil {
		return nil, err
	}
	return XForm(f), nil
}

// MediaFile is one form media file in an OpenRosa manifest.
type MediaFile struct {
	Name        string // the file name the form refers to (jr://file-csv/NAME, jr://images/NAME)
	Data        []byte // hashed
	MD5         string // the hash as "md5:HEX" when Data is not at hand (a stored attachment)
	DownloadURL string
}

// Manifest writes the OpenRosa manifest of a form's media files
// (<manifest xmlns="http://openrosa.org/xforms/xformsManifest">), each
// with its filename, MD5 hash and downloadUrl, in name order. Serve it as
// text/xml; charset=utf-8.
func Manifest(files []MediaFile) []byte {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b MediaFile) int { return strings.Compare(a.Name, b.Name) })
	var w xw
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString(`<manifest xmlns="http://openrosa.org/xforms/xformsManifest">` + "\n")
	for _, f := range files {
		w.WriteString("<mediaFile>")
		elem(&w, "filename", f.Name)
		h := f.MD5
		if h == "" {
			h = Hash(f.Data)
		}
		elem(&w, "hash", h)
		elem(&w, "downloadUrl", f.DownloadURL)
		w.WriteString("</mediaFile>\n")
	}
	w.WriteString("</manifest>\n")
	return []byte(w.String())
}

// ItemsetFiles lists the form media files the form's selects read their
// choices from (Question.ItemsetFile), in form order.
func (f *Form) ItemsetFiles() []string {
	var out []string
	for _, q := range f.Questions {
		if q.ItemsetFile != "" && !slices.Contains(out, q.ItemsetFile) {
			out = append(out, q.ItemsetFile)
		}
	}
	return out
}
