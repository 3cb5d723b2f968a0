package geo

import (
	"math"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tol              float64 // metres
	}{
		{"same point", 51.1694, 71.4491, 51.1694, 71.4491, 0, 1e-9},
		// One degree of latitude on the mean sphere: 2πR/360.
		{"one degree north", 0, 0, 1, 0, 2 * math.Pi * earthRadius / 360, 1e-6},
		// One degree of longitude at 60° is half that at the equator.
		{"one degree east at 60N", 60, 10, 60, 11, 2 * math.Pi * earthRadius / 360 * 0.5, 100},
		// Astana to Almaty: about 970 km by the great circle.
		{"Astana–Almaty", 51.1694, 71.4491, 43.2220, 76.8512, 971_000, 5_000},
		{"antipodes", 0, 0, 0, 180, math.Pi * earthRadius, 1e-6},
		{"across the date line", 0, 179.999, 0, -179.999, 2 * math.Pi * earthRadius / 360 * 0.002, 1e-3},
	} {
		got := Distance(c.lat1, c.lon1, c.lat2, c.lon2)
		if math.Abs(got-c.want) > c.tol {
			t.Errorf("%s: %.3f m, want %.3f ± %g", c.name, got, c.want, c.tol)
		}
		if back := Distance(c.lat2, c.lon2, c.lat1, c.lon1); math.Abs(back-got) > 1e-6 {
			t.Errorf("%s: not symmetric: %f and %f", c.name, got, back)
		}
	}
}

func TestParseGeopoint(t *testing.T) {
	for _, c := range []struct {
		in       string
		lat, lon float64
		ok       bool
	}{
		{"51.1694 71.4491", 51.1694, 71.4491, true},
		{"-33.9 18.4 12 5", -33.9, 18.4, true},
		{" 1 2 ", 1, 2, true},
		{"91 0", 0, 0, false},
		{"0 181", 0, 0, false},
		{"51.1", 0, 0, false},
		{"a b", 0, 0, false},
		{"NaN 1", 0, 0, false},
		{"1 2 3 4 5", 0, 0, false},
	} {
		lat, lon, ok := ParseGeopoint(c.in)
		if ok != c.ok || lat != c.lat || lon != c.lon {
			t.Errorf("%q: %v %v %v, want %v %v %v", c.in, lat, lon, ok, c.lat, c.lon, c.ok)
		}
	}
}
