package web

import (
	"fmt"
	"html/template"

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
