package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/vigil-elections/vigil/internal/election"
)

// flagSink takes a streaming check's flags as they are found, so that a
// check of millions of protocols holds none of them: the text output needs
// per code the flags and the protocols flagged, and the first few flags;
// the JSON output needs every flag, but only after the counts, so they are
// spilled to a temporary file as encoded and copied after the counts at the
// end. The output is the same as printing the whole report
// (TestFlagSinkSameOutput).
type flagSink struct {
	asJSON bool
	limit  int

	n       int            // flags in all
	perCode map[string]int // flags per code
	// protocols flagged (an area and a source: printCheck's key), counted
	// as they come: a protocol's flags come together
	flagged int
	first   []election.Flag // the first limit flags, for the text

	spill *os.File
	w     *bufio.Writer
}

func newFlagSink(asJSON bool, limit int) (*flagSink, error) {
	s := &flagSink{asJSON: asJSON, limit: limit, perCode: map[string]int{}}
	if asJSON {
		f, err := os.CreateTemp("", "vigil-check-*.json")
		if err != nil {
			return nil, fmt.Errorf("check: spill file for the flags: %w", err)
		}
		os.Remove(f.Name()) // gone when closed, whatever happens
		s.spill, s.w = f, bufio.NewWriterSize(f, 1<<16)
	}
	return s, nil
}

// add takes one protocol's flags.
func (s *flagSink) add(flags []election.Flag) error {
	type key struct {
		area int64
		src  election.Source
	}
	seen := map[key]bool{}
	for _, f := range flags {
		s.n++
		s.perCode[f.Code]++
		if k := (key{f.AreaID, f.Source}); !seen[k] {
			seen[k] = true
			s.flagged++
		}
		if !s.asJSON {
			if s.limit < 0 || len(s.first) < s.limit {
				s.first = append(s.first, f)
			}
			continue
		}
		b, err := json.MarshalIndent(f, "    ", "  ")
		if err != nil {
			return err
		}
		if s.n > 1 {
			s.w.WriteString(",\n")
		}
		s.w.WriteString("    ")
		if _, err := s.w.Write(b); err != nil {
			return fmt.Errorf("check: spilling flags: %w", err)
		}
	}
	return nil
}

// writeJSON writes rep (its flags taken by the sink) as printJSON would
// the whole report.
func (s *flagSink) writeJSON(w io.Writer, rep *election.Report) error {
	head := *rep
	head.Flags = []election.Flag{}
	var buf bytes.Buffer
	if err := printJSON(&buf, &head); err != nil {
		return err
	}
	b := buf.Bytes()
	const empty = "[]\n}\n"
	if s.n == 0 || !bytes.HasSuffix(b, []byte(empty)) {
		_, err := w.Write(b)
		return err
	}
	if _, err := w.Write(b[:len(b)-len(empty)]); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("check: spilling flags: %w", err)
	}
	if _, err := s.spill.Seek(0, io.SeekStart); err != nil {
		return err
	}
	io.WriteString(w, "[\n")
	if _, err := io.Copy(w, s.spill); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n  ]\n}\n")
	return err
}

// printText writes what printCheck writes for the whole report.
func (s *flagSink) printText(w io.Writer, rep *election.Report) {
	full := *rep
	full.Flags = s.first
	printCheckCounts(w, &full, s.n, s.flagged, s.perCode)
	printCheckFlags(w, s.first, s.n, s.limit)
}

func (s *flagSink) close() {
	if s.spill != nil {
		s.spill.Close()
	}
}
