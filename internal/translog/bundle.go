package translog

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Bundle kinds.
const (
	BundleResults         = "results"         // an election's results (and its open data by station), from protocol leaves
	BundleFindings        = "findings"        // a published statement's findings, from report leaves
	BundleRecommendations = "recommendations" // a recommendation follow-up, from assessment leaves
)

// Bundle is a publication with its evidence: the figures it states
// (Claims), the log leaves they come from with an inclusion proof each,
// documents whose hashes leaves commit to, and the signed checkpoint (with
// the witnesses' cosignatures) every proof is against. VerifyBundle checks
// it offline: nothing in it need be trusted but the log's public key.
type Bundle struct {
	Kind       string            `json:"kind"`
	Title      string            `json:"title"`
	Checkpoint string            `json:"checkpoint"` // the signed note
	Claims     json.RawMessage   `json:"claims"`
	Documents  map[string]string `json:"documents,omitempty"`
	Leaves     []BundleLeaf      `json:"leaves"`
}

// BundleLeaf is one cited leaf and its inclusion proof.
type BundleLeaf struct {
	Index int64       `json:"index"`
	Leaf  string      `json:"leaf"`
	Proof []tlog.Hash `json:"proof"`
}

// ResultsClaims are a results publication's figures: totals of the
// latest version of each station's protocol of one source, and optionally
// every station's own figures (the open data).
type ResultsClaims struct {
	Election int64            `json:"election"`
	Source   string           `json:"source"`
	Stations int              `json:"stations"`
	Totals   map[string]int64 `json:"totals"` // figure name → sum
	Votes    []int64          `json:"votes"`  // by option position
	ByArea   []StationClaim   `json:"by_station,omitempty"`
}

// StationClaim is one station's published figures.
type StationClaim struct {
	Path    string           `json:"path"`
	Figures map[string]int64 `json:"figures"`
	Votes   []int64          `json:"votes"`
}

// FindingsClaims name the publication leaf (its findings document is
// Documents["findings"]) and the figures checked from the report leaves.
type FindingsClaims struct {
	Publication string `json:"publication"` // the ref, "published_findings/3"
}

// RecommendationsClaims count a report's assessments by status.
type RecommendationsClaims struct {
	Report   int64          `json:"report"` // the follow-up report's id
	ByStatus map[string]int `json:"by_status"`
}

// Verified is what VerifyBundle established.
type Verified struct {
	Kind      string   `json:"kind"`
	Title     string   `json:"title"`
	Size      int64    `json:"checkpoint_size"`
	Root      string   `json:"checkpoint_root"`
	Origin    string   `json:"origin"`
	Witnesses []string `json:"cosigned_by"`
	Leaves    int      `json:"leaves_proved"`
	Checks    []string `json:"checks"` // each figure recomputed, in words
}

// VerifyBundle checks a bundle against the log's verifier key and the
// witness keys the reader trusts: the checkpoint's signature and
// cosignatures, every leaf's inclusion proof, and every claimed figure
// recomputed from the leaves. Any failure is an error naming what failed.
func VerifyBundle(b *Bundle, logVKey string, witnesses ...string) (*Verified, error) {
	o, err := OpenCheckpoint([]byte(b.Checkpoint), logVKey, witnesses...)
	if err != nil {
		return nil, err
	}
	v := &Verified{Kind: b.Kind, Title: b.Title, Size: o.Size, Root: o.Hash.String(), Origin: o.Origin, Witnesses: o.Witnesses}
	leaves := make([]Leaf, len(b.Leaves))
	seen := map[int64]bool{}
	for i, bl := range b.Leaves {
		if seen[bl.Index] {
			return nil, fmt.Errorf("leaf %d cited twice", bl.Index)
		}
		seen[bl.Index] = true
		if bl.Index < 0 || bl.Index >= o.Size {
			return nil, fmt.Errorf("leaf %d is not in the checkpoint's %d leaves", bl.Index, o.Size)
		}
		if err := tlog.CheckRecord(bl.Proof, o.Size, o.Hash, bl.Index, LeafHash([]byte(bl.Leaf))); err != nil {
			return nil, fmt.Errorf("leaf %d: inclusion proof fails: %v", bl.Index, err)
		}
		l, err := DecodeLeaf([]byte(bl.Leaf))
		if err != nil {
			return nil, fmt.Errorf("leaf %d: %w", bl.Index, err)
		}
		leaves[i] = l
	}
	v.Leaves = len(b.Leaves)
	v.Checks = append(v.Checks, fmt.Sprintf("%d leaves proved in the tree of %d leaves, root %s, signed by %s", len(b.Leaves), o.Size, o.Hash, o.Origin))
	// Leaves in log order: "latest" means highest index.
	order := make([]int, len(leaves))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return b.Leaves[order[i]].Index < b.Leaves[order[j]].Index })
	sorted := make([]Leaf, len(leaves))
	for k, i := range order {
		sorted[k] = leaves[i]
	}
	var checks []string
	switch b.Kind {
	case BundleResults:
		checks, err = verifyResults(b, sorted)
	case BundleFindings:
		checks, err = verifyFindings(b, sorted)
	case BundleRecommendations:
		checks, err = verifyRecommendations(b, sorted)
	default:
		err = fmt.Errorf("unknown bundle kind %q", b.Kind)
	}
	if err != nil {
		return nil, err
	}
	v.Checks = append(v.Checks, checks...)
	return v, nil
}

