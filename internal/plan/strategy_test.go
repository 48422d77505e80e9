package plan

import (
	"strings"
	"testing"
	"time"
)

const strategyPlanYAML = `title: Strategy test plan
start: 2024-01-01
end: 2026-12-31
update_cadence: quarter
departments:
  - {name: Public Works, contact: works@example.gov}
  - {name: Finance, contact: finance@example.gov}
  - {name: Parks}
goals:
  - id: G1
    title: Streets
    objectives:
      - id: G1.O1
        title: Fix streets
        strategies:
          - {id: G1.O1.S1, text: Repave Main Street, owner: Public Works}
          - {id: G1.O1.S2, text: Fill potholes, owner: Public Works, update_cadence: month}
      - id: G1.O2
        title: Parks
        strategies:
          - {id: G1.O2.S1, text: New playground, owner: Parks}
          - {id: G1.O2.S2, text: Plant trees}
  - id: G2
    title: Money
    objectives:
      - id: G2.O1
        title: Budget
        strategies:
          - {id: G2.O1.S1, text: Revenue dashboard, owner: Finance}
`

func strategyPlan(t *testing.T) *Plan {
	t.Helper()
	p, probs, err := Parse("s.yaml", []byte(strategyPlanYAML))
	if err != nil || probs.Errors() > 0 {
		t.Fatalf("%v %v", err, probs)
	}
	return p
}

func TestLateness(t *testing.T) {
	today := day(2025, 4, 10)
	ms := []Milestone{
		{Name: "done late", Due: day(2025, 1, 31), Done: day(2025, 2, 20)},
		{Name: "open", Due: day(2025, 3, 31)},
		{Name: "future", Due: day(2025, 6, 30)},
		{Name: "undated"},
	}
	for _, tc := range []struct {
		name   string
		status ProgressStatus
		due    time.Time
		ms     []Milestone
		late   bool
		days   int
	}{
		{"due in the future", OnSchedule, day(2025, 12, 31), nil, false, 0},
		{"due today is not late", OnSchedule, today, nil, false, 0},
		{"due yesterday", OnSchedule, day(2025, 4, 9), nil, true, 1},
		{"past due, complete", Complete, day(2025, 1, 1), nil, false, 0},
		{"past due, cancelled", Cancelled, day(2025, 1, 1), ms, false, 0},
		{"past due, on hold", OnHold, day(2025, 3, 31), nil, true, 10},
		{"past due, not started", NotStarted, day(2025, 4, 1), nil, true, 9},
		{"no due date", Behind, time.Time{}, nil, false, 0},
		{"a milestone past due and not done", OnSchedule, day(2025, 12, 31), ms, true, 10},
		{"the most days of both", Behind, day(2024, 12, 31), ms, true, 100},
		{"done milestones do not count", OnSchedule, time.Time{}, ms[:1], false, 0},
	} {
		late, days := Lateness(tc.status, tc.due, tc.ms, today)
		if late != tc.late || days != tc.days {
			t.Errorf("%s: late %v %d days; want %v %d", tc.name, late, days, tc.late, tc.days)
		}
	}
}

