package opendata

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/web"
)

// Open data: every protocol of an election, one file per source and
// format, one row per area (the latest version of its protocol), with
// stable identifiers: the area id of the database and the area's path of
// names. The files are streamed: rows are written as they are read.
//
//	/api/v1/elections/{election}/opendata/{source}.csv
//	/api/v1/elections/{election}/opendata/{source}.json
//	/api/v1/elections/{election}/opendata/{source}.xlsx
//	/api/v1/elections/{election}/opendata/README.md

func (s *room) routes() {
	s.Mux().Handle("GET /api/v1/elections/{election}/opendata/{file}", s.Serve(s.apiOpenData))
	s.Mux().Handle("GET /elections/{election}/data", s.Serve(s.pageData))
}

// openFormats are the formats of the open data, by file extension.
var openFormats = []string{"csv", "json", "xlsx"}

// openTable is the open data of one election and source, ready to write.
type openTable struct {
	e       *election.Election
	source  election.Source
	levels  []string // names of the path columns
	columns []string // every column, in order
	rows    []openRow
}

type openRow struct {
	p    *election.Protocol
	area *election.Area
}

func (s *room) openData(ctx context.Context, e *election.Election, src election.Source) (*openTable, error) {
	areas, err := s.DB().Areas(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*election.Area, len(areas))
	depth := 0
	for i := range areas {
		byID[areas[i].ID] = &areas[i]
		depth = max(depth, len(areas[i].Path))
	}
	ps, err := s.DB().Protocols(ctx, e.ID, src)
	if err != nil {
		return nil, err
	}
	t := &openTable{e: e, source: src}
	for k := range depth {
		name := "level_" + strconv.Itoa(k+1)
		if k < len(e.Config.AreaLevels) && e.Config.AreaLevels[k] != "" {
			name = e.Config.AreaLevels[k]
		}
		t.levels = append(t.levels, name)
	}
	t.columns = append([]string{"election", "source", "area_id", "area_path"}, t.levels...)
	// "is_station", not "station": the lowest level is often named
	// "station", and a header with a name twice confuses every reader
	// (pandas renames the second "station.1").
	t.columns = append(t.columns, "is_station", "protocol_id", "version", "received")
	for f := election.Figure(0); f < election.NumFigures; f++ {
		t.columns = append(t.columns, f.String())
	}
	for _, o := range e.Options {
		t.columns = append(t.columns, o.Name)
	}
	for _, p := range ps {
		if a := byID[p.AreaID]; a != nil {
			t.rows = append(t.rows, openRow{p, a})
		}
	}
	return t, nil
}

// values returns row r's cells: strings, int64s, or nil where a figure is
// not stated.
func (t *openTable) values(r openRow) []any {
	v := make([]any, 0, len(t.columns))
	v = append(v, t.e.Name, string(t.source), r.area.ID, strings.Join(r.area.Path, " / "))
	for k := range t.levels {
		if k < len(r.area.Path) {
			v = append(v, r.area.Path[k])
		} else {
			v = append(v, nil)
		}
	}
	station := int64(0)
	if r.area.Station {
		station = 1
	}
	v = append(v, station, r.p.ID, int64(r.p.Version), r.p.Received.UTC().Format(time.RFC3339))
	for f := election.Figure(0); f < election.NumFigures; f++ {
		if n, ok := r.p.Figures.Get(f); ok {
			v = append(v, n)
		} else {
			v = append(v, nil)
		}
	}
	for _, o := range t.e.Options {
		if o.Position < len(r.p.Votes) {
			v = append(v, r.p.Votes[o.Position])
		} else {
			v = append(v, nil)
		}
	}
	return v
}

func cellString(x any) string {
	switch x := x.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(x)
}

