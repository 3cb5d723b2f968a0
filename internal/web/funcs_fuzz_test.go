package web_test

import (
	"bytes"
	"html/template"
	"testing"

	"github.com/vigil-elections/vigil/internal/web"
)

// FuzzEscapeText: EscapeText gives what html/template gives for a string
// in HTML text, in a quoted attribute and in RCDATA (a <title>): the
// three escapers pretranslate reproduces.
func FuzzEscapeText(f *testing.F) {
	for _, s := range []string{"", "plain", `<a href="x">'&'</a>`, "1 + 1", "\x00nul", "\xffbad utf-8", "ок — «да»", "\ufdd0\uffff"} {
		f.Add(s)
	}
	text := template.Must(template.New("").Parse(`{{.}}`))
	attr := template.Must(template.New("").Parse(`<p title="{{.}}">`))
	title := template.Must(template.New("").Parse(`<title>{{.}}</title>`))
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		if err := text.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
		if got := web.EscapeText(s); got != b.String() {
			t.Fatalf("text %q: %q, html/template %q", s, got, b.String())
		}
		b.Reset()
		if err := attr.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
		if want := `<p title="` + web.EscapeText(s) + `">`; want != b.String() {
			t.Fatalf("attribute %q: %q, html/template %q", s, want, b.String())
		}
		b.Reset()
		if err := title.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
		if want := `<title>` + web.EscapeText(s) + `</title>`; want != b.String() {
			t.Fatalf("RCDATA %q: %q, html/template %q", s, want, b.String())
		}
	})
}
