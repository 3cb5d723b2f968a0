// Package chart draws server-side SVG charts: small, accessible
// (role="img" with a title and a description), readable without
// JavaScript and scalable to a phone's width. The forensics pages and the
// dashboard's PVT convergence chart use them.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Server-side SVG charts: small, accessible (role="img" with a title and a
// description), readable without JavaScript and scalable to a phone's
// width. The forensics pages use them; so can any page of the web package
// (the PVT convergence chart wants Line).

// Options sizes and labels a chart. Coordinates are in the units of
// the data; the zero value of a bound means "from the data".
type Options struct {
	// Title names the chart for screen readers (the SVG's <title>); Desc
	// says what it shows (<desc>).
	Title, Desc string
	// XLabel and YLabel title the axes.
	XLabel, YLabel string
	// Width and Height of the viewBox; 0 means 640 × 280.
	Width, Height int
	XMin, XMax    float64
	YMin, YMax    float64
	// XFormat and YFormat write the tick labels; nil means a plain number.
	XFormat, YFormat func(float64) string
	// Marks are vertical reference lines at these x (e.g. round turnouts).
	Marks []float64
	// YLog draws the y axis on a log10(1 + y) scale (heat maps use it for
	// the colour instead).
	YLog bool
}

// LineSeries is one line of a Line. Points with a NaN y are gaps.
type LineSeries struct {
	Name  string
	X, Y  []float64
	Color string // CSS colour; "" picks from the default cycle
	Dash  bool
	// Lo and Hi, when set, draw a band (a confidence interval) behind the line.
	Lo, Hi []float64
}

var chartColors = []string{"#0b5394", "#b45f06", "#38761d", "#a3001b", "#674ea7"}

type frame struct {
	o                      Options
	w, h                   float64
	left, right, top, bott float64
	b                      strings.Builder
}

func newFrame(o Options) *frame {
	if o.Width == 0 {
		o.Width = 640
	}
	if o.Height == 0 {
		o.Height = 280
	}
	if o.XFormat == nil {
		o.XFormat = plainNum
	}
	if o.YFormat == nil {
		o.YFormat = plainNum
	}
	f := &frame{o: o, w: float64(o.Width), h: float64(o.Height), left: 56, right: 12, top: 14, bott: 44}
	fmt.Fprintf(&f.b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg" font-family="system-ui,sans-serif" font-size="12">`,
		o.Width, o.Height, chartID(o.Title), chartID(o.Title))
	fmt.Fprintf(&f.b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, chartID(o.Title), html.EscapeString(o.Title), chartID(o.Title), html.EscapeString(o.Desc))
	return f
}

// chartID makes an id from a title: letters and digits only.
func chartID(s string) string {
	var b strings.Builder
	b.WriteString("c")
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
		if b.Len() > 24 {
			break
		}
	}
	return b.String() + strconv.FormatUint(uint64(len(s)), 36)
}

