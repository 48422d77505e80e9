package plan

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var reflectTypeOfPlan = reflect.TypeOf(Plan{})

var (
	goalIDRe      = regexp.MustCompile(`^G[1-9][0-9]*$`)
	objectiveIDRe = regexp.MustCompile(`^(G[1-9][0-9]*)\.O[1-9][0-9]*$`)
	strategyIDRe  = regexp.MustCompile(`^(G[1-9][0-9]*\.O[1-9][0-9]*)\.S[1-9][0-9]*$`)
	indicatorIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
)

type checker struct {
	file  string
	probs Problems
}

func (c *checker) errf(line int, format string, args ...any) {
	c.probs = append(c.probs, Problem{File: c.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) warnf(line int, format string, args ...any) {
	c.probs = append(c.probs, Problem{File: c.file, Line: line, Message: fmt.Sprintf(format, args...), Warning: true})
}

func (c *checker) unknown(p Pos, what string) {
	for _, k := range p.unknown {
		c.errf(p.KeyLine(k), "unknown key %q in %s", k, what)
	}
}

// validate checks the whole plan and resolves datasets and links.
func (p *Plan) validate() Problems {
	c := &checker{file: p.File}
	c.unknown(p.Pos, "the plan")
	if strings.TrimSpace(p.Title) == "" {
		c.errf(p.Line, "the plan has no title")
	}
	if p.Start.IsZero() || p.End.IsZero() {
		c.errf(p.Line, "the plan needs start and end dates (YYYY-MM-DD)")
	} else if !p.End.After(p.Start.Time) {
		c.errf(p.KeyLine("end"), "the plan ends (%s) before it starts (%s)", p.End.Format("2006-01-02"), p.Start.Format("2006-01-02"))
	}
	if p.FiscalYear != 0 && (p.FiscalYear < 1 || p.FiscalYear > 12) {
		c.errf(p.KeyLine("fiscal_year_start_month"), "fiscal_year_start_month must be 1 to 12, not %d", p.FiscalYear)
	}
	if p.TimeZone != "" {
		loc, err := time.LoadLocation(p.TimeZone)
		if err != nil {
			c.errf(p.KeyLine("time_zone"), "unknown time zone %q (write an IANA name such as America/Los_Angeles)", p.TimeZone)
		} else {
			p.location = loc
		}
	}
	p.Goals = dropNil(c, p.Goals, p.KeyLine("goals"), "the goals")
	p.Indicators = dropNil(c, p.Indicators, p.KeyLine("indicators"), "the indicators")
	depts := map[string]bool{}
	for i := range p.Departments {
		d := &p.Departments[i]
		c.unknown(d.Pos, "a department")
		if d.Name == "" {
			c.errf(d.Line, "a department has no name")
		}
		if depts[strings.ToLower(d.Name)] {
			c.errf(d.Line, "department %q is listed twice", d.Name)
		}
		depts[strings.ToLower(d.Name)] = true
	}
	for y, n := range p.Population {
		if yy, err := strconv.Atoi(y); err != nil || yy < 1900 || yy > 2200 || n <= 0 {
			c.errf(p.KeyLine("population"), "population: %q: %d must be a year and a number of residents, such as \"2020\": 102773", y, n)
		}
	}
	p.checkTree(c, depts)
	p.checkDatasets(c)
	p.checkProfiles(c)
	p.checkSources(c)
	p.checkStrategyTracking(c)
	p.checkIndicators(c, depts)
	return c.probs
}

func (p *Plan) checkTree(c *checker, depts map[string]bool) {
	p.ids = map[string]any{}
	seen := func(id string, line int, v any) bool {
		if _, dup := p.ids[id]; dup {
			c.errf(line, "duplicate id %q", id)
			return true
		}
		p.ids[id] = v
		return false
	}
	if len(p.Goals) == 0 {
		c.errf(p.Line, "the plan has no goals")
	}
	for gi, g := range p.Goals {
		c.unknown(g.Pos, "goal "+g.ID)
		g.Number = gi + 1
		if !goalIDRe.MatchString(g.ID) {
			c.errf(g.KeyLine("id"), "goal id %q must look like G1", g.ID)
		}
		if strings.TrimSpace(g.Title) == "" {
			c.errf(g.Line, "goal %s has no title", g.ID)
		}
		seen(g.ID, g.KeyLine("id"), g)
		g.Objectives = dropNil(c, g.Objectives, g.KeyLine("objectives"), "the objectives of "+g.ID)
		for _, o := range g.Objectives {
			c.unknown(o.Pos, "objective "+o.ID)
			o.Goal = g
			if m := objectiveIDRe.FindStringSubmatch(o.ID); m == nil {
				c.errf(o.KeyLine("id"), "objective id %q must look like %s.O1", o.ID, g.ID)
			} else if m[1] != g.ID {
				c.errf(o.KeyLine("id"), "objective %s is listed under goal %s; its id must start with %s.", o.ID, g.ID, g.ID)
			}
			if strings.TrimSpace(o.Title) == "" {
				c.errf(o.Line, "objective %s has no title", o.ID)
			}
			seen(o.ID, o.KeyLine("id"), o)
			o.Strategies = dropNil(c, o.Strategies, o.KeyLine("strategies"), "the strategies of "+o.ID)
			for _, s := range o.Strategies {
				c.unknown(s.Pos, "strategy "+s.ID)
				s.Objective = o
				if m := strategyIDRe.FindStringSubmatch(s.ID); m == nil {
					c.errf(s.KeyLine("id"), "strategy id %q must look like %s.S1", s.ID, o.ID)
				} else if m[1] != o.ID {
					c.errf(s.KeyLine("id"), "strategy %s is listed under objective %s; its id must start with %s.", s.ID, o.ID, o.ID)
				}
				if strings.TrimSpace(s.Text) == "" {
					c.errf(s.Line, "strategy %s has no text", s.ID)
				}
				if s.Owner != "" && !depts[strings.ToLower(s.Owner)] {
					c.errf(s.KeyLine("owner"), "strategy %s: owner %q is not a department of the plan", s.ID, s.Owner)
				}
				seen(s.ID, s.KeyLine("id"), s)
			}
		}
	}
}

func (p *Plan) checkDatasets(c *checker) {
	builtin, err := BuiltinDatasets()
	if err != nil {
		c.errf(0, "%v", err)
		return
	}
	p.Datasets = map[string]*Dataset{}
	for _, ref := range p.DatasetRefs {
		var d *Dataset
		if ref.Own == nil {
			d = builtin[ref.Builtin]
			if d == nil {
				c.errf(ref.Line, "unknown built-in dataset %q (built-in: %s)", ref.Builtin, strings.Join(sortedKeys(builtin), ", "))
				continue
			}
		} else {
			d = ref.Own
			c.checkDataset(d)
		}
		if _, dup := p.Datasets[d.Name]; dup {
			c.errf(ref.Line, "dataset %q is listed twice", d.Name)
			continue
		}
		p.Datasets[d.Name] = d
	}
	// Narratives belong to every plan: staff write them on indicator pages.
	if p.Datasets[NotesDataset] == nil {
		p.Datasets[NotesDataset] = builtin[NotesDataset]
	}
	// So do imported targets, which change at every budget adoption.
	if p.Datasets[TargetsDataset] == nil {
		p.Datasets[TargetsDataset] = builtin[TargetsDataset]
	}
	p.addStrategyDatasets(builtin)
}

// NotesDataset holds the narratives staff write per indicator and period.
const NotesDataset = "indicator_notes"

func (c *checker) checkDataset(d *Dataset) {
	c.unknown(d.Pos, "dataset "+d.Name)
	if !ValidIdent(d.Name) {
		c.errf(d.KeyLine("name"), "dataset name %q must be lower-case letters, digits and underscores", d.Name)
	}
	if len(d.Columns) == 0 {
		c.errf(d.Line, "dataset %s has no columns", d.Name)
	}
	d.Columns = dropNil(c, d.Columns, d.KeyLine("columns"), "the columns of "+d.Name)
	names := map[string]bool{}
	for _, col := range d.Columns {
		c.unknown(col.Pos, "column "+col.Name)
		if !ValidIdent(col.Name) {
			c.errf(col.KeyLine("name"), "dataset %s: column name %q must be lower-case letters, digits and underscores", d.Name, col.Name)
		}
		if names[col.Name] {
			c.errf(col.Line, "dataset %s: column %q is declared twice", d.Name, col.Name)
		}
		names[col.Name] = true
		if !columnTypes[col.Type] {
			c.errf(col.KeyLine("type"), "dataset %s: column %s has bad type %q (one of %s)", d.Name, col.Name, col.Type, strings.Join(sortedKeys(columnTypes), ", "))
		}
		c.checkColumnRules(d, col)
	}
	for _, k := range d.Key {
		if d.Column(k) == nil {
			c.errf(d.KeyLine("key"), "dataset %s: key column %q is not a column of the dataset", d.Name, k)
		}
	}
	if d.Time != "" {
		if col := d.Column(d.Time); col == nil {
			c.errf(d.KeyLine("time"), "dataset %s: time column %q is not a column of the dataset", d.Name, d.Time)
		} else if !col.Temporal() && col.Type != TypeFiscalYear {
			c.errf(d.KeyLine("time"), "dataset %s: time column %s must be a date or month, not %s", d.Name, d.Time, col.Type)
		}
	}
	if d.FiscalYearColumn != "" {
		if col := d.Column(d.FiscalYearColumn); col == nil || col.Type != TypeFiscalYear {
			c.errf(d.KeyLine("fiscal_year_column"), "dataset %s: fiscal_year_column %q must be a column of type fiscal_year", d.Name, d.FiscalYearColumn)
		}
	}
	switch d.Mode {
	case "":
		d.Mode = ModeAppend
	case ModeReplace, ModeUpsert, ModeAppend:
		if d.Mode == ModeUpsert && len(d.Key) == 0 {
			c.errf(d.KeyLine("mode"), "dataset %s: mode upsert needs a key", d.Name)
		}
	default:
		c.errf(d.KeyLine("mode"), "dataset %s: mode %q must be replace, upsert or append", d.Name, d.Mode)
	}
}

func (p *Plan) checkIndicators(c *checker, depts map[string]bool) {
	ids := map[string]bool{}
	for _, in := range p.Indicators {
		c.unknown(in.Pos, "indicator "+in.ID)
		if !indicatorIDRe.MatchString(in.ID) {
			c.errf(in.KeyLine("id"), "indicator id %q must be lower-case letters, digits and hyphens", in.ID)
		}
		if ids[in.ID] {
			c.errf(in.KeyLine("id"), "duplicate id %q", in.ID)
		}
		ids[in.ID] = true
		if strings.TrimSpace(in.Title) == "" {
			c.errf(in.Line, "indicator %s has no title", in.ID)
		}
		p.checkIndicator(c, in, depts)
	}
}

func (p *Plan) checkIndicator(c *checker, in *Indicator, depts map[string]bool) {
	where := "indicator " + in.ID
	ds := p.Datasets[in.Dataset]
	if ds == nil {
		c.errf(in.KeyLine("dataset"), "%s: unknown dataset %q (the plan lists: %s)", where, in.Dataset, strings.Join(sortedKeys(p.Datasets), ", "))
	}
	if (in.Measure == nil) == (in.Ratio == nil) {
		c.errf(in.Line, "%s needs exactly one of measure or ratio", where)
	}
	if in.Grain == "" {
		in.Grain = Month
	}
	if !in.Grain.Valid() {
		c.errf(in.KeyLine("grain"), "%s: grain %q must be month, quarter, year or fiscal_year", where, in.Grain)
	}
	if in.Cadence == "" {
		in.Cadence = in.Grain
	}
	if !in.Cadence.Valid() {
		c.errf(in.KeyLine("cadence"), "%s: cadence %q must be month, quarter, year or fiscal_year", where, in.Cadence)
	}
	switch in.Direction {
	case "":
		in.Direction = "up"
	case "up", "down":
	default:
		c.errf(in.KeyLine("direction"), "%s: direction %q must be up or down", where, in.Direction)
	}
	switch in.Format {
	case "", FormatNumber, FormatMoney, FormatPercent:
	default:
		c.errf(in.KeyLine("format"), "%s: format %q must be number, money or percent", where, in.Format)
	}
	if in.Owner != "" && !depts[strings.ToLower(in.Owner)] {
		c.errf(in.KeyLine("owner"), "%s: owner %q is not a department of the plan", where, in.Owner)
	}
	if len(in.Measures) == 0 {
		c.errf(in.Line, "%s does not say which objectives or strategies it measures (measures: [G1.O1])", where)
	}
	for _, id := range in.Measures {
		if _, ok := p.ids[id]; !ok {
			c.errf(in.KeyLine("measures"), "%s measures %q, which is not a goal, objective or strategy of the plan", where, id)
		}
	}
	if ds != nil {
		p.checkQuery(c, in, ds, where)
	}
	c.checkTargets(p, in, where)
}

func (p *Plan) checkQuery(c *checker, in *Indicator, ds *Dataset, where string) {
	additive := true
	checkMeasure := func(m *Measure, line int) {
		if m == nil {
			return
		}
		c.unknown(m.Pos, "the measure")
		if !aggregates[m.Agg] {
			c.errf(line, "%s: bad measure %q: aggregate must be one of %s", where, m.String(), strings.Join(sortedKeys(aggregates), ", "))
			return
		}
		if m.Agg != AggSum && m.Agg != AggCount {
			additive = false
		}
		if m.Column == "" {
			if m.Agg != AggCount {
				c.errf(line, "%s: bad measure %q: %s needs a column", where, m.String(), m.Agg)
			}
			return
		}
		parts := m.Parts()
		for _, part := range parts {
			col := ds.Column(part)
			if col == nil {
				c.errf(line, "%s: unknown column %q in dataset %s", where, part, ds.Name)
				continue
			}
			switch m.Agg {
			case AggSum, AggAvg, AggLast, AggMin, AggMax:
				if !col.Numeric() {
					c.errf(line, "%s: bad measure %q: column %s is %s, not a number", where, m.String(), col.Name, col.Type)
				}
			default:
				if len(parts) > 1 {
					c.errf(line, "%s: bad measure %q: only sum, avg, min, max and last can add columns", where, m.String())
				}
			}
		}
	}
	checkMeasure(in.Measure, in.KeyLine("measure"))
	if in.Ratio != nil {
		c.unknown(in.Ratio.Pos, "the ratio")
		checkMeasure(&in.Ratio.Numerator, in.Ratio.KeyLine("numerator"))
		checkMeasure(&in.Ratio.Denominator, in.Ratio.KeyLine("denominator"))
	}
	checkMeasure(in.TargetFrom, in.KeyLine("target_from"))
	timeCol := in.TimeColumn(ds)
	if col := ds.Column(timeCol); timeCol == "" || col == nil || !col.Temporal() {
		c.errf(in.KeyLine("time"), "%s: time column %q of dataset %s must be a date or month column", where, timeCol, ds.Name)
	}
	for i := range in.Filters {
		c.checkFilter(&in.Filters[i], ds, where)
	}
	if in.Breakdown != "" && ds.Column(in.Breakdown) == nil {
		c.errf(in.KeyLine("breakdown"), "%s: unknown column %q in dataset %s", where, in.Breakdown, ds.Name)
	}
	switch in.Transform {
	case TransformNone, TransformCumulative, TransformYoY:
	case TransformTopShare:
		if in.Breakdown == "" || in.Top < 1 {
			c.errf(in.KeyLine("transform"), "%s: top_share needs a breakdown column and top: N", where)
		}
	default:
		c.errf(in.KeyLine("transform"), "%s: transform %q must be cumulative, yoy or top_share", where, in.Transform)
	}
	if in.Transform == TransformCumulative && in.Ratio != nil {
		c.errf(in.KeyLine("transform"), "%s: a ratio cannot be cumulative", where)
	}
	if in.ToDate {
		if in.Grain != Year && in.Grain != FiscalYear {
			c.errf(in.KeyLine("to_date"), "%s: to_date needs grain year or fiscal_year", where)
		}
		if !additive {
			c.errf(in.KeyLine("to_date"), "%s: to_date needs sum or count measures, which add up month by month", where)
		}
	}
	switch in.Pace {
	case "":
	case "seasonal", "linear":
		if !in.ToDate {
			c.errf(in.KeyLine("pace"), "%s: pace needs to_date: true", where)
		}
	default:
		c.errf(in.KeyLine("pace"), "%s: pace %q must be seasonal or linear", where, in.Pace)
	}
}

// TimeColumn is the column that places the indicator's rows in time.
func (in *Indicator) TimeColumn(ds *Dataset) string {
	if in.Time != "" {
		return in.Time
	}
	return ds.Time
}

func (c *checker) checkFilter(f *Filter, ds *Dataset, where string) {
	c.unknown(f.Pos, "a filter")
	col := ds.Column(f.Column)
	if col == nil {
		c.errf(f.Line, "%s: filter on unknown column %q in dataset %s", where, f.Column, ds.Name)
		return
	}
	n := 0
	for _, set := range []bool{f.Equals != nil, len(f.In) > 0, f.From != nil || f.To != nil, f.Missing != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		c.errf(f.Line, "%s: a filter on %s needs one of equals, in, from/to or missing", where, f.Column)
		return
	}
	vals := append([]string{}, f.In...)
	for _, v := range []*string{f.Equals, f.From, f.To} {
		if v != nil {
			vals = append(vals, *v)
		}
	}
	for _, v := range vals {
		if _, err := ParseFilterValue(col, v); err != nil {
			c.errf(f.Line, "%s: filter on %s: %v", where, f.Column, err)
		}
	}
}

// ParseFilterValue converts a value written in the plan file to the column's type.
func ParseFilterValue(col *Column, s string) (any, error) {
	switch col.Type {
	case TypeInteger:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		return v, nil
	case TypeDecimal, TypeMoney:
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return v, nil
	case TypeDate:
		t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return t, nil
	case TypeMonth:
		t, err := time.Parse("2006-01", strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a month (YYYY-MM)", s)
		}
		return t, nil
	case TypeFiscalYear:
		y, ok := parseFiscalYear(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "FY"))
		if !ok {
			return nil, fmt.Errorf("%q is not a fiscal year (FY2025)", s)
		}
		return int64(y), nil
	case TypeBoolean:
		v, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(s)))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return v, nil
	}
	return s, nil
}

