package plan

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Aggregates a measure can use.
const (
	AggSum           = "sum"
	AggAvg           = "avg"
	AggMin           = "min"
	AggMax           = "max"
	AggCount         = "count"
	AggCountDistinct = "count_distinct"
	AggLast          = "last" // latest value in the period, for stocks such as beds
)

var aggregates = map[string]bool{AggSum: true, AggAvg: true, AggMin: true, AggMax: true,
	AggCount: true, AggCountDistinct: true, AggLast: true}

// Transforms of a measure's series.
const (
	TransformNone       = ""
	TransformCumulative = "cumulative" // running total over periods
	TransformYoY        = "yoy"        // change from the same period a year earlier, as a fraction
	TransformTopShare   = "top_share"  // share of the top N members of the breakdown
)

// Formats for an indicator's values.
const (
	FormatNumber  = "number"
	FormatMoney   = "money"
	FormatPercent = "percent" // values are fractions: 0.95 is 95%
)

// Indicator is a measure of the plan: a declarative query over a dataset.
type Indicator struct {
	Pos         `yaml:"-"`
	ID          string `yaml:"id"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Dataset     string `yaml:"dataset"`
	// Measure is the value of each period; Ratio divides two measures instead.
	Measure *Measure `yaml:"measure"`
	Ratio   *Ratio   `yaml:"ratio"`
	Filters []Filter `yaml:"filters"`
	// Time overrides the dataset's time column.
	Time      string `yaml:"time"`
	Breakdown string `yaml:"breakdown"`
	Transform string `yaml:"transform"`
	Top       int    `yaml:"top"`
	Grain     Grain  `yaml:"grain"`
	// ToDate makes the latest year a year to date, compared with the same
	// months of earlier years.
	ToDate bool `yaml:"to_date"`
	// TargetFrom takes each period's target from the data (the budget).
	TargetFrom *Measure `yaml:"target_from"`
	// Pace judges a partial year against the share of the target expected by
	// now: "seasonal" learns that share from earlier years, "linear" does not.
	Pace       string      `yaml:"pace"`
	Unit       string      `yaml:"unit"`
	Format     string      `yaml:"format"`
	Direction  string      `yaml:"direction"`
	Targets    Targets     `yaml:"targets"`
	Baseline   *Baseline   `yaml:"baseline"`
	Thresholds *Thresholds `yaml:"thresholds"`
	Cadence    Grain       `yaml:"cadence"`
	Owner      string      `yaml:"owner"`
	// Measures lists the ids of the objectives and strategies it measures.
	Measures []string `yaml:"measures"`
	// PerCapita makes the values per N residents (population from the plan).
	PerCapita int `yaml:"per_capita"`
}

// UnmarshalYAML records the indicator's position.
func (in *Indicator) UnmarshalYAML(n *yaml.Node) error {
	type raw Indicator
	return decodeWithPos(n, (*raw)(in), &in.Pos)
}

// Measure is an aggregate of a column.
type Measure struct {
	Pos    `yaml:"-"`
	Agg    string `yaml:"agg"`
	Column string `yaml:"column"`
}

// UnmarshalYAML accepts "sum(actual)" or a mapping {agg, column}.
func (m *Measure) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		m.Line = n.Line
		s := strings.TrimSpace(n.Value)
		agg, rest, ok := strings.Cut(s, "(")
		if !ok || !strings.HasSuffix(rest, ")") {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a measure (write sum(column) or count(*))", n.Line, s)}}
		}
		m.Agg = strings.TrimSpace(agg)
		m.Column = strings.TrimSpace(strings.TrimSuffix(rest, ")"))
		if m.Column == "*" {
			m.Column = ""
		}
		return nil
	}
	type raw Measure
	return decodeWithPos(n, (*raw)(m), &m.Pos)
}

// Parts lists the columns a measure adds up: "level2_ports + dc_fast_ports"
// sums two columns row by row (a blank counts as zero).
func (m Measure) Parts() []string {
	if m.Column == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(m.Column, "+") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

// String writes the measure as sum(actual).
func (m Measure) String() string {
	c := m.Column
	if c == "" {
		c = "*"
	}
	return m.Agg + "(" + c + ")"
}

// Ratio divides one measure by another in each period.
type Ratio struct {
	Pos         `yaml:"-"`
	Numerator   Measure `yaml:"numerator"`
	Denominator Measure `yaml:"denominator"`
}

// UnmarshalYAML records the ratio's position.
func (r *Ratio) UnmarshalYAML(n *yaml.Node) error {
	type raw Ratio
	return decodeWithPos(n, (*raw)(r), &r.Pos)
}

// Filter keeps the rows whose column equals a value, is one of several, or
// lies in a range.
type Filter struct {
	Pos    `yaml:"-"`
	Column string   `yaml:"column"`
	Equals *string  `yaml:"equals"`
	In     []string `yaml:"in"`
	From   *string  `yaml:"from"`
	To     *string  `yaml:"to"`
	// Missing keeps the rows where the column is blank (true) or not (false).
	Missing *bool `yaml:"missing"`
}

// UnmarshalYAML records the filter's position.
func (f *Filter) UnmarshalYAML(n *yaml.Node) error {
	type raw Filter
	return decodeWithPos(n, (*raw)(f), &f.Pos)
}

// String describes the filter in words.
func (f Filter) String() string {
	switch {
	case f.Equals != nil:
		return fmt.Sprintf("%s is %s", f.Column, *f.Equals)
	case len(f.In) > 0:
		return fmt.Sprintf("%s is one of %s", f.Column, strings.Join(f.In, ", "))
	case f.Missing != nil && *f.Missing:
		return fmt.Sprintf("%s is blank", f.Column)
	case f.Missing != nil:
		return fmt.Sprintf("%s is not blank", f.Column)
	case f.From != nil && f.To != nil:
		return fmt.Sprintf("%s from %s to %s", f.Column, *f.From, *f.To)
	case f.From != nil:
		return fmt.Sprintf("%s from %s", f.Column, *f.From)
	case f.To != nil:
		return fmt.Sprintf("%s up to %s", f.Column, *f.To)
	}
	return f.Column
}

// Targets are an indicator's targets by period. A target written for a longer
// period (FY2025) applies to each shorter period inside it.
type Targets struct {
	Pos `yaml:"-"`
	// Sample marks illustrative targets that the plan itself does not set.
	Sample   bool               `yaml:"sample"`
	ByPeriod map[string]float64 `yaml:"by_period"`
	// Minimum is the least acceptable value (below it an indicator is off
	// track); Stretch the ambitious one. Both by period, like the target.
	Minimum map[string]float64 `yaml:"minimum"`
	Stretch map[string]float64 `yaml:"stretch"`
	// parsed by Validate (or from the targets dataset)
	periods, minimum, stretch []targetPeriod
}

type targetPeriod struct {
	p     Period
	value float64
}

// UnmarshalYAML records the targets' position.
func (t *Targets) UnmarshalYAML(n *yaml.Node) error {
	type raw Targets
	return decodeWithPos(n, (*raw)(t), &t.Pos)
}

// Any reports whether any target is set.
func (t *Targets) Any() bool { return len(t.ByPeriod) > 0 }

// For returns the target of period p: the target of p itself, or of the
// shortest period that contains it.
func (t *Targets) For(p Period) (float64, bool) { return lookupTarget(t.periods, p) }

// MinimumFor returns the minimum of period p, found as For finds the target.
func (t *Targets) MinimumFor(p Period) (float64, bool) { return lookupTarget(t.minimum, p) }

// StretchFor returns the stretch target of period p.
func (t *Targets) StretchFor(p Period) (float64, bool) { return lookupTarget(t.stretch, p) }

func lookupTarget(list []targetPeriod, p Period) (float64, bool) {
	best, found := 0, false
	var v float64
	for _, tp := range list {
		if tp.p.Grain == p.Grain && tp.p.Start.Equal(p.Start) {
			return tp.value, true
		}
		if tp.p.Grain.Months() > p.Grain.Months() && !p.Start.Before(tp.p.Start) && !p.End().After(tp.p.End()) {
			if !found || tp.p.Grain.Months() < best {
				best, v, found = tp.p.Grain.Months(), tp.value, true
			}
		}
	}
	return v, found
}

// Keys lists the target periods in order.
func (t *Targets) Keys() []string {
	ks := make([]string, 0, len(t.ByPeriod))
	for k := range t.ByPeriod {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Baseline is the value an indicator started from.
type Baseline struct {
	Period string  `yaml:"period"`
	Value  float64 `yaml:"value"`
}

// Thresholds are the shares of target (or of pace) at which an indicator is
// on track or at risk; below AtRisk it is off track.
type Thresholds struct {
	OnTrack float64 `yaml:"on_track"`
	AtRisk  float64 `yaml:"at_risk"`
}

// DefaultThresholds: on track at 100% of target, at risk from 90%.
var DefaultThresholds = Thresholds{OnTrack: 1.0, AtRisk: 0.9}

// LowerIsBetter reports whether a falling value is good.
func (in *Indicator) LowerIsBetter() bool { return in.Direction == "down" }

// EffectiveThresholds is the indicator's thresholds or the defaults.
func (in *Indicator) EffectiveThresholds() Thresholds {
	if in.Thresholds == nil {
		return DefaultThresholds
	}
	return *in.Thresholds
}

// HasTarget reports whether the indicator has targets, written or from data.
func (in *Indicator) HasTarget() bool { return in.Targets.Any() || in.TargetFrom != nil }

// ValueFormat is the format of the indicator's values.
func (in *Indicator) ValueFormat() string {
	if in.Format != "" {
		return in.Format
	}
	if in.Transform == TransformYoY || in.Transform == TransformTopShare || in.Ratio != nil {
		return FormatPercent
	}
	return FormatNumber
}
