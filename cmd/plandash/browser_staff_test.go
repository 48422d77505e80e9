package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plandash/plandash/internal/auth"
)

// writeRidershipCSV writes a ridership template for October 2026; bad puts
// text into the trips cell of one row.
func writeRidershipCSV(t *testing.T, path string, trips string) {
	t.Helper()
	body := "Month,Mode,Type of service,Unlinked passenger trips\n" +
		"2026-09,MB,PT,88000\n" +
		"2026-10,MB,PT," + trips + "\n" +
		"2026-10,DR,PT,2000\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (tb *tab) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (tb *tab) shot(t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t), name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (tb *tab) must(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls a condition in the page across navigations (a poll that
// a navigation interrupts starts again on the new page).
func (tb *tab) waitFor(t *testing.T, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if _, err = chromedp.Run(tb.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(5*time.Second))); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: %v", expr, err)
}

// latestValue is the big number on an indicator page.
func (tb *tab) latestValue(t *testing.T, base, id string) string {
	t.Helper()
	tb.must(t, chromedp.Navigate(base+"/indicators/"+id), chromedp.WaitVisible(chromedp.CSS(".indicator-value .value")))
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](`document.documentElement.dataset.chartsReady === "1"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(tb.text(t, ".indicator-value .value"))
}

func TestBrowserStaffWorkflow(t *testing.T) {
	b := getBrowser(t)
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "finance", auth.RoleEditor, "finance staff password")
	tb := newTab(t, b)
	dir := t.TempDir()

	before := tb.latestValue(t, base, "transit-boardings")

	// Sign in.
	tb.must(t, chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "finance"), chromedp.SendKeys(chromedp.CSS("#password"), "finance staff password"),
		chromedp.Click(chromedp.CSS("form.form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("form.signout")))
	tb.shot(t, "staff-1-signed-in")

	upload := func(file string) {
		tb.must(t, chromedp.Navigate(base+"/datasets/transit_ridership/upload"), chromedp.WaitVisible(chromedp.CSS("#file")),
			chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
			chromedp.Click(chromedp.CSS("form[data-upload] button[type=submit]")))
		tb.waitFor(t, `location.pathname.startsWith("/previews/") && !document.querySelector("[data-poll]") && document.readyState === "complete"`)
	}

	// A workbook with one bad cell: the preview names the cell and offers no commit.
	bad := filepath.Join(dir, "ridership-october.csv")
	writeRidershipCSV(t, bad, "12x")
	upload(bad)
	body := tb.text(t, "main")
	if !strings.Contains(body, `ridership-october.csv!D3: "12x"`) {
		t.Fatalf("the preview does not name the bad cell:\n%s", body)
	}
	if strings.Contains(body, "Commit the import") {
		t.Fatal("a file with an error can be committed")
	}
	tb.shot(t, "staff-2-preview-with-error")

	// The corrected file: preview, then commit.
	good := filepath.Join(dir, "ridership-october-fixed.csv")
	writeRidershipCSV(t, good, "123456")
	upload(good)
	tb.shot(t, "staff-3-preview-ok")
	tb.must(t, chromedp.Click(chromedp.CSS(`form[action$="/commit"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/undo"]`)))
	tb.shot(t, "staff-4-committed")
	importURL, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}

	after := tb.latestValue(t, base, "transit-boardings")
	if after != "125,456" {
		t.Fatalf("after the import the latest boardings read %q, want 125,456 (was %q)", after, before)
	}
	tb.shot(t, "staff-5-indicator-after-import")

	// Undo: the value goes back.
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.confirm = function () { return true; }; true`)); err != nil {
		t.Fatal(err)
	}
	tb.must(t, chromedp.Navigate(importURL), chromedp.WaitVisible(chromedp.CSS(`form[action$="/undo"]`)))
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.confirm = function () { return true; }; true`)); err != nil {
		t.Fatal(err)
	}
	// The import page has banners before the undo too: wait for the page
	// the undo answers with.
	tb.must(t, chromedp.Click(chromedp.CSS(`form[action$="/undo"] button`)))
	tb.waitFor(t, `location.pathname.endsWith("/undo") && document.readyState === "complete"`)
	tb.must(t, chromedp.WaitVisible(chromedp.CSS(".banner")))
	tb.shot(t, "staff-6-undone")
	if got := tb.latestValue(t, base, "transit-boardings"); got != before {
		t.Fatalf("after undo the latest boardings read %q, want %q", got, before)
	}

	// Enter a value by hand from the indicator page.
	tb.must(t, chromedp.Click(chromedp.CSS(`a[href^="/datasets/transit_ridership/entry"]`)), chromedp.WaitVisible(chromedp.CSS("#f-month")),
		chromedp.SetValue(chromedp.CSS("#f-month"), "2026-10"), chromedp.SetValue(chromedp.CSS("#f-mode"), "MB"),
		chromedp.SetValue(chromedp.CSS("#f-type_of_service"), "PT"), chromedp.SetValue(chromedp.CSS("#f-unlinked_trips"), "99999"))
	tb.shot(t, "staff-7-manual-entry")
	tb.must(t, chromedp.Click(chromedp.CSS(".entry-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".indicator-value .value")))
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](`document.documentElement.dataset.chartsReady === "1"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(tb.text(t, ".indicator-value .value")); got != "99,999" {
		t.Fatalf("after a manual entry the latest boardings read %q, want 99,999", got)
	}
	tb.shot(t, "staff-8-after-manual-entry")

	// Sign out.
	tb.must(t, chromedp.Click(chromedp.CSS("form.signout button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/signin"]`)))
	errs, _ := tb.problems()
	for _, e := range errs {
		t.Errorf("browser: %s", e)
	}
}
