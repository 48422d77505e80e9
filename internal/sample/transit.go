package sample

import (
	"math"
	"time"
)

// transitStart is the first month of ridership: July 2018, the start of FY 2018-19.
var transitStart = time.Date(2018, time.July, 1, 0, 0, 0, 0, time.UTC)

// transitLevel anchors the system's monthly boardings, seasonally adjusted,
// on the first of a month; months between anchors are interpolated. Sized on
// about 70-85 thousand a month before 2020, a drop of about two thirds in
// April 2020, and 851,800 boardings in 2022 and 998,000 in 2023.
var transitLevel = []struct {
	month string
	trips float64
}{
	{"2018-07", 79500},
	{"2019-12", 77000},
	{"2020-02", 76500},
	{"2020-03", 58000},
	{"2020-04", 25800},
	{"2020-06", 28500},
	{"2020-12", 36000},
	{"2021-06", 47000},
	{"2021-12", 60500},
	{"2022-06", 71200},
	{"2022-12", 78000},
	{"2023-06", 83500},
	{"2023-12", 86300},
}

// transitGrowth is the yearly growth after the last anchor.
const transitGrowth = 0.04

// transitSeason is each calendar month's share of an average month: fewer
// riders in December and summer, more in autumn and spring.
var transitSeason = [12]float64{0.97, 0.98, 1.05, 1.02, 1.02, 0.95, 0.94, 0.98, 1.05, 1.08, 1.03, 0.93}

// level is the seasonally adjusted monthly boardings of month m.
func level(m time.Time) float64 {
	at := func(i int) time.Time {
		t, _ := time.Parse("2006-01", transitLevel[i].month)
		return t
	}
	if !m.After(at(0)) {
		return transitLevel[0].trips
	}
	for i := 1; i < len(transitLevel); i++ {
		b := at(i)
		if m.After(b) {
			continue
		}
		a := at(i - 1)
		f := float64(monthsBetween(a, m)) / float64(monthsBetween(a, b))
		return transitLevel[i-1].trips + f*(transitLevel[i].trips-transitLevel[i-1].trips)
	}
	n := len(transitLevel) - 1
	return transitLevel[n].trips * math.Pow(1+transitGrowth, float64(monthsBetween(at(n), m))/12)
}

// service is the share of normal scheduled service run in month m: cut back
// in the pandemic, restored by mid-2022 and added to since.
func service(m time.Time) (bus, dr float64) {
	switch k := monthKey(m); {
	case k < "2020-04":
		return 1, 1
	case k < "2020-10":
		return 0.78, 0.6
	case k < "2021-07":
		return 0.85, 0.7
	case k < "2022-07":
		return 0.93, 0.85
	case k < "2024-07":
		return 1, 1
	case k < "2026-07":
		return 1.03, 1.05
	default:
		return 1.05, 1.1
	}
}

// transitRows are monthly rows for fixed-route bus (MB) and demand response
// (DR), both purchased transportation, from July 2018 to the last complete month.
func transitRows(w window) []row {
	r := stream("transit_ridership")
	var rows []row
	for m := transitStart; !m.After(w.month); m = m.AddDate(0, 1, 0) {
		// Six draws a month, always, so a month's numbers never depend on
		// how far the file goes.
		noise := uniform(r, -0.03, 0.03)
		share := uniform(r, 0.022, 0.029)
		busMiles := uniform(r, -0.015, 0.015)
		busSpeed := uniform(r, 13.3, 13.9)
		drMiles := uniform(r, -0.04, 0.04)
		drSpeed := uniform(r, 12.0, 13.0)

		days := float64(m.AddDate(0, 1, -1).Day())
		total := level(m) * transitSeason[m.Month()-1] * (1 + noise)
		busSvc, drSvc := service(m)
		if busSvc < 1 {
			// Riders who need demand response kept away longer.
			share *= 0.8
		}
		drTrips := math.Round(total * share)
		busTrips := math.Round(total) - drTrips

		bm := 4350 * days * busSvc * (1 + busMiles)
		dm := 560 * days * drSvc * (1 + drMiles)
		rows = append(rows,
			row{
				"month":                 text(monthKey(m)),
				"mode":                  text("MB"),
				"type_of_service":       text("PT"),
				"unlinked_trips":        number(busTrips, 0),
				"vehicle_revenue_miles": number(bm, 0),
				"vehicle_revenue_hours": number(bm/busSpeed, 0),
				"vehicles_operated":     integer(min(31, int(math.Round(28*busSvc)))),
			},
			row{
				"month":                 text(monthKey(m)),
				"mode":                  text("DR"),
				"type_of_service":       text("PT"),
				"unlinked_trips":        number(drTrips, 0),
				"vehicle_revenue_miles": number(dm, 0),
				"vehicle_revenue_hours": number(dm/drSpeed, 0),
				"vehicles_operated":     integer(max(8, int(math.Round(10*drSvc)))),
			},
		)
	}
	return rows
}
