package sample

import (
	"bytes"
	"encoding/csv"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	norwalk = plan.Place{City: "Norwalk", State: "CA", Zips: []string{"90650", "90651", "90652"}}
	all     = []string{Revenue, TransitRidership, ShelterBeds, EVChargers}
	// asOf is the date the sample is sized for: the last complete month is October 2026.
	asOf = time.Date(2026, time.November, 26, 9, 30, 0, 0, time.UTC)
)

// table is a file read back: its header and rows as column name to cell text.
type table struct {
	header []string
	rows   []map[string]string
}

func generate(t *testing.T, at time.Time) map[string]File {
	t.Helper()
	files, err := Generate(at, norwalk, time.July, all)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]File{}
	for _, f := range files {
		out[f.Dataset] = f
	}
	if len(out) != len(all) {
		t.Fatalf("got %d files, want %d", len(out), len(all))
	}
	return out
}

func read(t *testing.T, f File) table {
	t.Helper()
	var recs [][]string
	switch filepath.Ext(f.Name) {
	case ".xlsx":
		x, err := excelize.OpenReader(bytes.NewReader(f.Data), excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatalf("%s: excelize cannot open it: %v", f.Name, err)
		}
		defer x.Close()
		if got := x.GetSheetList(); !slices.Equal(got, []string{f.Dataset}) {
			t.Fatalf("%s: sheets %v, want [%s]", f.Name, got, f.Dataset)
		}
		recs, err = x.GetRows(f.Dataset, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
	case ".csv":
		var err error
		recs, err = csv.NewReader(bytes.NewReader(f.Data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	default:
		t.Fatalf("%s: unexpected extension", f.Name)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: empty", f.Name)
	}
	tb := table{header: recs[0]}
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, v := range rec {
			if i < len(tb.header) {
				m[tb.header[i]] = v
			}
		}
		tb.rows = append(tb.rows, m)
	}
	return tb
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return f
}

func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol*want }

func TestDeterministic(t *testing.T) {
	a := generate(t, asOf)
	// Same month, another day, hour and zone (still November in UTC).
	la, _ := time.LoadLocation("America/Los_Angeles")
	b := generate(t, time.Date(2026, time.November, 2, 1, 0, 0, 0, la))
	c := generate(t, time.Date(2026, time.December, 3, 0, 0, 0, 0, time.UTC))
	for _, name := range all {
		if !bytes.Equal(a[name].Data, b[name].Data) {
			t.Errorf("%s: two calls in the same month differ", name)
		}
		if a[name].Name != b[name].Name {
			t.Errorf("%s: names %s and %s", name, a[name].Name, b[name].Name)
		}
		if bytes.Equal(a[name].Data, c[name].Data) && name != ShelterBeds && name != EVChargers {
			t.Errorf("%s: a different month gives the same bytes", name)
		}
	}
	// Repeat to catch map-order effects inside one process.
	for range 3 {
		d := generate(t, asOf)
		for _, name := range all {
			if !bytes.Equal(a[name].Data, d[name].Data) {
				t.Fatalf("%s: repeated call differs", name)
			}
		}
	}
	// The shelter count and station list change only when a count or a
	// station falls in the new month; over a quarter they must.
	e := generate(t, time.Date(2027, time.February, 3, 0, 0, 0, 0, time.UTC))
	for _, name := range []string{ShelterBeds, EVChargers} {
		if bytes.Equal(a[name].Data, e[name].Data) {
			t.Errorf("%s: three months later gives the same bytes", name)
		}
	}
}

func TestHistoryIsStable(t *testing.T) {
	// A later file repeats the earlier one's months: the sample grows, it
	// does not rewrite the past. (Budgets of the year then in progress may
	// change, so only monthly and dated rows are compared.)
	early := generate(t, time.Date(2025, time.March, 10, 0, 0, 0, 0, time.UTC))
	late := generate(t, asOf)
	for _, c := range []struct{ name, col string }{
		{TransitRidership, "unlinked_trips"}, {Revenue, "actual"}, {ShelterBeds, "occupied"}, {EVChargers, "station_id"},
	} {
		before := read(t, early[c.name])
		after := read(t, late[c.name])
		seen := map[string]bool{}
		for _, r := range after.rows {
			seen[strings.Join(rowValues(after.header, r), "|")] = true
		}
		for _, r := range before.rows {
			if c.name == Revenue && r["month"] == "" {
				continue
			}
			if c.name == EVChargers && r["status"] == "P" {
				continue
			}
			if !seen[strings.Join(rowValues(before.header, r), "|")] {
				t.Errorf("%s: row %v of the earlier file is not in the later one", c.name, r)
				break
			}
		}
	}
}

func rowValues(header []string, r map[string]string) []string {
	out := make([]string, len(header))
	for i, h := range header {
		out[i] = r[h]
	}
	return out
}

func TestNames(t *testing.T) {
	files := generate(t, asOf)
	want := map[string]string{
		Revenue:          "sample-revenue-2026-10.xlsx",
		TransitRidership: "sample-transit_ridership-2026-10.xlsx",
		ShelterBeds:      "sample-shelter_beds-2026-10.csv",
		EVChargers:       "sample-ev_chargers-2026-10.csv",
	}
	for name, w := range want {
		if files[name].Name != w {
			t.Errorf("%s: name %s, want %s", name, files[name].Name, w)
		}
	}
}

func TestUnknownAndOrder(t *testing.T) {
	files, err := Generate(asOf, norwalk, time.July, []string{"strategy_progress", EVChargers, Revenue, EVChargers})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Dataset)
	}
	if !slices.Equal(got, []string{EVChargers, Revenue}) {
		t.Errorf("datasets %v, want [ev_chargers revenue]", got)
	}
	if _, err := Generate(asOf, norwalk, 13, all); err == nil {
		t.Error("month 13 accepted as the fiscal year start")
	}
}

