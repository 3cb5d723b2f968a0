package pvt

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Columns names what FromTables reads from a sampling frame and a reported
// sample.
type Columns struct {
	// Stratum is the frame's stratum column, or several comma-separated
	// ("region,urban,size") joined into composite keys with JoinKey.
	Stratum string
	// SampleStratum is the sample's, when it is named differently.
	SampleStratum string
	// Region is a frame column grouping strata (short strata collapse
	// within it first); "" takes a composite stratum's first column.
	Region string
	// ID is a station id column in both tables: each report's station and
	// stratum are checked against the frame, duplicates rejected, and
	// Registered read from the frame when the sample lacks it. "": none.
	ID string
	// Options are the sample's vote columns, one per option.
	Options []string
	// Total is the sample's column of all votes counted (the shares'
	// denominator); "" takes the sum of the options.
	Total string
	// Registered is the registered voters' column (for turnout), from the
	// sample, or from the frame through ID. "": none.
	Registered string
	// Times are the sample's columns of a report's arrival (see
	// Table.Times); nil: none.
	Times []string
}

// Input is a frame joined with its sample: the strata, one report per
// sample row, and what the shares are of.
type Input struct {
	Strata      []Stratum
	Reports     []Report
	Denominator string // "sum of the listed options" or "column NAME"
}

// FromTables joins a sampling frame (one row per station) with a reported
// sample (one row per reported station): the strata from the frame, every
// report's stratum checked to be one of them, its votes, total,
// registered voters and arrival read. Every problem is an *InputError
// naming the table, line, column and value, or the error of the column
// that could not be found.
func FromTables(frame, sample *Table, c Columns) (*Input, error) {
	in := &Input{}
	fkeys, ffirst, fname, err := StratumColumns(frame, c.Stratum)
	if err != nil {
		return nil, err
	}
	groups := ffirst // a composite stratum's first part is its region by default
	if c.Region != "" {
		rc, err := frame.Col(c.Region)
		if err != nil {
			return nil, err
		}
		groups = frame.Strings(rc)
	}
	if in.Strata, err = StrataOf(fkeys, groups); err != nil {
		return nil, fmt.Errorf("%s: %w", frame.Name, err)
	}
	sStratum := c.SampleStratum
	if sStratum == "" {
		sStratum = c.Stratum
	}
	strat, _, sname, err := StratumColumns(sample, sStratum)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(in.Strata))
	for _, s := range in.Strata {
		known[s.Key] = true
	}
	for i, s := range strat {
		if !known[s] {
			return nil, &InputError{File: sample.Name, Line: sample.Lines[i], Column: sname, Value: s,
				Expected: fmt.Sprintf("a stratum of the frame %s (column %s)", frame.Name, fname)}
		}
	}
	votes := make([][]float64, len(c.Options))
	for k, o := range c.Options {
		col, err := sample.Col(o)
		if err != nil {
			return nil, err
		}
		if votes[k], err = sample.Numbers(col); err != nil {
			return nil, err
		}
	}
	var total []float64
	in.Denominator = "sum of the listed options"
	if c.Total != "" {
		col, err := sample.Col(c.Total)
		if err != nil {
			return nil, err
		}
		if total, err = sample.Numbers(col); err != nil {
			return nil, err
		}
		in.Denominator = "column " + sample.Header[col]
	}
	var frameRow []int // for each report, its row in the frame (with ID)
	if c.ID != "" {
		if frameRow, err = joinByID(frame, sample, c.ID, fkeys, strat, sname); err != nil {
			return nil, err
		}
	}
	reg, err := registered(frame, sample, c.Registered, frameRow)
	if err != nil {
		return nil, err
	}
	var times []time.Time
	if c.Times != nil {
		var cols []int
		for _, name := range c.Times {
			col, err := sample.Col(strings.TrimSpace(name))
			if err != nil {
				return nil, err
			}
			cols = append(cols, col)
		}
		if times, err = sample.Times(cols); err != nil {
			return nil, err
		}
	}
	in.Reports = make([]Report, len(strat))
	for i := range in.Reports {
		r := Report{Stratum: strat[i], Votes: make([]float64, len(votes))}
		sum := 0.0
		for k := range votes {
			r.Votes[k] = votes[k][i]
			sum += votes[k][i]
		}
		r.Total = sum
		if total != nil {
			r.Total = total[i]
			if total[i] < sum {
				return nil, &InputError{File: sample.Name, Line: sample.Lines[i], Column: c.Total, Value: strconv.FormatFloat(total[i], 'f', -1, 64),
					Expected: fmt.Sprintf("at least the options' sum %g", sum)}
			}
		}
		if reg != nil {
			r.Registered = reg[i]
		}
		if times != nil {
			r.Arrival = times[i]
		}
		in.Reports[i] = r
	}
	return in, nil
}

