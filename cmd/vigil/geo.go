package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/vigil-elections/vigil/internal/geo"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "geo import", summary: "load an election's map: area boundaries (GeoJSON) and station coordinates (CSV), with a report of what did not match", run: runGeoImport})
}

// geoReport is what geo import prints.
type geoReport struct {
	Boundaries *geo.Report      `json:"boundaries,omitempty"`
	Stations   *geo.PointReport `json:"stations,omitempty"`
}

func runGeoImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "geo import", "--election NAME [--boundaries FILE.geojson --key-property NAME [--level N] [--tolerance DEG]] [--stations FILE.csv [--station-column NAME]] [--dry-run] [--json] [--db D]")
	db := dbFlag(fs)
	elName := fs.String("election", "", "election `NAME`")
	bounds := fs.String("boundaries", "", "GeoJSON `FILE` of the areas' boundaries (Polygon or MultiPolygon features)")
	keyProp := fs.String("key-property", "", "the feature property that names or codes each area (e.g. NAME_1, shapeName, code)")
	level := fs.Int("level", 0, "the area level the boundaries are of (1 = regions); 0: the level most features match")
	tol := fs.Float64("tolerance", 0.01, "Douglas–Peucker tolerance in degrees for the web (0.01° ≈ 1 km; 0 keeps every point)")
	stations := fs.String("stations", "", "CSV `FILE` of station coordinates: a key column, lat, lon")
	stCol := fs.String("station-column", "", "the CSV column naming or coding each station (default: station, code, id or name)")
	dry := fs.Bool("dry-run", false, "match and report, store nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *elName == "":
		return usagef("geo import: --election is required")
	case *bounds == "" && *stations == "":
		return usagef("geo import: give --boundaries, --stations or both")
	case *bounds != "" && *keyProp == "":
		return usagef("geo import: --boundaries needs --key-property, the property that names each area")
	case *tol < 0:
		return usagef("geo import: --tolerance must not be negative")
	}
	d, err := store.OpenExisting(ctx, *db) // the election must exist: never leave an empty file
	if err != nil {
		return err
	}
	defer d.Close()
	el, err := d.ElectionByName(ctx, *elName)
	if err != nil {
		return err
	}
	areas, err := d.Areas(ctx, el.ID)
	if err != nil {
		return err
	}
	var rep geoReport
	// Read and match everything before storing anything: a bad stations
	// file must not leave new boundaries half-loaded beside old points.
	if *bounds != "" {
		f, err := os.Open(*bounds)
		if err != nil {
			return err
		}
		feats, err := geo.ReadGeoJSON(f, *keyProp)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *bounds, err)
		}
		r, err := geo.MatchFeatures(feats, areas, *level)
		if err != nil {
			return fmt.Errorf("%s: %w", *bounds, err)
		}
		if r.Matched == 0 {
			return fmt.Errorf("%s: no feature's %q names an area of level %d (first features: %s)", *bounds, *keyProp, r.Level, firstN(r.Unmatched, 5))
		}
		r.SimplifyAll(*tol)
		rep.Boundaries = r
	}
	if *stations != "" {
		f, err := os.Open(*stations)
		if err != nil {
			return err
		}
		r, err := geo.ReadPoints(f, areas, *stCol)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *stations, err)
		}
		if r.Matched == 0 && r.Rows > 0 {
			return fmt.Errorf("%s: no row names a station of %s (first rows: %s)", *stations, el.Name, firstN(r.Unmatched, 5))
		}
		rep.Stations = r
	}
	if !*dry {
		if r := rep.Boundaries; r != nil {
			var shapes []store.AreaShape
			for _, m := range r.Matches() {
				b, err := json.Marshal(m.Shape)
				if err != nil {
					return err
				}
				shapes = append(shapes, store.AreaShape{AreaID: m.AreaID, Level: r.Level, Shape: b, Source: baseName(*bounds)})
			}
			if err := d.ReplaceShapes(ctx, el.ID, r.Level, shapes); err != nil {
				return err
			}
		}
		if r := rep.Stations; r != nil {
			var pts []store.StationPoint
			for _, p := range r.Points() {
				pts = append(pts, store.StationPoint{AreaID: p.AreaID, Lat: p.Lat, Lon: p.Lon})
			}
			if err := d.ReplaceStationPoints(ctx, el.ID, pts); err != nil {
				return err
			}
		}
	}
	if *asJSON {
		return printJSON(e.stdout, rep)
	}
	w := e.stdout
	verb := "stored"
	if *dry {
		verb = "matched (dry run: nothing stored)"
	}
	if r := rep.Boundaries; r != nil {
		fmt.Fprintf(w, "boundaries: %d areas of level %d %s; %d points simplified to %d (tolerance %g°)\n", r.Matched, r.Level, verb, r.Points, r.Kept, *tol)
		printList(w, "features that name no area", r.Unmatched)
		printList(w, "features that name several areas", r.Ambiguous)
		printList(w, "second features for an area (ignored)", r.Duplicates)
		printList(w, "areas without a boundary", r.Without)
	}
	if r := rep.Stations; r != nil {
		fmt.Fprintf(w, "stations: %d of %d rows %s; %d stations have no coordinates\n", r.Matched, r.Rows, verb, r.Without)
		printList(w, "rows that name no station", r.Unmatched)
		printList(w, "rows that name several stations", r.Ambiguous)
	}
	return nil
}

func printList(w interface{ Write([]byte) (int, error) }, what string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "  %d %s:\n", len(items), what)
	for i, s := range items {
		if i == 20 {
			fmt.Fprintf(w, "    … and %d more (--json lists them all)\n", len(items)-20)
			break
		}
		fmt.Fprintf(w, "    %s\n", s)
	}
}

func firstN(s []string, n int) string {
	if len(s) > n {
		s = append(s[:n:n], "…")
	}
	if len(s) == 0 {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == '\\' {
			return p[i+1:]
		}
	}
	return p
}
