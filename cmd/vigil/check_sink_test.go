package main

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

// TestFlagSinkSameOutput: a streaming check's output, its flags passed
// through the sink protocol by protocol, is byte for byte what printing
// the whole report gives, in JSON and in text at several limits.
func TestFlagSinkSameOutput(t *testing.T) {
	e := &election.Election{Name: "e", Options: []election.Option{{Name: "A"}, {Name: "B"}}}
	var protocols []*election.Protocol
	for i := range 7 {
		f := election.Figures{}
		f.Set(election.Registered, 100)
		f.Set(election.BallotsIssued, int64(60+i))
		f.Set(election.BallotsInBox, 60)
		f.Set(election.Valid, 58)
		f.Set(election.Invalid, int64(i%3))
		protocols = append(protocols, &election.Protocol{AreaID: int64(i + 1), Source: election.OfficialFinal, Version: 1, Figures: f, Votes: []int64{30, int64(20 + i)}})
	}
	full := election.NewReport()
	for i, p := range protocols {
		from := len(full.Flags)
		full.Check(e, p)
		for k := from; k < len(full.Flags); k++ {
			full.Flags[k].Station = fmt.Sprint("R / ", i)
		}
	}
	if len(full.Flags) < 5 {
		t.Fatalf("only %d flags: the test proves little", len(full.Flags))
	}
	streamed := func(asJSON bool, limit int) (string, *election.Report) {
		s, err := newFlagSink(asJSON, limit)
		if err != nil {
			t.Fatal(err)
		}
		defer s.close()
		rep := election.NewReport()
		for i, p := range protocols {
			from := len(rep.Flags)
			rep.Check(e, p)
			for k := from; k < len(rep.Flags); k++ {
				rep.Flags[k].Station = fmt.Sprint("R / ", i)
			}
			if err := s.add(rep.Flags); err != nil {
				t.Fatal(err)
			}
			rep.Flags = rep.Flags[:0]
		}
		var b bytes.Buffer
		if asJSON {
			if err := s.writeJSON(&b, rep); err != nil {
				t.Fatal(err)
			}
		} else {
			s.printText(&b, rep)
		}
		return b.String(), rep
	}
	var want bytes.Buffer
	if err := printJSON(&want, full); err != nil {
		t.Fatal(err)
	}
	if got, _ := streamed(true, 20); got != want.String() {
		t.Errorf("JSON differs:\n%s\nwant\n%s", got, want.String())
	}
	for _, limit := range []int{-1, 0, 2, len(full.Flags), 20} {
		want.Reset()
		printCheck(&want, full, limit)
		if got, _ := streamed(false, limit); got != want.String() {
			t.Errorf("text at limit %d differs:\n%s\nwant\n%s", limit, got, want.String())
		}
	}
	// No flags at all: the empty list, as before.
	clean := election.NewReport()
	want.Reset()
	printJSON(&want, clean)
	s, _ := newFlagSink(true, 20)
	defer s.close()
	var got bytes.Buffer
	s.writeJSON(&got, election.NewReport())
	if got.String() != want.String() {
		t.Errorf("JSON without flags:\n%s\nwant\n%s", got.String(), want.String())
	}
}
