package dashboards

import (
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/plandash/plandash/internal/plan"
)

// Colours of the milestone timeline: due dates open blue circles, done
// dates green diamonds, milestones late and not done vermillion triangles
// (shape and legend text say it too, never colour alone).
const (
	milestoneDueColor  = "#0072B2"
	milestoneDoneColor = "#009E73"
	milestoneLateColor = "#D55E00"
)

// MilestoneRow is one milestone as the accessible table shows it.
type MilestoneRow struct {
	Name     string
	Due      string
	Done     string
	Late     bool
	DaysLate int
}

func dayText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("Jan 2, 2006")
}

// MilestoneTable is the strategy's milestones in due-date order.
func MilestoneTable(st plan.Standing) []MilestoneRow {
	closed := st.Status().Closed()
	out := make([]MilestoneRow, 0, len(st.Milestones))
	for _, m := range st.Milestones {
		r := MilestoneRow{Name: m.Name, Due: dayText(m.Due), Done: dayText(m.Done)}
		if !closed {
			r.DaysLate = m.DaysLate(st.Today)
			r.Late = r.DaysLate > 0
		}
		out = append(out, r)
	}
	return out
}

// MilestoneSummary is the one sentence that says what the timeline shows:
// "4 milestones: 2 done, 1 late (Design complete, due Mar 31, 2025), 1 to
// come."
func MilestoneSummary(st plan.Standing, w Words) string {
	if len(st.Milestones) == 0 {
		return w.T("strategy.milestones.none", nil)
	}
	done, late, open := 0, 0, 0
	var firstLate *plan.Milestone
	for i, r := range MilestoneTable(st) {
		switch {
		case r.Done != "":
			done++
		case r.Late:
			late++
			if firstLate == nil {
				firstLate = &st.Milestones[i]
			}
		default:
			open++
		}
	}
	data := map[string]any{"Total": len(st.Milestones), "Done": done, "Late": late, "Open": open}
	if firstLate != nil {
		data["Name"], data["Due"], data["Days"] = firstLate.Name, dayText(firstLate.Due), firstLate.DaysLate(st.Today)
		return w.T("strategy.milestones.summary_late", data)
	}
	return w.T("strategy.milestones.summary", data)
}

// MilestoneChart draws the strategy's milestones on a time line: one row
// per milestone, its due date and (once done) its done date, a mark for
// today and one for the strategy's own due date. The options hold no
// functions (the page's Content-Security-Policy allows no inline code);
// the default tooltips show the dates.
func MilestoneChart(id string, st plan.Standing, w Words, print bool) (Chart, error) {
	names := make([]string, len(st.Milestones))
	for i, m := range st.Milestones {
		names[i] = m.Name
	}
	rows := MilestoneTable(st)
	// Empty, not nil: ECharts takes [] for a series with no points.
	due, done, late := []opts.ScatterData{}, []opts.ScatterData{}, []opts.ScatterData{}
	points := 0
	for i, m := range st.Milestones {
		if !m.Due.IsZero() {
			item := opts.ScatterData{Name: m.Name, Value: []any{m.Due.Format("2006-01-02"), m.Name}}
			if rows[i].Late {
				late = append(late, item)
			} else {
				due = append(due, item)
			}
			points++
		}
		if !m.Done.IsZero() {
			done = append(done, opts.ScatterData{Name: m.Name, Value: []any{m.Done.Format("2006-01-02"), m.Name}})
			points++
		}
	}
	// The axis spans every date drawn, today and the strategy's due date
	// included (mark lines do not widen an axis), a month either side.
	lo, hi := st.Today, st.Today
	span := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	span(st.Due())
	for _, m := range st.Milestones {
		span(m.Due)
		span(m.Done)
	}
	lo = time.Date(lo.Year(), lo.Month()-1, 1, 0, 0, 0, 0, time.UTC)
	hi = time.Date(hi.Year(), hi.Month()+2, 1, 0, 0, 0, 0, time.UTC)
	sc := charts.NewScatter()
	sc.SetGlobalOptions(
		charts.WithAnimation(!print),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		// A scrolling legend keeps to one line, as on the indicator charts.
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "8%", Top: "10%", Bottom: "16%", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "time", Min: lo.Format("2006-01-02"), Max: hi.Format("2006-01-02")}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: names, Inverse: opts.Bool(true),
			AxisLabel: &opts.AxisLabel{Width: 220, Overflow: "truncate"}}),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true)}),
		charts.WithColorsOpts(opts.Colors([]string{milestoneDueColor, milestoneDoneColor, milestoneLateColor})),
	)
	marks := []opts.MarkLineNameXAxisItem{{Name: w.T("strategy.chart.today", nil), XAxis: st.Today.Format("2006-01-02")}}
	if d := st.Due(); !d.IsZero() {
		marks = append(marks, opts.MarkLineNameXAxisItem{Name: w.T("strategy.chart.strategy_due", nil), XAxis: d.Format("2006-01-02")})
	}
	sc.AddSeries(w.T("strategy.chart.due", nil), due,
		charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "emptyCircle", SymbolSize: 14}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: milestoneDueColor}),
		charts.WithMarkLineNameXAxisItemOpts(marks...),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
			Label:     &opts.Label{Show: opts.Bool(true), Position: "end", Formatter: "{b}"},
			LineStyle: &opts.LineStyle{Type: "dashed", Color: TargetColor, Width: 1.5}}),
	)
	sc.AddSeries(w.T("strategy.chart.done", nil), done,
		charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "diamond", SymbolSize: 14}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: milestoneDoneColor}))
	sc.AddSeries(w.T("strategy.chart.late", nil), late,
		charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "triangle", SymbolSize: 16}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: milestoneLateColor}))
	sc.Validate()
	obj := sc.JSON()
	// A time axis takes no category data.
	if xs, ok := obj["xAxis"].([]opts.XAxis); ok {
		for i := range xs {
			xs[i].Data = nil
		}
	}
	return marshalChart(id, obj, points, MilestoneSummary(st, w))
}