func verifyResults(b *Bundle, leaves []Leaf) ([]string, error) {
	var c ResultsClaims
	if err := json.Unmarshal(b.Claims, &c); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	// The latest version of each area's protocol of the source.
	type pv struct {
		version int64
		leaf    Leaf
	}
	latest := map[int64]pv{}
	for _, l := range leaves {
		if l.Kind != KindProtocol || l.Election != c.Election || l.String("source") != c.Source {
			continue
		}
		area, _ := l.Int("area")
		ver, _ := l.Int("version")
		if old, ok := latest[area]; !ok || ver > old.version {
			latest[area] = pv{ver, l}
		}
	}
	if len(latest) != c.Stations {
		return nil, fmt.Errorf("the bundle claims %d stations; its leaves hold protocols of %d", c.Stations, len(latest))
	}
	totals := map[string]int64{}
	var votes []int64
	byPath := map[string]Leaf{}
	for _, p := range latest {
		for k := range p.leaf.Data {
			if n, ok := p.leaf.Int(k); ok && isFigure(k) {
				totals[k] += n
			}
		}
		vs, _ := p.leaf.Ints("votes")
		for len(votes) < len(vs) {
			votes = append(votes, 0)
		}
		for i, x := range vs {
			votes[i] += x
		}
		byPath[p.leaf.String("path")] = p.leaf
	}
	var checks []string
	for k, want := range c.Totals {
		if got := totals[k]; got != want {
			return nil, fmt.Errorf("%s: the bundle claims %d, the leaves sum to %d", k, want, got)
		}
		checks = append(checks, fmt.Sprintf("%s = %d, the sum of %d protocols", k, want, len(latest)))
	}
	for i, want := range c.Votes {
		got := int64(0)
		if i < len(votes) {
			got = votes[i]
		}
		if got != want {
			return nil, fmt.Errorf("votes of option %d: the bundle claims %d, the leaves sum to %d", i+1, want, got)
		}
	}
	if len(c.Votes) > 0 {
		checks = append(checks, fmt.Sprintf("votes of %d options = the sums of the protocols", len(c.Votes)))
	}
	for _, s := range c.ByArea {
		l, ok := byPath[s.Path]
		if !ok {
			return nil, fmt.Errorf("station %s: no protocol leaf in the bundle", s.Path)
		}
		for k, want := range s.Figures {
			if got, _ := l.Int(k); got != want {
				return nil, fmt.Errorf("station %s, %s: the bundle claims %d, its leaf says %d", s.Path, k, want, got)
			}
		}
		vs, _ := l.Ints("votes")
		if fmt.Sprint(vs) != fmt.Sprint(s.Votes) {
			return nil, fmt.Errorf("station %s, votes: the bundle claims %v, its leaf says %v", s.Path, s.Votes, vs)
		}
	}
	if len(c.ByArea) > 0 {
		checks = append(checks, fmt.Sprintf("%d stations' figures = their leaves", len(c.ByArea)))
	}
	sort.Strings(checks)
	return checks, nil
}

// isFigure reports whether a protocol leaf's data key is a figure (the
// rest are ids, versions, times).
func isFigure(k string) bool {
	switch k {
	case "area", "version", "batch", "report":
		return false
	}
	return true
}

