package form

import (
	"fmt"

	"github.com/vigil-elections/vigil/internal/election"
)

// The key indicators of the default templates, modelled on the ones an
// OSCE/ODIHR statement quotes ("ballot box stuffing was observed in N
// stations"). The names are stable: findings and published data use them.
const (
	IndBallotSecrecyNotEnsured     = "ballot_secrecy_not_ensured"
	IndGroupVoting                 = "group_voting"
	IndBallotBoxStuffing           = "ballot_box_stuffing"
	IndIdenticalSignatures         = "identical_signatures"
	IndMultipleVoting              = "multiple_voting"
	IndIdentityNotChecked          = "identity_not_checked"
	IndUnauthorisedPresent         = "unauthorised_persons_present"
	IndUnauthorisedDirecting       = "unauthorised_persons_directing"
	IndObserversRestricted         = "observers_restricted"
	IndBallotBoxesNotSealed        = "ballot_boxes_not_sealed"
	IndBoxesNotShownEmpty          = "ballot_boxes_not_shown_empty"
	IndOpeningLate                 = "opening_late"
	IndUnusedBallotsNotCancelled   = "unused_ballots_not_cancelled"
	IndBallotsNotShown             = "ballots_not_shown"
	IndValidityInconsistent        = "validity_inconsistent"
	IndReconciliationSkipped       = "reconciliation_skipped"
	IndProtocolPreSigned           = "protocol_pre_signed"
	IndProtocolNotPosted           = "protocol_not_posted"
	IndNoProtocolCopy              = "no_protocol_copy"
	IndFiguresChangedAtTabulation  = "figures_changed_at_tabulation"
	IndDataEntryNotVisible         = "data_entry_not_visible"
	IndTabulationResultsNotPosted  = "tabulation_results_not_posted"
	IndProtocolsCorrectedNoRecount = "protocols_corrected_without_recount"
)

// The id of the overall-assessment question in every default template but
// Incident, and of the protocol block and its photo in Counting.
const (
	OverallID       = "overall"
	ProtocolID      = "protocol"
	ProtocolPhotoID = "protocol_photo"
	StationID       = "station"
)

// TemplateVersion is the version of the default templates. Change it with
// any change of the templates' questions.
const TemplateVersion = "2026.1"

// builder assigns SMS tags AA, AB, … to questions in order.
type builder struct {
	f    Form
	next int
}

func (b *builder) tag() string {
	t := fmt.Sprintf("%c%c", 'A'+b.next/26, 'A'+b.next%26)
	b.next++
	return t
}

func (b *builder) add(q Question, sms bool) {
	if sms {
		q.SMS = b.tag()
	}
	b.f.Questions = append(b.f.Questions, q)
}

func (b *builder) station() {
	one := int64(1)
	b.add(Question{ID: StationID, Type: Integer, Required: true, Min: &one,
		Label: Label{EN: "Polling station number", RU: "Номер избирательного участка"}}, true)
}

func (b *builder) arrival() {
	b.add(Question{ID: "arrival_time", Type: Time, Required: true,
		Label: Label{EN: "Time of arrival", RU: "Время прибытия"},
		Hint:  Label{EN: "SMS: four digits, 0730", RU: "SMS: четыре цифры, 0730"}}, true)
}

// flag adds a yes/no key-indicator question: flag is the answer ("yes" or
// "no") that means the problem was seen.
func (b *builder) flag(id, indicator, flag string, en, ru string) {
	b.add(Question{ID: id, Type: YesNo, Required: true, Indicator: indicator, Flag: flag,
		Label: Label{EN: en, RU: ru}}, true)
}

func (b *builder) count(id, en, ru string) {
	zero := int64(0)
	b.add(Question{ID: id, Type: Integer, Min: &zero, Label: Label{EN: en, RU: ru}}, true)
}

func (b *builder) overall(en, ru string) {
	b.add(Question{ID: OverallID, Type: Assessment, Required: true, Indicator: "overall_" + string(b.f.Phase),
		Label: Label{EN: en, RU: ru}}, true)
}

func (b *builder) presence() {
	b.flag("unauthorised_present", IndUnauthorisedPresent, YesValue,
		"Were unauthorised persons present?",
		"Присутствовали ли посторонние лица?")
	b.flag("unauthorised_directing", IndUnauthorisedDirecting, YesValue,
		"Did unauthorised persons direct or interfere in the work of the commission?",
		"Руководили ли посторонние лица работой комиссии или вмешивались в неё?")
	b.flag("observers_restricted", IndObserversRestricted, YesValue,
		"Were observers restricted in their observation?",
		"Ограничивались ли наблюдатели в своей работе?")
}

