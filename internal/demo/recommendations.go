package demo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/recommend"
)

// The demo's history of recommendations: what the recommendations pages,
// the follow-up and the drafts show on a fresh demo. It lives here, not in
// recommend, so that the domain package holds no demo data (issue 16);
// recommend's tests read it through their external test package.

// RecommendationOptions configures SeedRecommendations.
type RecommendationOptions struct {
	// Country is the ISO code of the demo country; "KZ" when empty.
	Country string
	// Organisation owns the missions (its staff may write); "OSCE/ODIHR"
	// when empty.
	Organisation string
	// Elections names, by election year (2021, 2022, 2023), the election
	// of the results core each mission observed, so that proposals read
	// its evidence. Years left out reference no election.
	Elections map[int]string
}

// recTheme is one recommendation as it recurs from report to report.
type recTheme struct {
	area      recommend.Area
	priority  bool
	addressee string
	topic     recommend.Topic
	text      string
}

// recThemes are the recommendations of the demo's history, worded as
// final reports word them. The key recommendations of the Kazakhstan
// reports are among them: independence of election commissions (4), a
// pluralistic environment (2), observers' unrestricted access including
// counting and tabulation (21), disaggregated results (29).
var recThemes = []recTheme{
	1:  {recommend.LegalFramework, true, "Parliament", "", "The legal framework should be comprehensively reviewed, in an inclusive process and well ahead of the next elections, to bring it in line with OSCE commitments and international standards and to address the gaps identified in this and previous reports."},
	2:  {recommend.LegalFramework, true, "Parliament, Government", "", "Restrictions on the fundamental freedoms of peaceful assembly, association and expression should be lifted, so as to enable a genuinely pluralistic political environment in which parties and candidates can compete freely."},
	3:  {recommend.LegalFramework, false, "Parliament", "", "The requirement of prior permission for public assemblies should be replaced by a notification procedure, and the designated areas for assemblies should be abolished."},
	4:  {recommend.ElectionAdministration, true, "Parliament", "", "Measures should be taken to guarantee the independence and impartiality of election commissions at all levels, including a transparent and inclusive appointment procedure with the participation of political parties and safeguards against the dismissal of members without cause."},
	5:  {recommend.ElectionAdministration, false, "Central Election Commission", "", "The Central Election Commission should hold its sessions in public, announce their agendas in advance and publish all its decisions promptly on its website."},
	6:  {recommend.ElectionAdministration, false, "Central Election Commission", "", "Comprehensive and mandatory training on election day procedures, in particular the count and the completion of results protocols, should be provided to all members of precinct election commissions."},
	7:  {recommend.VoterRegistration, false, "Central Election Commission, Ministry of Justice", "", "The voter lists should be reviewed to remove duplicate and deceased voters and made available for public scrutiny, with due protection of personal data."},
	8:  {recommend.VoterRegistration, false, "Parliament", "", "Voting with the mobile ballot box should be limited to voters who cannot come to the polling station, on a written request received in advance, with safeguards against abuse."},
	9:  {recommend.CandidateRegistration, true, "Parliament", "", "The requirements for the registration of political parties, including the minimum number of members, should be substantially reduced, and registration decided within a short legal deadline."},
	10: {recommend.CandidateRegistration, false, "Parliament", "", "Self-nominated candidates should be able to stand in all elections, and the residency and language requirements for candidates should be reviewed."},
	11: {recommend.CandidateRegistration, false, "Central Election Commission", "", "The grounds for the de-registration of candidates and party lists should be narrowed and applied proportionately, with the right to an effective and timely appeal."},
	12: {recommend.Campaign, false, "Parliament", "", "Provisions that restrict campaign speech, such as the prohibition of spreading 'false information' and of insulting the honour of candidates, should be revised in line with international standards on freedom of expression."},
	13: {recommend.Campaign, false, "Government", "", "Effective measures should be taken to prevent the misuse of administrative resources and pressure on public-sector employees and students to attend campaign events or to vote."},
	14: {recommend.Campaign, false, "Parliament", "", "All contestants should file interim and final campaign finance reports, published in full and in time, and an independent body should review them with the power to sanction violations."},
	15: {recommend.Campaign, false, "Parliament", "", "The limits on campaign donations and expenditure should be reviewed, and campaigning by third parties should be regulated."},
	16: {recommend.Media, true, "Parliament", "", "Defamation should be fully decriminalised, and the legal provisions that unduly limit media freedom, including the broad offence of disseminating 'false information', should be repealed."},
	17: {recommend.Media, false, "Government", "", "State-funded media should be transformed into a public service broadcaster with guaranteed editorial independence, giving equitable and unbiased coverage to all contestants."},
	18: {recommend.Media, false, "Parliament", "", "An independent body should monitor the media's compliance with the rules of campaign coverage and act promptly on complaints."},
	19: {recommend.Complaints, false, "Parliament", "", "Every decision, action and inaction of election commissions should be open to appeal before a court, with reasoned decisions taken and published within short deadlines."},
	20: {recommend.Complaints, false, "Central Election Commission", "", "The Central Election Commission should consider complaints in public sessions and publish a register of the complaints received and of its decisions on them."},
	21: {recommend.Observation, true, "Parliament, Central Election Commission", recommend.ObserverAccess, "Citizen and international observers should have unrestricted access to the entire electoral process, including voting, counting and tabulation, with the right to observe at close range and to receive copies of the results protocols."},
	22: {recommend.Observation, false, "Parliament", "", "Non-partisan citizen observer organisations should be able to accredit observers in their own right, and the restrictions on observers' photography and video recording should be removed."},
	23: {recommend.ElectionDay, false, "Central Election Commission", "", "The secrecy of the vote should be ensured through the consistent use of voting screens and a layout of polling stations that protects it."},
	24: {recommend.ElectionDay, false, "Central Election Commission, law enforcement", "", "Safeguards against multiple, group and proxy voting should be enforced, and the instances observed investigated."},
	25: {recommend.ElectionDay, false, "Central Election Commission, local authorities", "", "Polling stations should be made independently accessible to voters with disabilities."},
	26: {recommend.Counting, true, "Central Election Commission", "", "Counting procedures should be followed, in particular the reconciliation of unused and issued ballots before the ballot boxes are opened and the announcement of each ballot's choice aloud, and results protocols should be completed in full in the presence of observers before they are signed."},
	27: {recommend.Counting, false, "Central Election Commission", "", "A copy of the results protocol should be displayed for public familiarisation at every polling station immediately after the count and given to every observer and candidate proxy who asks."},
	28: {recommend.Counting, false, "Central Election Commission", "", "Tabulation at territorial election commissions should be transparent, with observers able to see the data entered and the results of each precinct commission as they are received."},
	29: {recommend.Publication, true, "Central Election Commission", recommend.DisaggregatedResults, "The Central Election Commission should publish disaggregated election results, by polling station, promptly and in a machine-readable format, together with the preliminary results as they are tabulated."},
	30: {recommend.Publication, false, "Central Election Commission", "", "The results protocols of all election commissions should be published on the Central Election Commission's website, with scanned copies, promptly after the count."},
	31: {recommend.LegalFramework, false, "Parliament", "", "Constitutional and legal amendments affecting elections should be adopted after an inclusive public consultation, and not shortly before elections."},
	32: {recommend.CandidateRegistration, false, "Parliament", "", "The requirement for presidential candidates to have five years' experience in public service or elected office should be lifted."},
	33: {recommend.ElectionAdministration, false, "Parliament", "", "The legal deadlines of early elections should be adapted so that election commissions and contestants have sufficient time to prepare."},
	34: {recommend.Media, false, "Government", "", "Access to online media and social networks should not be blocked, and any restriction of internet content should rest on a court decision and be proportionate."},
	35: {recommend.Observation, false, "Central Election Commission", "", "International and citizen observers should be accredited in time and without undue requirements."},
	36: {recommend.ElectionDay, false, "Central Election Commission", "", "The use of web cameras in polling stations should respect the secrecy of the vote, and their recordings should be available for the resolution of complaints."},
	37: {recommend.Complaints, false, "Prosecutor General's Office", "", "Allegations of intimidation of voters, candidates and observers should be investigated promptly and effectively."},
	38: {recommend.VoterRegistration, false, "Parliament", "", "The rules for voting abroad and for registering to vote at the place of stay should be clarified and applied consistently."},
	39: {recommend.LegalFramework, false, "Parliament", "", "The boundaries of the newly introduced single-member districts should be drawn by an independent process on clear criteria that ensure the equality of the vote."},
	40: {recommend.CandidateRegistration, false, "Central Election Commission", "", "Candidate registration in single-member districts should be inclusive, with a transparent verification of supporting signatures and the right to correct errors."},
}

