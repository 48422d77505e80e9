package sample

import (
	"math"
	"time"
)

// shelterStart is the first quarterly count: January 2019.
var shelterStart = time.Date(2019, time.January, 1, 0, 0, 0, 0, time.UTC)

// shelterStep is the number of beds from a month on.
type shelterStep struct {
	from string
	beds int
}

// shelterProgram is one bed type at one site. Names are invented and say
// nothing about where a site is.
type shelterProgram struct {
	site, provider, bedType string
	steps                   []shelterStep
}

// shelterPrograms grow the city's year-round beds (ES, TH, SH) from about 110
// in 2019 to about 200 in 2026 as sites open, and permanent supportive
// housing from 30 to about 110.
var shelterPrograms = []shelterProgram{
	{"Site A – Emergency Shelter", "Provider 1", "ES", []shelterStep{{"2019-01", 50}, {"2022-07", 60}}},
	{"Site B – Transitional Housing", "Provider 2", "TH", []shelterStep{{"2019-01", 30}}},
	{"Site C – Family Shelter", "Provider 3", "ES", []shelterStep{{"2019-01", 24}}},
	{"Site D – Safe Haven", "Provider 1", "SH", []shelterStep{{"2019-01", 8}, {"2026-07", 12}}},
	{"Site E – Interim Housing", "Provider 4", "ES", []shelterStep{{"2021-01", 30}, {"2026-01", 38}}},
	{"Site F – Bridge Housing", "Provider 2", "ES", []shelterStep{{"2023-04", 20}}},
	{"Site G – Youth Transitional Housing", "Provider 5", "TH", []shelterStep{{"2024-07", 16}}},
	{"Site H – Supportive Housing", "Provider 6", "PSH", []shelterStep{{"2019-01", 30}, {"2021-07", 36}}},
	{"Site H – Supportive Housing", "Provider 6", "RRH", []shelterStep{{"2019-01", 20}, {"2021-01", 28}, {"2023-01", 35}, {"2025-07", 40}}},
	{"Site I – Apartments", "Provider 3", "PSH", []shelterStep{{"2022-01", 25}, {"2025-07", 37}}},
	{"Site J – Permanent Supportive Housing", "Provider 4", "PSH", []shelterStep{{"2024-04", 24}, {"2026-04", 38}}},
}

// bedsOn is the program's beds in month key k (0 before it opens).
func (p shelterProgram) bedsOn(k string) int {
	beds := 0
	for _, s := range p.steps {
		if k >= s.from {
			beds = s.beds
		}
	}
	return beds
}

// cocBedTypes are the bed types counted for the Continuum of Care.
var cocBedTypes = []string{"ES", "TH", "SH", "RRH", "PSH"}

// cocBeds are the Los Angeles County Continuum of Care's (CA-600) beds on the
// January count, by year, in the order of cocBedTypes. Year-round ES, TH and SH
// beds add up to 26,609 in 2024.
var cocBeds = map[int][5]int{
	2019: {12900, 4300, 260, 9800, 21900},
	2020: {14100, 4250, 270, 11200, 23400},
	2021: {17900, 4300, 310, 13500, 25100},
	2022: {19600, 4350, 330, 15800, 26800},
	2023: {20800, 4380, 340, 17200, 28300},
	2024: {21842, 4419, 348, 17900, 30100},
	2025: {22450, 4380, 352, 18300, 31600},
	2026: {22900, 4310, 355, 18600, 32900},
}

// cocBedsIn is the CA-600 count for the year: the table, or its last year
// grown by 1.5% a year.
func cocBedsIn(year int) [5]int {
	if b, ok := cocBeds[year]; ok {
		return b
	}
	last := 2026
	b := cocBeds[last]
	f := math.Pow(1.015, float64(year-last))
	for i := range b {
		b[i] = int(math.Round(float64(b[i]) * f))
	}
	return b
}

// coc is the Continuum of Care the sample counts at the January count date.
const coc = "CA-600"

// lastWednesday is the last Wednesday of the month.
func lastWednesday(year int, month time.Month) time.Time {
	d := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC)
	for d.Weekday() != time.Wednesday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// occupancy is the range of the share of beds occupied, by bed type; in the
// pandemic shelters kept beds apart and filled fewer.
func occupancy(bedType string, pandemic bool) (lo, hi float64) {
	switch {
	case pandemic && (bedType == "ES" || bedType == "TH" || bedType == "SH"):
		return 0.75, 0.85
	case bedType == "PSH":
		return 0.86, 0.95
	case bedType == "TH":
		return 0.76, 0.92
	default:
		return 0.80, 0.95
	}
}

// occupied is the share occ of beds, kept between 75% and 95% of them
// after rounding (a small site cannot be 97% full).
func occupied(beds int, occ float64) int {
	n := int(math.Round(float64(beds) * occ))
	lo := int(math.Ceil(0.75 * float64(beds)))
	hi := int(math.Floor(0.95 * float64(beds)))
	return max(lo, min(hi, n))
}

// shelterRows are the quarterly counts (the last Wednesday of January, April,
// July and October) by site and bed type in the city, and the CoC's totals on
// each January count, up to the last complete month.
func shelterRows(w window) []row {
	r := stream("shelter_beds")
	var rows []row
	for q := shelterStart; ; q = q.AddDate(0, 3, 0) {
		date := lastWednesday(q.Year(), q.Month())
		if date.After(w.last) {
			break
		}
		k := monthKey(date)
		pandemic := k >= "2020-04" && k <= "2021-04"
		for _, p := range shelterPrograms {
			lo, hi := occupancy(p.bedType, pandemic)
			// One draw per program and date, open or not, so each count's
			// numbers stay the same however far the file goes.
			occ := uniform(r, lo, hi)
			beds := p.bedsOn(k)
			if beds == 0 {
				continue
			}
			rows = append(rows, row{
				"date":      text(dateKey(date)),
				"geography": text(w.place.City),
				"site":      text(p.site),
				"provider":  text(p.provider),
				"bed_type":  text(p.bedType),
				"beds":      integer(beds),
				"occupied":  integer(occupied(beds, occ)),
			})
		}
		if date.Month() == time.January {
			b := cocBedsIn(date.Year())
			for i, t := range cocBedTypes {
				rows = append(rows, row{
					"date":      text(dateKey(date)),
					"geography": text(coc),
					"bed_type":  text(t),
					"beds":      integer(b[i]),
				})
			}
		}
	}
	return rows
}
