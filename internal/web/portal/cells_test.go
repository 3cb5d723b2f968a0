package portal

import (
	"bytes"
	"html/template"
	"net/http/httptest"
	"testing"

	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/chart"
)

// cellTemplate is the template the versions' cells were written with
// before writeCells.
const cellTemplate = `{{range .}}<td class="n{{if .Differs}} diff{{end}}{{if .Flagged}} flagged{{end}}">{{if .Flagged}}<span aria-hidden="true">⚠ </span>{{end}}{{if .Known}}{{num .Value}}{{if .Differs}} <span class="sr">({{t "station.differs_cell"}})</span>{{end}}{{else}}–{{end}}{{if .Flagged}} <span class="sr">({{t "station.flagged_cell"}})</span>{{end}}</td>{{end}}`

// TestWriteCellsAsTheTemplate: writeCells writes, in every language, what
// the template wrote, for every kind of cell.
func TestWriteCellsAsTheTemplate(t *testing.T) {
	srv, err := web.New(storetest.SQLite(t), web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cells []figureCell
	for _, v := range []int64{0, 7, -3, 1234567, 10_000_000_000} {
		for k := range 8 {
			cells = append(cells, figureCell{Value: v, Known: k&1 != 0, Differs: k&2 != 0, Flagged: k&4 != 0})
		}
	}
	for _, lang := range []string{"en", "ru", "kk"} {
		c := srv.CatalogueFor(httptest.NewRequest("GET", "/?lang="+lang, nil))
		if c.Tag != lang {
			t.Fatalf("asked %s, got the catalogue %s", lang, c.Tag)
		}
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
