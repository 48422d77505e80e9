// Package schedule runs the plan's sources (drop folders, URLs, files) on
// their cron schedules, at start-up when a run was missed, and when someone
// asks ("run now"). Every file goes through the importer, the one writer;
// every run is recorded in the run ledger. It raises alerts on failed runs,
// on sources that keep failing and on indicators that change status. It is
// the only package that imports robfig/cron.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// Importer takes one file in; *imports.Importer is the one.
type Importer interface {
	Import(ctx context.Context, req imports.Request) (*imports.Report, error)
}

// RunLedger records runs and what each source last took in; the store
// satisfies it.
type RunLedger interface {
	BeginRun(ctx context.Context, r *imports.Run) error
	FinishRun(ctx context.Context, r *imports.Run) error
	InterruptRuns(ctx context.Context, now time.Time) (int64, error)
	Runs(ctx context.Context, source string, limit int) ([]*imports.Run, error)
	LastSuccessfulRun(ctx context.Context, source string) (*imports.Run, error)
	SourceState(ctx context.Context, source string) (*imports.SourceState, error)
	SaveSourceState(ctx context.Context, st *imports.SourceState) error
}

// StatusStore answers indicator queries and keeps each indicator's last
// status, so that a change raises one alert; the store satisfies it.
type StatusStore interface {
	plan.Source
	IndicatorStates(ctx context.Context) (map[string]imports.IndicatorState, error)
	SaveIndicatorStates(ctx context.Context, states []imports.IndicatorState) error
}

// Store is everything the schedule asks of the database.
type Store interface {
	RunLedger
	StatusStore
	ImportTotals(ctx context.Context) (map[string]int64, int64, error)
}

// Options configure a Scheduler.
type Options struct {
	Plan     *plan.Plan
	Importer Importer
	Store    Store
	// Root is the folder relative source paths are resolved against (the
	// database's folder).
	Root string
	// Now is the clock of the ledger and of status (injectable, like
	// everywhere); cron itself fires on the real clock.
	Now    func() time.Time
	Log    *slog.Logger
	Getenv func(string) string
	// Client fetches URL sources and posts webhooks (a default one if nil).
	Client *http.Client
	// Settle is how long a file must keep its size and modification time
	// before it is taken (default 2s).
	Settle time.Duration
	// Backoff is the wait before the first retry of a transient failure,
	// doubling for each further one (default 30s); alert deliveries too.
	Backoff time.Duration
	// StatusCheck is when indicators are checked for status changes each
	// day (default "30 4 * * *"), when the plan has alerts.
	StatusCheck string
	// Registerer receives the schedule's metrics (none when nil).
	Registerer prometheus.Registerer
}

// Scheduler runs the sources of one plan; Reload swaps the plan.
type Scheduler struct {
	opt     Options
	log     *slog.Logger
	metrics *metrics
	alerts  *alerter

	mu        sync.Mutex
	plan      *plan.Plan
	cron      *cron.Cron
	schedules map[string]cron.Schedule
	entries   map[string]cron.EntryID
	locks     map[string]*sync.Mutex
	running   map[string]bool
	started   bool
	stopping  bool

	statusMu   sync.Mutex // one indicator status check at a time
	wg         sync.WaitGroup
	stopCh     chan struct{}
	runCtx     context.Context
	cancelRuns context.CancelFunc
	caughtUp   chan struct{}
}

