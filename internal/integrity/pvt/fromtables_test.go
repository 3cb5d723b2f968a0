package pvt

import (
	"errors"
	"strings"
	"testing"
)

func table(t *testing.T, name, csv string) *Table {
	t.Helper()
	tb, err := ReadTable(strings.NewReader(csv), name, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

const testFrame = `id,region,urban,reg
s1,N,u,100
s2,N,r,200
s3,S,u,300
s4,S,r,400
`

// A frame and a sample joined: strata from the frame (composite keys),
// votes, the total as denominator, registered voters through the id.
func TestFromTablesJoins(t *testing.T) {
	frame := table(t, "frame.csv", testFrame)
	sample := table(t, "sample.csv", "id,region,urban,A,B,all\ns3,S,u,10,20,35\ns1,N,u,5,5,10\n")
	in, err := FromTables(frame, sample, Columns{Stratum: "region,urban", ID: "id", Options: []string{"A", "B"}, Total: "all", Registered: "reg"})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Strata) != 4 {
		t.Errorf("%d strata, want 4", len(in.Strata))
	}
	if in.Denominator != "column all" {
		t.Errorf("denominator %q", in.Denominator)
	}
	if len(in.Reports) != 2 {
		t.Fatalf("%d reports, want 2", len(in.Reports))
	}
	r := in.Reports[0]
	if r.Stratum != JoinKey("S", "u") || r.Votes[0] != 10 || r.Votes[1] != 20 || r.Total != 35 || r.Registered != 300 {
		t.Errorf("first report %+v, want stratum S/u, votes 10 and 20, total 35, 300 registered (from the frame)", r)
	}
	if in.Reports[1].Registered != 100 {
		t.Errorf("second report's registered voters %g, want 100", in.Reports[1].Registered)
	}
	// Without a total the options' sum is the denominator.
	in, err = FromTables(frame, sample, Columns{Stratum: "region,urban", Options: []string{"A", "B"}})
	if err != nil {
		t.Fatal(err)
	}
	if in.Denominator != "sum of the listed options" || in.Reports[0].Total != 30 || in.Reports[0].Registered != 0 {
		t.Errorf("without a total: %q, %+v", in.Denominator, in.Reports[0])
	}
}

// Every inconsistency between the files is an InputError naming the
// sample's line and column.
func TestFromTablesRejects(t *testing.T) {
	frame := table(t, "frame.csv", testFrame)
	for _, tc := range []struct {
		name, sample string
		cols         Columns
		line         int
		words        string
	}{
		{"unknown stratum", "region,urban,A\nN,u,1\nW,u,2\n", Columns{Stratum: "region,urban", Options: []string{"A"}}, 3, "a stratum of the frame"},
		{"unknown station", "id,region,urban,A\ns1,N,u,1\ns9,N,u,2\n", Columns{Stratum: "region,urban", ID: "id", Options: []string{"A"}}, 3, "a station id of the frame"},
		{"station twice", "id,region,urban,A\ns1,N,u,1\ns1,N,u,2\n", Columns{Stratum: "region,urban", ID: "id", Options: []string{"A"}}, 3, "already reported on line 2"},
		{"station in another stratum", "id,region,urban,A\ns1,N,r,1\n", Columns{Stratum: "region,urban", ID: "id", Options: []string{"A"}}, 2, "stratum in the frame"},
		{"total below the sum", "region,urban,A,B,all\nN,u,5,5,9\n", Columns{Stratum: "region,urban", Options: []string{"A", "B"}, Total: "all"}, 2, "at least the options' sum 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromTables(frame, table(t, "sample.csv", tc.sample), tc.cols)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an InputError", err)
			}
			if ie.File != "sample.csv" || ie.Line != tc.line || !strings.Contains(ie.Expected, tc.words) {
				t.Errorf("%v: want sample.csv line %d, %q", err, tc.line, tc.words)
			}
		})
	}
	// Registered voters in neither file, or in the frame without an id.
	sample := table(t, "sample.csv", "region,urban,A\nN,u,1\n")
	if _, err := FromTables(frame, sample, Columns{Stratum: "region,urban", Options: []string{"A"}, Registered: "reg"}); err == nil || !strings.Contains(err.Error(), "id column") {
		t.Errorf("registered voters only in the frame, no id: %v", err)
	}
}
