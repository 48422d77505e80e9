package plan

import (
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestPeriodOf(t *testing.T) {
	tests := []struct {
		grain   Grain
		t       time.Time
		fy      time.Month
		start   time.Time
		end     time.Time
		key     string
		label   string
		fyEnds  int
		nextKey string
	}{
		{Month, day(2024, 7, 31), time.July, day(2024, 7, 1), day(2024, 8, 1), "2024-07", "Jul 2024", 0, "2024-08"},
		{Month, day(2024, 12, 1), time.July, day(2024, 12, 1), day(2025, 1, 1), "2024-12", "Dec 2024", 0, "2025-01"},
		{Quarter, day(2024, 8, 15), time.July, day(2024, 7, 1), day(2024, 10, 1), "2024-Q3", "Q3 2024", 0, "2024-Q4"},
		{Quarter, day(2024, 12, 31), time.July, day(2024, 10, 1), day(2025, 1, 1), "2024-Q4", "Q4 2024", 0, "2025-Q1"},
		{Quarter, day(2025, 1, 1), time.January, day(2025, 1, 1), day(2025, 4, 1), "2025-Q1", "Q1 2025", 0, "2025-Q2"},
		{Year, day(2024, 6, 30), time.July, day(2024, 1, 1), day(2025, 1, 1), "2024", "2024", 0, "2025"},
		// July start: FY2025 runs from July 2024 to June 2025.
		{FiscalYear, day(2024, 7, 1), time.July, day(2024, 7, 1), day(2025, 7, 1), "FY2025", "FY 2024-25", 2025, "FY2026"},
		{FiscalYear, day(2025, 6, 30), time.July, day(2024, 7, 1), day(2025, 7, 1), "FY2025", "FY 2024-25", 2025, "FY2026"},
		{FiscalYear, day(2024, 6, 30), time.July, day(2023, 7, 1), day(2024, 7, 1), "FY2024", "FY 2023-24", 2024, "FY2025"},
		{FiscalYear, day(1999, 12, 31), time.July, day(1999, 7, 1), day(2000, 7, 1), "FY2000", "FY 1999-00", 2000, "FY2001"},
		// October start (the federal fiscal year).
		{FiscalYear, day(2024, 10, 1), time.October, day(2024, 10, 1), day(2025, 10, 1), "FY2025", "FY 2024-25", 2025, "FY2026"},
		// January start: the fiscal year is the calendar year.
		{FiscalYear, day(2025, 3, 10), time.January, day(2025, 1, 1), day(2026, 1, 1), "FY2025", "FY 2025", 2025, "FY2026"},
		{FiscalYear, day(2025, 1, 1), time.January, day(2025, 1, 1), day(2026, 1, 1), "FY2025", "FY 2025", 2025, "FY2026"},
	}
	for _, tt := range tests {
		t.Run(string(tt.grain)+" "+tt.t.Format("2006-01-02")+" "+tt.fy.String(), func(t *testing.T) {
			p := PeriodOf(tt.grain, tt.t, tt.fy)
			if !p.Start.Equal(tt.start) || !p.End().Equal(tt.end) {
				t.Errorf("period %v to %v, want %v to %v", p.Start, p.End(), tt.start, tt.end)
			}
			if p.Key() != tt.key || p.Label() != tt.label {
				t.Errorf("Key %q Label %q, want %q %q", p.Key(), p.Label(), tt.key, tt.label)
			}
			if tt.fyEnds != 0 && p.FYEnding() != tt.fyEnds {
				t.Errorf("FYEnding = %d, want %d", p.FYEnding(), tt.fyEnds)
			}
			if !p.Contains(tt.t) || p.Contains(p.End()) || p.Contains(p.Start.AddDate(0, 0, -1)) {
				t.Error("Contains is wrong at the edges")
			}
			if k := p.Next().Key(); k != tt.nextKey {
				t.Errorf("Next = %s, want %s", k, tt.nextKey)
			}
			if !p.Add(-1).Next().Start.Equal(p.Start) {
				t.Error("Add(-1).Next() is not the period")
			}
			// The key reads back as the same period.
			back, err := ParsePeriod(p.Key(), tt.fy)
			if err != nil || back.Grain != p.Grain || !back.Start.Equal(p.Start) || back.Label() != p.Label() {
				t.Errorf("ParsePeriod(%q) = %v %v, want the period back", p.Key(), back, err)
			}
		})
	}
}

// TestPeriodOfZone: the period of an instant is the one on the calendar of
// the instant's own time zone.
func TestPeriodOfZone(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	// 30 June 2025, 8 pm in Norwalk is already 1 July in UTC.
	evening := time.Date(2025, 6, 30, 20, 0, 0, 0, la)
	if k := PeriodOf(FiscalYear, evening, time.July).Key(); k != "FY2025" {
		t.Errorf("in Los Angeles: %s, want FY2025", k)
	}
	if k := PeriodOf(FiscalYear, evening.UTC(), time.July).Key(); k != "FY2026" {
		t.Errorf("in UTC: %s, want FY2026", k)
	}
	if p := PeriodOf(Month, evening, time.July); p.Start.Location() != time.UTC {
		t.Errorf("period start in %v, want UTC", p.Start.Location())
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in    string
		fy    time.Month
		grain Grain
		start time.Time
		key   string
	}{
		{"2024-07", time.July, Month, day(2024, 7, 1), "2024-07"},
		{"2011-12", time.July, Month, day(2011, 12, 1), "2011-12"}, // a month, not FY 2011-12
		{" 2024-07 ", time.July, Month, day(2024, 7, 1), "2024-07"},
		{"2024-Q3", time.July, Quarter, day(2024, 7, 1), "2024-Q3"},
		{"2024-q1", time.July, Quarter, day(2024, 1, 1), "2024-Q1"},
		{"2024", time.July, Year, day(2024, 1, 1), "2024"},
		{"FY2025", time.July, FiscalYear, day(2024, 7, 1), "FY2025"},
		{"fy2025", time.July, FiscalYear, day(2024, 7, 1), "FY2025"},
		{"FY 2025", time.July, FiscalYear, day(2024, 7, 1), "FY2025"},
		{"FY 2024-25", time.July, FiscalYear, day(2024, 7, 1), "FY2025"},
		{"FY 2023-24", time.July, FiscalYear, day(2023, 7, 1), "FY2024"},
		{"FY2023-24", time.July, FiscalYear, day(2023, 7, 1), "FY2024"},
		{"FY 2023-2024", time.July, FiscalYear, day(2023, 7, 1), "FY2024"},
		{"FY 1999-00", time.July, FiscalYear, day(1999, 7, 1), "FY2000"},
		{"FY24", time.July, FiscalYear, day(2023, 7, 1), "FY2024"},
		{"FY 23-24", time.July, FiscalYear, day(2023, 7, 1), "FY2024"},
		{"FY2025", time.January, FiscalYear, day(2025, 1, 1), "FY2025"},
		{"FY25", time.January, FiscalYear, day(2025, 1, 1), "FY2025"},
		{"FY2025", time.October, FiscalYear, day(2024, 10, 1), "FY2025"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" "+tt.fy.String(), func(t *testing.T) {
			p, err := ParsePeriod(tt.in, tt.fy)
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", tt.in, err)
			}
			if p.Grain != tt.grain || !p.Start.Equal(tt.start) || p.Key() != tt.key {
				t.Errorf("got %s %v %s, want %s %v %s", p.Grain, p.Start, p.Key(), tt.grain, tt.start, tt.key)
			}
		})
	}
}

func TestParsePeriodBad(t *testing.T) {
	for _, in := range []string{
		"", "FY", "FY 2024-26", "FY 2025-24", "FY2024-Q3", "FYxx", "FY 1800",
		"2024-13", "2024-00", "2024-7", "2024-Q5", "2024-Q0", "Q3 2024", "1800", "99999",
		"2023-24", // a fiscal year needs its FY prefix; without it, this reads as a month 24
		"July 2024", "2024-07-01", "next year",
	} {
		if p, err := ParsePeriod(in, time.July); err == nil {
			t.Errorf("ParsePeriod(%q) = %s %v, want an error", in, p.Grain, p.Start)
		}
	}
}

func TestGrain(t *testing.T) {
	for g, months := range map[Grain]int{Month: 1, Quarter: 3, Year: 12, FiscalYear: 12} {
		if !g.Valid() || g.Months() != months {
			t.Errorf("%s: Valid %v Months %d", g, g.Valid(), g.Months())
		}
	}
	for _, g := range []Grain{"", "week", "Month"} {
		if g.Valid() {
			t.Errorf("%q is valid", g)
		}
	}
}