func TestStandingsLatestUpdateLatenessAndCadence(t *testing.T) {
	p := strategyPlan(t)
	pct := func(f float64) *float64 { return &f }
	updates := []ProgressUpdate{
		{Strategy: "G1.O1.S1", AsOf: day(2025, 3, 31), Status: OnSchedule, Percent: pct(40), Due: day(2025, 12, 31), Current: true},
		{Strategy: "G1.O1.S1", AsOf: day(2025, 6, 30), Status: Behind, Percent: pct(50), Due: day(2025, 5, 31), Current: true},
		// A correction replaced this version: it is history, not current.
		{Strategy: "G1.O1.S1", AsOf: day(2025, 9, 30), Status: Complete, Current: false},
		{Strategy: "G1.O1.S2", AsOf: day(2025, 6, 15), Status: OnSchedule, Current: true},
		{Strategy: "G2.O1.S1", AsOf: day(2025, 1, 15), Status: Complete, Due: day(2025, 1, 1), Current: true},
		{Strategy: "G1.O2.S1", AsOf: day(2025, 6, 1), Status: OnHold, Department: "Finance", Current: true},
		{Strategy: "nope", AsOf: day(2025, 6, 1), Status: OnHold, Current: true},
	}
	ms := []Milestone{
		{Strategy: "G1.O2.S1", Name: "B", Due: day(2025, 6, 1)},
		{Strategy: "G1.O2.S1", Name: "A", Due: day(2025, 6, 1)},
		{Strategy: "G1.O2.S1", Name: "undated"},
		{Strategy: "G1.O2.S1", Name: "first", Due: day(2025, 5, 1), Done: day(2025, 5, 2)},
	}
	today := day(2025, 7, 20)
	sts := Standings(p, updates, ms, today)
	if len(sts) != 5 {
		t.Fatalf("%d standings, want one per strategy (5)", len(sts))
	}
	by := map[string]Standing{}
	for _, st := range sts {
		by[st.Strategy.ID] = st
	}
	s1 := by["G1.O1.S1"]
	if s1.Latest == nil || s1.Status() != Behind || *s1.Latest.Percent != 50 {
		t.Fatalf("G1.O1.S1 latest: %+v", s1.Latest)
	}
	if !s1.Late || !s1.PastDue || s1.DaysLate != 50 {
		t.Errorf("G1.O1.S1: late %v past due %v %d days; want late by 50 days", s1.Late, s1.PastDue, s1.DaysLate)
	}
	if s1.Department != "Public Works" || s1.Cadence != Quarter || !s1.UpdateDue.Equal(day(2025, 9, 30)) || s1.UpdateOverdue {
		t.Errorf("G1.O1.S1: department %q cadence %s update due %s overdue %v", s1.Department, s1.Cadence, s1.UpdateDue, s1.UpdateOverdue)
	}
	s2 := by["G1.O1.S2"]
	if s2.Cadence != Month || !s2.UpdateDue.Equal(day(2025, 7, 15)) || !s2.UpdateOverdue {
		t.Errorf("G1.O1.S2 (monthly): update due %s overdue %v", s2.UpdateDue, s2.UpdateOverdue)
	}
	done := by["G2.O1.S1"]
	if done.Late || done.UpdateOverdue {
		t.Errorf("a complete strategy is late %v or overdue %v", done.Late, done.UpdateOverdue)
	}
	hold := by["G1.O2.S1"]
	if hold.Department != "Finance" {
		t.Errorf("the update's department wins over the plan's owner: %q", hold.Department)
	}
	var names []string
	for _, m := range hold.Milestones {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "first,A,B,undated" {
		t.Errorf("milestones in order %v", names)
	}
	if !hold.Late || hold.DaysLate != 49 || hold.PastDue || len(hold.LateMilestones()) != 2 {
		t.Errorf("on hold with late milestones: late %v %d days, past due %v, %d late milestones", hold.Late, hold.DaysLate, hold.PastDue, len(hold.LateMilestones()))
	}
	none := by["G1.O2.S2"]
	if none.Latest != nil || none.Status() != "" || none.Late {
		t.Errorf("no update: %+v", none)
	}
	// Without any update, the first is due one cadence after the plan starts.
	if !none.UpdateDue.Equal(day(2024, 4, 1)) || !none.UpdateOverdue {
		t.Errorf("no update: due %s overdue %v", none.UpdateDue, none.UpdateOverdue)
	}
}

func TestRollUpAllCountsStrategies(t *testing.T) {
	st := func(s ProgressStatus, late bool) Standing {
		x := Standing{Late: late}
		if s != "" {
			x.Latest = &ProgressUpdate{Status: s}
		}
		return x
	}
	on := Assessment{Status: OnTrack}
	off := Assessment{Status: OffTrack}
	nt := Assessment{Status: NoTarget}
	for _, tc := range []struct {
		name string
		as   []Assessment
		sts  []Standing
		want Status
	}{
		{"indicators only", []Assessment{on}, nil, OnTrack},
		{"a late strategy is off track", []Assessment{on}, []Standing{st(OnSchedule, true)}, OffTrack},
		{"behind is at risk", []Assessment{on}, []Standing{st(Behind, false), st(Complete, false)}, AtRisk},
		{"on hold is at risk", nil, []Standing{st(OnHold, false)}, AtRisk},
		{"on schedule and complete are on track", nil, []Standing{st(OnSchedule, false), st(Complete, false)}, OnTrack},
		{"a late not-started strategy is off track", nil, []Standing{st(NotStarted, true)}, OffTrack},
		{"not started, cancelled and no update do not count", []Assessment{nt}, []Standing{st(NotStarted, false), st(Cancelled, false), st("", false)}, NoTarget},
		{"nothing to judge", nil, []Standing{st("", false)}, NoData},
		{"an off-track indicator outweighs strategies", []Assessment{off}, []Standing{st(Complete, false)}, OffTrack},
	} {
		r := RollUpAll(tc.as, tc.sts)
		if r.Status != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, r.Status, tc.want)
		}
		if r.Strategies != len(tc.sts) || r.Total != len(tc.as) {
			t.Errorf("%s: counted %d strategies, %d indicators", tc.name, r.Strategies, r.Total)
		}
	}
	r := RollUpAll(nil, []Standing{st(Behind, true), st(Behind, false), st("", false), {Latest: &ProgressUpdate{Status: OnSchedule}, UpdateOverdue: true}})
	if r.StrategyCounts[Behind] != 2 || r.Late != 1 || r.NoUpdate != 1 || r.UpdateOverdue != 1 {
		t.Errorf("counts: %+v", r)
	}
}