func (c *checker) checkTargets(p *Plan, in *Indicator, where string) {
	t := &in.Targets
	c.unknown(t.Pos, "the targets of "+in.ID)
	t.periods, t.minimum, t.stretch = nil, nil, nil
	for _, level := range []struct {
		key  string
		vals map[string]float64
		into *[]targetPeriod
	}{{"by_period", t.ByPeriod, &t.periods}, {"minimum", t.Minimum, &t.minimum}, {"stretch", t.Stretch, &t.stretch}} {
		c.checkTargetLevel(p, in, where, level.key, level.vals, level.into)
	}
	if th := in.Thresholds; th != nil && (th.AtRisk <= 0 || th.OnTrack <= 0 || th.AtRisk > th.OnTrack) {
		c.errf(in.KeyLine("thresholds"), "%s: thresholds need 0 < at_risk <= on_track (as shares of target: on_track: 1.0, at_risk: 0.9)", where)
	}
	if in.PerCapita < 0 {
		c.errf(in.KeyLine("per_capita"), "%s: per_capita must be a positive number of residents, such as 1000", where)
	}
	if in.PerCapita > 0 && len(p.Population) == 0 {
		c.errf(in.KeyLine("per_capita"), "%s: per_capita needs the plan's population by year (population: {\"2020\": 102773})", where)
	}
	c.checkBaseline(p, in, where)
}

