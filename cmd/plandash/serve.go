package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/sample"
	"github.com/plandash/plandash/internal/store"
	"github.com/plandash/plandash/internal/web"
)

// server is a running plandash: tests start one on port 0 with a temporary
// database.
type server struct {
	cfg      config.Config
	plan     *plan.Plan
	store    *store.Store
	importer *imports.Importer
	app      *fiber.App
	ln       net.Listener
	log      *slog.Logger
	done     chan error
	// stopControl closes the socket through which commands reach the server.
	stopControl func()
	// ops runs the scheduled sources, metrics and plan reloads (ops.go).
	ops *operations
}

// Addr is where the server listens.
func (s *server) Addr() string { return s.ln.Addr().String() }

// startServer opens the database, loads sample data into an empty one, and
// starts serving on cfg.Addr.
func startServer(ctx context.Context, cfg config.Config, p *plan.Plan, log *slog.Logger) (*server, error) {
	st, err := openStore(ctx, cfg, p)
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, plan: p, store: st, log: log, done: make(chan error, 1)}
	s.importer = &imports.Importer{Store: st, Plan: s.currentPlan, Archive: cfg.Archive, Now: cfg.Clock(), Log: log}
	if err := loadSamples(ctx, s.importer, st, p, cfg.Clock()(), log); err != nil {
		st.Close()
		return nil, err
	}
	if s.ops, err = newOperations(s); err != nil {
		st.Close()
		return nil, err
	}
	s.app, err = web.New(web.Deps{Plan: s.currentPlan, Sources: s.ops, Metrics: s.ops.registry, Backend: st, Now: cfg.Clock(), Log: log, Version: version,
		Accounts: st, Importer: s.importer, PacketStore: st, Sessions: st.SessionStorage(), Public: cfg.Public, Secure: cfg.Secure, TrustedProxies: cfg.TrustedProxies, UploadLimit: cfg.UploadLimit,
		UploadDir: filepath.Join(filepath.Dir(cfg.DB), "uploads"), EmbedOrigins: cfg.EmbedOrigins})
	if err != nil {
		st.Close()
		return nil, err
	}
	s.ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("cannot listen on %s: %w (is another server using it? set --addr)", cfg.Addr, err)
	}
	if s.ln, err = listenTLS(s.ln, cfg); err != nil {
		st.Close()
		return nil, err
	}
	if s.stopControl, err = startControl(s); err != nil {
		s.ln.Close()
		st.Close()
		return nil, err
	}
	go func() { s.done <- s.app.Listener(s.ln) }()
	s.ops.start(ctx)
	return s, nil
}

// Shutdown stops taking requests, lets running ones finish within the
// timeout, and closes the database cleanly.
func (s *server) Shutdown(timeout time.Duration) error {
	s.ops.stop(timeout)
	s.stopControl()
	err := s.app.ShutdownWithTimeout(timeout)
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	return err
}

func openStore(ctx context.Context, cfg config.Config, p *plan.Plan) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DB, store.Options{Threads: cfg.Threads, MemoryLimit: cfg.MemoryLimit, TimeZone: p.Location().String()})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("the database %s is in use by another plandash process (a running server?); stop it or use another --db", cfg.DB)
		}
		return nil, err
	}
	if err := st.EnsureDatasets(ctx, p.Datasets); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// loadSamples gives every dataset that has never received real data the
// generated sample for the current month, through the normal import path,
// so a new installation shows the whole plan and sample data is never
// overdue. Real data, once imported, supersedes a dataset's samples.
func loadSamples(ctx context.Context, im *imports.Importer, st *store.Store, p *plan.Plan, now time.Time, log *slog.Logger) error {
	var names []string
	for name, ds := range p.Datasets {
		total, sampleRows, err := st.CurrentRows(ctx, ds)
		if err != nil {
			return err
		}
		if total == sampleRows {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	files, err := sample.Generate(now, p.Place, p.FYStart(), names)
	if err != nil {
		return fmt.Errorf("sample data: %w", err)
	}
	// The strategy tracker fills both strategy datasets in one import.
	if slices.Contains(names, plan.ProgressDataset) && slices.Contains(names, plan.MilestonesDataset) && p.Profile(sample.TrackerProfile) != nil {
		f, err := sample.Tracker(now, p)
		if err != nil {
			return fmt.Errorf("sample data: %w", err)
		}
		files = append(files, f)
	}
	for _, f := range files {
		rep, err := im.Import(ctx, imports.Request{Name: f.Name, Data: f.Data, Dataset: f.Dataset, Profile: f.Profile, Source: imports.SourceSample, User: "plandash", Sample: true})
		if err != nil {
			return fmt.Errorf("sample data %s: %w", f.Name, err)
		}
		switch {
		case rep.Duplicate != 0:
			// This month's sample is already in force.
		case !rep.OK():
			return fmt.Errorf("sample data %s was refused: %s %v", f.Name, rep.Message, rep.Errors)
		default:
			log.Info("sample data loaded", "dataset", f.Dataset, "rows", rep.RowsLoaded)
		}
	}
	return nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, _, err := flags("serve", args, stderr, getenv, nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	log := newLogger(cfg, stderr)
	p, ok := loadPlan(cfg.Plan, stderr)
	if !ok {
		return exitRejected
	}
	s, err := startServer(ctx, cfg, p, log)
	if err != nil {
		fmt.Fprintln(stderr, "plandash:", err)
		return exitRejected
	}
	log.Info("plandash is serving", "url", s.scheme()+"://"+displayAddr(s.Addr()), "plan", cfg.Plan, "db", cfg.DB)
	defer s.reloadOnHangup(log)()
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-s.done:
		if err != nil {
			log.Error("server stopped", "err", err)
		}
	}
	if err := s.Shutdown(10 * time.Second); err != nil {
		log.Error("shutdown", "err", err)
		return exitRejected
	}
	return exitOK
}

func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
