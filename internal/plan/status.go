package plan

import (
	"math"
	"time"
)

// Status is an indicator's standing, computed from its data.
type Status string

// Statuses, from best to worst for roll-ups.
const (
	OnTrack  Status = "on_track"
	AtRisk   Status = "at_risk"
	OffTrack Status = "off_track"
	NoTarget Status = "no_target"
	NoData   Status = "no_data"
)

// Trend is the direction of an indicator without a target.
type Trend string

// Trends, judged by the indicator's direction.
const (
	Improving Trend = "improving"
	Worsening Trend = "worsening"
	Flat      Trend = "flat"
)

// FlatBand is the relative change under which a trend counts as flat.
const FlatBand = 0.01

// Assessment is the status of an indicator as of a date and how it was reached.
type Assessment struct {
	Status Status
	// Trend is set for indicators without a target (and when a comparison exists).
	Trend Trend
	// Overdue is true when newer data should have arrived by now.
	Overdue bool
	// Point is the period that was judged.
	Point *Point
	// Compared is the period a trend was measured against.
	Compared *Point
	// Score is the value as a share of its target (or of the pace), with
	// direction applied: 1 or more is on track.
	Score float64
	// ByPace is true when a partial year was judged against its pace.
	ByPace bool
	// DueBy is when the next period's data is due (after which it is overdue).
	DueBy time.Time
	// StretchMet is true when the value reaches the stretch target.
	StretchMet bool
}

// Assess judges the series as of now; lagDays is the dataset's publication lag.
func Assess(s *Series, now time.Time, lagDays int) Assessment {
	in := s.Indicator
	var a Assessment
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if s.Newest != nil {
		a.DueBy = s.Newest.End().AddDate(0, in.Cadence.Months(), lagDays)
		a.Overdue = day.After(a.DueBy)
	}
	idx := -1
	for i := len(s.Points) - 1; i >= 0; i-- {
		pt := s.Points[i]
		if pt.Value == nil {
			continue
		}
		// A period still in progress is judged only as a year to date.
		if pt.Partial && !in.ToDate {
			continue
		}
		idx = i
		break
	}
	if idx < 0 {
		a.Status = NoData
		return a
	}
	pt := &s.Points[idx]
	a.Point = pt
	target := pt.Target
	if pt.Expected != nil {
		target, a.ByPace = pt.Expected, true
	}
	if target == nil {
		a.Status = NoTarget
		if prev := comparison(s, idx); prev != nil {
			a.Compared = prev
			a.Trend = trend(*prev.Value, *pt.Value, in.LowerIsBetter())
		}
		return a
	}
	a.Score = score(*pt.Value, *target, in.LowerIsBetter())
	th := in.EffectiveThresholds()
	switch {
	case a.Score >= th.OnTrack:
		a.Status = OnTrack
	case pt.Minimum != nil && !a.ByPace:
		// A minimum replaces the at-risk threshold: between it and the
		// target is at risk, short of it off track.
		if score(*pt.Value, *pt.Minimum, in.LowerIsBetter()) >= 1 {
			a.Status = AtRisk
		} else {
			a.Status = OffTrack
		}
	case a.Score >= th.AtRisk:
		a.Status = AtRisk
	default:
		a.Status = OffTrack
	}
	if pt.Stretch != nil && !a.ByPace && score(*pt.Value, *pt.Stretch, in.LowerIsBetter()) >= 1 {
		a.StretchMet = true
	}
	return a
}

// score is the value as a share of target with direction applied. Where a
// ratio means nothing (a target of zero or below, as for changes that may be
// negative), the gap is measured instead: a shortfall of d counts as 1-d.
// Against a positive target a value below zero keeps the ratio when higher is
// better (a fall scores below no change), and the gap when lower is better
// (a fall beats any positive value).
func score(v, t float64, lowerIsBetter bool) float64 {
	if t > 0 && (v >= 0 || !lowerIsBetter) {
		if lowerIsBetter {
			if v == 0 {
				return math.Inf(1)
			}
			return t / v
		}
		return v / t
	}
	gap := v - t
	if lowerIsBetter {
		gap = t - v
	}
	return 1 + gap
}

// comparison is the point a trend compares with: the same period a year
// earlier for months and quarters (so seasons do not read as trends), the same
// months of the year before for a year to date, otherwise the period before.
func comparison(s *Series, idx int) *Point {
	cur := s.Points[idx]
	if s.monthly != nil && cur.Months > 0 && cur.Months < 12 {
		// A year to date against the same months of the year before: the
		// whole of that year would make every year in progress look worse.
		v, ok := sameMonthsLastYear(s.monthly, cur.Period)
		if !ok {
			return nil
		}
		return &Point{Period: cur.Period.Add(-1), Value: fptr(v), Partial: true, Months: cur.Months}
	}
	if g := cur.Period.Grain; g == Month || g == Quarter {
		want := cur.Period.Start.AddDate(-1, 0, 0)
		for i := idx - 1; i >= 0; i-- {
			if s.Points[i].Period.Start.Equal(want) && s.Points[i].Value != nil {
				return &s.Points[i]
			}
		}
	}
	for i := idx - 1; i >= 0; i-- {
		if s.Points[i].Value != nil && !s.Points[i].Partial {
			return &s.Points[i]
		}
	}
	return nil
}

func trend(prev, cur float64, lowerIsBetter bool) Trend {
	base := math.Abs(prev)
	if base == 0 {
		base = 1
	}
	ch := (cur - prev) / base
	if math.Abs(ch) < FlatBand {
		return Flat
	}
	if (ch > 0) != lowerIsBetter {
		return Improving
	}
	return Worsening
}

// Rollup counts the statuses of the indicators under an objective or goal.
type Rollup struct {
	Counts  map[Status]int
	Overdue int
	Total   int
	// Status is the overall status: see RollUp (and RollUpAll, which also
	// counts strategies).
	Status Status
	// Set by RollUpAll: the strategies, their reported statuses, how many
	// have no update yet, are late, or have an update overdue.
	Strategies     int
	StrategyCounts map[ProgressStatus]int
	NoUpdate       int
	Late           int
	UpdateOverdue  int
}

// RollUp combines assessments by the stated rule: the overall status is the
// weakest status among the indicators that have a target and data (off track
// before at risk before on track); without any, it is no target when some
// indicator has data, else no data.
func RollUp(as []Assessment) Rollup {
	r := Rollup{Counts: map[Status]int{}, Total: len(as)}
	for _, a := range as {
		r.Counts[a.Status]++
		if a.Overdue {
			r.Overdue++
		}
	}
	switch {
	case r.Counts[OffTrack] > 0:
		r.Status = OffTrack
	case r.Counts[AtRisk] > 0:
		r.Status = AtRisk
	case r.Counts[OnTrack] > 0:
		r.Status = OnTrack
	case r.Counts[NoTarget] > 0:
		r.Status = NoTarget
	default:
		r.Status = NoData
	}
	return r
}
