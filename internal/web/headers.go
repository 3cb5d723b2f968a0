package web

import "net/http"

// contentSecurityPolicy lets pages run only vigil's own scripts (there is
// no inline script in any template, and htmx and Leaflet are vendored
// under /static/), fetch only from vigil, and never be framed. Styles allow
// 'unsafe-inline': the bar charts' widths and the map legend are style
// attributes, htmx and Leaflet set styles, and the findings statement and
// the recommendations draft carry a <style>; a style cannot run code.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets on every response, before the handler runs (a
// handler may still override one): the CSP above, no framing (old
// browsers read X-Frame-Options), no MIME sniffing, no Referer to other
// sites (report and token URLs stay here), and HSTS when the client came
// over HTTPS.
func (s *Server) securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if s.Client(r).HTTPS {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}
