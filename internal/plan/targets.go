package plan

import (
	"context"
	"sort"
	"strconv"
	"time"
)

// TargetRow is an indicator's targets for one period as a dataset holds
// them (targets change at every budget adoption, so cities import them).
type TargetRow struct {
	Period                   string
	Minimum, Target, Stretch *float64
}

// TargetSource is what a Source may also offer: targets imported for an
// indicator. When it has rows for an indicator, they replace the plan
// file's targets for it.
type TargetSource interface {
	IndicatorTargets(ctx context.Context, indicator string) ([]TargetRow, error)
}

// TargetsDataset holds imported targets by indicator and period.
const TargetsDataset = "indicator_targets"

// importedTargets builds Targets from imported rows; ok is false when there
// are none (or none that parse).
func importedTargets(rows []TargetRow, fy time.Month) (Targets, bool) {
	var t Targets
	for _, r := range rows {
		per, err := ParsePeriod(r.Period, fy)
		if err != nil {
			continue
		}
		if r.Target != nil {
			t.periods = append(t.periods, targetPeriod{p: per, value: *r.Target})
		}
		if r.Minimum != nil {
			t.minimum = append(t.minimum, targetPeriod{p: per, value: *r.Minimum})
		}
		if r.Stretch != nil {
			t.stretch = append(t.stretch, targetPeriod{p: per, value: *r.Stretch})
		}
	}
	return t, len(t.periods)+len(t.minimum)+len(t.stretch) > 0
}

// populationFor is the population of the calendar year of t, or of the
// latest earlier year the plan gives (0 when it gives none so early).
func (p *Plan) populationFor(t time.Time) float64 {
	years := make([]int, 0, len(p.Population))
	for y := range p.Population {
		if yy, err := strconv.Atoi(y); err == nil {
			years = append(years, yy)
		}
	}
	sort.Ints(years)
	var pop int64
	for _, y := range years {
		if y <= t.Year() {
			pop = p.Population[strconv.Itoa(y)]
		}
	}
	return float64(pop)
}
