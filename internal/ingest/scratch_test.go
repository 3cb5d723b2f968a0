package ingest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
)

func TestScratch(t *testing.T) {
	m, err := LoadMapping(os.Getenv("MAP"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tt := sumFile(t, os.Getenv("FILE"), m, nil)
	fmt.Println("time", time.Since(start))
	fmt.Println("rows", tt.rows, "empty", tt.empty, "dups", tt.dupPaths, "rowerrs", len(tt.rowErrs))
	for i, e := range tt.rowErrs {
		if i < 10 {
			fmt.Println(" ", e)
		}
	}
	for f := election.Figure(0); f < election.NumFigures; f++ {
		fmt.Println(f, tt.figures[f])
	}
	var tot int64
	for _, v := range tt.votes {
		tot += v
	}
	for i, o := range tt.options {
		fmt.Printf("%s %d %.2f%%\n", o, tt.votes[i], 100*float64(tt.votes[i])/float64(tt.figures[election.Valid]))
	}
	fmt.Println("sum votes", tot)
}
