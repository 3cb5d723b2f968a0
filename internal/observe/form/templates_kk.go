package form

// kazakh holds the Kazakh labels of the default templates, keyed by the
// English label: the templates are written in English and Russian beside
// each other, and the Kazakh follows here so that one table can be read
// and checked by a translator. TestTemplatesInKazakh checks that every
// label of every template has one.
var kazakh = map[string]string{
	// Forms.
	"Opening":    "Ашылу",
	"Voting":     "Дауыс беру",
	"Counting":   "Дауыс санау",
	"Tabulation": "Нәтижелерді жинақтау",
	"Incident":   "Оқиға",
	// Common questions.
	"Polling station number":             "Сайлау учаскесінің нөмірі",
	"Time of arrival":                    "Келген уақыты",
	"SMS: four digits, 0730":             "SMS: төрт цифр, 0730",
	"Were unauthorised persons present?": "Бөгде адамдар болды ма?",
	"Did unauthorised persons direct or interfere in the work of the commission?": "Бөгде адамдар комиссия жұмысын басқарды ма немесе оған араласты ма?",
	"Were observers restricted in their observation?":                             "Байқаушылардың байқау жүргізуі шектелді ме?",
	// Opening.
	"Did the polling station open on time?":                   "Сайлау учаскесі уақытында ашылды ма?",
	"Were the ballot boxes shown to be empty before sealing?": "Жәшіктер мөрленер алдында бос екені көрсетілді ме?",
	"Were the ballot boxes properly sealed?":                  "Жәшіктер тиісінше мөрленді ме?",
	"Number of ballots the commission received":               "Комиссия алған бюллетеньдер саны",
	"Overall assessment of the opening":                       "Ашылудың жалпы бағасы",
	// Voting.
	"Voters who had received a ballot at the time of the visit":               "Келген сәтте бюллетень алған сайлаушылар саны",
	"Was the secrecy of the ballot ensured?":                                  "Дауыс беру құпиялылығы қамтамасыз етілді ме?",
	"Were voters' identity documents checked?":                                "Сайлаушылардың жеке басын куәландыратын құжаттары тексерілді ме?",
	"Did you observe group (family) voting?":                                  "Топтық (отбасылық) дауыс беру байқалды ма?",
	"Did you observe ballot box stuffing?":                                    "Бюллетеньдерді жәшікке заңсыз салу байқалды ма?",
	"Did you observe indications of multiple voting?":                         "Бірнеше рет дауыс беру белгілері байқалды ма?",
	"Did you see series of seemingly identical signatures on the voter list?": "Сайлаушылар тізімінде бір-біріне ұқсас қолтаңбалар тізбегі болды ма?",
	"Overall assessment of voting":                                            "Дауыс берудің жалпы бағасы",
	// Counting.
	"Were unused ballots counted and cancelled before the ballot boxes were opened?":                                                          "Пайдаланылмаған бюллетеньдер жәшіктер ашылғанға дейін саналып, жойылды ма?",
	"Were the reconciliation procedures carried out (signatures on the voter list counted, figures entered) before the ballots were counted?": "Бюллетеньдерді санаудан бұрын салыстыру рәсімдері (тізімдегі қолтаңбаларды санау, сандарды хаттамаға енгізу) жүргізілді ме?",
	"Was each ballot shown to those present and the choice announced aloud?":                                                                  "Әр бюллетень қатысушыларға көрсетіліп, белгі дауыстап жарияланды ма?",
	"Was the validity of ballots decided reasonably and consistently?":                                                                        "Бюллетеньдердің жарамдылығы негізді әрі бірізді анықталды ма?",
	"Had the protocol been signed in advance?":                                                                                                "Хаттамаға алдын ала қол қойылды ма?",
	"Was the results protocol posted publicly at the polling station?":                                                                        "Нәтижелер хаттамасы учаскеде жария ілінді ме?",
	"Did observers receive a copy of the results protocol?":                                                                                   "Байқаушылар нәтижелер хаттамасының көшірмесін алды ма?",
	"Overall assessment of the count":                                                                                                         "Дауыс санаудың жалпы бағасы",
	"Results protocol: the figures as written in the protocol":                                                                                "Дауыс беру нәтижелері туралы хаттама: сандар хаттамада жазылғандай",
	"Photo of the results protocol":                                                                                                           "Нәтижелер хаттамасының суреті",
	"Voters on the list":                                                                                                                      "Тізімге енгізілген сайлаушылар саны",
	"Ballots received":                                                                                                                        "Комиссия алған бюллетеньдер саны",
	"Ballots issued to voters":                                                                                                                "Сайлаушыларға берілген бюллетеньдер саны",
	"Unused (cancelled) ballots":                                                                                                              "Жойылған бюллетеньдер саны",
	"Ballots found in the ballot boxes":                                                                                                       "Жәшіктерден табылған бюллетеньдер саны",
	"Invalid ballots":                                                                                                                         "Жарамсыз бюллетеньдер саны",
	"Valid ballots":                                                                                                                           "Жарамды бюллетеньдер саны",
	// Tabulation.
	"District (territorial) commission number":                                      "Округтік (аумақтық) комиссияның нөмірі",
	"Could observers follow the tabulation in full?":                                "Байқаушылар нәтижелерді жинақтауды толық бақылай алды ма?",
	"Were precinct protocols changed, or their figures altered, at the commission?": "Комиссияда учаскелік хаттамалар ауыстырылды ма немесе олардағы сандар өзгертілді ме?",
	"Were protocols with errors corrected without a recount?":                       "Қателері бар хаттамалар қайта санаусыз түзетілді ме?",
	"Were figures entered into the results system in view of observers?":            "Сандар нәтижелер жүйесіне байқаушылардың көзінше енгізілді ме?",
	"Did the commission post its summary results?":                                  "Комиссия жиынтық нәтижелерін ілді ме?",
	"Overall assessment of the tabulation":                                          "Нәтижелерді жинақтаудың жалпы бағасы",
	// Incident.
	"Polling station number (if at a station)":       "Учаске нөмірі (учаскеде болса)",
	"Time of the incident":                           "Оқиғаның уақыты",
	"Type of incident":                               "Оқиғаның түрі",
	"Intimidation or pressure on voters":             "Сайлаушыларды қорқыту немесе оларға қысым жасау",
	"Vote buying":                                    "Дауыс сатып алу",
	"Ballot box stuffing":                            "Бюллетеньдерді жәшікке заңсыз салу",
	"Multiple voting":                                "Бірнеше рет дауыс беру",
	"Observers obstructed or expelled":               "Байқаушыларға кедергі жасалды немесе олар шығарылды",
	"Violence or unrest":                             "Зорлық-зомбылық немесе тәртіпсіздік",
	"Campaigning near the station":                   "Учаске маңында үгіт жүргізу",
	"Other":                                          "Басқа",
	"Was it reported to the commission chair?":       "Бұл туралы комиссия төрағасына хабарланды ма?",
	"What happened (who, what, when, what was done)": "Не болды (кім, не, қашан, қандай шара қолданылды)",
	"Photo": "Сурет",
}

// kk fills a label's Kazakh from the table, when it has none.
func kk(l Label) Label {
	if l.KK == "" {
		l.KK = kazakh[l.EN]
	}
	return l
}

// withKazakh gives every label of a default template its Kazakh.
func withKazakh(f *Form) *Form {
	f.Name = kk(f.Name)
	for i := range f.Questions {
		q := &f.Questions[i]
		q.Label, q.Hint = kk(q.Label), kk(q.Hint)
		for j := range q.Choices {
			q.Choices[j].Label = kk(q.Choices[j].Label)
		}
		for j := range q.Items {
			if q.Items[j].IsVotes() {
				continue // "Votes: NAME", made with the option
			}
			q.Items[j].Label = kk(q.Items[j].Label)
		}
	}
	return f
}
