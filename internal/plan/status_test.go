package plan

import (
	"context"
	"testing"
	"time"
)

// series builds a monthly series by hand: values[i] is the value of the i-th
// period from (y, m) (nil for none), tgts[i] its target.
func series(in *Indicator, y int, m time.Month, vals, tgts []*float64, now time.Time) *Series {
	if in.Grain == "" {
		in.Grain = Month
	}
	if in.Cadence == "" {
		in.Cadence = in.Grain
	}
	s := &Series{Indicator: in}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := PeriodOf(in.Grain, day(y, m, 1), time.July)
	for i, v := range vals {
		q := first.Add(i)
		pt := Point{Period: q, Value: v, Partial: q.End().After(today)}
		if i < len(tgts) {
			pt.Target = tgts[i]
		}
		s.Points = append(s.Points, pt)
		if v != nil {
			n := q
			s.Newest = &n
		}
	}
	return s
}

func f(v float64) *float64 { return &v }

func TestAssessAgainstTarget(t *testing.T) {
	now := day(2024, 9, 15)
	custom := &Thresholds{OnTrack: 0.95, AtRisk: 0.8}
	tests := []struct {
		name       string
		value      float64
		target     float64
		down       bool
		thresholds *Thresholds
		want       Status
		score      float64
	}{
		{"at target", 100, 100, false, nil, OnTrack, 1},
		{"above target", 120, 100, false, nil, OnTrack, 1.2},
		{"at risk from 90%", 90, 100, false, nil, AtRisk, 0.9},
		{"just under 100%", 99.9, 100, false, nil, AtRisk, 0.999},
		{"off track under 90%", 89.9, 100, false, nil, OffTrack, 0.899},
		{"custom on track", 95, 100, false, custom, OnTrack, 0.95},
		{"custom at risk", 94, 100, false, custom, AtRisk, 0.94},
		{"custom off track", 79, 100, false, custom, OffTrack, 0.79},
		// Lower is better: the score is target / value.
		{"down: under target", 80, 100, true, nil, OnTrack, 1.25},
		{"down: at target", 100, 100, true, nil, OnTrack, 1},
		{"down: a little over", 110, 100, true, nil, AtRisk, 100.0 / 110},
		{"down: far over", 125, 100, true, nil, OffTrack, 0.8},
		{"down: zero", 0, 100, true, nil, OnTrack, 0},
		// Changes (yoy) may be negative: a fall is never better than no change.
		{"change: above target", 0.03, 0.02, false, nil, OnTrack, 1.5},
		{"change: none", 0, 0.02, false, nil, OffTrack, 0},
		{"change: a fall", -0.01, 0.02, false, nil, OffTrack, -0.5},
		{"change: target of no change, small fall", -0.05, 0, false, nil, AtRisk, 0.95},
		{"change: target of a fall, met", -0.06, -0.05, true, nil, OnTrack, 1.01},
		{"change: target of a fall, missed", 0.10, -0.05, true, nil, OffTrack, 0.85},
		{"change down: a fall under a ceiling", -0.02, 0.05, true, nil, OnTrack, 1.07},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Indicator{ID: "i", Thresholds: tt.thresholds}
			if tt.down {
				in.Direction = "down"
			}
			s := series(in, 2024, 7, []*float64{f(tt.value)}, []*float64{f(tt.target)}, now)
			a := Assess(s, now, 30)
			if a.Status != tt.want {
				t.Errorf("status %s (score %v), want %s", a.Status, a.Score, tt.want)
			}
			if tt.score != 0 && !near(a.Score, tt.score) {
				t.Errorf("score %v, want %v", a.Score, tt.score)
			}
			if a.Point == nil || a.Point.Period.Key() != "2024-07" || a.ByPace || a.Trend != "" {
				t.Errorf("assessment %+v", a)
			}
		})
	}
}

