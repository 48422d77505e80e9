package schedule

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plandash/plandash/internal/imports"
)

// metrics are the schedule's Prometheus metrics. Counts that must survive
// a restart (imports by status, each source's last success) are read from
// the ledger when scraped; the rest are counted as runs happen.
type metrics struct {
	runs   *prometheus.HistogramVec
	files  *prometheus.CounterVec
	rows   *prometheus.CounterVec
	alerts *prometheus.CounterVec
	s      *Scheduler

	importsDesc, rowsDesc, lastOKDesc, failingDesc *prometheus.Desc
}

func newMetrics(reg prometheus.Registerer, s *Scheduler) (*metrics, error) {
	m := &metrics{
		s: s,
		runs: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "plandash_source_run_duration_seconds",
			Help:    "How long runs of scheduled sources took, by source and outcome (ok, failed).",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}}, []string{"source", "status"}),
		files: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plandash_source_files_total",
			Help: "Files taken by scheduled sources since start, by outcome (imported, duplicate, failed)."}, []string{"source", "outcome"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plandash_source_rows_loaded_total",
			Help: "Rows loaded by scheduled sources since start."}, []string{"source"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plandash_alerts_total",
			Help: "Alert deliveries since start, by channel (webhook, email) and outcome (sent, failed)."}, []string{"channel", "outcome"}),
		importsDesc: prometheus.NewDesc("plandash_imports", "Imports in the ledger, by status (loaded, rejected, undone, ...).", []string{"status"}, nil),
		rowsDesc:    prometheus.NewDesc("plandash_import_rows_loaded", "Rows loaded by the imports of the ledger that are loaded.", nil, nil),
		lastOKDesc: prometheus.NewDesc("plandash_source_last_success_timestamp_seconds",
			"When the newest successful run of each source started (Unix time; absent if it never succeeded).", []string{"source"}, nil),
		failingDesc: prometheus.NewDesc("plandash_source_consecutive_failures", "Failed runs in a row of each source, newest first.", []string{"source"}, nil),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.runs, m.files, m.rows, m.alerts, m} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) run(source string, r *imports.Run, d time.Duration) {
	m.runs.WithLabelValues(source, r.Status).Observe(d.Seconds())
}

func (m *metrics) file(source, outcome string, rows int64) {
	m.files.WithLabelValues(source, outcome).Inc()
	if rows > 0 {
		m.rows.WithLabelValues(source).Add(float64(rows))
	}
}

func (m *metrics) alert(channel, outcome string) { m.alerts.WithLabelValues(channel, outcome).Inc() }

// Describe is part of prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.importsDesc
	ch <- m.rowsDesc
	ch <- m.lastOKDesc
	ch <- m.failingDesc
}

// Collect reads the ledger: imports by status, and each source's last
// success and failures in a row.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st := m.s.opt.Store
	if counts, rows, err := st.ImportTotals(ctx); err == nil {
		for status, n := range counts {
			ch <- prometheus.MustNewConstMetric(m.importsDesc, prometheus.GaugeValue, float64(n), status)
		}
		ch <- prometheus.MustNewConstMetric(m.rowsDesc, prometheus.GaugeValue, float64(rows))
	}
	for _, src := range m.s.Plan().Sources {
		if last, err := st.LastSuccessfulRun(ctx, src.Name); err == nil && last != nil {
			ch <- prometheus.MustNewConstMetric(m.lastOKDesc, prometheus.GaugeValue, float64(last.Started.Unix()), src.Name)
		}
		if runs, err := st.Runs(ctx, src.Name, 10); err == nil {
			ch <- prometheus.MustNewConstMetric(m.failingDesc, prometheus.GaugeValue, float64(failing(runs)), src.Name)
		}
	}
}
