// Package election is vigil's domain: elections, their options, the area
// hierarchy down to polling stations, and the results protocols that each
// level produces, in every version. It knows nothing of storage or HTTP.
package election

import (
	"fmt"
	"strconv"
	"time"
)

// Kind is the kind of contest.
type Kind string

// The kinds of contest vigil models.
const (
	Presidential Kind = "presidential"
	PartyList    Kind = "party-list"
	Referendum   Kind = "referendum"
	SingleMember Kind = "single-member"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case Presidential, PartyList, Referendum, SingleMember:
		return true
	}
	return false
}

// OptionKind says what a line on the ballot is.
type OptionKind string

// The kinds of ballot option.
const (
	Candidate  OptionKind = "candidate"
	Party      OptionKind = "party"
	AgainstAll OptionKind = "against-all"
	Yes        OptionKind = "yes"
	No         OptionKind = "no"
)

// Election is one contest: its options and the protocols of its areas.
type Election struct {
	ID      int64     `json:"id"`
	Name    string    `json:"name"` // unique, used on the command line
	Kind    Kind      `json:"kind"`
	Country string    `json:"country,omitempty"` // ISO 3166-1 alpha-2
	Date    string    `json:"date,omitempty"`    // YYYY-MM-DD, election day
	Options []Option  `json:"options"`
	Config  Config    `json:"config"`
	Created time.Time `json:"created"`
}

// Option is a line on the ballot. Position is its index in every protocol's
// Votes slice.
type Option struct {
	Position int        `json:"position"`
	Name     string     `json:"name"`
	Kind     OptionKind `json:"kind"`
}

// OptionIndex returns the position of the option with the given name, or -1.
func (e *Election) OptionIndex(name string) int {
	for _, o := range e.Options {
		if o.Name == name {
			return o.Position
		}
	}
	return -1
}

// Config holds the per-election settings of the checks.
type Config struct {
	// Tolerances lets an election accept small discrepancies for a control
	// code (the law or the practice of a country may allow them), keyed by
	// control code. Absent codes have tolerance zero.
	Tolerances map[string]Tolerance `json:"tolerances,omitempty"`
	// Essential names the figures every station protocol must state
	// (control MISSING_FIGURE); nil means DefaultEssential. The name
	// "votes" stands for the votes of every option.
	Essential []string `json:"essential,omitempty"`
	// AreaLevels names the levels of the area hierarchy from level 1 down
	// (the station last), as the first import's mapping named its area
	// columns: "region", "tik", "uik". Analyses group by these names.
	AreaLevels []string `json:"area_levels,omitempty"`
	// Title is the election's name for readers ("Presidential election,
	// 20 November 2022"); the Name is the slug of the command line.
	Title string `json:"title,omitempty"`
}

// Title is what pages call the election: its configured title, else its
// name.
func (e *Election) Title() string {
	if e.Config.Title != "" {
		return e.Config.Title
	}
	return e.Name
}

// LevelName is the name of area level level (1 = top), "" when the
// election names none: the inverse of LevelOf for named levels.
func (c Config) LevelName(level int) string {
	if level >= 1 && level <= len(c.AreaLevels) {
		return c.AreaLevels[level-1]
	}
	return ""
}

// LevelOf returns the level (1 = top) of a named area level, or of a
// number given as text; 0 when there is none.
func (c Config) LevelOf(name string) int {
	for i, n := range c.AreaLevels {
		if n == name {
			return i + 1
		}
	}
	lvl, err := strconv.Atoi(name)
	if err != nil || lvl < 1 {
		return 0
	}
	return lvl
}

// Tolerance is how far a control may be off before it is flagged: the
// larger of Absolute ballots and Relative (a fraction) of the larger side.
type Tolerance struct {
	Absolute int64   `json:"absolute,omitempty"`
	Relative float64 `json:"relative,omitempty"`
}

// Allows reports whether a difference d between sides a and b is within t.
func (t Tolerance) Allows(d, a, b int64) bool {
	if d < 0 {
		d = -d
	}
	lim := float64(t.Absolute)
	if r := t.Relative * float64(max(abs(a), abs(b))); r > lim {
		lim = r
	}
	return float64(d) <= lim
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Area is a node of an election's area hierarchy: the country, a region, a
// district or territorial commission, or a polling station (a leaf). Areas
// are named by their path from the top, which is also how imports find them.
type Area struct {
	ID       int64             `json:"id"`
	ParentID int64             `json:"parent_id,omitempty"` // 0 at the root
	Level    int               `json:"level"`               // 0 is the root (the whole election)
	Name     string            `json:"name"`
	Path     []string          `json:"path"` // names from level 1 down to this area
	Station  bool              `json:"station"`
	Attrs    map[string]string `json:"attributes,omitempty"`
}

// Source says who produced a protocol version.
type Source string

// The sources of protocol versions.
const (
	OfficialPreliminary Source = "official-preliminary"
	OfficialFinal       Source = "official-final"
	Observer            Source = "observer"
	Recount             Source = "recount"
	Summary             Source = "summary" // a higher-level commission's summary protocol
)

// Sources lists every source in a stable order.
var Sources = []Source{OfficialPreliminary, OfficialFinal, Observer, Recount, Summary}

// ParseSource checks a source name.
func ParseSource(s string) (Source, error) {
	for _, k := range Sources {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown source %q (want one of official-final, official-preliminary, observer, recount, summary)", s)
}

// Protocol is one version of the results protocol of one area. Versions of
// the same area and source are numbered from 1 and never overwritten: a new
// import adds a version beside the old ones.
type Protocol struct {
	ID       int64     `json:"id"`
	AreaID   int64     `json:"area_id"`
	Source   Source    `json:"source"`
	Version  int       `json:"version"`
	BatchID  int64     `json:"batch_id"`
	Figures  Figures   `json:"figures"`
	Votes    []int64   `json:"votes"` // by option position
	Received time.Time `json:"received"`
	// ReportID is the observation report an observer version came from.
	ReportID int64 `json:"report_id,omitempty"`
}

// Batch is one import: one file, one source, one moment.
type Batch struct {
	ID         int64     `json:"id"`
	ElectionID int64     `json:"election_id"`
	Source     Source    `json:"source"`
	File       string    `json:"file"`
	SHA256     string    `json:"sha256"`
	Rows       int       `json:"rows"`
	Rejected   int       `json:"rejected"`
	Created    time.Time `json:"created"`
	// The batch's leaf in the transparency log (set by the import).
	LeafIndex int64  `json:"leaf_index"`
	LeafHash  string `json:"leaf_hash,omitempty"`
}
