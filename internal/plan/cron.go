package plan

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// CronSpec is a schedule as the plan file writes it: five fields (minute,
// hour, day of month, month, day of week) or a descriptor (@daily, @every
// 6h), read exactly as robfig/cron's standard parser reads them, which is
// what runs the schedule (internal/schedule checks that the two agree).
// The plan package parses it itself so that validation and the words on
// the pages need no scheduling library.
type CronSpec struct {
	Expr string
	// Every is set for "@every DURATION".
	Every time.Duration
	// Bit sets: bit n set when value n matches.
	Minute, Hour, Dom, Month, Dow uint64
	// Star records the fields written as * or ? (all values, and for the
	// days the rule that the other day field alone decides).
	MinuteStar, HourStar, DomStar, MonthStar, DowStar bool
}

type cronBounds struct {
	min, max uint
	names    map[string]uint
}

var (
	cronMinutes = cronBounds{0, 59, nil}
	cronHours   = cronBounds{0, 23, nil}
	cronDom     = cronBounds{1, 31, nil}
	cronMonths  = cronBounds{1, 12, map[string]uint{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}}
	cronDow = cronBounds{0, 6, map[string]uint{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}}
)

// DefaultSchedule is when a source runs unless it says otherwise: every
// night at 03:15 in the plan's time zone, outside the hours (01:00-03:00)
// that a change of clocks skips or repeats.
const DefaultSchedule = "15 3 * * *"

// ParseCron reads a cron expression.
func ParseCron(expr string) (*CronSpec, error) {
	expr = strings.TrimSpace(expr)
	c := &CronSpec{Expr: expr}
	if expr == "" {
		return nil, fmt.Errorf("the schedule is empty")
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("a schedule runs in the plan's time zone (time_zone); remove %q", strings.Fields(expr)[0])
	}
	if strings.HasPrefix(expr, "@") {
		all := func(b cronBounds) uint64 { return cronBits(b.min, b.max, 1) }
		c.Minute, c.Hour, c.Dom, c.Month, c.Dow = 1, 1, 1<<1, all(cronMonths), all(cronDow)
		c.MonthStar, c.DowStar = true, true
		switch expr {
		case "@yearly", "@annually":
			c.Month, c.MonthStar = 1<<1, false
		case "@monthly":
		case "@weekly":
			c.Dom, c.DomStar = all(cronDom), true
			c.Dow, c.DowStar = 1, false
		case "@daily", "@midnight":
			c.Dom, c.DomStar = all(cronDom), true
		case "@hourly":
			c.Dom, c.DomStar = all(cronDom), true
			c.Hour, c.HourStar = all(cronHours), true
		default:
			d, ok := strings.CutPrefix(expr, "@every ")
			if !ok {
				return nil, fmt.Errorf("unknown schedule %q (use five fields, or @hourly, @daily, @weekly, @monthly, @yearly, @every DURATION)", expr)
			}
			dur, err := time.ParseDuration(d)
			if err != nil {
				return nil, fmt.Errorf("%q: %q is not a duration such as 6h or 90m", expr, d)
			}
			if dur < time.Minute {
				return nil, fmt.Errorf("%q: run at most once a minute", expr)
			}
			*c = CronSpec{Expr: expr, Every: dur}
		}
		return c, nil
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return nil, fmt.Errorf("%q has %d field(s); write five: minute hour day-of-month month day-of-week (e.g. %q)", expr, len(fields), DefaultSchedule)
	}
	var err error
	field := func(s string, b cronBounds, name string, star *bool) uint64 {
		if err != nil {
			return 0
		}
		v, st, ferr := cronField(s, b)
		if ferr != nil {
			err = fmt.Errorf("%q: %s field: %v", expr, name, ferr)
		}
		*star = st
		return v
	}
	c.Minute = field(fields[0], cronMinutes, "minute", &c.MinuteStar)
	c.Hour = field(fields[1], cronHours, "hour", &c.HourStar)
	c.Dom = field(fields[2], cronDom, "day-of-month", &c.DomStar)
	c.Month = field(fields[3], cronMonths, "month", &c.MonthStar)
	c.Dow = field(fields[4], cronDow, "day-of-week", &c.DowStar)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// cronField reads a comma-separated list of ranges.
func cronField(s string, b cronBounds) (uint64, bool, error) {
	var out uint64
	star := false
	for _, r := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' }) {
		v, st, err := cronRange(r, b)
		if err != nil {
			return 0, false, err
		}
		out |= v
		star = star || st
	}
	return out, star, nil
}

// cronRange reads number | name | * | ? with an optional -end and /step.
func cronRange(expr string, b cronBounds) (uint64, bool, error) {
	rangeAndStep := strings.Split(expr, "/")
	lowHigh := strings.Split(rangeAndStep[0], "-")
	var start, end, step uint
	star := false
	if lowHigh[0] == "*" || lowHigh[0] == "?" {
		start, end, star = b.min, b.max, true
	} else {
		var err error
		if start, err = cronNumber(lowHigh[0], b); err != nil {
			return 0, false, err
		}
		switch len(lowHigh) {
		case 1:
			end = start
		case 2:
			if end, err = cronNumber(lowHigh[1], b); err != nil {
				return 0, false, err
			}
		default:
			return 0, false, fmt.Errorf("%q has too many hyphens", expr)
		}
	}
	switch len(rangeAndStep) {
	case 1:
		step = 1
	case 2:
		n, err := strconv.Atoi(rangeAndStep[1])
		if err != nil || n < 0 {
			return 0, false, fmt.Errorf("%q: the step %q is not a whole number", expr, rangeAndStep[1])
		}
		step = uint(n)
		if len(lowHigh) == 1 {
			end = b.max // "N/step" means N to the end, every step
		}
		if step > 1 {
			star = false
		}
	default:
		return 0, false, fmt.Errorf("%q has too many slashes", expr)
	}
	switch {
	case start < b.min:
		return 0, false, fmt.Errorf("%q starts below %d", expr, b.min)
	case end > b.max:
		return 0, false, fmt.Errorf("%q ends above %d", expr, b.max)
	case start > end:
		return 0, false, fmt.Errorf("%q starts after it ends", expr)
	case step == 0:
		return 0, false, fmt.Errorf("%q: the step must be 1 or more", expr)
	}
	return cronBits(start, end, step), star, nil
}

func cronNumber(s string, b cronBounds) (uint, error) {
	if b.names != nil {
		if v, ok := b.names[strings.ToLower(s)]; ok {
			return v, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a number from %d to %d", s, b.min, b.max)
	}
	return uint(n), nil
}

func cronBits(min, max, step uint) uint64 {
	var v uint64
	for i := min; i <= max; i += step {
		v |= 1 << i
	}
	return v
}

// CronValues lists the values set in a bit set, in order.
func CronValues(set uint64) []int {
	out := make([]int, 0, bits.OnesCount64(set))
	for i := 0; i < 64; i++ {
		if set&(1<<uint(i)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

// RunsInChangeover reports whether the schedule starts a run between 01:00
// and 03:00 at set hours: a change of clocks skips or repeats those runs in
// zones with daylight saving time. Hourly schedules lose or repeat one of
// many runs, which does not matter.
func (c *CronSpec) RunsInChangeover() bool {
	if c.Every > 0 || c.HourStar || len(CronValues(c.Hour)) > 12 {
		return false
	}
	return c.Hour&(1<<1|1<<2) != 0
}
