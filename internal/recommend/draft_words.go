package recommend

import (
	"fmt"
	"strings"
)

// The words of a draft, in the languages of the portal's catalogues
// (English, Russian, Kazakh), in one table so that a translator reads them
// together; TestDraftWordsComplete checks that every language has every
// key, with the English verbs. What a draft quotes from its data
// (recommendations, form labels, integrity results) stays as recorded.
var draftWords = map[string]map[string]string{
	"en": {
		"title.statement":      "Statement of Preliminary Findings and Conclusions — quantitative findings",
		"title.final":          "Final Report — draft",
		"sec.executive":        "Executive summary",
		"gap.core":             "to be written by the core team",
		"gap.analysis":         "analysis to be written by the core team",
		"sec.integrity_annex":  "Annex: results integrity",
		"sec.followup":         "Annex: implementation of prior recommendations",
		"gap.no_assessment":    "no assessment of prior recommendations has been recorded for this mission's final report",
		"note.repeats":         "repeats %s",
		"note.suggests":        "vigil's evidence suggests %s: %s",
		"sec.prior":            "Prior recommendations",
		"prior.none":           "No earlier recommendation to %s is recorded as open on %s.",
		"prior.open":           "On %s, %d recommendations of earlier reports to %s were open (not found fully implemented), %d of them priority recommendations; %d had not been assessed.",
		"prior.latest":         "The latest follow-up before the election, %s (%s): %s",
		"ref":                  "%s %s, no. %s",
		"report":               "%s report",
		"sec.observation":      "Election day observation",
		"missing.obs_election": "observation findings: the mission names no election",
		"missing.obs_none":     "observation findings: not available",
		"missing.obs_computed": "observation findings: not computed",
		"obs.value":            "%d of %d observed (%.1f %%)",
		"obs.source":           "observation findings, %s",
		"sec.results":          "Publication of results",
		"missing.res_election": "results: the mission names no election in the results core",
		"missing.res_none":     "results: not available",
		"missing.res_stations": "results: no polling-station results of %s in the results core",
		"res.source":           "results core, %s",
		"res.stations":         "Polling stations",
		"res.final":            "with official final results",
		"res.preliminary":      "with official preliminary results",
		"res.paragraph":        "Official results are available for %d of %d polling stations (%.1f %%).",
		"sec.integrity":        "Results integrity",
		"missing.integ_none":   "integrity results (observers' copies against official protocols, parallel vote tabulation, statistical forensics): not computed",
		"missing.integ":        "integrity results: %s",
		"not_computed":         "not computed",
		"integ.source":         "integrity, %s",
		"html.election":        "election of %s",
		"html.data":            "data: %s",
		"html.drafted":         "Drafted by vigil on %s from the data it holds. Figures carry their source; parts marked for the core team, and data marked \"not computed\", are not yet written.",
		"html.finding":         "Finding",
		"html.figure":          "Figure",
		"html.source":          "Source",
		"html.area":            "Area",
		"html.all":             "All",
		"html.recommendations": "Recommendations",
		"html.priority":        "(priority)",
		"col.fully":            "Fully",
		"col.mostly":           "Mostly",
		"col.partially":        "Partially",
		"col.not":              "Not",
		"col.not_assessed":     "Not assessed",
		"summary.none":         "No prior recommendations.",
		"summary":              "Of %d prior recommendations: %s.",
	},
	"ru": {
		"title.statement":      "Заявление о предварительных выводах и заключениях — количественные данные",
		"title.final":          "Окончательный отчёт — проект",
		"sec.executive":        "Резюме",
		"gap.core":             "пишет основная группа",
		"gap.analysis":         "анализ пишет основная группа",
		"sec.integrity_annex":  "Приложение: достоверность итогов",
		"sec.followup":         "Приложение: выполнение прежних рекомендаций",
		"gap.no_assessment":    "оценка прежних рекомендаций для окончательного отчёта этой миссии не записана",
		"note.repeats":         "повторяет %s",
		"note.suggests":        "данные vigil указывают: %s — %s",
		"sec.prior":            "Прежние рекомендации",
		"prior.none":           "Ни одна прежняя рекомендация %s не записана как невыполненная на %s.",
		"prior.open":           "На %s рекомендаций прежних отчётов, не выполненных полностью: %[2]d (страна: %[3]s), из них приоритетных: %[4]d; не оценено: %[5]d.",
		"prior.latest":         "Последняя оценка выполнения перед выборами, %s (%s): %s",
		"ref":                  "%s, %s, № %s",
		"report":               "отчёт (%s)",
		"sec.observation":      "Наблюдение в день голосования",
		"missing.obs_election": "данные наблюдения: миссия не указала выборы",
		"missing.obs_none":     "данные наблюдения: недоступны",
		"missing.obs_computed": "данные наблюдения: не рассчитаны",
		"obs.value":            "%d из %d наблюдавшихся (%.1f %%)",
		"obs.source":           "данные наблюдения, %s",
		"sec.results":          "Публикация итогов",
		"missing.res_election": "итоги: миссия не указала выборы, загруженные в vigil",
		"missing.res_none":     "итоги: недоступны",
		"missing.res_stations": "итоги: в vigil нет итогов %s по участкам",
		"res.source":           "итоги в vigil, %s",
		"res.stations":         "Избирательные участки",
		"res.final":            "с официальными окончательными итогами",
		"res.preliminary":      "с официальными предварительными итогами",
		"res.paragraph":        "Официальные итоги доступны по %d из %d избирательных участков (%.1f %%).",
		"sec.integrity":        "Достоверность итогов",
		"missing.integ_none":   "проверка достоверности (копии протоколов наблюдателей против официальных, параллельный подсчёт, статистический анализ): не рассчитана",
		"missing.integ":        "проверка достоверности: %s",
		"not_computed":         "не рассчитана",
		"integ.source":         "достоверность, %s",
		"html.election":        "выборы %s",
		"html.data":            "данные: %s",
		"html.drafted":         "Составлено vigil %s по имеющимся данным. У каждого числа указан источник; части, отмеченные для основной группы, и данные с пометкой «не рассчитаны» ещё не написаны.",
		"html.finding":         "Вывод",
		"html.figure":          "Число",
		"html.source":          "Источник",
		"html.area":            "Область",
		"html.all":             "Все",
		"html.recommendations": "Рекомендации",
		"html.priority":        "(приоритетная)",
		"col.fully":            "Полностью",
		"col.mostly":           "В основном",
		"col.partially":        "Частично",
		"col.not":              "Не выполнены",
		"col.not_assessed":     "Не оценены",
		"summary.none":         "Прежних рекомендаций нет.",
		"summary":              "Прежних рекомендаций: %d; %s.",
	},
	"kk": {
		"title.statement":      "Алдын ала тұжырымдар мен қорытындылар туралы мәлімдеме — сандық деректер",
		"title.final":          "Қорытынды есеп — жоба",
		"sec.executive":        "Түйіндеме",
		"gap.core":             "негізгі топ жазады",
		"gap.analysis":         "талдауды негізгі топ жазады",
		"sec.integrity_annex":  "Қосымша: нәтижелердің дұрыстығы",
		"sec.followup":         "Қосымша: бұрынғы ұсынымдардың орындалуы",
		"gap.no_assessment":    "осы миссияның қорытынды есебі үшін бұрынғы ұсынымдардың бағасы жазылмаған",
		"note.repeats":         "%s қайталайды",
		"note.suggests":        "vigil деректері көрсетеді: %s — %s",
		"sec.prior":            "Бұрынғы ұсынымдар",
		"prior.none":           "%s елге берілген бұрынғы ұсынымдардың ешқайсысы %s күні орындалмаған деп жазылмаған.",
		"prior.open":           "%s күні бұрынғы есептердің толық орындалмаған ұсынымдары: %[2]d (ел: %[3]s), олардың ішінде басымдары: %[4]d; бағаланбағаны: %[5]d.",
		"prior.latest":         "Сайлау алдындағы соңғы бағалау, %s (%s): %s",
		"ref":                  "%s, %s, № %s",
		"report":               "есеп (%s)",
		"sec.observation":      "Дауыс беру күнгі байқау",
		"missing.obs_election": "байқау деректері: миссия сайлауды атамаған",
		"missing.obs_none":     "байқау деректері: қолжетімсіз",
		"missing.obs_computed": "байқау деректері: есептелмеген",
		"obs.value":            "байқалған %[2]d учаскенің %[1]d-і (%.1[3]f %%)",
		"obs.source":           "байқау деректері, %s",
		"sec.results":          "Нәтижелерді жариялау",
		"missing.res_election": "нәтижелер: миссия vigil-ге жүктелген сайлауды атамаған",
		"missing.res_none":     "нәтижелер: қолжетімсіз",
		"missing.res_stations": "нәтижелер: vigil-де %s учаскелер бойынша нәтижелері жоқ",
		"res.source":           "vigil-дегі нәтижелер, %s",
		"res.stations":         "Сайлау учаскелері",
		"res.final":            "ресми түпкілікті нәтижелері барлары",
		"res.preliminary":      "ресми алдын ала нәтижелері барлары",
		"res.paragraph":        "Ресми нәтижелер %[2]d сайлау учаскесінің %[1]d-і бойынша қолжетімді (%.1[3]f %%).",
		"sec.integrity":        "Нәтижелердің дұрыстығы",
		"missing.integ_none":   "дұрыстықты тексеру (байқаушылар хаттамаларының көшірмелері ресми хаттамалармен, параллель санау, статистикалық талдау): есептелмеген",
		"missing.integ":        "дұрыстықты тексеру: %s",
		"not_computed":         "есептелмеген",
		"integ.source":         "дұрыстық, %s",
		"html.election":        "%s сайлауы",
		"html.data":            "деректер: %s",
		"html.drafted":         "vigil %s күні өзіндегі деректер бойынша жасады. Әр санның көзі көрсетілген; негізгі топқа белгіленген бөліктер мен «есептелмеген» деп белгіленген деректер әлі жазылмаған.",
		"html.finding":         "Тұжырым",
		"html.figure":          "Сан",
		"html.source":          "Дереккөз",
		"html.area":            "Сала",
		"html.all":             "Барлығы",
		"html.recommendations": "Ұсынымдар",
		"html.priority":        "(басым)",
		"col.fully":            "Толық",
		"col.mostly":           "Негізінен",
		"col.partially":        "Ішінара",
		"col.not":              "Орындалмады",
		"col.not_assessed":     "Бағаланбаған",
		"summary.none":         "Бұрынғы ұсынымдар жоқ.",
		"summary":              "Бұрынғы ұсынымдар: %d; %s.",
	},
}

