// Package metrics holds vigil's Prometheus metrics: what an operator
// watches on election night (requests, submissions, the intake queue, the
// database pool, live dashboards). The names follow Prometheus's
// conventions (https://prometheus.io/docs/practices/naming/): the
// application prefix vigil_, base units (seconds, bytes), _total on
// counters, and labels only of bounded sets (route patterns, not paths;
// channels and outcomes, never users).
//
// The metrics are process-wide, like the default registry, but live in
// this package's own Registry so that /metrics shows vigil's and the Go
// runtime's metrics and nothing a library might register by itself.
package metrics

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is the registry /metrics serves.
var Registry = prometheus.NewRegistry()

var (
	// HTTPRequests counts the requests answered, by route pattern
	// (GET /elections/{election}), and status code.
	HTTPRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_http_requests_total",
		Help: "HTTP requests answered, by route pattern and status code.",
	}, []string{"route", "code"})

	// HTTPDuration is the time to answer, by route pattern.
	HTTPDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vigil_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})

	// HTTPResponseBytes is the size of response bodies, by route pattern.
	HTTPResponseBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_http_response_bytes_total",
		Help: "Bytes of response bodies written, by route pattern.",
	}, []string{"route"})

	// Submissions counts observers' reports by channel (api, openrosa,
	// sms, web) and outcome (created, duplicate, rejected, error).
	Submissions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_submissions_total",
		Help: "Observation reports received, by channel and outcome (created, duplicate, rejected, error).",
	}, []string{"channel", "outcome"})

	// IntakeQueueDepth is the number of reports waiting for the group
	// commit when the last batch was taken.
	IntakeQueueDepth = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vigil_intake_queue_depth",
		Help: "Reports waiting in the intake queue for the next group commit.",
	})

	// IntakeBatchSize is the number of reports committed per transaction.
	IntakeBatchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "vigil_intake_batch_size",
		Help:    "Reports committed together in one group-commit transaction.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
	})

	// IntakeCommitDuration is the time of one group-commit transaction.
	IntakeCommitDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "vigil_intake_commit_duration_seconds",
		Help:    "Time of one group-commit transaction (write and fsync).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})

	// ImportRows counts result rows imported by this process; its rate is
	// the import speed in rows per second.
	ImportRows = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "vigil_import_rows_total",
		Help: "Result rows imported by this process (rate() gives rows per second).",
	})

	// ImportDuration is the time of whole imports.
	ImportDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "vigil_import_duration_seconds",
		Help:    "Time of one import, from the first row to the commit.",
		Buckets: prometheus.ExponentialBuckets(0.01, 4, 9),
	})

	// CacheRequests counts lookups of vigil's caches by result (hit, stale,
	// miss): the portal's pages and the API tokens.
	CacheRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_cache_requests_total",
		Help: "Cache lookups by cache (portal_page, token) and result (hit, stale, miss).",
	}, []string{"cache", "result"})

	// LiveStreams is the number of open server-sent-event streams (live
	// dashboards).
	LiveStreams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vigil_live_streams",
		Help: "Server-sent-event streams (live dashboards) open now.",
	})

	// ShuttingDown is 1 while the server drains before it stops.
	ShuttingDown = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vigil_shutting_down",
		Help: "1 while the server is shutting down, else 0.",
	})

	buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vigil_build_info",
		Help: "Always 1; the labels say which vigil is running.",
	}, []string{"version", "revision", "build_date", "goversion"})
)

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		HTTPRequests, HTTPDuration, HTTPResponseBytes, Submissions,
		IntakeQueueDepth, IntakeBatchSize, IntakeCommitDuration,
		ImportRows, ImportDuration, CacheRequests, LiveStreams, ShuttingDown, buildInfo,
	)
}

// WatchObservationGroups exports vigil_observation_groups_total{how}: the
// observation groups (an organisation's reports of one station and phase)
// brought up to date by this process, "folded" (new reports added to the
// group's stored state) or "computed" (from all its reports: a review
// decision, a resolution, a rebuild, a group without a state). counts
// reads the store's counters (the store imports no metrics). Under intake
// nearly all should be folded. Calling it again does nothing.
func WatchObservationGroups(counts func() (folded, computed int64)) {
	help := "Observation groups brought up to date, by how (folded: new reports added to the stored state; computed: from all the group's reports)."
	for i, how := range []string{"folded", "computed"} {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vigil_observation_groups_total", Help: help, ConstLabels: prometheus.Labels{"how": how}},
			func() float64 {
				f, c := counts()
				return float64([]int64{f, c}[i])
			})
		if err := Registry.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				panic(err)
			}
		}
	}
}

// SetBuildInfo records the running binary's version in vigil_build_info.
func SetBuildInfo(version, revision, date, goVersion string) {
	buildInfo.Reset()
	buildInfo.WithLabelValues(version, revision, date, goVersion).Set(1)
}

// WatchDB exports the connection pool statistics of db (go_sql_* with
// db_name=name: open, in use, idle, waits and their duration). Watching a
// second database under the same name replaces the first, so that a
// process that reopens its database (tests) does not fail.
func WatchDB(db *sql.DB, name string) {
	c := collectors.NewDBStatsCollector(db, name)
	if err := Registry.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			Registry.Unregister(are.ExistingCollector)
			Registry.MustRegister(c)
		}
	}
}

// Handler serves the registry in Prometheus's exposition format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

// ObserveRequest records one answered request.
func ObserveRequest(route string, status int, bytes int64, d time.Duration) {
	HTTPRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	HTTPDuration.WithLabelValues(route).Observe(d.Seconds())
	HTTPResponseBytes.WithLabelValues(route).Add(float64(bytes))
}
