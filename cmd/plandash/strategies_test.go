package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/auth"
)

// writeTracker writes a strategy tracker workbook as another spreadsheet
// program would: headers in people's words, statuses as people type them,
// dates as real Excel dates and as text in two forms, a percentage as a
// number, as text with % and as a fraction in a cell formatted as a
// percentage. As of the tests' clock (2026-11-26):
//
//	G1.O1.S1 in progress, 45%, due 3/31/2027: not late
//	G1.O1.S2 done, due 2025-03-31: complete, not late
//	G1.O1.S3 behind schedule, 30%, due 2026-06-30: late by 149 days
//	G2.O1.S1 not yet started, due 12/31/2026, a milestone due 2026-09-30 not done: late by 57 days
func writeTracker(t *testing.T, path string, status3 string) {
	t.Helper()
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "Progress")
	f.NewSheet("Milestones")
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	pctStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 9})
	rows := [][]any{
		{"Strategy ID", "As of", "Status", "% Complete", "Department", "Lead", "Due Date", "Next Milestone", "Milestone Date", "Update"},
		{"G1.O1.S1", d(2025, 3, 31), "In Progress", 45, "Communications & Public Affairs", "Web manager", "3/31/2027", "Standards drafted", "2025-06-30", "Drafting the standards with each department."},
		{"G1.O1.S2", "3/31/2025", "DONE", "100%", "human resources", nil, "2025-03-31", nil, nil, "The program launched in March."},
		{"G1.O1.S3", "2025-03-31", status3, 0.3, "City Clerk", nil, d(2026, 6, 30), nil, nil, "Vendor delays."},
		{"G2.O1.S1", d(2025, 3, 31), "Not yet started", 0, "Public Safety", nil, "12/31/2026", "Site survey", d(2026, 9, 30), nil},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Progress", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	f.SetCellStyle("Progress", "B2", "B5", dateStyle)
	f.SetCellStyle("Progress", "G2", "G5", dateStyle)
	f.SetCellStyle("Progress", "I2", "I5", dateStyle)
	f.SetCellStyle("Progress", "D4", "D4", pctStyle)
	ms := [][]any{
		{"Strategy", "Milestone", "Due", "Completed"},
		{"G2.O1.S1", "Site survey", d(2026, 9, 30), nil},
		{"G2.O1.S1", "Community meeting", "12/15/2026", nil},
		{"G1.O1.S1", "Standards drafted", "2025-06-30", d(2025, 6, 20)},
	}
	for i, r := range ms {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Milestones", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// startServerOn starts a server on the database of getenv.
func startServerOn(t *testing.T, getenv func(string) string) *server {
	t.Helper()
	cfg, p := testConfig(t, getenv)
	cfg.Addr = "127.0.0.1:0"
	s, err := startServer(context.Background(), cfg, p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(5 * time.Second) })
	return s
}

// strategyItem is the list item of a strategy on a scorecard or goal page.
func strategyItem(t *testing.T, page, id string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<li class="strategy" id="` + regexp.QuoteMeta(id) + `">.*?</li>`)
	m := re.FindString(page)
	if m == "" {
		t.Fatalf("no list item for strategy %s", id)
	}
	return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m, " ")), " ")
}

// apiStrategyJSON is the part of /api/v1/strategies/ID the tests read.
type apiStrategyJSON struct {
	ID              string   `json:"id"`
	Status          *string  `json:"status"`
	PercentComplete *float64 `json:"percent_complete"`
	DueDate         *string  `json:"due_date"`
	Late            bool     `json:"late"`
	DaysLate        int      `json:"days_late"`
	UpdateOverdue   bool     `json:"update_overdue"`
	OwnerDepartment *string  `json:"owner_department"`
	Updates         []struct {
		AsOf    string `json:"as_of"`
		Status  string `json:"status"`
		Author  string `json:"author"`
		Current bool   `json:"current"`
	} `json:"updates"`
	Milestones []struct {
		Name     string `json:"name"`
		Late     bool   `json:"late"`
		DaysLate int    `json:"days_late"`
	} `json:"milestones"`
}

func getStrategy(t *testing.T, base, id string) apiStrategyJSON {
	t.Helper()
	code, body := get(t, base+"/api/v1/strategies/"+id)
	if code != 200 {
		t.Fatalf("/api/v1/strategies/%s: %d %s", id, code, body)
	}
	var s apiStrategyJSON
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStrategyTrackerImportShowsEverywhere(t *testing.T) {
	getenv := env(t, nil)
	file := filepath.Join(t.TempDir(), "Strategy tracker FY25 Q3.xlsx")
	writeTracker(t, file, "behind schedule")
	code, out, errOut := runCmd(t, getenv, "import", file)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"profile:   strategy-tracker (detected", "dataset:   strategy_progress, strategy_milestones", "7 loaded"} {
		if !strings.Contains(out, want) {
			t.Errorf("the import report lacks %q:\n%s", want, out)
		}
	}
	s := startServerOn(t, getenv)
	base := "http://" + s.Addr()

	want := []struct {
		id, status            string
		pct                   float64
		due                   string
		late                  bool
		days                  int
		page                  []string
		notOnPage             []string
		department, milestone string
	}{
		{"G1.O1.S1", "on schedule", 45, "2027-03-31", false, 0, []string{"On schedule", "45% complete", "due March 31, 2027"}, []string{"Late"}, "Communications & Public Affairs", ""},
		{"G1.O1.S2", "complete", 100, "2025-03-31", false, 0, []string{"Complete", "100% complete", "due March 31, 2025"}, []string{"Late"}, "Human Resources", ""},
		{"G1.O1.S3", "behind", 30, "2026-06-30", true, 149, []string{"Behind", "30% complete", "due June 30, 2026", "Late by 149 day(s)"}, nil, "City Clerk", ""},
		{"G2.O1.S1", "not started", 0, "2026-12-31", true, 57, []string{"Not started", "0% complete", "due December 31, 2026", "Late by 57 day(s)"}, nil, "Public Safety", "Site survey"},
	}
	_, scorecard := get(t, base+"/")
	for _, w := range want {
		item := strategyItem(t, scorecard, w.id)
		for _, p := range w.page {
			if !strings.Contains(item, p) {
				t.Errorf("scorecard, %s: %q lacks %q", w.id, item, p)
			}
		}
		for _, p := range w.notOnPage {
			if strings.Contains(item, p) {
				t.Errorf("scorecard, %s: %q says %q", w.id, item, p)
			}
		}
		got := getStrategy(t, base, w.id)
		if got.Status == nil || *got.Status != w.status || got.PercentComplete == nil || *got.PercentComplete != w.pct ||
			got.DueDate == nil || *got.DueDate != w.due || got.Late != w.late || got.DaysLate != w.days {
			t.Errorf("API %s: %+v; want %s, %v%%, due %s, late %v by %d", w.id, got, w.status, w.pct, w.due, w.late, w.days)
		}
		if got.OwnerDepartment == nil || *got.OwnerDepartment != w.department {
			t.Errorf("API %s: department %v, want %s", w.id, got.OwnerDepartment, w.department)
		}
		if len(got.Updates) != 1 || got.Updates[0].AsOf != "2025-03-31" || !got.Updates[0].Current {
			t.Errorf("API %s: updates %+v; want the one of 2025-03-31", w.id, got.Updates)
		}
		// Reported in March 2025, quarterly: the next update is long overdue.
		if !got.UpdateOverdue == (w.status != "complete") {
			t.Errorf("API %s: update overdue %v", w.id, got.UpdateOverdue)
		}
	}
	// The tracker superseded the sample reports: strategies it does not
	// name have no status now.
	if got := getStrategy(t, base, "G4.O2.S1"); got.Status != nil || got.Late || len(got.Updates) != 0 {
		t.Errorf("a strategy the tracker does not name: %+v", got)
	}
	if item := strategyItem(t, scorecard, "G4.O2.S1"); !strings.Contains(item, "No update yet") {
		t.Errorf("scorecard, G4.O2.S1: %q", item)
	}
	// The objective's roll-up counts its strategies, by the rule the page states.
	if !strings.Contains(scorecard, "Strategies count too") || !strings.Contains(scorecard, "Strategies (3): 1 complete, 1 on schedule, 1 behind; 1 late") {
		t.Errorf("the scorecard does not state the strategies' roll-up")
	}
	if got := getStrategy(t, base, "G2.O1.S1"); len(got.Milestones) != 2 || !got.Milestones[0].Late || got.Milestones[0].DaysLate != 57 || got.Milestones[1].Late {
		t.Errorf("G2.O1.S1 milestones: %+v", got.Milestones)
	}

	// The late page: by days late, then by department.
	_, late := get(t, base+"/late")
	text := strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(late, " ")), " ")
	i3, i2 := strings.Index(text, "G1.O1.S3"), strings.Index(text, "Milestone: Site survey")
	if i3 < 0 || i2 < 0 || i3 > i2 || !strings.Contains(text, "149") || !strings.Contains(text, "57") {
		t.Errorf("the late page does not list G1.O1.S3 (149 days) before the Site survey milestone (57 days):\n%s", text)
	}
	for _, id := range []string{"G1.O1.S1", "G1.O1.S2"} {
		if strings.Contains(text, id) {
			t.Errorf("the late page lists %s, which is not late", id)
		}
	}
	if !strings.Contains(late, `aria-sort="descending"`) || !strings.Contains(late, `href="/late?sort=department"`) {
		t.Error("the late page's headers do not sort")
	}
	_, late = get(t, base+"/late?sort=department")
	text = strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(late, " ")), " ")
	if i3, i2 := strings.Index(text, "City Clerk"), strings.Index(text, "Public Safety"); i3 < 0 || i2 < 0 || i3 > i2 {
		t.Errorf("sorted by department, City Clerk does not come before Public Safety:\n%s", text)
	}

	// The strategy page: status, due date, lateness, milestones, history.
	code, page := get(t, base+"/strategies/G2.O1.S1")
	if code != 200 {
		t.Fatalf("/strategies/G2.O1.S1: %d", code)
	}
	for _, want := range []string{"Not started", "December 31, 2026", "Late by 57 day(s)", "Site survey", "Community meeting", `id="chart-milestones"`,
		"Public Safety", "Updates on strategy G2.O1.S1", "March 31, 2025"} {
		if !strings.Contains(page, want) {
			t.Errorf("the strategy page lacks %q", want)
		}
	}
	if code, _ := get(t, base+"/strategies/G9.O9.S9"); code != 404 {
		t.Errorf("an unknown strategy: %d, want 404", code)
	}
}

func TestStrategyTrackerRefusesUnknownWords(t *testing.T) {
	getenv := env(t, nil)
	file := filepath.Join(t.TempDir(), "tracker.xlsx")
	writeTracker(t, file, "Stalled")
	code, out, _ := runCmd(t, getenv, "import", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, `Progress!C4: "Stalled" is not one of the accepted words: not started, on schedule, behind, complete, on hold, cancelled (column status)`) {
		t.Errorf("the report does not name the cell and the accepted words:\n%s", out)
	}
	if !strings.Contains(out, "0 loaded") {
		t.Errorf("rows were loaded:\n%s", out)
	}
}

func TestStrategyFormUpdateIsAnUndoableImport(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	cl := newClient(t, base)
	if code := cl.signIn("ed", "editor password!"); code != 303 {
		t.Fatalf("sign in: %d", code)
	}
	id := "G1.O2.S2"
	before := getStrategy(t, base, id)
	tok := cl.csrf("/strategies/" + id)
	form := url.Values{"_csrf": {tok}, "status": {"behind"}, "percent_complete": {"1"}, "due_date": {"2026-10-31"},
		"next_milestone": {"Vendor <selected>"}, "next_milestone_date": {"2026-12-15"}, "update": {"Waiting on the vendor."}}
	code, body, hdr := cl.do("POST", "/strategies/"+id, form, nil)
	if code != 303 || !strings.Contains(hdr.Get("Location"), "saved=") {
		t.Fatalf("save: %d %s %s", code, hdr.Get("Location"), body)
	}
	var imp int
	fmt.Sscanf(hdr.Get("Location")[strings.Index(hdr.Get("Location"), "saved=")+6:], "%d", &imp)
	after := getStrategy(t, base, id)
	if after.Status == nil || *after.Status != "behind" || *after.PercentComplete != 1 || *after.DueDate != "2026-10-31" || !after.Late || after.DaysLate != 26 {
		t.Fatalf("after the update: %+v", after)
	}
	// The first real report supersedes the sample reports, as real data
	// does in any dataset: the history starts with it.
	if after.UpdateOverdue || len(after.Updates) != 1 || after.Updates[0].AsOf != "2026-11-26" || after.Updates[0].Author != "ed" {
		t.Errorf("the update's history: %+v", after.Updates)
	}
	_, page, _ := cl.do("GET", hdr.Get("Location"), nil, nil)
	if !strings.Contains(page, "Vendor &lt;selected&gt;") || !strings.Contains(page, "Waiting on the vendor.") || !strings.Contains(page, fmt.Sprintf("import #%d", imp)) {
		t.Errorf("the page does not show the update (escaped) and its import")
	}
	// It is an import from a form.
	_, rec, _ := cl.do("GET", fmt.Sprintf("/api/v1/imports/%d", imp), nil, nil)
	if !strings.Contains(rec, `"source":"form"`) {
		t.Errorf("import #%d: %s", imp, rec)
	}
	// The same update again changes nothing; another one the same day
	// corrects it, and the first stays in the history.
	if code, _, hdr := cl.do("POST", "/strategies/"+id, form, nil); code != 303 || !strings.Contains(hdr.Get("Location"), fmt.Sprintf("same=%d", imp)) {
		t.Errorf("the same update again: %d %s", code, hdr.Get("Location"))
	}
	form.Set("status", "on hold")
	code, _, hdr = cl.do("POST", "/strategies/"+id, form, nil)
	if code != 303 {
		t.Fatalf("correction: %d", code)
	}
	var imp2 int
	fmt.Sscanf(hdr.Get("Location")[strings.Index(hdr.Get("Location"), "saved=")+6:], "%d", &imp2)
	if got := getStrategy(t, base, id); *got.Status != "on hold" || len(got.Updates) != 2 || !got.Updates[0].Current || got.Updates[1].Current || got.Updates[1].Status != "behind" {
		t.Errorf("after a correction: %+v", got.Updates)
	}
	// Undo takes them back, newest first.
	for _, n := range []int{imp2, imp} {
		tok = cl.csrf(fmt.Sprintf("/imports/%d", n))
		if code, body, _ := cl.do("POST", fmt.Sprintf("/imports/%d/undo", n), url.Values{"_csrf": {tok}}, nil); code != 303 && code != 200 {
			t.Fatalf("undo #%d: %d %s", n, code, body)
		}
	}
	undone := getStrategy(t, base, id)
	if undone.Status == nil || before.Status == nil || *undone.Status != *before.Status || len(undone.Updates) != len(before.Updates) || undone.Late != before.Late {
		t.Errorf("after undo: %+v; want it as before: %+v", undone, before)
	}
	// Anonymous visitors cannot post an update.
	anon := newClient(t, base)
	if code, _, _ := anon.do("POST", "/strategies/"+id, url.Values{"status": {"complete"}}, nil); code != 401 && code != 403 {
		t.Errorf("an anonymous update: %d", code)
	}
}

// TestBrowserStrategyPages walks from the scorecard to a goal and a
// strategy and back by clicking links, checks that the milestone timeline
// is drawn under the Content-Security-Policy, and runs axe-core on the
// strategy and late pages.
func TestBrowserStrategyPages(t *testing.T) {
	b := getBrowser(t)
	s := startTestServer(t)
	base := "http://" + s.Addr()
	tb := newTab(t, b)
	visit(t, tb, base, "/", "strategies-scorecard")
	id := "G1.O1.S1"
	steps := []struct{ click, want string }{
		{`.goal h2 a[href="/goals/G1"]`, `.goal h2`},
		{`a.strategy-link[href="/strategies/` + id + `"]`, `.strategy-page h1`},
		{`nav.breadcrumb a[href="/goals/G1"]`, `li.strategy[id="` + id + `"]`},
		{`nav.breadcrumb a[href="/"]`, `.plan-intro h1`},
	}
	wantURL := []string{"/goals/G1", "/strategies/" + id, "/goals/G1", "/"}
	for i, st := range steps {
		// The page clicked from may have the awaited element too: wait for
		// the new page to have loaded before looking for it.
		tb.must(t, chromedp.Click(chromedp.CSS(st.click)))
		tb.waitFor(t, fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, wantURL[i]))
		tb.must(t, chromedp.WaitVisible(chromedp.CSS(st.want)))
	}
	if h := tb.text(t, "main"); !strings.Contains(h, "Strategies count too") {
		t.Error("back on the scorecard, the roll-up rule is missing")
	}
	charts := visit(t, tb, base, "/strategies/"+id, "strategy-"+id)
	found := false
	for _, c := range charts {
		if c.ID == "chart-milestones" {
			found = true
			if c.Series < 2 || c.Points == 0 {
				t.Errorf("the milestone timeline: %+v", c)
			}
		}
	}
	if !found {
		t.Errorf("no milestone timeline on /strategies/%s: %+v", id, charts)
	}
	checkAxe(t, tb, "/strategies/"+id)
	visit(t, tb, base, "/late", "late")
	if n := tb.text(t, "main"); !strings.Contains(n, "Days late") {
		t.Errorf("the late page: %s", n)
	}
	checkAxe(t, tb, "/late")
	// Sorting is a link in the table's header.
	tb.must(t, chromedp.Click(chromedp.CSS(`th a[href="/late?sort=department"]`)), chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"]`)))
	checkAxe(t, tb, "/late?sort=department")
}
