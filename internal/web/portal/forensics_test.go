package portal

import "testing"

func TestSpikeDetection(t *testing.T) {
	bins := make([]float64, 500)
	for i := range bins {
		bins[i] = 20
	}
	bins[400] = 80 // 80 % exactly
	bins[401] = 80 // not a whole percentage
	if !isSpike(bins, 400) || isSpike(bins, 401) || isSpike(bins, 300) {
		t.Fatal("spikes: want only the whole-percentage bin that stands out")
	}
}
