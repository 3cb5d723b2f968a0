package chart

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// wellFormed parses an SVG as XML, failing on any error.
func wellFormed(t *testing.T, name string, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v\n%s", name, err, svg[:min(len(svg), 300)])
		}
	}
}

func TestChartsAreWellFormedSVG(t *testing.T) {
	o := Options{Title: `Turnout <"&'>`, Desc: "How to read it & more", XLabel: "x", YLabel: "y"}
	line := Line(o,
		LineSeries{Name: "estimate", X: []float64{1, 2, 3, 4}, Y: []float64{50, 52, math.NaN(), 51}, Lo: []float64{45, 49, math.NaN(), 50}, Hi: []float64{55, 55, math.NaN(), 52}},
		LineSeries{Name: "official", X: []float64{1, 4}, Y: []float64{60, 60}, Dash: true})
	hist := Histogram(Options{Title: "h", XMin: 0, XMax: 100}, []float64{0, 1, 5, 3, 0, 9}, func(i int) bool { return i == 5 })
	bars := Bar(Options{Title: "b"}, []string{"0", "1", "<2>"}, []float64{0.1, 0.2, 0.05}, []float64{0.1, 0.1, 0.1})
	heat := HeatMap(Options{Title: "m", XMax: 1, YMax: 1}, [][]float64{{0, 1}, {3, 100}})
	for name, svg := range map[string]string{"line": string(line), "hist": string(hist), "bars": string(bars), "heat": string(heat)} {
		wellFormed(t, name, svg)
		if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "<title") || !strings.Contains(svg, "<desc") {
			t.Errorf("%s: lacks role, title or description", name)
		}
	}
	if !strings.Contains(string(line), "Turnout &lt;&#34;&amp;&#39;&gt;") {
		t.Errorf("the title is not escaped: %s", line[:200])
	}
	if !strings.Contains(string(hist), `class="spike"`) {
		t.Error("the highlighted bin is not drawn as a spike")
	}
	if strings.Count(string(line), "<path") < 3 { // band, two lines
		t.Error("the line chart lacks its band or a line")
	}
}