func plainNum(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return FormatInt(int64(x))
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

func (f *frame) px(x float64) float64 {
	return f.left + (x-f.o.XMin)/(f.o.XMax-f.o.XMin)*(f.w-f.left-f.right)
}

func (f *frame) py(y float64) float64 {
	lo, hi := f.o.YMin, f.o.YMax
	if f.o.YLog {
		y, lo, hi = math.Log10(1+y), math.Log10(1+lo), math.Log10(1+hi)
	}
	return f.h - f.bott - (y-lo)/(hi-lo)*(f.h-f.top-f.bott)
}

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

func (f *frame) axes() {
	o := f.o
	x0, x1 := f.px(o.XMin), f.px(o.XMax)
	y0, y1 := f.py(o.YMin), f.py(o.YMax)
	for _, t := range niceTicks(o.YMin, o.YMax, 5) {
		if o.YLog {
			break
		}
		y := f.py(t)
		fmt.Fprintf(&f.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`, x0, y, x1, y)
		fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#444">%s</text>`, x0-4, y+4, html.EscapeString(o.YFormat(t)))
	}
	for _, t := range niceTicks(o.XMin, o.XMax, 8) {
		x := f.px(t)
		fmt.Fprintf(&f.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888"/>`, x, y0, x, y0+4)
		// A label at the right edge ("100 %") would be cut in half by the
		// SVG's border: it ends at the edge instead of centring on its tick.
		anchor, lx := "middle", x
		if x > f.w-24 {
			anchor, lx = "end", f.w-1
		}
		fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f" text-anchor="%s" fill="#444">%s</text>`, lx, y0+16, anchor, html.EscapeString(o.XFormat(t)))
	}
	fmt.Fprintf(&f.b, `<path d="M%.1f %.1fV%.1fH%.1f" fill="none" stroke="#555"/>`, x0, y1, y0, x1)
	fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#222">%s</text>`, (x0+x1)/2, f.h-6, html.EscapeString(o.XLabel))
	fmt.Fprintf(&f.b, `<text transform="translate(12 %.1f) rotate(-90)" text-anchor="middle" fill="#222">%s</text>`, (y0+y1)/2, html.EscapeString(o.YLabel))
}

func (f *frame) marks() {
	for _, m := range f.o.Marks {
		if m < f.o.XMin || m > f.o.XMax {
			continue
		}
		x := f.px(m)
		fmt.Fprintf(&f.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb" stroke-dasharray="2 3"/>`, x, f.py(f.o.YMin), x, f.py(f.o.YMax))
	}
}

func (f *frame) done() template.HTML {
	f.b.WriteString("</svg>")
	return template.HTML(f.b.String()) // built from escaped text and numbers only
}

// Histogram draws counts in equal bins from o.XMin to o.XMax; bins for
// which highlight returns true are drawn in the alert colour.
func Histogram(o Options, counts []float64, highlight func(i int) bool) template.HTML {
	if o.YMax == 0 {
		for _, c := range counts {
			o.YMax = math.Max(o.YMax, c)
		}
		if o.YMax == 0 {
			o.YMax = 1
		}
	}
	f := newFrame(o)
	f.axes()
	f.marks()
	n := len(counts)
	bw := (o.XMax - o.XMin) / float64(n)
	var norm, hl strings.Builder
	for i, c := range counts {
		if c <= 0 {
			continue
		}
		x := f.px(o.XMin + float64(i)*bw)
		w := f.px(o.XMin+float64(i+1)*bw) - x
		y := f.py(c)
		b := &norm
		if highlight != nil && highlight(i) {
			b = &hl
		}
		fmt.Fprintf(b, "M%.1f %.1fh%.2fV%.1fh%.2fz", x, y, w, f.py(o.YMin), -w)
	}
	fmt.Fprintf(&f.b, `<path d="%s" fill="#0b5394"/>`, norm.String())
	if hl.Len() > 0 {
		fmt.Fprintf(&f.b, `<path class="spike" d="%s" fill="#a3001b"/>`, hl.String())
	}
	return f.done()
}

// Line draws lines (with optional bands) over x.
func Line(o Options, series ...LineSeries) template.HTML {
	// Ranges not given are taken from the data; y from zero when the data
	// are all positive, so that heights compare.
	autoX, autoY := o.XMax == o.XMin, o.YMax == o.YMin
	if autoX || autoY {
		xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, s := range series {
			for i := range s.X {
				y := s.Y[i]
				if math.IsNaN(y) {
					continue
				}
				lo, hi := y, y
				if s.Lo != nil && !math.IsNaN(s.Lo[i]) {
					lo = math.Min(lo, s.Lo[i])
				}
				if s.Hi != nil && !math.IsNaN(s.Hi[i]) {
					hi = math.Max(hi, s.Hi[i])
				}
				xlo, xhi = math.Min(xlo, s.X[i]), math.Max(xhi, s.X[i])
				ylo, yhi = math.Min(ylo, lo), math.Max(yhi, hi)
			}
		}
		if math.IsInf(xlo, 0) {
			xlo, xhi, ylo, yhi = 0, 1, 0, 1
		}
		if autoX {
			o.XMin, o.XMax = xlo, xhi
			if o.XMax == o.XMin {
				o.XMax = o.XMin + 1
			}
		}
		if autoY {
			o.YMin, o.YMax = math.Min(0, ylo), yhi
			if o.YMax == o.YMin {
				o.YMax = o.YMin + 1
			}
		}
	}
	f := newFrame(o)
	f.axes()
	f.marks()
	for k, s := range series {
		c := s.Color
		if c == "" {
			c = chartColors[k%len(chartColors)]
		}
		if s.Lo != nil && s.Hi != nil {
			var up, down []string
			for i := range s.X {
				if math.IsNaN(s.Lo[i]) || math.IsNaN(s.Hi[i]) {
					continue
				}
				up = append(up, fmt.Sprintf("%.1f %.1f", f.px(s.X[i]), f.py(s.Hi[i])))
				down = append([]string{fmt.Sprintf("%.1f %.1f", f.px(s.X[i]), f.py(s.Lo[i]))}, down...)
			}
			if len(up) > 1 {
				fmt.Fprintf(&f.b, `<path d="M%sL%sz" fill="%s" fill-opacity="0.15"/>`, strings.Join(up, "L"), strings.Join(down, "L"), c)
			}
		}
		var d strings.Builder
		pen := false
		for i := range s.X {
			if math.IsNaN(s.Y[i]) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, f.px(s.X[i]), f.py(s.Y[i]))
			pen = true
		}
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(&f.b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"%s><title>%s</title></path>`, d.String(), c, dash, html.EscapeString(s.Name))
	}
	// Legend, top right.
	for k, s := range series {
		c := s.Color
		if c == "" {
			c = chartColors[k%len(chartColors)]
		}
		y := f.top + 6 + float64(k)*16
		fmt.Fprintf(&f.b, `<rect x="%.1f" y="%.1f" width="12" height="4" fill="%s"/><text x="%.1f" y="%.1f" text-anchor="end" fill="#222">%s</text>`,
			f.w-f.right-12, y, c, f.w-f.right-16, y+5, html.EscapeString(s.Name))
	}
	return f.done()
}

// Bar draws one bar per label, with an optional reference value per
// bar drawn as a tick (e.g. the expected frequency).
func Bar(o Options, labels []string, values, ref []float64) template.HTML {
	n := len(labels)
	o.XMin, o.XMax = 0, float64(n)
	if o.YMax == 0 {
		for i := range values {
			o.YMax = math.Max(o.YMax, values[i])
			if ref != nil {
				o.YMax = math.Max(o.YMax, ref[i])
			}
		}
		o.YMax *= 1.1
		if o.YMax == 0 {
			o.YMax = 1
		}
	}
	o.XFormat = func(float64) string { return "" }
	f := newFrame(o)
	f.axes()
	for i, l := range labels {
		x := f.px(float64(i) + 0.15)
		w := f.px(float64(i)+0.85) - x
		y := f.py(values[i])
		fmt.Fprintf(&f.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#0b5394"><title>%s: %s</title></rect>`, x, y, w, f.py(o.YMin)-y, html.EscapeString(l), html.EscapeString(f.o.YFormat(values[i])))
		if ref != nil {
			ry := f.py(ref[i])
			fmt.Fprintf(&f.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#a3001b" stroke-width="3"/>`, x-2, ry, x+w+2, ry)
		}
		fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%s</text>`, x+w/2, f.py(o.YMin)+16, html.EscapeString(l))
	}
	return f.done()
}

// HeatMap draws counts[x][y] on a grid over [XMin, XMax] × [YMin,
// YMax], the colour on a log scale from white to dark blue; empty cells
// are not drawn.
func HeatMap(o Options, counts [][]float64) template.HTML {
	if o.Height == 0 {
		o.Height = 440
	}
	if o.Width == 0 {
		o.Width = 480
	}
	f := newFrame(o)
	f.axes()
	nx := len(counts)
	if nx == 0 {
		return f.done()
	}
	ny := len(counts[0])
	top := 0.0
	for _, col := range counts {
		for _, c := range col {
			top = math.Max(top, c)
		}
	}
	lt := math.Log1p(top)
	cw := (o.XMax - o.XMin) / float64(nx)
	ch := (o.YMax - o.YMin) / float64(ny)
	// Cells grouped by colour: one path per shade keeps the SVG small.
	const shades = 12
	paths := make([]strings.Builder, shades)
	for i, col := range counts {
		for j, c := range col {
			if c <= 0 {
				continue
			}
			k := min(shades-1, int(math.Log1p(c)/lt*shades))
			x := f.px(o.XMin + float64(i)*cw)
			y := f.py(o.YMin + float64(j+1)*ch)
			w := f.px(o.XMin+float64(i+1)*cw) - x
			h := f.py(o.YMin+float64(j)*ch) - y
			fmt.Fprintf(&paths[k], "M%.1f %.1fh%.2fv%.2fh%.2fz", x, y, w, h, -w)
		}
	}
	for k := range paths {
		if paths[k].Len() == 0 {
			continue
		}
		t := float64(k+1) / shades
		// From a light blue to a dark one, white-ish at the low end.
		r := int(235 - t*(235-8))
		g := int(243 - t*(243-48))
		b := int(250 - t*(250-107))
		fmt.Fprintf(&f.b, `<path d="%s" fill="rgb(%d,%d,%d)"/>`, paths[k].String(), r, g, b)
	}
	return f.done()
}

// FormatInt writes a count with thin-space thousands separators, which read
// the same in English and Russian.
func FormatInt(n int64) string {
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
