package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
)

// The demo's synthetic geography: polygons for its regions and districts,
// so that the portal can draw a choropleth map without a tile server or a
// real boundary file. The country is a rough outline of Kazakhstan cut
// into a grid of cells; each region takes the cells nearest its seed (the
// cities a small disk around theirs), each district the cells of its region
// nearest its own seed, and every area's outline is traced from its cells.
// The shapes are invented: only the regions' rough positions are real.
// Everything is a function of the area names, so the same election always
// gets the same map.

// GeoRegion names a region and its districts, the input of Geography.
type GeoRegion struct {
	Name      string
	Districts []string
}

// Shape is an area's outline: polygons of rings of [longitude, latitude]
// points, each ring closed (last point = first), the first ring of a
// polygon its outer boundary (counter-clockwise), any further ones holes.
type Shape [][][][2]float64

// Geo is the synthetic geography of an election: shapes by area path
// ("Region" or "Region/District"). Regions without a place on the map (the
// stations abroad) have no shape.
type Geo struct {
	Shapes map[string]Shape
}

// outline is a rough outline of Kazakhstan, longitude/latitude, clockwise
// from the north-west.
var outline = [][2]float64{
	{50.8, 51.6}, {55.5, 50.6}, {61.0, 50.8}, {61.6, 52.0}, {60.0, 52.6}, {61.0, 53.8}, {65.0, 54.6},
	{69.0, 55.4}, {73.5, 54.0}, {76.5, 54.2}, {77.8, 53.3}, {80.0, 50.8}, {83.5, 51.0}, {87.3, 49.2},
	{85.5, 47.0}, {83.0, 47.2}, {82.3, 45.5}, {80.0, 45.0}, {80.2, 42.2}, {77.0, 42.9}, {74.0, 43.0},
	{70.9, 42.2}, {68.5, 40.7}, {66.5, 41.5}, {66.0, 43.0}, {62.0, 43.5}, {58.5, 45.5}, {56.0, 45.0},
	{55.5, 41.3}, {53.0, 42.0}, {52.5, 41.8}, {51.3, 43.2}, {50.5, 44.5}, {51.0, 45.3}, {53.0, 45.3},
	{53.2, 46.7}, {51.2, 47.0}, {49.2, 46.4}, {48.5, 47.5}, {46.5, 48.4}, {47.5, 50.4}, {48.8, 50.8},
}

// seats are rough positions of the demo's regions; a city region is a disk
// around its seat.
var seats = map[string]struct {
	lon, lat float64
	city     bool
}{
	"Astana": {71.45, 51.17, true}, "Almaty": {76.93, 43.25, true}, "Shymkent": {69.6, 42.32, true},
	"Abai Region": {80.3, 48.6, false}, "Akmola Region": {69.8, 52.6, false}, "Aktobe Region": {58.5, 48.5, false},
	"Almaty Region": {77.3, 44.4, false}, "Atyrau Region": {52.5, 47.0, false}, "East Kazakhstan Region": {84.0, 49.5, false},
	"Jambyl Region": {72.0, 44.2, false}, "Jetisu Region": {79.8, 45.4, false}, "Karaganda Region": {74.0, 48.5, false},
	"Kostanay Region": {63.5, 51.5, false}, "Kyzylorda Region": {64.0, 45.0, false}, "Mangystau Region": {53.5, 43.8, false},
	"North Kazakhstan Region": {69.5, 54.3, false}, "Pavlodar Region": {76.5, 52.3, false}, "Turkistan Region": {68.0, 43.0, false},
	"Ulytau Region": {67.5, 47.8, false}, "West Kazakhstan Region": {51.0, 50.0, false},
}

// The grid: cells of 0.2° of longitude by 0.14° of latitude (about 15 km
// square at these latitudes).
const (
	geoLon0, geoLat0 = 46.4, 40.6
	geoDX, geoDY     = 0.2, 0.14
	geoCols, geoRows = 206, 106
	cityRadius       = 0.55 // degrees of latitude
	kmPerLon         = 0.67 // cos(48°): a degree of longitude in degrees of latitude
)

