package ingest

import (
	"io"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vigil-elections/vigil/internal/realdata"
)

// benchFile reads a real file through its mapping b.N times, reporting
// rows per second and the peak heap sampled every 1,000 rows (to show
// that memory does not grow with the file).
func benchFile(b *testing.B, file, mapping string, size int64, wantRows int) {
	path := realdata.Path(b, file)
	m, err := LoadMapping(filepath.Join("..", "..", "docs", "mappings", mapping+".json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	rows := 0
	for b.Loop() {
		r, err := Open(path, m)
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
			if rows%1000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
		r.Close()
	}
	if rows != wantRows {
		b.Fatalf("%d rows, want %d", rows, wantRows)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkRussia2018 reads the 2018 presidential zip (97,699 stations,
// 32.6 MB of CSV inside); SetBytes is the uncompressed size.
func BenchmarkRussia2018(b *testing.B) {
	benchFile(b, "russia-kobak-shpilkin/2018.csv.zip", "russia-2018", 32601723, 97699)
}

// BenchmarkAlbania2017XLSX reads a 5,273-row workbook through excelize's
// row iterator (SetBytes: the 4.2 MB sheet XML).
func BenchmarkAlbania2017XLSX(b *testing.B) {
	benchFile(b, "albania/albania_2017_parliament_by_station.xlsx", "albania-2017", 4216835, 5273)
}

// BenchmarkMexico2012Gzip reads the full 2012 count (143,132 casillas) from
// gzip (SetBytes: 11.8 MB uncompressed).
func BenchmarkMexico2012Gzip(b *testing.B) {
	benchFile(b, "mexico-ine-quickcount/nal_2012.csv.gz", "mexico-2012", 11779255, 143132)
}
