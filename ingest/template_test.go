package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/plandash/plandash/internal/plan"
	"github.com/xuri/excelize/v2"
)

func builtin(t testing.TB, name string) *plan.Dataset {
	t.Helper()
	all, err := plan.BuiltinDatasets()
	if err != nil {
		t.Fatal(err)
	}
	ds := all[name]
	if ds == nil {
		t.Fatalf("no built-in dataset %s", name)
	}
	return ds
}

// sheetSpec is one sheet of a generated workbook; a nil row is left out.
type sheetSpec struct {
	name   string
	rows   [][]any
	hidden bool
}

func makeXLSX(t testing.TB, sheets ...sheetSpec) []byte {
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
	for _, s := range sheets {
		if s.hidden {
			if err := f.SetSheetVisible(s.name, false); err != nil {
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

// rewriteZip returns the zip b with the file name changed by edit.
func rewriteZip(t testing.TB, b []byte, name string, edit func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			data = []byte(edit(string(data)))
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func read(name string, b []byte, ds *plan.Dataset, opt Options) (*Result, error) {
	return ReadTemplate(name, bytes.NewReader(b), int64(len(b)), ds, opt)
}

func readFile(t *testing.T, path string, ds *plan.Dataset, opt Options) (*Result, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return read(filepath.Base(path), b, ds, opt)
}

func fileError(t *testing.T, err error) string {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v; want a *FileError", err)
	}
	return fe.Message
}

func errorStrings(res *Result) []string {
	var out []string
	for _, e := range res.Errors {
		out = append(out, e.String())
	}
	return out
}

// rowValues gives the rows of a batch as column -> value maps, without nils.
func rowValues(b *Batch) []map[string]any {
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

func TestReadTemplateRevenueWorkbook(t *testing.T) {
	ds := builtin(t, "revenue")
	b := makeXLSX(t, sheetSpec{name: "Revenue", rows: [][]any{
		{"City of Norwalk: General Fund revenue, FY 2024-25"},
		{"Fiscal Year", "Fund Name", "Revenue Type", "Account", "Adopted Budget", "Actuals", "Notes", "Month Ending"},
		{"FY 2024-25", "General Fund", "Taxes", "Property Tax", "1,000", "1,2.34", "typo", "2024-07"},
		{"2024-25", "General Fund", "Taxes", "Sales Tax", 1250000, 104211.37, "", time.Date(2024, 7, 31, 0, 0, 0, 0, time.UTC)},
		nil,
		{"FY25", "General Fund", "Fees", "Trash Franchise", "(1,234.565)", "N/A", "", ""},
		{"", "", "", "", "", "", "a note under the table", ""},
	}})
	res, err := read("revenue.xlsx", b, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sheet != "Revenue" || res.HeaderRow != 2 {
		t.Errorf("sheet %q header row %d; want Revenue 2", res.Sheet, res.HeaderRow)
	}
	wantMap := []ColumnMatch{
		{"Fiscal Year", "A2", "fiscal_year"}, {"Fund Name", "B2", "fund"}, {"Revenue Type", "C2", "category"},
		{"Account", "D2", "source"}, {"Adopted Budget", "E2", "budget"}, {"Actuals", "F2", "actual"},
		{"Month Ending", "H2", "month"},
	}
	if !reflect.DeepEqual(res.Mapping, wantMap) {
		t.Errorf("mapping %v\nwant %v", res.Mapping, wantMap)
	}
	if !reflect.DeepEqual(res.Ignored, []string{"Notes"}) {
		t.Errorf("ignored %v", res.Ignored)
	}
	wantErr := []string{`Revenue!F3: "1,2.34" is not a number (column actual)`}
	if got := errorStrings(res); !reflect.DeepEqual(got, wantErr) {
		t.Errorf("errors %q\nwant %q", got, wantErr)
	}
	if e := res.Errors[0]; e.Row != 3 || e.Cell != "F3" || e.Column != "actual" || e.Value != "1,2.34" {
		t.Errorf("error fields %+v", e)
	}
	if res.RowsRead != 3 || res.ErrorCount != 1 || !reflect.DeepEqual(res.Rejected, []int{3}) {
		t.Errorf("rows read %d, errors %d, rejected %v; want 3, 1, [3]", res.RowsRead, res.ErrorCount, res.Rejected)
	}
	if !reflect.DeepEqual(res.Batch.Columns, []string{"fiscal_year", "month", "fund", "department", "category", "source", "budget", "actual", "estimate", "proposed"}) {
		t.Errorf("columns %v", res.Batch.Columns)
	}
	want := []map[string]any{
		{"fiscal_year": int64(2025), "month": day(2024, 7, 1), "fund": "General Fund", "category": "Taxes", "source": "Sales Tax", "budget": Money(125000000), "actual": Money(10421137)},
		{"fiscal_year": int64(2025), "fund": "General Fund", "category": "Fees", "source": "Trash Franchise", "budget": Money(-123457)},
	}
	if got := rowValues(res.Batch); !reflect.DeepEqual(got, want) {
		t.Errorf("rows\n%v\nwant\n%v", got, want)
	}
	if lines := []int{res.Batch.Rows[0].Line, res.Batch.Rows[1].Line}; !reflect.DeepEqual(lines, []int{4, 6}) {
		t.Errorf("row lines %v; want [4 6]", lines)
	}
	if res.Batch.Rows[0].Sheet != "Revenue" {
		t.Errorf("row sheet %q", res.Batch.Rows[0].Sheet)
	}
}

func TestHeaderAliasesAndDefaults(t *testing.T) {
	ds := builtin(t, "shelter_beds")
	b := makeXLSX(t, sheetSpec{name: "HIC", rows: [][]any{
		{"Housing Inventory Count"},
		{"prepared by the city"},
		{" COUNT DATE ", "project_type", "Total Year-Round Beds", "Persons"},
		{time.Date(2025, 1, 29, 0, 0, 0, 0, time.UTC), "ES", 40, 36},
		{"1/29/2025", "TH", "12", ""},
	}})
	res, err := read("hic.xlsx", b, ds, Options{Place: plan.Place{City: "Norwalk", State: "CA"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.HeaderRow != 3 || res.ErrorCount != 0 {
		t.Fatalf("header row %d, errors %v", res.HeaderRow, errorStrings(res))
	}
	want := []map[string]any{
		{"date": day(2025, 1, 29), "geography": "Norwalk", "bed_type": "ES", "beds": int64(40), "occupied": int64(36)},
		{"date": day(2025, 1, 29), "geography": "Norwalk", "bed_type": "TH", "beds": int64(12)},
	}
	if got := rowValues(res.Batch); !reflect.DeepEqual(got, want) {
		t.Errorf("rows\n%v\nwant\n%v", got, want)
	}

	// Without a place the default is missing, not "{place.city}".
	res, err = read("hic.xlsx", b, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Batch.Rows[0].Values[1]; v != nil {
		t.Errorf("geography without a place = %#v; want nil", v)
	}
}

func TestMatcher(t *testing.T) {
	m := NewMatcher(builtin(t, "transit_ridership"))
	for _, h := range []string{"Unlinked Passenger Trips", "unlinked_trips", " UPT ", "UNLINKED-PASSENGER-TRIPS", "Ridership", "unlinked\npassenger trips"} {
		i, ok := m.Match(h)
		if !ok || m.ds.Columns[i].Name != "unlinked_trips" {
			t.Errorf("Match(%q) = %d, %v; want unlinked_trips", h, i, ok)
		}
	}
	for _, h := range []string{"", "trips", "Unlinked Passenger Trips 2024", strings.Repeat("a", 5000)} {
		if i, ok := m.Match(h); ok {
			t.Errorf("Match(%q) = %s; want none", h, m.ds.Columns[i].Name)
		}
	}
}

func TestFindHeaderBelowTitles(t *testing.T) {
	m := NewMatcher(builtin(t, "transit_ridership"))
	rows := []RawRow{
		{Line: 1, Cells: []string{"Norwalk Transit System ridership"}},
		{Line: 2, Cells: []string{"Mode: MB is bus"}},
		{Line: 4, Cells: []string{"Month", "Mode", "TOS", "UPT"}},
		{Line: 5, Cells: []string{"2024-07", "MB", "DO", "81240"}},
	}
	if idx, score := FindHeader(rows, m); idx != 2 || score != 4 {
		t.Errorf("FindHeader = %d, %d; want 2, 4", idx, score)
	}
}

func TestMissingRequiredColumn(t *testing.T) {
	ds := builtin(t, "revenue")
	b := makeXLSX(t, sheetSpec{name: "Revenue", rows: [][]any{
		{"FY", "Source", "Actual", "Notes"},
		{"FY24", "Sales Tax", 100, ""},
	}})
	_, err := read("revenue.xlsx", b, ds, Options{})
	want := `sheet "Revenue", header row 1: required columns missing: Fund, Category; the header row has: FY, Source, Actual, Notes. Add the missing columns to the header row (a column's name, title or alias)`
	if got := fileError(t, err); got != want {
		t.Errorf("message\n%s\nwant\n%s", got, want)
	}
	if !strings.HasPrefix(err.Error(), "revenue.xlsx: ") {
		t.Errorf("Error() = %q; want it to start with the file name", err)
	}
}

func TestDuplicateHeader(t *testing.T) {
	ds := builtin(t, "revenue")
	b := makeXLSX(t, sheetSpec{name: "Revenue", rows: [][]any{
		{"FY", "Fund", "Category", "Source", "Actual", "Collected"},
	}})
	_, err := read("revenue.xlsx", b, ds, Options{})
	want := `sheet "Revenue", header row 1: cells E1 ("Actual") and F1 ("Collected") both mean the column actual (Actual); delete or rename one of them`
	if got := fileError(t, err); got != want {
		t.Errorf("message\n%s\nwant\n%s", got, want)
	}
}

func TestNoHeader(t *testing.T) {
	ds := builtin(t, "ev_chargers")
	b := makeXLSX(t, sheetSpec{name: "Stations", rows: [][]any{{"a", "b"}, {1, 2}}})
	_, err := read("ev.xlsx", b, ds, Options{})
	want := `found no header row in the first 20 non-blank rows of sheet "Stations"; put one row of column names above the data, such as: Station ID, Open date`
	if got := fileError(t, err); got != want {
		t.Errorf("message\n%s\nwant\n%s", got, want)
	}
}

func TestPicksBestVisibleSheet(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	header := []any{"Month", "Mode", "TOS", "Route", "UPT"}
	b := makeXLSX(t,
		sheetSpec{name: "Read me", rows: [][]any{{"This workbook has the monthly ridership."}, {"Month", "is the service month"}}},
		sheetSpec{name: "Old", hidden: true, rows: [][]any{header, {"2019-07", "MB", "DO", "", 1}}},
		sheetSpec{name: "Monthly", rows: [][]any{header, {"2024-07", "MB", "DO", "", 81240}}},
		sheetSpec{name: "Also", rows: [][]any{header, {"2024-08", "MB", "DO", "", 2}}},
	)
	res, err := read("ntd.xlsx", b, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sheet != "Monthly" || len(res.Batch.Rows) != 1 || res.Batch.Rows[0].Values[4] != int64(81240) {
		t.Errorf("sheet %q rows %v; want the Monthly sheet", res.Sheet, rowValues(res.Batch))
	}

	// The only sheet is read even when hidden.
	b = makeXLSX(t, sheetSpec{name: "Only", hidden: true, rows: [][]any{header, {"2024-07", "MB", "DO", "", 5}}})
	if res, err = read("ntd.xlsx", b, ds, Options{}); err != nil || res.Sheet != "Only" {
		t.Errorf("hidden only sheet: %v, %v", res, err)
	}
}

func TestDateSerials(t *testing.T) {
	ds := builtin(t, "ev_chargers")
	rows := [][]any{
		{"ID", "Open Date"},
		{"152031", time.Date(2021, 6, 15, 0, 0, 0, 0, time.UTC)},
		{"152032", 45747},
		{"152033", "2021-06-15"},
		{"152034", 0},
	}
	res, err := read("ev.xlsx", makeXLSX(t, sheetSpec{name: "Stations", rows: rows}), ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	for _, r := range res.Batch.Rows {
		got = append(got, r.Values[11].(time.Time))
	}
	if want := []time.Time{day(2021, 6, 15), day(2025, 3, 31), day(2021, 6, 15)}; !reflect.DeepEqual(got, want) {
		t.Errorf("dates %v; want %v", got, want)
	}
	if want := []string{`Stations!B5: "0" is not a sane date (column open_date)`}; !reflect.DeepEqual(errorStrings(res), want) {
		t.Errorf("errors %q; want %q", errorStrings(res), want)
	}

	// A workbook counting from 1904 (old Mac Excel): the same serial is four
	// years and a day later.
	b := makeXLSX(t, sheetSpec{name: "Stations", rows: [][]any{{"ID", "Open Date"}, {"1", 44285}}})
	b = rewriteZip(t, b, "xl/workbook.xml", func(s string) string {
		return strings.Replace(s, "<workbookPr", `<workbookPr date1904="1"`, 1)
	})
	res, err = read("ev.xlsx", b, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Batch.Rows) != 1 || !res.Batch.Rows[0].Values[11].(time.Time).Equal(day(2025, 3, 31)) {
		t.Errorf("1904 workbook: rows %v errors %v", rowValues(res.Batch), errorStrings(res))
	}
}

func TestFormulaCachedValue(t *testing.T) {
	ds := builtin(t, "ev_chargers")
	b := makeXLSX(t, sheetSpec{name: "Stations", rows: [][]any{
		{"ID", "Open Date", "Level 2 ports", "DC fast ports"},
		{"1", "2021-06-15", 2, 4},
	}})
	b = rewriteZip(t, b, "xl/worksheets/sheet1.xml", func(s string) string {
		s = strings.Replace(s, `<c r="C2"><v>2</v></c>`, `<c r="C2"><f>1+1</f><v>2</v></c>`, 1)
		return strings.Replace(s, `<c r="D2"><v>4</v></c>`, `<c r="D2"><f>2+2</f></c>`, 1)
	})
	res, err := read("ev.xlsx", b, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := rowValues(res.Batch)
	if len(got) != 1 || got[0]["level2_ports"] != int64(2) || got[0]["dc_fast_ports"] != nil {
		t.Errorf("rows %v; want the cached 2 and no value where none is cached", got)
	}
}

func TestSparseRowNumbers(t *testing.T) {
	ds := builtin(t, "ev_chargers")
	rows := make([][]any, 40)
	rows[4] = []any{"Station ID", "Open Date"}
	rows[9] = []any{"1", "2021-06-15"}
	rows[39] = []any{"2", "June"}
	res, err := read("ev.xlsx", makeXLSX(t, sheetSpec{name: "S", rows: rows}), ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.HeaderRow != 5 || res.RowsRead != 2 || len(res.Batch.Rows) != 1 || res.Batch.Rows[0].Line != 10 {
		t.Errorf("header %d read %d rows %v", res.HeaderRow, res.RowsRead, res.Batch.Rows)
	}
	if want := []string{`S!B40: "June" is not a date (column open_date)`}; !reflect.DeepEqual(errorStrings(res), want) {
		t.Errorf("errors %q; want %q", errorStrings(res), want)
	}
}

func TestRequiredAndLongCells(t *testing.T) {
	ds := builtin(t, "ev_chargers")
	long := strings.Repeat("x", 100)
	b := makeXLSX(t, sheetSpec{name: "S", rows: [][]any{
		{"Station ID", "Open Date", "Station Name"},
		{"", "2021-06-15", "a"},
		{"N/A", "2021-06-15", "b"},
		{"3", "2021-06-15", long},
	}})
	res, err := read("ev.xlsx", b, ds, Options{MaxCellBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`S!A2: a value is required (column station_id)`,
		`S!A3: "N/A" means no value, but the column is required (column station_id)`,
		`S!C4: "` + strings.Repeat("x", 40) + `…" is too long (100 bytes; the most a cell may hold is 64) (column name)`,
	}
	if got := errorStrings(res); !reflect.DeepEqual(got, want) {
		t.Errorf("errors\n%q\nwant\n%q", got, want)
	}
}

func TestErrorCap(t *testing.T) {
	ds := builtin(t, "ev_chargers")
	var csv strings.Builder
	csv.WriteString("station_id,open_date,level2_ports\n")
	for i := range 250 {
		fmt.Fprintf(&csv, "%d,2021-06-15,lots\n", i)
	}
	csv.WriteString("999,2021-06-15,3\n")
	for _, tt := range []struct{ max, listed int }{{0, 100}, {5, 5}, {1000, 250}} {
		res, err := read("ev.csv", []byte(csv.String()), ds, Options{MaxErrors: tt.max})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) != tt.listed || res.ErrorCount != 250 || len(res.Rejected) != 250 || res.RowsRead != 251 || len(res.Batch.Rows) != 1 {
			t.Errorf("MaxErrors %d: listed %d, count %d, rejected %d, read %d, rows %d", tt.max, len(res.Errors), res.ErrorCount, len(res.Rejected), res.RowsRead, len(res.Batch.Rows))
		}
		if got := res.Errors[0].String(); got != `ev.csv!C2: "lots" is not a number (column level2_ports)` {
			t.Errorf("first error %s", got)
		}
	}
}

func TestCSVFiles(t *testing.T) {
	t.Run("BOM", func(t *testing.T) {
		res, err := readFile(t, "testdata/ridership_bom.csv", builtin(t, "transit_ridership"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Mapping[0].Column != "month" || res.Mapping[0].Header != "Service Month" || res.Sheet != "ridership_bom.csv" || res.Delimiter != ',' {
			t.Errorf("mapping %v sheet %q", res.Mapping, res.Sheet)
		}
		want := []map[string]any{
			{"month": day(2024, 7, 1), "mode": "MB", "type_of_service": "DO", "unlinked_trips": int64(81240), "vehicle_revenue_miles": 152000.0, "vehicles_operated": int64(27)},
			{"month": day(2024, 8, 1), "mode": "MB", "type_of_service": "DO", "unlinked_trips": int64(79980), "vehicle_revenue_miles": 151200.5, "vehicles_operated": int64(27)},
			{"month": day(2024, 9, 1), "mode": "DR", "type_of_service": "PT", "unlinked_trips": int64(1204), "vehicles_operated": int64(6)},
		}
		if got := rowValues(res.Batch); !reflect.DeepEqual(got, want) || res.ErrorCount != 0 {
			t.Errorf("rows\n%v\nwant\n%v\nerrors %v", got, want, errorStrings(res))
		}
	})
	t.Run("semicolon", func(t *testing.T) {
		res, err := readFile(t, "testdata/revenue_semicolon.csv", builtin(t, "revenue"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Delimiter != ';' || res.ErrorCount != 0 || len(res.Batch.Rows) != 2 {
			t.Fatalf("delimiter %q errors %v rows %v", res.Delimiter, errorStrings(res), rowValues(res.Batch))
		}
		if got := res.Batch.Rows[1].Values[7]; got != Money(-1200) {
			t.Errorf("actual = %#v; want -12.00", got)
		}
	})
	t.Run("windows-1252", func(t *testing.T) {
		res, err := readFile(t, "testdata/revenue_cp1252.csv", builtin(t, "revenue"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Batch.Rows) != 1 || res.Batch.Rows[0].Values[5] != "Café permits – annual" {
			t.Errorf("rows %v errors %v", rowValues(res.Batch), errorStrings(res))
		}
	})
	t.Run("UTF-16 tab-separated", func(t *testing.T) {
		// Excel's "Unicode Text" format.
		text := "Station ID\tOpen Date\tCity\r\n152031\t6/15/2021\tSão Paulo\r\n"
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(text)) {
			b = append(b, byte(u), byte(u>>8))
		}
		res, err := read("ev.txt", b, builtin(t, "ev_chargers"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Delimiter != '\t' || len(res.Batch.Rows) != 1 || res.Batch.Rows[0].Values[3] != "São Paulo" {
			t.Errorf("delimiter %q rows %v errors %v", res.Delimiter, rowValues(res.Batch), errorStrings(res))
		}
	})
	t.Run("row numbers", func(t *testing.T) {
		res, err := readFile(t, "testdata/ev_rows.csv", builtin(t, "ev_chargers"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			`ev_rows.csv!D4: "two" is not a number (column level2_ports)`,
			`ev_rows.csv!C7: "not a date" is not a date (column open_date)`,
		}
		if got := errorStrings(res); !reflect.DeepEqual(got, want) {
			t.Errorf("errors\n%q\nwant\n%q", got, want)
		}
		if len(res.Batch.Rows) != 1 || res.Batch.Rows[0].Line != 3 || res.Batch.Rows[0].Values[1] != "Norwalk City Hall\nLot B" {
			t.Errorf("rows %+v", res.Batch.Rows)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := readFile(t, "testdata/malformed.csv", builtin(t, "ev_chargers"), Options{})
		want := `the CSV is malformed at line 2 (a " inside a field that is not in quotes); save it again as CSV from Excel, or put quotes around fields that contain quotes`
		if got := fileError(t, err); got != want {
			t.Errorf("message\n%s\nwant\n%s", got, want)
		}
	})
}

// zipOf builds a zip archive of the named files.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFileKinds(t *testing.T) {
	ds := builtin(t, "revenue")
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	encrypted := append(append([]byte{}, ole...), []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")...)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"revenue.xlsx", []byte("fiscal_year,fund\nFY24,General\n"), "this file is named .xlsx but holds text, not a workbook; if it is CSV, rename it to .csv, otherwise open it in Excel and save it as .xlsx"},
		{"revenue.xls", ole, "this is an Excel 97-2003 .xls file; open it in Excel and save it as .xlsx (Excel Workbook)"},
		{"revenue.xlsx", encrypted, "this workbook is protected with a password; open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password) and upload it again"},
		{"revenue.csv", nil, "the file is empty (0 bytes); export it again and upload the new file"},
		{"revenue.zip", zipOf(t, map[string]string{"revenue.csv": "a,b"}), "this is a zip archive, not an Excel workbook; unzip it and upload the .xlsx or .csv file inside"},
		{"revenue.ods", zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}), "this is an OpenDocument spreadsheet (.ods); open it in LibreOffice Calc or Excel and save it as .xlsx"},
		{"report.xlsx", zipOf(t, map[string]string{"word/document.xml": "<x/>"}), "this is a Word document, not a spreadsheet; upload an .xlsx or .csv file"},
		{"revenue.pdf", []byte("%PDF-1.7\n"), "this is a PDF, not a spreadsheet; export the data as .xlsx or .csv from the system that made it"},
		{"revenue.xls", []byte("<html><table><tr><td>FY</td></tr></table></html>"), "this is a web page (HTML), not a spreadsheet, though some systems export it under a spreadsheet name; open it in Excel and save it as .xlsx"},
		{"revenue.csv", []byte{0x89, 'P', 'N', 'G', 0, 0, 0, 0}, "this is not a spreadsheet or a CSV file (it holds binary data); upload an .xlsx or .csv file"},
		{"revenue.xlsx", []byte("PK\x03\x04 cut short"), "this looks like a workbook or zip archive but it is damaged (it is not a complete zip archive: it may have been cut short while downloading or copying); download or export it again and upload the new file"},
	}
	for _, tt := range tests {
		_, err := read(tt.name, tt.data, ds, Options{})
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: error %v; want a *FileError", tt.name, err)
			continue
		}
		if fe.Message != tt.want || fe.File != tt.name {
			t.Errorf("%s: %q\nwant %q", tt.name, fe.Message, tt.want)
		}
	}
}

func TestContentWinsOverName(t *testing.T) {
	// An xlsx saved under .csv, and a CSV with no extension, are read.
	ds := builtin(t, "ev_chargers")
	b := makeXLSX(t, sheetSpec{name: "S", rows: [][]any{{"Station ID", "Open Date"}, {"1", "2021-06-15"}}})
	for name, data := range map[string][]byte{"ev.csv": b, "download": []byte("station_id,open_date\n1,2021-06-15\n")} {
		res, err := read(name, data, ds, Options{})
		if err != nil || len(res.Batch.Rows) != 1 {
			t.Errorf("%s: %v, %v", name, res, err)
		}
	}
}

func TestZipBombRefused(t *testing.T) {
	ds := builtin(t, "ev_chargers")
	b := zipOf(t, map[string]string{
		"xl/workbook.xml":          "<workbook/>",
		"xl/worksheets/sheet1.xml": strings.Repeat(" ", 2<<20),
	})
	_, err := read("bomb.xlsx", b, ds, Options{UnzipSizeLimit: 1 << 20})
	want := "the workbook unpacks to more than 1 MiB, which is more than a data file needs; remove pictures and unused sheets, or save the data as .csv"
	if got := fileError(t, err); got != want {
		t.Errorf("message %q\nwant %q", got, want)
	}
}

func TestColumnLetters(t *testing.T) {
	for col, want := range map[int]string{0: "A", 5: "F", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA", 16383: "XFD", -1: "?"} {
		if got := ColumnLetters(col); got != want {
			t.Errorf("ColumnLetters(%d) = %q; want %q", col, got, want)
		}
	}
}
