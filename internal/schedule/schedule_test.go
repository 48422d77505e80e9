package schedule

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// memStore is the run ledger in memory.
type memStore struct {
	mu     sync.Mutex
	cells  []plan.Cell // what every indicator query answers
	runs   []*imports.Run
	states map[string]imports.SourceState
	status map[string]imports.IndicatorState
}

func newMemStore() *memStore {
	return &memStore{states: map[string]imports.SourceState{}, status: map[string]imports.IndicatorState{}}
}

func (m *memStore) BeginRun(_ context.Context, r *imports.Run) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.ID, r.Status = int64(len(m.runs)+1), imports.RunRunning
	cp := *r
	m.runs = append(m.runs, &cp)
	return nil
}

func (m *memStore) FinishRun(_ context.Context, r *imports.Run) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := *r
	m.runs[r.ID-1] = &cp
	return nil
}

func (m *memStore) InterruptRuns(context.Context, time.Time) (int64, error) { return 0, nil }

func (m *memStore) Runs(_ context.Context, source string, limit int) ([]*imports.Run, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*imports.Run
	for i := len(m.runs) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		if source == "" || m.runs[i].Source == source {
			cp := *m.runs[i]
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (m *memStore) LastSuccessfulRun(ctx context.Context, source string) (*imports.Run, error) {
	runs, _ := m.Runs(ctx, source, 0)
	for _, r := range runs {
		if r.Status == imports.RunOK {
			return r, nil
		}
	}
	return nil, nil
}

func (m *memStore) SourceState(_ context.Context, source string) (*imports.SourceState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.states[source]
	if !ok {
		return nil, nil
	}
	return &st, nil
}

func (m *memStore) SaveSourceState(_ context.Context, st *imports.SourceState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[st.Source] = *st
	return nil
}

func (m *memStore) Aggregate(context.Context, plan.Query) ([]plan.Cell, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]plan.Cell(nil), m.cells...), nil
}

func (m *memStore) setValue(period time.Time, v float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cells = []plan.Cell{{Period: period, Value: v}}
}

func (m *memStore) IndicatorStates(context.Context) (map[string]imports.IndicatorState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]imports.IndicatorState{}
	for k, v := range m.status {
		out[k] = v
	}
	return out, nil
}

func (m *memStore) SaveIndicatorStates(_ context.Context, sts []imports.IndicatorState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, st := range sts {
		m.status[st.Indicator] = st
	}
	return nil
}

func (m *memStore) ImportTotals(context.Context) (map[string]int64, int64, error) { return nil, 0, nil }

// fakeImporter loads everything, after gate (when set) lets it.
type fakeImporter struct {
	gate            chan struct{}
	started         chan struct{}
	active, maxSeen atomic.Int32
	calls           atomic.Int32
}

func (f *fakeImporter) Import(ctx context.Context, req imports.Request) (*imports.Report, error) {
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	id := f.calls.Add(1)
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.gate != nil {
		<-f.gate
	}
	return &imports.Report{ID: int64(id), Status: "loaded", File: req.Name, RowsLoaded: 1}, nil
}

const testPlan = `title: Test plan
start: 2024-01-01
end: 2025-12-31
time_zone: America/Los_Angeles
goals:
  - id: G1
    title: Goal one
    objectives:
      - {id: G1.O1, title: Objective one}
datasets: [revenue]
`

