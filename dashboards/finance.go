package dashboards

import (
	"math"
	"sort"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/plandash/plandash/internal/plan"
)

// The rule that flags a revenue stream as vulnerable, stated on the page.
const (
	// VulnerableDecline: this fiscal year to date is down more than this
	// share from the same months of last year.
	VulnerableDecline = 0.05
	// VulnerableVolatility: the year-over-year changes of the complete
	// fiscal years swing more than this (their standard deviation).
	VulnerableVolatility = 0.10
	// VulnerableShare: the stream brings more than this share of revenue.
	VulnerableShare = 0.20
	// volatilityYears is how many complete years the volatility needs.
	volatilityYears = 3
)

// Flags a revenue stream can carry.
const (
	FlagDeclining = "declining"
	FlagVolatile  = "volatile"
	FlagLarge     = "large share"
)

// SourceRow is one revenue source on the finance dashboard.
type SourceRow struct {
	Source   string
	Category string
	// FYTD is this fiscal year to date; LastFYTD the same months a year before.
	FYTD, LastFYTD float64
	// Change is FYTD against LastFYTD, nil without last year's months.
	Change *float64
	// Share of all revenue this fiscal year to date.
	Share float64
	// Volatility is the standard deviation of the year-over-year changes of
	// the complete fiscal years, nil with fewer than three.
	Volatility *float64
	Flags      []string
}

// Vulnerable reports whether the rule flags the source.
func (r SourceRow) Vulnerable() bool { return len(r.Flags) > 0 }

// Finance is the finance dashboard's numbers.
type Finance struct {
	FY plan.Period
	// Months of the fiscal year with data.
	Months          int
	Total, LastYear float64
	Change          *float64
	Top3Share       float64
	// HHI is the Herfindahl-Hirschman index of the sources' shares (0 to 1;
	// 1 is a single source).
	HHI     float64
	Sources []SourceRow
}

// ComputeFinance works out the year to date, each source's change, the
// concentration and the vulnerable streams from monthly actuals by source
// (Member) and each source's category. The fiscal year is the one of the
// newest month with data.
func ComputeFinance(bySource []plan.Cell, category map[string]string, fyStart time.Month) Finance {
	var f Finance
	if len(bySource) == 0 {
		return f
	}
	newest := bySource[0].Period
	monthly := map[string]map[time.Time]float64{}
	for _, c := range bySource {
		if c.Period.After(newest) {
			newest = c.Period
		}
		if monthly[c.Member] == nil {
			monthly[c.Member] = map[time.Time]float64{}
		}
		monthly[c.Member][c.Period] += c.Value
	}
	f.FY = plan.PeriodOf(plan.FiscalYear, newest, fyStart)
	f.Months = monthsBetween(f.FY.Start, newest) + 1
	sumMonths := func(m map[time.Time]float64, start time.Time, n int) (float64, bool) {
		s, any := 0.0, false
		for k := 0; k < n; k++ {
			if v, ok := m[start.AddDate(0, k, 0)]; ok {
				s += v
				any = true
			}
		}
		return s, any
	}
	for src, m := range monthly {
		r := SourceRow{Source: src, Category: category[src]}
		r.FYTD, _ = sumMonths(m, f.FY.Start, f.Months)
		last, ok := sumMonths(m, f.FY.Start.AddDate(-1, 0, 0), f.Months)
		r.LastFYTD = last
		if ok && last != 0 {
			ch := r.FYTD/last - 1
			r.Change = &ch
		}
		// Year-over-year changes of complete fiscal years before this one.
		var totals []float64
		for y := f.FY.Start.AddDate(-1, 0, 0); ; y = y.AddDate(-1, 0, 0) {
			t, any := sumMonths(m, y, 12)
			if !any || !fullYear(m, y) {
				break
			}
			totals = append(totals, t)
		}
		var changes []float64
		for i := 0; i+1 < len(totals); i++ {
			if totals[i+1] != 0 {
				changes = append(changes, totals[i]/totals[i+1]-1)
			}
		}
		if len(changes) >= volatilityYears {
			sd := stddev(changes)
			r.Volatility = &sd
		}
		f.Total += r.FYTD
		f.LastYear += last
		f.Sources = append(f.Sources, r)
	}
	if f.LastYear != 0 {
		ch := f.Total/f.LastYear - 1
		f.Change = &ch
	}
	sort.Slice(f.Sources, func(i, j int) bool {
		if f.Sources[i].FYTD != f.Sources[j].FYTD {
			return f.Sources[i].FYTD > f.Sources[j].FYTD
		}
		return f.Sources[i].Source < f.Sources[j].Source
	})
	for i := range f.Sources {
		r := &f.Sources[i]
		if f.Total > 0 {
			r.Share = r.FYTD / f.Total
		}
		if i < 3 {
			f.Top3Share += r.Share
		}
		f.HHI += r.Share * r.Share
		if r.Change != nil && *r.Change < -VulnerableDecline {
			r.Flags = append(r.Flags, FlagDeclining)
		}
		if r.Volatility != nil && *r.Volatility > VulnerableVolatility {
			r.Flags = append(r.Flags, FlagVolatile)
		}
		if r.Share > VulnerableShare {
			r.Flags = append(r.Flags, FlagLarge)
		}
	}
	return f
}

