package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br", true},
		{"br, GZIP", true},
		{"deflate, gzip;q=0.5", true},
		{"gzip; q=1.0", true},
		{"gzip;q=0", false},
		{"gzip;q=0.0", false},
		{"gzip;q=0.000", false},
		{"gzip;q=0.001", true},
		{"gzip;q=x", false},
		{"x-gzip", false},
		{"identity", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Accept-Encoding", c.header)
		}
		if got := acceptsGzip(r); got != c.want {
			t.Errorf("Accept-Encoding %q: acceptsGzip = %v, want %v", c.header, got, c.want)
		}
	}
}

// TestServePageCompressesOnDemand: a cached page is compressed only when a
// reader takes gzip, once, and readers that do not take it get the body as
// rendered; the ETag and 304 are the same either way.
func TestServePageCompressesOnDemand(t *testing.T) {
	s := &Server{}
	s.portal.pages = map[string]cachedPage{}
	body := []byte(strings.Repeat("<tr><td>Station 17</td><td>1,234</td></tr>\n", 200))
	builds := 0
	build := func(*http.Request) ([]byte, error) { builds++; return body, nil }
	serve := func(enc, inm string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("GET", "/elections/1/areas/7", nil)
		if enc != "" {
			r.Header.Set("Accept-Encoding", enc)
		}
		if inm != "" {
			r.Header.Set("If-None-Match", inm)
		}
		w := httptest.NewRecorder()
		if err := s.servePage(w, r, "k", "stamp-1", "text/html; charset=utf-8", build); err != nil {
			t.Fatal(err)
		}
		return w
	}

	plain := serve("", "")
	if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" || !bytes.Equal(plain.Body.Bytes(), body) {
		t.Fatalf("plain reader: %d, encoding %q, %d bytes", plain.Code, plain.Header().Get("Content-Encoding"), plain.Body.Len())
	}
	if p := s.portal.pages["k"]; p.gz.gz != nil {
		t.Fatal("the page was compressed for a reader that does not take gzip")
	}
	if v := plain.Header().Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
		t.Fatalf("Vary %q lacks Accept-Encoding", v)
	}
	etag := plain.Header().Get("ETag")

	z1 := serve("gzip", "")
	z2 := serve("gzip, br", "")
	if z1.Header().Get("Content-Encoding") != "gzip" || z1.Header().Get("ETag") != etag {
		t.Fatalf("gzip reader: encoding %q, ETag %q (plain %q)", z1.Header().Get("Content-Encoding"), z1.Header().Get("ETag"), etag)
	}
	if !bytes.Equal(z1.Body.Bytes(), z2.Body.Bytes()) {
		t.Fatal("two gzip readers got different bodies")
	}
	if p := s.portal.pages["k"]; p.gz.gz == nil || !bytes.Equal(p.gz.gz, z1.Body.Bytes()) {
		t.Fatal("the compressed body is not kept with the page")
	}
	zr, err := gzip.NewReader(z1.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("gzipped body does not decompress to the page: %v", err)
	}
	if nm := serve("gzip", etag); nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
		t.Fatalf("If-None-Match with the ETag: %d, %d bytes", nm.Code, nm.Body.Len())
	}
	if builds != 1 {
		t.Fatalf("the page was built %d times, want 1", builds)
	}
}
