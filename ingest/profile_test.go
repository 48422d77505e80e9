package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/plan"
	"github.com/xuri/excelize/v2"
)

// The tests of this file read the real public files in testdata/real (see
// the README there) through the built-in profiles, and small fixtures that
// reproduce a layout through profiles of a test plan.

const profilePlanHead = `title: Test plan
start: 2023-01-01
end: 2025-12-31
fiscal_year_start_month: 7
goals:
  - id: G1
    title: A goal
`

const norwalkPlace = `{city: Norwalk, state: CA, zips: ["90650", "90651", "90652"], ntd_id: "90022", coc: CA-600}`

// profilePlan parses a plan with the place, the built-in datasets and the
// extra YAML; any problem, warnings included, fails the test.
func profilePlan(t testing.TB, place, extra string) *plan.Plan {
	t.Helper()
	src := profilePlanHead + "place: " + place + "\ndatasets: [revenue, transit_ridership, shelter_beds, ev_chargers]\n" + extra
	p, probs, err := plan.Parse("test.yaml", []byte(src))
	if err != nil || len(probs) > 0 {
		t.Fatalf("test plan: %v %v", err, probs)
	}
	return p
}

// profilePlanFile parses a plan file of testdata/profiles.
func profilePlanFile(t testing.TB, name string) *plan.Plan {
	t.Helper()
	p, probs, err := plan.LoadFile(filepath.Join("testdata", "profiles", name))
	if err != nil || len(probs) > 0 {
		t.Fatalf("%s: %v %v", name, err, probs)
	}
	return p
}

func realFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "real", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustRead(t testing.TB, req ReadRequest) *ReadResult {
	t.Helper()
	res, err := Read(req)
	if err != nil {
		t.Fatalf("Read(%s): %v", req.Name, err)
	}
	return res
}

// batchRows gives the rows of a dataset's batch as column -> value maps,
// without nils.
func batchRows(t testing.TB, res *ReadResult, dataset string) []map[string]any {
	t.Helper()
	b := res.Batch(dataset)
	if b == nil {
		t.Fatalf("no batch for %s; batches: %d", dataset, len(res.Batches))
	}
	var out []map[string]any
	for _, r := range b.Rows {
		m := map[string]any{}
		for i, v := range r.Values {
			if v != nil {
				m[b.Columns[i]] = v
			}
		}
		out = append(out, m)
	}
	return out
}

func skipCount(res *ReadResult, reasonPart string) (int, []string) {
	for _, s := range res.Skipped {
		if strings.Contains(s.Reason, reasonPart) {
			return s.Count, s.Examples
		}
	}
	return 0, nil
}

func cellErrors(es []CellError) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.String())
	}
	return out
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// fixtureSheet is one sheet of a generated workbook; a nil row is left out.
type fixtureSheet struct {
	name string
	rows [][]any
}