func fullYear(m map[time.Time]float64, start time.Time) bool {
	for k := 0; k < 12; k++ {
		if _, ok := m[start.AddDate(0, k, 0)]; !ok {
			return false
		}
	}
	return true
}

func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

func stddev(xs []float64) float64 {
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)))
}

// StackedMonthly is a stacked bar chart of monthly values by member (revenue
// by category), over the last n months.
func StackedMonthly(id string, cells []plan.Cell, n int, format string, w Words, print bool) (Chart, error) {
	byMember := map[string]map[time.Time]float64{}
	var months []time.Time
	seen := map[time.Time]bool{}
	for _, c := range cells {
		if byMember[c.Member] == nil {
			byMember[c.Member] = map[time.Time]float64{}
		}
		byMember[c.Member][c.Period] += c.Value
		if !seen[c.Period] {
			seen[c.Period] = true
			months = append(months, c.Period)
		}
	}
	sort.Slice(months, func(i, j int) bool { return months[i].Before(months[j]) })
	if len(months) > n {
		months = months[len(months)-n:]
	}
	labels := make([]string, len(months))
	for i, m := range months {
		labels[i] = w.Period(plan.PeriodOf(plan.Month, m, time.January))
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithAnimation(!print),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", ValueFormatter: types.FuncStr(formatterName(format))}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "4%", Top: "8%", Bottom: "16%", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", AxisLabel: &opts.AxisLabel{Formatter: types.FuncStr(formatterName(format))}}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: labels}),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true)}),
		charts.WithColorsOpts(opts.Colors(Palette)),
	)
	bar.SetXAxis(labels)
	members := make([]string, 0, len(byMember))
	for m := range byMember {
		members = append(members, m)
	}
	sort.Strings(members)
	points := 0
	for _, m := range members {
		data := make([]opts.BarData, len(months))
		for i, mo := range months {
			if v, ok := byMember[m][mo]; ok {
				data[i] = barValue(&v)
				points++
			} else {
				data[i] = barValue(nil)
			}
		}
		bar.AddSeries(m, data, charts.WithBarChartOpts(opts.BarChart{Stack: "total"}))
	}
	return finishBar(id, bar, points)
}

// ChangeBars is a horizontal bar chart of each source's change from last
// year, as fractions.
func ChangeBars(id string, f Finance, w Words, print bool) (Chart, error) {
	var names []string
	var data []opts.BarData
	points := 0
	for i := len(f.Sources) - 1; i >= 0; i-- {
		r := f.Sources[i]
		names = append(names, r.Source)
		data = append(data, barValue(r.Change))
		if r.Change != nil {
			points++
		}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithAnimation(!print),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", ValueFormatter: types.FuncStr("fmt:percent")}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "6%", Top: "4%", Bottom: "4%", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", AxisLabel: &opts.AxisLabel{Formatter: types.FuncStr("fmt:percent")}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category"}),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true)}),
		charts.WithColorsOpts(opts.Colors(Palette)),
	)
	bar.SetXAxis(names)
	bar.AddSeries(w.T("finance.change_series", nil), data)
	// Horizontal bars: the sources' names read down the side.
	bar.XYReversal()
	return finishBar(id, bar, points)
}

func finishBar(id string, bar *charts.Bar, points int) (Chart, error) {
	bar.Validate()
	return marshalChart(id, bar.JSON(), points, "")
}
