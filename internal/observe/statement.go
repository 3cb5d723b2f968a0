package observe

import (
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"
)

// StatementOptions configure the rendering of the statement's figures.
type StatementOptions struct {
	// ReportsURL is the address of the reports list that every figure
	// links to, with its selection in the query (phase, negative=1,
	// indicator, region). Relative or absolute.
	ReportsURL   string
	Organisation string
}

var phaseTitle = map[string]string{"opening": "Opening", "voting": "Voting", "counting": "Counting", "tabulation": "Tabulation"}

var phaseNoun = map[string]string{
	"opening": "the opening was", "voting": "voting was", "counting": "the count was", "tabulation": "the tabulation was",
}

func pct(x float64) string { return fmt.Sprintf("%.1f %%", 100*x) }

func ci(c [2]float64) string { return fmt.Sprintf("%.1f–%.1f %%", 100*c[0], 100*c[1]) }

// design says how an interval treats the clustering of observations: the
// design effect over the teams, or nothing when each observation is its
// own cluster (the simple Wilson interval).
func design(method string, deff float64, clusters int) string {
	if method != "cluster score" {
		return ""
	}
	return fmt.Sprintf(", %d teams as clusters, design effect %.1f", clusters, deff)
}

func link(base string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return base + "?" + q.Encode()
}

