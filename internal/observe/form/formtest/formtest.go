// Package formtest holds fixtures shared by the tests of package form and
// of the packages beside it (form/xlsform reads and writes workbooks of the
// same sheet rows): an XLSForm's sheet rows, an election and its areas.
// It imports no form code (form's own tests import it), so its fixtures
// are plain rows and election values. Each function returns a fresh copy:
// a test may change what it gets.
package formtest

import (
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// XLSSurvey, XLSChoices and XLSSettings are a mission's voting checklist
// as XLSForm sheets (headers first), with legacy spellings (begin_group,
// TRUE) and vigil's own columns (indicator, flag, sms, phase, sms_prefix).
func XLSSurvey() [][]string {
	return [][]string{
		{"type", "name", "label::English (en)", "label::Russian (ru)", "hint", "required", "constraint", "relevant", "indicator", "flag", "sms"},
		{"start", "start"},
		{"integer", "station", "Polling station", "Участок", "", "yes", ". >= 1", "", "", "", "AA"},
		{"begin group", "procedures", "Procedures"},
		{"select_one yes_no", "sealed", "Boxes sealed?", "Урны опечатаны?", "", "TRUE", "", "", "ballot_boxes_not_sealed", "no", "AB"},
		{"select_one grade", "overall", "Overall", "Общая оценка", "", "yes", "", "", "", "", "AC"},
		{"begin_group", "inner", "Inner"},
		{"select_multiple problems", "problems", "Problems seen", "", "", "", "", "${sealed} = 'no'", "", "", "AD"},
		{"end_group"},
		{"end group"},
		{"select_one kind", "kind", "Kind", "Вид"},
		{"decimal", "share", "Share"},
		{"text", "comment", "Comment"},
		{"time", "arrival", "Arrival", "", "", "", "", "", "", "", "AE"},
		{"date", "day", "Day"},
		{"image", "photo", "Photo"},
		{"note", "thanks", "Thank you"},
		{"integer", "voters", "Voters", "", "", "", ". >= 0 and . < 5000"},
		{"integer", "odd", "Odd", "", "", "", ". mod 2 = 1"},
		{"", ""},
	}
}

// XLSChoices is the choices sheet of XLSSurvey.
func XLSChoices() [][]string {
	return [][]string{
		{"list_name", "name", "label::English (en)", "label::Russian (ru)"},
		{"yes_no", "yes", "Yes", "Да"},
		{"yes_no", "no", "No", "Нет"},
		{"grade", "very_good", "Very good"},
		{"grade", "good", "Good"},
		{"grade", "bad", "Bad"},
		{"grade", "very_bad", "Very bad"},
		{"problems", "queue", "Queues"},
		{"problems", "crowd", "Crowding"},
		{"kind", "a", "A", "А"},
		{"kind", "b", "B", "Б"},
	}
}

// XLSSettings is the settings sheet of XLSSurvey.
func XLSSettings() [][]string {
	return [][]string{
		{"form_title", "form_id", "version", "phase", "sms_prefix"},
		{"Mission voting", "mission_voting", "2026112301", "voting", "mv"},
	}
}

// FeatSurvey, FeatChoices and FeatSettings are an ODIHR-style checklist
// using the XLSForm features observers' forms use: cascading selects,
// repeats, calculations, or_other, geopoint, acknowledge, range,
// conditional requirements with messages, three languages, the legacy
// spellings.
func FeatSurvey() [][]string {
	return [][]string{
		{"type", "name", "label::English (en)", "label::Russian (ru)", "label:Kazakh (kk)", "hint::English (en)",
			"required", "required_message::English (en)", "constraint", "constraint_message::English (en)",
			"relevant", "calculation", "default", "choice_filter", "appearance", "parameters", "media::image::English (en)",
			"guidance_hint::English (en)", "repeat_count"},
		{"acknowledge", "ready", "Ready to start?", "Готовы?", "Дайынсыз ба?"},
		{"select one from regions", "region", "Region", "Область", "Облыс", "", "yes"},
		{"select_one districts", "district", "District", "Район", "Аудан", "", "yes", "", "", "", "", "", "", "region=${region}"},
		{"select_one stations", "station", "Station", "Участок", "Учаске", "", "yes", "", "", "", "", "", "", "district=${district}", "minimal"},
		{"geopoint", "where", "Where are you?", "Где вы?", "Қайдасыз?"},
		{"integer", "voters", "Voters on the list", "", "", "From the list", "yes", "Give the number", ". >= 0 and . <= 5000", "0 to 5000"},
		{"integer", "ballots", "Ballots in the box", "", "", "", "${voters} > 0", "Needed when there are voters", ". <= ${voters}", "No more than the voters"},
		{"calculate", "turnout", "", "", "", "", "", "", "", "", "", "${ballots} div ${voters}"},
		{"range", "queue", "Queue length", "", "", "", "", "", "", "", "", "", "0", "", "", "start=0 end=100 step=10"},
		{"select all that apply from problems or_other", "problems", "Problems", "Нарушения", "Бұзушылықтар", "", "", "", "", "", "", "", "", "", "", "", "problems.png", "Ask the chair first"},
		{"begin repeat", "incident", "Incident", "Инцидент", "Оқиға"},
		{"text", "what", "What happened at ${station}?", "Что произошло?", "Не болды?"},
		{"time", "when", "When"},
		{"end repeat"},
		{"begin group", "closing", "Closing", "", "", "", "", "", "", "", "${ready} = 'OK'", "", "", "", "field-list"},
		{"note", "bye", "Thank you, ${turnout}"},
		{"end group"},
	}
}

// FeatChoices is the choices sheet of FeatSurvey.
func FeatChoices() [][]string {
	return [][]string{
		{"list_name", "name", "label::English (en)", "label::Russian (ru)", "label:Kazakh (kk)", "region", "district"},
		{"regions", "north", "North", "Север", "Солтүстік"},
		{"regions", "south", "South", "Юг", "Оңтүстік"},
		{"districts", "n1", "North 1", "Север 1", "Солтүстік 1", "north"},
		{"districts", "s1", "South 1", "Юг 1", "Оңтүстік 1", "south"},
		{"stations", "st101", "PS 101", "УИК 101", "101", "north", "n1"},
		{"stations", "st201", "PS 201", "УИК 201", "201", "south", "s1"},
		{"problems", "queue", "Queues", "Очереди", "Кезек"},
	}
}

// FeatSettings is the settings sheet of FeatSurvey.
func FeatSettings() [][]string {
	return [][]string{
		{"form_title", "form_id", "default_language", "instance_name", "phase"},
		{"Voting checklist", "odihr_voting", "English (en)", "concat(${station}, '-', ${district})", "voting"},
	}
}

// Election is a presidential election with two candidates and "against
// all".
func Election() *election.Election {
	return &election.Election{Name: "pres-2022", Kind: election.Presidential, Options: []election.Option{
		{Position: 0, Name: "Candidate A", Kind: election.Candidate},
		{Position: 1, Name: "Candidate B", Kind: election.Candidate},
		{Position: 2, Name: "Against all", Kind: election.AgainstAll},
	}}
}

// Areas: two regions, three districts, stations numbered per district
// (two share number 1).
func Areas() []election.Area {
	return []election.Area{
		{ID: 1, Level: 0, Name: "Country"},
		{ID: 2, ParentID: 1, Level: 1, Name: "North", Path: []string{"North"}},
		{ID: 3, ParentID: 1, Level: 1, Name: "South", Path: []string{"South"}},
		{ID: 4, ParentID: 2, Level: 2, Name: "N-1", Path: []string{"North", "N-1"}},
		{ID: 5, ParentID: 3, Level: 2, Name: "S-1", Path: []string{"South", "S-1"}},
		{ID: 6, ParentID: 3, Level: 2, Name: "S-2", Path: []string{"South", "S-2"}},
		{ID: 7, ParentID: 4, Level: 3, Name: "PS 1", Path: []string{"North", "N-1", "PS 1"}, Station: true},
		{ID: 8, ParentID: 5, Level: 3, Name: "PS 1", Path: []string{"South", "S-1", "PS 1"}, Station: true},
		{ID: 9, ParentID: 6, Level: 3, Name: "PS 12", Path: []string{"South", "S-2", "PS 12"}, Station: true},
	}
}

// StationNumber is a station's number as Areas names it ("PS 12" is 12).
func StationNumber(a *election.Area) string { return strings.TrimPrefix(a.Name, "PS ") }