// TestAssessScoreIsMonotonic: a better value never gets a worse status.
func TestAssessScoreIsMonotonic(t *testing.T) {
	rank := map[Status]int{OffTrack: 0, AtRisk: 1, OnTrack: 2}
	now := day(2024, 9, 15)
	for _, target := range []float64{-0.05, 0, 0.02, 100} {
		for _, down := range []bool{false, true} {
			in := &Indicator{ID: "i"}
			if down {
				in.Direction = "down"
			}
			prev := -1
			for v := -0.2; v <= 0.2; v += 0.001 {
				x := target + v*(1+abs(target))
				if down {
					x = target - v*(1+abs(target))
				}
				a := Assess(series(in, 2024, 7, []*float64{f(x)}, []*float64{f(target)}, now), now, 0)
				if rank[a.Status] < prev {
					t.Fatalf("target %v down %v: value %v is better than the last but %s", target, down, x, a.Status)
				}
				prev = rank[a.Status]
			}
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestAssessTrendWithoutTarget(t *testing.T) {
	now := day(2024, 5, 20)
	tests := []struct {
		name      string
		grain     Grain
		down      bool
		vals      []*float64
		want      Trend
		compared  string
		noCompare bool
	}{
		// Months compare with the same month a year earlier, not the month before.
		{"month improving", Month, false, monthsFrom(100, 500, 500, 110), Improving, "2023-04", false},
		{"month worsening", Month, false, monthsFrom(100, 10, 10, 90), Worsening, "2023-04", false},
		{"month flat within 1%", Month, false, monthsFrom(100, 500, 500, 100.9), Flat, "2023-04", false},
		{"month just over 1%", Month, false, monthsFrom(100, 500, 500, 101.1), Improving, "2023-04", false},
		{"month lower is better", Month, true, monthsFrom(100, 500, 500, 90), Improving, "2023-04", false},
		{"month lower is better, rising", Month, true, monthsFrom(100, 500, 500, 110), Worsening, "2023-04", false},
		// Without last year, the period before.
		{"month without last year", Month, false, []*float64{f(100), f(95)}, Worsening, "2024-03", false},
		{"only one month", Month, false, []*float64{f(100)}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Indicator{ID: "i", Grain: tt.grain}
			if tt.down {
				in.Direction = "down"
			}
			// The series ends in April 2024.
			start := day(2024, 4, 1).AddDate(0, 1-len(tt.vals), 0)
			s := series(in, start.Year(), start.Month(), tt.vals, nil, now)
			a := Assess(s, now, 30)
			if a.Status != NoTarget || a.Trend != tt.want {
				t.Fatalf("status %s trend %q, want no target, %q", a.Status, a.Trend, tt.want)
			}
			if tt.noCompare {
				if a.Compared != nil {
					t.Errorf("compared with %s", a.Compared.Period.Key())
				}
				return
			}
			if a.Compared == nil || a.Compared.Period.Key() != tt.compared {
				t.Errorf("compared with %v, want %s", a.Compared, tt.compared)
			}
		})
	}

	// Years compare with the year before.
	in := &Indicator{ID: "i", Grain: Year}
	s := series(in, 2022, 1, []*float64{f(100), f(120)}, nil, now)
	if a := Assess(s, now, 0); a.Trend != Improving || a.Compared.Period.Key() != "2022" {
		t.Errorf("year: trend %q compared %v", a.Trend, a.Compared)
	}
}

// monthsFrom gives 13 months: first, then 11 months of fill, then last, so the
// last month and the first are a year apart.
func monthsFrom(first, fillA, fillB, last float64) []*float64 {
	out := []*float64{f(first)}
	for i := 0; i < 11; i++ {
		if i%2 == 0 {
			out = append(out, f(fillA))
		} else {
			out = append(out, f(fillB))
		}
	}
	return append(out, f(last))
}

// TestAssessYearToDateTrend: a year to date without a target is compared with
// the same months of the year before, not with the whole of that year.
func TestAssessYearToDateTrend(t *testing.T) {
	p, in := testPlan(t, `    dataset: transit_ridership
    measure: sum(unlinked_trips)
    grain: fiscal_year
    to_date: true
    cadence: month
`)
	// FY2024 has 12 months of 100; FY2025 July to September has 105 each.
	src := canned(t, map[string][]Cell{
		"sum(unlinked_trips) month": append(months(2023, 7, repeat(100, 12)...), months(2024, 7, 105, 105, 105)...),
	})
	now := at(t, 2024, 10, 20, 9)
	s, err := Compute(context.Background(), p, in, src, now, false)
	if err != nil {
		t.Fatal(err)
	}
	a := Assess(s, now, 62)
	if a.Status != NoTarget || a.Trend != Improving {
		t.Fatalf("status %s trend %q, want no target, improving", a.Status, a.Trend)
	}
	if a.Point.Period.Key() != "FY2025" || a.Compared == nil || *a.Compared.Value != 300 || a.Compared.Months != 3 {
		t.Errorf("compared with %+v, want July to September of FY2024 (300)", a.Compared)
	}
}

func TestAssessPace(t *testing.T) {
	const ind = `    dataset: revenue
    measure: sum(actual)
    grain: fiscal_year
    to_date: true
    cadence: month
    targets: {by_period: {FY2025: 100}}
`
	// March 2025: July to February is in, 54 of a target of 100. A straight
	// line expects 67 by now (81%: off track); earlier years had 54%.
	now := at(t, 2025, 3, 20, 9)
	tests := []struct {
		pace   string
		cells  []Cell
		want   Status
		expect float64
	}{
		{"seasonal", seasonalRevenue(2, 2, 2, 2, 2, 40, 2, 2), OnTrack, 54},
		{"linear", seasonalRevenue(2, 2, 2, 2, 2, 40, 2, 2), OffTrack, 200.0 / 3},
		// Behind the seasonal pace: December came in short.
		{"seasonal", seasonalRevenue(2, 2, 2, 2, 2, 35, 2, 2), AtRisk, 54},
		{"seasonal", seasonalRevenue(2, 2, 2, 2, 2, 20, 2, 2), OffTrack, 54},
	}
	for _, tt := range tests {
		t.Run(tt.pace, func(t *testing.T) {
			p, in := testPlan(t, ind+"    pace: "+tt.pace+"\n")
			s, err := Compute(context.Background(), p, in, canned(t, map[string][]Cell{"sum(actual) month": tt.cells}), now, false)
			if err != nil {
				t.Fatal(err)
			}
			a := Assess(s, now, p.Datasets["revenue"].LagDays)
			if a.Status != tt.want || !a.ByPace {
				t.Errorf("status %s by pace %v (score %v), want %s by pace", a.Status, a.ByPace, a.Score, tt.want)
			}
			if a.Point.Expected == nil || !near(*a.Point.Expected, tt.expect) {
				t.Errorf("expected %v, want %v", a.Point.Expected, tt.expect)
			}
		})
	}
}

// TestAssessCompleteYearIgnoresPace: a complete year is judged on its whole target.
func TestAssessCompleteYearIgnoresPace(t *testing.T) {
	p, in := testPlan(t, `    dataset: revenue
    measure: sum(actual)
    target_from: sum(budget)
    grain: fiscal_year
    to_date: true
    pace: seasonal
    cadence: month
`)
	src := canned(t, map[string][]Cell{
		"sum(actual) month":       seasonalRevenue(),
		"sum(budget) fiscal_year": {{Period: day(2023, 7, 1), Value: 105}},
	})
	now := at(t, 2024, 7, 20, 9)
	s, err := Compute(context.Background(), p, in, src, now, false)
	if err != nil {
		t.Fatal(err)
	}
	a := Assess(s, now, 45)
	if a.ByPace || a.Point.Period.Key() != "FY2024" || a.Status != AtRisk {
		t.Errorf("status %s by pace %v for %s, want at risk (100 of 105) for FY2024", a.Status, a.ByPace, a.Point.Period.Key())
	}
}

func TestAssessNoData(t *testing.T) {
	now := day(2024, 5, 20)
	in := &Indicator{ID: "i"}
	tests := []struct {
		name string
		s    *Series
	}{
		{"no points", &Series{Indicator: in}},
		{"no values", series(in, 2024, 1, []*float64{nil, nil}, []*float64{f(1), f(1)}, now)},
		// Only the month in progress has data: it is not judged yet.
		{"only the current month", series(in, 2024, 5, []*float64{f(10)}, []*float64{f(1)}, now)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.s, now, 0)
			if a.Status != NoData || a.Point != nil {
				t.Errorf("status %s point %v, want no data", a.Status, a.Point)
			}
		})
	}
}