func humanise(ind string) string {
	s := strings.ReplaceAll(ind, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// StatementMarkdown writes the quantitative part of a Statement of
// Preliminary Findings: coverage, then for each phase the share assessed
// negatively with its Wilson 95 % interval and the key indicators, then the
// same by region. Every count links to the reports behind it.
func StatementMarkdown(w io.Writer, f *Findings, opt StatementOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Statement of Preliminary Findings: quantitative part\n\n")
	if opt.Organisation != "" {
		fmt.Fprintf(&b, "Observation by %s. ", opt.Organisation)
	}
	fmt.Fprintf(&b, "Election: %s.\n\n", f.Election)
	fmt.Fprintf(&b, "Figures count observations: visits, the reports of one team at one place and phase taken together; quarantined reports are excluded (%d). Shares carry a Wilson 95 %% confidence interval. Each count links to the reports behind it.\n\n", f.Quarantined)
	c := f.Coverage.Total
	fmt.Fprintf(&b, "## Coverage\n\nObservers reported from %d of %d deployed polling stations (%s); %d sent no report; %d have reports that disagree and are not yet resolved.\n\n",
		c.Reported, c.Deployed, pct(Share(c.Reported, c.Deployed)), c.Missing, c.Conflict)
	if len(f.Coverage.ByArea) > 0 {
		b.WriteString("| Region | Deployed | Reported | Missing | In conflict |\n|---|---:|---:|---:|---:|\n")
		for _, r := range SortedKeys(f.Coverage.ByArea) {
			cv := f.Coverage.ByArea[r]
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", mdEscape(r), cv.Deployed, cv.Reported, cv.Missing, cv.Conflict)
		}
		b.WriteString("\n")
	}
	for _, ph := range ReportedPhases {
		p := string(ph)
		pf := f.Phases[p]
		fmt.Fprintf(&b, "## %s\n\n", phaseTitle[p])
		if pf.Observed == 0 {
			b.WriteString("No observations.\n\n")
			continue
		}
		fmt.Fprintf(&b, "Observers assessed that %s bad or very bad in [%d](%s) of [%d](%s) observations (%s; 95 %% CI %s%s).\n\n",
			phaseNoun[p], pf.Negative, link(opt.ReportsURL, "phase", p, "negative", "1"), pf.Observed, link(opt.ReportsURL, "phase", p), pct(pf.Share), ci(pf.CI95),
			design(pf.CIMethod, pf.DesignEffect, pf.Clusters))
		if len(pf.Indicators) > 0 {
			b.WriteString("| Key indicator | Reported | Observed | Share | 95 % CI |\n|---|---:|---:|---:|---:|\n")
			for _, ind := range SortedKeys(pf.Indicators) {
				st := pf.Indicators[ind]
				fmt.Fprintf(&b, "| %s | [%d](%s) | %d | %s | %s |\n", humanise(ind), st.Reported, link(opt.ReportsURL, "phase", p, "indicator", ind), st.Observed, pct(st.Share), ci(st.CI95)+design(st.CIMethod, st.DesignEffect, st.Clusters))
			}
			b.WriteString("\n")
		}
		var regions []string
		for _, r := range SortedKeys(f.ByArea) {
			if f.ByArea[r][p].Observed > 0 {
				regions = append(regions, r)
			}
		}
		if len(regions) > 0 {
			fmt.Fprintf(&b, "%s by region:\n\n| Region | Negative | Observed | Share | 95 %% CI |\n|---|---:|---:|---:|---:|\n", phaseTitle[p])
			for _, r := range regions {
				rf := f.ByArea[r][p]
				fmt.Fprintf(&b, "| %s | [%d](%s) | %d | %s | %s |\n", mdEscape(r), rf.Negative, link(opt.ReportsURL, "phase", p, "negative", "1", "region", r), rf.Observed, pct(rf.Share), ci(rf.CI95)+design(rf.CIMethod, rf.DesignEffect, rf.Clusters))
			}
			b.WriteString("\n")
		}
	}
	if len(f.Incidents) > 0 {
		b.WriteString("## Incidents\n\n| Category | Reported | Confirmed |\n|---|---:|---:|\n")
		for _, c := range SortedKeys(f.Incidents) {
			st := f.Incidents[c]
			fmt.Fprintf(&b, "| %s | [%d](%s) | %d |\n", humanise(orUnknown(c)), st.Reported, link(opt.ReportsURL, "phase", "incident", "category", c), st.Confirmed)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orUnknown(c string) string {
	if c == "" {
		return "not_given"
	}
	return c
}

func mdEscape(s string) string {
	if s == "" {
		s = "(no region)"
	}
	return strings.NewReplacer("|", "\\|", "[", "\\[", "]", "\\]", "\n", " ").Replace(s)
}

type htmlRow struct {
	Name, Link            string
	Count, Of             int
	Share, CI             string
	Deployed, Missing, Co int
}

type htmlPhase struct {
	Title, Noun, NegLink, ObsLink, Share, CI string
	Negative, Observed                       int
	Indicators, Regions                      []htmlRow
}

var statementTmpl = template.Must(template.New("s").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statement of Preliminary Findings · {{.Election}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:1rem 0}th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd}td.n{text-align:right;font-variant-numeric:tabular-nums}</style>
</head><body>
<h1>Statement of Preliminary Findings: quantitative part</h1>
<p>{{if .Org}}Observation by {{.Org}}. {{end}}Election: {{.Election}}.</p>
<p>Figures count observations: visits, the reports of one team at one place and phase taken together; quarantined reports are excluded ({{.Quarantined}}). Shares carry a Wilson 95 % confidence interval. Each count links to the reports behind it.</p>
<h2>Coverage</h2>
<p>Observers reported from {{.Cov.Reported}} of {{.Cov.Deployed}} deployed polling stations ({{.CovShare}}); {{.Cov.Missing}} sent no report; {{.Cov.Conflict}} have reports that disagree and are not yet resolved.</p>
{{if .CovRows}}<table><thead><tr><th scope="col">Region</th><th scope="col">Deployed</th><th scope="col">Reported</th><th scope="col">Missing</th><th scope="col">In conflict</th></tr></thead><tbody>
{{range .CovRows}}<tr><th scope="row">{{.Name}}</th><td class="n">{{.Deployed}}</td><td class="n">{{.Count}}</td><td class="n">{{.Missing}}</td><td class="n">{{.Co}}</td></tr>
{{end}}</tbody></table>{{end}}
{{range .Phases}}<h2>{{.Title}}</h2>
{{if .Observed}}<p>Observers assessed that {{.Noun}} bad or very bad in <a href="{{.NegLink}}">{{.Negative}}</a> of <a href="{{.ObsLink}}">{{.Observed}}</a> observations ({{.Share}}; 95 % CI {{.CI}}).</p>
{{if .Indicators}}<table><thead><tr><th scope="col">Key indicator</th><th scope="col">Reported</th><th scope="col">Observed</th><th scope="col">Share</th><th scope="col">95 % CI</th></tr></thead><tbody>
{{range .Indicators}}<tr><th scope="row">{{.Name}}</th><td class="n"><a href="{{.Link}}">{{.Count}}</a></td><td class="n">{{.Of}}</td><td class="n">{{.Share}}</td><td class="n">{{.CI}}</td></tr>
{{end}}</tbody></table>{{end}}
{{if .Regions}}<table><caption>{{.Title}} by region</caption><thead><tr><th scope="col">Region</th><th scope="col">Negative</th><th scope="col">Observed</th><th scope="col">Share</th><th scope="col">95 % CI</th></tr></thead><tbody>
{{range .Regions}}<tr><th scope="row">{{.Name}}</th><td class="n"><a href="{{.Link}}">{{.Count}}</a></td><td class="n">{{.Of}}</td><td class="n">{{.Share}}</td><td class="n">{{.CI}}</td></tr>
{{end}}</tbody></table>{{end}}
{{else}}<p>No observations.</p>{{end}}
{{end}}{{if .Incidents}}<h2>Incidents</h2>
<table><thead><tr><th scope="col">Category</th><th scope="col">Reported</th><th scope="col">Confirmed</th></tr></thead><tbody>
{{range .Incidents}}<tr><th scope="row">{{.Name}}</th><td class="n"><a href="{{.Link}}">{{.Count}}</a></td><td class="n">{{.Of}}</td></tr>
{{end}}</tbody></table>{{end}}
</body></html>
`))

// StatementHTML writes the same statement as StatementMarkdown as a
// standalone HTML page.
func StatementHTML(w io.Writer, f *Findings, opt StatementOptions) error {
	data := map[string]any{"Election": f.Election, "Org": opt.Organisation, "Quarantined": f.Quarantined,
		"Cov": f.Coverage.Total, "CovShare": pct(Share(f.Coverage.Total.Reported, f.Coverage.Total.Deployed))}
	var cov []htmlRow
	for _, r := range SortedKeys(f.Coverage.ByArea) {
		c := f.Coverage.ByArea[r]
		name := r
		if name == "" {
			name = "(no region)"
		}
		cov = append(cov, htmlRow{Name: name, Deployed: c.Deployed, Count: c.Reported, Missing: c.Missing, Co: c.Conflict})
	}
	data["CovRows"] = cov
	var phases []htmlPhase
	for _, ph := range ReportedPhases {
		p := string(ph)
		pf := f.Phases[p]
		hp := htmlPhase{Title: phaseTitle[p], Noun: phaseNoun[p], Negative: pf.Negative, Observed: pf.Observed,
			NegLink: link(opt.ReportsURL, "phase", p, "negative", "1"), ObsLink: link(opt.ReportsURL, "phase", p), Share: pct(pf.Share), CI: ci(pf.CI95) + design(pf.CIMethod, pf.DesignEffect, pf.Clusters)}
		for _, ind := range SortedKeys(pf.Indicators) {
			st := pf.Indicators[ind]
			hp.Indicators = append(hp.Indicators, htmlRow{Name: humanise(ind), Link: link(opt.ReportsURL, "phase", p, "indicator", ind),
				Count: st.Reported, Of: st.Observed, Share: pct(st.Share), CI: ci(st.CI95) + design(st.CIMethod, st.DesignEffect, st.Clusters)})
		}
		for _, r := range SortedKeys(f.ByArea) {
			rf := f.ByArea[r][p]
			if rf.Observed == 0 {
				continue
			}
			hp.Regions = append(hp.Regions, htmlRow{Name: r, Link: link(opt.ReportsURL, "phase", p, "negative", "1", "region", r),
				Count: rf.Negative, Of: rf.Observed, Share: pct(rf.Share), CI: ci(rf.CI95) + design(rf.CIMethod, rf.DesignEffect, rf.Clusters)})
		}
		phases = append(phases, hp)
	}
	data["Phases"] = phases
	var inc []htmlRow
	for _, c := range SortedKeys(f.Incidents) {
		st := f.Incidents[c]
		inc = append(inc, htmlRow{Name: humanise(orUnknown(c)), Link: link(opt.ReportsURL, "phase", "incident", "category", c), Count: st.Reported, Of: st.Confirmed})
	}
	data["Incidents"] = inc
	return statementTmpl.Execute(w, data)
}
