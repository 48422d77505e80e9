package plan

import (
	"context"
	"testing"
	"time"
)

// targetRows is a Source that also holds imported targets.
type targetRows struct {
	fakeCells
	rows []TargetRow
}

func (t targetRows) IndicatorTargets(context.Context, string) ([]TargetRow, error) {
	return t.rows, nil
}

// fakeCells answers every query with the same monthly cells.
type fakeCells []Cell

func (f fakeCells) Aggregate(context.Context, Query) ([]Cell, error) { return f, nil }

func f64(v float64) *float64 { return &v }

func bandsPlan(t *testing.T, targets string, extra string) (*Plan, *Indicator) {
	t.Helper()
	src := `title: T
start: 2024-01-01
end: 2026-12-31
fiscal_year_start_month: 7
` + extra + `
goals:
  - id: G1
    title: G
    objectives:
      - id: G1.O1
        title: O
datasets: [transit_ridership]
indicators:
  - id: trips
    title: Trips
    dataset: transit_ridership
    measure: sum(unlinked_trips)
    grain: month
    measures: [G1.O1]
` + targets
	p, probs, err := Parse("bands.yaml", []byte(src))
	if err != nil {
		t.Fatal(err, probs)
	}
	return p, p.Indicator("trips")
}

func TestMinimumAndStretchTargets(t *testing.T) {
	p, in := bandsPlan(t, `    targets:
      by_period: {"2025": 100}
      minimum: {"2025": 80}
      stretch: {"2025": 120}
`, "")
	now := time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		value   float64
		want    Status
		stretch bool
	}{
		{125, OnTrack, true}, {100, OnTrack, false}, {85, AtRisk, false}, {79, OffTrack, false},
	}
	for _, c := range cases {
		src := fakeCells{{Period: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Value: c.value}}
		s, err := Compute(context.Background(), p, in, src, now, true)
		if err != nil {
			t.Fatal(err)
		}
		a := Assess(s, now, 0)
		if a.Status != c.want || a.StretchMet != c.stretch {
			t.Errorf("value %v: %s (stretch %v), want %s (%v)", c.value, a.Status, a.StretchMet, c.want, c.stretch)
		}
		// Without the minimum, 85 is 85% of target: off track by the default thresholds.
	}
	pt := func(v float64) *Series {
		s, _ := Compute(context.Background(), p, in, fakeCells{{Period: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Value: v}}, now, true)
		return s
	}
	if s := pt(90); s.Points[0].Minimum == nil || *s.Points[0].Minimum != 80 || *s.Points[0].Stretch != 120 {
		t.Fatalf("the point lacks its minimum and stretch: %+v", s.Points[0])
	}
}

func TestImportedTargetsReplaceThePlanFile(t *testing.T) {
	p, in := bandsPlan(t, `    targets:
      sample: true
      by_period: {"2025": 100}
`, "")
	now := time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC)
	src := targetRows{fakeCells: fakeCells{{Period: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Value: 90}},
		rows: []TargetRow{{Period: "FY2026", Target: f64(90)}}}
	s, err := Compute(context.Background(), p, in, src, now, true)
	if err != nil {
		t.Fatal(err)
	}
	if !s.TargetsImported || s.Points[0].Target == nil || *s.Points[0].Target != 90 {
		t.Fatalf("imported target not used: %+v", s.Points[0])
	}
	if a := Assess(s, now, 0); a.Status != OnTrack {
		t.Fatalf("status %s against the imported target", a.Status)
	}
}

func TestPerCapita(t *testing.T) {
	p, in := bandsPlan(t, `    per_capita: 1000
`, `population: {"2020": 100000, "2024": 200000}`)
	now := time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC)
	src := fakeCells{
		{Period: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), Value: 500},
		{Period: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Value: 500},
	}
	s, err := Compute(context.Background(), p, in, src, now, true)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, pt := range s.Points {
		if pt.Value != nil {
			got[pt.Period.Key()] = *pt.Value
		}
	}
	if got["2023-06"] != 5 || got["2025-06"] != 2.5 {
		t.Fatalf("per 1,000 residents: %v, want 5 (2023, population of 2020) and 2.5 (2025, of 2024)", got)
	}
	if _, probs, err := Parse("x.yaml", []byte(`title: T
start: 2024-01-01
end: 2026-12-31
goals: [{id: G1, title: G, objectives: [{id: G1.O1, title: O}]}]
datasets: [transit_ridership]
indicators:
  - {id: trips, title: Trips, dataset: transit_ridership, measure: sum(unlinked_trips), per_capita: 1000, measures: [G1.O1]}
`)); err == nil {
		t.Fatalf("per_capita without a population passed: %v", probs)
	}
}
