package pvt

import "math"

// moments are the count, the means and the centred cross-products of the
// columns of a set of reports (Welford's update, and Chan, Golub and
// LeVeque's merge of two sets). From them the sample variance of any
// residual e = y − p·x follows in a few operations, where it took two
// passes over the reports for every ratio: Converge keeps them per stratum
// as the reports arrive and merges them per checkpoint, so that forty
// checkpoints over 80,000 reports cost one pass, not forty (issue 9: the
// dashboard's convergence curve took a second at 1,000,000 stations).
// Centred, the products keep their precision: no Σy² − (Σy)²/n.
type moments struct {
	n    float64
	mean []float64 // per column
	c    []float64 // cols × cols, Σ (v_a − mean_a)(v_b − mean_b); upper triangle
}

func newMoments(cols int) moments {
	return moments{mean: make([]float64, cols), c: make([]float64, cols*cols)}
}

// add takes in one report's row; d is scratch of the row's length.
func (m *moments) add(row, d []float64) {
	m.n++
	cols := len(row)
	for a, v := range row {
		d[a] = v - m.mean[a]
		m.mean[a] += d[a] / m.n
	}
	// C_ab += d_a (v_b − mean_b after the update).
	for a := range cols {
		if d[a] == 0 {
			continue
		}
		ca := m.c[a*cols : (a+1)*cols]
		for b := a; b < cols; b++ {
			ca[b] += d[a] * (row[b] - m.mean[b])
		}
	}
}

// merge adds the reports of o to m.
func (m *moments) merge(o *moments) {
	if o.n == 0 {
		return
	}
	if m.n == 0 {
		m.n = o.n
		copy(m.mean, o.mean)
		copy(m.c, o.c)
		return
	}
	n := m.n + o.n
	f := m.n * o.n / n
	cols := len(m.mean)
	for a := range cols {
		da := o.mean[a] - m.mean[a]
		ca, oa := m.c[a*cols:(a+1)*cols], o.c[a*cols:(a+1)*cols]
		for b := a; b < cols; b++ {
			ca[b] += oa[b] + f*da*(o.mean[b]-m.mean[b])
		}
	}
	for a := range cols {
		m.mean[a] += (o.mean[a] - m.mean[a]) * o.n / n
	}
	m.n = n
}

// residVar is the sample variance (divisor n − 1) of y − p·x for ratio r:
// the quadratic form of its coefficients (1 on num, −1 on sub, −p on den)
// over the centred products. Rounding can leave a tiny negative for a
// residual that is exactly zero everywhere: that is zero.
func (m *moments) residVar(r ratio, p float64) float64 {
	var idx [3]int
	var coef [3]float64
	k := 0
	put := func(col int, w float64) {
		for i := range k {
			if idx[i] == col {
				coef[i] += w
				return
			}
		}
		idx[k], coef[k] = col, w
		k++
	}
	put(r.num, 1)
	if r.sub >= 0 {
		put(r.sub, -1)
	}
	put(r.den, -p)
	cols := len(m.mean)
	var q, scale float64
	for i := range k {
		for j := range k {
			a, b := idx[i], idx[j]
			if a > b {
				a, b = b, a
			}
			t := coef[i] * coef[j] * m.c[a*cols+b]
			q += t
			scale += math.Abs(t)
		}
	}
	// The terms cancel to within rounding when the residual is the same at
	// every station (y = p·x exactly, or every station alike): below
	// 10⁻¹² of the terms' size it is taken as no variance. (Two passes
	// left ~10⁻¹⁵ there, a standard error of rounding noise that could
	// withhold a verdict for want of degrees of freedom; a real residual
	// variance this small, stations of near-identical shares and very
	// different sizes, is also taken as 0.)
	if q <= 1e-12*scale {
		return 0
	}
	return q / (m.n - 1)
}