func parsePlan(t *testing.T, extra string) *plan.Plan {
	t.Helper()
	p, probs, err := plan.Parse("plan.yaml", []byte(testPlan+extra))
	if err != nil {
		t.Fatalf("%v %v", err, probs)
	}
	return p
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The default nightly job at 03:15 runs on the night clocks spring forward
// in Los Angeles (2026-03-08), and on the nights around it; a job at 02:30
// would not run that night, which the plan check warns about.
func TestDefaultScheduleRunsOnSpringForwardNight(t *testing.T) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	sch, err := cron.ParseStandard(plan.DefaultSchedule)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 6, 12, 0, 0, 0, loc)
	for _, day := range []int{7, 8, 9} {
		at = sch.Next(at)
		want := time.Date(2026, 3, day, 3, 15, 0, 0, loc)
		if !at.Equal(want) || at.Hour() != 3 || at.Minute() != 15 {
			t.Fatalf("activation %s, want %s", at, want)
		}
	}
	if _, off := at.Zone(); off != -7*3600 {
		t.Errorf("after the change, 03:15 should be PDT: %s", at)
	}
	// The same on the night clocks fall back (2026-11-01): once, not twice.
	at = time.Date(2026, 10, 31, 12, 0, 0, 0, loc)
	first, second := sch.Next(at), sch.Next(sch.Next(at))
	if first.Day() != 1 || second.Day() != 2 {
		t.Errorf("fall back: %s then %s", first, second)
	}
	two, _ := cron.ParseStandard("30 2 * * *")
	if n := two.Next(time.Date(2026, 3, 7, 12, 0, 0, 0, loc)); n.Day() == 8 && n.Hour() == 2 {
		t.Errorf("02:30 cannot exist on 2026-03-08, got %s", n)
	}
	c, _ := plan.ParseCron("30 2 * * *")
	if !c.RunsInChangeover() {
		t.Error("the plan check does not flag 02:30")
	}
	// The scheduler itself runs its cron in the plan's zone.
	p := parsePlan(t, "sources:\n  - {name: inbox, path: in/, dataset: revenue}\n")
	s, err := New(Options{Plan: p, Importer: &fakeImporter{}, Store: newMemStore(), Root: t.TempDir(), Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if s.cron.Location().String() != "America/Los_Angeles" {
		t.Errorf("cron location %s", s.cron.Location())
	}
}

// plan.ParseCron (validation, words) and robfig's parser (the schedule)
// accept the same expressions and mean the same times.
func TestCronParserAgreesWithRobfig(t *testing.T) {
	exprs := []string{"15 3 * * *", "*/15 * * * *", "0 8-17/2 * * mon-fri", "0 6 1,15 * *", "30 4 * JAN,Jul *", "0 0 1 * 1",
		"5/10 * * * *", "0 0 ? * SUN", "0 0 * * 6,0", "1,,2 * * * *", "@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@every 90m",
		"60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 7", "5-1 * * * *", "*/0 * * * *", "1-2-3 * * * *", "1/2/3 * * * *",
		"* * * *", "* * * * * *", "@often", "x * * * *", "-1 * * * *", "@every 1h"}
	loc, _ := time.LoadLocation("America/Los_Angeles")
	for _, e := range exprs {
		ours, oerr := plan.ParseCron(e)
		theirs, terr := cron.ParseStandard(e)
		if (oerr == nil) != (terr == nil) {
			t.Errorf("%q: plan says %v, robfig says %v", e, oerr, terr)
			continue
		}
		if oerr != nil {
			continue
		}
		switch sch := theirs.(type) {
		case *cron.SpecSchedule:
			const star = 1 << 63
			if sch.Minute&^star != ours.Minute || sch.Hour&^star != ours.Hour || sch.Dom&^star != ours.Dom ||
				sch.Month&^star != ours.Month || sch.Dow&^star != ours.Dow {
				t.Errorf("%q: fields differ: robfig %+v, plan %+v", e, sch, ours)
			}
			if (sch.Dom&star != 0) != ours.DomStar || (sch.Dow&star != 0) != ours.DowStar {
				t.Errorf("%q: day rule differs", e)
			}
		case cron.ConstantDelaySchedule:
			if sch.Delay != ours.Every {
				t.Errorf("%q: every %s, plan %s", e, sch.Delay, ours.Every)
			}
		}
		_ = loc
	}
}

// A manual run while a run of the same source is in progress does not
// overlap it: it is told the source is running; so is a catch-up run.
func TestRunNowDoesNotOverlap(t *testing.T) {
	root := t.TempDir()
	p := parsePlan(t, "sources:\n  - {name: inbox, path: in/, dataset: revenue}\n")
	im := &fakeImporter{gate: make(chan struct{}), started: make(chan struct{}, 4)}
	st := newMemStore()
	s, err := New(Options{Plan: p, Importer: im, Store: st, Root: root, Log: quietLog(), Settle: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.makeFolders(p)
	if err := os.WriteFile(filepath.Join(root, "in", "a.csv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := make(chan *imports.Run, 1)
	go func() {
		r, err := s.RunNow(context.Background(), "inbox", "ana")
		if err != nil {
			t.Error(err)
		}
		first <- r
	}()
	select {
	case <-im.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the first run did not reach the importer")
	}
	if _, err := s.RunNow(context.Background(), "inbox", "ben"); !errors.Is(err, imports.ErrRunning) {
		t.Fatalf("second manual run: %v, want ErrRunning", err)
	}
	if _, err := s.runSource(context.Background(), "inbox", imports.TriggerCatchUp, ""); !errors.Is(err, imports.ErrRunning) {
		t.Fatalf("catch-up during a run: %v, want ErrRunning", err)
	}
	if _, err := s.RunNow(context.Background(), "nope", "ana"); !errors.Is(err, imports.ErrNoSource) {
		t.Fatalf("unknown source: %v", err)
	}
	close(im.gate)
	r := <-first
	if r == nil || r.Status != imports.RunOK || r.Imported != 1 || r.User != "ana" || r.Trigger != imports.TriggerManual {
		t.Fatalf("first run: %+v", r)
	}
	if im.maxSeen.Load() != 1 || im.calls.Load() != 1 {
		t.Fatalf("imports overlapped or repeated: max %d, calls %d", im.maxSeen.Load(), im.calls.Load())
	}
	if runs, _ := st.Runs(context.Background(), "inbox", 0); len(runs) != 1 {
		t.Fatalf("%d runs recorded, want 1", len(runs))
	}
	// Once finished, the source can run again.
	if r, err := s.RunNow(context.Background(), "inbox", "ben"); err != nil || r.Seen != 0 {
		t.Fatalf("run after the first: %+v %v", r, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(context.Background(), "inbox", "ana"); !errors.Is(err, imports.ErrStopping) {
		t.Fatalf("after Stop: %v", err)
	}
}

// Stop waits for a running import within its time, then cancels it.
func TestStopWaitsBoundedTime(t *testing.T) {
	root := t.TempDir()
	p := parsePlan(t, "sources:\n  - {name: inbox, path: in/, dataset: revenue}\n")
	im := &fakeImporter{gate: make(chan struct{}), started: make(chan struct{}, 1)}
	s, _ := New(Options{Plan: p, Importer: im, Store: newMemStore(), Root: root, Log: quietLog(), Settle: time.Millisecond})
	s.makeFolders(p)
	os.WriteFile(filepath.Join(root, "in", "a.csv"), []byte("x"), 0o644)
	go s.RunNow(context.Background(), "inbox", "")
	<-im.started
	go func() { time.Sleep(50 * time.Millisecond); close(im.gate) }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("Stop returned after %s, before the import finished", d)
	}
}

// smtpServer is a tiny SMTP server for tests: it speaks enough of the
// protocol (EHLO, MAIL, RCPT, DATA, QUIT) and records each message.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	got  chan string
}

func startSMTP(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, got: make(chan string, 10)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(l string) { io.WriteString(c, l+"\r\n") }
	say("220 localhost test SMTP")
	var env []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-localhost")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"), strings.HasPrefix(cmd, "RCPT TO:"):
			env = append(env, strings.TrimSpace(line))
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			msg := strings.Join(env, "\n") + "\n" + b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, msg)
			s.mu.Unlock()
			s.got <- msg
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		case cmd == "RSET", cmd == "NOOP":
			say("250 OK")
		default:
			say("502 not implemented")
		}
	}
}

// A failed run raises an alert by webhook and by email; three failures in
// a row raise one more. A webhook that fails is retried in the background
// and never fails or holds up the run.
func TestAlertsOnFailedRuns(t *testing.T) {
	t.Setenv("PLANDASH_TEST_HOOK_TOKEN", "s3cret")
	var hookCalls atomic.Int32
	hooks := make(chan Alert, 20)
	okHook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookCalls.Add(1)
		if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook headers: %v", r.Header)
		}
		var a Alert
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			t.Error(err)
		}
		hooks <- a
	}))
	defer okHook.Close()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
	defer gone.Close()
	mail := startSMTP(t)

	p := parsePlan(t, `sources:
  - {name: feed, url: "`+gone.URL+`/data.csv", dataset: revenue}
alerts:
  webhook: {url: "`+okHook.URL+`", token: "{env.PLANDASH_TEST_HOOK_TOKEN}"}
  email: {to: [it@example.org], from: plandash@example.org, smtp: "`+mail.ln.Addr().String()+`"}
`)
	s, err := New(Options{Plan: p, Importer: &fakeImporter{}, Store: newMemStore(), Root: t.TempDir(), Log: quietLog(),
		Backoff: 5 * time.Millisecond, Getenv: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	s.alerts.start()
	r, err := s.RunNow(context.Background(), "feed", "ana")
	if err != nil || r.Status != imports.RunFailed || !strings.Contains(r.Error, "404") || r.Attempts != 1 {
		t.Fatalf("run of a 404 URL: %+v %v", r, err)
	}
	a := waitAlert(t, hooks)
	if a.Event != EventRunFailed || a.Source != "feed" || a.Run == nil || a.Run.ID != r.ID || !strings.Contains(a.Text, "404") {
		t.Fatalf("webhook alert: %+v", a)
	}
	select {
	case m := <-mail.got:
		for _, want := range []string{"MAIL FROM:<plandash@example.org>", "RCPT TO:<it@example.org>", "Subject: plandash: run of source feed failed", "404"} {
			if !strings.Contains(m, want) {
				t.Errorf("the email lacks %q:\n%s", want, m)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no email")
	}
	// Two more failures: the third in a row says the source is failing.
	for i := 0; i < 2; i++ {
		if _, err := s.RunNow(context.Background(), "feed", "ana"); err != nil {
			t.Fatal(err)
		}
	}
	var events []string
	for i := 0; i < 3; i++ {
		events = append(events, waitAlert(t, hooks).Event)
	}
	if strings.Join(events, ",") != "run_failed,run_failed,source_failing" {
		t.Errorf("events %v", events)
	}

	// Now the webhook fails: the run is not held up nor failed by it, and
	// the delivery is tried again in the background.
	var failCalls atomic.Int32
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		failCalls.Add(1)
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer bad.Close()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "a,b\n1,2\n") }))
	defer ok.Close()
	p2 := parsePlan(t, `sources:
  - {name: feed, url: "`+ok.URL+`/data.csv", dataset: revenue}
  - {name: gone, url: "`+gone.URL+`/x.csv", dataset: revenue}
alerts:
  webhook: {url: "`+bad.URL+`"}
  email: {to: [it@example.org], from: plandash@example.org, smtp: "`+mail.ln.Addr().String()+`"}
`)
	if err := s.Reload(p2); err != nil {
		t.Fatal(err)
	}
	// "gone" is new to the plan: the reload runs it once (a catch-up).
	st := s.opt.Store.(*memStore)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if last, _ := st.Runs(context.Background(), "gone", 1); len(last) == 1 && last[0].Status != imports.RunRunning {
			r = last[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new source did not run after the reload")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r.Trigger != imports.TriggerCatchUp || r.Status != imports.RunFailed || !strings.Contains(r.Error, "404") {
		t.Fatalf("run with a failing webhook: %+v", r)
	}
	if d := r.Finished.Sub(r.Started); d > 2*time.Second {
		t.Fatalf("the run waited for the webhook (%s)", d)
	}
	select {
	case <-mail.got: // the email still goes out
	case <-time.After(5 * time.Second):
		t.Fatal("no email when the webhook fails")
	}
	r, err = s.RunNow(context.Background(), "feed", "")
	if err != nil || r.Status != imports.RunOK || r.Imported != 1 {
		t.Fatalf("a good run after a failed delivery: %+v %v", r, err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for failCalls.Load() < alertAttempts && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := failCalls.Load(); n != alertAttempts {
		t.Errorf("the failing webhook was tried %d times, want %d", n, alertAttempts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.Stop(ctx)
}

func waitAlert(t *testing.T, ch chan Alert) Alert {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook alert")
	}
	return Alert{}
}

// A file source is read again when its size, time or content changes; a
// file over max_bytes is refused.
func TestFileSourceReadAgainWhenChanged(t *testing.T) {
	root := t.TempDir()
	p := parsePlan(t, "sources:\n  - {name: budget, file: exports/budget.csv, dataset: revenue, max_bytes: 64}\n")
	im := &fakeImporter{}
	st := newMemStore()
	s, err := New(Options{Plan: p, Importer: im, Store: st, Root: root, Log: quietLog(), Settle: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	run := func() *imports.Run {
		t.Helper()
		r, err := s.RunNow(context.Background(), "budget", "")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := run(); r.Status != imports.RunFailed || !strings.Contains(r.Error, "exports/budget.csv") {
		t.Fatalf("a missing file: %+v", r)
	}
	path := filepath.Join(root, "exports", "budget.csv")
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, []byte("a,b\n1,2\n"), 0o644)
	if r := run(); r.Status != imports.RunOK || r.Imported != 1 || r.Seen != 1 {
		t.Fatalf("a new file: %+v", r)
	}
	if r := run(); r.Seen != 0 || im.calls.Load() != 1 {
		t.Fatalf("an unchanged file was read again: %+v", r)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(path, later, later)
	if r := run(); r.Seen != 1 || r.Imported != 0 || im.calls.Load() != 1 || !strings.Contains(strings.Join(r.Notes, " "), "content has not changed") {
		t.Fatalf("a touched file with the same content: %+v", r)
	}
	os.WriteFile(path, []byte("a,b\n1,3\n"), 0o644)
	if r := run(); r.Imported != 1 || im.calls.Load() != 2 {
		t.Fatalf("a changed file: %+v", r)
	}
	os.WriteFile(path, []byte(strings.Repeat("x", 100)), 0o644)
	if r := run(); r.Status != imports.RunFailed || r.Failed != 1 || !strings.Contains(r.Error, "max_bytes") || im.calls.Load() != 2 {
		t.Fatalf("a file over max_bytes: %+v", r)
	}
}

// After each run (and daily) the indicators' statuses are compared with the
// last ones seen: going off track, coming back, and becoming overdue each
// raise one alert; the first check only records.
func TestIndicatorStatusAlerts(t *testing.T) {
	hooks := make(chan Alert, 20)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a Alert
		json.NewDecoder(r.Body).Decode(&a)
		hooks <- a
	}))
	defer hook.Close()
	p := parsePlan(t, `indicators:
  - id: gf-revenue
    title: General Fund revenue
    dataset: revenue
    measure: sum(actual)
    grain: month
    targets: {by_period: {"2026-10": 100}}
    measures: [G1.O1]
alerts:
  webhook: {url: "`+hook.URL+`"}
`)
	var now atomic.Value
	now.Store(time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC))
	st := newMemStore()
	s, err := New(Options{Plan: p, Importer: &fakeImporter{}, Store: st, Root: t.TempDir(), Log: quietLog(),
		Now: func() time.Time { return now.Load().(time.Time) }})
	if err != nil {
		t.Fatal(err)
	}
	s.alerts.start()
	defer s.Stop(context.Background())
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	st.setValue(oct, 50)
	s.checkIndicators(context.Background())
	if got := st.status["gf-revenue"]; got.Status != string(plan.OffTrack) || got.Overdue {
		t.Fatalf("first check recorded %+v", got)
	}
	noAlert := func() {
		t.Helper()
		select {
		case a := <-hooks:
			t.Fatalf("unexpected alert: %+v", a)
		case <-time.After(50 * time.Millisecond):
		}
	}
	noAlert()
	st.setValue(oct, 120)
	s.checkIndicators(context.Background())
	a := waitAlert(t, hooks)
	if a.Event != EventIndicatorStatus || a.Indicator != "gf-revenue" || a.Status != string(plan.OnTrack) || a.Previous != string(plan.OffTrack) ||
		!strings.Contains(a.Subject, "no longer off track") {
		t.Fatalf("back on track: %+v", a)
	}
	s.checkIndicators(context.Background())
	noAlert()
	st.setValue(oct, 40)
	s.checkIndicators(context.Background())
	if a := waitAlert(t, hooks); !strings.Contains(a.Subject, "is now off track") {
		t.Fatalf("off track: %+v", a)
	}
	now.Store(time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC))
	s.checkIndicators(context.Background())
	if a := waitAlert(t, hooks); !strings.Contains(a.Subject, "is overdue") || a.Overdue == nil || !*a.Overdue {
		t.Fatalf("overdue: %+v", a)
	}
}

// reminderImporter also lists strategy update reminders.
type reminderImporter struct {
	fakeImporter
	list []plan.Reminder
}

func (r *reminderImporter) StrategyReminders(context.Context, time.Time, int) ([]plan.Reminder, error) {
	return r.list, nil
}

// Strategy update reminders go once each, to the department's contact.
func TestStrategyReminders(t *testing.T) {
	hooks := make(chan Alert, 20)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a Alert
		json.NewDecoder(r.Body).Decode(&a)
		hooks <- a
	}))
	defer hook.Close()
	p := parsePlan(t, `alerts:
  webhook: {url: "`+hook.URL+`"}
`)
	due := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	im := &reminderImporter{list: []plan.Reminder{
		{Strategy: "G1.O1.S1", Text: "Develop standards", Department: "Finance", Contact: "finance@city.example", Due: due},
		{Strategy: "G1.O1.S2", Text: "Launch programs", Department: "Human Resources", Due: due.AddDate(0, -2, 0), Overdue: true, Days: 30},
	}}
	s, err := New(Options{Plan: p, Importer: im, Store: newMemStore(), Root: t.TempDir(), Log: quietLog(),
		Now: func() time.Time { return time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	s.alerts.start()
	defer s.Stop(context.Background())
	s.checkReminders(context.Background())
	got := map[string]Alert{}
	for i := 0; i < 2; i++ {
		a := waitAlert(t, hooks)
		got[a.Strategy] = a
	}
	if a := got["G1.O1.S1"]; a.Event != EventReminder || len(a.To) != 1 || a.To[0] != "finance@city.example" || !strings.Contains(a.Subject, "Update due") {
		t.Fatalf("reminder before the due date: %+v", a)
	}
	if a := got["G1.O1.S2"]; !strings.Contains(a.Subject, "overdue") || len(a.To) != 0 {
		t.Fatalf("overdue reminder: %+v", a)
	}
	// Each reminder goes once.
	s.checkReminders(context.Background())
	select {
	case a := <-hooks:
		t.Fatalf("a reminder was sent twice: %+v", a)
	case <-time.After(100 * time.Millisecond):
	}
}
