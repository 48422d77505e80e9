package ingest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The NTD "Complete Monthly Ridership (with adjustments and estimates)"
// workbook is tens of megabytes, so the tests generate one of the same
// layout: a read-me sheet, then UPT, VRM, VRH and VOMS with the header
// NTD ID | Legacy NTD ID | Agency | Mode/Type of Service Status | Reporter
// Type | UACE CD | UZA Name | Mode | TOS | 3 Mode | 1/2002 | 2/2002 | ...,
// 2,265 agency rows, NTD IDs stored as numbers shown as 0000# (as in FTA's
// NTD_2023_GTFS_Weblinks.xlsx), month headers as text, blank months before a
// mode started, and FTA's estimated totals for reduced reporters at the
// bottom of each sheet, without an NTD ID.

// ntdMeasures are the sheets, in workbook order, and the column each fills.
var ntdMeasures = []struct{ sheet, column string }{
	{"UPT", "unlinked_trips"}, {"VRM", "vehicle_revenue_miles"}, {"VRH", "vehicle_revenue_hours"}, {"VOMS", "vehicles_operated"},
}

const (
	ntdAgencyRows   = 2265
	ntdEstimateRows = 6
	ntdFirstYear    = 2002
	ntdLastYear     = 2024
)

// ntdRow is one agency, mode and type of service.
type ntdRow struct {
	id        int
	legacy    string
	agency    string
	status    string
	uace      int
	uza       string
	mode, tos string
	mode3     string
	// from and to bound the months with data (inclusive), as year*12+month-1.
	from, to int
}

func ym(y int, m time.Month) int { return y*12 + int(m) - 1 }

// ntdValue is the value of a measure in a month, or false for a blank cell.
// Norwalk's own rows follow its ridership (about 70-85 thousand boardings a
// month on the bus); the rest are filler.
func ntdValue(r ntdRow, sheet int, month int) (int64, bool) {
	if month < r.from || month > r.to {
		return 0, false
	}
	y, m := month/12, month%12+1
	if r.id == 90022 && r.mode == "MB" && r.tos == "PT" && y == 2020 && m == 4 {
		return 0, true // service suspended: a real zero, not a blank
	}
	if r.id == 90022 && sheet == 3 && r.mode == "DR" && y == 2023 && m >= 7 {
		return 0, false // VOMS not reported: missing
	}
	base := int64(1000 + (r.id*31+month*7)%500)
	if r.id == 90022 {
		switch r.mode {
		case "MB":
			base = 70000 + int64((month*37)%15000)
			if r.tos == "PT" {
				base /= 10
			}
		case "DR":
			base = 2500 + int64((month*13)%400)
		}
	}
	switch sheet {
	case 1: // VRM
		return base*3 + 17, true
	case 2: // VRH
		return base/5 + 3, true
	case 3: // VOMS
		return base/2500 + 1, true
	}
	return base, true
}

func ntdRows() []ntdRow {
	all := ym(ntdFirstYear, 1)
	end := ym(ntdLastYear, 12)
	la := "Los Angeles--Long Beach--Anaheim, CA"
	rows := []ntdRow{
		{id: 1, legacy: "0001", agency: "King County", status: "Active", uace: 80389, uza: "Seattle--Tacoma, WA", mode: "MB", tos: "DO", mode3: "Bus", from: all, to: end},
		{id: 10057, legacy: "1057", agency: "Norwalk Transit District", status: "Active", uace: 8785, uza: "Bridgeport--Stamford, CT--NY", mode: "MB", tos: "DO", mode3: "Bus", from: all, to: end},
		{id: 10057, legacy: "1057", agency: "Norwalk Transit District", status: "Active", uace: 8785, uza: "Bridgeport--Stamford, CT--NY", mode: "DR", tos: "DO", mode3: "Bus", from: all, to: end},
		{id: 90022, legacy: "9022", agency: "City of Norwalk ", status: "Active", uace: 51445, uza: la, mode: "MB", tos: "DO", mode3: "Bus", from: all, to: end},
		{id: 90022, legacy: "9022", agency: "City of Norwalk ", status: "Active", uace: 51445, uza: la, mode: "MB", tos: "PT", mode3: "Bus", from: ym(2015, time.July), to: end},
		{id: 90022, legacy: "9022", agency: "City of Norwalk ", status: "Inactive", uace: 51445, uza: la, mode: "DR", tos: "DO", mode3: "Bus", from: all, to: ym(2014, time.June)},
		{id: 90022, legacy: "9022", agency: "City of Norwalk ", status: "Active", uace: 51445, uza: la, mode: "DR", tos: "PT", mode3: "Bus", from: ym(2014, time.July), to: end},
	}
	modes := []struct{ mode, tos, mode3 string }{{"MB", "DO", "Bus"}, {"DR", "PT", "Bus"}, {"LR", "DO", "Rail"}, {"VP", "PT", "Bus"}, {"CB", "PT", "Bus"}}
	for i := 0; len(rows) < ntdAgencyRows; i++ {
		m := modes[i%len(modes)]
		id := 2 + i/2
		if id == 10057 || id == 90022 {
			id += 50000
		}
		rows = append(rows, ntdRow{id: id, legacy: fmt.Sprint(id % 10000), agency: fmt.Sprintf("Transit Agency %d", id), status: "Active",
			uace: 1000 + i, uza: "Some Urban Area, ST", mode: m.mode, tos: m.tos, mode3: m.mode3, from: all + i%100, to: end - i%7})
	}
	return rows
}