func TestAssessCurrentMonthNotJudged(t *testing.T) {
	now := day(2024, 5, 20)
	in := &Indicator{ID: "i"}
	// April met its target; May so far is far below, but May is not over.
	s := series(in, 2024, 4, []*float64{f(100), f(20)}, []*float64{f(100), f(100)}, now)
	a := Assess(s, now, 0)
	if a.Point.Period.Key() != "2024-04" || a.Status != OnTrack {
		t.Errorf("judged %s: %s, want 2024-04 on track", a.Point.Period.Key(), a.Status)
	}
	// On the first day of June, May is over and is judged.
	june := day(2024, 6, 1)
	s = series(in, 2024, 4, []*float64{f(100), f(20)}, []*float64{f(100), f(100)}, june)
	a = Assess(s, june, 0)
	if a.Point.Period.Key() != "2024-05" || a.Status != OffTrack {
		t.Errorf("judged %s: %s, want 2024-05 off track", a.Point.Period.Key(), a.Status)
	}
}

func TestAssessOverdue(t *testing.T) {
	// The newest data is June 2024. With a monthly cadence, July's data is
	// due when July ends (1 August) plus the publication lag.
	in := &Indicator{ID: "i", Cadence: Month}
	mk := func(now time.Time) *Series {
		return series(in, 2024, 5, []*float64{f(1), f(1)}, nil, now)
	}
	tests := []struct {
		name    string
		cadence Grain
		lag     int
		now     time.Time
		due     time.Time
		overdue bool
	}{
		{"before due", Month, 45, day(2024, 9, 14), day(2024, 9, 15), false},
		{"on the due date", Month, 45, day(2024, 9, 15), day(2024, 9, 15), false},
		{"the day after", Month, 45, day(2024, 9, 16), day(2024, 9, 15), true},
		{"late in the day, still on time", Month, 45, time.Date(2024, 9, 15, 23, 59, 0, 0, time.UTC), day(2024, 9, 15), false},
		{"no lag", Month, 0, day(2024, 8, 2), day(2024, 8, 1), true},
		{"quarterly cadence", Quarter, 0, day(2024, 9, 30), day(2024, 10, 1), false},
		{"quarterly cadence, late", Quarter, 0, day(2024, 10, 2), day(2024, 10, 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in.Cadence = tt.cadence
			a := Assess(mk(tt.now), tt.now, tt.lag)
			if !a.DueBy.Equal(tt.due) || a.Overdue != tt.overdue {
				t.Errorf("due %v overdue %v, want %v %v", a.DueBy.Format("2006-01-02"), a.Overdue, tt.due.Format("2006-01-02"), tt.overdue)
			}
		})
	}
	// No data is never overdue: there is nothing to be late after.
	if a := Assess(&Series{Indicator: in}, day(2030, 1, 1), 0); a.Overdue {
		t.Error("an empty series is overdue")
	}
}

