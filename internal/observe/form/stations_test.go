package form

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form/formtest"
)

// testAreas: two regions, three districts, stations numbered per
// district (two share number 1).
func testAreas() []election.Area { return formtest.Areas() }

func testNumber(a *election.Area) string { return formtest.StationNumber(a) }

func TestBindStations(t *testing.T) {
	f := BindStations(BindElection(VotingTemplate(), testElection()), testAreas(), testNumber)
	var ids []string
	for _, q := range f.Questions[:4] {
		ids = append(ids, q.ID)
	}
	if strings.Join(ids, ",") != "station_area_1,station_area_2,station_area_3,station" {
		t.Fatalf("questions %v", ids)
	}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	st := f.Questions[3]
	if st.Type != Integer || st.SMS != "AA" || st.Calculation != "${station_area_3}" || !f.AllowChoiceDuplicates {
		t.Errorf("station %+v, duplicates %v", st, f.AllowChoiceDuplicates)
	}
	if q := f.Questions[2]; len(q.Choices) != 3 || q.Choices[2].Value != "12" || q.Choices[2].Extra["parent"] != "6" || q.ChoiceFilter != "parent = ${station_area_2}" {
		t.Errorf("station list %+v", q)
	}
	x := string(XForm(f))
	for _, want := range []string{`instance('station_area_3')/root/item[parent =  /data/station_area_2 ]`, `calculate=" /data/station_area_3 "`} {
		if !strings.Contains(x, want) {
			t.Errorf("XForm lacks %s", want)
		}
	}
	// A submission from the cascade stores only the station's number,
	// read with the form as the submission path binds it (no areas).
	inst, err := ParseInstance(strings.NewReader(`<data id="voting" version="` + TemplateVersion + `"><station_area_1>3</station_area_1><station_area_2>6</station_area_2><station_area_3>12</station_area_3><station>12</station><arrival_time>07:30:00.000+05:00</arrival_time></data>`))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []*Form{f, BindElection(VotingTemplate(), testElection())} {
		a, probs := g.ReadInstance(inst)
		if len(probs) != 0 || len(a) != 2 || !a[StationID].Equal(IntValue(12)) {
			t.Errorf("read %v, problems %v", a, probs)
		}
	}
	// Stations at different depths, or too many: the typed number stays.
	mixed := append(testAreas(), election.Area{ID: 10, ParentID: 2, Level: 2, Name: "PS 5", Path: []string{"North", "PS 5"}, Station: true})
	if g := BindStations(VotingTemplate(), mixed, testNumber); len(g.Questions) != len(VotingTemplate().Questions) {
		t.Error("cascade over a ragged tree")
	}
	big := testAreas()
	for i := range MaxCascadeStations {
		big = append(big, election.Area{ID: int64(100 + i), ParentID: 4, Level: 3, Name: "PS x", Path: []string{"North", "N-1", "PS x"}, Station: true})
	}
	// Above MaxCascadeStations the station list is form media: the
	// XForm reads it as an external CSV instance, StationsMedia writes it.
	g := BindStations(BindElection(VotingTemplate(), testElection()), big, testNumber)
	last := g.Question("station_area_3")
	if last == nil || last.ItemsetFile != "station_area_3.csv" || len(last.Choices) != 0 {
		t.Fatalf("station list above MaxCascadeStations: %+v", last)
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
	// A stored form cannot name a media file of its own.
	own := VotingTemplate()
	own.Questions[0].ItemsetFile = "x.csv"
	if err := own.Check(); err == nil || !strings.Contains(err.Error(), "itemset_file") {
		t.Errorf("a form naming its own itemset file: %v", err)
	}
	x = string(XForm(g))
	for _, want := range []string{`<instance id="station_area_3" src="jr://file-csv/station_area_3.csv"/>`,
		`<itemset nodeset="instance('station_area_3')/root/item[parent =  /data/station_area_2 ]"><value ref="name"/><label ref="label"/></itemset>`} {
		if !strings.Contains(x, want) {
			t.Errorf("XForm lacks %s", want)
		}
	}
	if len(x) > 100_000 {
		t.Errorf("XForm of %d bytes with the list outside", len(x))
	}
	media := StationsMedia(BindElection(VotingTemplate(), testElection()), big, testNumber)
	rows, err := csv.NewReader(bytes.NewReader(media["station_area_3.csv"])).ReadAll()
	if err != nil || len(media) != 1 {
		t.Fatalf("media %d files: %v", len(media), err)
	}
	if len(rows) != MaxCascadeStations+4 || strings.Join(rows[0], ",") != "name,label,parent" || strings.Join(rows[1], ",") != "1,PS 1,4" {
		t.Errorf("%d rows, first %v %v", len(rows), rows[0], rows[1])
	}
	if StationsMedia(BindElection(VotingTemplate(), testElection()), testAreas(), testNumber) != nil {
		t.Error("media for a small election")
	}
	// Tabulation asks a commission, not a station: unchanged.
	if g := BindStations(TabulationTemplate(), testAreas(), testNumber); len(g.Questions) != len(TabulationTemplate().Questions) {
		t.Error("cascade in tabulation")
	}
}
