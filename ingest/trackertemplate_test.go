package ingest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/plan"
	"github.com/xuri/excelize/v2"
)

const trackerPlanYAML = `title: Tracker test plan
start: 2024-01-01
end: 2026-12-31
departments:
  - {name: Public Works, contact: works@example.gov}
  - {name: Finance}
goals:
  - id: G1
    title: Streets
    objectives:
      - id: G1.O1
        title: Fix streets
        strategies:
          - {id: G1.O1.S1, text: Repave Main Street, owner: Public Works}
          - {id: G1.O1.S2, text: Fill potholes in a week}
          - {id: G1.O1.S3, text: Publish a pavement index}
  - id: G2
    title: Money
    objectives:
      - id: G2.O1
        title: Balance the budget
        strategies:
          - {id: G2.O1.S1, text: Build a revenue dashboard}
          - {id: G2.O1.S2, text: Review fees}
`

func trackerPlan(t testing.TB) *plan.Plan {
	t.Helper()
	p, probs, err := plan.Parse("tracker.yaml", []byte(trackerPlanYAML))
	if err != nil || probs.Errors() > 0 {
		t.Fatalf("tracker plan: %v %v", err, probs)
	}
	if p.Profile("strategy-tracker") == nil {
		t.Fatalf("the strategy-tracker profile is not available: %v", probs)
	}
	return p
}

