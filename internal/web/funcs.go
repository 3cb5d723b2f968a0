package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/vigil-elections/vigil/internal/web/chart"
)

var templateFuncs = template.FuncMap{
	"num":     formatInt,
	"int64":   func(n int) int64 { return int64(n) },
	"percent": func(a, b int64) string { return percent(a, b) },
}

// formatInt writes a count as the charts' ticks do (chart.FormatInt).
func formatInt(n int64) string { return chart.FormatInt(n) }

func percent(a, b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f %%", 100*float64(a)/float64(b))
}

// textEscaper escapes as html/template escapes a string in HTML text or a
// quoted attribute (its htmlEscaper), byte for byte (FuzzEscapeText).
var textEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// EscapeText escapes s for HTML text as the templates would, for a room's
// Go code that writes a hot fragment of a page itself.
func EscapeText(s string) string { return textEscaper.Replace(s) }
