package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is the one headless Chromium of this test package (2 cores: one
// browser, many tabs).
type browser struct {
	ctx    context.Context
	cancel context.CancelFunc
}

var (
	browserOnce sync.Once
	theBrowser  *browser
	browserErr  error
)

func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium found: run `make browser` (installs Debian's chromium) or `make test-short` to run the tests without a browser")
}

func getBrowser(t *testing.T) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests do not run with -short")
	}
	browserOnce.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			browserErr = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.UserDataDir(filepath.Join(os.TempDir(), fmt.Sprintf("plandash-chromium-%d", os.Getpid()))),
			chromedp.WindowSize(1280, 900),
		}
		actx, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, cancel := chromedp.NewContext(actx)
		if err := chromedp.Do(bctx); err != nil {
			browserErr = fmt.Errorf("chromium did not start: %w", err)
			cancel()
			return
		}
		theBrowser = &browser{ctx: bctx, cancel: cancel}
	})
	if browserErr != nil {
		t.Fatal(browserErr)
	}
	return theBrowser
}

func TestMain(m *testing.M) {
	code := m.Run()
	if theBrowser != nil {
		theBrowser.cancel()
	}
	os.Exit(code)
}

// tab is one page under test, recording console errors, log entries (CSP
// violations and failed loads arrive there) and every request's host.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	errors []string
	hosts  map[string]bool
}

func newTab(t *testing.T, b *browser) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	ctx, cancel2 := context.WithTimeout(ctx, 5*time.Minute)
	tb := &tab{ctx: ctx, cancel: func() { cancel2(); cancel() }, hosts: map[string]bool{}}
	err := chromedp.Listen(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				tb.errors = append(tb.errors, fmt.Sprintf("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL))
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value))
				}
				tb.errors = append(tb.errors, "console: "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
			tb.errors = append(tb.errors, "exception: "+msg)
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(e.Request.URL); err == nil && u.Host != "" {
				tb.hosts[u.Host] = true
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tb.cancel)
	return tb
}

// problems returns what was recorded since the last call, and forgets it.
func (tb *tab) problems() ([]string, []string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var hosts []string
	for h := range tb.hosts {
		hosts = append(hosts, h)
	}
	errs := tb.errors
	tb.errors, tb.hosts = nil, map[string]bool{}
	return errs, hosts
}

// chartInfo is what the page's chart starter reports of each chart.
type chartInfo struct {
	ID     string `json:"id"`
	Series int    `json:"series"`
	Points int    `json:"points"`
}

const chartsJS = `(window.plandashCharts || []).map(function (c) {
  var o = c.instance.getOption(), n = 0;
  (o.series || []).forEach(function (s) { (s.data || []).forEach(function (d) {
    var v = (d && typeof d === 'object' && !Array.isArray(d)) ? d.value : d;
    if (v !== '-' && v !== null && v !== undefined) n++; }); });
  return {id: c.id, series: (o.series || []).length, points: n};
})`

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("PLANDASH_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// visit opens a page, waits until its charts say they are drawn, checks
// that every chart has data and that nothing went wrong, and saves a
// screenshot.
func visit(t *testing.T, tb *tab, base, path, shot string) []chartInfo {
	t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](`document.documentElement.dataset.chartsReady === "1"`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("%s: the charts never said they were drawn: %v", path, err)
	}
	charts, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]chartInfo](chartsJS))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: screenshot: %v", path, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t), shot+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	errs, hosts := tb.problems()
	for _, e := range errs {
		t.Errorf("%s: %s", path, e)
	}
	own := strings.TrimPrefix(base, "http://")
	for _, h := range hosts {
		if h != own {
			t.Errorf("%s requested another host: %s", path, h)
		}
	}
	for _, c := range charts {
		if c.Points == 0 {
			t.Errorf("%s: chart %s was drawn without data", path, c.ID)
		}
	}
	return charts
}

func TestBrowserEveryPage(t *testing.T) {
	b := getBrowser(t)
	s := startTestServer(t)
	base := "http://" + s.Addr()
	p := s.plan

	tb := newTab(t, b)
	charts := visit(t, tb, base, "/", "scorecard")
	if len(charts) != len(p.Indicators) {
		t.Errorf("scorecard drew %d charts, want one sparkline per indicator (%d)", len(charts), len(p.Indicators))
	}
	for _, g := range p.Goals {
		visit(t, tb, base, "/goals/"+g.ID, "goal-"+g.ID)
	}
	if charts := visit(t, tb, base, "/embed/indicators/transit-boardings", "embed"); len(charts) != 1 {
		t.Errorf("the embed page drew %d charts, want 1", len(charts))
	}
	if charts := visit(t, tb, base, "/finance", "finance"); len(charts) < 3 {
		t.Errorf("the finance dashboard drew %d charts, want budget, categories and changes", len(charts))
	}
	for _, in := range p.Indicators {
		charts := visit(t, tb, base, "/indicators/"+in.ID, "indicator-"+in.ID)
		found := false
		for _, c := range charts {
			if c.ID == "chart-"+in.ID {
				found = true
				if c.Series < 1 {
					t.Errorf("indicator %s: main chart has no series", in.ID)
				}
			}
		}
		if !found {
			t.Errorf("indicator %s: no main chart on its page", in.ID)
		}
	}
}

func TestBrowserScorecardShowsWholePlan(t *testing.T) {
	b := getBrowser(t)
	s := startTestServer(t)
	tb := newTab(t, b)
	if err := chromedp.Do(tb.ctx, chromedp.Navigate("http://"+s.Addr()+"/"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector('details.plan-values').open = true; document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	text = norm(text)
	want := []string{s.plan.Vision, s.plan.Mission}
	want = append(want, s.plan.Values...)
	for _, g := range s.plan.Goals {
		want = append(want, g.Title)
		for _, o := range g.Objectives {
			want = append(want, o.Title)
			for _, st := range o.Strategies {
				want = append(want, st.Text)
			}
		}
	}
	for _, w := range want {
		if !strings.Contains(text, norm(w)) {
			t.Errorf("the scorecard does not show %q", w)
		}
	}
	for _, w := range []string{"Sample data", "Sample targets", "plan period", "is over"} {
		if !strings.Contains(text, w) {
			t.Errorf("the scorecard does not say %q", w)
		}
	}
}
