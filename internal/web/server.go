// Package web serves plandash's pages and JSON API with Fiber: routes, one
// file per page group, embedded templates and static assets. It is the only
// package that imports Fiber.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
	"golang.org/x/text/language"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed openapi.json
var openAPI []byte

// Backend is what pages read: indicator queries, the imports that feed a
// dataset, row counts. The store satisfies it.
type Backend interface {
	plan.Source
	Feeding(ctx context.Context, ds *plan.Dataset) ([]*imports.Record, error)
	CurrentRows(ctx context.Context, ds *plan.Dataset) (total, sample int64, err error)
	Rows(ctx context.Context, ds *plan.Dataset, public bool, limit, offset int) (*imports.RowSet, error)
	ExportParquet(ctx context.Context, ds *plan.Dataset, public bool, path string) error
	Pairs(ctx context.Context, ds *plan.Dataset, a, b string, public bool) (map[string]string, error)
	History(ctx context.Context, ds *plan.Dataset, match map[string]string, public bool) ([]imports.HistoryRow, error)
	Ping(ctx context.Context) error
	DataVersion(ctx context.Context) (string, error)
}

// Deps are the server's dependencies.
type Deps struct {
	Plan    func() *plan.Plan
	Backend Backend
	Now     func() time.Time
	Log     *slog.Logger
	// QueryTimeout bounds each widget's queries (fasthttp does not cancel a
	// request's context when the client leaves).
	QueryTimeout time.Duration
	Version      string

	Accounts    Accounts
	Importer    *imports.Importer
	PacketStore Packets
	// Public makes the scorecard visible without signing in (the default).
	Public bool
	// Secure marks cookies Secure (the server is reached over TLS).
	Secure bool
	// Sessions keeps sign-in sessions; nil keeps them in memory, so that a
	// restart signs everyone out. Form tokens stay in memory either way:
	// anonymous visitors of the sign-in page get one each, and a page
	// loaded after a restart has a new one.
	Sessions fiber.Storage
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For header gives the client's address.
	TrustedProxies []string
	// UploadLimit caps an uploaded file, in bytes.
	UploadLimit int64
	// UploadDir is where uploads are kept on disk until they are committed
	// or their preview expires; default a folder in the system's temporary
	// folder. Keep it off a RAM-backed /tmp: uploads go there so that they
	// are not held in memory.
	UploadDir string
	// Sources is the schedule of the plan's sources (/admin/sources); nil
	// when nothing is scheduled.
	Sources Sources
	// Metrics receives the request metrics and is served at /metrics (a
	// registry of the server's own when nil; never the global default).
	Metrics *prometheus.Registry
	// EmbedOrigins may frame the embeddable pages (frame-ancestors).
	EmbedOrigins []string
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	tmpl   map[string]*template.Template
	bundle *i18n.Bundle
	langs  language.Matcher // the bundle's languages
	// langCount is how many there are; onlyLang is the language every
	// request gets when there is one.
	langCount int
	onlyLang  language.Tag
	sessions  *session.Store
	previews  previews
	cache     pageCache
	flight    singleflight.Group
	static    staticFiles
	metrics   *httpMetrics
}

// New builds the Fiber app with every route.
func New(d Deps) (*fiber.App, error) {
	if d.QueryTimeout == 0 {
		d.QueryTimeout = 10 * time.Second
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	b, err := newBundle()
	if err != nil {
		return nil, err
	}
	if d.UploadLimit == 0 {
		d.UploadLimit = 100 << 20
	}
	if d.UploadDir == "" {
		d.UploadDir = filepath.Join(os.TempDir(), "plandash-uploads")
	}
	sweepUploads(d.UploadDir)
	tags := b.LanguageTags()
	s := &Server{Deps: d, bundle: b, langs: language.NewMatcher(tags), langCount: len(tags), sessions: newSessionStore(d.Secure, d.Sessions)}
	s.onlyLang = matchLanguage(s.langs, "")
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	if s.static, err = loadStatic(static); err != nil {
		return nil, err
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	if s.metrics, err = newHTTPMetrics(d.Metrics); err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{
		AppName:               "plandash",
		DisableStartupMessage: true,
		Immutable:             true,
		ErrorHandler:          s.handleError,
		ReadTimeout:           5 * time.Minute,
		WriteTimeout:          5 * time.Minute,
		// The upload limit is enforced before the body is read in full;
		// large bodies stream instead of sitting in memory.
		BodyLimit:         int(d.UploadLimit) + 1<<20,
		StreamRequestBody: true,
		// Uploads are parsed by their handlers, after the size check.
		DisablePreParseMultipartForm: true,
		EnableTrustedProxyCheck:      len(d.TrustedProxies) > 0,
		TrustedProxies:               d.TrustedProxies,
		ProxyHeader:                  proxyHeader(d.TrustedProxies),
	})
	s.routes(app)
	// Uploads awaiting review go with the server: their previews do.
	app.Hooks().OnShutdown(func() error {
		s.previews.removeAll()
		return nil
	})
	return app, nil
}

func (s *Server) routes(app *fiber.App) {
	app.Use(s.observe)
	app.Use(recover.New())
	app.Use(requestid.New())
	app.Use(s.logRequests)
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
			"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
		ReferrerPolicy:            "same-origin",
		CrossOriginEmbedderPolicy: "unsafe-none",
	}))
	app.Use(compress.New())
	app.Use(s.cacheDefault)
	app.Use(s.identify)
	app.Use(s.requireSignIn)
	app.Use(s.newCSRF())
	app.Use("/static", s.static.handler)

	app.Get("/", s.cached, s.scorecard)
	app.Get("/goals/:id", s.cached, s.goalPage)
	app.Get("/finance", s.cached, s.financePage)
	app.Get("/embed/indicators/:id", s.cached, s.embedIndicator)
	app.Get("/report", s.cached, s.report)
	app.Get("/goals/:id/report", s.cached, s.goalReport)
	app.Get("/packets", s.packetsPage)
	app.Get("/packets/:id", s.packet)
	app.Get("/indicators/:id", s.cached, s.indicatorPage)
	app.Get("/indicators/:id/data.:ext", s.indicatorExport)
	app.Get("/datasets/:name/data.:ext", s.datasetExport)
	app.Get("/healthz", s.healthz)
	app.Get("/signin", s.signinForm)
	app.Post("/signin", s.signInLimiter(), s.signin)
	app.Post("/signout", s.signout)
	app.Get("/admin/audit", s.role("admin"), s.auditPage)
	editor := s.role("editor")
	app.Get("/imports", editor, s.importsPage)
	app.Get("/imports/:id", editor, s.importPage)
	app.Get("/imports/:id/file", editor, s.importFile)
	app.Post("/imports/:id/undo", editor, s.undo)
	app.Get("/datasets/:name/upload", editor, s.uploadPage)
	app.Get("/datasets/:name/template.xlsx", editor, s.template)
	app.Get("/datasets/:name/entry", editor, s.entryPage)
	app.Post("/indicators/:id/notes", editor, s.noteSave)
	app.Post("/report/publish", editor, s.publish)
	app.Post("/datasets/:name/entry", editor, s.entrySave)
	app.Post("/datasets/:name/upload", editor, s.limitBody, s.upload)
	app.Get("/previews/:token", editor, s.previewPage)
	app.Get("/previews/:token/status", editor, s.previewStatus)
	app.Post("/previews/:token/commit", editor, s.previewCommit)
	app.Post("/previews/:token/cancel", editor, s.previewCancel)
	api := app.Group("/api/v1")
	api.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(openAPI)
	})
	api.Get("/plan", s.cached, s.apiPlan)
	api.Get("/indicators", s.cached, s.apiIndicators)
	api.Get("/indicators/:id", s.cached, s.apiIndicator)
	api.Get("/datasets", s.apiDatasets)
	api.Get("/datasets/:id/rows", s.apiDatasetRows)
	api.Get("/imports", editor, s.apiImports)
	api.Get("/imports/:id", editor, s.apiImport)
	api.Post("/imports", editor, s.limitBody, s.apiImportPost)
	api.Post("/imports/:id/undo", editor, s.undo)
	s.opsRoutes(app)
	s.strategyRoutes(app, api, editor)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// cacheDefault marks every response that did not say how it may be
