package form

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// StationHelperPrefix starts the ids of the cascade questions BindStations
// adds (station_area_1 for regions, station_area_2 for districts, …, the
// last one listing the stations). They only narrow the choice: the station's
// number is stored under StationID as before, so SMS, report placement and
// the JSON API see no difference. A submission's fields so named are not
// answers and are dropped when it is read, whichever form version it names.
const StationHelperPrefix = "station_area_"

// MaxCascadeStations is the most choices a list of BindStations' cascade
// carries inside the form. The lists travel inside the XForm (secondary
// instances) and the web form page; each station adds about 290 bytes to
// the XForm (its labels in three languages and its instance item: 590 kB
// at this many). A longer list is served as form media instead: a CSV
// (StationsMedia) that the XForm reads as an external instance
// (jr://file-csv/NAME, listed in the OpenRosa manifest), so ODK Collect
// and Enketo get the full station list however large the election.
const MaxCascadeStations = 2000

// IsStationHelper reports whether a question id (or instance field) is one
// of BindStations' cascade questions.
func IsStationHelper(id string) bool { return strings.HasPrefix(id, StationHelperPrefix) }

// BindStations returns f with a cascading selection of its station: before
// the integer question StationID come one select per level of the
// election's area tree above the stations (region → district → station,
// each filtered by the one before, XLSForm choice_filter "parent =
// ${…}"), the last listing the stations by number; the station question
// is then calculated from that last select, so ODK clients and the web form
// fill in the number, which stays the stored answer. number gives a
// station's number (observe.StationNumber); stations without one are left
// out. f is returned unchanged when it has no integer station question,
// when the stations do not all sit at the same depth below at least one
// level, or when there are more than MaxCascadeStations of them.
func BindStations(f *Form, areas []election.Area, number func(*election.Area) string) *Form {
	return bindStations(f, areas, number, nil)
}

// StationsMedia returns the form media files of BindStations' cascade for
// the same form and areas: for each list too long to travel inside the
// form (more than MaxCascadeStations choices), a CSV by file name with the
// columns name, label and parent, as ODK's select_one_from_file reads it.
// Nil when the cascade has none.
func StationsMedia(f *Form, areas []election.Area, number func(*election.Area) string) map[string][]byte {
	media := map[string]*csvFile{}
	bindStations(f, areas, number, media)
	if len(media) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(media))
	for name, c := range media {
		c.w.Flush()
		out[name] = c.buf.Bytes()
	}
	return out
}

// csvFile is a CSV being written.
type csvFile struct {
	buf bytes.Buffer
	w   *csv.Writer
}

func newCSV() *csvFile {
	c := &csvFile{}
	c.w = csv.NewWriter(&c.buf)
	c.w.Write([]string{"name", "label", "parent"}) // to a buffer: cannot fail
	return c
}

// ItemsetFileName is the media file of a cascade list served outside the
// form: the list's question id and ".csv".
func ItemsetFileName(qid string) string { return qid + ".csv" }

