package sample

import (
	"fmt"
	"time"
)

// revenueSource is one General Fund revenue source. Amounts are in millions
// of dollars for the first five fiscal years (FY 2018-19 to FY 2022-23); later
// years grow by growth a year, with a little noise.
type revenueSource struct {
	category, source, department string
	actual, budget               [5]float64
	growth                       float64
	// weights spread a year's amount over the calendar months, January first.
	weights [12]float64
	// noise is the largest monthly deviation, as a share.
	noise float64
	// shock scales months hit by the pandemic (keyed 2020-04).
	shock map[string]float64
}

var even = [12]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}

// revenueSources are typical of a California city's General Fund, sized on
// Norwalk's: $53.7M proposed for FY 2019-20 (property tax +4%, sales tax +1%,
// utility users tax declining, trash franchise fees +15%), about $53.2M in FY
// 2020-21, a $68.2M budget in FY 2022-23 with sales tax the largest source of
// growth.
var revenueSources = []revenueSource{
	{
		category: "Taxes", source: "Property Tax", department: "Finance",
		actual: [5]float64{7.78, 8.11, 8.46, 8.85, 9.42},
		budget: [5]float64{7.60, 8.06, 8.40, 8.80, 9.30},
		growth: 0.05,
		// The county pays secured property tax mostly in December and April.
		weights: [12]float64{.05, .01, .01, .35, .05, .03, .02, .02, .01, .02, .03, .40},
		noise:   0.02,
	},
	{
		category: "Taxes", source: "Sales Tax", department: "Finance",
		actual: [5]float64{12.87, 12.55, 13.60, 17.40, 19.90},
		budget: [5]float64{12.80, 13.00, 12.30, 15.80, 19.50},
		growth: 0.04,
		// Monthly advances two months behind the sales: holiday sales arrive in February.
		weights: [12]float64{.085, .095, .078, .080, .083, .085, .080, .088, .082, .082, .082, .080},
		noise:   0.04,
		shock:   map[string]float64{"2020-04": 0.92, "2020-05": 0.72, "2020-06": 0.75},
	},
	{
		category: "Taxes", source: "Utility Users Tax", department: "Finance",
		actual: [5]float64{4.79, 4.62, 4.55, 4.52, 4.47},
		budget: [5]float64{4.85, 4.70, 4.55, 4.50, 4.50},
		growth: -0.01,
		// Electricity in summer, gas in winter.
		weights: [12]float64{.090, .090, .080, .075, .075, .080, .090, .095, .090, .080, .075, .080},
		noise:   0.04,
	},
	{
		category: "Taxes", source: "Transient Occupancy Tax", department: "Finance",
		actual:  [5]float64{1.22, 0.98, 0.71, 1.18, 1.38},
		budget:  [5]float64{1.20, 1.25, 0.80, 1.00, 1.40},
		growth:  0.03,
		weights: [12]float64{.075, .075, .080, .080, .085, .090, .095, .095, .085, .080, .080, .080},
		noise:   0.06,
		shock:   map[string]float64{"2020-03": 0.7, "2020-04": 0.2, "2020-05": 0.25, "2020-06": 0.4},
	},
	{
		category: "Taxes", source: "Business License Tax", department: "Finance",
		actual: [5]float64{1.27, 1.29, 1.21, 1.45, 1.58},
		budget: [5]float64{1.25, 1.30, 1.20, 1.35, 1.60},
		growth: 0.03,
		// Renewals fall due in January.
		weights: [12]float64{.25, .20, .08, .06, .05, .05, .05, .05, .05, .05, .05, .06},
		noise:   0.05,
	},
	{
		category: "Taxes", source: "Franchise Fees", department: "Finance",
		actual:  [5]float64{2.01, 2.29, 2.46, 2.72, 2.96},
		budget:  [5]float64{2.00, 2.30, 2.45, 2.65, 3.00},
		growth:  0.03,
		weights: even,
		noise:   0.04,
	},
	{
		category: "Intergovernmental", source: "Property Tax in lieu of VLF", department: "Finance",
		actual: [5]float64{9.62, 10.03, 10.42, 10.98, 11.64},
		budget: [5]float64{9.50, 10.00, 10.45, 10.90, 11.60},
		growth: 0.05,
		// Paid with the property tax, in January and May.
		weights: [12]float64{.5, 0, 0, 0, .5, 0, 0, 0, 0, 0, 0, 0},
		noise:   0.01,
	},
	{
		category: "Charges for Services", source: "Charges for Services",
		actual:  [5]float64{5.55, 5.18, 4.35, 5.90, 6.45},
		budget:  [5]float64{5.60, 5.70, 4.80, 5.50, 6.60},
		growth:  0.035,
		weights: even,
		noise:   0.06,
		shock:   map[string]float64{"2020-03": 0.85, "2020-04": 0.45, "2020-05": 0.5, "2020-06": 0.65},
	},
	{
		category: "Fines and Forfeitures", source: "Fines and Forfeitures",
		actual:  [5]float64{1.31, 1.12, 0.92, 1.08, 1.16},
		budget:  [5]float64{1.30, 1.35, 1.00, 1.05, 1.20},
		growth:  0.01,
		weights: even,
		noise:   0.08,
		shock:   map[string]float64{"2020-03": 0.8, "2020-04": 0.3, "2020-05": 0.4, "2020-06": 0.6},
	},
	{
		category: "Use of Money and Property", source: "Interest and Rents",
		actual:  [5]float64{1.83, 1.92, 1.62, 1.55, 2.35},
		budget:  [5]float64{1.75, 1.85, 1.70, 1.60, 2.10},
		growth:  0.03,
		weights: even,
		noise:   0.06,
	},
	{
		category: "Other", source: "Other Revenue",
		actual:  [5]float64{4.38, 4.41, 4.90, 6.30, 7.10},
		budget:  [5]float64{4.30, 4.20, 5.55, 6.00, 7.40},
		growth:  0.025,
		weights: even,
		noise:   0.08,
	},
}

