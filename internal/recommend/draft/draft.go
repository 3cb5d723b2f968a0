// Package draft renders a mission's draft (a recommend.Draft: the
// statement's quantitative part or the final report's skeleton) as a
// self-contained HTML page, ready to edit or to print (package pdf).
//
// It lives apart from recommend, which assembles the draft from the data,
// because the store imports recommend for its dataset types and the checks
// it runs inside a transaction: the templates (html/template, the embedded
// page) would otherwise travel in the store's import graph
// (architecture_test.go's TestStoreImports forbids them there).
package draft

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/vigil-elections/vigil/internal/recommend"
)

//go:embed templates/draft.html
var draftHTML string

// draftTmpl is parsed once; WriteHTML clones it to bind "w" to the
// draft's language. The "w" given here only lets the page parse.
var draftTmpl = template.Must(template.New("draft").Funcs(template.FuncMap{
	"w": words("en"),
	// nb keeps a per cent sign on the line of its number: "(1.3 %)" broke
	// before the sign in narrow columns of the printed draft.
	"nb": func(s string) string { return strings.ReplaceAll(s, " %", "\u00a0%") },
}).Parse(draftHTML))

// words gives the page's own words ("html.finding", "col.fully", …) in a
// language, from the drafts' one table of words in package recommend, so
// that a translator still reads them with the sentences they go with.
func words(lang string) func(key string, args ...any) string {
	return func(key string, args ...any) string { return recommend.Say(lang, recommend.P(key, args...)) }
}

// WriteHTML writes the draft as a self-contained HTML page (styles
// inline), ready to edit or to print, in the draft's language (English
// for a language vigil has no words for). Nothing is written when the
// page fails.
func WriteHTML(w io.Writer, d *recommend.Draft) error {
	t, err := draftTmpl.Clone()
	if err != nil {
		return fmt.Errorf("draft: cloning the page template: %w", err)
	}
	dd := *d
	dd.Lang = recommend.DraftLang(d.Lang)
	var buf bytes.Buffer
	if err := t.Funcs(template.FuncMap{"w": words(dd.Lang)}).Execute(&buf, &dd); err != nil {
		return fmt.Errorf("draft: rendering %s draft of %q: %w", dd.Kind, missionKey(d), err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("draft: writing the page: %w", err)
	}
	return nil
}

func missionKey(d *recommend.Draft) string {
	if d.Mission == nil {
		return ""
	}
	return d.Mission.Key
}
