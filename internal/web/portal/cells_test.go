package portal

import (
	"bytes"
	"html/template"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/chart"
)

// cellTemplate is the template the versions' cells were written with
// before writeCells.
const cellTemplate = `{{range .}}<td class="n{{if .Differs}} diff{{end}}{{if .Flagged}} flagged{{end}}">{{if .Flagged}}<span aria-hidden="true">⚠ </span>{{end}}{{if .Known}}{{num .Value}}{{if .Differs}} <span class="sr">({{t "station.differs_cell"}})</span>{{end}}{{else}}–{{end}}{{if .Flagged}} <span class="sr">({{t "station.flagged_cell"}})</span>{{end}}</td>{{end}}`

// catalogues are the three languages' catalogues of a server.
func catalogues(t *testing.T) []*web.Catalogue {
	t.Helper()
	srv, err := web.New(storetest.SQLite(t), web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*web.Catalogue
	for _, lang := range []string{"en", "ru", "kk"} {
		c := srv.CatalogueFor(httptest.NewRequest("GET", "/?lang="+lang, nil))
		if c.Tag != lang {
			t.Fatalf("asked %s, got the catalogue %s", lang, c.Tag)
		}
		out = append(out, c)
	}
	return out
}

// TestWriteCellsAsTheTemplate: writeCells writes, in every language, what
// the template wrote, for every kind of cell.
func TestWriteCellsAsTheTemplate(t *testing.T) {
	var cells []figureCell
	for _, v := range []int64{0, 7, -3, 1234567, 10_000_000_000} {
		for k := range 8 {
			cells = append(cells, figureCell{Value: v, Known: k&1 != 0, Differs: k&2 != 0, Flagged: k&4 != 0})
		}
	}
	for _, c := range catalogues(t) {
		lang := c.Tag
		tmpl := template.Must(template.New("").Funcs(template.FuncMap{"num": chart.FormatInt, "t": func(k string) string { return c.T(k) }}).Parse(cellTemplate))
		var want bytes.Buffer
		if err := tmpl.Execute(&want, cells); err != nil {
			t.Fatal(err)
		}
		d := &areaPage{Figs: []figureRow{{Values: cells}}, Votes: []voteRow{{Values: cells}}, SumFigs: []figureRow{{Values: cells}}, SumVotes: []voteRow{{Values: cells}}}
		d.writeCells(c)
		for i, got := range []template.HTML{d.Figs[0].Cells, d.Votes[0].Cells, d.SumFigs[0].Cells, d.SumVotes[0].Cells} {
			if string(got) != want.String() {
				t.Errorf("%s, table %d:\n%s\nwant\n%s", lang, i, got, want.String())
			}
		}
	}
}

// optionRowsTemplate is the template the votes table's rows were written
// with before writeOptionRows.
const optionRowsTemplate = `{{range .}}<tr{{if .Leader}} class="leader"{{end}}><th scope="row">{{if .AgainstAll}}{{t "option.against_all"}}{{else}}{{.Name}}{{end}}</th><td class="n">{{num .Votes}}</td><td class="n">{{pct .Share}}</td><td class="bar" aria-hidden="true"><span style="{{barWidth .Share}}"></span></td></tr>
{{end}}`

// TestWriteOptionRowsAsTheTemplate: writeOptionRows writes, in every
// language, what the template wrote, names that need escaping and shares
// out of range included.
func TestWriteOptionRowsAsTheTemplate(t *testing.T) {
	var os []optionShare
	names := []string{"Alpha", `<b>"Beta" & 'Co'</b>`, "Ж+Ё", "", "a\x00b", "\u2028x"}
	shares := []float64{0, 0.12345, 1, 1.5, -1, math.NaN(), 0.999999}
	for i, name := range names {
		for j, sh := range shares {
			os = append(os, optionShare{Name: name, AgainstAll: (i+j)%5 == 0, Votes: int64(i*1000 - j*7), Share: sh, Leader: (i+j)%3 == 0})
		}
	}
	for _, c := range catalogues(t) {
		lang := c.Tag
		tmpl := template.Must(template.New("").Funcs(template.FuncMap{
			"num":      chart.FormatInt,
			"t":        func(k string) string { return c.T(k) },
			"pct":      c.Pct,
			"barWidth": func(x float64) template.CSS { return template.CSS(web.BarWidth(x)) },
		}).Parse(optionRowsTemplate))
		var want bytes.Buffer
		if err := tmpl.Execute(&want, os); err != nil {
			t.Fatal(err)
		}
		if got := writeOptionRows(c, os); string(got) != want.String() {
			t.Errorf("%s:\n%s\nwant\n%s", lang, got, want.String())
		}
	}
}

// versionHeadsTemplate is the template the versions' column heads were
// written with before writeVersionHeads (the summaries' the same without
// the badge: no flag counts).
const versionHeadsTemplate = `{{range .P}}<th scope="col" class="n" data-source="{{.Source}}">{{t (sourceKey .Source)}} v{{.Version}}{{with index $.FlagCount .ID}} <a class="badge" href="#flags-h" title="{{tn "station.flags_n" .}}">⚠ {{.}}</a>{{end}}</th>{{end}}`

// TestWriteVersionHeadsAsTheTemplate: writeVersionHeads writes, in every
// language, what the template wrote: every source, plural forms of the
// badge, a source that needs escaping, no flag counts at all.
func TestWriteVersionHeadsAsTheTemplate(t *testing.T) {
	var ps []*election.Protocol
	counts := map[int64]int{}
	sources := append(append([]election.Source{}, election.Sources...), `odd"<&>'`)
	for i, src := range sources {
		for j, n := range []int{0, 1, 2, 5, 11, 21, 101} {
			id := int64(i*10 + j + 1)
			ps = append(ps, &election.Protocol{ID: id, Source: src, Version: i + j})
			counts[id] = n
		}
	}
	for _, c := range catalogues(t) {
		lang := c.Tag
		tmpl := template.Must(template.New("").Funcs(template.FuncMap{
			"t":         func(k string) string { return c.T(k) },
			"tn":        c.N,
			"sourceKey": func(s election.Source) string { return "source." + string(s) },
		}).Parse(versionHeadsTemplate))
		for _, fc := range []map[int64]int{counts, nil} {
			var want bytes.Buffer
			if err := tmpl.Execute(&want, map[string]any{"P": ps, "FlagCount": fc}); err != nil {
				t.Fatal(err)
			}
			if got := writeVersionHeads(c, ps, fc); string(got) != want.String() {
				t.Errorf("%s (%d counts):\n%s\nwant\n%s", lang, len(fc), got, want.String())
			}
		}
	}
}

const versionRowsTemplate = `{{range .Figs}}<tr><th scope="row">{{t (figureKey .Name)}}</th>{{.Cells}}</tr>
{{end}}
{{range .Votes}}<tr><th scope="row">{{if eq .Name "Against all"}}{{t "option.against_all"}}{{else}}{{.Name}}{{end}}</th>{{.Cells}}</tr>
{{end}}`

// TestWriteVersionRowsAsTheTemplate: writeVersionRows writes, in every
// language, what the template wrote: every figure's translated name,
// option names that need escaping, "Against all", no rows at all.
func TestWriteVersionRowsAsTheTemplate(t *testing.T) {
	var figs []figureRow
	for f := election.Figure(0); f < election.NumFigures; f++ {
		figs = append(figs, figureRow{Name: f.String(), Cells: template.HTML(`<td class="n diff">1 <span class="sr">(x)</span></td>`)})
	}
	figs = append(figs, figureRow{Name: "ballots_cast", Cells: "<td>–</td>"})
	var votes []voteRow
	for _, n := range []string{"Alpha", "Against all", `<b>"Beta" & 'Co'</b>`, "Ж+Ё", "", "\u2028x"} {
		votes = append(votes, voteRow{Name: n, Cells: template.HTML(`<td class="n">` + template.HTMLEscapeString(n) + `</td>`)})
	}
	for _, c := range catalogues(t) {
		tmpl := template.Must(template.New("").Funcs(template.FuncMap{
			"t":         func(k string) string { return c.T(k) },
			"figureKey": func(name string) string { return "figure." + name },
		}).Parse(versionRowsTemplate))
		for _, d := range []struct {
			figs  []figureRow
			votes []voteRow
		}{{figs, votes}, {nil, votes}, {figs, nil}, {nil, nil}} {
			var want bytes.Buffer
			if err := tmpl.Execute(&want, map[string]any{"Figs": d.figs, "Votes": d.votes}); err != nil {
				t.Fatal(err)
			}
			if got := writeVersionRows(c, d.figs, d.votes); string(got) != want.String() {
				t.Errorf("%s (%d figures, %d options):\n%s\nwant\n%s", c.Tag, len(d.figs), len(d.votes), got, want.String())
			}
		}
	}
}

const sourceOptionsTemplate = `{{$src := or .Source "official-final"}}{{range .Sources}}<option value="{{.}}"{{if eq (print .) $src}} selected{{end}}>{{t (sourceKey .)}}</option>{{end}}`

// TestWriteSourceOptionsAsTheTemplate: writeSourceOptions writes, in every
// language, what the template wrote, for each source asked for, none, and
// one that is no source (a hand-made query).
func TestWriteSourceOptionsAsTheTemplate(t *testing.T) {
	asked := []string{"", `"><script>x</script>`}
	for _, s := range election.Sources {
		asked = append(asked, string(s))
	}
	for _, c := range catalogues(t) {
		tmpl := template.Must(template.New("").Funcs(template.FuncMap{
			"t":         func(k string) string { return c.T(k) },
			"sourceKey": func(s election.Source) string { return "source." + string(s) },
		}).Parse(sourceOptionsTemplate))
		for _, sources := range [][]election.Source{election.Sources[:4], election.Sources, nil} {
			for _, a := range asked {
				var want bytes.Buffer
				if err := tmpl.Execute(&want, map[string]any{"Source": a, "Sources": sources}); err != nil {
					t.Fatal(err)
				}
				if got := writeSourceOptions(c, sources, a); string(got) != want.String() {
					t.Errorf("%s, %q asked:\n%s\nwant\n%s", c.Tag, a, got, want.String())
				}
			}
		}
	}
}
