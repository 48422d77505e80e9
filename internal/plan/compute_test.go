package plan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// testPlanHead is a plan with every built-in dataset and a July fiscal year;
// tests append one indicator with the id "i".
const testPlanHead = `title: Test plan
start: 2023-01-01
end: 2025-12-31
fiscal_year_start_month: 7
time_zone: America/Los_Angeles
goals:
  - id: G1
    title: Goal
    objectives:
      - {id: G1.O1, title: Objective}
datasets: [revenue, transit_ridership, shelter_beds, ev_chargers]
indicators:
  - id: i
    title: Indicator
    measures: [G1.O1]
`

// testPlan parses testPlanHead with the indicator's fields (indented by four
// spaces) and fails the test on any problem, warnings included.
func testPlan(t *testing.T, indicator string) (*Plan, *Indicator) {
	t.Helper()
	p, probs, err := Parse("test.yaml", []byte(testPlanHead+indicator))
	if err != nil || len(probs) > 0 {
		t.Fatalf("test plan: %v %v", err, probs)
	}
	return p, p.Indicator("i")
}

// fakeSource answers each query with the cells given for its measure, grain
// and breakdown, keyed as "sum(actual) month" or "sum(actual) month source",
// and fails the test on a query it does not expect.
type fakeSource func(q Query) ([]Cell, error)

func (f fakeSource) Aggregate(_ context.Context, q Query) ([]Cell, error) { return f(q) }

func canned(t *testing.T, cells map[string][]Cell) fakeSource {
	return func(q Query) ([]Cell, error) {
		k := strings.TrimSpace(fmt.Sprintf("%s %s %s", q.Measure, q.Grain, q.Breakdown))
		c, ok := cells[k]
		if !ok {
			t.Errorf("unexpected query %q", k)
			return nil, errors.New("unexpected query")
		}
		return c, nil
	}
}

