// Package observe runs an election day's observation: the roster and
// teams, the deployment on a random sample of stations, forms stored as
// data, reports from every channel (JSON API, web form, coded SMS, ODK
// Collect) through one pipeline, quality control, conflicts between
// observers of one station, and the quantitative findings of a statement.
//
// Every channel calls Service.Submit with the principal the web layer
// authenticated; Submit validates the answers against the stored form,
// places the report at its station, checks the principal may report
// there, runs the organisation's QC rules, reads a counting report's
// protocol block as an observer protocol version, and hands it all to the
// group-commit writer, returning only after the commit.
package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/geo"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/qc"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
)

// Channels by which reports arrive.
const (
	ChannelAPI      = "api"
	ChannelWeb      = "web"
	ChannelSMS      = "sms"
	ChannelOpenRosa = "openrosa"
	ChannelCLI      = "cli"
)

// Service is the observation pipeline over one database. It is safe for
// concurrent use; Close stops its writer.
type Service struct {
	db *store.DB
	w  *store.GroupCommit

	mu        sync.Mutex
	loadMu    sync.Mutex
	forms     map[formKey]*store.StoredForm
	latest    map[formKey]cachedForm
	elections map[int64]cachedElection
	areas     map[int64]*areaIndex
	reloading map[int64]bool // elections whose index reloads in the background
	areaLoads atomic.Int64   // loads of an election's areas (for tests)
	// background work (reloadAreas): stopped and waited for by Close
	bg     context.Context
	stopBg context.CancelFunc
	bgWG   sync.WaitGroup
	rules  map[int64][]rule // by organisation
}

type formKey struct {
	org          int64
	key, version string
}

type cachedForm struct {
	sf    *store.StoredForm
	until time.Time
}

type cachedElection struct {
	e     *election.Election
	until time.Time
}

// Short caches: a new form version or a new ballot option (an import adds
// them) is seen within this time.
const cacheTTL = 5 * time.Second

type rule struct {
	store.QCRule
	expr *qc.Expr
}

// New starts a service.
func New(db *store.DB) *Service {
	s := &Service{db: db, w: store.NewGroupCommit(db), forms: map[formKey]*store.StoredForm{}, latest: map[formKey]cachedForm{},
		elections: map[int64]cachedElection{}, areas: map[int64]*areaIndex{}, reloading: map[int64]bool{}, rules: map[int64][]rule{}}
	s.bg, s.stopBg = context.WithCancel(context.Background())
	return s
}

// Close stops the writer after the queued reports are committed.
func (s *Service) Close() {
	s.mu.Lock()
	s.stopBg() // under mu: no reloadAreas starts after it
	s.mu.Unlock()
	s.bgWG.Wait()
	s.w.Close()
}

// LeaveLogOut makes the service's writer commit reports without their
// transparency-log leaves. It exists only to measure what the log costs
// end to end (vigil-load self -log=false, docs/evidence.md); a server never
// calls it. Call it before the first submission.
func (s *Service) LeaveLogOut() { s.w.NoLog = true }

// DB returns the service's database.
func (s *Service) DB() *store.DB { return s.db }

// CommitHook is told of every group commit: the reports it wrote, the
// reports still queued behind it and the time it took. The metrics use it.
type CommitHook = store.CommitHook

// Stats is what the group commit has done.
type Stats = store.WriterStats

// SetLogger sets where the pipeline logs failed commits and quality
// control (nil: slog.Default()).
func (s *Service) SetLogger(l *slog.Logger) { s.w.SetLogger(l) }

// OnCommit sets the hook called after each group commit (nil: none).
func (s *Service) OnCommit(h CommitHook) { s.w.OnCommit(h) }

// WriterStats reports the group commit's transactions and reports.
func (s *Service) WriterStats() Stats { return s.w.Stats() }

// Submission is one report as a channel received it.
type Submission struct {
	Principal  access.Principal
	Channel    string
	ClientID   string // made by the client; resending the same id stores once
	ElectionID int64
	Form       string // form key
	Version    string // empty: the latest
	AreaID     int64  // the station or commission; 0: read from the answers
	Answers    form.Answers
	Submitted  time.Time         // the client's time; zero: now
	SMS        *store.SMSMessage // recorded with the report (SMS channel)
}