// The demo's assessments: how each follow-up judged the themes. The 2023
// follow-up of the 36 recommendations of 2022 comes out as the Kazakhstan
// reports put it: three fully, three mostly, 24 partially implemented, the
// others (six) not implemented.
var (
	recStatus2022 = map[int]recommend.Status{ // the 2022 report on the 30 of 2021
		7: recommend.Fully, 20: recommend.Fully,
		5: recommend.Mostly, 23: recommend.Mostly,
		1: recommend.Partially, 2: recommend.Partially, 3: recommend.Partially, 4: recommend.Partially, 6: recommend.Partially, 9: recommend.Partially, 10: recommend.Partially, 11: recommend.Partially,
		13: recommend.Partially, 14: recommend.Partially, 19: recommend.Partially, 21: recommend.Partially, 24: recommend.Partially, 26: recommend.Partially, 29: recommend.Partially, 30: recommend.Partially,
		8: recommend.NotImpl, 12: recommend.NotImpl, 15: recommend.NotImpl, 16: recommend.NotImpl, 17: recommend.NotImpl, 18: recommend.NotImpl, 22: recommend.NotImpl, 25: recommend.NotImpl, 27: recommend.NotImpl, 28: recommend.NotImpl,
	}
	recStatus2023 = map[int]recommend.Status{ // the 2023 report on the 36 of 2022
		5: recommend.Fully, 9: recommend.Fully, 35: recommend.Fully,
		6: recommend.Mostly, 23: recommend.Mostly, 33: recommend.Mostly,
		12: recommend.NotImpl, 16: recommend.NotImpl, 17: recommend.NotImpl, 22: recommend.NotImpl, 28: recommend.NotImpl, 34: recommend.NotImpl,
	}
)

