package integrityapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
	"github.com/vigil-elections/vigil/internal/tally"
	"github.com/vigil-elections/vigil/internal/web"
)

// The integrity API computes, on the published results, what `vigil
// forensics` and `vigil pvt --db` compute, with the same code
// (internal/integrity/stored). The methods take seconds on a national data
// set, so each result is cached until protocols arrive, and one request at
// a time computes a given result while the others wait for it.
func (s *room) routes() {
	s.Mux().Handle("GET /api/v1/elections/{election}/forensics/integer", s.Serve(s.apiIntegerTest))
	s.Mux().Handle("GET /api/v1/elections/{election}/forensics/fingerprint", s.Serve(s.apiFingerprint))
	s.Mux().Handle("GET /api/v1/elections/{election}/forensics/shpilkin", s.Serve(s.apiShpilkin))
	s.Mux().Handle("GET /api/v1/elections/{election}/forensics/digits", s.Serve(s.apiDigits))
	s.Mux().Handle("GET /api/v1/elections/{election}/forensics/control", s.Serve(s.apiControl))
	s.Mux().Handle("GET /api/v1/elections/{election}/pvt", s.Serve(s.apiPVT))
}

// computed caches results by election stamp and parameters.
type computed struct {
	mu sync.Mutex
	m  map[string]*computedEntry
}

type computedEntry struct {
	once sync.Once
	v    any
	err  error
}

const maxComputed = 256

