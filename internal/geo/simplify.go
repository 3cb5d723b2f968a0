package geo

import "math"

// Simplify returns the shape with each ring simplified by Douglas–Peucker
// at tolerance tol (in degrees): points nearer than tol to the line between
// the points kept are dropped. A ring keeps at least its first, last and
// two more points (a triangle), and a polygon whose outer ring shrinks below
// that is kept as it was rather than lost; holes that would vanish are
// dropped. A shared border simplifies the same way on both sides only when
// both sides list it from the same end: Douglas–Peucker does not know
// topology, which is acceptable for a choropleth at national scale.
func Simplify(s Shape, tol float64) Shape {
	if tol <= 0 {
		return s
	}
	out := make(Shape, 0, len(s))
	for _, p := range s {
		var np [][][2]float64
		for i, ring := range p {
			r := simplifyRing(ring, tol)
			if len(r) < 4 {
				if i == 0 {
					r = ring // never lose an area to simplification
				} else {
					continue // a hole smaller than the tolerance
				}
			}
			np = append(np, r)
		}
		out = append(out, np)
	}
	return out
}

func simplifyRing(ring [][2]float64, tol float64) [][2]float64 {
	n := len(ring)
	if n <= 4 {
		return ring
	}
	// A closed ring's first and last points coincide, so the baseline of
	// the first split would be a point: split at the point farthest from
	// the first instead, and simplify the two halves.
	far, best := 0, -1.0
	for i := 1; i < n-1; i++ {
		if d := dist2(ring[0], ring[i]); d > best {
			far, best = i, d
		}
	}
	keep := make([]bool, n)
	keep[0], keep[far], keep[n-1] = true, true, true
	dp(ring, 0, far, tol*tol, keep)
	dp(ring, far, n-1, tol*tol, keep)
	var out [][2]float64
	for i, k := range keep {
		if k {
			out = append(out, ring[i])
		}
	}
	return out
}

// dp marks the points to keep between a and b, with an explicit stack so
// that a ring of a million points cannot overflow the goroutine's stack.
func dp(pts [][2]float64, a, b int, tol2 float64, keep []bool) {
	type span struct{ a, b int }
	stack := []span{{a, b}}
	for len(stack) > 0 {
		sp := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if sp.b-sp.a < 2 {
			continue
		}
		idx, best := -1, tol2
		for i := sp.a + 1; i < sp.b; i++ {
			if d := segDist2(pts[i], pts[sp.a], pts[sp.b]); d > best {
				idx, best = i, d
			}
		}
		if idx < 0 {
			continue
		}
		keep[idx] = true
		stack = append(stack, span{sp.a, idx}, span{idx, sp.b})
	}
}

func dist2(p, q [2]float64) float64 {
	dx, dy := p[0]-q[0], p[1]-q[1]
	return dx*dx + dy*dy
}

// segDist2 is the squared distance from p to the segment ab.
func segDist2(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return dist2(p, a)
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
	t = math.Max(0, math.Min(1, t))
	return dist2(p, [2]float64{a[0] + t*dx, a[1] + t*dy})
}

// Round rounds every coordinate to places decimals (4 is about 11 m), so
// that the GeoJSON the portal sends is no longer than it needs to be;
// points that rounding makes repeat are dropped, unless the ring would then
// be too short to close.
func Round(s Shape, places int) Shape {
	f := math.Pow(10, float64(places))
	rnd := func(pt [2]float64) [2]float64 { return [2]float64{math.Round(pt[0]*f) / f, math.Round(pt[1]*f) / f} }
	out := make(Shape, len(s))
	for i, p := range s {
		out[i] = make([][][2]float64, len(p))
		for j, ring := range p {
			r := make([][2]float64, 0, len(ring))
			for k, pt := range ring {
				q := rnd(pt)
				if k > 0 && k < len(ring)-1 && q == r[len(r)-1] {
					continue
				}
				r = append(r, q)
			}
			if len(r) < 4 {
				r = r[:0]
				for _, pt := range ring {
					r = append(r, rnd(pt))
				}
			}
			out[i][j] = r
		}
	}
	return out
}