// joinByID finds each sample row's station in the frame by the id column,
// rejecting a station unknown to the frame, reported twice, or reported in
// another stratum than the frame's; it returns each report's frame row.
func joinByID(frame, sample *Table, id string, fstrat, strat []string, sname string) ([]int, error) {
	fic, err := frame.Col(id)
	if err != nil {
		return nil, err
	}
	sic, err := sample.Col(id)
	if err != nil {
		return nil, err
	}
	rowOf := make(map[string]int, len(frame.Rows))
	for i, id := range frame.Strings(fic) {
		if _, dup := rowOf[id]; dup {
			return nil, &InputError{File: frame.Name, Line: frame.Lines[i], Column: frame.Header[fic], Value: id, Expected: "a station id not seen before in the frame"}
		}
		rowOf[id] = i
	}
	seen := make(map[string]int, len(sample.Rows))
	frameRow := make([]int, len(sample.Rows))
	for i, id := range sample.Strings(sic) {
		fr, ok := rowOf[id]
		switch {
		case !ok:
			return nil, &InputError{File: sample.Name, Line: sample.Lines[i], Column: sample.Header[sic], Value: id, Expected: "a station id of the frame " + frame.Name}
		case seen[id] > 0:
			return nil, &InputError{File: sample.Name, Line: sample.Lines[i], Column: sample.Header[sic], Value: id,
				Expected: fmt.Sprintf("one report per station (already reported on line %d)", seen[id])}
		case fstrat[fr] != strat[i]:
			return nil, &InputError{File: sample.Name, Line: sample.Lines[i], Column: sname, Value: strat[i],
				Expected: fmt.Sprintf("station %s's stratum in the frame, %q", id, fstrat[fr])}
		}
		seen[id] = sample.Lines[i]
		frameRow[i] = fr
	}
	return frameRow, nil
}

// registered reads each report's registered voters: from the sample's
// column, else from the frame's through the id join (frameRow). nil when
// no column is named.
func registered(frame, sample *Table, name string, frameRow []int) ([]float64, error) {
	if name == "" {
		return nil, nil
	}
	c, err := sample.Col(name)
	if err == nil {
		return sample.Numbers(c)
	}
	if frameRow == nil {
		return nil, fmt.Errorf("%w (give an id column to take registered voters from the frame)", err)
	}
	fc, ferr := frame.Col(name)
	if ferr != nil {
		return nil, fmt.Errorf("registered voters' column %s is in neither file: %w", name, ferr)
	}
	all, err := frame.Numbers(fc)
	if err != nil {
		return nil, err
	}
	reg := make([]float64, len(frameRow))
	for i, fr := range frameRow {
		reg[i] = all[fr]
	}
	return reg, nil
}

// StratumColumns reads the stratum of each row from one column or from
// several, comma-separated ("region,urban,size"), joined into composite keys
// with JoinKey. For a composite stratum it also returns the first part
// (the default collapse group). name is the columns as given, for errors.
func StratumColumns(t *Table, spec string) (keys, first []string, name string, err error) {
	var cols []int
	var names []string
	for _, c := range strings.Split(spec, ",") {
		i, err := t.Col(strings.TrimSpace(c))
		if err != nil {
			return nil, nil, "", err
		}
		cols = append(cols, i)
		names = append(names, t.Header[i])
	}
	keys = t.Strings(cols[0])
	if len(cols) == 1 {
		return keys, nil, names[0], nil
	}
	first = keys
	keys = make([]string, len(first))
	parts := make([][]string, len(cols))
	for j, c := range cols {
		parts[j] = t.Strings(c)
	}
	row := make([]string, len(cols))
	for i := range keys {
		for j := range cols {
			row[j] = parts[j][i]
		}
		keys[i] = JoinKey(row...)
	}
	return keys, first, strings.Join(names, ","), nil
}