func newBuilder(id string, phase Phase, prefix string, en, ru string) *builder {
	return &builder{f: Form{ID: id, Name: Label{EN: en, RU: ru}, Phase: phase, Version: TemplateVersion, Prefix: prefix}}
}

// OpeningTemplate is the default opening checklist.
func OpeningTemplate() *Form {
	b := newBuilder("opening", Opening, "OP", "Opening", "Открытие")
	b.station()
	b.arrival()
	b.flag("opened_on_time", IndOpeningLate, NoValue,
		"Did the polling station open on time?",
		"Участок открылся вовремя?")
	b.flag("boxes_shown_empty", IndBoxesNotShownEmpty, NoValue,
		"Were the ballot boxes shown to be empty before sealing?",
		"Были ли урны показаны пустыми перед опечатыванием?")
	b.flag("boxes_sealed", IndBallotBoxesNotSealed, NoValue,
		"Were the ballot boxes properly sealed?",
		"Были ли урны надлежащим образом опечатаны?")
	b.count("ballots_received", "Number of ballots the commission received", "Число бюллетеней, полученных комиссией")
	b.presence()
	b.overall("Overall assessment of the opening", "Общая оценка открытия")
	return withKazakh(&b.f)
}

// VotingTemplate is the default voting checklist.
func VotingTemplate() *Form {
	b := newBuilder("voting", Voting, "VO", "Voting", "Голосование")
	b.station()
	b.arrival()
	b.count("voters_so_far", "Voters who had received a ballot at the time of the visit", "Число избирателей, получивших бюллетени на момент посещения")
	b.flag("boxes_sealed", IndBallotBoxesNotSealed, NoValue,
		"Were the ballot boxes properly sealed?",
		"Были ли урны надлежащим образом опечатаны?")
	b.flag("secrecy_ensured", IndBallotSecrecyNotEnsured, NoValue,
		"Was the secrecy of the ballot ensured?",
		"Обеспечивалась ли тайна голосования?")
	b.flag("identity_checked", IndIdentityNotChecked, NoValue,
		"Were voters' identity documents checked?",
		"Проверялись ли документы, удостоверяющие личность избирателей?")
	b.flag("group_voting", IndGroupVoting, YesValue,
		"Did you observe group (family) voting?",
		"Наблюдалось ли групповое (семейное) голосование?")
	b.flag("ballot_box_stuffing", IndBallotBoxStuffing, YesValue,
		"Did you observe ballot box stuffing?",
		"Наблюдался ли вброс бюллетеней?")
	b.flag("multiple_voting", IndMultipleVoting, YesValue,
		"Did you observe indications of multiple voting?",
		"Были ли признаки многократного голосования?")
	b.flag("identical_signatures", IndIdenticalSignatures, YesValue,
		"Did you see series of seemingly identical signatures on the voter list?",
		"Были ли в списке избирателей серии внешне одинаковых подписей?")
	b.presence()
	b.overall("Overall assessment of voting", "Общая оценка голосования")
	return withKazakh(&b.f)
}

// StandardProtocolFigures are the protocol figures the default Counting
// template asks for, in the order of a typical protocol, with their SMS tags.
var StandardProtocolFigures = []struct {
	Figure election.Figure
	Label  Label
	SMS    string
}{
	{election.Registered, Label{EN: "Voters on the list", RU: "Число избирателей, внесённых в список"}, "PA"},
	{election.BallotsReceived, Label{EN: "Ballots received", RU: "Число бюллетеней, полученных комиссией"}, "PB"},
	{election.BallotsIssued, Label{EN: "Ballots issued to voters", RU: "Число бюллетеней, выданных избирателям"}, "PC"},
	{election.BallotsCancelled, Label{EN: "Unused (cancelled) ballots", RU: "Число погашенных бюллетеней"}, "PD"},
	{election.BallotsInBox, Label{EN: "Ballots found in the ballot boxes", RU: "Число бюллетеней, обнаруженных в урнах"}, "PE"},
	{election.Invalid, Label{EN: "Invalid ballots", RU: "Число недействительных бюллетеней"}, "PF"},
	{election.Valid, Label{EN: "Valid ballots", RU: "Число действительных бюллетеней"}, "PG"},
}

// MaxSMSOptions is how many ballot options a protocol block can tag for SMS
// (VA … VZ).
const MaxSMSOptions = 26

