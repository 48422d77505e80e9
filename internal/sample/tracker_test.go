package sample

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/plandash/plandash/ingest"
	"github.com/plandash/plandash/internal/plan"
)

func norwalkPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, _, err := plan.LoadFile("../../data/norwalk-2023-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readTracker reads the tracker sample through its profile, as the server
// imports it, and returns the reports and milestones.
func readTracker(t *testing.T, p *plan.Plan, f File) ([]plan.ProgressUpdate, []plan.Milestone) {
	t.Helper()
	res, err := ingest.Read(ingest.ReadRequest{Name: f.Name, Data: f.Data, Plan: p, Profile: f.Profile})
	if err != nil {
		t.Fatal(err)
	}
	if res.ErrorCount > 0 {
		t.Fatalf("the tracker sample has bad cells: %v", res.Errors)
	}
	var ups []plan.ProgressUpdate
	var ms []plan.Milestone
	for _, b := range res.Batches {
		for _, r := range b.Rows {
			m := map[string]any{}
			for i, v := range r.Values {
				m[b.Columns[i]] = v
			}
			switch b.Dataset.Name {
			case plan.ProgressDataset:
				ups = append(ups, plan.ProgressFromValues(m))
			case plan.MilestonesDataset:
				ms = append(ms, plan.MilestoneFromValues(m))
			}
		}
	}
	return ups, ms
}

func TestTrackerCoversEveryStrategyWithHistory(t *testing.T) {
	p := norwalkPlan(t)
	f, err := Tracker(asOf, p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Profile != TrackerProfile || f.Dataset != plan.ProgressDataset || f.Name != "sample-strategy-tracker-2026-10.xlsx" {
		t.Errorf("file %s, profile %s, dataset %s", f.Name, f.Profile, f.Dataset)
	}
	again, _ := Tracker(asOf.AddDate(0, 0, 3), p)
	if !bytes.Equal(f.Data, again.Data) {
		t.Error("two trackers of one month differ")
	}
	ups, ms := readTracker(t, p, f)
	today := plan.Day(asOf, p.Location())
	sts := plan.Standings(p, ups, ms, today)
	if len(sts) != 40 {
		t.Fatalf("%d strategies, want Norwalk's 40", len(sts))
	}
	counts := map[plan.ProgressStatus]int{}
	late, withHistory, withMilestones := 0, 0, 0
	byS := map[string]int{}
	for _, u := range ups {
		byS[u.Strategy]++
		if u.AsOf.After(today) {
			t.Errorf("%s: a report as of %s, after the as-of date", u.Strategy, u.AsOf.Format("2006-01-02"))
		}
		if u.Department == "" || p.Department(u.Department) == nil {
			t.Errorf("%s: department %q is not the plan's", u.Strategy, u.Department)
		}
	}
	for _, st := range sts {
		if st.Latest == nil {
			t.Errorf("%s has no report", st.Strategy.ID)
			continue
		}
		counts[st.Status()]++
		if st.Late {
			late++
		}
		if byS[st.Strategy.ID] >= 3 {
			withHistory++
		}
		if len(st.Milestones) >= 3 {
			withMilestones++
		}
	}
	for _, s := range []plan.ProgressStatus{plan.Complete, plan.OnSchedule, plan.Behind, plan.OnHold, plan.Cancelled} {
		if counts[s] == 0 {
			t.Errorf("no strategy is %s now: %v", s, counts)
		}
	}
	if late < 3 || counts[plan.Complete] < 10 {
		t.Errorf("%d late and %d complete strategies; want some of each: %v", late, counts[plan.Complete], counts)
	}
	if withHistory < 30 || withMilestones != 40 {
		t.Errorf("%d strategies with several quarters of reports, %d with milestones", withHistory, withMilestones)
	}
}

// TestTrackerExtendsItsHistory checks that a later month adds reports and
// done dates without changing the earlier ones, so that the sample loaded
// each month only grows.
func TestTrackerExtendsItsHistory(t *testing.T) {
	p := norwalkPlan(t)
	early, err := Tracker(time.Date(2025, time.August, 10, 0, 0, 0, 0, time.UTC), p)
	if err != nil {
		t.Fatal(err)
	}
	late, err := Tracker(asOf, p)
	if err != nil {
		t.Fatal(err)
	}
	eu, em := readTracker(t, p, early)
	lu, lm := readTracker(t, p, late)
	key := func(u plan.ProgressUpdate) string {
		pct := -1.0
		if u.Percent != nil {
			pct = *u.Percent
		}
		return u.Strategy + u.AsOf.String() + string(u.Status) + u.Text + u.Due.String() + fmt.Sprint(pct)
	}
	var later []string
	for _, u := range lu {
		later = append(later, key(u))
	}
	for _, u := range eu {
		if !slices.Contains(later, key(u)) {
			t.Errorf("%s as of %s changed in a later month", u.Strategy, u.AsOf.Format("2006-01-02"))
		}
	}
	if len(lu) <= len(eu) {
		t.Errorf("%d reports in August 2025, %d in November 2026", len(eu), len(lu))
	}
	done := map[string]time.Time{}
	for _, m := range lm {
		done[m.Strategy+m.Name] = m.Done
	}
	if len(lm) != len(em) {
		t.Errorf("%d milestones, then %d", len(em), len(lm))
	}
	for _, m := range em {
		if d, ok := done[m.Strategy+m.Name]; !ok || (!m.Done.IsZero() && !d.Equal(m.Done)) {
			t.Errorf("milestone %s %s changed", m.Strategy, m.Name)
		}
	}
}