// bindStations is BindStations; a list of more than MaxCascadeStations
// choices is left out of the form (its question's ItemsetFile names the
// CSV) and, when media is not nil, written to it.
func bindStations(f *Form, areas []election.Area, number func(*election.Area) string, media map[string]*csvFile) *Form {
	si := slices.IndexFunc(f.Questions, func(q Question) bool { return q.ID == StationID && q.Type == Integer && q.Group == "" })
	if si < 0 {
		return f
	}
	byID := map[int64]*election.Area{}
	var stations []*election.Area
	depth := -1
	for i := range areas {
		a := &areas[i]
		byID[a.ID] = a
		if !a.Station || number(a) == "" {
			continue
		}
		if depth >= 0 && len(a.Path) != depth {
			return f
		}
		depth = len(a.Path)
		stations = append(stations, a)
	}
	if len(stations) == 0 || depth < 2 {
		return f
	}
	// The areas of each level that hold a station, in path order.
	levels := make([][]*election.Area, depth-1)
	seen := map[int64]bool{}
	for _, s := range stations {
		for a := byID[s.ParentID]; a != nil && a.Level > 0 && !seen[a.ID]; a = byID[a.ParentID] {
			seen[a.ID] = true
			k := len(a.Path) - 1
			if k < 0 || k >= len(levels) {
				return f // a tree whose levels do not follow the paths
			}
			levels[k] = append(levels[k], a)
		}
	}
	byPath := func(a, b *election.Area) int { return slices.Compare(a.Path, b.Path) }
	for _, l := range levels {
		if len(l) == 0 {
			return f
		}
		slices.SortFunc(l, byPath)
	}
	slices.SortFunc(stations, byPath)

	g := *f
	var helpers []Question
	for k, l := range levels {
		q := Question{ID: fmt.Sprintf("%s%d", StationHelperPrefix, k+1), Type: SingleChoice, Helper: true,
			Label: levelLabel(k, len(levels))}
		q.List = q.ID
		if k > 0 {
			q.ChoiceFilter = fmt.Sprintf("parent = ${%s%d}", StationHelperPrefix, k)
		}
		if k > 0 && len(l) > MaxCascadeStations {
			q.ItemsetFile = ItemsetFileName(q.ID)
			if media != nil {
				c := newCSV()
				for _, a := range l {
					c.w.Write([]string{strconv.FormatInt(a.ID, 10), a.Name, strconv.FormatInt(a.ParentID, 10)})
				}
				media[q.ItemsetFile] = c
			}
			helpers = append(helpers, q)
			continue
		}
		for _, a := range l {
			c := Choice{Value: strconv.FormatInt(a.ID, 10), Label: Label{EN: a.Name}}
			if k > 0 {
				c.Extra = map[string]string{"parent": strconv.FormatInt(a.ParentID, 10)}
			}
			q.Choices = append(q.Choices, c)
		}
		helpers = append(helpers, q)
	}
	last := Question{ID: fmt.Sprintf("%s%d", StationHelperPrefix, len(levels)+1), Type: SingleChoice, Helper: true,
		Label:        Label{EN: "Polling station", RU: "Избирательный участок", KK: "Сайлау учаскесі"},
		ChoiceFilter: fmt.Sprintf("parent = ${%s%d}", StationHelperPrefix, len(levels))}
	last.List = last.ID
	values := map[string]bool{}
	var file *csvFile
	if len(stations) > MaxCascadeStations {
		last.ItemsetFile = ItemsetFileName(last.ID)
		if media != nil {
			file = newCSV()
			media[last.ItemsetFile] = file
		}
	}
	for _, s := range stations {
		if last.ItemsetFile != "" {
			// Numbers may repeat under two parents in the file too:
			// the filter tells them apart.
			if file != nil {
				file.w.Write([]string{number(s), s.Name, strconv.FormatInt(s.ParentID, 10)})
			}
			continue
		}
		n := number(s)
		if values[n] {
			// Numbered per district: the same number under two
			// parents, which the filter tells apart.
			g.AllowChoiceDuplicates = true
		}
		values[n] = true
		last.Choices = append(last.Choices, Choice{Value: n, Label: Label{EN: s.Name},
			Extra: map[string]string{"parent": strconv.FormatInt(s.ParentID, 10)}})
	}
	helpers = append(helpers, last)
	st := f.Questions[si]
	st.Calculation = "${" + last.ID + "}"
	g.Questions = make([]Question, 0, len(f.Questions)+len(helpers))
	g.Questions = append(g.Questions, f.Questions[:si]...)
	g.Questions = append(g.Questions, helpers...)
	g.Questions = append(g.Questions, st)
	g.Questions = append(g.Questions, f.Questions[si+1:]...)
	return &g
}

// levelLabel names the k-th of n levels above the stations: the one just
// above them is the district (territorial) commission, the one above that
// the region.
func levelLabel(k, n int) Label {
	switch n - 1 - k {
	case 0:
		return Label{EN: "District (territorial commission)", RU: "Район (территориальная комиссия)", KK: "Аудан (аумақтық комиссия)"}
	case 1:
		return Label{EN: "Region", RU: "Регион", KK: "Облыс"}
	}
	return Label{EN: fmt.Sprintf("Area (level %d)", k+1), RU: fmt.Sprintf("Территория (уровень %d)", k+1), KK: fmt.Sprintf("Аумақ (%d-деңгей)", k+1)}
}
