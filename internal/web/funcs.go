package web

import (
	"fmt"
	"html/template"
	"strconv"
)

var templateFuncs = template.FuncMap{
	"num":     formatInt,
	"int64":   func(n int) int64 { return int64(n) },
	"percent": func(a, b int64) string { return percent(a, b) },
}

// formatInt writes a count with thin-space thousands separators, which read
// the same in English and Russian.
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, "\u202f"...)
		}
		out = append(out, s[i])
	}
	if neg {
		return "−" + string(out)
	}
	return string(out)
}

func percent(a, b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f %%", 100*float64(a)/float64(b))
}