func (s *room) apiOpenData(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	file := r.PathValue("file")
	if file == "README.md" {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		return s.renderOpenReadme(w, r, e)
	}
	name, ext, ok := strings.Cut(file, ".")
	if !ok {
		return web.Errorf(web.NotFound, "open data file %q: want <source>.csv, .json or .xlsx, or README.md", file)
	}
	src, err := election.ParseSource(name)
	if err != nil {
		return web.Errorf(web.NotFound, "open data file %q: %v", file, err)
	}
	t, err := s.openData(r.Context(), e, src)
	if err != nil {
		return err
	}
	base := web.URLKey(e) + "-" + string(src) // safe characters only, for the header
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=60")
	switch ext {
	case "csv":
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+base+`.csv"`)
		// A byte-order mark first: Excel, which most readers of these
		// files open them with, reads a CSV without one in the system's
		// code page and shows Cyrillic or Kazakh names as mojibake; pandas,
		// R and LibreOffice skip it. ?bom=0 leaves it out, for tools that
		// do not.
		if r.URL.Query().Get("bom") != "0" {
			if _, err := w.Write([]byte("\ufeff")); err != nil {
				return err
			}
		}
		return t.writeCSV(w)
	case "json":
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+base+`.json"`)
		return t.writeJSON(w)
	case "xlsx":
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", `attachment; filename="`+base+`.xlsx"`)
		return t.writeXLSX(w)
	}
	return web.Errorf(web.NotFound, "open data format %q: want csv, json or xlsx", ext)
}

