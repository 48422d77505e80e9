package dashboards

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

func mo(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// financeCells builds monthly actuals from FY 2020-21 (July start) to
// October 2025 for four sources with known behaviour.
func financeCells() []plan.Cell {
	var cells []plan.Cell
	for t := mo(2020, 7); !t.After(mo(2025, 10)); t = t.AddDate(0, 1, 0) {
		years := float64(t.Year() - 2020)
		add := func(src string, v float64) { cells = append(cells, plan.Cell{Period: t, Member: src, Value: v}) }
		add("Sales Tax", 500*math.Pow(1.03, years))                         // large and steady growth
		add("Property Tax", 300)                                            // steady
		add("Utility Users Tax", 100*math.Pow(0.85, years))                 // declining 15% a year
		add("Interest", 50*[]float64{1, 3, 0.5, 2.5, 0.6, 0.5}[int(years)]) // volatile, and down this year
	}
	return cells
}

func TestComputeFinanceMatchesItsRule(t *testing.T) {
	cats := map[string]string{"Sales Tax": "Taxes", "Property Tax": "Taxes", "Utility Users Tax": "Taxes", "Interest": "Use of Money"}
	f := ComputeFinance(financeCells(), cats, time.July)
	if f.FY.Key() != "FY2026" || f.Months != 4 {
		t.Fatalf("fiscal year %s with %d months, want FY2026 with 4 (Jul-Oct 2025)", f.FY.Key(), f.Months)
	}
	// Recompute independently: sums over Jul-Oct 2025 and Jul-Oct 2024.
	sum := func(src string, from time.Time) float64 {
		s := 0.0
		for _, c := range financeCells() {
			if c.Member == src && !c.Period.Before(from) && c.Period.Before(from.AddDate(0, 4, 0)) {
				s += c.Value
			}
		}
		return s
	}
	total := 0.0
	for _, src := range []string{"Sales Tax", "Property Tax", "Utility Users Tax", "Interest"} {
		total += sum(src, mo(2025, 7))
	}
	if math.Abs(f.Total-total) > 1e-6 {
		t.Fatalf("total %v, recomputed %v", f.Total, total)
	}
	hhi, top3 := 0.0, 0.0
	shares := []float64{}
	for _, r := range f.Sources {
		want := sum(r.Source, mo(2025, 7))
		if math.Abs(r.FYTD-want) > 1e-6 || math.Abs(r.LastFYTD-sum(r.Source, mo(2024, 7))) > 1e-6 {
			t.Errorf("%s: %v / %v, recomputed %v / %v", r.Source, r.FYTD, r.LastFYTD, want, sum(r.Source, mo(2024, 7)))
		}
		shares = append(shares, want/total)
		hhi += (want / total) * (want / total)
	}
	slices.Sort(shares)
	slices.Reverse(shares)
	top3 = shares[0] + shares[1] + shares[2]
	if math.Abs(f.HHI-hhi) > 1e-9 || math.Abs(f.Top3Share-top3) > 1e-9 {
		t.Errorf("HHI %v top3 %v, recomputed %v %v", f.HHI, f.Top3Share, hhi, top3)
	}
	flags := map[string][]string{}
	for _, r := range f.Sources {
		flags[r.Source] = r.Flags
	}
	want := map[string][]string{
		"Sales Tax":         {FlagLarge},
		"Property Tax":      {FlagLarge},
		"Utility Users Tax": {FlagDeclining},
		"Interest":          {FlagDeclining, FlagVolatile},
	}
	for src, w := range want {
		if !slices.Equal(flags[src], w) {
			t.Errorf("%s flagged %v, want %v", src, flags[src], w)
		}
	}
}
