package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/schedule"
)

// operations wires what keeps a server running unattended: the schedule of
// the plan's sources, the metrics registry, and reloading the plan file
// (SIGHUP or the admin button) without a restart. It is the web package's
// Sources.
type operations struct {
	srv      *server
	sched    *schedule.Scheduler
	registry *prometheus.Registry
	// current is the plan in force; it changes on reload.
	current  atomic.Pointer[plan.Plan]
	reloadMu sync.Mutex
}

// newOperations builds the schedule and the registry of a server that is
// being started; start runs them.
func newOperations(s *server) (*operations, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	o := &operations{srv: s, registry: reg}
	o.current.Store(s.plan)
	var err error
	o.sched, err = schedule.New(schedule.Options{Plan: s.plan, Importer: s.importer, Store: s.store,
		// Relative source paths, like the archive, live beside the database.
		Root: filepath.Dir(s.cfg.DB), Now: s.cfg.Clock(), Log: s.log, Getenv: os.Getenv,
		Settle: s.cfg.Settle, Backoff: s.cfg.Backoff, Registerer: reg})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// currentPlan is the plan in force (the one loaded at start until a reload).
func (s *server) currentPlan() *plan.Plan {
	if s.ops != nil {
		if p := s.ops.current.Load(); p != nil {
			return p
		}
	}
	return s.plan
}

// start creates the drop folders, starts the schedule and the catch-up runs.
func (o *operations) start(ctx context.Context) {
	if err := o.sched.Start(ctx); err != nil {
		o.srv.log.Error("the schedule did not start", "err", err)
	}
}

// stop takes no new runs and waits for a running one within timeout.
func (o *operations) stop(timeout time.Duration) {
	if o == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := o.sched.Stop(ctx); err != nil {
		o.srv.log.Error("schedule stop", "err", err)
	}
}

// List is part of web.Sources.
func (o *operations) List(ctx context.Context) ([]imports.SourceStatus, error) {
	return o.sched.List(ctx)
}

// RunNow is part of web.Sources.
func (o *operations) RunNow(ctx context.Context, name, user string) (*imports.Run, error) {
	return o.sched.RunNow(ctx, name, user)
}

// Reload reads the plan file again and, when it is valid, puts it in force
// for the pages, the importer and the schedule. An invalid plan changes
// nothing (the error is a *plan.InvalidError with its problems). A change
// of time zone takes a restart to reach the database's sessions.
func (o *operations) Reload(ctx context.Context) error {
	o.reloadMu.Lock()
	defer o.reloadMu.Unlock()
	file := o.srv.cfg.Plan
	p, _, err := plan.LoadFile(file)
	if err != nil {
		return err
	}
	if err := o.srv.store.EnsureDatasets(ctx, p.Datasets); err != nil {
		return err
	}
	old := o.current.Swap(p)
	if err := o.sched.Reload(p); err != nil {
		o.current.Store(old)
		return err
	}
	o.srv.log.Info("plan reloaded", "plan", file, "hash", p.Hash[:12], "sources", len(p.Sources))
	return nil
}

// reloadOnHangup reloads the plan file on SIGHUP until stop is called.
func (s *server) reloadOnHangup(log *slog.Logger) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				err := s.ops.Reload(ctx)
				var inv *plan.InvalidError
				switch {
				case errors.As(err, &inv):
					for _, pr := range inv.Problems {
						if !pr.Warning {
							log.Error("SIGHUP: the plan file was not reloaded; the plan in force is unchanged", "problem", pr.String())
						}
					}
				case err != nil:
					log.Error("SIGHUP: the plan file was not reloaded; the plan in force is unchanged", "err", err)
				}
				cancel()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// listenTLS wraps the listener in TLS when a certificate is configured.
func listenTLS(ln net.Listener, cfg config.Config) (net.Listener, error) {
	if cfg.TLSCert == "" {
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("TLS: cannot use --tls-cert %s with --tls-key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// scheme is how the server is reached.
func (s *server) scheme() string {
	if s.cfg.TLSCert != "" {
		return "https"
	}
	return "http"
}