// Receipt is the answer to a stored submission.
type Receipt struct {
	ReportID  int64    `json:"report_id"`
	ClientID  string   `json:"client_id"`
	Duplicate bool     `json:"duplicate"` // stored before: this copy was not stored again
	Status    string   `json:"status"`
	QC        []string `json:"qc,omitempty"`
	AreaID    int64    `json:"area_id,omitempty"`
	// Leaf is the report's receipt from the transparency log: its leaf's
	// index and hash (docs/evidence.md); `vigil log prove` proves it.
	Leaf translog.Receipt `json:"leaf"`
}

// ValidationError lists what is wrong with a submission's answers.
type ValidationError struct {
	Problems []form.FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// InputError is a submission the service refuses for a reason the client
// can fix (unknown form, station not found, bad client id).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputf(format string, a ...any) error { return &InputError{fmt.Sprintf(format, a...)} }

// MaxClientID is the longest client id accepted.
const MaxClientID = 128

// ValidClientID reports whether a client id is acceptable: 8 to 128
// printable ASCII characters without spaces (a UUID, an ODK instanceID
// "uuid:…", "sms:twilio:SM…").
func ValidClientID(id string) bool {
	if len(id) < 8 || len(id) > MaxClientID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// Form returns a form of org (cached: stored versions never change).
func (s *Service) Form(ctx context.Context, org int64, key, version string) (*store.StoredForm, error) {
	k := formKey{org, key, version}
	s.mu.Lock()
	sf := s.forms[k]
	if c, ok := s.latest[k]; version == "" && ok && time.Now().Before(c.until) {
		sf = c.sf
	}
	s.mu.Unlock()
	if sf != nil {
		return sf, nil
	}
	sf, err := s.db.FormByKey(ctx, org, key, version)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if version == "" {
				return nil, inputf("your organisation has no form %q", key)
			}
			return nil, inputf("your organisation has no form %q version %q", key, version)
		}
		return nil, err
	}
	s.mu.Lock()
	if version != "" {
		s.forms[k] = sf
	} else {
		s.latest[k] = cachedForm{sf, time.Now().Add(cacheTTL)}
	}
	s.mu.Unlock()
	return sf, nil
}

// Election returns an election, cached for a few seconds (submissions
// read it on every report).
func (s *Service) Election(ctx context.Context, id int64) (*election.Election, error) {
	return s.election(ctx, id)
}

