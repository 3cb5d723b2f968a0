package web

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientOf(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name, remote, xff, proto string
		tls                      bool
		want                     string
		https                    bool
	}{
		{name: "direct", remote: "198.51.100.1:5000", want: "198.51.100.1"},
		{name: "direct TLS", remote: "198.51.100.1:5000", tls: true, want: "198.51.100.1", https: true},
		{name: "untrusted peer forges headers", remote: "198.51.100.1:5000", xff: "1.2.3.4", proto: "https", want: "198.51.100.1"},
		{name: "trusted proxy", remote: "10.0.0.2:80", xff: "203.0.113.9", proto: "https", want: "203.0.113.9", https: true},
		{name: "trusted proxy, plain http", remote: "10.0.0.2:80", xff: "203.0.113.9", proto: "http", want: "203.0.113.9"},
		{name: "client forges the left", remote: "10.0.0.2:80", xff: "1.1.1.1, 203.0.113.9", want: "203.0.113.9"},
		{name: "two trusted hops", remote: "10.0.0.2:80", xff: "1.1.1.1, 203.0.113.9, 10.0.0.5", want: "203.0.113.9"},
		{name: "garbage stops the walk", remote: "10.0.0.2:80", xff: "1.1.1.1, junk, 10.0.0.5", want: "10.0.0.5"},
		{name: "all trusted", remote: "10.0.0.2:80", xff: "10.0.0.7", want: "10.0.0.7"},
		{name: "no header from proxy", remote: "10.0.0.2:80", want: "10.0.0.2"},
		{name: "IPv6 proxy", remote: "[fd00::1]:80", xff: "2001:db8::5", proto: "https", want: "2001:db8::5", https: true},
		{name: "mapped IPv4 peer", remote: "[::ffff:10.0.0.2]:80", xff: "203.0.113.9", want: "203.0.113.9"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		r.TLS = nil
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		got := clientOf(r, trusted)
		if got.Addr.String() != c.want || got.HTTPS != c.https {
			t.Errorf("%s: %v https=%v, want %s https=%v", c.name, got.Addr, got.HTTPS, c.want, c.https)
		}
	}
}

func TestParseTrustedProxy(t *testing.T) {
	for in, want := range map[string]string{"10.1.2.3/8": "10.0.0.0/8", "127.0.0.1": "127.0.0.1/32", "::1": "::1/128", " fd00::/8 ": "fd00::/8"} {
		p, err := ParseTrustedProxy(in)
		if err != nil || p.String() != want {
			t.Errorf("%q: %v %v, want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "example.com", "10.0.0.0/33"} {
		if _, err := ParseTrustedProxy(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
