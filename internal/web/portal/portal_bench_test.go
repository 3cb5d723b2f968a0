package portal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
)

// The handler alone, without the network: what serving the national page
// and its JSON from the cache costs, and a cold station page (rendered from
// the database) over the full demo. The end-to-end figures over loopback
// come from cmd/vigil-portal-load (docs/performance/portal.md).

func benchServer(b *testing.B) (http.Handler, []int64) {
	db := storetest.SQLite(b)
	el := demo.Generate(2022, demo.DefaultParams)
	if _, err := demo.Write(context.Background(), db, el); err != nil {
		b.Fatal(err)
	}
	h, err := site.New(db, web.Options{})
	if err != nil {
		b.Fatal(err)
	}
	areas, err := db.Areas(context.Background(), 1)
	if err != nil {
		b.Fatal(err)
	}
	var stations []int64
	for _, a := range areas {
		if a.Station {
			stations = append(stations, a.ID)
		}
	}
	return h, stations
}

func BenchmarkPortalCached(b *testing.B) {
	h, _ := benchServer(b)
	for _, path := range []string{"/elections/1/areas/root", "/api/v1/elections/1/results"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			h.ServeHTTP(httptest.NewRecorder(), req) // fill the cache
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != 200 {
						b.Fatal(w.Code)
					}
				}
			})
		})
	}
}

// BenchmarkPortalStationCold renders station pages never asked before, for
// a client that takes gzip (a browser) and for one that does not (a
// crawler, curl): the second must not pay for a compression.
func BenchmarkPortalStationCold(b *testing.B) {
	h, stations := benchServer(b)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/elections/1/areas/root", nil))
	langs := []string{"en", "ru"}
	lap := 0 // laps of the stations, over both sub-benchmarks
	for _, enc := range []string{"gzip", ""} {
		name := enc
		if name == "" {
			name = "identity"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if i%len(stations) == 0 {
					lap++
				}
				// A different language or query each lap of the stations keeps every request a cache miss.
				req := httptest.NewRequest("GET", "/elections/1/areas/"+strconv.FormatInt(stations[i%len(stations)], 10)+
					"?lang="+langs[lap%len(langs)]+"&lap="+strconv.Itoa(lap), nil)
				if enc != "" {
					req.Header.Set("Accept-Encoding", enc)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 || w.Header().Get("Content-Encoding") != enc {
					b.Fatal(w.Code, w.Header().Get("Content-Encoding"))
				}
			}
		})
	}
}
