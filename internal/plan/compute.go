package plan

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// Query asks for one measure of a dataset, grouped by period (and by the
// members of a breakdown column, when one is given).
type Query struct {
	Dataset   *Dataset
	Measure   Measure
	Filters   []Filter
	Time      string
	Grain     Grain
	FYStart   time.Month
	Breakdown string
	// Location is the time zone that decides which period a timestamp is in.
	Location *time.Location
	// Public limits the query to what anonymous viewers may see.
	Public bool
}

// Cell is one aggregate: its period start (UTC midnight on the 1st), the
// breakdown member, and the value.
type Cell struct {
	Period time.Time
	Member string
	Value  float64
}

// Source runs queries; the store satisfies it.
type Source interface {
	Aggregate(ctx context.Context, q Query) ([]Cell, error)
}

// Point is one period of an indicator's series.
type Point struct {
	Period Period
	// Value is nil when the period has no data.
	Value  *float64
	Target *float64
	// Expected is the part of Target due by now, for a year judged by pace.
	Expected *float64
	// Minimum and Stretch are the least acceptable and the ambitious
	// values of the period, when the indicator has them.
	Minimum, Stretch *float64
	// Partial marks a period still in progress (or a year to date).
	Partial bool
	// Months is how many months of a year to date the value covers.
	Months int
}

// Member is one breakdown member's values, aligned with the series' points.
type Member struct {
	Name   string
	Values []*float64
}

// Series is an indicator's computed values.
type Series struct {
	Indicator *Indicator
	Points    []Point
	Members   []Member
	// Newest is the newest period with data, before any extension to today.
	Newest *Period
	// PaceShares are the expected shares of a year's total by month of the
	// year (index 0 is after one month), learnt from complete earlier years.
	PaceShares []float64
	// PaceYears is how many earlier years the pace was learnt from (0: straight line).
	PaceYears int
	// TargetsImported is true when the targets came from the targets
	// dataset rather than the plan file.
	TargetsImported bool
	// monthly holds the month values of a to-date sum, for comparing a year
	// to date with the same months of the year before.
	monthly map[time.Time]float64
}

// Latest is the last point with a value, or nil.
func (s *Series) Latest() *Point {
	for i := len(s.Points) - 1; i >= 0; i-- {
		if s.Points[i].Value != nil {
			return &s.Points[i]
		}
	}
	return nil
}