type cell struct{ x, y int }

func (c cell) centre() (float64, float64) {
	return geoLon0 + (float64(c.x)+0.5)*geoDX, geoLat0 + (float64(c.y)+0.5)*geoDY
}

func dist2(lon1, lat1, lon2, lat2 float64) float64 {
	dx := (lon1 - lon2) * kmPerLon
	dy := lat1 - lat2
	return dx*dx + dy*dy
}

func inOutline(lon, lat float64) bool {
	in := false
	n := len(outline)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi := outline[i][0], outline[i][1]
		xj, yj := outline[j][0], outline[j][1]
		if (yi > lat) != (yj > lat) && lon < (xj-xi)*(lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

func nameSeed(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Geography draws the synthetic map of the given regions.
func Geography(regions []GeoRegion) *Geo {
	var cells []cell
	for y := range geoRows {
		for x := range geoCols {
			c := cell{x, y}
			if inOutline(c.centre()) {
				cells = append(cells, c)
			}
		}
	}
	// Region seeds: known seats, else a point drawn from the name.
	type seed struct {
		lon, lat float64
		city     bool
	}
	var names []string
	seedOf := map[string]seed{}
	for _, r := range regions {
		if r.Name == "Stations abroad" {
			continue
		}
		names = append(names, r.Name)
		if s, ok := seats[r.Name]; ok {
			seedOf[r.Name] = seed{s.lon, s.lat, s.city}
			continue
		}
		rng := rand.New(rand.NewPCG(nameSeed(r.Name), 1))
		lon, lat := cells[rng.IntN(len(cells))].centre()
		seedOf[r.Name] = seed{lon, lat, false}
	}
	byRegion := map[string][]cell{}
	for _, c := range cells {
		lon, lat := c.centre()
		best, bd := "", math.Inf(1)
		for _, n := range names {
			s := seedOf[n]
			d := dist2(lon, lat, s.lon, s.lat)
			if s.city {
				if d <= cityRadius*cityRadius {
					best, bd = n, -1 // a city takes its disk whatever else is near
					break
				}
				continue
			}
			if d < bd {
				best, bd = n, d
			}
		}
		if best != "" {
			byRegion[best] = append(byRegion[best], c)
		}
	}
	g := &Geo{Shapes: map[string]Shape{}}
	for _, r := range regions {
		rc := byRegion[r.Name]
		if len(rc) == 0 {
			continue
		}
		g.Shapes[r.Name] = trace(rc)
		for name, dc := range splitCells(rc, r.Name, r.Districts) {
			g.Shapes[r.Name+"/"+name] = trace(dc)
		}
	}
	return g
}

// splitCells divides a region's cells among its districts: seeds drawn
// from the names, three rounds of Lloyd's relaxation, nearest seed wins.
func splitCells(rc []cell, region string, districts []string) map[string][]cell {
	out := map[string][]cell{}
	if len(districts) == 0 {
		return out
	}
	ds := append([]string(nil), districts...)
	sort.Strings(ds)
	rng := rand.New(rand.NewPCG(nameSeed(region), 2))
	k := min(len(ds), len(rc))
	perm := rng.Perm(len(rc))
	sx, sy := make([]float64, k), make([]float64, k)
	for i := range k {
		sx[i], sy[i] = rc[perm[i]].centre()
	}
	assign := make([]int, len(rc))
	for round := 0; ; round++ {
		for ci, c := range rc {
			lon, lat := c.centre()
			best, bd := 0, math.Inf(1)
			for i := range k {
				if d := dist2(lon, lat, sx[i], sy[i]); d < bd {
					best, bd = i, d
				}
			}
			assign[ci] = best
		}
		if round == 3 {
			break
		}
		ax, ay, n := make([]float64, k), make([]float64, k), make([]int, k)
		for ci, c := range rc {
			lon, lat := c.centre()
			ax[assign[ci]] += lon
			ay[assign[ci]] += lat
			n[assign[ci]]++
		}
		for i := range k {
			if n[i] > 0 {
				sx[i], sy[i] = ax[i]/float64(n[i]), ay[i]/float64(n[i])
			}
		}
	}
	for ci, c := range rc {
		out[ds[assign[ci]]] = append(out[ds[assign[ci]]], c)
	}
	return out
}

type vertex struct{ x, y int }

// trace returns the outline of a set of cells: the cell sides that no
// other cell of the set shares, chained into rings, the outer rings
// counter-clockwise and the holes clockwise, holes put in the polygon whose
// outer ring contains them.
func trace(cs []cell) Shape {
	in := make(map[cell]bool, len(cs))
	for _, c := range cs {
		in[c] = true
	}
	next := map[vertex][]vertex{}
	add := func(a, b vertex) { next[a] = append(next[a], b) }
	for _, c := range cs {
		x, y := c.x, c.y
		if !in[cell{x, y - 1}] {
			add(vertex{x, y}, vertex{x + 1, y})
		}
		if !in[cell{x + 1, y}] {
			add(vertex{x + 1, y}, vertex{x + 1, y + 1})
		}
		if !in[cell{x, y + 1}] {
			add(vertex{x + 1, y + 1}, vertex{x, y + 1})
		}
		if !in[cell{x - 1, y}] {
			add(vertex{x, y + 1}, vertex{x, y})
		}
	}
	// Deterministic order of the starting points.
	starts := make([]vertex, 0, len(next))
	for v := range next {
		starts = append(starts, v)
	}
	sort.Slice(starts, func(i, j int) bool {
		if starts[i].y != starts[j].y {
			return starts[i].y < starts[j].y
		}
		return starts[i].x < starts[j].x
	})
	var rings [][]vertex
	for _, s := range starts {
		for len(next[s]) > 0 {
			ring := []vertex{s}
			cur := s
			for {
				outs := next[cur]
				if len(outs) == 0 {
					break
				}
				nv := outs[len(outs)-1]
				next[cur] = outs[:len(outs)-1]
				cur = nv
				if cur == s {
					break
				}
				ring = append(ring, cur)
			}
			rings = append(rings, simplify(ring))
		}
	}
	var outers, holes [][]vertex
	for _, r := range rings {
		if area2(r) > 0 {
			outers = append(outers, r)
		} else {
			holes = append(holes, r)
		}
	}
	polys := make([][][]vertex, len(outers))
	for i, o := range outers {
		polys[i] = [][]vertex{o}
	}
	for _, h := range holes {
		for i, o := range outers {
			if contains(o, h[0]) {
				polys[i] = append(polys[i], h)
				break
			}
		}
	}
	shape := make(Shape, len(polys))
	for i, p := range polys {
		for _, r := range p {
			pts := make([][2]float64, 0, len(r)+1)
			for _, v := range r {
				pts = append(pts, [2]float64{round4(geoLon0 + float64(v.x)*geoDX), round4(geoLat0 + float64(v.y)*geoDY)})
			}
			pts = append(pts, pts[0])
			shape[i] = append(shape[i], pts)
		}
	}
	return shape
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// simplify drops the vertices where a ring goes on straight.
func simplify(r []vertex) []vertex {
	n := len(r)
	out := make([]vertex, 0, n)
	for i, v := range r {
		p, q := r[(i+n-1)%n], r[(i+1)%n]
		if (p.x == v.x && v.x == q.x) || (p.y == v.y && v.y == q.y) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// area2 is twice the signed area of a ring (positive counter-clockwise).
func area2(r []vertex) int {
	s := 0
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i].x*r[j].y - r[j].x*r[i].y
	}
	return s
}

// contains reports whether point v (a grid vertex, nudged into the cell
// above and to its right) lies inside ring o.
func contains(o []vertex, v vertex) bool {
	px, py := float64(v.x)+0.5, float64(v.y)+0.5
	in := false
	for i, j := 0, len(o)-1; i < len(o); j, i = i, i+1 {
		xi, yi := float64(o[i].x), float64(o[i].y)
		xj, yj := float64(o[j].x), float64(o[j].y)
		if (yi > py) != (yj > py) && px < (xj-xi)*(py-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}
