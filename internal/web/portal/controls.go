package portal

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
	"github.com/vigil-elections/vigil/internal/web"
)

// The stations that fail the arithmetic controls: every flag of the latest
// version of every source's protocols, by control code, with filters (code,
// source, region) and the same list as CSV. The page shows one page of
// flags at a time; the flags are computed once per protocol stamp and
// query, like every portal page.

const controlsPerPage = 100

type controlCount struct {
	Code string
	N    int
}

type controlsPage struct {
	C        web.PageCommon
	Flags    []election.Flag
	Total    int // flags that pass the filters
	All      int // flags of the election
	Counts   []controlCount
	Regions  []string
	Sources  []election.Source
	Code     string
	Source   string
	Region   string
	Page     int
	Pages    int
	Base     string
	CSV      string
	AreaBase string
}

func (s *room) pageControls(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	code, src, region, format := q.Get("code"), q.Get("source"), q.Get("region"), q.Get("format")
	if code != "" && !knownControl(code) {
		return &web.Error{Code: web.Invalid, Field: "code", Message: "code " + strconv.Quote(code) + ": not an arithmetic control"}
	}
	if src != "" {
		if _, err := election.ParseSource(src); err != nil {
			return &web.Error{Code: web.Invalid, Field: "source", Message: err.Error()}
		}
	}
	if format != "" && format != "csv" {
		return &web.Error{Code: web.Invalid, Field: "format", Message: "format: want csv, or none for the page"}
	}
	page := 1
	if p := q.Get("page"); p != "" {
		if page, err = strconv.Atoi(p); err != nil || page < 1 {
			return &web.Error{Code: web.Invalid, Field: "page", Message: "page: want a number from 1"}
		}
	}
	stamp, err := s.PortalStamp(r, e.ID)
	if err != nil {
		return err
	}
	ctype := "text/html; charset=utf-8"
	if format == "csv" {
		ctype = "text/csv; charset=utf-8"
	}
	return s.ServePage(w, r, s.PageKey(r), stamp, ctype, func(r *http.Request) ([]byte, error) {
		// The flagged protocols alone, not the whole tabulation (30 s for
		// the first request at 1,000,000 stations): tally.CheckAll's flags.
		flags, err := stored.FlagsStore(r.Context(), s.PortalDB(), e)
		if err != nil {
			return nil, err
		}
		rep := election.Report{Flags: flags}
		d := &controlsPage{C: s.Common(r, e, e.Title(), "nav.controls"), Code: code, Source: src, Region: region, Page: page, All: len(rep.Flags),
			AreaBase: "/elections/" + strconv.FormatInt(e.ID, 10) + "/areas/"}
		counts := map[string]int{}
		regions := map[string]bool{}
		sources := map[election.Source]bool{}
		var kept []election.Flag
		for _, f := range rep.Flags {
			reg, _, _ := strings.Cut(f.Station, " / ")
			regions[reg] = true
			sources[f.Source] = true
			if src != "" && string(f.Source) != src || region != "" && reg != region {
				continue
			}
			counts[f.Code]++ // by code within the other filters, so each count is what its link shows
			if code != "" && f.Code != code {
				continue
			}
			kept = append(kept, f)
		}
		if format == "csv" {
			return controlsCSV(kept)
		}
		for _, c := range election.Controls {
			if counts[c.Code] > 0 {
				d.Counts = append(d.Counts, controlCount{c.Code, counts[c.Code]})
			}
		}
		for reg := range regions {
			d.Regions = append(d.Regions, reg)
		}
		sort.Strings(d.Regions)
		for _, s := range election.Sources {
			if sources[s] {
				d.Sources = append(d.Sources, s)
			}
		}
		d.Total = len(kept)
		d.Pages = max(1, (d.Total+controlsPerPage-1)/controlsPerPage)
		if page > d.Pages {
			return nil, web.Errorf(web.NotFound, "page %d: there are %d", page, d.Pages)
		}
		d.Flags = kept[min(len(kept), (page-1)*controlsPerPage):min(len(kept), page*controlsPerPage)]
		d.Base = web.WithQuery(r.URL.Path, "code", code, "source", src, "region", region)
		d.CSV = web.WithQuery(d.Base, "format", "csv")
		return s.RenderBytes(r, "controls.html", d)
	})
}

func knownControl(code string) bool {
	for _, c := range election.Controls {
		if c.Code == code {
			return true
		}
	}
	return false
}

// controlsCSV writes the flags as CSV; text cells that a spreadsheet would
// take for a formula are quoted with a leading apostrophe.
func controlsCSV(flags []election.Flag) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // Excel reads UTF-8 only with a BOM
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"area_path", "area_id", "code", "message", "source", "version", "protocol_id", "item", "difference"})
	for _, f := range flags {
		cw.Write([]string{safeCell(f.Station), strconv.FormatInt(f.AreaID, 10), f.Code, safeCell(f.Message), string(f.Source),
			strconv.Itoa(f.Version), strconv.FormatInt(f.ProtocolID, 10), safeCell(f.Item), strconv.FormatInt(f.Difference, 10)})
	}
	cw.Flush()
	return buf.Bytes(), cw.Error()
}

func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