func TestHeaders(t *testing.T) {
	defs, err := plan.BuiltinDatasets()
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range generate(t, asOf) {
		var want []string
		for _, c := range defs[name].Columns {
			want = append(want, c.Name)
		}
		if got := read(t, f).header; !slices.Equal(got, want) {
			t.Errorf("%s: header %v, want %v", name, got, want)
		}
	}
}

func TestXLSXCellTypes(t *testing.T) {
	files := generate(t, asOf)
	x, err := excelize.OpenReader(bytes.NewReader(files[TransitRidership].Data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := TransitRidership
	// Text is a shared string; a number carries no type (or n).
	isText := func(ct excelize.CellType) bool {
		return ct == excelize.CellTypeSharedString || ct == excelize.CellTypeInlineString
	}
	for cell, wantText := range map[string]bool{"A2": true, "B2": true, "C2": true, "E2": false, "F2": false, "G2": false, "H2": false} {
		ct, err := x.GetCellType(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		if isText(ct) != wantText {
			t.Errorf("transit %s: cell type %v, want text %v", cell, ct, wantText)
		}
		v, _ := x.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if _, err := strconv.ParseFloat(v, 64); !wantText && err != nil {
			t.Errorf("transit %s: %q is not a number", cell, v)
		}
	}
	if v, _ := x.GetCellValue(sheet, "D2"); v != "" {
		t.Errorf("route %q, want blank", v)
	}
	if v, _ := x.GetCellValue(sheet, "A2", excelize.Options{RawCellValue: true}); v != "2018-07" {
		t.Errorf("first month %q, want 2018-07", v)
	}

	y, err := excelize.OpenReader(bytes.NewReader(files[Revenue].Data))
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if v, _ := y.GetCellValue(Revenue, "A2", excelize.Options{RawCellValue: true}); v != "FY 2018-19" {
		t.Errorf("first fiscal year %q, want FY 2018-19", v)
	}
	if ct, _ := y.GetCellType(Revenue, "G2"); isText(ct) {
		t.Errorf("budget cell type %v, want a number", ct)
	}
	if v, _ := y.GetCellValue(Revenue, "G2", excelize.Options{RawCellValue: true}); !strings.HasSuffix(v, ".00") && !strings.Contains(v, ".") {
		t.Errorf("budget %q, want a number with cents", v)
	}
	props, err := y.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Created != "2026-11-01T00:00:00Z" || props.Modified != props.Created {
		t.Errorf("document times %s and %s, want the as-of month", props.Created, props.Modified)
	}
}

func TestNothingAfterLastCompleteMonth(t *testing.T) {
	for _, at := range []time.Time{
		asOf,
		time.Date(2026, time.October, 30, 23, 0, 0, 0, time.UTC), // the October count (Oct 28) is after September
		time.Date(2025, time.February, 1, 0, 0, 0, 0, time.UTC),  // the January count is in
		time.Date(2024, time.July, 1, 0, 0, 0, 0, time.UTC),      // a fiscal year has just ended
	} {
		files := generate(t, at)
		lastMonth := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		lastDay := lastMonth.AddDate(0, 1, -1)
		mk, dk := monthKey(lastMonth), dateKey(lastDay)

		newest := ""
		for _, r := range read(t, files[TransitRidership]).rows {
			if r["month"] > mk {
				t.Errorf("%s: transit month %s after %s", dk, r["month"], mk)
			}
			newest = max(newest, r["month"])
		}
		if newest != mk {
			t.Errorf("%s: newest transit month %s, want %s", dk, newest, mk)
		}

		newest = ""
		fy := fyLabel(lastMonth.AddDate(0, -6, 0).Year(), time.July)
		for _, r := range read(t, files[Revenue]).rows {
			if r["month"] > mk {
				t.Errorf("%s: revenue month %s after %s", dk, r["month"], mk)
			}
			if r["fiscal_year"] > fy {
				t.Errorf("%s: revenue fiscal year %s after %s", dk, r["fiscal_year"], fy)
			}
			newest = max(newest, r["month"])
		}
		if newest != mk {
			t.Errorf("%s: newest revenue month %s, want %s", dk, newest, mk)
		}

		newest = ""
		for _, r := range read(t, files[ShelterBeds]).rows {
			if r["date"] > dk {
				t.Errorf("%s: shelter count %s after the last complete month", dk, r["date"])
			}
			newest = max(newest, r["date"])
		}
		if d, _ := time.Parse("2006-01-02", newest); lastDay.Sub(d) > 93*24*time.Hour {
			t.Errorf("%s: newest shelter count %s is more than a quarter old", dk, newest)
		}

		for _, r := range read(t, files[EVChargers]).rows {
			if r["open_date"] > dk {
				t.Errorf("%s: station opened %s after the last complete month", dk, r["open_date"])
			}
		}
	}
}

func TestTransitSizing(t *testing.T) {
	rows := read(t, generate(t, asOf)[TransitRidership]).rows
	byMonth := map[string]float64{}
	dr := map[string]float64{}
	for _, r := range rows {
		if r["type_of_service"] != "PT" || r["route"] != "" {
			t.Fatalf("row %v: want PT, system-wide", r)
		}
		trips := num(t, r["unlinked_trips"])
		byMonth[r["month"]] += trips
		miles, hours, voms := num(t, r["vehicle_revenue_miles"]), num(t, r["vehicle_revenue_hours"]), num(t, r["vehicles_operated"])
		switch r["mode"] {
		case "MB":
			if r["month"] >= "2022-07" && (miles < 118000 || miles > 145000 || hours < 8500 || hours > 10700 || voms < 26 || voms > 31) {
				t.Errorf("bus %s: %v miles, %v hours, %v vehicles", r["month"], miles, hours, voms)
			}
		case "DR":
			dr[r["month"]] = trips
			if voms < 8 || voms > 12 {
				t.Errorf("demand response %s: %v vehicles", r["month"], voms)
			}
		default:
			t.Errorf("mode %q", r["mode"])
		}
	}
	year := func(y string) float64 {
		s := 0.0
		for m, v := range byMonth {
			if strings.HasPrefix(m, y+"-") {
				s += v
			}
		}
		return s
	}
	if got := year("2022"); !within(got, 851800, 0.03) {
		t.Errorf("2022 boardings %.0f, want 851,800 ±3%%", got)
	}
	if got := year("2023"); !within(got, 998000, 0.03) {
		t.Errorf("2023 boardings %.0f, want 998,000 ±3%%", got)
	}
	for m, v := range byMonth {
		if m < "2020-03" && (v < 68000 || v > 87000) {
			t.Errorf("%s: %.0f boardings before the pandemic, want 70-85 thousand", m, v)
		}
		if share := dr[m] / v; share < 0.015 || share > 0.032 {
			t.Errorf("%s: demand response is %.1f%% of boardings", m, share*100)
		}
	}
	if drop := 1 - byMonth["2020-04"]/byMonth["2019-04"]; drop < 0.6 || drop > 0.7 {
		t.Errorf("April 2020 fell %.0f%% from April 2019, want 60-70%%", drop*100)
	}
	if g := year("2025")/year("2024") - 1; g < 0.02 || g > 0.06 {
		t.Errorf("2025 growth %.1f%%, want about 4%%", g*100)
	}
	if byMonth["2023-12"] >= byMonth["2023-10"] || byMonth["2023-07"] >= byMonth["2023-10"] {
		t.Errorf("no autumn peak: Jul %.0f, Oct %.0f, Dec %.0f", byMonth["2023-07"], byMonth["2023-10"], byMonth["2023-12"])
	}
}

func TestRevenueSizing(t *testing.T) {
	rows := read(t, generate(t, asOf)[Revenue]).rows
	budget := map[string]float64{}
	proposed := map[string]float64{}
	actual := map[string]float64{}                  // by fiscal year
	monthly := map[string]map[string]float64{}      // source -> month -> actual
	sourceFY := map[string]map[string]float64{}     // source -> fiscal year -> actual
	sourceBudget := map[string]map[string]float64{} // source -> fiscal year -> budget
	for _, r := range rows {
		if r["fund"] != "General Fund" {
			t.Fatalf("fund %q", r["fund"])
		}
		if d := r["department"]; d != "" && d != "Finance" {
			t.Errorf("department %q", d)
		}
		fy, src := r["fiscal_year"], r["source"]
		if r["month"] == "" {
			if r["actual"] != "" || r["budget"] == "" {
				t.Fatalf("annual row %v: want a budget and no actual", r)
			}
			budget[fy] += num(t, r["budget"])
			proposed[fy] += num(t, r["proposed"])
			if sourceBudget[src] == nil {
				sourceBudget[src] = map[string]float64{}
			}
			sourceBudget[src][fy] = num(t, r["budget"])
			continue
		}
		if r["budget"] != "" || r["actual"] == "" {
			t.Fatalf("monthly row %v: want an actual and no budget", r)
		}
		v := num(t, r["actual"])
		if strings.Contains(r["actual"], ".") && len(r["actual"])-strings.Index(r["actual"], ".") != 3 {
			t.Errorf("actual %q: want two decimals", r["actual"])
		}
		actual[fy] += v
		if monthly[src] == nil {
			monthly[src] = map[string]float64{}
			sourceFY[src] = map[string]float64{}
		}
		monthly[src][r["month"]] += v
		sourceFY[src][fy] += v
	}
	if got := budget["FY 2022-23"]; !within(got, 68.2e6, 0.03) {
		t.Errorf("FY 2022-23 budget %.0f, want $68.2M ±3%%", got)
	}
	if got := proposed["FY 2019-20"]; !within(got, 53.7e6, 0.01) {
		t.Errorf("FY 2019-20 proposed %.0f, want $53.7M", got)
	}
	if got := actual["FY 2020-21"]; !within(got, 53.2e6, 0.03) {
		t.Errorf("FY 2020-21 revenue %.0f, want about $53.2M", got)
	}
	fys := []string{"FY 2018-19", "FY 2019-20", "FY 2020-21", "FY 2021-22", "FY 2022-23", "FY 2023-24", "FY 2024-25", "FY 2025-26"}
	for i, fy := range fys {
		if r := actual[fy] / budget[fy]; r < 0.95 || r > 1.06 {
			t.Errorf("%s: actual is %.1f%% of budget", fy, r*100)
		}
		if i >= 5 {
			if g := budget[fy]/budget[fys[i-1]] - 1; g < 0.02 || g > 0.05 {
				t.Errorf("%s: budget grew %.1f%%, want 3-4%%", fy, g*100)
			}
		}
	}
	// Sales tax is the largest source of growth to FY 2022-23.
	growth := func(src string) float64 {
		return sourceBudget[src]["FY 2022-23"] - sourceBudget[src]["FY 2019-20"]
	}
	for src := range sourceBudget {
		if src != "Sales Tax" && growth(src) >= growth("Sales Tax") {
			t.Errorf("%s grew more than sales tax", src)
		}
	}
	// Property tax arrives mostly in December and April; VLF in January and May.
	for _, fy := range fys {
		start, _ := strconv.Atoi(fy[3:7])
		dec := monthly["Property Tax"][strconv.Itoa(start)+"-12"]
		apr := monthly["Property Tax"][strconv.Itoa(start+1)+"-04"]
		if share := (dec + apr) / sourceFY["Property Tax"][fy]; share < 0.6 {
			t.Errorf("%s: December and April bring %.0f%% of property tax", fy, share*100)
		}
		jan := monthly["Property Tax in lieu of VLF"][strconv.Itoa(start+1)+"-01"]
		may := monthly["Property Tax in lieu of VLF"][strconv.Itoa(start+1)+"-05"]
		if share := (jan + may) / sourceFY["Property Tax in lieu of VLF"][fy]; share < 0.95 {
			t.Errorf("%s: January and May bring %.0f%% of VLF in lieu", fy, share*100)
		}
	}
	// The year in progress (July-October 2026) runs a little behind its
	// budget at the pace of earlier years: at risk, not on or off track.
	months := []string{"-07", "-08", "-09", "-10"}
	pace := func(src string) (ytd, expected float64) {
		shares, years := 0.0, 0
		for _, fy := range fys {
			start := fy[3:7]
			part := 0.0
			for _, m := range months {
				part += monthly[src][start+m]
			}
			shares += part / sourceFY[src][fy]
			years++
		}
		for _, m := range months {
			ytd += monthly[src]["2026"+m]
		}
		return ytd, sourceBudget[src]["FY 2026-27"] * shares / float64(years)
	}
	var ytd, exp float64
	for src := range monthly {
		y, e := pace(src)
		ytd += y
		exp += e
	}
	if score := ytd / exp; score < 0.9 || score >= 1 {
		t.Errorf("FY 2026-27 to date is %.1f%% of its pace, want 90-100%%", score*100)
	}
	if y, e := pace(behindSource); y/e > 0.95 {
		t.Errorf("%s is %.1f%% of its pace, want behind", behindSource, y/e*100)
	}
}

func TestFiscalYearStart(t *testing.T) {
	files, err := Generate(asOf, norwalk, time.January, []string{Revenue})
	if err != nil {
		t.Fatal(err)
	}
	rows := read(t, files[0]).rows
	if got := rows[0]["fiscal_year"]; got != "FY 2018" {
		t.Errorf("first fiscal year %q, want FY 2018 for calendar fiscal years", got)
	}
	for _, r := range rows {
		if r["month"] != "" && r["fiscal_year"] != "FY "+r["month"][:4] {
			t.Fatalf("month %s in %s", r["month"], r["fiscal_year"])
		}
	}
}

func TestShelterSizing(t *testing.T) {
	rows := read(t, generate(t, asOf)[ShelterBeds]).rows
	yearRound := map[string]int{}
	psh := map[string]int{}
	coc := map[string]int{}
	sites := map[string]bool{}
	for _, r := range rows {
		d, err := time.Parse("2006-01-02", r["date"])
		if err != nil {
			t.Fatal(err)
		}
		if d.Weekday() != time.Wednesday || d.AddDate(0, 0, 7).Month() == d.Month() || (d.Month()-1)%3 != 0 {
			t.Errorf("%s is not the last Wednesday of January, April, July or October", r["date"])
		}
		beds := int(num(t, r["beds"]))
		switch r["geography"] {
		case "Norwalk":
			sites[r["site"]] = true
			if r["provider"] == "" {
				t.Errorf("row %v: no provider", r)
			}
			if occ := num(t, r["occupied"]) / float64(beds); occ < 0.74 || occ > 0.96 {
				t.Errorf("row %v: %.0f%% occupied", r, occ*100)
			}
			switch r["bed_type"] {
			case "ES", "TH", "SH":
				yearRound[r["date"]] += beds
			case "PSH":
				psh[r["date"]] += beds
			case "RRH":
			default:
				t.Errorf("bed type %q", r["bed_type"])
			}
		case "CA-600":
			if d.Month() != time.January || r["site"] != "" || r["occupied"] != "" {
				t.Errorf("CoC row %v", r)
			}
			if bt := r["bed_type"]; bt == "ES" || bt == "TH" || bt == "SH" {
				coc[r["date"][:4]] += beds
			}
		default:
			t.Errorf("geography %q", r["geography"])
		}
	}
	if n := len(sites); n < 6 || n > 10 {
		t.Errorf("%d sites, want 6-10", n)
	}
	if got := coc["2024"]; !within(float64(got), 26609, 0.01) {
		t.Errorf("CA-600 2024 year-round beds %d, want 26,609", got)
	}
	if len(coc) != 8 {
		t.Errorf("CA-600 counts for %d years, want 2019-2026", len(coc))
	}
	first, last := "2019-01-30", "2026-10-28"
	if n := yearRound[first]; n < 100 || n > 120 {
		t.Errorf("year-round beds %d on %s, want about 110", n, first)
	}
	if n := yearRound[last]; n < 190 || n > 210 {
		t.Errorf("year-round beds %d on %s, want about 200", n, last)
	}
	if n := psh[first]; n < 25 || n > 35 {
		t.Errorf("PSH beds %d on %s, want about 30", n, first)
	}
	if n := psh[last]; n < 100 || n > 120 {
		t.Errorf("PSH beds %d on %s, want about 110", n, last)
	}
}

func TestEVSizing(t *testing.T) {
	rows := read(t, generate(t, asOf)[EVChargers]).rows
	if n := len(rows); n < 35 || n > 60 {
		t.Errorf("%d stations, want 35-60", n)
	}
	ids := map[string]bool{}
	by2022 := 0
	planned := 0
	for _, r := range rows {
		if _, err := strconv.Atoi(r["station_id"]); err != nil || ids[r["station_id"]] {
			t.Errorf("station id %q not numeric or not unique", r["station_id"])
		}
		ids[r["station_id"]] = true
		if r["city"] != "Norwalk" || r["state"] != "CA" || !slices.Contains(norwalk.Zips, r["zip"]) {
			t.Errorf("station %v not in Norwalk", r)
		}
		lat, lon := num(t, r["latitude"]), num(t, r["longitude"])
		if lat < 33.88 || lat > 33.94 || lon < -118.11 || lon > -118.04 {
			t.Errorf("station %s at %v,%v", r["station_id"], lat, lon)
		}
		if l2 := num(t, r["level2_ports"]); l2 < 1 || l2 > 8 {
			t.Errorf("station %s: %v level 2 ports", r["station_id"], l2)
		}
		if dc := num(t, r["dc_fast_ports"]); dc < 0 || dc > 4 {
			t.Errorf("station %s: %v fast ports", r["station_id"], dc)
		}
		if !slices.Contains([]string{"P", "LG", "T"}, r["owner_type"]) {
			t.Errorf("owner type %q", r["owner_type"])
		}
		switch r["status"] {
		case "E":
		case "P":
			planned++
		default:
			t.Errorf("status %q", r["status"])
		}
		if r["open_date"] < "2012-01-01" {
			t.Errorf("station opened %s", r["open_date"])
		}
		if r["open_date"] <= "2022-12-31" && r["zip"] == "90650" {
			by2022++
		}
	}
	if by2022 < 8 || by2022 > 12 {
		t.Errorf("%d stations in 90650 by 2022, want about ten", by2022)
	}
	if planned > 3 {
		t.Errorf("%d planned stations, want a few at most", planned)
	}
}

// TestGolden compares the CSV files with testdata/; run with -update after a
// deliberate change to the sample.
func TestGolden(t *testing.T) {
	for _, name := range []string{ShelterBeds, EVChargers} {
		f := generate(t, asOf)[name]
		path := filepath.Join("testdata", f.Name)
		if *update {
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from %s (run go test -update if the change is meant)", name, path)
		}
	}
}

func TestBeforeTheSample(t *testing.T) {
	// Before the first month of revenue, ridership and shelter counts there
	// is nothing to write but the headers; stations opened since 2012.
	files, err := Generate(time.Date(2018, time.July, 20, 0, 0, 0, 0, time.UTC), norwalk, time.July, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		tb := read(t, f)
		if f.Dataset == EVChargers {
			if len(tb.rows) == 0 || tb.rows[len(tb.rows)-1]["open_date"] > "2018-06-30" {
				t.Errorf("ev_chargers: %d stations by June 2018", len(tb.rows))
			}
			continue
		}
		if len(tb.rows) != 0 {
			t.Errorf("%s: %d rows before July 2018 is complete", f.Dataset, len(tb.rows))
		}
	}
}