func trackerTemplate(t testing.TB, p *plan.Plan) []byte {
	t.Helper()
	var buf bytes.Buffer
	opt := TemplateOptions{Title: p.Title, Allowed: map[string][]string{
		"strategy_id": p.RefValues(plan.RefStrategy), "owner_department": p.RefValues(plan.RefDepartment)}}
	if err := WriteTrackerTemplate(&buf, p.Datasets[plan.ProgressDataset], p.Datasets[plan.MilestonesDataset], opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTrackerTemplateReadsBackInOneImport(t *testing.T) {
	p := trackerPlan(t)
	b := trackerTemplate(t, p)
	if again := trackerTemplate(t, p); !bytes.Equal(b, again) {
		t.Error("two tracker templates of one plan differ")
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	sheets := f.GetSheetList()
	for _, want := range []string{TrackerProgressSheet, TrackerMilestonesSheet, TemplateInstructionsSheet} {
		if !slices.Contains(sheets, want) {
			t.Errorf("no sheet %q in %v", want, sheets)
		}
	}
	if slices.Contains(sheets, TemplateListsSheet) {
		if v, _ := f.GetSheetVisible(TemplateListsSheet); v {
			t.Error("the Lists sheet is visible")
		}
	}
	// Status and strategy id are drop-down lists.
	dvs, err := f.GetDataValidations(TrackerProgressSheet)
	if err != nil {
		t.Fatal(err)
	}
	lists := 0
	for _, dv := range dvs {
		if dv.Type == "list" {
			lists++
			if strings.HasPrefix(dv.Sqref, "C2:") && !strings.Contains(dv.Formula1, "on schedule") {
				t.Errorf("status drop-down %q lacks the status words", dv.Formula1)
			}
		}
	}
	if lists < 3 {
		t.Errorf("%d drop-down lists on the progress sheet; want strategy, status and department", lists)
	}

	// Filled as a person does in Excel: words as typed, dates as dates and
	// as text, percentages three ways.
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	rows := [][]any{
		{"G1.O1.S1", d(2025, 3, 31), "In Progress", 45, "public works", "Ana", "3/31/2026", "Design", "2025-06-30", "Designs out to bid"},
		{"g1.o1.s2", "3/31/2025", "DONE", 1, nil, nil, "2025-03-31"},
		{"G2.O1.S1", "2025-03-31", "behind schedule", "80%", "Finance", nil, d(2025, 1, 31)},
		{" G2.O1.S2 ", d(2025, 3, 31), "  not yet  STARTED ", 0.25},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(TrackerProgressSheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetSheetRow(TrackerMilestonesSheet, "A2", &[]any{"G1.O1.S1", "Designs approved", d(2025, 2, 28), d(2025, 3, 3)}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow(TrackerMilestonesSheet, "A3", &[]any{"G1.O1.S1", "Contract awarded", "6/30/2025"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	res, err := Read(ReadRequest{Name: "our tracker.xlsx", Data: buf.Bytes(), Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Profile.Name != "strategy-tracker" {
		t.Fatalf("profile %s (%s), want strategy-tracker", res.Profile.Name, res.Reason)
	}
	if res.ErrorCount > 0 {
		t.Fatalf("errors: %v", cellErrors(res.Errors))
	}
	got := batchRows(t, res, plan.ProgressDataset)
	if len(got) != 4 {
		t.Fatalf("%d progress rows, want 4: %v", len(got), got)
	}
	want := []map[string]any{
		{"strategy_id": "G1.O1.S1", "as_of": d(2025, 3, 31), "status": "on schedule", "percent_complete": 45.0, "owner_department": "Public Works",
			"lead": "Ana", "due_date": d(2026, 3, 31), "next_milestone": "Design", "next_milestone_date": d(2025, 6, 30), "update": "Designs out to bid"},
		{"strategy_id": "G1.O1.S2", "as_of": d(2025, 3, 31), "status": "complete", "percent_complete": 100.0, "due_date": d(2025, 3, 31)},
		{"strategy_id": "G2.O1.S1", "as_of": d(2025, 3, 31), "status": "behind", "percent_complete": 80.0, "owner_department": "Finance", "due_date": d(2025, 1, 31)},
		{"strategy_id": "G2.O1.S2", "as_of": d(2025, 3, 31), "status": "not started", "percent_complete": 25.0},
	}
	for i, w := range want {
		for k, v := range w {
			if !tmplSameValue(got[i][k], v) {
				t.Errorf("row %d %s = %#v, want %#v", i+2, k, got[i][k], v)
			}
		}
	}
	ms := batchRows(t, res, plan.MilestonesDataset)
	if len(ms) != 2 || ms[0]["name"] != "Designs approved" || !tmplSameValue(ms[0]["done_date"], d(2025, 3, 3)) || !tmplSameValue(ms[1]["due_date"], d(2025, 6, 30)) {
		t.Errorf("milestones: %v", ms)
	}
}

func TestTrackerCellErrorsNameTheAcceptedWords(t *testing.T) {
	p := trackerPlan(t)
	data := buildXLSX(t,
		fixtureSheet{name: "Progress", rows: [][]any{
			{"Strategy ID", "As of", "Status", "% Complete", "Department"},
			{"G1.O1.S1", "2025-03-31", "Stalled", "45", ""},
			{"G9.O1.S1", "2025-03-31", "done", "150", "Parks"},
		}},
	)
	res, err := Read(ReadRequest{Name: "tracker.xlsx", Data: data, Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	errs := strings.Join(cellErrors(res.Errors), "\n")
	for _, want := range []string{
		`Progress!C2: "Stalled" is not one of the accepted words: not started, on schedule, behind, complete, on hold, cancelled (column status)`,
		`Progress!A3: "G9.O1.S1" is not the id of a strategy of the plan (G1.O1.S1, G1.O1.S2, G1.O1.S3, G2.O1.S1, G2.O1.S2) (column strategy_id)`,
		`Progress!D3: "150" is not a percentage from 0 to 100 (column percent_complete)`,
		`Progress!E3: "Parks" is not a department of the plan (departments: Public Works, Finance) (column owner_department)`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("no error %s in:\n%s", want, errs)
		}
	}
}

func TestPercentPoints(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		v    float64
		want float64
		bad  bool
	}{
		{"45%", 0.45, 45, false},
		{"45", 45, 45, false},
		{"0.45", 0.45, 45, false},
		{"1", 1, 100, false},
		{"1%", 0.01, 1, false},
		{"100%", 1, 100, false},
		{"0", 0, 0, false},
		{"7%", 0.07, 7, false},
		{"12.5", 12.5, 12.5, false},
		{"150%", 1.5, 0, true},
		{"101", 101, 0, true},
		{"-5", -5, 0, true},
	} {
		got, err := percentPoints(tc.raw, tc.v)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("percentPoints(%q, %v) = %v, %v; want %v (bad %v)", tc.raw, tc.v, got, err, tc.want, tc.bad)
		}
	}
}