// checkTargetLevel parses one level of targets (target, minimum, stretch).
func (c *checker) checkTargetLevel(p *Plan, in *Indicator, where, key string, vals map[string]float64, into *[]targetPeriod) {
	t := &in.Targets
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		per, err := ParsePeriod(k, p.FYStart())
		if err != nil {
			c.errf(t.KeyLine(key), "%s: target %v", where, err)
			continue
		}
		if per.Grain.Months() < in.Grain.Months() {
			c.errf(t.KeyLine(key), "%s: target period %s is shorter than the indicator's grain (%s)", where, k, in.Grain)
			continue
		}
		if per.Grain.Months() == in.Grain.Months() && per.Grain != in.Grain {
			// A calendar year never matches a fiscal year (or the reverse): the
			// target would silently apply to nothing.
			c.errf(t.KeyLine(key), "%s: target period %s is a %s, but the indicator's grain is %s", where, k, per.Grain, in.Grain)
			continue
		}
		*into = append(*into, targetPeriod{p: per, value: vals[k]})
		if !p.Start.IsZero() && !p.End.IsZero() && (!per.End().After(p.Start.Time) || per.Start.After(p.End.Time)) {
			c.warnf(t.KeyLine(key), "%s: target period %s lies outside the plan period %s to %s", where, per.Label(),
				p.Start.Format("2006-01-02"), p.End.Format("2006-01-02"))
		}
	}
}

// checkBaseline checks the baseline's period.
func (c *checker) checkBaseline(p *Plan, in *Indicator, where string) {
	if in.Baseline != nil {
		if _, err := ParsePeriod(in.Baseline.Period, p.FYStart()); err != nil {
			c.errf(in.KeyLine("baseline"), "%s: baseline %v", where, err)
		}
	}
}

// dropNil removes the empty entries of a list (a bare "-", which YAML decodes
// as nil) and reports each at the line of the list's key.
func dropNil[T any](c *checker, list []*T, line int, what string) []*T {
	out := list[:0]
	for _, v := range list {
		if v == nil {
			c.errf(line, "an empty entry in %s", what)
			continue
		}
		out = append(out, v)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}
