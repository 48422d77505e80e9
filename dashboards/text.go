package dashboards

import (
	"math"

	"github.com/plandash/plandash/internal/plan"
)

// TableRow is one period of an indicator's numbers, formatted.
type TableRow struct {
	Period   string
	Value    string
	Target   string
	Expected string
	Partial  bool
}

// Table is the numbers behind a chart, newest first.
func Table(v View, w Words) []TableRow {
	f := v.Indicator.ValueFormat()
	s := v.Series
	out := make([]TableRow, 0, len(s.Points))
	for i := len(s.Points) - 1; i >= 0; i-- {
		pt := s.Points[i]
		r := TableRow{Period: w.Period(pt.Period), Partial: pt.Partial}
		r.Value = formatOpt(pt.Value, f, w)
		r.Target = formatOpt(pt.Target, f, w)
		r.Expected = formatOpt(pt.Expected, f, w)
		out = append(out, r)
	}
	return out
}

// HasExpected reports whether any point has a pace expectation (a table column).
func HasExpected(s *plan.Series) bool {
	for _, pt := range s.Points {
		if pt.Expected != nil {
			return true
		}
	}
	return false
}

func formatOpt(v *float64, format string, w Words) string {
	if v == nil {
		return "—"
	}
	return w.Value(*v, format)
}

// StatusText is the status in words: its catalog id is status.<status>.
func StatusText(a plan.Assessment, w Words) string {
	if a.Status == plan.NoTarget && a.Trend != "" {
		return w.T("trend."+string(a.Trend), nil)
	}
	return w.T("status."+string(a.Status), nil)
}

// Summary is the one sentence that says what a chart shows, e.g. "Monthly
// transit boardings in Oct 2025 were 81,240, 4.1% more than in Oct 2024 and
// 3.9% below target: at risk."
func Summary(v View, w Words) string {
	a := v.Assessment
	if a.Point == nil || a.Point.Value == nil {
		return w.T("summary.no_data", map[string]any{"Title": v.Indicator.Title})
	}
	in := v.Indicator
	f := in.ValueFormat()
	pt := a.Point
	data := map[string]any{
		"Title":  in.Title,
		"Period": w.Period(pt.Period),
		"Value":  w.Value(*pt.Value, f),
		"Status": StatusText(a, w),
	}
	id := "summary.value"
	if a.Compared != nil && a.Compared.Value != nil {
		data["Compared"] = w.Period(a.Compared.Period)
		data["Change"] = change(*a.Compared.Value, *pt.Value, f, w)
		id = "summary.value_change"
	}
	target := pt.Target
	if pt.Expected != nil {
		target = pt.Expected
	}
	if target != nil {
		data["Target"] = w.Value(*target, f)
		data["Gap"] = change(*target, *pt.Value, f, w)
		if pt.Expected != nil {
			id = "summary.value_pace"
		} else {
			id = "summary.value_target"
		}
	}
	return w.T(id, data)
}

// change says how far cur is from base: "4.1% above", or for percentages
// "2.0 points below".
func change(base, cur float64, format string, w Words) string {
	diff := cur - base
	dir := "above"
	if diff < 0 {
		dir = "below"
	}
	if math.Abs(diff) < 1e-9 {
		return w.T("change.equal", nil)
	}
	if format == plan.FormatPercent {
		return w.T("change.points_"+dir, map[string]any{"Points": w.Value(math.Abs(diff)*100, plan.FormatNumber)})
	}
	if base == 0 {
		return w.T("change.amount_"+dir, map[string]any{"Amount": w.Value(math.Abs(diff), format)})
	}
	return w.T("change.pct_"+dir, map[string]any{"Pct": w.Value(math.Abs(diff/base), plan.FormatPercent)})
}