var recReasons = map[recommend.Status]string{
	recommend.Fully:     "Addressed by amendments adopted before this election; the mission saw the new provisions applied in practice.",
	recommend.Mostly:    "Largely addressed by legal or administrative changes; some aspects of the recommendation remain open, as this report describes.",
	recommend.Partially: "Some steps were taken, but the main concerns of the previous report remain and are reiterated in this report.",
	recommend.NotImpl:   "No steps were taken to address this recommendation, and the concerns remain.",
}

// recThemeReasons word the key recommendations' assessments.
var recThemeReasons = map[[2]int]string{
	{2022, 21}: "Observers could follow voting, but in a number of polling stations they were kept at a distance from the count or denied a copy of the protocol; tabulation at territorial commissions was open only in part.",
	{2023, 21}: "Access improved at the count in many polling stations, but observers were again restricted in some, and tabulation remained difficult to follow.",
	{2022, 29}: "Results were published by territorial election commission; polling-station results were displayed locally but not published centrally.",
	{2023, 29}: "The CEC published results by district; polling-station results were not published in full or in a machine-readable format.",
	{2022, 4}:  "Amendments changed the appointment of the CEC, but the executive's role in forming lower-level commissions remained, and party representation is limited.",
	{2023, 4}:  "Commissions continued to be formed on the proposal of local councils dominated by the ruling party; safeguards against dismissal were not introduced.",
	{2023, 2}:  "Registration of new parties became possible after the 2022 reforms, but restrictions on assembly and expression continued to limit the pluralism of the campaign.",
	{2023, 9}:  "The minimum membership for party registration was reduced, and new parties were registered ahead of the election.",
}

// SeedRecommendations writes the demo's history of recommendations: three
// missions to the country (the 2021 parliamentary, 2022 presidential and
// 2023 parliamentary elections) and a citizen observer group in 2021,
// their interim reports, statements and final reports; 30 recommendations
// in 2021, 36 in 2022 and 32 in 2023, linked by repeats; and the follow-up
// of each cycle's recommendations by the next. It does nothing when the
// demo missions are already there, so a demo can call it every start.
func SeedRecommendations(ctx context.Context, db recommend.Store, opt RecommendationOptions) (recommend.ImportStats, error) {
	ds := RecommendationsDataset(opt)
	have, err := db.Recommendations(ctx, ds.Missions[0].Country)
	if err != nil {
		return recommend.ImportStats{}, fmt.Errorf("reading the recommendations of %s: %w", ds.Missions[0].Country, err)
	}
	for _, m := range have.Missions {
		if m.Key == ds.Missions[0].Key {
			return recommend.ImportStats{}, nil
		}
	}
	st, err := recommend.Import(ctx, db, ds)
	if err != nil {
		return st, fmt.Errorf("importing the demo's recommendations: %w", err)
	}
	return st, nil
}