// election returns an election, cached for cacheTTL.
func (s *Service) election(ctx context.Context, id int64) (*election.Election, error) {
	s.mu.Lock()
	c, ok := s.elections[id]
	s.mu.Unlock()
	if ok && time.Now().Before(c.until) {
		return c.e, nil
	}
	e, err := s.db.Election(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.elections[id] = cachedElection{e, time.Now().Add(cacheTTL)}
	s.mu.Unlock()
	return e, nil
}

// Submit validates and stores a report, returning after the commit. A
// report whose client id the organisation already has is not stored again:
// the receipt says Duplicate and gives the first copy's id. Errors are
// *ValidationError, *InputError, an error wrapping access.ErrForbidden,
// or an internal error.
func (s *Service) Submit(ctx context.Context, sub Submission) (*Receipt, error) {
	p := sub.Principal
	if !ValidClientID(sub.ClientID) {
		return nil, inputf("client_id %q: want 8 to %d printable characters without spaces (a UUID)", clip(sub.ClientID, 40), MaxClientID)
	}
	if err := access.Check(p, access.SubmitReport, access.Resource{OrgID: p.OrgID}); err != nil && sub.Principal.Role != access.Observer {
		return nil, err
	}
	sf, err := s.Form(ctx, p.OrgID, sub.Form, sub.Version)
	if err != nil {
		return nil, err
	}
	f := sf.Form
	e, err := s.election(ctx, sub.ElectionID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, inputf("election %d not found", sub.ElectionID)
		}
		return nil, err
	}
	bound := f
	if hasProtocol(f) {
		bound = form.BindElection(f, e)
	}
	// What the form's conditions say, as ODK's clients apply them: answers
	// to questions that are not relevant cleared, calculations recomputed,
	// conditional requirements and constraints checked (after the shapes).
	evaluated, conds := form.Evaluate(bound, sub.Answers, time.Now())
	sub.Answers = evaluated
	if probs := form.Validate(bound, sub.Answers); len(probs) > 0 {
		return nil, &ValidationError{probs}
	}
	if len(conds) > 0 {
		return nil, &ValidationError{conds}
	}
	area, err := s.place(ctx, e.ID, bound, sub)
	if err != nil {
		return nil, err
	}
	var path []string
	if area != nil {
		path = area.Path
	}
	if err := access.Check(p, access.SubmitReport, access.Resource{OrgID: p.OrgID, ElectionID: e.ID, Area: nonNilPath(path, area != nil)}); err != nil {
		return nil, err
	}
	answers, err := sub.Answers.AppendJSON(nil)
	if err != nil {
		return nil, inputf("answers: %v", err)
	}
	now := time.Now().UTC()
	if sub.Submitted.IsZero() || sub.Submitted.After(now.Add(time.Hour)) {
		sub.Submitted = now
	}
	r := &store.Report{
		OrgID: p.OrgID, ElectionID: e.ID, FormID: sf.ID, Phase: string(f.Phase), ObserverID: p.ObserverID, UserID: p.UserID,
		Channel: sub.Channel, ClientID: sub.ClientID, Answers: answers, Submitted: sub.Submitted.UTC(), Received: now,
	}
	if sub.Answers.ValidUTF8() {
		// The writer folds these rather than decode answers again; an
		// invalid byte (an SMS gateway's, say) would read back as U+FFFD,
		// so such answers are decoded from their JSON, as a rebuild reads
		// them.
		r.Decoded = sub.Answers
	}
	if area != nil {
		r.AreaID = area.ID
	}
	r.QC, r.Status = s.runQC(ctx, p.OrgID, r.AreaID, bound, sub.Answers)
	j := &store.CommitJob{Report: r, SMS: sub.SMS, Audit: store.AuditEntry{OrgID: p.OrgID, Actor: actor(p), Channel: sub.Channel, Action: "report.submit", At: now,
		Detail: mustJSON(map[string]any{"client_id": sub.ClientID, "form": f.ID, "version": f.Version, "area_id": r.AreaID})}}
	if f.Phase == form.Counting && area != nil && area.Station {
		if q := bound.Question(form.ProtocolID); q != nil {
			if v, ok := sub.Answers[q.ID]; ok {
				figs, votes, err := form.ProtocolFigures(q, v, len(e.Options))
				if err != nil {
					return nil, &ValidationError{[]form.FieldError{{Question: q.ID, Message: err.Error()}}}
				}
				j.Protocol = &election.Protocol{AreaID: area.ID, Source: election.Observer, Figures: figs, Votes: votes, Received: now}
			}
		}
	}
	res, err := s.w.Submit(ctx, j)
	if err != nil {
		return nil, err
	}
	rc := &Receipt{ReportID: res.ID, ClientID: sub.ClientID, Duplicate: !res.Created, Status: r.Status, QC: r.QC, AreaID: r.AreaID, Leaf: res.Receipt}
	if !res.Created {
		// The first copy's status, not this one's.
		if old, err := s.db.Report(ctx, p.OrgID, res.ID); err == nil {
			rc.Status, rc.QC, rc.AreaID = old.Status, old.QC, old.AreaID
		}
	}
	return rc, nil
}

func nonNilPath(p []string, placed bool) []string {
	if placed && p == nil {
		return []string{}
	}
	return p
}

func hasProtocol(f *form.Form) bool {
	for _, q := range f.Questions {
		if q.Type == form.Protocol {
			return true
		}
	}
	return false
}

