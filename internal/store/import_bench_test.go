package store_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/ingest"
	"github.com/vigil-elections/vigil/internal/realdata"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// BenchmarkImportRussia2018 imports the largest real file (97,699 stations,
// 32 MB of CSV in a zip) into a fresh database per iteration: reading,
// parsing and storing, as `vigil import` does.
//
//	go test ./internal/store -run '^$' -bench ImportRussia2018 -benchtime 3x
func BenchmarkImportRussia2018(b *testing.B) {
	file := realdata.Path(b, "russia-kobak-shpilkin/2018.csv.zip")
	m, err := ingest.LoadMapping(filepath.Join("..", "..", "docs", "mappings", "russia-2018.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				var db *store.DB
				if engine == "sqlite" {
					db = storetest.SQLite(b)
				} else {
					db = storetest.Postgres(b)
				}
				ctx := context.Background()
				e := &election.Election{Name: "ru-2018", Kind: election.Presidential}
				if err := db.CreateElection(ctx, e); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rd, err := ingest.Open(file, m)
				if err != nil {
					b.Fatal(err)
				}
				bt, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "2018.csv.zip", Options: rd.Options()},
					func() (store.Row, error) {
						r, err := rd.Next()
						if err != nil {
							return store.Row{}, err
						}
						return store.Row{Line: r.Line, Path: r.Path, Attrs: r.Attrs, Figures: r.Figures, Votes: r.Votes}, nil
					})
				rd.Close()
				if err != nil && !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				if bt.Rows != 97699 {
					b.Fatalf("imported %d rows", bt.Rows)
				}
			}
		})
	}
}

// BenchmarkImportSynthetic imports 100,000 generated stations (three
// levels) into a new election per iteration, without reading a file: the
// store's share of an import.
//
//	go test ./internal/store -run '^$' -bench ImportSynthetic -benchtime 1x
func BenchmarkImportSynthetic(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				var db *store.DB
				if engine == "sqlite" {
					db = storetest.SQLite(b)
				} else {
					db = storetest.Postgres(b)
				}
				ctx := context.Background()
				e := &election.Election{Name: "synthetic", Kind: election.Presidential}
				if err := db.CreateElection(ctx, e); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				const n = 100000
				i := 0
				bt, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "synthetic", Options: []string{"A", "B", "C"}},
					func() (store.Row, error) {
						if i == n {
							return store.Row{}, io.EOF
						}
						i++
						return station(i+1, []int64{400, 200, 90}, "R"+strconv.Itoa(i%17), "D"+strconv.Itoa(i%311), strconv.Itoa(i)), nil
					})
				if err != nil {
					b.Fatal(err)
				}
				if bt.Rows != n {
					b.Fatalf("imported %d rows", bt.Rows)
				}
			}
		})
	}
}
