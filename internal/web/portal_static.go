package web

import (
	"compress/gzip"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"sync"
	"time"
)

// vendorHandler serves the vendored libraries (static/vendor) gzipped
// when the browser accepts it, compressed once at first use at the best
// level (they are served for the life of the process): htmx and Leaflet
// are four fifths of the bytes a first visit downloads, and a third of that
// once compressed. Cached for a day: the files change only with a new
// version of vigil.
func vendorHandler() http.Handler {
	type file struct {
		raw, gz []byte
		ctype   string
	}
	var (
		mu    sync.Mutex
		files = map[string]*file{}
	)
	start := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean("static" + r.URL.Path[len("/static"):])
		mu.Lock()
		f, ok := files[name]
		if !ok {
			raw, err := fs.ReadFile(staticFS, name)
			if err != nil {
				mu.Unlock()
				http.NotFound(w, r)
				return
			}
			ct := mime.TypeByExtension(path.Ext(name))
			if ct == "" {
				ct = "application/octet-stream"
			}
			f = &file{raw: raw, gz: gzipped(raw, gzip.BestCompression), ctype: ct}
			files[name] = f
		}
		mu.Unlock()
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("Cache-Control", "public, max-age=86400")
		h.Set("Vary", "Accept-Encoding")
		h.Set("Last-Modified", start.UTC().Format(http.TimeFormat))
		body := f.raw
		if f.gz != nil && acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = f.gz
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	})
}