// TestAssessOverdueYearToDate: a year to date is late when its newest month is.
func TestAssessOverdueYearToDate(t *testing.T) {
	p, in := testPlan(t, `    dataset: revenue
    measure: sum(actual)
    grain: fiscal_year
    to_date: true
    cadence: month
`)
	src := canned(t, map[string][]Cell{"sum(actual) month": months(2024, 7, 1, 1)}) // July and August
	lag := p.Datasets["revenue"].LagDays
	for _, tt := range []struct {
		now     time.Time
		overdue bool
	}{{day(2024, 11, 15), false}, {day(2024, 11, 16), true}} {
		s, err := Compute(context.Background(), p, in, src, tt.now, false)
		if err != nil {
			t.Fatal(err)
		}
		// September ends on 1 October; 45 days later is 15 November.
		if a := Assess(s, tt.now, lag); a.Overdue != tt.overdue || !a.DueBy.Equal(day(2024, 11, 15)) {
			t.Errorf("%s: due %s overdue %v, want %v", tt.now.Format("2006-01-02"), a.DueBy.Format("2006-01-02"), a.Overdue, tt.overdue)
		}
	}
}

func TestRollUp(t *testing.T) {
	as := func(ss ...Status) []Assessment {
		var out []Assessment
		for _, s := range ss {
			out = append(out, Assessment{Status: s})
		}
		return out
	}
	tests := []struct {
		name string
		in   []Assessment
		want Status
	}{
		{"nothing", nil, NoData},
		{"all on track", as(OnTrack, OnTrack), OnTrack},
		{"one at risk", as(OnTrack, AtRisk, OnTrack), AtRisk},
		{"off track before at risk", as(AtRisk, OffTrack, OnTrack), OffTrack},
		{"targets outweigh no target", as(NoTarget, OnTrack, NoData), OnTrack},
		{"no data does not make a goal off track", as(OnTrack, NoData), OnTrack},
		{"no target when some have data", as(NoTarget, NoData), NoTarget},
		{"no data", as(NoData, NoData), NoData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := RollUp(tt.in)
			if r.Status != tt.want || r.Total != len(tt.in) {
				t.Errorf("status %s total %d, want %s %d", r.Status, r.Total, tt.want, len(tt.in))
			}
		})
	}
	r := RollUp([]Assessment{{Status: OnTrack, Overdue: true}, {Status: OnTrack}, {Status: AtRisk, Overdue: true}})
	if r.Overdue != 2 || r.Counts[OnTrack] != 2 || r.Counts[AtRisk] != 1 {
		t.Errorf("counts %v overdue %d", r.Counts, r.Overdue)
	}
}

func TestPlanOver(t *testing.T) {
	p, _, err := LoadFile(defaultPlanFile)
	if err != nil {
		t.Fatal(err)
	}
	// The plan ends on 31 December 2025, in Norwalk's time zone.
	tests := []struct {
		now  time.Time
		over bool
	}{
		{at(t, 2024, 6, 1, 12), false},
		{at(t, 2025, 12, 31, 12), false},
		{at(t, 2025, 12, 31, 20), false}, // already 1 January in UTC
		{at(t, 2026, 1, 1, 0), true},
		{at(t, 2026, 11, 15, 9), true},
	}
	for _, tt := range tests {
		if got := p.Over(tt.now); got != tt.over {
			t.Errorf("Over(%v) = %v, want %v", tt.now, got, tt.over)
		}
	}
	if (&Plan{}).Over(day(2100, 1, 1)) {
		t.Error("a plan without an end date is over")
	}
}
