// Package pvt is the parallel vote tabulation (quick count): the sample size,
// the stratified sample design and its reproducible draw, the stratified
// ratio estimator with its linearised variance and a stratified bootstrap,
// the convergence of the estimates as reports arrive, and the verdict on an
// official result.
//
// The methods are those of Estok, Nevitte & Cowan, "The Quick Count and
// Election Observation" (NDI, 2002) and of INE Mexico's quick-count committee
// (COTECORA), restated in the project's METHODS.md (section "Parallel vote
// tabulation"). Everything here is a pure function over plain slices: no
// database, no network, no files (ReadTable takes an io.Reader), so that a
// command-line front end and a stored-deployment front end are thin adapters.
//
// # Estimator
//
// For strata h with N_h stations in the frame and n_h reports, the share of
// option k is the combined ratio estimator
//
//	p̂_k = Σ_h (N_h/n_h) Σ_{i∈h} y_ik / Σ_h (N_h/n_h) Σ_{i∈h} x_i
//
// where x_i is Report.Total (the caller decides: the sum of the listed
// options' votes, or every vote counted including null votes). Turnout is the
// same estimator with y_i = Report.Total and x_i = Report.Registered.
//
// The lead of the first option over the second (by estimate, among the
// options that can win: Config.CannotWin, such as "against all", is left
// out) is the same estimator with y_i = y_i,first − y_i,second, in
// percentage points.
//
// Linearised variance: V̂(p̂_k) = X̂⁻² Σ_h N_h² (1 − n_h/N_h) s²_{e,h} / n_h,
// with e_i = y_ik − p̂_k x_i, s²_{e,h} the sample variance (divisor n_h − 1)
// of e in stratum h and X̂ = Σ_h (N_h/n_h) Σ_{i∈h} x_i. Normal intervals
// p̂ ± z·SE with z = 1.959964 (95 %) and 2.575829 (99 %). s²_{e,h} is
// computed from the stratum's centred cross-products of the columns
// (Welford's update; strata merged by Chan et al.'s rule) as the quadratic
// form of e's coefficients, not by a pass over the reports per option: the
// same value to ~10⁻¹² (TestMomentsResidualVariance), and a residual that
// is identical at every station gives exactly 0.
//
// # Collapsing strata
//
// A stratum with fewer than Config.MinReports reports (default 2: one report
// cannot estimate a within-stratum variance, none cannot estimate anything)
// is collapsed with its neighbour, and the estimate and both variances are
// then computed on the collapsed design (N and n summed). The neighbour rule,
// exactly:
//
//  1. Order the strata by (Group, Key). Keys and groups compare part by part
//     (composite keys such as "12/U/2" are split at "/", see JoinKey), each
//     part as an integer when both parse as integers and as a string otherwise
//     (integers first; a key that is a prefix of another first).
//  2. Walk that order keeping a pending set. Add each stratum to it; when the
//     pending set holds at least MinReports reports it becomes one collapsed
//     stratum and the set is emptied. So a short stratum joins the next
//     strata in order, within the same group.
//  3. At the end of a group, a pending remainder joins the group's last
//     collapsed stratum (the preceding neighbour). If the group formed none
//     (the whole group has fewer than MinReports reports), the remainder
//     carries over into the next group; after the last group it joins the
//     last collapsed stratum overall.
//
// With MinReports = 1 a stratum with one report is kept and contributes no
// variance (neither linearised nor bootstrap): this understates the variance
// and is offered only for comparison.
//
// # Bootstrap
//
// The stratified bootstrap is the rescaling bootstrap of Rao & Wu (JASA 1988)
// and Rao, Wu & Yue (Survey Methodology 1992) with m_h = n_h − 1 draws with
// replacement in each (collapsed) stratum and the finite-population
// correction: replicate weight w*_i = (N_h/n_h)·(1 − λ_h + λ_h·(n_h/m_h)·r_i),
// λ_h = √(1 − n_h/N_h), r_i the number of times station i was drawn. For a
// total its bootstrap variance equals the linearised one exactly, which the
// naive bootstrap (n_h draws, no rescaling) does not: that one is too small by
// (n_h − 1)/n_h and ignores the finite-population correction. Intervals are
// percentile intervals (quantiles 2.5/97.5 and 0.5/99.5, interpolated as
// R's type 7). Replicate b draws from a PCG generator (math/rand/v2) seeded
// with splitmix64(seed) and splitmix64(seed ⊕ (b+1)·φ), so the result does not
// depend on the number of workers; the strata are visited in collapsed order
// and stations by their index within the stratum, in input order.
//
// # Sample draw
//
// See Draw: each station's key is the first 8 bytes of SHA-256(seed "|" id),
// and each stratum takes its n_h stations of smallest key. Anyone can redraw
// the sample with sha256sum and a spreadsheet.
package pvt