func buildXLSX(t testing.TB, sheets ...fixtureSheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			if row == nil {
				continue
			}
			if err := f.SetSheetRow(s.name, fmt.Sprintf("A%d", r+1), &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHICByCoC reads HUD's real 2024 Housing Inventory Count by CoC, as
// downloaded, without naming the profile.
func TestHICByCoC(t *testing.T) {
	p := profilePlan(t, norwalkPlace, "")
	data := realFile(t, "2024-HIC-Counts-by-CoC.csv")
	res := mustRead(t, ReadRequest{Name: "2024-HIC-Counts-by-CoC.csv", Data: data, Plan: p})
	if res.Profile.Name != "hud-hic-by-coc" || !strings.Contains(res.Reason, "CoC Number") {
		t.Fatalf("profile %s, reason %q", res.Profile.Name, res.Reason)
	}
	if res.ErrorCount != 0 {
		t.Fatalf("errors: %v", cellErrors(res.Errors))
	}
	rows := batchRows(t, res, "shelter_beds")
	beds := map[string]int64{}
	for _, r := range rows {
		if r["geography"] != "CA-600" || !r["date"].(time.Time).Equal(date(2024, time.January, 31)) {
			t.Fatalf("row %v", r)
		}
		beds[r["bed_type"].(string)] = r["beds"].(int64)
	}
	// The numbers of the CA-600 row under each bed type's own group.
	want := map[string]int64{"ES": 23317, "TH": 2988, "SH": 304, "RRH": 9138, "PSH": 26433, "OPH": 1411}
	if !reflect.DeepEqual(beds, want) {
		t.Fatalf("beds = %v; want %v", beds, want)
	}
	if yr := beds["ES"] + beds["TH"] + beds["SH"]; yr != 26609 {
		t.Fatalf("year-round ES+TH+SH = %d; want 26,609", yr)
	}
	// Independently: the file's own "Total Year-Round Beds (ES, TH, SH)".
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r[0] == "CA-600" && r[1] != "26609" {
			t.Fatalf("file total %s", r[1])
		}
	}
	if n, ex := skipCount(res, "total row"); n != 1 || len(ex) != 1 || ex[0] != "2024-HIC-Counts-by-CoC.csv!A388" {
		t.Fatalf("total rows skipped: %d %v; all: %+v", n, ex, res.Skipped)
	}
	if len(res.Filters) != 1 || res.Filters[0] != (FilterReport{Sheet: "2024-HIC-Counts-by-CoC.csv", Description: "CoC is CA-600", Kept: 1, Total: 385}) {
		t.Fatalf("filters %+v", res.Filters)
	}
	if res.RowsRead != 386 {
		t.Fatalf("rows read %d", res.RowsRead)
	}
	sh := res.Sheets[0]
	if sh.HeaderRow != 2 || sh.Unpivoted != 6 {
		t.Fatalf("sheet report %+v", sh)
	}
}

// TestHICYearFromSet: an import-time year wins over the file name, and a
// file whose name holds no year needs one.
func TestHICYearFromSet(t *testing.T) {
	p := profilePlan(t, norwalkPlace, "")
	data := realFile(t, "2024-HIC-Counts-by-CoC.csv")
	res := mustRead(t, ReadRequest{Name: "hic.csv", Data: data, Plan: p, Set: map[string]string{"year": "2023"}})
	for _, r := range batchRows(t, res, "shelter_beds") {
		if !r["date"].(time.Time).Equal(date(2023, time.January, 31)) {
			t.Fatalf("date %v", r["date"])
		}
	}
	_, err := Read(ReadRequest{Name: "hic.csv", Data: data, Plan: p})
	msg := readFileError(t, err)
	if !strings.Contains(msg, "--set year=") {
		t.Fatalf("message %q", msg)
	}
	// A plan without a CoC says what to add.
	p2 := profilePlan(t, `{city: Norwalk, state: CA}`, "")
	_, err = Read(ReadRequest{Name: "2024-HIC-Counts-by-CoC.csv", Data: data, Plan: p2})
	if msg := readFileError(t, err); !strings.Contains(msg, "place has no coc") {
		t.Fatalf("message %q", msg)
	}
}

// TestHICWorkbookSheetPerYear: HUD's workbook has a sheet per year, whose
// header wording drifts; each sheet is dated by its name.
func TestHICWorkbookSheetPerYear(t *testing.T) {
	p := profilePlan(t, norwalkPlace, "")
	recs, err := csv.NewReader(strings.NewReader(string(realFile(t, "2024-HIC-Counts-by-CoC.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	toAny := func(r []string) []any {
		out := make([]any, len(r))
		for i, v := range r {
			if n, err := strconv.Atoi(v); err == nil {
				out[i] = n
			} else {
				out[i] = v
			}
		}
		return out
	}
	var y2024, y2015 [][]any
	for _, r := range recs {
		y2024 = append(y2024, toAny(r))
	}
	// 2015: "CoC" for "CoC Number", fewer bed types, lower case wording.
	y2015 = append(y2015, []any{"", "Emergency Shelter (ES)", "", "Transitional Housing (TH)"})
	y2015 = append(y2015, []any{"CoC", "total year-round beds (ES) ", "Total Seasonal Beds (ES)", "TOTAL YEAR-ROUND BEDS (TH)"})
	y2015 = append(y2015, []any{"CA-600", 15000, 10, 4000}, []any{"CA-601", 1, 2, 3}, []any{"Total", 9, 9, 9})
	b := buildXLSX(t, fixtureSheet{name: "Notes", rows: [][]any{{"Housing Inventory Count"}}},
		fixtureSheet{name: "2024", rows: y2024}, fixtureSheet{name: "2015", rows: y2015})
	res := mustRead(t, ReadRequest{Name: "2007-2024-HIC-Counts-by-CoC.xlsx", Data: b, Plan: p})
	if res.Profile.Name != "hud-hic-by-coc" {
		t.Fatalf("profile %s", res.Profile.Name)
	}
	got := map[string]int64{}
	for _, r := range batchRows(t, res, "shelter_beds") {
		got[r["date"].(time.Time).Format("2006")+" "+r["bed_type"].(string)] = r["beds"].(int64)
	}
	want := map[string]int64{"2024 ES": 23317, "2024 TH": 2988, "2024 SH": 304, "2024 RRH": 9138, "2024 PSH": 26433, "2024 OPH": 1411,
		"2015 ES": 15000, "2015 TH": 4000}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	if len(res.Sheets) != 2 || res.Sheets[1].Sheet != "2015" || res.Sheets[1].HeaderRow != 2 {
		t.Fatalf("sheets %+v", res.Sheets)
	}
	if n, _ := skipCount(res, "total row"); n != 2 {
		t.Fatalf("skipped %+v", res.Skipped)
	}
}

// afdcExpect counts, independently of the profile, what the AFDC file holds
// for a state and ZIP codes: stations, stations without an open date, and
// ports (a blank count is none).
func afdcExpect(t *testing.T, state string, zips map[string]bool) (stations, noDate int, l2, dc int64) {
	t.Helper()
	data := realFile(t, "afdc_alt_fuel_stations_WA_ELEC_sample.csv")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff")))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	num := func(s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, rec := range recs[1:] {
		if rec[col["State"]] != state || !zips[rec[col["ZIP"]]] || rec[col["Fuel Type Code"]] != "ELEC" || rec[col["Access Code"]] != "public" {
			continue
		}
		if rec[col["Open Date"]] == "" {
			noDate++
			continue
		}
		stations++
		l2 += num(rec[col["EV Level2 EVSE Num"]])
		dc += num(rec[col["EV DC Fast Count"]])
	}
	return
}

// TestAFDCStations reads the real AFDC download (BOM, 74 columns, blank
// port counts) for a plan in Washington.
func TestAFDCStations(t *testing.T) {
	p := profilePlan(t, `{city: Bellevue, state: WA, zips: ["98004", "98005", "98006", "98233"]}`, "")
	data := realFile(t, "afdc_alt_fuel_stations_WA_ELEC_sample.csv")
	res := mustRead(t, ReadRequest{Name: "alt_fuel_stations (Feb 23 2024).csv", Data: data, Plan: p})
	if res.Profile.Name != "afdc-ev-stations" || !strings.Contains(res.Reason, "Fuel Type Code, Station Name") || !strings.Contains(res.Reason, "better than ev_chargers") {
		t.Fatalf("profile %s, reason %q", res.Profile.Name, res.Reason)
	}
	zips := map[string]bool{"98004": true, "98005": true, "98006": true, "98233": true}
	stations, noDate, l2, dc := afdcExpect(t, "WA", zips)
	if stations < 100 || noDate != 1 {
		t.Fatalf("fixture: %d stations, %d without a date", stations, noDate)
	}
	rows := batchRows(t, res, "ev_chargers")
	var gl2, gdc int64
	for _, r := range rows {
		if !zips[r["zip"].(string)] || r["state"] != "WA" {
			t.Fatalf("row %v", r)
		}
		l, ok1 := r["level2_ports"].(int64)
		d, ok2 := r["dc_fast_ports"].(int64)
		if !ok1 || !ok2 {
			t.Fatalf("a blank count must read as zero: %v", r)
		}
		gl2, gdc = gl2+l, gdc+d
	}
	if len(rows) != stations || gl2 != l2 || gdc != dc {
		t.Fatalf("%d stations, %d L2, %d DC; want %d, %d, %d", len(rows), gl2, gdc, stations, l2, dc)
	}
	// The Tesla station without an open date is left out and listed.
	if res.ErrorCount != 0 || len(res.BadRowsSkipped) != 1 || res.BadRowsSkipped[0].Column != "open_date" {
		t.Fatalf("errors %v, skipped bad rows %v", cellErrors(res.Errors), cellErrors(res.BadRowsSkipped))
	}
	if n, _ := skipCount(res, "bad or missing value"); n != 1 {
		t.Fatalf("skipped %+v", res.Skipped)
	}
	f := res.Filters
	if len(f) != 4 || f[0].Description != "State is WA" || f[0].Kept != 2252 || f[0].Total != 2252 ||
		!strings.HasPrefix(f[1].Description, "ZIP is one of 98004, 98005") || f[1].Total != 2252 || f[3].Kept != stations+noDate {
		t.Fatalf("filters %+v", f)
	}
}

// TestAFDCStationsOtherState: a plan in California keeps nothing of a
// Washington file, and the report says so.
func TestAFDCStationsOtherState(t *testing.T) {
	p := profilePlan(t, norwalkPlace, "")
	res := mustRead(t, ReadRequest{Name: "alt_fuel_stations.csv", Data: realFile(t, "afdc_alt_fuel_stations_WA_ELEC_sample.csv"), Plan: p})
	if got := res.Filters[0]; got != (FilterReport{Sheet: "alt_fuel_stations.csv", Description: "State is CA", Kept: 0, Total: 2252}) {
		t.Fatalf("filter %+v", got)
	}
	if len(res.Batch("ev_chargers").Rows) != 0 || res.RowsRead != 2252 {
		t.Fatalf("rows %d, read %d", len(res.Batch("ev_chargers").Rows), res.RowsRead)
	}
}

const laCrosswalk = `crosswalks:
  - name: revenue
    entries:
      - {code: "3201", category: Licenses and permits, source: Dog licenses}
      - {name: dog pound fees, category: Charges for services, source: Animal shelter fees}
      - {match: 'pound fees$', category: Charges for services, source: Animal shelter fees}
      - {match: '^interfd oper trans', category: Transfers, source: Interfund transfers}
    otherwise: {category: Other revenue, source: "{name}"}
`

// TestBudgetWorkbook reads the City of Los Angeles' real FY 2018-19 adopted
// revenue workbook: a column per fiscal year and kind of amount, text codes
// with leading zeros, a second sheet with its header at B2.
func TestBudgetWorkbook(t *testing.T) {
	p := profilePlan(t, norwalkPlace, laCrosswalk)
	data := realFile(t, "LA_City_General_Fund_Revenue_1819Adopted.xlsx")
	res := mustRead(t, ReadRequest{Name: "General Fund Revenue_1819Adopted.xlsx", Data: data, Plan: p})
	if res.Profile.Name != "budget-fiscal-year-columns" {
		t.Fatalf("profile %s (%s)", res.Profile.Name, res.Reason)
	}
	if res.ErrorCount != 0 {
		t.Fatalf("errors %v", cellErrors(res.Errors))
	}
	if len(res.Sheets) != 1 || res.Sheets[0].Sheet != "General Fund Revenue" || res.Sheets[0].Unpivoted != 5 {
		t.Fatalf("sheets %+v", res.Sheets)
	}

	// Independently: the sums of each amount column, read with excelize.
	f, err := excelize.OpenReader(strings.NewReader(string(data)), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cells, err := f.GetRows("General Fund Revenue", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		fy     int64
		column string
	}
	want := map[key]Money{}
	colOf := map[int]key{10: {2017, "actual"}, 11: {2018, "budget"}, 12: {2018, "estimate"}, 13: {2019, "proposed"}, 14: {2019, "budget"}}
	dogs := Money(0)
	groups := 0 // (row, fiscal year) pairs with an amount: each makes a row
	for _, r := range cells[1:] {
		if len(r) == 0 {
			continue
		}
		has := map[int64]bool{}
		for c, k := range colOf {
			if c < len(r) && r[c] != "" {
				has[k.fy] = true
				v, err := strconv.ParseFloat(r[c], 64)
				if err != nil {
					t.Fatal(err)
				}
				want[k] += Money(v * 100)
				if r[8] == "3201" && k.column == "budget" && k.fy == 2019 {
					dogs += Money(v * 100)
				}
			}
		}
		groups += len(has)
	}
	got := map[key]Money{}
	gotDogs := Money(0)
	b := res.Batch("revenue")
	for _, r := range batchRows(t, res, "revenue") {
		if _, ok := r["month"]; ok {
			t.Fatalf("annual rows have no month: %v", r)
		}
		if r["fund"] != "General Fund" {
			t.Fatalf("fund %v", r)
		}
		for _, c := range []string{"actual", "budget", "estimate", "proposed"} {
			if v, ok := r[c].(Money); ok {
				got[key{r["fiscal_year"].(int64), c}] += v
				if c == "budget" && r["fiscal_year"] == int64(2019) && r["source"] == "Dog licenses" {
					gotDogs += v
				}
			}
		}
	}
	if !reflect.DeepEqual(got, want) || len(want) != 5 {
		t.Fatalf("sums by fiscal year\n got %v\nwant %v", got, want)
	}
	if want[key{2019, "budget"}] < Money(5e9*100) {
		t.Fatalf("the FY 2018-19 General Fund adopted revenue should be billions: %v", want)
	}
	if gotDogs != dogs || dogs <= 0 {
		t.Fatalf("dog licenses FY2019 budget %v, want %v", gotDogs, dogs)
	}
	// Rows of one department and source are added up.
	if res.Combined == 0 || len(b.Rows)+res.Combined != groups {
		t.Fatalf("%d rows, %d combined", len(b.Rows), res.Combined)
	}
	// The crosswalk's misses are listed once each.
	seen := map[string]bool{}
	for _, u := range res.Unmapped {
		if seen[u] {
			t.Fatalf("%q listed twice", u)
		}
		seen[u] = true
	}
	if !seen["5188 MISCELLANEOUS REVENUE-OTHERS"] || seen["3201 DOG LICENSES"] || seen["4178 DOG POUND FEES"] || seen["4177 CAT POUND FEES"] {
		t.Fatalf("unmapped %v", res.Unmapped[:min(10, len(res.Unmapped))])
	}
}

func readFileError(t testing.TB, err error) string {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v; want a *FileError", err)
	}
	return fe.Message
}

// TestHeaderAtB2 reads the second sheet of the LA workbook, whose first row
// and column are blank: the header starts at B2, codes keep leading zeros.
func TestHeaderAtB2(t *testing.T) {
	p := profilePlanFile(t, "plan.yaml")
	res := mustRead(t, ReadRequest{Name: "General Fund Revenue_1819Adopted.xlsx", Data: realFile(t, "LA_City_General_Fund_Revenue_1819Adopted.xlsx"),
		Plan: p, Profile: "la-budget-objects"})
	if res.ErrorCount != 0 {
		t.Fatalf("errors %v", cellErrors(res.Errors))
	}
	sh := res.Sheets[0]
	if sh.Sheet != "Report 2" || sh.HeaderRow != 2 || sh.Mapping[0].Cell != "B2" || sh.Mapping[0].Column != "org_code" {
		t.Fatalf("sheet %+v", sh)
	}
	rows := batchRows(t, res, "budget_objects")
	if len(rows) != 1904 || res.RowsRead != 1904 {
		t.Fatalf("%d rows, %d read", len(rows), res.RowsRead)
	}
	first := map[string]any{"org_code": "0201", "fund_code": "100", "object_code": "5126", "rollup": int64(1), "object_type": "R"}
	if !reflect.DeepEqual(rows[0], first) {
		t.Fatalf("first row %v", rows[0])
	}
	if b := res.Batch("budget_objects"); b.Rows[0].Line != 3 || b.Rows[0].Sheet != "Report 2" {
		t.Fatalf("first row at %s %d", b.Rows[0].Sheet, b.Rows[0].Line)
	}
	// Searching finds the same header without the fixed position.
	p.Profile("la-budget-objects").Header = nil
	res = mustRead(t, ReadRequest{Name: "x.xlsx", Data: realFile(t, "LA_City_General_Fund_Revenue_1819Adopted.xlsx"), Plan: p, Profile: "la-budget-objects"})
	if res.Sheets[0].HeaderRow != 2 || len(res.Batch("budget_objects").Rows) != 1904 {
		t.Fatalf("searched: %+v", res.Sheets[0])
	}
}

// TestFootnotesAndTotals reads HUD's Point-in-Time extract: Windows-1252,
// numbers as quoted text with commas, a Total row, a blank row and
// footnotes below.
func TestFootnotesAndTotals(t *testing.T) {
	p := profilePlanFile(t, "plan.yaml")
	res := mustRead(t, ReadRequest{Name: "2024-PIT-Counts-by-CoC.csv", Data: realFile(t, "2024-PIT-Counts-by-CoC_CA6xx-extract.csv"), Plan: p})
	if res.Profile.Name != "hud-pit-by-coc" {
		t.Fatalf("profile %s: %s", res.Profile.Name, res.Reason)
	}
	if res.ErrorCount != 0 {
		t.Fatalf("errors %v", cellErrors(res.Errors))
	}
	got := map[string]int64{}
	for _, r := range batchRows(t, res, "homeless_counts") {
		got[r["geography"].(string)] = r["people"].(int64)
		if !r["date"].(time.Time).Equal(date(2024, time.January, 31)) {
			t.Fatalf("date %v", r["date"])
		}
	}
	if !reflect.DeepEqual(got, map[string]int64{"CA-600": 71201, "CA-606": 3376, "CA-607": 556}) {
		t.Fatalf("got %v", got)
	}
	if n, ex := skipCount(res, "total row"); n != 1 || ex[0] != "2024-PIT-Counts-by-CoC.csv!B11" {
		t.Fatalf("total: %d %v", n, ex)
	}
	if n, ex := skipCount(res, "footnote"); n != 3 || ex[0] != "2024-PIT-Counts-by-CoC.csv!A13" {
		t.Fatalf("footnotes: %d %v (%+v)", n, ex, res.Skipped)
	}
	if f := res.Filters[0]; f.Kept != 3 || f.Total != 9 || f.Description != "CoC is one of CA-600, CA-606, CA-607" {
		t.Fatalf("filter %+v", f)
	}
}

// TestIDsStoredAsNumbers: NTD stores IDs as numbers shown with leading zeros
// (row 1335 is 90022, "City of Norwalk " with a trailing space).
func TestIDsStoredAsNumbers(t *testing.T) {
	p := profilePlanFile(t, "plan.yaml")
	data := realFile(t, "NTD_2023_GTFS_Weblinks.xlsx")
	res := mustRead(t, ReadRequest{Name: "2023 GTFS Weblinks.xlsx", Data: data, Plan: p})
	if res.Profile.Name != "ntd-gtfs-weblinks" || !strings.Contains(res.Reason, `sheet "GTFS Public 240930", header row 1, has NTD ID, Agency Name, Mode, TOS, Weblink, Modified Date`) {
		t.Fatalf("profile %s: %s", res.Profile.Name, res.Reason)
	}
	rows := batchRows(t, res, "gtfs_feeds")
	if len(rows) != 1 || rows[0]["ntd_id"] != "90022" || rows[0]["agency"] != "City of Norwalk" || rows[0]["mode"] != "MB" ||
		!rows[0]["modified"].(time.Time).Equal(date(2023, time.December, 18)) || res.Batch("gtfs_feeds").Rows[0].Line != 1335 {
		t.Fatalf("rows %v", rows)
	}
	if f := res.Filters[0]; f.Description != "NTD ID is 90022" || f.Kept != 1 || f.Total != 1578 {
		t.Fatalf("filter %+v", f)
	}
	// King County is NTD ID 1, shown as 00001: either spelling finds it.
	for _, id := range []string{"00001", "1"} {
		res = mustRead(t, ReadRequest{Name: "w.xlsx", Data: data, Plan: p, Profile: "ntd-gtfs-weblinks", Set: map[string]string{"agency": id}})
		rows = batchRows(t, res, "gtfs_feeds")
		if len(rows) != 5 || rows[0]["ntd_id"] != "00001" || rows[0]["agency"] != "King County" {
			t.Fatalf("%s: %v", id, rows)
		}
	}
}

// glWorkbook is a budget-versus-actual export: two sheets, title rows with
// the fiscal year, subtotals, "-" for zero, a bad cell.
func glWorkbook(t testing.TB) []byte {
	return buildXLSX(t,
		fixtureSheet{name: "Revenue", rows: [][]any{
			{"City of Example: Revenue, FY 2023-24"},
			nil,
			{"Department", "Account", "Budget", "Actual"},
			{"Finance", "Sales Tax", 1000, 900.5},
			{"Finance", "Property Tax - Secured", 2000, "-"},
			{"Finance", "Property Tax - Unsecured", 500, 100},
			{"Sub-total Revenues:", nil, 3500, 1000.5},
			{"Parks", "Rental Income", 10, 5},
			{"Parks", "Rental Income", 1, "1,2.34"},
			{"Total", nil, 3511, 1005.5},
		}},
		fixtureSheet{name: "Expenditure", rows: [][]any{
			{"Expenditures FY 2023-24"},
			{"Department", "Account Description", "Budget", "Actuals"},
			{"Finance", "Salaries", 100, 50},
			{"Finance", "Supplies", "-", 20},
			{"Total", nil, 100, 70},
		}})
}

// TestWorkbookFillingTwoDatasets: one import fills two datasets; subtotals
// and totals are skipped with their reason; a bad row is left out and listed
// because the profile allows it; the crosswalk lists what it did not know.
func TestWorkbookFillingTwoDatasets(t *testing.T) {
	p := profilePlanFile(t, "plan.yaml")
	res := mustRead(t, ReadRequest{Name: "gl export.xlsx", Data: glWorkbook(t), Plan: p})
	if res.Profile.Name != "gl-budget-vs-actual" || !strings.Contains(res.Reason, "the workbook has the sheets Revenue, Expenditure") {
		t.Fatalf("profile %s: %s", res.Profile.Name, res.Reason)
	}
	if res.ErrorCount != 0 {
		t.Fatalf("errors %v", cellErrors(res.Errors))
	}
	type rev struct {
		dept, cat, src string
		budget, actual Money
		fy             int64
	}
	var got []rev
	for _, r := range batchRows(t, res, "revenue") {
		got = append(got, rev{r["department"].(string), r["category"].(string), r["source"].(string), r["budget"].(Money), r["actual"].(Money), r["fiscal_year"].(int64)})
	}
	want := []rev{
		{"Finance", "Taxes", "Sales Tax", 100000, 90050, 2024},
		{"Finance", "Taxes", "Property Tax", 250000, 10000, 2024},
		{"Parks", "Other", "Rental Income", 1000, 500, 2024},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("revenue\n got %v\nwant %v", got, want)
	}
	exp := batchRows(t, res, "expenditure")
	if len(exp) != 2 || exp[1]["budget"] != Money(0) || exp[1]["actual"] != Money(2000) || exp[0]["fiscal_year"] != int64(2024) {
		t.Fatalf("expenditure %v", exp)
	}
	if n, ex := skipCount(res, "total or subtotal"); n != 3 || !reflect.DeepEqual(ex, []string{"Revenue!A7", "Revenue!A10", "Expenditure!A5"}) {
		t.Fatalf("totals: %d %v", n, ex)
	}
	if n, _ := skipCount(res, "bad or missing"); n != 1 {
		t.Fatalf("skipped %+v", res.Skipped)
	}
	if got := cellErrors(res.BadRowsSkipped); !reflect.DeepEqual(got, []string{`Revenue!D9: "1,2.34" is not a number (column actual)`}) {
		t.Fatalf("bad rows %v", got)
	}
	if !reflect.DeepEqual(res.Unmapped, []string{"Rental Income"}) || res.Combined != 1 {
		t.Fatalf("unmapped %v, combined %d", res.Unmapped, res.Combined)
	}
	if len(res.Sheets) != 2 || res.Sheets[0].HeaderRow != 3 || res.Sheets[1].Dataset != "expenditure" {
		t.Fatalf("sheets %+v", res.Sheets)
	}
	// Without on_error: skip_row the bad cell refuses the file.
	p.Profile("gl-budget-vs-actual").OnError = ""
	res = mustRead(t, ReadRequest{Name: "gl export.xlsx", Data: glWorkbook(t), Plan: p})
	if res.ErrorCount != 1 || !reflect.DeepEqual(res.Rejected, []int{9}) || len(res.BadRowsSkipped) != 0 {
		t.Fatalf("errors %v rejected %v", cellErrors(res.Errors), res.Rejected)
	}
}

const bedsTwoRows = `profiles:
  - name: beds-two-rows
    dataset: shelter_beds
    header: {rows: 2}
    columns:
      site: {header: Site}
      date: {value: "2024-01-31"}
      bed_type: {value: TH}
      beds: {header: Beds, group: Transitional Housing}
      occupied: {header: Occupied, occurrence: 2}
`

// TestGroupAndDuplicateHeaders: a row of group headers above the header,
// the same header under several groups, and a header picked by occurrence.
func TestGroupAndDuplicateHeaders(t *testing.T) {
	p := profilePlan(t, norwalkPlace, bedsTwoRows)
	csvText := "Shelter beds, January 2024\n" +
		",Emergency Shelter,,Transitional Housing,\n" +
		"Site,BEDS ,Occupied,Beds,Occupied \n" +
		"Hope House,10,8,5,4\n" +
		"Safe Harbor,20,20,.,\n"
	res := mustRead(t, ReadRequest{Name: "beds.csv", Data: []byte(csvText), Plan: p, Profile: "beds-two-rows"})
	rows := batchRows(t, res, "shelter_beds")
	if len(rows) != 1 || rows[0]["beds"] != int64(5) || rows[0]["occupied"] != int64(4) || rows[0]["geography"] != "Norwalk" {
		t.Fatalf("rows %v; errors %v", rows, cellErrors(res.Errors))
	}
	// "." is not applicable, never zero: the second row has no beds.
	if res.ErrorCount != 1 || res.Errors[0].Cell != "D5" || res.Errors[0].Column != "beds" {
		t.Fatalf("errors %v", cellErrors(res.Errors))
	}
	if got := res.Sheets[0].Mapping; got[3].Cell != "D3" || got[4].Cell != "E3" {
		t.Fatalf("mapping %+v", got)
	}
	// An occurrence the header row does not have is a whole-file problem.
	p.Profile("beds-two-rows").Columns.Get("occupied").Occurrence = 3
	_, err := Read(ReadRequest{Name: "beds.csv", Data: []byte(csvText), Plan: p, Profile: "beds-two-rows"})
	if msg := readFileError(t, err); !strings.Contains(msg, "occurrence 3 of 2") {
		t.Fatalf("message %q", msg)
	}
}

// TestDetectAmbiguous: two profiles that fit a file equally are listed, and
// naming one reads the file.
func TestDetectAmbiguous(t *testing.T) {
	two := bedsTwoRows + strings.Replace(bedsTwoRows[len("profiles:\n"):], "beds-two-rows", "beds-copy", 1)
	p := profilePlan(t, norwalkPlace, two)
	data := []byte(",Transitional Housing\nSite,Beds,Occupied,Occupied\nA,1,1,1\n")
	_, err := Read(ReadRequest{Name: "beds.csv", Data: data, Plan: p})
	var de *DetectError
	if !errors.As(err, &de) || !reflect.DeepEqual(de.Candidates, []string{"beds-copy", "beds-two-rows"}) || !strings.Contains(de.Message, "--profile") {
		t.Fatalf("err = %v", err)
	}
	res := mustRead(t, ReadRequest{Name: "beds.csv", Data: data, Plan: p, Profile: "beds-copy"})
	if res.Reason != "the profile beds-copy was named on import" || len(res.Batch("shelter_beds").Rows) != 1 {
		t.Fatalf("reason %q", res.Reason)
	}
	// Nothing fits a file of unrelated columns.
	_, err = Read(ReadRequest{Name: "x.csv", Data: []byte("a,b\n1,2\n"), Plan: p})
	if !errors.As(err, &de) || len(de.Candidates) != 0 || !strings.Contains(de.Message, "hud-hic-by-coc") {
		t.Fatalf("err = %v", err)
	}
	// Restricted to a dataset, only its profiles are candidates.
	_, err = Read(ReadRequest{Name: "x.csv", Data: []byte("a,b\n1,2\n"), Plan: p, Dataset: "revenue"})
	if !errors.As(err, &de) || strings.Contains(de.Message, "hud-hic-by-coc") || !strings.Contains(de.Message, "budget-fiscal-year-columns") {
		t.Fatalf("err = %v", err)
	}
}

// TestTemplateProfile: every dataset's own template is a profile named after
// it, with title rows above the header and the dataset's defaults.
func TestTemplateProfile(t *testing.T) {
	p := profilePlan(t, norwalkPlace, "")
	data := []byte("Norwalk shelter beds as of January 2024\n\nCount date,Bed type,Beds\n2024-01-24,ES,40\n2024-01-24,TH,12\n")
	for _, name := range []string{"shelter_beds", ""} {
		res := mustRead(t, ReadRequest{Name: "beds.csv", Data: data, Plan: p, Profile: name})
		rows := batchRows(t, res, "shelter_beds")
		if res.Profile.Name != "shelter_beds" || !res.Profile.Template || len(rows) != 2 || rows[0]["geography"] != "Norwalk" || res.Sheets[0].HeaderRow != 3 {
			t.Fatalf("%q: profile %s, rows %v, sheets %+v", name, res.Profile.Name, rows, res.Sheets)
		}
		if name == "" && !strings.Contains(res.Reason, "names 3 columns of shelter_beds") {
			t.Fatalf("reason %q", res.Reason)
		}
	}
	_, err := Read(ReadRequest{Name: "b.csv", Data: data, Plan: p, Profile: "revenue"})
	if msg := readFileError(t, err); !strings.Contains(msg, "Fiscal year, Fund, Category, Source") {
		t.Fatalf("message %q", msg)
	}
	_, err = Read(ReadRequest{Name: "b.csv", Data: data, Plan: p, Profile: "nope"})
	if msg := readFileError(t, err); !strings.Contains(msg, `no profile "nope"`) || !strings.Contains(msg, "ntd-monthly-ridership") {
		t.Fatalf("message %q", msg)
	}
	_, err = Read(ReadRequest{Name: "b.csv", Data: data, Plan: p, Profile: "hud-hic-by-coc", Dataset: "revenue"})
	if msg := readFileError(t, err); !strings.Contains(msg, "fills shelter_beds, not revenue") {
		t.Fatalf("message %q", msg)
	}
}

// TestBudgetNeedsCrosswalk: the built-in budget profile maps accounts with
// the plan's crosswalk named revenue, and says so when there is none.
func TestBudgetNeedsCrosswalk(t *testing.T) {
	p := profilePlan(t, norwalkPlace, "")
	_, err := Read(ReadRequest{Name: "budget.xlsx", Data: realFile(t, "LA_City_General_Fund_Revenue_1819Adopted.xlsx"), Plan: p})
	if msg := readFileError(t, err); !strings.Contains(msg, `crosswalk "revenue"`) || !strings.Contains(msg, "crosswalks:") {
		t.Fatalf("message %q", msg)
	}
}

// TestBudgetFundFromSet: a report without a fund column takes the fund from
// --set fund=..., and the amounts from "-", "$1,234" and "(1,234)".
func TestBudgetFundFromSet(t *testing.T) {
	p := profilePlan(t, norwalkPlace, laCrosswalk)
	data := []byte("Account Code,Account Name,FY 2022-23 Actual,FY 2023-24 Adopted Budget,2023-24 Estimated,2024-25 Proposed\n" +
		"0310,Sales Tax,\"$1,234.50\",-,\"(100)\",7\n" +
		"0320,Sales Tax,1,2,3,4\n" +
		"Total,,1,1,1,1\n")
	_, err := Read(ReadRequest{Name: "budget.csv", Data: data, Plan: p})
	if msg := readFileError(t, err); !strings.Contains(msg, "--set fund=") {
		t.Fatalf("message %q", msg)
	}
	res := mustRead(t, ReadRequest{Name: "budget.csv", Data: data, Plan: p, Set: map[string]string{"fund": "General Fund"}})
	got := map[int64]map[string]any{}
	for _, r := range batchRows(t, res, "revenue") {
		got[r["fiscal_year"].(int64)] = r
	}
	if got[2023]["actual"] != Money(123550) || got[2024]["budget"] != Money(200) || got[2024]["estimate"] != Money(-9700) ||
		got[2025]["proposed"] != Money(1100) || got[2023]["fund"] != "General Fund" || got[2023]["source"] != "Sales Tax" || len(got) != 3 {
		t.Fatalf("rows %v; errors %v", got, cellErrors(res.Errors))
	}
	if !reflect.DeepEqual(res.Unmapped, []string{"0310 Sales Tax", "0320 Sales Tax"}) || res.Combined != 3 {
		t.Fatalf("unmapped %v combined %d", res.Unmapped, res.Combined)
	}
}

// TestUnpivotConflict: two headers that give the same column of the same
// row refuse the file, naming both cells.
func TestUnpivotConflict(t *testing.T) {
	p := profilePlan(t, norwalkPlace, laCrosswalk)
	data := []byte("Fund,Account Name,2023-24 Adopted Budget,2023-24 Revised Budget\nGF,Sales Tax,1,2\n")
	_, err := Read(ReadRequest{Name: "budget.csv", Data: data, Plan: p})
	if msg := readFileError(t, err); !strings.Contains(msg, "C1 and D1") || !strings.Contains(msg, "budget") {
		t.Fatalf("message %q", msg)
	}
}

// TestSetValues reads --set name=value pairs.
func TestSetValues(t *testing.T) {
	got, err := SetValues([]string{"year=2024", " fund = General Fund "})
	if err != nil || !reflect.DeepEqual(got, map[string]string{"year": "2024", "fund": "General Fund"}) {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := SetValues([]string{"2024"}); err == nil {
		t.Fatal("no error for a value without a name")
	}
}

func TestIDFold(t *testing.T) {
	for _, c := range [][2]string{{"90022", "90022"}, {"00001", "1"}, {"1.0", "1"}, {" CA-600 ", "ca-600"}, {"0", "0"}, {"000", "0"}, {"Ab  C", "ab c"}} {
		if got := idFold(c[0]); got != c[1] {
			t.Errorf("idFold(%q) = %q; want %q", c[0], got, c[1])
		}
	}
	for _, c := range [][3]string{{"1", "5", "00001"}, {"12.0", "5", "00012"}, {"123456", "5", "123456"}, {"A1", "5", "A1"}} {
		n, _ := strconv.Atoi(c[1])
		if got := padDigits(c[0], n); got != c[2] {
			t.Errorf("padDigits(%q) = %q", c[0], got)
		}
	}
	for _, c := range [][2]string{{"1.2M", "1.2e6"}, {"450K", "450e3"}, {"(3B)", "(3e9)"}, {"M", "M"}, {"12", "12"}} {
		if got := expandSuffix(c[0]); got != c[1] {
			t.Errorf("expandSuffix(%q) = %q", c[0], got)
		}
	}
}