// draftAreas and draftStatuses are the areas' and statuses' titles in the
// languages other than English (English: Area.Title, Status.Title).
var draftAreas = map[string]map[Area]string{
	"ru": {LegalFramework: "Правовая основа", ElectionAdministration: "Организация выборов", VoterRegistration: "Регистрация избирателей",
		CandidateRegistration: "Регистрация кандидатов", Campaign: "Кампания и её финансирование", Media: "СМИ",
		Complaints: "Жалобы и апелляции", Observation: "Наблюдение за выборами", ElectionDay: "День голосования",
		Counting: "Подсчёт и установление итогов", Publication: "Публикация итогов"},
	"kk": {LegalFramework: "Құқықтық негіз", ElectionAdministration: "Сайлауды басқару", VoterRegistration: "Сайлаушыларды тіркеу",
		CandidateRegistration: "Кандидаттарды тіркеу", Campaign: "Сайлау науқаны және оны қаржыландыру", Media: "БАҚ",
		Complaints: "Шағымдар мен апелляциялар", Observation: "Сайлауды байқау", ElectionDay: "Сайлау күні",
		Counting: "Дауыс санау және нәтижелерді жинақтау", Publication: "Нәтижелерді жариялау"},
}

var draftStatuses = map[string]map[Status]string{
	"ru": {Fully: "выполнена полностью", Mostly: "выполнена в основном", Partially: "выполнена частично", NotImpl: "не выполнена", NotAssessed: "не оценена"},
	"kk": {Fully: "толық орындалды", Mostly: "негізінен орындалды", Partially: "ішінара орындалды", NotImpl: "орындалмады", NotAssessed: "бағаланбаған"},
}

