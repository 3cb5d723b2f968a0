package demo

import (
	"reflect"
	"testing"
)

func demoRegions(el *Election) []GeoRegion {
	var out []GeoRegion
	seen := map[string]int{}
	dseen := map[string]bool{}
	for _, st := range el.Stations {
		i, ok := seen[st.Region]
		if !ok {
			i = len(out)
			seen[st.Region] = i
			out = append(out, GeoRegion{Name: st.Region})
		}
		if k := st.Region + "/" + st.District; !dseen[k] {
			dseen[k] = true
			out[i].Districts = append(out[i].Districts, st.District)
		}
	}
	return out
}

func TestGeographyCoversEveryDistrict(t *testing.T) {
	el := Generate(2022, DefaultParams)
	regions := demoRegions(el)
	g := Geography(regions)
	for _, r := range regions {
		if r.Name == "Stations abroad" {
			if _, ok := g.Shapes[r.Name]; ok {
				t.Errorf("the stations abroad got a shape")
			}
			continue
		}
		if len(g.Shapes[r.Name]) == 0 {
			t.Errorf("region %s has no shape", r.Name)
		}
		for _, d := range r.Districts {
			sh := g.Shapes[r.Name+"/"+d]
			if len(sh) == 0 {
				t.Errorf("district %s/%s has no shape", r.Name, d)
				continue
			}
			for _, poly := range sh {
				for _, ring := range poly {
					if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
						t.Fatalf("%s/%s: ring not closed or too short: %v", r.Name, d, ring)
					}
					for _, p := range ring {
						if p[0] < 46 || p[0] > 88 || p[1] < 40 || p[1] > 56 {
							t.Fatalf("%s/%s: point %v outside Kazakhstan's box", r.Name, d, p)
						}
					}
				}
			}
		}
	}
	if again := Geography(regions); !reflect.DeepEqual(g, again) {
		t.Fatal("the geography is not deterministic")
	}
}

func TestTraceSquareWithHole(t *testing.T) {
	var cs []cell
	for x := range 3 {
		for y := range 3 {
			if x != 1 || y != 1 {
				cs = append(cs, cell{x, y})
			}
		}
	}
	sh := trace(cs)
	if len(sh) != 1 || len(sh[0]) != 2 {
		t.Fatalf("want one polygon with one hole, got %d polygons: %v", len(sh), sh)
	}
	if len(sh[0][0]) != 5 || len(sh[0][1]) != 5 {
		t.Fatalf("want two closed 4-point rings, got %v", sh[0])
	}
}