// RecommendationsDataset is the dataset SeedRecommendations writes.
func RecommendationsDataset(opt RecommendationOptions) *recommend.Dataset {
	country := strings.ToUpper(opt.Country)
	if country == "" {
		country = "KZ"
	}
	org := opt.Organisation
	if org == "" {
		org = "OSCE/ODIHR"
	}
	p := strings.ToLower(country) + "-"
	ds := &recommend.Dataset{}
	type cycle struct {
		year                   int
		slug, name, date       string
		typ                    recommend.MissionType
		interim, prelim, final string
	}
	cycles := []cycle{
		{2021, "2021-parliamentary", "ODIHR Election Observation Mission, Parliamentary Elections of 10 January 2021", "2021-01-10", recommend.FullMission, "2020-12-18", "2021-01-11", "2021-03-18"},
		{2022, "2022-presidential", "ODIHR Election Observation Mission, Early Presidential Election of 20 November 2022", "2022-11-20", recommend.FullMission, "2022-11-04", "2022-11-21", "2023-02-24"},
		{2023, "2023-parliamentary", "International Election Observation Mission, Early Parliamentary Elections of 19 March 2023", "2023-03-19", recommend.FullMission, "2023-03-03", "2023-03-20", "2023-06-22"},
	}
	for _, c := range cycles {
		mk := p + c.slug + "-eom"
		ds.Missions = append(ds.Missions, &recommend.Mission{Key: mk, Country: country, Type: c.typ, Name: c.name, Organisation: org,
			Election: opt.Elections[c.year], ElectionDate: c.date})
		ds.Reports = append(ds.Reports,
			&recommend.Report{Key: p + c.slug + "-interim", MissionKey: mk, Kind: recommend.Interim, Title: "Interim Report", Date: c.interim},
			&recommend.Report{Key: p + c.slug + "-statement", MissionKey: mk, Kind: recommend.Preliminary, Title: "Statement of Preliminary Findings and Conclusions", Date: c.prelim},
			&recommend.Report{Key: p + c.slug + "-final", MissionKey: mk, Kind: recommend.Final, Title: "Final Report", Date: c.final},
		)
	}
	dk := p + "2021-parliamentary-citizen"
	ds.Missions = append(ds.Missions, &recommend.Mission{Key: dk, Country: country, Type: recommend.DomesticGroup,
		Name: "Citizen observer coalition, Parliamentary Elections of 10 January 2021", Organisation: org,
		Election: opt.Elections[2021], ElectionDate: "2021-01-10"})
	ds.Reports = append(ds.Reports, &recommend.Report{Key: p + "2021-parliamentary-citizen-statement", MissionKey: dk, Kind: recommend.Preliminary,
		Title: "Preliminary statement on election day", Date: "2021-01-11"})

	final := func(year int) string { return p + cycles[year-2021].slug + "-final" }
	// Which themes each final report recommends: 2021 the first 30; 2022
	// repeats those not fully implemented and adds 31–38; 2023 repeats
	// those partially or not implemented and adds 39–40.
	var themes21, themes22, themes23 []int
	for t := 1; t <= 30; t++ {
		themes21 = append(themes21, t)
	}
	for _, t := range themes21 {
		if recStatus2022[t] != recommend.Fully {
			themes22 = append(themes22, t)
		}
	}
	for t := 31; t <= 38; t++ {
		themes22 = append(themes22, t)
	}
	status23 := func(t int) recommend.Status {
		if s, ok := recStatus2023[t]; ok {
			return s
		}
		return recommend.Partially
	}
	for _, t := range themes22 {
		if s := status23(t); s == recommend.Partially || s == recommend.NotImpl {
			themes23 = append(themes23, t)
		}
	}
	themes23 = append(themes23, 39, 40)

	number := map[[2]int]string{} // (year, recTheme) → number in that year's report
	add := func(year int, themes []int, prevYear int) {
		// Final reports list priority recommendations first, then by area.
		var ordered []int
		for _, pri := range []bool{true, false} {
			for _, a := range recommend.Areas {
				for _, t := range themes {
					if recThemes[t].priority == pri && recThemes[t].area == a {
						ordered = append(ordered, t)
					}
				}
			}
		}
		for i, t := range ordered {
			th := recThemes[t]
			n := strconv.Itoa(i + 1)
			number[[2]int{year, t}] = n
			r := &recommend.Recommendation{ReportKey: final(year), Number: n, Text: th.text, Priority: th.priority, Area: th.area,
				Addressee: th.addressee, Topic: th.topic}
			if prev, ok := number[[2]int{prevYear, t}]; ok && prevYear > 0 {
				r.Repeats = []string{recommend.Ref(final(prevYear), prev)}
			}
			ds.Recommendations = append(ds.Recommendations, r)
		}
	}
	add(2021, themes21, 0)
	add(2022, themes22, 2021)
	add(2023, themes23, 2022)

	assess := func(year, prevYear int, themes []int, status func(int) recommend.Status) {
		for _, t := range themes {
			s := status(t)
			reason, ok := recThemeReasons[[2]int{year, t}]
			if !ok {
				reason = recReasons[s]
			}
			ds.Assessments = append(ds.Assessments, &recommend.Assessment{
				Recommendation: recommend.Ref(final(prevYear), number[[2]int{prevYear, t}]), ReportKey: final(year),
				Status: s, Reasoning: reason,
				Evidence: fmt.Sprintf("%s, section on %s", cycles[year-2021].name, strings.ToLower(recThemes[t].area.Title())),
			})
		}
	}
	assess(2022, 2021, themes21, func(t int) recommend.Status { return recStatus2022[t] })
	assess(2023, 2022, themes22, status23)
	return ds
}