// DraftLangs are the languages a draft is written in.
var DraftLangs = []string{"en", "ru", "kk"}

// draftLang picks a draft language from a tag ("ru", "kk-KZ"); English
// for anything else.
func draftLang(tag string) string {
	tag = strings.ToLower(tag)
	for _, l := range DraftLangs {
		if tag == l || strings.HasPrefix(tag, l+"-") {
			return l
		}
	}
	return "en"
}

// words formats the draft's texts in one language.
type words string

func (w words) T(key string, args ...any) string {
	m, ok := draftWords[string(w)][key]
	if !ok {
		m = draftWords["en"][key]
	}
	if len(args) == 0 {
		return m
	}
	return fmt.Sprintf(m, args...)
}

func (w words) area(a Area) string {
	if t, ok := draftAreas[string(w)][a]; ok {
		return t
	}
	return a.Title()
}

func (w words) status(s Status) string {
	if t, ok := draftStatuses[string(w)][s]; ok {
		return t
	}
	return s.Title()
}

// summary is Counts.Sentence in the draft's language: English keeps the
// sentence; the others list "status: n", which needs no plural forms.
func (w words) summary(c Counts) string {
	if w == "en" || w == "" {
		return c.Sentence()
	}
	if c.Total() == 0 {
		return w.T("summary.none")
	}
	var parts []string
	for _, s := range Statuses {
		if n := c.Get(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%s — %d", w.status(s), n))
		}
	}
	return w.T("summary", c.Total(), strings.Join(parts, ", "))
}
