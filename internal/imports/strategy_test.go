package imports

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

func TestStrategyUpdateAndReminders(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	// A report typed on a strategy's page: words as the form sends them.
	rep, err := e.im.StrategyUpdate(ctx, map[string]string{"strategy_id": "G1.O1.S1", "as_of": "2025-03-14", "status": "behind",
		"percent_complete": "40%", "due_date": "2025-06-30", "owner_department": "Finance", "update": "Slipping."}, "ed")
	if err != nil || rep.Status != store.StatusLoaded {
		t.Fatalf("update: %v %+v", err, rep)
	}
	recs, _ := e.im.History(ctx, plan.ProgressDataset, 1)
	if len(recs) != 1 || recs[0].Source != SourceForm || recs[0].Profile != plan.ProgressDataset || recs[0].User != "ed" {
		t.Errorf("ledger: %+v", recs)
	}
	// Quarterly: the next update is due 2025-06-14; reminded from 14 days before.
	rs, err := e.im.StrategyReminders(ctx, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), 14)
	if err != nil {
		t.Fatal(err)
	}
	var mine *plan.Reminder
	for i := range rs {
		if rs[i].Strategy == "G1.O1.S1" {
			mine = &rs[i]
		}
	}
	if mine == nil || mine.Overdue || mine.Days != 13 || mine.Department != "Finance" || mine.Due.Format("2006-01-02") != "2025-06-14" {
		t.Fatalf("reminder of G1.O1.S1: %+v", mine)
	}
	// Strategies without any report: due a quarter after the plan began.
	if len(rs) != 40 || !rs[0].Overdue {
		t.Errorf("%d reminders; want all 40 strategies, the others overdue", len(rs))
	}
	// An unknown status word is refused with the accepted words.
	rep, err = e.im.StrategyUpdate(ctx, map[string]string{"strategy_id": "G1.O1.S1", "as_of": "2025-03-15", "status": "stalled"}, "ed")
	if err != nil || rep.Status != store.StatusRejected || len(rep.Errors) != 1 {
		t.Fatalf("a bad word: %v %+v", err, rep)
	}
}

func TestTrackerTemplateImportsInOneGo(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	if err := e.im.TrackerTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	f.SetSheetRow("Progress", "A2", &[]any{"G4.O1.S1", "2025-03-31", "On track", 0.5, "Community Development"})
	f.SetSheetRow("Milestones", "A2", &[]any{"G4.O1.S1", "Draft plan", "2025-06-30"})
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	rep := e.run(t, Request{Name: "strategy-tracker.xlsx", Data: out.Bytes(), User: "ana"})
	if rep.Status != store.StatusLoaded || rep.Profile != "strategy-tracker" || rep.RowsLoaded != 2 || len(rep.Datasets) != 2 {
		t.Fatalf("%s", rep.Text())
	}
}