var ntdFixture struct {
	once sync.Once
	data []byte
	err  error
}

// ntdWorkbook builds the workbook once per test binary.
func ntdWorkbook(t testing.TB) []byte {
	t.Helper()
	ntdFixture.once.Do(func() { ntdFixture.data, ntdFixture.err = buildNTDWorkbook() })
	if ntdFixture.err != nil {
		t.Fatal(ntdFixture.err)
	}
	return ntdFixture.data
}

func buildNTDWorkbook() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Read Me"); err != nil {
		return nil, err
	}
	readme := []string{
		"Read Me",
		"Users are encouraged to read the totality of this read-me file to understand limitations and other relevant details regarding the reported data and reporting process.",
		"This Excel workbook contains all Monthly module data reported to the NTD since January 2002.",
		"Beginning with Calendar Year 2012, the bottom of each monthly data worksheet (UPT, VRM, VRH, VOMS) presents estimated monthly industry totals for Reduced Reporters.",
	}
	for i, l := range readme {
		if err := f.SetCellStr("Read Me", fmt.Sprintf("A%d", i+1), l); err != nil {
			return nil, err
		}
	}
	idFmt := "0000#"
	idStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &idFmt})
	if err != nil {
		return nil, err
	}
	numStyle, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	if err != nil {
		return nil, err
	}
	rows := ntdRows()
	first, last := ym(ntdFirstYear, 1), ym(ntdLastYear, 12)
	header := []any{"NTD ID", "Legacy NTD ID", "Agency", "Mode/Type of Service Status", "Reporter Type", "UACE CD", "UZA Name", "Mode", "TOS", "3 Mode"}
	for m := first; m <= last; m++ {
		header = append(header, fmt.Sprintf("%d/%d", m%12+1, m/12))
	}
	for si, ms := range ntdMeasures {
		if _, err := f.NewSheet(ms.sheet); err != nil {
			return nil, err
		}
		sw, err := f.NewStreamWriter(ms.sheet)
		if err != nil {
			return nil, err
		}
		if err := sw.SetRow("A1", header); err != nil {
			return nil, err
		}
		line := 2
		for _, r := range rows {
			cells := []any{excelize.Cell{StyleID: idStyle, Value: r.id}, r.legacy, r.agency, r.status, "Full Reporter", r.uace, r.uza, r.mode, r.tos, r.mode3}
			for m := first; m <= last; m++ {
				if v, ok := ntdValue(r, si, m); ok {
					cells = append(cells, excelize.Cell{StyleID: numStyle, Value: v})
				} else {
					cells = append(cells, nil)
				}
			}
			if err := sw.SetRow(fmt.Sprintf("A%d", line), cells); err != nil {
				return nil, err
			}
			line++
		}
		// FTA's estimates for reduced reporters: no NTD ID, from 2012.
		for i, mode := range []string{"MB", "DR", "VP", "CB", "FB", "RB"}[:ntdEstimateRows] {
			cells := []any{nil, nil, nil, nil, "Reduced Reporter", nil, nil, mode, nil, "Bus"}
			for m := first; m <= last; m++ {
				if m >= ym(2012, 1) {
					cells = append(cells, excelize.Cell{StyleID: numStyle, Value: 100000 + i*1000 + m})
				} else {
					cells = append(cells, nil)
				}
			}
			if err := sw.SetRow(fmt.Sprintf("A%d", line), cells); err != nil {
				return nil, err
			}
			line++
		}
		if err := sw.Flush(); err != nil {
			return nil, err
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TestNTDMonthlyRidership reads the workbook without naming the profile:
// the four sheets are joined into one row per mode, type of service and
// month, only Norwalk Transit System's rows are kept (90022, not Norwalk
// Transit District in Connecticut, 10057), blank months are missing.
func TestNTDMonthlyRidership(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 2,265-row workbook")
	}
	data := ntdWorkbook(t)
	p := profilePlan(t, norwalkPlace, "")
	res := mustRead(t, ReadRequest{Name: "December 2024 Complete Monthly Ridership (with adjustments and estimates)_250203.xlsx", Data: data, Plan: p})
	if res.Profile.Name != "ntd-monthly-ridership" {
		t.Fatalf("profile %s: %s", res.Profile.Name, res.Reason)
	}
	for _, want := range []string{"the workbook has the sheets UPT", `sheet "UPT", header row 1, has NTD ID, Agency, Mode, TOS and 276 column(s) to unpivot`, "276 column(s) to unpivot", `file name matches "ridership"`} {
		if !strings.Contains(res.Reason, want) {
			t.Errorf("reason %q lacks %q", res.Reason, want)
		}
	}
	if res.ErrorCount != 0 {
		t.Fatalf("errors %v", cellErrors(res.Errors))
	}
	if res.RowsRead != 4*(ntdAgencyRows+ntdEstimateRows) {
		t.Fatalf("rows read %d", res.RowsRead)
	}
	// The report: four sheets, a filter per sheet, the estimates skipped.
	if len(res.Sheets) != 4 || len(res.Filters) != 4 {
		t.Fatalf("sheets %+v filters %+v", res.Sheets, res.Filters)
	}
	for i, ms := range ntdMeasures {
		sh, f := res.Sheets[i], res.Filters[i]
		if sh.Sheet != ms.sheet || sh.HeaderRow != 1 || sh.Unpivoted != 276 {
			t.Errorf("sheet %+v", sh)
		}
		um := sh.Mapping[len(sh.Mapping)-1]
		if um.Header != "1/2002 … 12/2024" || um.Cell != "K1:JZ1" || um.Column != ms.column+" by month" {
			t.Errorf("unpivot mapping %+v", um)
		}
		if f != (FilterReport{Sheet: ms.sheet, Description: "NTD ID is 90022", Kept: 4, Total: ntdAgencyRows}) {
			t.Errorf("filter %+v", f)
		}
	}
	n, ex := skipCount(res, "reduced-reporter estimate")
	if n != 4*ntdEstimateRows || ex[0] != fmt.Sprintf("UPT!A%d", ntdAgencyRows+2) || len(ex) != maxSkipExamples {
		t.Fatalf("estimates skipped: %d %v", n, ex)
	}

	// Every value against the generator's own.
	type key struct {
		mode, tos string
		month     time.Time
	}
	want := map[key][4]any{}
	for _, r := range ntdRows() {
		if r.id != 90022 {
			continue
		}
		for m := ym(ntdFirstYear, 1); m <= ym(ntdLastYear, 12); m++ {
			var vs [4]any
			any := false
			for si := range ntdMeasures {
				if v, ok := ntdValue(r, si, m); ok {
					any = true
					if si == 0 || si == 3 {
						vs[si] = v
					} else {
						vs[si] = float64(v)
					}
				}
			}
			if any {
				want[key{r.mode, r.tos, date(m/12, time.Month(m%12+1), 1)}] = vs
			}
		}
	}
	got := map[key][4]any{}
	for _, r := range batchRows(t, res, "transit_ridership") {
		k := key{r["mode"].(string), r["type_of_service"].(string), r["month"].(time.Time)}
		if _, dup := got[k]; dup {
			t.Fatalf("two rows for %v", k)
		}
		got[k] = [4]any{r["unlinked_trips"], r["vehicle_revenue_miles"], r["vehicle_revenue_hours"], r["vehicles_operated"]}
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows; want %d", len(got), len(want))
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Fatalf("%v: got %v, want %v", k, got[k], w)
		}
	}
	// The purchased bus service started in July 2015; it carried no one in
	// April 2020 (zero, not missing); demand-response VOMS went unreported.
	if _, ok := got[key{"MB", "PT", date(2015, time.June, 1)}]; ok {
		t.Error("a month before the mode started made a row")
	}
	if v := got[key{"MB", "PT", date(2020, time.April, 1)}]; v[0] != int64(0) {
		t.Errorf("April 2020: %v", v)
	}
	if v := got[key{"DR", "PT", date(2023, time.August, 1)}]; v[3] != nil || v[0] == nil {
		t.Errorf("August 2023 DR: %v", v)
	}
	var trips2023 int64
	for k, v := range got {
		if k.month.Year() == 2023 {
			trips2023 += v[0].(int64)
		}
	}
	if trips2023 < 850000 || trips2023 > 1200000 {
		t.Errorf("2023 boardings %d: not like Norwalk's", trips2023)
	}
	if b := res.Batch("transit_ridership"); b.Rows[0].Sheet != "UPT" || b.Rows[0].Line != 5 {
		t.Errorf("first row from %s row %d", b.Rows[0].Sheet, b.Rows[0].Line)
	}
}

