package web

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics count requests by route pattern (/indicators/:id, never the
// raw path, which would make a series per id) and status, with durations.
type httpMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	pages    *prometheus.CounterVec
}

func newHTTPMetrics(reg *prometheus.Registry) (*httpMetrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &httpMetrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plandash_http_requests_total",
			Help: "HTTP requests by method, route pattern and status."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "plandash_http_request_duration_seconds",
			Help: "Time to answer HTTP requests, by method and route pattern.", Buckets: prometheus.DefBuckets}, []string{"method", "route"}),
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plandash_page_cache_total",
			Help: "Anonymous page and API requests by how the page cache answered: hit, render (rendered and kept) or " +
				"shared (waited for a render of the same page already under way)."}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.pages} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe is the first middleware: it times the request and counts it
// under the route that answered it.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = fiber.StatusInternalServerError
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status = fe.Code
		}
	}
	route := s.metrics.route(c)
	method := c.Method()
	s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	return err
}

// route is the pattern of the route that answered (a handler's route, or
// a middleware's prefix such as /static), or "unmatched" when the request
// fell through to the final not-found handler.
func (m *httpMetrics) route(c *fiber.Ctx) string {
	if unmatched, _ := c.Locals(localUnmatched).(bool); unmatched {
		return "unmatched"
	}
	if r := c.Route(); r != nil && r.Path != "" {
		return r.Path
	}
	return "unmatched"
}

const localUnmatched = "plandash.unmatched"

// metricsPage serves /metrics in Prometheus's text format.
func (s *Server) metricsPage() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{DisableCompression: true}))
}

// opsRoutes registers the operations pages: sources, and metrics for any
// signed-in account or token (a viewer token is enough for Prometheus).
func (s *Server) opsRoutes(app *fiber.App) {
	admin := s.role("admin")
	app.Get("/admin/sources", admin, s.sourcesPage)
	app.Post("/admin/sources/reload", admin, s.sourcesReload)
	app.Post("/admin/sources/:name/run", admin, s.sourceRunNow)
	app.Get("/api/v1/sources", s.role("editor"), s.apiSources)
	app.Get("/metrics", s.role("viewer"), s.metricsPage())
	// Registered after every route: only requests nothing answered get here.
	app.Use(func(c *fiber.Ctx) error {
		c.Locals(localUnmatched, true)
		return c.Next()
	})
}