func actor(p access.Principal) string {
	switch {
	case p.UserID != 0:
		return fmt.Sprintf("user:%d:%s", p.UserID, p.Name)
	case p.ObserverID != 0:
		return fmt.Sprintf("observer:%d:%s", p.ObserverID, p.Name)
	}
	return p.Name
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// place finds the area a report is about: the area id given, or the
// station (commission, for tabulation) whose number the answers give,
// looked up first among the areas the principal may report on.
func (s *Service) place(ctx context.Context, electionID int64, f *form.Form, sub Submission) (*election.Area, error) {
	a, err := s.placeIn(ctx, electionID, f, sub, false)
	var miss *errAreaMiss
	if errors.As(err, &miss) && s.areasStale(ctx, electionID, miss.idx) {
		// Not in this process's index, which predates a change of the
		// election's areas (an import that added the station): asked
		// again of a fresh one.
		return s.placeIn(ctx, electionID, f, sub, true)
	}
	return a, err
}

// errAreaMiss is a lookup of an area that the index idx could not answer
// (not found, ambiguous): one a fresher index might.
type errAreaMiss struct {
	error
	idx *areaIndex
}

func (e *errAreaMiss) Unwrap() error { return e.error }

func areaMiss(idx *areaIndex, err error) error { return &errAreaMiss{err, idx} }

// areasStale reports whether idx, the index a lookup could not answer
// from, is older than the last change of the election's areas, read from
// the database (Sync: a change another instance made a moment ago, before
// this one's feed heard of it). It runs only for such lookups. The index
// the lookup used, not the one stored now: a background reload may have
// replaced it meanwhile, and the lookup, made in the old one, is to be
// asked again of the new.
func (s *Service) areasStale(ctx context.Context, electionID int64, idx *areaIndex) bool {
	seq, err := s.db.Changes().Sync(ctx, electionID, store.ChangeAreas)
	if err != nil {
		return false
	}
	return idx == nil || idx.seq < seq || time.Since(idx.loaded) >= areaIndexTTL
}

func (s *Service) placeIn(ctx context.Context, electionID int64, f *form.Form, sub Submission, fresh bool) (*election.Area, error) {
	idx, err := s.areaIndex(ctx, electionID, fresh)
	if err != nil {
		return nil, err
	}
	if sub.AreaID != 0 {
		a := idx.byID[sub.AreaID]
		if a == nil {
			return nil, areaMiss(idx, inputf("area %d is not an area of election %d", sub.AreaID, electionID))
		}
		return a, nil
	}
	qid, wantStation := form.StationID, true
	if f.Phase == form.Tabulation {
		qid, wantStation = "commission", false
	}
	v, ok := sub.Answers[qid]
	if !ok {
		if f.Phase == form.Incident {
			return nil, nil // an incident away from a station
		}
		return nil, inputf("the report names no station: give area_id or answer %q", qid)
	}
	n, ok := v.Int()
	if !ok {
		return nil, inputf("%s: want a number", qid)
	}
	num := strconv.FormatInt(n, 10)
	cands := idx.byNumber[num]
	var fit []*election.Area
	for _, a := range cands {
		if a.Station == wantStation {
			fit = append(fit, a)
		}
	}
	if len(fit) > 1 {
		// Several areas share the number (numbering per district): the
		// ones the principal may report on decide.
		var mine []*election.Area
		for _, a := range fit {
			if access.Check(sub.Principal, access.SubmitReport, access.Resource{OrgID: sub.Principal.OrgID, ElectionID: electionID, Area: a.Path}) == nil {
				mine = append(mine, a)
			}
		}
		fit = mine
	}
	switch len(fit) {
	case 0:
		what := "polling station"
		if !wantStation {
			what = "district commission"
		}
		return nil, areaMiss(idx, inputf("%s number %s not found in this election", what, num))
	case 1:
		return fit[0], nil
	}
	return nil, areaMiss(idx, inputf("station number %s is ambiguous: give area_id", num))
}

type areaIndex struct {
	seq      int64 // the election's ChangeAreas sequence when loaded
	loaded   time.Time
	byID     map[int64]*election.Area
	byNumber map[string][]*election.Area
}

// StationNumber is the number by which observers name an area: its
// "number" attribute, else its name when all digits, else the digits that
// end its name ("PS 101" is 101).
func StationNumber(a *election.Area) string {
	if n := a.Attrs["number"]; n != "" {
		return strings.TrimLeft(n, "0")
	}
	name := strings.TrimSpace(a.Name)
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	return strings.TrimLeft(name[i:], "0")
}

// areaIndex returns the election's index of areas. It is read whole once
// per process, and again only when the election's areas may have changed
// (an election created or deleted, an import that created areas: the
// feed's ChangeAreas sequence moved):
// at 1,000,000 stations a load reads every area (about 4 s of
// PostgreSQL), and it used to run every minute with every submission
// waiting for it (issue 9). A stale index is reloaded in the background
// while submissions go on with it; a lookup it cannot answer waits for
// the reload (fresh) — a station the import just added.
func (s *Service) areaIndex(ctx context.Context, electionID int64, fresh bool) (*areaIndex, error) {
	seq, err := s.db.Changes().Seq(ctx, electionID, store.ChangeAreas)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	idx := s.areas[electionID]
	s.mu.Unlock()
	if idx != nil && idx.seq >= seq && time.Since(idx.loaded) < areaIndexTTL {
		return idx, nil
	}
	if idx != nil && !fresh {
		s.reloadAreas(electionID)
		return idx, nil
	}
	return s.loadAreas(ctx, electionID)
}

// AreasToWarm lists the elections whose area index an instance loads as
// it starts (WarmAreas): the newest warmElections of those observed (a
// deployment or a report: store.ObservedElections), newest first. A
// database keeps the elections of earlier years, observed too; loading
// each of them at every start would add seconds and some 270 MB an
// election of 1,000,000 stations, for nothing: an older election's index
// loads on its first report, as before.
func (s *Service) AreasToWarm(ctx context.Context) ([]int64, error) {
	ids, err := s.db.ObservedElections(ctx)
	if err != nil {
		return nil, fmt.Errorf("observe: the elections to warm: %w", err)
	}
	slices.Reverse(ids)
	return ids[:min(len(ids), warmElections)], nil
}

// warmElections bounds the elections an instance warms: a mission
// observes one election day at a time, which may hold a few elections
// (a presidential and a parliamentary ballot on one day, a second round).
const warmElections = 3

// WarmAreas loads the area index of the elections given (AreasToWarm),
// one after the other, so that the first reports after a start do not
// wait for it: at 1,000,000 stations a load takes seconds, and every
// submission that names its station by number would wait for it (issue 9).
// The server runs it as it starts, and /readyz answers 503 until it
// returns. Each load is bounded as a background reload is; an election
// whose load fails is left to load on its first report, and the errors
// are returned joined. Close stops it.
func (s *Service) WarmAreas(ctx context.Context, ids []int64) error {
	s.mu.Lock()
	if s.bg.Err() != nil {
		s.mu.Unlock()
		return s.bg.Err()
	}
	s.bgWG.Add(1)
	s.mu.Unlock()
	defer s.bgWG.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.bg, cancel)
	defer stop()
	var errs []error
	for _, id := range ids {
		t0 := time.Now()
		lctx, lcancel := context.WithTimeout(ctx, areaLoadTimeout)
		idx, err := s.loadAreas(lctx, id)
		lcancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("observe: warming the area index of election %d: %w", id, err))
			continue
		}
		s.w.Logger().Info("area index loaded", "election", id, "areas", len(idx.byID), "duration_ms", time.Since(t0).Milliseconds())
	}
	return errors.Join(errs...)
}