// Compute builds the indicator's series from the source as of now.
func Compute(ctx context.Context, p *Plan, in *Indicator, src Source, now time.Time, public bool) (*Series, error) {
	ds := p.Datasets[in.Dataset]
	if ds == nil {
		return nil, fmt.Errorf("plan: indicator %s: unknown dataset %s", in.ID, in.Dataset)
	}
	fy := p.FYStart()
	base := Query{Dataset: ds, Filters: in.Filters, Time: in.TimeColumn(ds), Grain: in.Grain, FYStart: fy, Location: p.Location(), Public: public}
	if in.ToDate {
		base.Grain = Month
	}
	fetch := func(m Measure, breakdown string) (map[time.Time]float64, map[string]map[time.Time]float64, error) {
		q := base
		q.Measure = m
		q.Breakdown = breakdown
		cells, err := src.Aggregate(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		total := map[time.Time]float64{}
		var by map[string]map[time.Time]float64
		if breakdown != "" {
			by = map[string]map[time.Time]float64{}
		}
		for _, c := range cells {
			total[c.Period] += c.Value
			if by != nil {
				if by[c.Member] == nil {
					by[c.Member] = map[time.Time]float64{}
				}
				by[c.Member][c.Period] = c.Value
			}
		}
		return total, by, nil
	}

	var values map[time.Time]float64
	var members map[string]map[time.Time]float64
	var err error
	switch {
	case in.Ratio != nil:
		var num, den map[time.Time]float64
		if num, _, err = fetch(in.Ratio.Numerator, ""); err != nil {
			return nil, err
		}
		if den, _, err = fetch(in.Ratio.Denominator, ""); err != nil {
			return nil, err
		}
		if in.ToDate {
			num, den = rollToDate(num, in.Grain, fy), rollToDate(den, in.Grain, fy)
		}
		values = map[time.Time]float64{}
		for t, n := range num {
			if d, ok := den[t]; ok && d != 0 {
				values[t] = n / d
			}
		}
	default:
		if values, members, err = fetch(*in.Measure, in.Breakdown); err != nil {
			return nil, err
		}
		if in.Measure.Agg != AggSum && in.Measure.Agg != AggCount && in.Breakdown != "" {
			// Totals of averages and distinct counts do not add up: ask again.
			if values, _, err = fetch(*in.Measure, ""); err != nil {
				return nil, err
			}
		}
		if in.PerCapita > 0 {
			perCapita(p, in.PerCapita, values)
			for _, m := range members {
				perCapita(p, in.PerCapita, m)
			}
		}
	}
	goals, fromData := in.Targets, false
	if ts, ok := src.(TargetSource); ok {
		rows, err := ts.IndicatorTargets(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		if imported, ok := importedTargets(rows, fy); ok {
			goals, fromData = imported, true
		}
	}

	s := &Series{Indicator: in, TargetsImported: fromData}
	grain := in.Grain
	// monthly holds the month-grain values of a to-date indicator.
	var monthly map[time.Time]float64
	if in.ToDate && in.Ratio == nil {
		monthly = values
		values = rollToDate(values, in.Grain, fy)
		for name, m := range members {
			members[name] = rollToDate(m, in.Grain, fy)
		}
	}
	if len(values) == 0 {
		return s, nil
	}
	keys := sortedTimes(values)
	first := PeriodOf(grain, keys[0], fy)
	last := PeriodOf(grain, keys[len(keys)-1], fy)
	newest := last
	if in.ToDate && monthly != nil {
		ms := sortedTimes(monthly)
		newest = PeriodOf(Month, ms[len(ms)-1], fy)
	}
	s.Newest = &newest
	if in.Transform == TransformNone {
		s.monthly = monthly
	}
	nowPeriod := PeriodOf(grain, now.In(p.Location()), fy)
	if in.Transform == TransformCumulative && last.Start.Before(nowPeriod.Start) {
		last = nowPeriod
	}
	var periods []Period
	for q := first; !q.Start.After(last.Start); q = q.Next() {
		periods = append(periods, q)
	}

	vals := make([]*float64, len(periods))
	for i, q := range periods {
		if v, ok := values[q.Start]; ok {
			vals[i] = fptr(v)
		}
	}
	switch in.Transform {
	case TransformCumulative:
		run := 0.0
		for i := range vals {
			if vals[i] != nil {
				run += *vals[i]
			}
			vals[i] = fptr(run)
		}
	case TransformTopShare:
		for i, q := range periods {
			vals[i] = topShare(members, q.Start, in.Top)
		}
	case TransformYoY:
		yoy := make([]*float64, len(periods))
		for i, q := range periods {
			prevStart := q.Start.AddDate(-1, 0, 0)
			var prev float64
			var ok bool
			if in.ToDate && monthly != nil {
				prev, ok = sameMonthsLastYear(monthly, q)
			} else {
				prev, ok = values[prevStart]
			}
			if vals[i] != nil && ok && prev != 0 {
				yoy[i] = fptr(*vals[i]/prev - 1)
			}
		}
		vals = yoy
	}

	var targets map[time.Time]float64
	if in.TargetFrom != nil {
		tq := base
		tq.Measure = *in.TargetFrom
		tq.Grain = in.Grain
		cells, err := src.Aggregate(ctx, tq)
		if err != nil {
			return nil, err
		}
		targets = map[time.Time]float64{}
		for _, c := range cells {
			targets[c.Period] += c.Value
		}
	}

	nowDay := now.In(p.Location())
	for i, q := range periods {
		pt := Point{Period: q, Value: vals[i]}
		if targets != nil {
			if t, ok := targets[q.Start]; ok {
				pt.Target = fptr(t)
			}
		} else if t, ok := goals.For(q); ok {
			pt.Target = fptr(t)
		}
		if v, ok := goals.MinimumFor(q); ok {
			pt.Minimum = fptr(v)
		}
		if v, ok := goals.StretchFor(q); ok {
			pt.Stretch = fptr(v)
		}
		pt.Partial = q.End().After(time.Date(nowDay.Year(), nowDay.Month(), nowDay.Day(), 0, 0, 0, 0, time.UTC))
		if in.ToDate && monthly != nil {
			pt.Months = monthsIn(monthly, q)
			if pt.Months < 12 {
				pt.Partial = true
			}
		}
		s.Points = append(s.Points, pt)
	}
	if in.Breakdown != "" && in.Transform != TransformTopShare {
		for _, name := range sortedMembers(members) {
			m := Member{Name: name, Values: make([]*float64, len(periods))}
			for i, q := range periods {
				if v, ok := members[name][q.Start]; ok {
					m.Values[i] = fptr(v)
				}
			}
			s.Members = append(s.Members, m)
		}
	}
	if in.Pace != "" && monthly != nil {
		s.applyPace(monthly)
	}
	return s, nil
}

// applyPace sets Expected on a partial year: the share of its target that
// earlier complete years had collected by the same month (a straight line when
// there is no history or the pace is linear).
func (s *Series) applyPace(monthly map[time.Time]float64) {
	shares := make([]float64, 12)
	years := 0
	if s.Indicator.Pace == "seasonal" {
		for _, pt := range s.Points {
			// Only years with data in every month teach the pace: a first year
			// whose data starts part way would say nothing is due early on.
			if pt.Months != 12 || !fullYear(monthly, pt.Period) {
				continue
			}
			total := 0.0
			cum := make([]float64, 12)
			for k := 0; k < 12; k++ {
				total += monthly[pt.Period.Start.AddDate(0, k, 0)]
				cum[k] = total
			}
			if total <= 0 {
				continue
			}
			for k := range cum {
				shares[k] += cum[k] / total
			}
			years++
		}
	}
	for k := range shares {
		if years > 0 {
			shares[k] /= float64(years)
		} else {
			shares[k] = float64(k+1) / 12
		}
	}
	s.PaceShares, s.PaceYears = shares, years
	for i := range s.Points {
		pt := &s.Points[i]
		if pt.Partial && pt.Months > 0 && pt.Months < 12 && pt.Target != nil {
			pt.Expected = fptr(*pt.Target * shares[pt.Months-1])
		}
	}
}

// fullYear reports whether every month of year q has a value.
func fullYear(monthly map[time.Time]float64, q Period) bool {
	for k := 0; k < 12; k++ {
		if _, ok := monthly[q.Start.AddDate(0, k, 0)]; !ok {
			return false
		}
	}
	return true
}

// rollToDate sums month values into the years (calendar or fiscal) of grain g.
func rollToDate(monthly map[time.Time]float64, g Grain, fy time.Month) map[time.Time]float64 {
	out := map[time.Time]float64{}
	for t, v := range monthly {
		out[PeriodOf(g, t, fy).Start] += v
	}
	return out
}

// monthsIn is how many months of year q, counted from its start up to the
// newest month with data in it, the value covers.
func monthsIn(monthly map[time.Time]float64, q Period) int {
	n := 0
	for k := 0; k < 12; k++ {
		if _, ok := monthly[q.Start.AddDate(0, k, 0)]; ok {
			n = k + 1
		}
	}
	return n
}

// sameMonthsLastYear sums the year before q over the months q has data for.
func sameMonthsLastYear(monthly map[time.Time]float64, q Period) (float64, bool) {
	k := monthsIn(monthly, q)
	prev := q.Start.AddDate(-1, 0, 0)
	sum, any := 0.0, false
	for i := 0; i < k; i++ {
		if v, ok := monthly[prev.AddDate(0, i, 0)]; ok {
			sum += v
			any = true
		}
	}
	return sum, any
}

func topShare(members map[string]map[time.Time]float64, t time.Time, n int) *float64 {
	var vs []float64
	total := 0.0
	for _, m := range members {
		if v, ok := m[t]; ok {
			vs = append(vs, v)
			total += v
		}
	}
	if len(vs) == 0 || total == 0 {
		return nil
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(vs)))
	top := 0.0
	for i := 0; i < n && i < len(vs); i++ {
		top += vs[i]
	}
	return fptr(top / total)
}

func sortedTimes(m map[time.Time]float64) []time.Time {
	out := make([]time.Time, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// sortedMembers orders breakdown members by their total, largest first.
func sortedMembers(m map[string]map[time.Time]float64) []string {
	type kv struct {
		k string
		v float64
	}
	var list []kv
	for k, vs := range m {
		t := 0.0
		for _, v := range vs {
			t += math.Abs(v)
		}
		list = append(list, kv{k, t})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].v != list[j].v {
			return list[i].v > list[j].v
		}
		return list[i].k < list[j].k
	})
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.k
	}
	return out
}

func fptr(v float64) *float64 { return &v }

// perCapita turns totals into values per n residents of each period's year.
func perCapita(p *Plan, n int, values map[time.Time]float64) {
	for t, v := range values {
		if pop := p.populationFor(t); pop > 0 {
			values[t] = v / pop * float64(n)
		} else {
			delete(values, t)
		}
	}
}