func TestLateItemsAndSort(t *testing.T) {
	p := strategyPlan(t)
	updates := []ProgressUpdate{
		{Strategy: "G1.O1.S1", AsOf: day(2025, 6, 30), Status: Behind, Due: day(2025, 5, 31), Current: true},
		{Strategy: "G2.O1.S1", AsOf: day(2025, 6, 30), Status: OnSchedule, Due: day(2025, 7, 10), Current: true},
		{Strategy: "G1.O2.S2", AsOf: day(2025, 6, 30), Status: Complete, Due: day(2025, 1, 1), Current: true},
	}
	ms := []Milestone{
		{Strategy: "G2.O1.S1", Name: "Design", Due: day(2025, 3, 1)},
		{Strategy: "G1.O2.S2", Name: "Closed strategies do not count", Due: day(2025, 3, 1)},
	}
	items := LateItems(Standings(p, updates, ms, day(2025, 7, 20)))
	var got []string
	for _, it := range items {
		got = append(got, it.Strategy.ID+"/"+it.Milestone+"/"+it.Department)
	}
	want := "G2.O1.S1/Design/Finance G1.O1.S1//Public Works G2.O1.S1//Finance"
	if strings.Join(got, " ") != want {
		t.Errorf("by days late: %v\nwant %s", got, want)
	}
	if items[0].DaysLate != 141 || items[1].DaysLate != 50 || items[2].DaysLate != 10 {
		t.Errorf("days late %d %d %d", items[0].DaysLate, items[1].DaysLate, items[2].DaysLate)
	}
	SortLate(items, SortByDepartment)
	got = got[:0]
	for _, it := range items {
		got = append(got, it.Strategy.ID+"/"+it.Milestone)
	}
	if strings.Join(got, " ") != "G2.O1.S1/Design G2.O1.S1/ G1.O1.S1/" {
		t.Errorf("by department: %v", got)
	}
}