// areaLoadTimeout bounds a load of an election's areas that no request
// waits for (a background reload, the warm-up): a database that stopped
// answering must not hold loadMu, and every report needing a load, for
// ever.
const areaLoadTimeout = 5 * time.Minute

// areaIndexTTL bounds how long an index is trusted without a change on the
// feed (a change made with SQL behind vigil's back); past it, it is
// reloaded in the background.
const areaIndexTTL = 30 * time.Minute

// reloadAreas reloads an election's index in the background, once at a
// time.
func (s *Service) reloadAreas(electionID int64) {
	s.mu.Lock()
	if s.reloading[electionID] || s.bg.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.reloading[electionID] = true
	s.bgWG.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.bgWG.Done()
		defer func() {
			s.mu.Lock()
			delete(s.reloading, electionID)
			s.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(s.bg, areaLoadTimeout)
		defer cancel()
		if _, err := s.loadAreas(ctx, electionID); err != nil && s.bg.Err() == nil {
			s.w.Logger().Error("reloading an election's areas", "election", electionID, "err", err)
		}
	}()
}

// loadAreas reads an election's areas into a new index, one load at a time:
// two hundred phones arriving together would otherwise each read every
// area. A load that finds an index as new as the feed's sequence returns
// it.
//
// The index holds every area of the election: about 270 bytes an area
// (measured at 50,000 stations), some 270 MB at 1,000,000 stations in each
// instance that takes reports.
func (s *Service) loadAreas(ctx context.Context, electionID int64) (*areaIndex, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	seq, err := s.db.Changes().Seq(ctx, electionID, store.ChangeAreas)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	idx := s.areas[electionID]
	s.mu.Unlock()
	if idx != nil && idx.seq >= seq && time.Since(idx.loaded) < areaIndexTTL {
		return idx, nil // loaded while this one waited
	}
	s.areaLoads.Add(1)
	areas, err := s.db.Areas(ctx, electionID)
	if err != nil {
		return nil, err
	}
	idx = &areaIndex{seq: seq, loaded: time.Now(), byID: make(map[int64]*election.Area, len(areas)), byNumber: map[string][]*election.Area{}}
	for i := range areas {
		a := &areas[i]
		idx.byID[a.ID] = a
		if n := StationNumber(a); n != "" {
			idx.byNumber[n] = append(idx.byNumber[n], a)
		}
	}
	s.mu.Lock()
	s.areas[electionID] = idx
	s.mu.Unlock()
	return idx, nil
}

