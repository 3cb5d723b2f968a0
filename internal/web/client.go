package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Behind a reverse proxy every request comes from the proxy's address and
// over plain HTTP, so the client's address (for throttles and logs) and
// whether it used HTTPS (for the cookie's Secure flag and absolute URLs)
// are in X-Forwarded-For and X-Forwarded-Proto. Anyone can send those
// headers, so they are read only when the peer is a trusted proxy
// (Options.TrustedProxies, `vigil serve --trusted-proxy`), and
// X-Forwarded-For only from the right: each trusted proxy appends the
// address it saw, so the first address from the right that is not a
// trusted proxy is the client, and whatever lies left of it is the
// client's own (possibly forged) claim.

// Client is what a request says about who sent it.
type Client struct {
	Addr  netip.Addr // the client's address (the peer's when no trusted proxy is involved)
	HTTPS bool       // the client used HTTPS: TLS here, or a trusted proxy's X-Forwarded-Proto
}

// Client returns the request's client: its address and whether it came
// over HTTPS, reading forwarding headers only from trusted proxies. Every
// use of the client's address or scheme (throttles, cookies, absolute
// URLs, request logs) goes through it.
func (s *Server) Client(r *http.Request) Client {
	return clientOf(r, s.trusted)
}

// ClientAddr is Client(r).Addr, for request logging.
func (s *Server) ClientAddr(r *http.Request) netip.Addr { return s.Client(r).Addr }

func clientOf(r *http.Request, trusted []netip.Prefix) Client {
	peer := peerAddr(r.RemoteAddr)
	c := Client{Addr: peer, HTTPS: r.TLS != nil}
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return c
	}
	if proto := lastValue(r.Header.Values("X-Forwarded-Proto")); proto != "" {
		// The proxy next to us says how the request reached it; a
		// proxy should set this header, not append to the client's.
		c.HTTPS = c.HTTPS || strings.EqualFold(proto, "https")
	}
	hops := splitValues(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // garbage: keep the last address a trusted proxy vouched for
		}
		c.Addr = a.Unmap()
		if !isTrusted(c.Addr, trusted) {
			break
		}
	}
	return c
}

func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// splitValues splits comma-separated header values, in order, trimmed.
func splitValues(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func lastValue(vs []string) string {
	parts := splitValues(vs)
	if len(parts) == 0 {
		return ""
	}
	return parts[len(parts)-1]
}

// ParseTrustedProxy reads a trusted proxy's network: a CIDR such as
// 10.0.0.0/8 or fd00::/8, or one address (a network of one).
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q: want a CIDR such as 10.0.0.0/8 or an address: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q: want a CIDR such as 10.0.0.0/8 or an address: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