// New builds a scheduler for the plan; nothing runs before Start.
func New(opt Options) (*Scheduler, error) {
	if opt.Plan == nil || opt.Importer == nil || opt.Store == nil {
		return nil, errors.New("schedule: a plan, an importer and a store are needed")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	if opt.Client == nil {
		opt.Client = &http.Client{}
	}
	if opt.Settle <= 0 {
		opt.Settle = 2 * time.Second
	}
	if opt.Backoff <= 0 {
		opt.Backoff = 30 * time.Second
	}
	if opt.StatusCheck == "" {
		opt.StatusCheck = "30 4 * * *"
	}
	s := &Scheduler{opt: opt, log: opt.Log.With("component", "schedule"), locks: map[string]*sync.Mutex{}, running: map[string]bool{},
		stopCh: make(chan struct{}), caughtUp: make(chan struct{})}
	s.runCtx, s.cancelRuns = context.WithCancel(context.Background())
	var err error
	if s.metrics, err = newMetrics(opt.Registerer, s); err != nil {
		return nil, err
	}
	s.alerts = newAlerter(opt.Client, opt.Getenv, opt.Backoff, s.log, s.metrics)
	if err := s.install(opt.Plan); err != nil {
		return nil, err
	}
	return s, nil
}

// cronLogger passes robfig/cron's logging to slog: its chatter at debug
// level, its errors (a job that panicked) as errors.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

// install builds the cron jobs of a plan, replacing those of the previous
// one; the plan is taken only when every schedule parses.
func (s *Scheduler) install(p *plan.Plan) error {
	scheds := map[string]cron.Schedule{}
	for _, src := range p.Sources {
		sch, err := cron.ParseStandard(src.ScheduleOrDefault())
		if err != nil {
			return fmt.Errorf("%s:%d: source %s: bad schedule %q: %v", p.File, src.KeyLine("schedule"), src.Name, src.ScheduleOrDefault(), err)
		}
		scheds[src.Name] = sch
	}
	statusSched, err := cron.ParseStandard(s.opt.StatusCheck)
	if err != nil {
		return fmt.Errorf("schedule: status check %q: %v", s.opt.StatusCheck, err)
	}
	logger := cronLogger{s.log}
	c := cron.New(cron.WithLocation(p.Location()), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	entries := map[string]cron.EntryID{}
	for _, src := range p.Sources {
		name := src.Name
		entries[name] = c.Schedule(scheds[name], cron.FuncJob(func() {
			if _, err := s.runSource(context.Background(), name, imports.TriggerSchedule, ""); err != nil && !errors.Is(err, imports.ErrStopping) {
				s.log.Warn("scheduled run not started", "source", name, "err", err)
			}
		}))
	}
	if p.Alerts != nil {
		c.Schedule(statusSched, cron.FuncJob(func() {
			s.track(func() {
				s.checkIndicators(s.runCtx)
				s.checkReminders(s.runCtx)
			})
		}))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cron
	s.plan, s.cron, s.schedules, s.entries = p, c, scheds, entries
	if s.started {
		if old != nil {
			old.Stop() // running jobs finish; their locks keep new runs apart
		}
		c.Start()
	}
	return nil
}

// Start creates missing drop folders, starts the schedule and, in the
// background, runs once each source whose last successful run is older
// than its schedule allows (or that never ran): the catch-up.
func (s *Scheduler) Start(ctx context.Context) error {
	if n, err := s.opt.Store.InterruptRuns(ctx, s.opt.Now()); err != nil {
		return err
	} else if n > 0 {
		s.log.Warn("runs interrupted by the last stop", "count", n)
	}
	s.mu.Lock()
	p := s.plan
	s.started = true
	s.cron.Start()
	s.mu.Unlock()
	s.makeFolders(p)
	s.alerts.start()
	if !s.track(func() { s.catchUp(p) }) {
		close(s.caughtUp)
	}
	return nil
}

// CaughtUp is closed when the catch-up runs of Start have finished.
func (s *Scheduler) CaughtUp() <-chan struct{} { return s.caughtUp }

// Reload takes a new plan (already validated): its sources replace the
// jobs, new drop folders are created, and sources new to the plan that
// never ran run once.
func (s *Scheduler) Reload(p *plan.Plan) error {
	old := map[string]bool{}
	for _, src := range s.Plan().Sources {
		old[src.Name] = true
	}
	if err := s.install(p); err != nil {
		return err
	}
	s.makeFolders(p)
	added := &plan.Plan{}
	for _, src := range p.Sources {
		if !old[src.Name] {
			added.Sources = append(added.Sources, src)
		}
	}
	s.track(func() { s.catchUpOnly(added) })
	s.log.Info("schedule reloaded", "sources", len(p.Sources), "plan", p.Hash[:min(12, len(p.Hash))])
	return nil
}

// Plan is the plan the scheduler runs.
func (s *Scheduler) Plan() *plan.Plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plan
}

func (s *Scheduler) makeFolders(p *plan.Plan) {
	for _, src := range p.Sources {
		if src.Kind != plan.SourceFolder {
			continue
		}
		dir := s.resolve(src.Path)
		for _, d := range []string{dir, filepath.Join(dir, processedDir), filepath.Join(dir, failedDir)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				s.log.Error("drop folder", "source", src.Name, "path", d, "err", err)
			}
		}
	}
}

func (s *Scheduler) resolve(path string) string {
	if filepath.IsAbs(path) || s.opt.Root == "" {
		return filepath.Clean(path)
	}
	return filepath.Join(s.opt.Root, path)
}

// track runs f in the background unless the scheduler is stopping; Stop
// waits for it.
func (s *Scheduler) track(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

func (s *Scheduler) catchUp(p *plan.Plan) {
	defer close(s.caughtUp)
	s.catchUpOnly(p)
}

// catchUpOnly runs, one after another, the sources that missed a run.
func (s *Scheduler) catchUpOnly(p *plan.Plan) {
	now := s.opt.Now()
	for _, src := range p.Sources {
		due, err := s.due(src, now)
		if err != nil {
			s.log.Error("catch-up", "source", src.Name, "err", err)
			continue
		}
		if !due {
			continue
		}
		if _, err := s.runSource(context.Background(), src.Name, imports.TriggerCatchUp, ""); err != nil {
			if errors.Is(err, imports.ErrStopping) {
				return
			}
			s.log.Info("catch-up run not started", "source", src.Name, "err", err)
		}
	}
}

// due reports whether the source missed a run: its last successful run
// is older than the schedule's previous activation, or it never ran.
func (s *Scheduler) due(src *plan.SourceDef, now time.Time) (bool, error) {
	s.mu.Lock()
	sch, loc := s.schedules[src.Name], s.plan.Location()
	s.mu.Unlock()
	if sch == nil {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(s.runCtx, 10*time.Second)
	defer cancel()
	last, err := s.opt.Store.LastSuccessfulRun(ctx, src.Name)
	if err != nil {
		return false, err
	}
	if last == nil {
		return true, nil
	}
	next := sch.Next(last.Started.In(loc))
	return !next.IsZero() && !next.After(now), nil
}

// RunNow runs a source at once for a person and waits for the run (or for
// ctx). A source already running is not run again: ErrRunning.
func (s *Scheduler) RunNow(ctx context.Context, name, user string) (*imports.Run, error) {
	return s.runSource(ctx, name, imports.TriggerManual, user)
}

// runSource runs one source under its lock, in the background context of
// the scheduler (a caller who stops waiting does not cut an import short),
// and waits for it within ctx.
func (s *Scheduler) runSource(ctx context.Context, name, trigger, user string) (*imports.Run, error) {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return nil, imports.ErrStopping
	}
	p := s.plan
	src := p.SourceNamed(name)
	if src == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %q", imports.ErrNoSource, name)
	}
	lk := s.locks[name]
	if lk == nil {
		lk = &sync.Mutex{}
		s.locks[name] = lk
	}
	// A manual, a catch-up and a scheduled run of one source never
	// overlap; whoever comes second is told, not queued.
	if !lk.TryLock() {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", imports.ErrRunning, name)
	}
	s.running[name] = true
	s.wg.Add(1)
	s.mu.Unlock()
	done := make(chan *imports.Run, 1)
	go func() {
		defer s.wg.Done()
		var r *imports.Run
		func() {
			// The lock is released before the caller hears of the run, so
			// that it may run the source again at once.
			defer func() {
				if v := recover(); v != nil {
					s.log.Error("run panicked", "source", name, "panic", v)
					r = &imports.Run{Source: name, Trigger: trigger, User: user, Status: imports.RunFailed,
						Error: fmt.Sprintf("plandash failed during the run (internal error: %v)", v)}
				}
				s.mu.Lock()
				delete(s.running, name)
				s.mu.Unlock()
				lk.Unlock()
			}()
			r = s.execute(p, src, trigger, user)
		}()
		done <- r
	}()
	select {
	case r := <-done:
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stop takes no new work, stops the schedule and waits for running runs
// until ctx ends; then it cancels them (an import cut short loads nothing)
// and waits a little more. Alerts still queued are delivered meanwhile.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return nil
	}
	s.stopping = true
	close(s.stopCh)
	c := s.cron
	s.mu.Unlock()
	c.Stop()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		s.cancelRuns()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		err = errors.New("schedule: a run was still going when plandash stopped; it was cancelled")
	}
	s.cancelRuns()
	s.alerts.stop(ctx)
	return err
}