func TestReminders(t *testing.T) {
	p := strategyPlan(t)
	updates := []ProgressUpdate{
		// Quarterly, last update 2025-04-30: next due 2025-07-30.
		{Strategy: "G1.O1.S1", AsOf: day(2025, 4, 30), Status: OnSchedule, Current: true},
		// Monthly, last update 2025-05-31: due 2025-06-30, overdue by 20 days.
		{Strategy: "G1.O1.S2", AsOf: day(2025, 5, 31), Status: Behind, Current: true},
		// Due 2025-10-15: too far off for a reminder.
		{Strategy: "G2.O1.S1", AsOf: day(2025, 7, 15), Status: OnSchedule, Current: true},
		// Complete: no more updates.
		{Strategy: "G1.O2.S1", AsOf: day(2024, 1, 1), Status: Complete, Current: true},
	}
	today := day(2025, 7, 20)
	rs := Reminders(p, Standings(p, updates, nil, today), today, DefaultReminderLead)
	var got []string
	for _, r := range rs {
		got = append(got, r.Key()+" "+r.Department+" "+r.Contact)
	}
	want := []string{
		// G1.O2.S2 has no update and no owner: due one quarter after the plan's start.
		"G1.O2.S2 2024-04-01 overdue  ",
		"G1.O1.S2 2025-06-30 overdue Public Works works@example.gov",
		"G1.O1.S1 2025-07-30 due Public Works works@example.gov",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reminders:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rs[1].Days != 20 || rs[2].Days != 10 || rs[0].Text != "Plant trees" {
		t.Errorf("days %d %d, text %q", rs[1].Days, rs[2].Days, rs[0].Text)
	}
	// A reminder starts lead days before the update is due (2025-07-30).
	has := func(today time.Time) bool {
		for _, r := range Reminders(p, Standings(p, updates, nil, today), today, 14) {
			if r.Strategy == "G1.O1.S1" {
				return true
			}
		}
		return false
	}
	if has(day(2025, 7, 15)) || !has(day(2025, 7, 16)) || !has(day(2025, 7, 30)) || !has(day(2025, 8, 30)) {
		t.Errorf("a reminder 15 days before: %v, 14 days before: %v, on the day: %v, after: %v",
			has(day(2025, 7, 15)), has(day(2025, 7, 16)), has(day(2025, 7, 30)), has(day(2025, 8, 30)))
	}
}

func TestStrategyDatasetsAndProfileInEveryPlan(t *testing.T) {
	p := strategyPlan(t)
	for _, name := range []string{ProgressDataset, MilestonesDataset} {
		if ds := p.Datasets[name]; ds == nil || !ds.Builtin {
			t.Errorf("the plan lacks the built-in dataset %s", name)
		}
	}
	if p.Profile("strategy-tracker") == nil {
		t.Error("the strategy-tracker profile is not available")
	}
	col := p.Datasets[ProgressDataset].Column("status")
	for typed, want := range map[string]string{
		"In progress": "on schedule", "On Track": "on schedule", "DONE": "complete", "Completed": "complete",
		"Behind schedule": "behind", "Delayed": "behind", "late": "behind", "Not yet  started": "not started",
		"paused": "on hold", " on-hold ": "on hold", "Cancelled": "cancelled",
	} {
		if got, ok := col.Canonical(typed); !ok || got != want {
			t.Errorf("%q reads as %q %v, want %q", typed, got, ok, want)
		}
	}
	if _, ok := col.Canonical("stalled"); ok {
		t.Error(`"stalled" was accepted`)
	}
	for _, s := range ProgressStatuses {
		if got, ok := col.Canonical(string(s)); !ok || got != string(s) {
			t.Errorf("status %q is not a value of the column", s)
		}
	}
}

// TestBuiltinDatasetsPassTheChecks runs every built-in dataset through the
// checks a plan's own dataset gets.
func TestBuiltinDatasetsPassTheChecks(t *testing.T) {
	b, err := BuiltinDatasets()
	if err != nil {
		t.Fatal(err)
	}
	for name, ds := range b {
		c := &checker{file: "builtin_datasets.yaml"}
		c.checkDataset(ds)
		for _, pr := range c.probs {
			t.Errorf("%s: %s", name, pr)
		}
	}
}

func TestColumnRulesAndCadenceAreChecked(t *testing.T) {
	src := strings.Replace(strategyPlanYAML, "update_cadence: quarter", "update_cadence: weekly", 1) + `datasets:
  - name: permits
    columns:
      - {name: kind, type: integer, values: [a, b]}
      - {name: state, type: text, values: [open, closed, Open], synonyms: {shut: closd, open: closed}}
      - {name: share, type: integer, percent: points}
      - {name: pct, type: decimal, percent: fraction}
      - {name: who, type: text, refers: person}
`
	_, probs, _ := Parse("bad.yaml", []byte(src))
	var msgs []string
	for _, pr := range probs {
		msgs = append(msgs, pr.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`update_cadence "weekly" must be month, quarter, year or fiscal_year`,
		"column kind: values and synonyms need a text column, not integer",
		`column state: values "open" and "Open" are the same word`,
		`column state: synonym "shut" means "closd", which is not one of the values`,
		`column state: synonym "open" is already the value`,
		"column share: percent: points needs a decimal column, not integer",
		`column pct: percent "fraction" must be points`,
		`column who: refers "person" must be one of`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no problem %q in:\n%s", want, all)
		}
	}
}