func (s *room) compute(ctx context.Context, e *election.Election, key string, fn func(*web.TallyEntry) (any, error)) (any, error) {
	stamp, err := s.ChangeStamp(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	full := strconv.FormatInt(e.ID, 10) + "|" + stamp + "|" + key
	s.computed.mu.Lock()
	if s.computed.m == nil || len(s.computed.m) >= maxComputed {
		s.computed.m = map[string]*computedEntry{}
	}
	ent, ok := s.computed.m[full]
	if !ok {
		ent = &computedEntry{}
		s.computed.m[full] = ent
	}
	s.computed.mu.Unlock()
	ent.once.Do(func() {
		var t *web.TallyEntry
		if t, ent.err = s.TallyFor(context.WithoutCancel(ctx), e, tally.Selector{Sources: []election.Source{election.OfficialFinal}}); ent.err != nil {
			return
		}
		ent.v, ent.err = fn(t)
	})
	if ent.err != nil {
		// Errors are not kept: the next request tries again.
		s.computed.mu.Lock()
		delete(s.computed.m, full)
		s.computed.mu.Unlock()
	}
	return ent.v, ent.err
}

// officialStations are the stations of the official final protocols as
// the forensics take them, with the leader the request names (the winner
// by default); the counts of those refused before any test (each result's
// "excluded" adds them); and the stations every test leaves out, named by
// reason (each result's "excluded_stations").
func officialStations(t *web.TallyEntry, e *election.Election, leader string) ([]stored.Station, map[string]int, stored.Exclusions, error) {
	chosen, _ := tally.Choose(t.Result.Index, t.All, tally.Selector{Sources: []election.Source{election.OfficialFinal}})
	li, err := stored.Leader(e, chosen, leader)
	if err != nil {
		return nil, nil, nil, &web.Error{Code: web.Invalid, Message: err.Error(), Field: "leader"}
	}
	rows, listed, refused := stored.StationsListed(t.Result.Index, chosen, li)
	return rows, refused, listed, nil
}

// withListed is a method's result with its excluded stations named.
func withListed(v any, err error, x stored.Exclusions) (any, error) {
	if err != nil {
		return nil, err
	}
	return stored.WithExclusions(v, x)
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &web.Error{Code: web.Invalid, Field: name, Message: name + ": want a whole number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}
	}
	return n, nil
}

func (s *room) integrity(w http.ResponseWriter, r *http.Request, key string, fn func(e *election.Election, t *web.TallyEntry) (any, error)) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	v, err := s.compute(r.Context(), e, key, func(t *web.TallyEntry) (any, error) { return fn(e, t) })
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (s *room) apiIntegerTest(w http.ResponseWriter, r *http.Request) error {
	reps, err := intParam(r, "replicates", 1000, 10, 1000)
	if err != nil {
		return err
	}
	seed, err := intParam(r, "seed", 1, 0, 1<<30)
	if err != nil {
		return err
	}
	leader := r.URL.Query().Get("leader")
	return s.integrity(w, r, "integer|"+leader+"|"+strconv.Itoa(reps)+"|"+strconv.Itoa(seed), func(e *election.Election, t *web.TallyEntry) (any, error) {
		rows, refused, excl, err := officialStations(t, e, leader)
		if err != nil {
			return nil, err
		}
		res, err := forensics.IntegerTest(stored.Plain(rows), forensics.IntegerOptions{Replicates: reps, Seed: uint64(seed)})
		res.Excluded = forensics.MergeExcluded(res.Excluded, refused)
		return withListed(res, err, excl)
	})
}

func (s *room) apiFingerprint(w http.ResponseWriter, r *http.Request) error {
	fit := r.URL.Query().Get("fit") == "1" || r.URL.Query().Get("fit") == "true"
	leader := r.URL.Query().Get("leader")
	return s.integrity(w, r, "fingerprint|"+leader+"|"+strconv.FormatBool(fit), func(e *election.Election, t *web.TallyEntry) (any, error) {
		rows, refused, excl, err := officialStations(t, e, leader)
		if err != nil {
			return nil, err
		}
		opt := forensics.FingerprintOptions{Seed: 1}
		if fit {
			opt.Fit = &forensics.FitOptions{Seed: 1}
		}
		res, err := forensics.Fingerprint(stored.Plain(rows), opt)
		res.Excluded = forensics.MergeExcluded(res.Excluded, refused)
		return withListed(res, err, excl)
	})
}

func (s *room) apiShpilkin(w http.ResponseWriter, r *http.Request) error {
	leader := r.URL.Query().Get("leader")
	return s.integrity(w, r, "shpilkin|"+leader, func(e *election.Election, t *web.TallyEntry) (any, error) {
		rows, refused, excl, err := officialStations(t, e, leader)
		if err != nil {
			return nil, err
		}
		res, err := forensics.Shpilkin(stored.Plain(rows), forensics.ShpilkinOptions{Seed: 1})
		res.Excluded = forensics.MergeExcluded(res.Excluded, refused)
		return withListed(res, err, excl)
	})
}

func (s *room) apiDigits(w http.ResponseWriter, r *http.Request) error {
	return s.integrity(w, r, "digits", func(e *election.Election, t *web.TallyEntry) (any, error) {
		rows, refused, excl, err := officialStations(t, e, "")
		if err != nil {
			return nil, err
		}
		var out []forensics.DigitResult
		for _, o := range e.Options {
			ds := forensics.DigitSeries{Name: o.Name, Denominator: forensics.DigitDenominator}
			for _, row := range rows {
				if o.Position < len(row.Votes) {
					ds.Counts = append(ds.Counts, row.Votes[o.Position])
					ds.Totals = append(ds.Totals, row.Station.R)
				}
			}
			if d, err := forensics.Digits(ds); err == nil {
				d.Excluded = forensics.MergeExcluded(d.Excluded, refused)
				out = append(out, d)
			}
		}
		return withListed(map[string]any{"series": out, "caveat": forensics.DigitCaveat}, nil, excl.Refused())
	})
}

// apiControl compares the official results with the stations whose count
// was observed: those with an observer-source protocol (a copy taken at the
// count), or those a ?control=SOURCE protocol marks (recount). With a
// random deployment this is the causal observer effect.
func (s *room) apiControl(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	leader, by := q.Get("leader"), q.Get("by")
	ctl := election.Observer
	if c := q.Get("control"); c != "" {
		var err error
		if ctl, err = election.ParseSource(c); err != nil {
			return &web.Error{Code: web.Invalid, Field: "control", Message: err.Error()}
		}
	}
	return s.integrity(w, r, "control|"+leader+"|"+by+"|"+string(ctl), func(e *election.Election, t *web.TallyEntry) (any, error) {
		lvl := 1
		if by != "" {
			if lvl = e.Config.LevelOf(by); lvl == 0 {
				return nil, &web.Error{Code: web.Invalid, Field: "by", Message: "by: " + by + " is not an area level (" + strings.Join(e.Config.AreaLevels, ", ") + ")"}
			}
		}
		rows, refused, excl, err := officialStations(t, e, leader)
		if err != nil {
			return nil, err
		}
		marked := map[int64]bool{}
		for _, p := range t.All {
			if p.Source == ctl {
				marked[p.AreaID] = true
			}
		}
		if len(marked) == 0 {
			return nil, web.Errorf(web.Invalid, "election %s has no %s protocols to serve as the control group", e.Name, ctl)
		}
		res, err := forensics.ControlComparison(stored.GroupByLevel(rows, lvl, func(a *election.Area) bool { return marked[a.ID] }), forensics.ControlOptions{Seed: 1})
		res.Excluded = forensics.MergeExcluded(res.Excluded, refused)
		return withListed(res, err, excl)
	})
}

func (s *room) apiPVT(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	stratum := q.Get("stratum")
	if stratum == "" {
		stratum = "1"
	}
	boot, err := intParam(r, "bootstrap", 0, 0, 2000)
	if err != nil {
		return err
	}
	var opts []string
	if o := q.Get("options"); o != "" {
		opts = strings.Split(o, ",")
	}
	return s.integrity(w, r, "pvt|"+stratum+"|"+strconv.Itoa(boot)+"|"+q.Get("options"), func(e *election.Election, t *web.TallyEntry) (any, error) {
		in, err := stored.BuildPVT(e, t.Result.Index, t.All, stored.PVTSpec{Sample: election.Observer, Official: election.OfficialFinal, Stratum: stratum, Options: opts})
		if err != nil {
			return nil, &web.Error{Code: web.Invalid, Message: err.Error()}
		}
		res, err := pvt.Estimate(in.Strata, in.Options, in.Reports, pvt.Config{Bootstrap: boot, Seed: 1, CannotWin: in.CannotWin})
		if err != nil {
			return nil, &web.Error{Code: web.Invalid, Message: err.Error()}
		}
		var verdict []pvt.Verdict
		if in.Official != nil {
			if verdict, err = pvt.Compare(res, in.Official); err != nil {
				return nil, err
			}
		}
		opt := map[string]pvt.Figure{}
		for _, f := range res.Options {
			opt[f.Name] = f
		}
		out := map[string]any{"options": opt, "order": in.Options, "turnout": res.Turnout, "lead": res.Lead, "strata": res.Strata, "verdict": verdict,
			"denominator": "sum of the listed options", "turnout_denominator": "the listed options' votes over registered voters",
			"warnings": nonNil(res.Warnings), "excluded": map[string]int{}}
		if res.Withheld != "" {
			out["verdict_withheld"] = res.Withheld
		}
		if boot > 0 {
			out["seed"], out["replicates"] = 1, boot
		}
		return out, nil
	})
}

// nonNil makes an absent list an empty JSON array.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