func (s *Scheduler) isStopping() bool {
	select {
	case <-s.stopCh:
		return true
	default:
		return false
	}
}

// sleep waits d, or less when the scheduler stops; it reports whether the
// whole wait passed.
func (s *Scheduler) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stopCh:
		return false
	}
}

// List reports every source of the plan: schedule, next and last runs.
func (s *Scheduler) List(ctx context.Context) ([]imports.SourceStatus, error) {
	s.mu.Lock()
	p, c := s.plan, s.cron
	scheds, entries := s.schedules, s.entries
	running := make(map[string]bool, len(s.running))
	for k, v := range s.running {
		running[k] = v
	}
	s.mu.Unlock()
	out := make([]imports.SourceStatus, 0, len(p.Sources))
	for _, src := range p.Sources {
		st := imports.SourceStatus{Name: src.Name, Kind: src.Kind, Where: src.Where(), Dataset: src.Dataset, Profile: src.Profile,
			Schedule: src.ScheduleOrDefault(), TimeZone: p.Location().String(), Running: running[src.Name]}
		if id, ok := entries[src.Name]; ok {
			st.Next = c.Entry(id).Next
		}
		if st.Next.IsZero() && scheds[src.Name] != nil {
			st.Next = scheds[src.Name].Next(time.Now().In(p.Location()))
		}
		runs, err := s.opt.Store.Runs(ctx, src.Name, 10)
		if err != nil {
			return nil, err
		}
		if len(runs) > 0 {
			st.Last = runs[0]
			st.Recent = runs[:min(5, len(runs))]
		}
		st.Failing = failing(runs)
		last, err := s.opt.Store.LastSuccessfulRun(ctx, src.Name)
		if err != nil {
			return nil, err
		}
		if last != nil {
			st.LastSuccess = last.Started
		}
		out = append(out, st)
	}
	return out, nil
}

// failing counts the failed runs in a row at the head of runs (newest
// first); a run still going does not count either way.
func failing(runs []*imports.Run) int {
	n := 0
	for _, r := range runs {
		if r.Status == imports.RunRunning {
			continue
		}
		if r.Status != imports.RunFailed {
			break
		}
		n++
	}
	return n
}

// FailingAfter is how many failed runs in a row make a source failing.
const FailingAfter = imports.FailingAfter