func verifyFindings(b *Bundle, leaves []Leaf) ([]string, error) {
	var c FindingsClaims
	if err := json.Unmarshal(b.Claims, &c); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	doc, ok := b.Documents["findings"]
	if !ok {
		return nil, errors.New("the bundle has no findings document")
	}
	var pub *Leaf
	reports := map[int64]Leaf{}
	for i, l := range leaves {
		if l.Kind == KindFindings && l.Ref == c.Publication {
			pub = &leaves[i]
		}
		if l.Kind == KindReport {
			var id int64
			if _, err := fmt.Sscanf(l.Ref, "reports/%d", &id); err == nil {
				reports[id] = l // the latest leaf of the report (leaves are in log order)
			}
		}
	}
	if pub == nil {
		return nil, fmt.Errorf("the bundle cites no leaf for %s", c.Publication)
	}
	if got := SHA256Hex(doc); got != pub.String("findings_sha256") {
		return nil, fmt.Errorf("the findings document's SHA-256 %s is not the one its leaf commits to (%s)", got, pub.String("findings_sha256"))
	}
	checks := []string{fmt.Sprintf("the findings document is the one published at %s (%s)", pub.String("published"), c.Publication)}
	var f struct {
		Phases map[string]struct {
			Observed        int     `json:"observed"`
			Negative        int     `json:"negative"`
			Share           float64 `json:"share"`
			NegativeReports []int64 `json:"negative_reports"`
			ObservedReports []int64 `json:"observed_reports"`
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(doc), &f); err != nil {
		return nil, fmt.Errorf("findings document: %w", err)
	}
	published := pub.String("published")
	var phases []string
	for ph := range f.Phases {
		phases = append(phases, ph)
	}
	sort.Strings(phases)
	for _, ph := range phases {
		p := f.Phases[ph]
		count := func(ids []int64, what string) (int, error) {
			n := 0
			for _, id := range ids {
				l, ok := reports[id]
				if !ok {
					return 0, fmt.Errorf("%s, %s: report %d has no leaf in the bundle", ph, what, id)
				}
				if l.String("phase") != ph {
					return 0, fmt.Errorf("%s, %s: report %d's leaf is of phase %q", ph, what, id, l.String("phase"))
				}
				if r := l.String("received"); published != "" && r > published {
					return 0, fmt.Errorf("%s, %s: report %d was received (%s) after the publication (%s)", ph, what, id, r, published)
				}
				n++
			}
			return n, nil
		}
		obs, err := count(p.ObservedReports, "observed")
		if err != nil {
			return nil, err
		}
		neg, err := count(p.NegativeReports, "negative")
		if err != nil {
			return nil, err
		}
		if obs != p.Observed || neg != p.Negative {
			return nil, fmt.Errorf("%s: the findings say %d negative of %d observed; the leaves give %d of %d", ph, p.Negative, p.Observed, neg, obs)
		}
		if obs > 0 && math.Abs(float64(neg)/float64(obs)-p.Share) > 1e-9 {
			return nil, fmt.Errorf("%s: share %.4f is not %d/%d", ph, p.Share, neg, obs)
		}
		checks = append(checks, fmt.Sprintf("%s: %d negative of %d observed, each a report received before publication", ph, neg, obs))
	}
	return checks, nil
}

func verifyRecommendations(b *Bundle, leaves []Leaf) ([]string, error) {
	var c RecommendationsClaims
	if err := json.Unmarshal(b.Claims, &c); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	latest := map[string]Leaf{}
	for _, l := range leaves {
		if l.Kind == KindAssessment {
			if r, _ := l.Int("report"); r == c.Report {
				rec, _ := l.Int("recommendation")
				latest[fmt.Sprint(rec)] = l
			}
		}
	}
	got := map[string]int{}
	for _, l := range latest {
		got[l.String("status")]++
	}
	var checks []string
	for st, want := range c.ByStatus {
		if got[st] != want {
			return nil, fmt.Errorf("%s: the bundle claims %d recommendations, the leaves give %d", st, want, got[st])
		}
		checks = append(checks, fmt.Sprintf("%s: %d recommendations, each an assessment leaf", st, want))
	}
	for st, n := range got {
		if _, ok := c.ByStatus[st]; !ok && n > 0 {
			return nil, fmt.Errorf("%s: the leaves hold %d assessments the bundle does not count", st, n)
		}
	}
	sort.Strings(checks)
	return checks, nil
}

// Summary is a one-line account of a verification, for the portal and
// the CLI: "verified against checkpoint N, cosigned by …".
func (v *Verified) Summary() string {
	s := fmt.Sprintf("verified against checkpoint %d (root %s) of %s", v.Size, v.Root, v.Origin)
	if len(v.Witnesses) > 0 {
		s += ", cosigned by " + strings.Join(v.Witnesses, ", ")
	} else {
		s += ", no witness cosignature checked"
	}
	return s
}