// months gives one cell per month from the first of (y, m) on.
func months(y int, m time.Month, values ...float64) []Cell {
	out := make([]Cell, len(values))
	for i, v := range values {
		out[i] = Cell{Period: day(y, m+time.Month(i), 1), Value: v}
	}
	return out
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// at is an instant in Norwalk.
func at(t *testing.T, y int, m time.Month, d, hour int) time.Time {
	t.Helper()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(y, m, d, hour, 0, 0, 0, la)
}

// values lists a series' points as "key=value" ("key=-" for no value).
func values(s *Series) string {
	var b []string
	for _, pt := range s.Points {
		v := "-"
		if pt.Value != nil {
			v = trimFloat(*pt.Value)
		}
		b = append(b, pt.Period.Key()+"="+v)
	}
	return strings.Join(b, " ")
}

// targets lists a series' targets as "key=target".
func targets(s *Series) string {
	var b []string
	for _, pt := range s.Points {
		v := "-"
		if pt.Target != nil {
			v = trimFloat(*pt.Target)
		}
		b = append(b, pt.Period.Key()+"="+v)
	}
	return strings.Join(b, " ")
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestComputeMonthlySum(t *testing.T) {
	p, in := testPlan(t, `    dataset: transit_ridership
    measure: sum(unlinked_trips)
    filters: [{column: mode, equals: MB}]
    grain: month
`)
	var got Query
	src := fakeSource(func(q Query) ([]Cell, error) {
		got = q
		// February has no data; rows come in any order.
		return []Cell{
			{Period: day(2024, 3, 1), Value: 82000},
			{Period: day(2024, 1, 1), Value: 80000},
			{Period: day(2024, 4, 1), Value: 1500}, // April is in progress
		}, nil
	})
	now := at(t, 2024, 4, 3, 9)
	s, err := Compute(context.Background(), p, in, src, now, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Dataset.Name != "transit_ridership" || got.Measure.String() != "sum(unlinked_trips)" ||
		got.Time != "month" || got.Grain != Month || got.FYStart != time.July || got.Breakdown != "" ||
		got.Location.String() != "America/Los_Angeles" || !got.Public || len(got.Filters) != 1 {
		t.Errorf("query = %+v", got)
	}
	if want := "2024-01=80000 2024-02=- 2024-03=82000 2024-04=1500"; values(s) != want {
		t.Errorf("values %s, want %s", values(s), want)
	}
	for i, partial := range []bool{false, false, false, true} {
		if s.Points[i].Partial != partial {
			t.Errorf("%s: Partial = %v", s.Points[i].Period.Key(), s.Points[i].Partial)
		}
	}
	if s.Newest == nil || s.Newest.Key() != "2024-04" {
		t.Errorf("Newest = %v", s.Newest)
	}
	if l := s.Latest(); l == nil || l.Period.Key() != "2024-04" {
		t.Errorf("Latest = %v", l)
	}
}

func TestComputeNoData(t *testing.T) {
	p, in := testPlan(t, "    dataset: transit_ridership\n    measure: sum(unlinked_trips)\n")
	src := fakeSource(func(Query) ([]Cell, error) { return nil, nil })
	s, err := Compute(context.Background(), p, in, src, at(t, 2024, 4, 3, 9), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 0 || s.Newest != nil || s.Latest() != nil {
		t.Errorf("series of no data: %+v", s)
	}
}

func TestComputeSourceError(t *testing.T) {
	p, in := testPlan(t, "    dataset: transit_ridership\n    measure: sum(unlinked_trips)\n")
	boom := errors.New("database is gone")
	src := fakeSource(func(Query) ([]Cell, error) { return nil, boom })
	if _, err := Compute(context.Background(), p, in, src, at(t, 2024, 4, 3, 9), false); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the source's error", err)
	}
}

func TestComputeRatio(t *testing.T) {
	p, in := testPlan(t, `    dataset: shelter_beds
    ratio:
      numerator: last(occupied)
      denominator: last(beds)
    grain: quarter
    cadence: quarter
`)
	src := canned(t, map[string][]Cell{
		"last(occupied) quarter": {
			{Period: day(2024, 1, 1), Value: 90},
			{Period: day(2024, 4, 1), Value: 50},
			{Period: day(2024, 7, 1), Value: 40},
		},
		"last(beds) quarter": {
			{Period: day(2024, 1, 1), Value: 100},
			{Period: day(2024, 4, 1), Value: 0}, // nothing to divide by
			{Period: day(2024, 10, 1), Value: 80},
		},
	})
	s, err := Compute(context.Background(), p, in, src, at(t, 2025, 2, 1, 9), false)
	if err != nil {
		t.Fatal(err)
	}
	// Only the first quarter has both parts and a denominator that is not zero.
	if want := "2024-Q1=0.9"; values(s) != want {
		t.Errorf("values %s, want %s", values(s), want)
	}
	if in.ValueFormat() != FormatPercent {
		t.Errorf("a ratio is formatted as %s", in.ValueFormat())
	}
}

func TestComputeCumulative(t *testing.T) {
	p, in := testPlan(t, `    dataset: ev_chargers
    measure: sum(level2_ports + dc_fast_ports)
    grain: month
    transform: cumulative
    cadence: quarter
`)
	var got Query
	src := fakeSource(func(q Query) ([]Cell, error) {
		got = q
		return []Cell{{Period: day(2024, 1, 1), Value: 4}, {Period: day(2024, 3, 1), Value: 2}}, nil
	})
	s, err := Compute(context.Background(), p, in, src, at(t, 2024, 6, 15, 9), true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Time != "open_date" || strings.Join(got.Measure.Parts(), ",") != "level2_ports,dc_fast_ports" {
		t.Errorf("query time %q measure %v", got.Time, got.Measure)
	}
	// The running total carries on to the current month, which is in progress.
	if want := "2024-01=4 2024-02=4 2024-03=6 2024-04=6 2024-05=6 2024-06=6"; values(s) != want {
		t.Errorf("values %s, want %s", values(s), want)
	}
	if last := s.Points[len(s.Points)-1]; !last.Partial {
		t.Error("the current month is not partial")
	}
	if s.Newest.Key() != "2024-03" {
		t.Errorf("Newest = %s, want the newest month with data, 2024-03", s.Newest.Key())
	}
}

func TestComputeYoY(t *testing.T) {
	p, in := testPlan(t, `    dataset: transit_ridership
    measure: sum(unlinked_trips)
    transform: yoy
`)
	src := canned(t, map[string][]Cell{
		"sum(unlinked_trips) month": append(months(2023, 1, 100, 200, 400),
			months(2024, 1, 110, 180, 0)...),
	})
	s, err := Compute(context.Background(), p, in, src, at(t, 2024, 6, 1, 9), false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, pt := range s.Points {
		if pt.Value != nil {
			got[pt.Period.Key()] = trimFloat(*pt.Value)
		}
	}
	want := map[string]string{"2024-01": "0.1", "2024-02": "-0.1", "2024-03": "-1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("yoy %v, want %v", got, want)
	}
	if in.ValueFormat() != FormatPercent {
		t.Errorf("yoy is formatted as %s", in.ValueFormat())
	}
}

func TestComputeFiscalYearToDate(t *testing.T) {
	const ind = `    dataset: revenue
    measure: sum(actual)
    filters: [{column: fund, equals: General Fund}]
    grain: fiscal_year
    to_date: true
    cadence: month
`
	// FY2024 (July 2023 to June 2024) has every month; FY2025 has July to
	// September, each month 10% above the same month a year earlier.
	data := map[string][]Cell{
		"sum(actual) month": append(months(2023, 7, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120),
			months(2024, 7, 11, 22, 33)...),
	}
	now := at(t, 2024, 11, 20, 9)

	t.Run("sum", func(t *testing.T) {
		p, in := testPlan(t, ind)
		s, err := Compute(context.Background(), p, in, canned(t, data), now, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := "FY2024=780 FY2025=66"; values(s) != want {
			t.Errorf("values %s, want %s", values(s), want)
		}
		fy24, fy25 := s.Points[0], s.Points[1]
		if fy24.Months != 12 || fy24.Partial || fy25.Months != 3 || !fy25.Partial {
			t.Errorf("FY2024 months %d partial %v; FY2025 months %d partial %v", fy24.Months, fy24.Partial, fy25.Months, fy25.Partial)
		}
		if fy25.Period.Label() != "FY 2024-25" {
			t.Errorf("label %s", fy25.Period.Label())
		}
		// The newest data is a month, so lateness is measured from it.
		if s.Newest.Grain != Month || s.Newest.Key() != "2024-09" {
			t.Errorf("Newest = %s %s, want month 2024-09", s.Newest.Grain, s.Newest.Key())
		}
	})

	t.Run("yoy against the same months", func(t *testing.T) {
		p, in := testPlan(t, ind+"    transform: yoy\n")
		s, err := Compute(context.Background(), p, in, canned(t, data), now, false)
		if err != nil {
			t.Fatal(err)
		}
		// 66 against July to September 2023 (60), not against all of FY2024 (780).
		if want := "FY2024=- FY2025=0.1"; values(s) != want {
			t.Errorf("values %s, want %s", values(s), want)
		}
	})

	t.Run("calendar year", func(t *testing.T) {
		p, in := testPlan(t, strings.Replace(ind, "fiscal_year", "year", 1))
		s, err := Compute(context.Background(), p, in, canned(t, data), now, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := "2023=210 2024=636"; values(s) != want {
			t.Errorf("values %s, want %s", values(s), want)
		}
		if s.Points[1].Months != 9 {
			t.Errorf("2024 covers %d months, want 9", s.Points[1].Months)
		}
	})
}

func TestComputeTopShare(t *testing.T) {
	p, in := testPlan(t, `    dataset: revenue
    measure: sum(actual)
    breakdown: source
    transform: top_share
    top: 2
    grain: fiscal_year
    to_date: true
    direction: down
    cadence: month
`)
	cell := func(y int, m time.Month, member string, v float64) Cell {
		return Cell{Period: day(y, m, 1), Member: member, Value: v}
	}
	src := canned(t, map[string][]Cell{
		"sum(actual) month source": {
			// FY2024: 50 + 30 of 100.
			cell(2023, 7, "Sales Tax", 50), cell(2023, 7, "Property Tax", 30),
			cell(2023, 8, "Fees", 15), cell(2023, 8, "Fines", 5),
			// FY2025 to date: sales tax 40 + 20, property tax 30, fees 10: 90 of 100.
			cell(2024, 7, "Sales Tax", 40), cell(2024, 8, "Sales Tax", 20),
			cell(2024, 7, "Property Tax", 30), cell(2024, 8, "Fees", 10),
		},
	})
	s, err := Compute(context.Background(), p, in, src, at(t, 2024, 10, 1, 9), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "FY2024=0.8 FY2025=0.9"; values(s) != want {
		t.Errorf("values %s, want %s", values(s), want)
	}
	if len(s.Members) != 0 {
		t.Errorf("a top share lists %d members", len(s.Members))
	}
}

func TestComputeBreakdown(t *testing.T) {
	p, in := testPlan(t, `    dataset: shelter_beds
    measure: last(beds)
    breakdown: bed_type
    grain: quarter
    cadence: quarter
`)
	src := canned(t, map[string][]Cell{
		"last(beds) quarter bed_type": {
			{Period: day(2024, 1, 1), Member: "TH", Value: 20},
			{Period: day(2024, 1, 1), Member: "ES", Value: 60},
			{Period: day(2024, 4, 1), Member: "ES", Value: 70},
		},
		// Totals of "last" are asked for separately: the latest date of the
		// whole quarter need not be each member's latest date.
		"last(beds) quarter": {
			{Period: day(2024, 1, 1), Value: 75},
			{Period: day(2024, 4, 1), Value: 70},
		},
	})
	s, err := Compute(context.Background(), p, in, src, at(t, 2024, 8, 1, 9), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2024-Q1=75 2024-Q2=70"; values(s) != want {
		t.Errorf("values %s, want %s", values(s), want)
	}
	if len(s.Members) != 2 || s.Members[0].Name != "ES" || s.Members[1].Name != "TH" {
		t.Fatalf("members %+v, want ES then TH (largest first)", s.Members)
	}
	if th := s.Members[1].Values; th[0] == nil || *th[0] != 20 || th[1] != nil {
		t.Errorf("TH values %v", th)
	}
}

func TestComputeTargets(t *testing.T) {
	p, in := testPlan(t, `    dataset: transit_ridership
    measure: sum(unlinked_trips)
    targets:
      by_period:
        FY2024: 80000
        2024-Q1: 78000
        2024-02: 75000
`)
	src := canned(t, map[string][]Cell{
		"sum(unlinked_trips) month": months(2023, 6, repeat(1, 10)...),
	})
	s, err := Compute(context.Background(), p, in, src, at(t, 2024, 6, 1, 9), false)
	if err != nil {
		t.Fatal(err)
	}
	// June 2023 is in FY2023, which has no target. A month takes the target of
	// the shortest period that contains it: its own, its quarter's, its year's.
	want := "2023-06=- 2023-07=80000 2023-08=80000 2023-09=80000 2023-10=80000 2023-11=80000 2023-12=80000 " +
		"2024-01=78000 2024-02=75000 2024-03=78000"
	if targets(s) != want {
		t.Errorf("targets\n %s, want\n %s", targets(s), want)
	}
}

func TestComputeTargetFromData(t *testing.T) {
	p, in := testPlan(t, `    dataset: revenue
    measure: sum(actual)
    target_from: sum(budget)
    grain: fiscal_year
    to_date: true
    cadence: month
`)
	src := canned(t, map[string][]Cell{
		"sum(actual) month": append(months(2023, 7, repeat(10, 12)...), months(2024, 7, 12)...),
		// The budget is asked for by fiscal year: annual rows have no month.
		"sum(budget) fiscal_year": {
			{Period: day(2023, 7, 1), Value: 125},
			{Period: day(2024, 7, 1), Value: 150},
		},
	})
	s, err := Compute(context.Background(), p, in, src, at(t, 2024, 8, 20, 9), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "FY2024=125 FY2025=150"; targets(s) != want {
		t.Errorf("targets %s, want %s", targets(s), want)
	}
	// Without pace, nothing is expected part way.
	if s.Points[1].Expected != nil {
		t.Error("Expected set without pace")
	}
}

// seasonalRevenue is two complete fiscal years in which most revenue arrives
// in December and April (property tax instalments), and a year to date.
func seasonalRevenue(current ...float64) []Cell {
	//               Jul Aug Sep Oct Nov Dec Jan Feb Mar Apr May Jun
	year := []float64{2, 2, 2, 2, 2, 40, 2, 2, 2, 40, 2, 2}
	cells := append(months(2022, 7, year...), months(2023, 7, year...)...)
	return append(cells, months(2024, 7, current...)...)
}

func TestComputePace(t *testing.T) {
	const ind = `    dataset: revenue
    measure: sum(actual)
    grain: fiscal_year
    to_date: true
    cadence: month
    targets: {by_period: {FY2025: 100}}
`
	// FY2025 to date: July to February, 54 of 100 (the seasonal pattern exactly).
	now := at(t, 2025, 3, 20, 9)
	tests := []struct {
		name     string
		pace     string
		cells    []Cell
		years    int
		expected float64
	}{
		// By February earlier years had 54% of the year: 2*5 + 40 + 2*2.
		{"seasonal", "seasonal", seasonalRevenue(2, 2, 2, 2, 2, 40, 2, 2), 2, 54},
		{"linear", "linear", seasonalRevenue(2, 2, 2, 2, 2, 40, 2, 2), 0, 100 * 8.0 / 12},
		{"seasonal without history", "seasonal", months(2024, 7, 2, 2, 2, 2, 2, 40, 2, 2), 0, 100 * 8.0 / 12},
		// The data starts in January 2023, half way through FY2023: that year
		// says nothing about July to December and must not teach the pace.
		{"history starting part way", "seasonal", seasonalRevenue(2, 2, 2, 2, 2, 40, 2, 2)[6:], 1, 54},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, in := testPlan(t, ind+"    pace: "+tt.pace+"\n")
			s, err := Compute(context.Background(), p, in, canned(t, map[string][]Cell{"sum(actual) month": tt.cells}), now, false)
			if err != nil {
				t.Fatal(err)
			}
			if s.PaceYears != tt.years {
				t.Errorf("PaceYears = %d, want %d", s.PaceYears, tt.years)
			}
			last := s.Points[len(s.Points)-1]
			if last.Period.Key() != "FY2025" || last.Months != 8 || *last.Value != 54 {
				t.Fatalf("last point %s months %d value %v", last.Period.Key(), last.Months, *last.Value)
			}
			if last.Expected == nil || !near(*last.Expected, tt.expected) {
				t.Fatalf("Expected = %v, want %v", ptrString(last.Expected), tt.expected)
			}
			if len(s.PaceShares) != 12 || !near(s.PaceShares[11], 1) {
				t.Errorf("PaceShares = %v, want 12 shares ending at 1", s.PaceShares)
			}
			for _, pt := range s.Points[:len(s.Points)-1] {
				if pt.Expected != nil {
					t.Errorf("%s is complete but has an expected value", pt.Period.Key())
				}
			}
		})
	}
}

func ptrString(v *float64) string {
	if v == nil {
		return "nil"
	}
	return trimFloat(*v)
}
