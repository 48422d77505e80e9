package plan

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Grain is the length of an indicator's periods.
type Grain string

// Grains an indicator can use.
const (
	Month      Grain = "month"
	Quarter    Grain = "quarter"
	Year       Grain = "year"
	FiscalYear Grain = "fiscal_year"
)

// Valid reports whether g is a known grain.
func (g Grain) Valid() bool {
	switch g {
	case Month, Quarter, Year, FiscalYear:
		return true
	}
	return false
}

// Months is the number of months in one period of the grain.
func (g Grain) Months() int {
	switch g {
	case Quarter:
		return 3
	case Year, FiscalYear:
		return 12
	}
	return 1
}

// Period is one period of a grain: it starts on the first day of a month, at
// midnight UTC (calendar periods carry no time zone).
type Period struct {
	Grain Grain
	Start time.Time
	// fy is the first month of the fiscal year, for labels of fiscal periods.
	fy time.Month
}

// PeriodOf returns the period of grain g that contains t.
func PeriodOf(g Grain, t time.Time, fyStart time.Month) Period {
	y, m := t.Year(), t.Month()
	switch g {
	case Quarter:
		m = (m-1)/3*3 + 1
	case Year:
		m = 1
	case FiscalYear:
		if m < fyStart {
			y--
		}
		m = fyStart
	}
	return Period{Grain: g, Start: time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), fy: fyStart}
}

// End is the first instant after the period.
func (p Period) End() time.Time { return p.Start.AddDate(0, p.Grain.Months(), 0) }

// Next is the period after p.
func (p Period) Next() Period { return p.Add(1) }

// Add moves p by n periods.
func (p Period) Add(n int) Period {
	return Period{Grain: p.Grain, Start: p.Start.AddDate(0, n*p.Grain.Months(), 0), fy: p.fy}
}

// Contains reports whether the day t falls in p.
func (p Period) Contains(t time.Time) bool {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return !d.Before(p.Start) && d.Before(p.End())
}

// FYEnding is the year a fiscal year ends in (FY 2024-25 ends in 2025).
func (p Period) FYEnding() int {
	if p.fy <= time.January {
		return p.Start.Year()
	}
	return p.Start.Year() + 1
}

// Key is the period's stable machine form: 2024-07, 2024-Q3, 2024, FY2025.
func (p Period) Key() string {
	switch p.Grain {
	case Quarter:
		return fmt.Sprintf("%d-Q%d", p.Start.Year(), (int(p.Start.Month())-1)/3+1)
	case Year:
		return strconv.Itoa(p.Start.Year())
	case FiscalYear:
		return fmt.Sprintf("FY%d", p.FYEnding())
	}
	return p.Start.Format("2006-01")
}

// Label is the period as people read it: Jul 2024, Q3 2024, 2024, FY 2024-25.
func (p Period) Label() string {
	switch p.Grain {
	case Quarter:
		return fmt.Sprintf("Q%d %d", (int(p.Start.Month())-1)/3+1, p.Start.Year())
	case Year:
		return strconv.Itoa(p.Start.Year())
	case FiscalYear:
		e := p.FYEnding()
		if p.fy <= time.January {
			return fmt.Sprintf("FY %d", e)
		}
		return fmt.Sprintf("FY %d-%02d", e-1, e%100)
	}
	return p.Start.Format("Jan 2006")
}

// ParsePeriod reads a period key as written in a plan file: 2024-07, 2024-Q3,
// 2024, FY2025 (the fiscal year ending in 2025), FY 2024-25 or FY24.
func ParsePeriod(s string, fyStart time.Month) (Period, error) {
	s = strings.TrimSpace(s)
	u := strings.ToUpper(s)
	bad := fmt.Errorf("%q is not a period (write 2024-07, 2024-Q3, 2024 or FY2025)", s)
	if strings.HasPrefix(u, "FY") {
		end, ok := parseFiscalYear(strings.TrimSpace(u[2:]))
		if !ok {
			return Period{}, bad
		}
		y := end
		if fyStart > time.January {
			y = end - 1
		}
		return Period{Grain: FiscalYear, Start: time.Date(y, fyStart, 1, 0, 0, 0, 0, time.UTC), fy: fyStart}, nil
	}
	if y, q, ok := strings.Cut(u, "-Q"); ok {
		yy, err1 := strconv.Atoi(y)
		qq, err2 := strconv.Atoi(q)
		if err1 != nil || err2 != nil || qq < 1 || qq > 4 || yy < 1900 || yy > 2200 {
			return Period{}, bad
		}
		return Period{Grain: Quarter, Start: time.Date(yy, time.Month(qq*3-2), 1, 0, 0, 0, 0, time.UTC), fy: fyStart}, nil
	}
	if t, err := time.Parse("2006-01", s); err == nil {
		return Period{Grain: Month, Start: t, fy: fyStart}, nil
	}
	if yy, err := strconv.Atoi(s); err == nil && yy >= 1900 && yy <= 2200 {
		return Period{Grain: Year, Start: time.Date(yy, 1, 1, 0, 0, 0, 0, time.UTC), fy: fyStart}, nil
	}
	return Period{}, bad
}

// parseFiscalYear reads the part after "FY": 2025, 25, 2024-25, 2024-2025.
func parseFiscalYear(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if a, b, ok := strings.Cut(s, "-"); ok {
		start, err1 := strconv.Atoi(strings.TrimSpace(a))
		end, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil {
			return 0, false
		}
		if start < 100 {
			start += 2000
		}
		if end < 100 {
			end += start / 100 * 100
			if end < start {
				end += 100
			}
		}
		if end != start+1 {
			return 0, false
		}
		return end, true
	}
	y, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	if y < 100 {
		y += 2000
	}
	if y < 1900 || y > 2200 {
		return 0, false
	}
	return y, true
}

func sortStrings(s []string) { sort.Strings(s) }