// cached as not to be stored: a page or API answer for staff may hold
// non-public data, and forms carry a CSRF token. Cached public pages and
// static files set their own Cache-Control.
func (s *Server) cacheDefault(c *fiber.Ctx) error {
	err := c.Next()
	if len(c.Response().Header.Peek(fiber.HeaderCacheControl)) == 0 {
		if s.viewerOf(c) != nil {
			c.Set(fiber.HeaderCacheControl, "private, no-store")
		} else {
			c.Set(fiber.HeaderCacheControl, "no-store")
		}
	}
	return err
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	s.Log.Debug("request", "method", c.Method(), "path", c.Path(), "status", status,
		"ms", time.Since(start).Milliseconds(), "request_id", c.GetRespHeader(fiber.HeaderXRequestID))
	return err
}

// handleError is the one place errors become responses: a user's mistake
// (an unknown id) gets its status and a page that says what to do; anything
// else is logged and gets a plain 500 page, never a stack trace.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code = fe.Code
	}
	if code >= 500 {
		s.Log.Error("request failed", "path", c.Path(), "err", err, "request_id", c.GetRespHeader(fiber.HeaderXRequestID))
	}
	w := s.words(c)
	title, body := w.T("error.internal.title", nil), w.T("error.internal.body", nil)
	if code == fiber.StatusNotFound {
		title, body = w.T("error.not_found.title", nil), w.T("error.not_found.body", nil)
	} else if code < 500 && fe != nil {
		title, body = http.StatusText(code), fe.Message
		if code == fiber.StatusBadRequest && strings.HasPrefix(body, "cannot ") {
			// The server could not parse the request: say what to do, not how it failed.
			body = "the request could not be read; reload the page and try again"
		}
		if code == fiber.StatusRequestEntityTooLarge && fe.Message == fiber.ErrRequestEntityTooLarge.Message {
			body = "the file is larger than the upload limit"
		}
	}
	if strings.HasPrefix(c.Path(), "/api/") || strings.HasPrefix(c.Path(), "/healthz") {
		return c.Status(code).JSON(fiber.Map{"error": title, "message": body, "status": code})
	}
	c.Status(code)
	return s.render(c, "error", pageData{Title: title, Data: map[string]any{"Code": code, "Title": title, "Body": body}})
}

func (s *Server) words(c *fiber.Ctx) *words {
	return newWords(s.bundle, s.language(c))
}

// language is the catalog language that best fits the request's
// Accept-Language: English first; the catalog decides once more languages
// are added.
func (s *Server) language(c *fiber.Ctx) language.Tag {
	if !s.multilingual() {
		// One language answers every header; the page cache asks on
		// every request.
		return s.onlyLang
	}
	return matchLanguage(s.langs, c.Get(fiber.HeaderAcceptLanguage))
}

func matchLanguage(m language.Matcher, acceptLanguage string) language.Tag {
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	tag, _, _ := m.Match(append(tags, language.English)...)
	base, _ := tag.Base()
	return language.Make(base.String())
}

// multilingual reports whether pages come in more than one language, so
// that they vary with Accept-Language.
func (s *Server) multilingual() bool { return s.langCount > 1 }

func (s *Server) ctx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.QueryTimeout)
}