// ProtocolQuestion returns a results-protocol block with the standard
// figures and one votes line per option (ids "votes_1", … by position + 1,
// SMS tags VA, VB, …). Options may be nil: BindElection adds them later.
func ProtocolQuestion(options []election.Option) Question {
	q := Question{ID: ProtocolID, Type: Protocol, Required: true,
		Label: Label{EN: "Results protocol: the figures as written in the protocol", RU: "Протокол об итогах голосования: данные, как они записаны в протоколе"}}
	for _, sf := range StandardProtocolFigures {
		q.Items = append(q.Items, ProtocolItem{ID: sf.Figure.String(), Figure: sf.Figure.String(), Label: sf.Label, SMS: sf.SMS})
	}
	q.Items = append(q.Items, optionItems(options)...)
	return q
}

func optionItems(options []election.Option) []ProtocolItem {
	var items []ProtocolItem
	for _, o := range options {
		it := ProtocolItem{ID: fmt.Sprintf("votes_%d", o.Position+1), Option: o.Position,
			Label: Label{EN: "Votes: " + o.Name, RU: "Голоса: " + o.Name, KK: "Дауыстар: " + o.Name}}
		if o.Position < MaxSMSOptions {
			it.SMS = fmt.Sprintf("V%c", 'A'+o.Position)
		}
		items = append(items, it)
	}
	return items
}

// CountingTemplate is the default counting checklist, with the protocol
// block (figures only until BindElection adds the options) and its photo.
func CountingTemplate() *Form {
	b := newBuilder("counting", Counting, "CO", "Counting", "Подсчёт голосов")
	b.station()
	b.arrival()
	b.flag("unused_cancelled", IndUnusedBallotsNotCancelled, NoValue,
		"Were unused ballots counted and cancelled before the ballot boxes were opened?",
		"Были ли неиспользованные бюллетени подсчитаны и погашены до вскрытия урн?")
	b.flag("reconciliation_done", IndReconciliationSkipped, NoValue,
		"Were the reconciliation procedures carried out (signatures on the voter list counted, figures entered) before the ballots were counted?",
		"Были ли проведены процедуры сверки (подсчёт подписей в списке, внесение данных в протокол) до подсчёта бюллетеней?")
	b.flag("ballots_shown", IndBallotsNotShown, NoValue,
		"Was each ballot shown to those present and the choice announced aloud?",
		"Каждый ли бюллетень показывался присутствующим с оглашением отметки?")
	b.flag("validity_consistent", IndValidityInconsistent, NoValue,
		"Was the validity of ballots decided reasonably and consistently?",
		"Определялась ли действительность бюллетеней обоснованно и единообразно?")
	b.flag("protocol_pre_signed", IndProtocolPreSigned, YesValue,
		"Had the protocol been signed in advance?",
		"Был ли протокол подписан заранее?")
	b.flag("protocol_posted", IndProtocolNotPosted, NoValue,
		"Was the results protocol posted publicly at the polling station?",
		"Был ли протокол об итогах вывешен для всеобщего ознакомления?")
	b.flag("protocol_copy", IndNoProtocolCopy, NoValue,
		"Did observers receive a copy of the results protocol?",
		"Получили ли наблюдатели копию протокола?")
	b.presence()
	b.overall("Overall assessment of the count", "Общая оценка подсчёта голосов")
	b.add(ProtocolQuestion(nil), false)
	b.add(Question{ID: ProtocolPhotoID, Type: Photo,
		Label: Label{EN: "Photo of the results protocol", RU: "Фото протокола об итогах"}}, false)
	return withKazakh(&b.f)
}