// TestNTDNeedsAgency: without place: ntd_id the profile cannot choose rows.
func TestNTDNeedsAgency(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 2,265-row workbook")
	}
	p := profilePlan(t, `{city: Norwalk, state: CA}`, "")
	_, err := Read(ReadRequest{Name: "ridership.xlsx", Data: ntdWorkbook(t), Plan: p, Profile: "ntd-monthly-ridership"})
	if msg := readFileError(t, err); !strings.Contains(msg, "place has no ntd_id") || !strings.Contains(msg, "NTD ID is {place.ntd_id}") {
		t.Fatalf("message %q", msg)
	}
}

// TestJoinProblems: a month only one sheet has, values that disagree, a
// sheet that is missing.
func TestJoinProblems(t *testing.T) {
	p := profilePlan(t, norwalkPlace, "")
	hdr := []any{"NTD ID", "Agency", "Mode", "TOS", "1/2024", "2/2024", "3/2024"}
	b := buildXLSX(t,
		fixtureSheet{name: "UPT", rows: [][]any{hdr,
			{90022, "City of Norwalk ", "MB", "DO", 100, nil, 300},
			{90022, "City of Norwalk ", "MB", "DO", 100, nil, 301}}},
		fixtureSheet{name: "VRM", rows: [][]any{hdr,
			{90022, "City of Norwalk ", "MB", "DO", 10, 20, 30}}})
	res := mustRead(t, ReadRequest{Name: "monthly.xlsx", Data: b, Plan: p})
	got := cellErrors(res.Errors)
	want := []string{
		`UPT!G3: "301" differs from UPT!G2 (300) for the same ntd_id, mode, type_of_service, month (column unlinked_trips)`,
		`VRM!F2: a value is required, but sheet UPT has none for this ntd_id, mode, type_of_service, month (column unlinked_trips)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("errors\n got %q\nwant %q", got, want)
	}
	rows := batchRows(t, res, "transit_ridership")
	if len(rows) != 2 || rows[0]["vehicle_revenue_miles"] != float64(10) || rows[1]["unlinked_trips"] != int64(300) {
		t.Fatalf("rows %v", rows)
	}
	// VRM, VRH and VOMS are optional sheets; UPT is not.
	b = buildXLSX(t, fixtureSheet{name: "VRM", rows: [][]any{hdr, {90022, "x", "MB", "DO", 1, 2, 3}}})
	_, err := Read(ReadRequest{Name: "monthly.xlsx", Data: b, Plan: p, Profile: "ntd-monthly-ridership"})
	if msg := readFileError(t, err); !strings.Contains(msg, `reads the sheet UPT`) || !strings.Contains(msg, `"VRM"`) {
		t.Fatalf("message %q", msg)
	}
	var de *DetectError
	if _, err := Read(ReadRequest{Name: "monthly.xlsx", Data: b, Plan: p}); !errors.As(err, &de) {
		t.Fatalf("err = %v", err)
	}
}

// TestNTDDateHeaders: a month header that Excel turned into a date (a
// serial number) is still its month.
func TestNTDDateHeaders(t *testing.T) {
	p := profilePlan(t, norwalkPlace, "")
	b := buildXLSX(t, fixtureSheet{name: "UPT", rows: [][]any{
		{"NTD ID", "Agency", "Mode", "TOS", 45292, "2/2024"}, // 45292 is 1 January 2024
		{90022, "City of Norwalk ", "MB", "DO", 81240, 79000},
	}})
	res := mustRead(t, ReadRequest{Name: "ridership.xlsx", Data: b, Plan: p})
	rows := batchRows(t, res, "transit_ridership")
	if len(rows) != 2 || !rows[0]["month"].(time.Time).Equal(date(2024, time.January, 1)) || rows[0]["unlinked_trips"] != int64(81240) ||
		!rows[1]["month"].(time.Time).Equal(date(2024, time.February, 1)) {
		t.Fatalf("rows %v; errors %v", rows, cellErrors(res.Errors))
	}
}
