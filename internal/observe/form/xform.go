package form

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"
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

// The languages of exported forms, as XLSForm/pyxform name them.
var xformLangs = []struct{ code, name string }{{"en", "English (en)"}, {"ru", "Russian (ru)"}}

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

// path returns the instance path of a question, e.g. /data/grp/q.
func qpath(q *Question) string {
	if q.Group != "" {
		return "/" + InstanceRoot + "/" + q.Group + "/" + q.ID
	}
	return "/" + InstanceRoot + "/" + q.ID
}

var refRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}`)

// xpath turns XLSForm ${name} references into absolute instance paths.
func xpath(f *Form, expr string) string {
	return refRE.ReplaceAllStringFunc(expr, func(m string) string {
		if q := f.Question(m[2 : len(m)-1]); q != nil {
			return qpath(q)
		}
		return m
	})
}

func bindType(t Type) string {
	switch t {
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
	}
	return "string"
}

// XForm writes the form as an ODK XForm, the document ODK Collect and
// Enketo download (OpenRosa form download). Labels are in English (the
// default) and Russian, as itext translations. The output is deterministic,
// so that its MD5 (Hash) changes only when the form does.
func XForm(f *Form) []byte {
	var w xw
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString(`<h:html xmlns="` + nsXForms + `" xmlns:h="` + nsXHTML + `" xmlns:jr="` + nsJR +
		`" xmlns:odk="` + nsODK + `" xmlns:orx="` + nsORX + `" xmlns:xsd="` + nsXSD + `">` + "\n")
	w.WriteString("<h:head>\n<h:title>")
	w.text(f.Name.EN)
	w.WriteString("</h:title>\n")
	w.WriteString(`<model odk:xforms-version="1.0.0">` + "\n")

	// itext: every label in every language.
	w.WriteString("<itext>\n")
	for i, lang := range xformLangs {
		w.WriteString("<translation")
		w.attr("lang", lang.name)
		if i == 0 {
			w.attr("default", "true()")
		}
		w.WriteString(">\n")
		for j := range f.Questions {
			q := &f.Questions[j]
			p := qpath(q)
			itext(&w, p+":label", q.Label.In(lang.code))
			if q.Hint.EN != "" {
				itext(&w, p+":hint", q.Hint.In(lang.code))
			}
			for _, c := range q.Options() {
				itext(&w, p+"/"+c.Value+":label", c.Label.In(lang.code))
			}
			for _, it := range q.Items {
				itext(&w, p+"/"+it.ID+":label", it.Label.In(lang.code))
			}
		}
		w.WriteString("</translation>\n")
	}
	w.WriteString("</itext>\n")

	// The primary instance: nested groups, protocol blocks, meta.
	w.WriteString("<instance>\n<" + InstanceRoot)
	w.attr("id", f.ID)
	w.attr("version", f.Version)
	w.WriteString(">\n")
	open := []string{}
	for i := range f.Questions {
		q := &f.Questions[i]
		var want []string
		if q.Group != "" {
			want = strings.Split(q.Group, "/")
		}
		k := 0
		for k < len(open) && k < len(want) && open[k] == want[k] {
			k++
		}
		for j := len(open) - 1; j >= k; j-- {
			w.WriteString("</" + open[j] + ">\n")
		}
		for _, g := range want[k:] {
			w.WriteString("<" + g + ">\n")
		}
		open = want
		if q.Type == Protocol {
			w.WriteString("<" + q.ID + ">")
			for _, it := range q.Items {
				w.WriteString("<" + it.ID + "/>")
			}
			w.WriteString("</" + q.ID + ">\n")
			continue
		}
		w.WriteString("<" + q.ID + "/>\n")
	}
	for j := len(open) - 1; j >= 0; j-- {
		w.WriteString("</" + open[j] + ">\n")
	}
	w.WriteString("<meta><instanceID/></meta>\n</" + InstanceRoot + ">\n</instance>\n")

	// Binds.
	for i := range f.Questions {
		q := &f.Questions[i]
		p := qpath(q)
		if q.Type == Protocol {
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
		w.attr("type", bindType(q.Type))
		if q.Type == Note {
			w.attr("readonly", "true()")
		} else if q.Required {
			w.attr("required", "true()")
		}
		if c := constraint(f, q); c != "" {
			w.attr("constraint", c)
		}
		if q.Relevant != "" {
			w.attr("relevant", xpath(f, q.Relevant))
		}
		w.WriteString("/>\n")
	}
	w.WriteString(`<bind nodeset="/` + InstanceRoot + `/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>` + "\n")
	w.WriteString("</model>\n</h:head>\n<h:body>\n")

	// Body: controls, with groups as <group ref>.
	open = open[:0]
	for i := range f.Questions {
		q := &f.Questions[i]
		var want []string
		if q.Group != "" {
			want = strings.Split(q.Group, "/")
		}
		k := 0
		for k < len(open) && k < len(want) && open[k] == want[k] {
			k++
		}
		for j := len(open) - 1; j >= k; j-- {
			w.WriteString("</group>\n")
		}
		for j := k; j < len(want); j++ {
			w.WriteString("<group")
			w.attr("ref", "/"+InstanceRoot+"/"+strings.Join(want[:j+1], "/"))
			w.WriteString(">\n")
		}
		open = want
		control(&w, q)
	}
	for range open {
		w.WriteString("</group>\n")
	}
	w.WriteString("</h:body>\n</h:html>\n")
	return []byte(w.String())
}

func itext(w *xw, id, value string) {
	w.WriteString("<text")
	w.attr("id", id)
	w.WriteString("><value>")
	w.text(value)
	w.WriteString("</value></text>\n")
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

func control(w *xw, q *Question) {
	p := qpath(q)
	switch q.Type {
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
		w.WriteString(">")
		label(w, p+":label", "label")
		if q.Hint.EN != "" {
			label(w, p+":hint", "hint")
		}
		w.WriteString("\n")
		for _, c := range q.Options() {
			w.WriteString("<item>")
			label(w, p+"/"+c.Value+":label", "label")
			w.WriteString("<value>")
			w.text(c.Value)
			w.WriteString("</value></item>\n")
		}
		w.WriteString("</" + tag + ">\n")
		return
	}
	tag := "input"
	if q.Type == Photo {
		tag = "upload"
	}
	w.WriteString("<" + tag)
	w.attr("ref", p)
	if q.Type == Photo {
		w.attr("mediatype", "image/*")
	}
	w.WriteString(">")
	label(w, p+":label", "label")
	if q.Hint.EN != "" {
		label(w, p+":hint", "hint")
	}
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