// TabulationTemplate is the default checklist for the district
// (territorial) commission's tabulation.
func TabulationTemplate() *Form {
	b := newBuilder("tabulation", Tabulation, "TB", "Tabulation", "Подведение итогов")
	one := int64(1)
	b.add(Question{ID: "commission", Type: Integer, Required: true, Min: &one,
		Label: Label{EN: "District (territorial) commission number", RU: "Номер окружной (территориальной) комиссии"}}, true)
	b.arrival()
	b.flag("full_view", IndObserversRestricted, NoValue,
		"Could observers follow the tabulation in full?",
		"Могли ли наблюдатели в полной мере наблюдать за подведением итогов?")
	b.flag("figures_changed", IndFiguresChangedAtTabulation, YesValue,
		"Were precinct protocols changed, or their figures altered, at the commission?",
		"Изменялись ли протоколы участковых комиссий или данные в них?")
	b.flag("corrected_no_recount", IndProtocolsCorrectedNoRecount, YesValue,
		"Were protocols with errors corrected without a recount?",
		"Исправлялись ли протоколы с ошибками без пересчёта?")
	b.flag("entry_visible", IndDataEntryNotVisible, NoValue,
		"Were figures entered into the results system in view of observers?",
		"Вводились ли данные в систему на виду у наблюдателей?")
	b.flag("results_posted", IndTabulationResultsNotPosted, NoValue,
		"Did the commission post its summary results?",
		"Вывесила ли комиссия сводные итоги?")
	b.flag("unauthorised_present", IndUnauthorisedPresent, YesValue,
		"Were unauthorised persons present?",
		"Присутствовали ли посторонние лица?")
	b.flag("unauthorised_directing", IndUnauthorisedDirecting, YesValue,
		"Did unauthorised persons direct or interfere in the work of the commission?",
		"Руководили ли посторонние лица работой комиссии или вмешивались в неё?")
	b.overall("Overall assessment of the tabulation", "Общая оценка подведения итогов")
	return withKazakh(&b.f)
}

// IncidentTemplate is the default incident report.
func IncidentTemplate() *Form {
	b := newBuilder("incident", Incident, "IN", "Incident", "Инцидент")
	b.add(Question{ID: StationID, Type: Integer, Label: Label{EN: "Polling station number (if at a station)", RU: "Номер участка (если на участке)"}}, true)
	b.add(Question{ID: "incident_time", Type: Time, Required: true, Label: Label{EN: "Time of the incident", RU: "Время инцидента"}}, true)
	b.add(Question{ID: "category", Type: SingleChoice, Required: true, List: "incident_category",
		Label: Label{EN: "Type of incident", RU: "Тип инцидента"},
		Choices: []Choice{
			{Value: "intimidation", Code: 1, Label: Label{EN: "Intimidation or pressure on voters", RU: "Запугивание или давление на избирателей"}},
			{Value: "vote_buying", Code: 2, Label: Label{EN: "Vote buying", RU: "Подкуп избирателей"}},
			{Value: "ballot_box_stuffing", Code: 3, Label: Label{EN: "Ballot box stuffing", RU: "Вброс бюллетеней"}},
			{Value: "multiple_voting", Code: 4, Label: Label{EN: "Multiple voting", RU: "Многократное голосование"}},
			{Value: "observer_obstruction", Code: 5, Label: Label{EN: "Observers obstructed or expelled", RU: "Наблюдателям препятствовали или их удалили"}},
			{Value: "violence", Code: 6, Label: Label{EN: "Violence or unrest", RU: "Насилие или беспорядки"}},
			{Value: "campaigning", Code: 7, Label: Label{EN: "Campaigning near the station", RU: "Агитация у участка"}},
			{Value: "other", Code: 8, Label: Label{EN: "Other", RU: "Другое"}},
		}}, true)
	b.add(Question{ID: "reported_to_chair", Type: YesNo, Label: Label{EN: "Was it reported to the commission chair?", RU: "Сообщили ли об этом председателю комиссии?"}}, true)
	b.add(Question{ID: "description", Type: Text, Required: true, Label: Label{EN: "What happened (who, what, when, what was done)", RU: "Что произошло (кто, что, когда, какие меры приняты)"}}, false)
	b.add(Question{ID: "photo", Type: Photo, Label: Label{EN: "Photo", RU: "Фото"}}, false)
	b.f.SMSComment = "description"
	return withKazakh(&b.f)
}

// Templates returns fresh copies of all default templates, in phase order.
func Templates() []*Form {
	return []*Form{OpeningTemplate(), VotingTemplate(), CountingTemplate(), TabulationTemplate(), IncidentTemplate()}
}

// BindElection returns a copy of f whose protocol blocks carry one votes
// line per option of e, replacing any votes lines it had. Other questions
// are shared with f's, which callers must not modify.
func BindElection(f *Form, e *election.Election) *Form {
	g := *f
	g.Questions = make([]Question, len(f.Questions))
	copy(g.Questions, f.Questions)
	for i := range g.Questions {
		q := &g.Questions[i]
		if q.Type != Protocol {
			continue
		}
		var items []ProtocolItem
		for _, it := range q.Items {
			if !it.IsVotes() {
				items = append(items, it)
			}
		}
		q.Items = append(items, optionItems(e.Options)...)
	}
	return &g
}