// Area returns an area of an election from the service's index.
func (s *Service) Area(ctx context.Context, electionID, areaID int64) (*election.Area, error) {
	idx, err := s.areaIndex(ctx, electionID, false)
	if err != nil {
		return nil, err
	}
	if a := idx.byID[areaID]; a != nil {
		return a, nil
	}
	if s.areasStale(ctx, electionID, idx) {
		if idx, err = s.areaIndex(ctx, electionID, true); err != nil {
			return nil, err
		}
		if a := idx.byID[areaID]; a != nil {
			return a, nil
		}
	}
	return nil, fmt.Errorf("area %d: %w", areaID, store.ErrNotFound)
}

// runQC evaluates the organisation's rules for the form: the names of the
// rules that fired, and the status they give (quarantined beats flagged).
func (s *Service) runQC(ctx context.Context, org, areaID int64, f *form.Form, a form.Answers) ([]string, string) {
	rules, err := s.orgRules(ctx, org)
	if err != nil {
		// The report is still taken (an observer's report is never refused
		// for the server's fault) but unchecked: staff must know.
		s.w.Logger().Error("quality control rules unavailable: report stored without checks", "org", org, "form", f.ID, "err", err)
		return nil, store.StatusNew
	}
	look := Lookup(f, a)
	if areaID != 0 && usesDistance(rules, f.ID) {
		// One indexed read per report, and only for organisations whose
		// rules measure a distance.
		pt, ok, err := s.db.StationPointOf(ctx, areaID)
		if err != nil {
			// As above: the report is taken; its distance is missing.
			s.w.Logger().Error("quality control: station location unavailable", "area", areaID, "err", err)
		}
		if ok {
			look = LookupAt(f, a, pt.Lat, pt.Lon)
		}
	}
	var fired []string
	status := store.StatusNew
	for _, r := range rules {
		if r.FormKey != f.ID || !r.expr.Fires(look) {
			continue
		}
		fired = append(fired, r.Name)
		if r.Action == "quarantine" {
			status = store.StatusQuarantined
		} else if status == store.StatusNew {
			status = store.StatusFlagged
		}
	}
	if len(fired) > 0 {
		s.w.Logger().Info("quality control", "org", org, "form", f.ID, "rules", fired, "status", status)
	}
	return fired, status
}

// usesDistance tells whether a rule over form key uses distance(): only
// then is the station's location read.
func usesDistance(rules []rule, key string) bool {
	for _, r := range rules {
		if r.FormKey == key && r.expr.UsesDistance() {
			return true
		}
	}
	return false
}

func (s *Service) orgRules(ctx context.Context, org int64) ([]rule, error) {
	s.mu.Lock()
	rs, ok := s.rules[org]
	s.mu.Unlock()
	if ok {
		return rs, nil
	}
	stored, err := s.db.QCRules(ctx, org)
	if err != nil {
		return nil, err
	}
	rs = []rule{}
	for _, r := range stored {
		e, err := qc.Compile(r.Expr)
		if err != nil {
			continue // checked when saved; a rule broken since is skipped
		}
		rs = append(rs, rule{r, e})
	}
	s.mu.Lock()
	s.rules[org] = rs
	s.mu.Unlock()
	return rs, nil
}

