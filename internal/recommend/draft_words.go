package recommend

import (
	"fmt"
	"io"
	"strings"
)

// The words of a draft, in the languages of the portal's catalogues
// (English, Russian, Kazakh), in one table so that a translator reads them
// together; TestDraftWordsComplete checks that every language has every
// key, with the English verbs. The indicators' and phases' names are the
// portal's (internal/web/i18n; TestDraftIndicatorsAgree in package web).
// What a draft quotes from its records (recommendations, assessments'
// reasoning, names of missions and reports, a form's own labels) stays as
// recorded.
var draftWords = map[string]map[string]string{
	"en": {
		"title.statement":                   "Statement of Preliminary Findings and Conclusions — quantitative findings",
		"title.final":                       "Final Report — draft",
		"sec.executive":                     "Executive summary",
		"gap.core":                          "to be written by the core team",
		"gap.analysis":                      "analysis to be written by the core team",
		"sec.integrity_annex":               "Annex: results integrity",
		"sec.followup":                      "Annex: implementation of prior recommendations",
		"gap.no_assessment":                 "no assessment of prior recommendations has been recorded for this mission's final report",
		"note.repeats":                      "repeats %s",
		"note.suggests":                     "vigil's evidence suggests %s: %s",
		"sec.prior":                         "Prior recommendations",
		"prior.none":                        "No earlier recommendation to %s is recorded as open on %s.",
		"prior.open":                        "On %s, %d recommendations of earlier reports to %s were open (not found fully implemented), %d of them priority recommendations; %d had not been assessed.",
		"prior.latest":                      "The latest follow-up before the election, %s (%s): %s",
		"ref":                               "%s %s, no. %s",
		"report":                            "%s report",
		"sec.observation":                   "Election day observation",
		"missing.obs_election":              "observation findings: the mission names no election",
		"missing.obs_none":                  "observation findings: not available",
		"missing.obs_computed":              "observation findings: not computed",
		"obs.value":                         "%d of %d observed (%.1f %%)",
		"obs.source":                        "observation findings, %s",
		"sec.results":                       "Publication of results",
		"missing.res_election":              "results: the mission names no election in the results core",
		"missing.res_none":                  "results: not available",
		"missing.res_stations":              "results: no polling-station results of %s in the results core",
		"res.source":                        "results core, %s",
		"res.stations":                      "Polling stations",
		"res.final":                         "with official final results",
		"res.preliminary":                   "with official preliminary results",
		"res.paragraph":                     "Official results are available for %d of %d polling stations (%.1f %%).",
		"sec.integrity":                     "Results integrity",
		"missing.integ_none":                "integrity results (observers' copies against official protocols, parallel vote tabulation, statistical forensics): not computed",
		"missing.integ":                     "integrity results: %s",
		"not_computed":                      "not computed",
		"integ.source":                      "integrity, %s",
		"html.election":                     "election of %s",
		"html.data":                         "data: %s",
		"html.drafted":                      "Drafted by vigil on %s from the data it holds. Figures carry their source; parts marked for the core team, and data marked \"not computed\", are not yet written.",
		"html.finding":                      "Finding",
		"html.figure":                       "Figure",
		"html.source":                       "Source",
		"html.area":                         "Area",
		"html.all":                          "All",
		"html.recommendations":              "Recommendations",
		"html.priority":                     "(priority)",
		"col.fully":                         "Fully",
		"col.mostly":                        "Mostly",
		"col.partially":                     "Partially",
		"col.not":                           "Not",
		"col.not_assessed":                  "Not assessed",
		"summary.none":                      "No prior recommendations.",
		"summary":                           "Of %d prior recommendations: %s.",
		"ind.ballot_box_stuffing":           "Ballot box stuffing",
		"ind.ballot_boxes_not_sealed":       "Ballot boxes not sealed",
		"ind.ballot_boxes_not_shown_empty":  "Ballot boxes not shown empty",
		"ind.ballot_secrecy_not_ensured":    "Secrecy of the vote not ensured",
		"ind.ballots_not_shown":             "Ballots not shown to those present",
		"ind.data_entry_not_visible":        "Data entry not visible to observers",
		"ind.figures_changed_at_tabulation": "Figures changed at the tabulation",
		"ind.group_voting":                  "Group voting",
		"ind.identical_signatures":          "Identical signatures on the voter list",
		"ind.identity_not_checked":          "Voters' identity not checked",
		"ind.multiple_voting":               "Multiple voting",
		"ind.no_protocol_copy":              "Observers given no copy of the protocol",
		"ind.observers_restricted":          "Observers restricted",
		"ind.opening_late":                  "Opening late",
		"ind.protocol_not_posted":           "Protocol not posted publicly",
		"ind.protocol_pre_signed":           "Protocol signed in advance",
		"ind.protocols_corrected_without_recount": "Protocols corrected without a recount",
		"ind.reconciliation_skipped":              "Reconciliation skipped",
		"ind.tabulation_results_not_posted":       "Tabulation results not posted",
		"ind.unauthorised_persons_directing":      "Unauthorised persons directing the commission",
		"ind.unauthorised_persons_present":        "Unauthorised persons present",
		"ind.unused_ballots_not_cancelled":        "Unused ballots not cancelled before the count",
		"ind.validity_inconsistent":               "Validity of ballots decided inconsistently",
		"assessed.counting":                       "Count assessed bad or very bad",
		"assessed.opening":                        "Opening assessed bad or very bad",
		"assessed.tabulation":                     "Tabulation assessed bad or very bad",
		"assessed.voting":                         "Voting assessed bad or very bad",
		"phase.counting":                          "Counting",
		"phase.opening":                           "Opening",
		"phase.tabulation":                        "Tabulation",
		"phase.voting":                            "Voting",
		"prop.no_topic":                           "vigil holds no data on this recommendation's subject; it needs an analyst's assessment.",
		"prop.no_election":                        "the mission of report %q names no election in the results core, so there is no evidence to read.",
		"prop.no_results":                         "the results core is not available.",
		"prop.no_findings":                        "observation findings for %s are not available.",
		"prop.not_in_core":                        "election %q is not in the results core.",
		"prop.no_stations":                        "the results core holds no polling stations of %s, so it cannot tell whether results were published per station.",
		"prop.disagg":                             "official results are held for %d of %d polling stations of %s (%.1f %%; %d final, %d preliminary): %s.",
		"prop.access_none":                        "the observation of %s recorded nothing on observers' access to counting and tabulation.",
		"prop.access":                             "at %s %s: %s.",
		"prop.restricted":                         "observers were restricted in %d of %d observed counts and tabulations (%.1f %%)",
		"prop.no_copy":                            "observers got no copy of the protocol in %d of %d observed counts and tabulations (%.1f %%)",
		"integ.test.copies":                       "Observers' protocol copies against the official protocols",
		"integ.test.pvt":                          "Parallel vote tabulation",
		"integ.test.forensics":                    "Statistical forensics",
		"integ.no_official":                       "not computed: no official protocols",
		"integ.no_copies":                         "not computed: no observers' copies",
		"integ.party_list":                        "not computed here for a party-list election: run vigil compare with its seat rules",
		"integ.pvt_not":                           "not computed here: run vigil pvt on the mission's sample",
		"integ.forensics_not":                     "not computed here: run vigil forensics",
		"integ.figure":                            "%d of %d stations differ",
		"cmp.nothing.final":                       "No station has both an official-final protocol and an observer copy: nothing to compare.",
		"cmp.nothing.preliminary":                 "No station has both an official-preliminary protocol and an observer copy: nothing to compare.",
		"cmp.differ.final":                        "The official-final protocols differ from the observer copies at %d of %d stations compared",
		"cmp.differ.preliminary":                  "The official-preliminary protocols differ from the observer copies at %d of %d stations compared",
		"cmp.zero":                                "%s.",
		"cmp.more":                                "; there, %s has %d more votes in the official protocols than in the copies",
		"cmp.fewer":                               "; there, %s has %d fewer votes in the official protocols than in the copies",
		"cmp.full":                                "%s%s. As published: %s. Without those stations: %s. With the copies in their place: %s. %s",
		"cmp.wins":                                "%s wins with %.2f %% of the valid votes",
		"cmp.runoff":                              "a runoff between %s and %s",
		"cmp.seats":                               "seats %s",
		"cmp.no_outcome":                          "no outcome",
		"cmp.changes":                             "The differences change the outcome.",
		"cmp.no_change":                           "The differences do not change the outcome on their own; they are evidence about the tabulation, not a different winner.",
		"html.quoted":                             "Recommendations, assessments and the names of missions and reports are quoted from the mission's records as recorded, in the language they were written in.",
		"res.share":                               "%d (%.1f %%)",
		"kind.interim":                            "interim",
		"kind.preliminary":                        "preliminary",
		"kind.final":                              "final",
		"integ.not_in_core":                       "election %s is not in the results core",
	},
	"ru": {
		"title.statement":                   "Заявление о предварительных выводах и заключениях — количественные данные",
		"title.final":                       "Окончательный отчёт — проект",
		"sec.executive":                     "Резюме",
		"gap.core":                          "пишет основная группа",
		"gap.analysis":                      "анализ пишет основная группа",
		"sec.integrity_annex":               "Приложение: достоверность итогов",
		"sec.followup":                      "Приложение: выполнение прежних рекомендаций",
		"gap.no_assessment":                 "оценка прежних рекомендаций для окончательного отчёта этой миссии не записана",
		"note.repeats":                      "повторяет %s",
		"note.suggests":                     "данные vigil указывают: %s — %s",
		"sec.prior":                         "Прежние рекомендации",
		"prior.none":                        "Ни одна прежняя рекомендация %s не записана как невыполненная на %s.",
		"prior.open":                        "На %s рекомендаций прежних отчётов, не выполненных полностью: %[2]d (страна: %[3]s), из них приоритетных: %[4]d; не оценено: %[5]d.",
		"prior.latest":                      "Последняя оценка выполнения перед выборами, %s (%s): %s",
		"ref":                               "%s, %s, № %s",
		"report":                            "%s",
		"sec.observation":                   "Наблюдение в день голосования",
		"missing.obs_election":              "данные наблюдения: миссия не указала выборы",
		"missing.obs_none":                  "данные наблюдения: недоступны",
		"missing.obs_computed":              "данные наблюдения: не рассчитаны",
		"obs.value":                         "%d из %d наблюдавшихся (%.1f %%)",
		"obs.source":                        "данные наблюдения, %s",
		"sec.results":                       "Публикация итогов",
		"missing.res_election":              "итоги: миссия не указала выборы, загруженные в vigil",
		"missing.res_none":                  "итоги: недоступны",
		"missing.res_stations":              "итоги: в vigil нет итогов %s по участкам",
		"res.source":                        "итоги в vigil, %s",
		"res.stations":                      "Избирательные участки",
		"res.final":                         "с официальными окончательными итогами",
		"res.preliminary":                   "с официальными предварительными итогами",
		"res.paragraph":                     "Официальные итоги доступны по %d из %d избирательных участков (%.1f %%).",
		"sec.integrity":                     "Достоверность итогов",
		"missing.integ_none":                "проверка достоверности (копии протоколов наблюдателей против официальных, параллельный подсчёт, статистический анализ): не рассчитана",
		"missing.integ":                     "проверка достоверности: %s",
		"not_computed":                      "не рассчитана",
		"integ.source":                      "достоверность, %s",
		"html.election":                     "выборы %s",
		"html.data":                         "данные: %s",
		"html.drafted":                      "Составлено vigil %s по имеющимся данным. У каждого числа указан источник; части, отмеченные для основной группы, и данные с пометкой «не рассчитаны» ещё не написаны.",
		"html.finding":                      "Вывод",
		"html.figure":                       "Число",
		"html.source":                       "Источник",
		"html.area":                         "Область",
		"html.all":                          "Все",
		"html.recommendations":              "Рекомендации",
		"html.priority":                     "(приоритетная)",
		"col.fully":                         "Полностью",
		"col.mostly":                        "В основном",
		"col.partially":                     "Частично",
		"col.not":                           "Не выполнены",
		"col.not_assessed":                  "Не оценены",
		"summary.none":                      "Прежних рекомендаций нет.",
		"summary":                           "Прежних рекомендаций: %d; %s.",
		"ind.ballot_box_stuffing":           "Вброс бюллетеней",
		"ind.ballot_boxes_not_sealed":       "Урны не опечатаны",
		"ind.ballot_boxes_not_shown_empty":  "Урны не показаны пустыми",
		"ind.ballot_secrecy_not_ensured":    "Тайна голосования не обеспечена",
		"ind.ballots_not_shown":             "Бюллетени не показывались присутствующим",
		"ind.data_entry_not_visible":        "Ввод данных не виден наблюдателям",
		"ind.figures_changed_at_tabulation": "Цифры изменены при подведении итогов",
		"ind.group_voting":                  "Групповое голосование",
		"ind.identical_signatures":          "Одинаковые подписи в списке избирателей",
		"ind.identity_not_checked":          "Личность избирателей не проверялась",
		"ind.multiple_voting":               "Многократное голосование",
		"ind.no_protocol_copy":              "Наблюдателям не выдана копия протокола",
		"ind.observers_restricted":          "Ограничения для наблюдателей",
		"ind.opening_late":                  "Открытие с опозданием",
		"ind.protocol_not_posted":           "Протокол не вывешен для ознакомления",
		"ind.protocol_pre_signed":           "Протокол подписан заранее",
		"ind.protocols_corrected_without_recount": "Протоколы исправлены без пересчёта",
		"ind.reconciliation_skipped":              "Сверка не проводилась",
		"ind.tabulation_results_not_posted":       "Итоги не вывешены",
		"ind.unauthorised_persons_directing":      "Посторонние лица руководили работой комиссии",
		"ind.unauthorised_persons_present":        "Присутствие посторонних лиц",
		"ind.unused_ballots_not_cancelled":        "Неиспользованные бюллетени не погашены до подсчёта",
		"ind.validity_inconsistent":               "Действительность бюллетеней определялась непоследовательно",
		"assessed.counting":                       "Подсчёт оценён как плохой или очень плохой",
		"assessed.opening":                        "Открытие оценено как плохое или очень плохое",
		"assessed.tabulation":                     "Подведение итогов оценено как плохое или очень плохое",
		"assessed.voting":                         "Голосование оценено как плохое или очень плохое",
		"phase.counting":                          "Подсчёт голосов",
		"phase.opening":                           "Открытие",
		"phase.tabulation":                        "Подведение итогов",
		"phase.voting":                            "Голосование",
		"prop.no_topic":                           "vigil не располагает данными по предмету этой рекомендации; её выполнение оценивает аналитик.",
		"prop.no_election":                        "миссия отчёта «%s» не указала выборы, загруженные в vigil, поэтому данных для оценки нет.",
		"prop.no_results":                         "итоги выборов в vigil недоступны.",
		"prop.no_findings":                        "данные наблюдения по выборам %s недоступны.",
		"prop.not_in_core":                        "выборы «%s» не загружены в vigil.",
		"prop.no_stations":                        "в vigil нет избирательных участков выборов %s, поэтому нельзя установить, опубликованы ли итоги по каждому участку.",
		"prop.disagg":                             "официальные итоги имеются по %d из %d избирательных участков выборов %s (%.1f %%; окончательные — %d, предварительные — %d): %s.",
		"prop.access_none":                        "наблюдение на выборах %s не дало данных о доступе наблюдателей к подсчёту голосов и установлению итогов.",
		"prop.access":                             "на выборах %s %s: %s.",
		"prop.restricted":                         "наблюдатели сталкивались с ограничениями в %d из %d наблюдавшихся подсчётов голосов и установлений итогов (%.1f %%)",
		"prop.no_copy":                            "наблюдатели не получили копию протокола в %d из %d наблюдавшихся подсчётов голосов и установлений итогов (%.1f %%)",
		"integ.test.copies":                       "Копии протоколов у наблюдателей в сравнении с официальными протоколами",
		"integ.test.pvt":                          "Параллельный подсчёт голосов",
		"integ.test.forensics":                    "Статистический анализ итогов",
		"integ.no_official":                       "не рассчитано: нет официальных протоколов",
		"integ.no_copies":                         "не рассчитано: нет копий протоколов у наблюдателей",
		"integ.party_list":                        "для выборов по партийным спискам здесь не рассчитывается: запустите vigil compare с правилами распределения мандатов",
		"integ.pvt_not":                           "здесь не рассчитывается: запустите vigil pvt по выборке миссии",
		"integ.forensics_not":                     "здесь не рассчитывается: запустите vigil forensics",
		"integ.figure":                            "расхождения на %d из %d участков",
		"cmp.nothing.final":                       "Ни на одном участке нет одновременно официального окончательного протокола и копии наблюдателя: сравнивать нечего.",
		"cmp.nothing.preliminary":                 "Ни на одном участке нет одновременно официального предварительного протокола и копии наблюдателя: сравнивать нечего.",
		"cmp.differ.final":                        "Официальные окончательные протоколы расходятся с копиями наблюдателей на %d из %d сравнённых участков",
		"cmp.differ.preliminary":                  "Официальные предварительные протоколы расходятся с копиями наблюдателей на %d из %d сравнённых участков",
		"cmp.zero":                                "%s.",
		"cmp.more":                                "; на этих участках официальные протоколы дают кандидату %s больше голосов, чем копии (разница: %d)",
		"cmp.fewer":                               "; на этих участках официальные протоколы дают кандидату %s меньше голосов, чем копии (разница: %d)",
		"cmp.full":                                "%s%s. По опубликованным итогам: %s. Без этих участков: %s. С копиями вместо их протоколов: %s. %s",
		"cmp.wins":                                "побеждает %s с %.2f %% действительных голосов",
		"cmp.runoff":                              "второй тур между %s и %s",
		"cmp.seats":                               "мандаты: %s",
		"cmp.no_outcome":                          "итог не определён",
		"cmp.changes":                             "Расхождения меняют итог выборов.",
		"cmp.no_change":                           "Сами по себе расхождения итог выборов не меняют; они свидетельствуют о том, как устанавливались итоги, а не о другом победителе.",
		"html.quoted":                             "Рекомендации, оценки их выполнения и названия миссий и отчётов приводятся по записям миссии в том виде и на том языке, в каких они записаны.",
		"res.share":                               "%d (%.1f %%)",
		"kind.interim":                            "промежуточный отчёт",
		"kind.preliminary":                        "заявление о предварительных выводах",
		"kind.final":                              "окончательный отчёт",
		"integ.not_in_core":                       "выборы %s не загружены в vigil",
	},
	"kk": {
		"title.statement":                   "Алдын ала тұжырымдар мен қорытындылар туралы мәлімдеме — сандық деректер",
		"title.final":                       "Қорытынды есеп — жоба",
		"sec.executive":                     "Түйіндеме",
		"gap.core":                          "негізгі топ жазады",
		"gap.analysis":                      "талдауды негізгі топ жазады",
		"sec.integrity_annex":               "Қосымша: нәтижелердің дұрыстығы",
		"sec.followup":                      "Қосымша: бұрынғы ұсынымдардың орындалуы",
		"gap.no_assessment":                 "осы миссияның қорытынды есебі үшін бұрынғы ұсынымдардың бағасы жазылмаған",
		"note.repeats":                      "%s қайталайды",
		"note.suggests":                     "vigil деректері көрсетеді: %s — %s",
		"sec.prior":                         "Бұрынғы ұсынымдар",
		"prior.none":                        "%s елге берілген бұрынғы ұсынымдардың ешқайсысы %s күні орындалмаған деп жазылмаған.",
		"prior.open":                        "%s күні бұрынғы есептердің толық орындалмаған ұсынымдары: %[2]d (ел: %[3]s), олардың ішінде басымдары: %[4]d; бағаланбағаны: %[5]d.",
		"prior.latest":                      "Сайлау алдындағы соңғы бағалау, %s (%s): %s",
		"ref":                               "%s, %s, № %s",
		"report":                            "%s",
		"sec.observation":                   "Дауыс беру күнгі байқау",
		"missing.obs_election":              "байқау деректері: миссия сайлауды атамаған",
		"missing.obs_none":                  "байқау деректері: қолжетімсіз",
		"missing.obs_computed":              "байқау деректері: есептелмеген",
		"obs.value":                         "байқалған %[2]d учаскенің %[1]d-і (%.1[3]f %%)",
		"obs.source":                        "байқау деректері, %s",
		"sec.results":                       "Нәтижелерді жариялау",
		"missing.res_election":              "нәтижелер: миссия vigil-ге жүктелген сайлауды атамаған",
		"missing.res_none":                  "нәтижелер: қолжетімсіз",
		"missing.res_stations":              "нәтижелер: vigil-де %s учаскелер бойынша нәтижелері жоқ",
		"res.source":                        "vigil-дегі нәтижелер, %s",
		"res.stations":                      "Сайлау учаскелері",
		"res.final":                         "ресми түпкілікті нәтижелері барлары",
		"res.preliminary":                   "ресми алдын ала нәтижелері барлары",
		"res.paragraph":                     "Ресми нәтижелер %[2]d сайлау учаскесінің %[1]d-і бойынша қолжетімді (%.1[3]f %%).",
		"sec.integrity":                     "Нәтижелердің дұрыстығы",
		"missing.integ_none":                "дұрыстықты тексеру (байқаушылар хаттамаларының көшірмелері ресми хаттамалармен, параллель санау, статистикалық талдау): есептелмеген",
		"missing.integ":                     "дұрыстықты тексеру: %s",
		"not_computed":                      "есептелмеген",
		"integ.source":                      "дұрыстық, %s",
		"html.election":                     "%s сайлауы",
		"html.data":                         "деректер: %s",
		"html.drafted":                      "vigil %s күні өзіндегі деректер бойынша жасады. Әр санның көзі көрсетілген; негізгі топқа белгіленген бөліктер мен «есептелмеген» деп белгіленген деректер әлі жазылмаған.",
		"html.finding":                      "Тұжырым",
		"html.figure":                       "Сан",
		"html.source":                       "Дереккөз",
		"html.area":                         "Сала",
		"html.all":                          "Барлығы",
		"html.recommendations":              "Ұсынымдар",
		"html.priority":                     "(басым)",
		"col.fully":                         "Толық",
		"col.mostly":                        "Негізінен",
		"col.partially":                     "Ішінара",
		"col.not":                           "Орындалмады",
		"col.not_assessed":                  "Бағаланбаған",
		"summary.none":                      "Бұрынғы ұсынымдар жоқ.",
		"summary":                           "Бұрынғы ұсынымдар: %d; %s.",
		"ind.ballot_box_stuffing":           "Бюллетеньдерді жәшікке заңсыз салу",
		"ind.ballot_boxes_not_sealed":       "Жәшіктер мөрленбеді",
		"ind.ballot_boxes_not_shown_empty":  "Жәшіктердің бос екені көрсетілмеді",
		"ind.ballot_secrecy_not_ensured":    "Дауыс беру құпиялылығы қамтамасыз етілмеді",
		"ind.ballots_not_shown":             "Бюллетеньдер қатысушыларға көрсетілмеді",
		"ind.data_entry_not_visible":        "Деректерді енгізу байқаушыларға көрінбеді",
		"ind.figures_changed_at_tabulation": "Нәтижелерді жинақтау кезінде сандар өзгертілді",
		"ind.group_voting":                  "Топтық дауыс беру",
		"ind.identical_signatures":          "Сайлаушылар тізіміндегі бірдей қолтаңбалар",
		"ind.identity_not_checked":          "Сайлаушылардың жеке басы тексерілмеді",
		"ind.multiple_voting":               "Бірнеше рет дауыс беру",
		"ind.no_protocol_copy":              "Байқаушыларға хаттаманың көшірмесі берілмеді",
		"ind.observers_restricted":          "Байқаушылар шектелді",
		"ind.opening_late":                  "Кешігіп ашылды",
		"ind.protocol_not_posted":           "Хаттама жария ілінбеді",
		"ind.protocol_pre_signed":           "Хаттамаға алдын ала қол қойылды",
		"ind.protocols_corrected_without_recount": "Хаттамалар қайта санаусыз түзетілді",
		"ind.reconciliation_skipped":              "Салыстыру жүргізілмеді",
		"ind.tabulation_results_not_posted":       "Жинақтау нәтижелері ілінбеді",
		"ind.unauthorised_persons_directing":      "Бөгде адамдар комиссия жұмысын басқарды",
		"ind.unauthorised_persons_present":        "Бөгде адамдар болды",
		"ind.unused_ballots_not_cancelled":        "Пайдаланылмаған бюллетеньдер санаудан бұрын жойылмады",
		"ind.validity_inconsistent":               "Бюллетеньдердің жарамдылығы бірізді анықталмады",
		"assessed.counting":                       "Санау нашар немесе өте нашар деп бағаланды",
		"assessed.opening":                        "Ашылу нашар немесе өте нашар деп бағаланды",
		"assessed.tabulation":                     "Нәтижелерді жинақтау нашар немесе өте нашар деп бағаланды",
		"assessed.voting":                         "Дауыс беру нашар немесе өте нашар деп бағаланды",
		"phase.counting":                          "Дауыс санау",
		"phase.opening":                           "Ашылу",
		"phase.tabulation":                        "Нәтижелерді жинақтау",
		"phase.voting":                            "Дауыс беру",
		"prop.no_topic":                           "vigil-де осы ұсынымның мәні бойынша деректер жоқ; оның орындалуын талдаушы бағалайды.",
		"prop.no_election":                        "«%s» есебінің миссиясы vigil-ге жүктелген сайлауды атамаған, сондықтан бағалауға дерек жоқ.",
		"prop.no_results":                         "vigil-дегі сайлау нәтижелері қолжетімсіз.",
		"prop.no_findings":                        "%s сайлауы бойынша байқау деректері қолжетімсіз.",
		"prop.not_in_core":                        "«%s» сайлауы vigil-ге жүктелмеген.",
		"prop.no_stations":                        "vigil-де %s сайлауының сайлау учаскелері жоқ, сондықтан нәтижелердің әр учаске бойынша жарияланғанын анықтау мүмкін емес.",
		"prop.disagg":                             "ресми нәтижелер %[3]s сайлауының %[2]d сайлау учаскесінің %[1]d-і бойынша бар (%.1[4]f %%; түпкілікті — %[5]d, алдын ала — %[6]d): %[7]s.",
		"prop.access_none":                        "%s сайлауындағы байқау байқаушылардың дауыс санау мен нәтижелерді жинақтауға қол жеткізуі туралы ештеңе тіркемеген.",
		"prop.access":                             "%s сайлауында %s: %s.",
		"prop.restricted":                         "байқалған %[2]d дауыс санау мен нәтижелерді жинақтаудың %[1]d-інде байқаушылар шектелді (%.1[3]f %%)",
		"prop.no_copy":                            "байқалған %[2]d дауыс санау мен нәтижелерді жинақтаудың %[1]d-інде байқаушылар хаттаманың көшірмесін алмады (%.1[3]f %%)",
		"integ.test.copies":                       "Байқаушылардағы хаттама көшірмелері ресми хаттамалармен салыстырғанда",
		"integ.test.pvt":                          "Дауыстарды параллель санау",
		"integ.test.forensics":                    "Нәтижелерді статистикалық талдау",
		"integ.no_official":                       "есептелмеген: ресми хаттамалар жоқ",
		"integ.no_copies":                         "есептелмеген: байқаушыларда хаттама көшірмелері жоқ",
		"integ.party_list":                        "партиялық тізімдер бойынша сайлау үшін мұнда есептелмейді: vigil compare командасын мандат бөлу ережелерімен іске қосыңыз",
		"integ.pvt_not":                           "мұнда есептелмейді: vigil pvt командасын миссияның іріктемесі бойынша іске қосыңыз",
		"integ.forensics_not":                     "мұнда есептелмейді: vigil forensics командасын іске қосыңыз",
		"integ.figure":                            "%[2]d учаскенің %[1]d-інде айырмашылық бар",
		"cmp.nothing.final":                       "Бірде-бір учаскеде ресми түпкілікті хаттама мен байқаушы көшірмесі қатар жоқ: салыстыратын ештеңе жоқ.",
		"cmp.nothing.preliminary":                 "Бірде-бір учаскеде ресми алдын ала хаттама мен байқаушы көшірмесі қатар жоқ: салыстыратын ештеңе жоқ.",
		"cmp.differ.final":                        "Ресми түпкілікті хаттамалар салыстырылған %[2]d учаскенің %[1]d-інде байқаушылар көшірмелерінен өзгеше",
		"cmp.differ.preliminary":                  "Ресми алдын ала хаттамалар салыстырылған %[2]d учаскенің %[1]d-інде байқаушылар көшірмелерінен өзгеше",
		"cmp.zero":                                "%s.",
		"cmp.more":                                "; осы учаскелерде ресми хаттамаларда %s үшін берілген дауыстар көшірмелердегіден көп (айырма: %d)",
		"cmp.fewer":                               "; осы учаскелерде ресми хаттамаларда %s үшін берілген дауыстар көшірмелердегіден аз (айырма: %d)",
		"cmp.full":                                "%s%s. Жарияланған нәтижелер бойынша: %s. Осы учаскелерсіз: %s. Олардың хаттамаларының орнына көшірмелермен: %s. %s",
		"cmp.wins":                                "%s жарамды дауыстардың %.2f %%-ын алып жеңеді",
		"cmp.runoff":                              "%s және %s арасында екінші тур",
		"cmp.seats":                               "мандаттар: %s",
		"cmp.no_outcome":                          "нәтиже анықталмаған",
		"cmp.changes":                             "Айырмашылықтар сайлау нәтижесін өзгертеді.",
		"cmp.no_change":                           "Айырмашылықтар өздігінен сайлау нәтижесін өзгертпейді; олар басқа жеңімпазды емес, нәтижелерді жинақтау барысын айғақтайды.",
		"html.quoted":                             "Ұсынымдар, олардың орындалуының бағалары, миссиялар мен есептердің атаулары миссия жазбаларынан жазылған күйінде және жазылған тілінде келтіріледі.",
		"res.share":                               "%d (%.1f %%)",
		"kind.interim":                            "аралық есеп",
		"kind.preliminary":                        "алдын ала тұжырымдар туралы мәлімдеме",
		"kind.final":                              "қорытынды есеп",
		"integ.not_in_core":                       "%s сайлауы vigil-ге жүктелмеген",
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

// DraftLang picks a draft language from a tag ("ru", "kk-KZ"); English
// for anything else.
func DraftLang(tag string) string {
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
	if w != "en" && w != "" {
		// Russian and Kazakh write a decimal comma, as the portal does
		// (its catalogues' num.decimal).
		for i, a := range args {
			if f, ok := a.(float64); ok {
				args[i] = decimalComma(f)
			}
		}
	}
	return fmt.Sprintf(m, args...)
}

// decimalComma formats as a float64 does, with a comma for the point.
type decimalComma float64

func (d decimalComma) Format(f fmt.State, verb rune) {
	io.WriteString(f, strings.Replace(fmt.Sprintf(fmt.FormatString(f, verb), float64(d)), ".", ",", 1))
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
