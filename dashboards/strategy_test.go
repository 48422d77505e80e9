package dashboards

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

func init() {
	for k, v := range map[string]string{
		"strategy.milestones.none":         "No milestones have been reported.",
		"strategy.milestones.summary":      "{{.Total}} milestone(s): {{.Done}} done, {{.Late}} late, {{.Open}} to come.",
		"strategy.milestones.summary_late": "{{.Total}} milestone(s): {{.Done}} done, {{.Late}} late, {{.Open}} to come. {{.Name}} was due {{.Due}} and is {{.Days}} day(s) late.",
		"strategy.chart.today":             "Today",
		"strategy.chart.strategy_due":      "Strategy due",
		"strategy.chart.due":               "Due",
		"strategy.chart.done":              "Done",
		"strategy.chart.late":              "Late, not done",
	} {
		catalog[k] = v
	}
}

func milestoneStanding() plan.Standing {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	s := &plan.Strategy{ID: "G1.O1.S1", Text: "Repave </script> Main Street"}
	return plan.Standing{
		Strategy: s,
		Today:    d(2025, 7, 20),
		Latest:   &plan.ProgressUpdate{Strategy: s.ID, Status: plan.Behind, Due: d(2025, 12, 31)},
		Milestones: []plan.Milestone{
			{Strategy: s.ID, Name: "Design <approved>", Due: d(2025, 2, 28), Done: d(2025, 3, 3)},
			{Strategy: s.ID, Name: "Contract awarded", Due: d(2025, 6, 30)},
			{Strategy: s.ID, Name: "Paving done", Due: d(2025, 11, 30)},
		},
	}
}

func TestMilestoneChart(t *testing.T) {
	st := milestoneStanding()
	c, err := MilestoneChart("chart-milestones", st, english{}, false)
	if err != nil {
		t.Fatal(err)
	}
	js := string(c.Options)
	if c.ID != "chart-milestones" || c.Points != 4 {
		t.Errorf("id %s, %d points; want chart-milestones and 4 (3 due dates, 1 done)", c.ID, c.Points)
	}
	// No code in the options (the page's Content-Security-Policy allows
	// none), and text from files cannot close the data island.
	for _, bad := range []string{"function", "=>", "<", ">"} {
		if strings.Contains(js, bad) {
			t.Errorf("the options contain %q: %s", bad, js)
		}
	}
	var o struct {
		XAxis []struct {
			Type     string `json:"type"`
			Min, Max string
		} `json:"xAxis"`
		YAxis []struct {
			Type string   `json:"type"`
			Data []string `json:"data"`
		} `json:"yAxis"`
		Series []struct {
			Name     string                     `json:"name"`
			Data     []struct{ Value []string } `json:"data"`
			MarkLine *struct {
				Data []struct{ Name, XAxis string } `json:"data"`
			} `json:"markLine"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(c.Options), &o); err != nil {
		t.Fatal(err)
	}
	if o.XAxis[0].Type != "time" || o.XAxis[0].Min != "2025-01-01" || o.XAxis[0].Max != "2026-02-01" {
		t.Errorf("x axis %+v; want a time axis from January 2025 to February 2026", o.XAxis[0])
	}
	if o.YAxis[0].Type != "category" || strings.Join(o.YAxis[0].Data, "|") != "Design <approved>|Contract awarded|Paving done" {
		t.Errorf("y axis %+v", o.YAxis[0])
	}
	got := map[string]int{}
	for _, s := range o.Series {
		got[s.Name] = len(s.Data)
	}
	if got["Due"] != 2 || got["Done"] != 1 || got["Late, not done"] != 1 {
		t.Errorf("series %v; want 2 due, 1 done, 1 late", got)
	}
	if m := o.Series[0].MarkLine; m == nil || len(m.Data) != 2 || m.Data[0].XAxis != "2025-07-20" || m.Data[1].XAxis != "2025-12-31" {
		t.Errorf("mark lines %+v; want today and the strategy's due date", o.Series[0].MarkLine)
	}
	want := "3 milestone(s): 1 done, 1 late, 1 to come. Contract awarded was due Jun 30, 2025 and is 20 day(s) late."
	if s := MilestoneSummary(st, english{}); s != want || c.Label != want {
		t.Errorf("summary %q (label %q), want %q", s, c.Label, want)
	}
	rows := MilestoneTable(st)
	if len(rows) != 3 || rows[0].Done != "Mar 3, 2025" || !rows[1].Late || rows[1].DaysLate != 20 || rows[2].Late {
		t.Errorf("table %+v", rows)
	}
	// A complete strategy has no late milestones.
	st.Latest.Status = plan.Complete
	if rows := MilestoneTable(st); rows[1].Late {
		t.Error("a milestone of a complete strategy counts as late")
	}
	if s := MilestoneSummary(plan.Standing{Strategy: st.Strategy}, english{}); s != "No milestones have been reported." {
		t.Errorf("no milestones: %q", s)
	}
}