// csvText neutralises a text cell that a spreadsheet would run as a
// formula (CSV injection: names come from imported files, and a cell
// "=HYPERLINK(…)" or "@SUM(…)" is code when the file is opened in Excel or
// LibreOffice): a leading = + - @ tab or carriage return gets a ' in
// front, which spreadsheets show as text and hide. Numbers are written
// as numbers, never through here, so -5 stays -5. The XLSX writes text
// cells as strings, which are never formulas.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (t *openTable) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.columns))
	for i, c := range t.columns {
		head[i] = csvText(c)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.columns))
	for _, r := range t.rows {
		for i, v := range t.values(r) {
			if s, ok := v.(string); ok {
				rec[i] = csvText(s)
			} else {
				rec[i] = cellString(v)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes {"election", "source", "columns", "rows": [{...}]}, each
// row an object keyed by column with figures and votes grouped, streamed
// row by row.
func (t *openTable) writeJSON(w http.ResponseWriter) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, _ := json.Marshal(map[string]any{"election": t.e.Name, "source": t.source, "columns": t.columns, "options": t.e.Options})
	bw.Write(head[:len(head)-1])
	bw.WriteString(`,"rows":[`)
	for i, r := range t.rows {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		figs := r.p.Figures.Map()
		votes := make(map[string]int64, len(t.e.Options))
		for _, o := range t.e.Options {
			if o.Position < len(r.p.Votes) {
				votes[o.Name] = r.p.Votes[o.Position]
			}
		}
		b, err := json.Marshal(struct {
			AreaID     int64            `json:"area_id"`
			AreaPath   string           `json:"area_path"`
			Path       []string         `json:"path"`
			Station    bool             `json:"station"`
			ProtocolID int64            `json:"protocol_id"`
			Version    int              `json:"version"`
			Received   time.Time        `json:"received"`
			Figures    map[string]int64 `json:"figures"`
			Votes      map[string]int64 `json:"votes"`
		}{r.area.ID, strings.Join(r.area.Path, " / "), r.area.Path, r.area.Station, r.p.ID, r.p.Version, r.p.Received.UTC(), figs, votes})
		if err != nil {
			return err
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// writeXLSX writes the rows with excelize's streaming writer, and a second
// sheet naming the columns.
func (t *openTable) writeXLSX(w http.ResponseWriter) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "data"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	// The streaming writer writes the sheet's <dimension> when it starts
	// and leaves it at "A1" unless told: readers that trust it (openpyxl
	// read-only, pyxform) would see one cell. The size is known already.
	if err := f.SetSheetDimension(sheet, sheetRange(len(t.columns), len(t.rows)+1)); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	head := make([]any, len(t.columns))
	for i, c := range t.columns {
		head[i] = c
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for i, r := range t.rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, t.values(r)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if _, err := f.NewSheet("columns"); err != nil {
		return err
	}
	f.SetCellValue("columns", "A1", "column")
	f.SetCellValue("columns", "B1", "meaning")
	for i, c := range t.columns {
		f.SetCellValue("columns", "A"+strconv.Itoa(i+2), c)
		f.SetCellValue("columns", "B"+strconv.Itoa(i+2), columnMeaning(c, t))
	}
	if err := f.SetSheetDimension("columns", sheetRange(2, len(t.columns)+1)); err != nil {
		return err
	}
	return f.Write(w)
}

// sheetRange is the reference of cols × rows cells from A1, "A1:K5".
func sheetRange(cols, rows int) string {
	end, _ := excelize.CoordinatesToCellName(max(cols, 1), max(rows, 1))
	return "A1:" + end
}

// columnMeaning documents a column, for the README and the XLSX.
func columnMeaning(c string, t *openTable) string {
	switch c {
	case "election":
		return "the election's name in vigil"
	case "source":
		return "who produced the protocol: official-preliminary, official-final, observer, recount, summary"
	case "area_id":
		return "the area's id in this vigil database: stable while the election is not re-imported"
	case "area_path":
		return "the area's names from the top level down, joined by \" / \": stable across databases"
	case "is_station":
		return "1 for a polling station, 0 for a higher area (summary protocols)"
	case "protocol_id":
		return "the protocol version's id in this vigil database"
	case "version":
		return "the version of this source's protocol for the area (1 = first imported); the latest is given"
	case "received":
		return "when vigil received this version (UTC, RFC 3339)"
	}
	for k, l := range t.levels {
		if c == l {
			return "the area's name at level " + strconv.Itoa(k+1) + " of the hierarchy"
		}
	}
	if f, ok := election.ParseFigure(c); ok {
		return "protocol figure " + f.String() + " (empty when the protocol does not state it)"
	}
	return "votes for the option " + c
}

type dataPage struct {
	C       web.PageCommon
	Sources []dataSource
	Formats []string
	Key     string
}

type dataSource struct {
	Source election.Source
	Count  int
}

func (s *room) pageData(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	counts, err := s.DB().SourceCounts(r.Context(), e.ID)
	if err != nil {
		return err
	}
	p := &dataPage{C: s.Common(r, e, e.Title(), "nav.data"), Formats: openFormats, Key: web.URLKey(e)}
	for _, src := range election.Sources {
		if counts[src] > 0 {
			p.Sources = append(p.Sources, dataSource{src, counts[src]})
		}
	}
	return s.Render(w, r, http.StatusOK, "data.html", p)
}

func (s *room) renderOpenReadme(w http.ResponseWriter, r *http.Request, e *election.Election) error {
	t, err := s.openData(r.Context(), e, election.OfficialFinal)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# Open data of %s\n\n", e.Name)
	fmt.Fprintf(bw, "Every protocol vigil holds for this election, one file per source, the latest version of each area's protocol, one row per area.\n\n")
	fmt.Fprintf(bw, "Files: `/api/v1/elections/%s/opendata/{source}.{csv,json,xlsx}` with source one of official-preliminary, official-final, observer, recount, summary.\n\n", web.URLKey(e))
	fmt.Fprintf(bw, "- CSV: UTF-8 with a byte-order mark (so that Excel reads the names right; `?bom=0` gives the file without it), comma-separated, a header row, empty cells where a protocol does not state a figure.\n")
	fmt.Fprintf(bw, "- JSON: an object with `election`, `source`, `columns`, `options` and `rows`; each row has `area_id`, `area_path`, `path`, `station` (true for a polling station: the CSV's `is_station`), `protocol_id`, `version`, `received`, `figures` (by figure name) and `votes` (by option name).\n")
	fmt.Fprintf(bw, "- XLSX: sheet `data` as the CSV, sheet `columns` with this table.\n\n")
	fmt.Fprintf(bw, "Identifiers: `area_path` (names from the top down) is stable across databases and imports; `area_id` is stable within this database.\n\n")
	fmt.Fprintf(bw, "| column | meaning |\n|---|---|\n")
	for _, c := range t.columns {
		fmt.Fprintf(bw, "| %s | %s |\n", c, columnMeaning(c, t))
	}
	return bw.Flush()
}