// SaveRule checks and stores a QC rule of a form of the principal's
// organisation.
func (s *Service) SaveRule(ctx context.Context, p access.Principal, channel string, r store.QCRule) (*store.QCRule, error) {
	if err := access.Check(p, access.ManageQC, access.Resource{OrgID: p.OrgID}); err != nil {
		return nil, err
	}
	if r.Action == "" {
		r.Action = "flag"
	}
	if r.Action != "flag" && r.Action != "quarantine" {
		return nil, inputf("action %q: want flag or quarantine", r.Action)
	}
	if !form.ValidID(r.Name) {
		return nil, inputf("rule name %q: want letters, digits and _", r.Name)
	}
	sf, err := s.Form(ctx, p.OrgID, r.FormKey, "")
	if err != nil {
		return nil, err
	}
	e, err := qc.Compile(r.Expr)
	if err != nil {
		return nil, inputf("rule %s: %v", r.Name, err)
	}
	if err := e.CheckNames(Names(sf.Form)); err != nil {
		return nil, inputf("rule %s: %v (form %s)", r.Name, err, r.FormKey)
	}
	r.OrgID = p.OrgID
	if err := s.db.SaveQCRule(ctx, &r, store.AuditEntry{OrgID: p.OrgID, Actor: actor(p), Channel: channel, Action: "qc.save", Object: "qc:" + r.Name, Detail: mustJSON(r)}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.rules, p.OrgID)
	s.mu.Unlock()
	return &r, nil
}

// Lookup reads a form's answers as QC values (see package qc): a protocol
// item is reached as question.item and, when no question has that id, as
// the item id alone.
func Lookup(f *form.Form, a form.Answers) qc.Lookup {
	return func(name string) qc.Value {
		qid, item, dotted := strings.Cut(name, ".")
		// A repeat (count(incident)) and a question in it
		// (count(incident.kind, "x")): one value per instance.
		if g := f.RepeatGroup(qid); g != nil {
			rows, _ := a[qid].Repeat()
			vs := make([]qc.Value, len(rows))
			for i, r := range rows {
				vs[i] = qc.BoolV(true)
				if dotted {
					vs[i] = qcValue(r[item])
				}
			}
			return qc.MultiV(vs...)
		}
		if v, ok := a[name]; ok {
			return qcValue(v)
		}
		for i := range f.Questions {
			q := &f.Questions[i]
			if q.Type != form.Protocol || (dotted && q.ID != qid) {
				continue
			}
			id := name
			if dotted {
				id = item
			}
			if m, ok := a[q.ID].Protocol(); ok {
				if n, ok := m[id]; ok {
					return qc.IntV(n)
				}
			}
		}
		return qc.Value{}
	}
}

// LookupAt is Lookup for a report at a station located at lat, lon:
// distance(q) reads the metres between q's geopoint answer and the
// station (see package qc).
func LookupAt(f *form.Form, a form.Answers, lat, lon float64) qc.Lookup {
	base := Lookup(f, a)
	return func(name string) qc.Value {
		q, ok := strings.CutPrefix(name, qc.DistancePrefix)
		if !ok {
			return base(name)
		}
		v, ok := a[q]
		if !ok {
			return qc.Value{}
		}
		t, _ := v.Text()
		plat, plon, ok := geo.ParseGeopoint(t)
		if !ok {
			return qc.Value{}
		}
		return qc.IntV(int64(math.Round(geo.Distance(plat, plon, lat, lon))))
	}
}

// Names returns a function telling whether a name can appear in a rule
// over form f.
func Names(f *form.Form) func(string) bool {
	return func(name string) bool {
		if f.Question(name) != nil {
			return true
		}
		qid, item, dotted := strings.Cut(name, ".")
		if g := f.RepeatGroup(qid); g != nil {
			if !dotted {
				return true
			}
			q := f.Question(item)
			return q != nil && f.RepeatOf(q) == g.Path
		}
		for i := range f.Questions {
			q := &f.Questions[i]
			if q.Type != form.Protocol || (dotted && q.ID != qid) {
				continue
			}
			id := name
			if dotted {
				id = item
			}
			if _, ok := q.Item(id); ok {
				return true
			}
			if strings.HasPrefix(id, "votes_") {
				return true // option lines come with the election
			}
		}
		return false
	}
}

func qcValue(v form.Value) qc.Value {
	switch v.Kind() {
	case form.KindBool:
		b, _ := v.Bool()
		return qc.BoolV(b)
	case form.KindInt:
		n, _ := v.Int()
		return qc.IntV(n)
	case form.KindText:
		t, _ := v.Text()
		return qc.StrV(t)
	}
	return qc.Value{}
}
