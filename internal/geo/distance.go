package geo

import (
	"math"
	"strconv"
	"strings"
)

// earthRadius is the mean radius of the Earth in metres (IUGG), the one
// ODK's distance() and most GIS tools use for great-circle distances.
const earthRadius = 6371008.8

// Distance returns the great-circle distance in metres between two
// points given in degrees (haversine: exact enough for the question "was
// this report sent from near its station", where a GPS fix is off by
// metres and the sphere by at most 0.5 %).
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(a)))
}

// ParseGeopoint reads an ODK geopoint answer, "LAT LON [ALT [ACCURACY]]"
// in degrees and metres; ok is false for anything else (out-of-range
// coordinates too).
func ParseGeopoint(s string) (lat, lon float64, ok bool) {
	parts := strings.Fields(s)
	if len(parts) < 2 || len(parts) > 4 {
		return 0, 0, false
	}
	var x [2]float64
	for i, p := range parts[:2] {
		n, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return 0, 0, false
		}
		x[i] = n
	}
	if x[0] < -90 || x[0] > 90 || x[1] < -180 || x[1] > 180 {
		return 0, 0, false
	}
	return x[0], x[1], true
}