// behindSource runs behind its budget in the fiscal year in progress, so the
// year-to-date status is not simply on track.
const behindSource = "Charges for Services"

// revenueFund is the fund of every sample row.
const revenueFund = "General Fund"

// fyLabel writes the fiscal year starting in (year, fyStart) as FY 2024-25,
// or FY 2024 when fiscal years are calendar years.
func fyLabel(year int, fyStart time.Month) string {
	if fyStart == time.January {
		return fmt.Sprintf("FY %d", year)
	}
	return fmt.Sprintf("FY %d-%02d", year, (year+1)%100)
}

// revenueRows are, for each fiscal year from the one holding July 2018 to the
// one in progress, an annual row per source with the adopted (and proposed)
// budget and no actual, then a row per month and source with the actual
// collected and no budget. Actuals live only on monthly rows, so sums never
// count a dollar twice.
func revenueRows(w window) []row {
	y0 := 2018
	if time.July < w.fyStart {
		y0 = 2017
	}
	start := time.Date(y0, w.fyStart, 1, 0, 0, 0, 0, time.UTC)
	if w.month.Before(start) {
		return nil
	}
	cur := monthsBetween(start, w.month) / 12
	n := len(revenueSources)

	// Annual actual amounts, in dollars, one year past the current one so
	// the current year's months can lean toward where it is heading.
	growthRand := stream("revenue/growth")
	annual := make([][]float64, cur+2)
	for i := range annual {
		annual[i] = make([]float64, n)
		for s, src := range revenueSources {
			jitter := uniform(growthRand, -0.015, 0.015)
			if i < len(src.actual) {
				annual[i][s] = src.actual[i] * 1e6
			} else {
				annual[i][s] = annual[i-1][s] * (1 + src.growth + jitter)
			}
		}
	}
	// runRate is the annual amount of source s at month t (counted from
	// start, t+0.5 its middle): a line through the middle of each year.
	runRate := func(s int, t float64) float64 {
		i := int((t - 6) / 12)
		if t < 6 {
			return annual[0][s]
		}
		if i+1 >= len(annual) {
			return annual[len(annual)-1][s]
		}
		f := (t - 6 - float64(12*i)) / 12
		return annual[i][s] + f*(annual[i+1][s]-annual[i][s])
	}

	budgetRand := stream("revenue/budget")
	monthRand := stream("revenue/months")
	var rows []row
	for i := 0; i <= cur; i++ {
		fyStart := start.AddDate(0, 12*i, 0)
		label := fyLabel(fyStart.Year(), w.fyStart)
		for s, src := range revenueSources {
			e := uniform(budgetRand, -0.025, 0.025)
			p := uniform(budgetRand, -0.015, 0.015)
			var budget, proposed float64
			switch {
			case i < len(src.budget):
				budget = src.budget[i] * 1e6
				proposed = budget * (1 + p)
				if i == 1 {
					// The FY 2019-20 budget was adopted as proposed.
					proposed = budget
				}
			case i == cur:
				// A budget a little above what comes in, and one source
				// well above, so the year in progress runs slightly behind.
				budget = annual[i][s] * (1.005 + (e+0.025)/2.5)
				if src.source == behindSource {
					budget = annual[i][s] * (1.11 + e/3)
				}
				proposed = budget * (1 + p)
			default:
				budget = annual[i][s] * (1 + e)
				proposed = budget * (1 + p)
			}
			rows = append(rows, row{
				"fiscal_year": text(label),
				"fund":        text(revenueFund),
				"department":  text(src.department),
				"category":    text(src.category),
				"source":      text(src.source),
				"budget":      money(budget),
				"proposed":    money(proposed),
			})
		}
		monthly := make([][]float64, n)
		for s, src := range revenueSources {
			raw := make([]float64, 12)
			sum := 0.0
			for k := range 12 {
				m := fyStart.AddDate(0, k, 0)
				v := runRate(s, float64(12*i+k)+0.5) * src.weights[m.Month()-1]
				if f, ok := src.shock[monthKey(m)]; ok {
					v *= f
				}
				v *= 1 + uniform(monthRand, -src.noise, src.noise)
				raw[k] = v
				sum += v
			}
			for k := range raw {
				raw[k] *= annual[i][s] / sum
			}
			monthly[s] = raw
		}
		for k := range 12 {
			m := fyStart.AddDate(0, k, 0)
			if m.After(w.month) {
				break
			}
			for s, src := range revenueSources {
				rows = append(rows, row{
					"fiscal_year": text(label),
					"month":       text(monthKey(m)),
					"fund":        text(revenueFund),
					"department":  text(src.department),
					"category":    text(src.category),
					"source":      text(src.source),
					"actual":      money(monthly[s][k]),
				})
			}
		}
	}
	return rows
}
