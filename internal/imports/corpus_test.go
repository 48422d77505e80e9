package imports

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/store"
)

// The bad and odd files people upload, taken through the importer: each
// refused file must say in one plain line what it is and what to do, and
// leave every dataset as it was; each odd but good file must load exactly
// its values. The small files are committed in ingest's corpus
// (ingest/testdata/corpus, made by ingest/corpus_test.go); large ones are
// made here.

// corpusFile reads a committed file of ingest's corpus.
func corpusFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "ingest", "testdata", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpusEnv is a store holding earlier data in every dataset, so that "no
// dataset changed" compares something.
func corpusEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	for _, f := range []struct{ name, dataset, data string }{
		{"rides.csv", ridership, string(rideCSV(rides(12, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)))},
		{"revenue.csv", "revenue", "fiscal_year,month,fund,category,source,budget,actual\nFY 2024-25,2024-07,General Fund,Taxes,Sales Tax,\"$1,250,000.00\",104211.37\nFY 2024-25,,General Fund,Taxes,Property Tax,9000000,\n"},
		{"ev.csv", "ev_chargers", "station_id,name,open_date,level2_ports\n152031,City Hall,2021-06-15,4\n152032,Library,2022-01-10,2\n"},
		{"hic.csv", "shelter_beds", "date,geography,bed_type,beds,occupied\n2025-01-29,Norwalk,ES,40,36\n"},
	} {
		rep := e.run(t, Request{Name: f.name, Data: []byte(f.data), Dataset: f.dataset})
		if rep.Status != store.StatusLoaded {
			t.Fatalf("earlier data %s: %s", f.name, rep.Text())
		}
	}
	return e
}

// corpusSnapshot is every row of every dataset's table, superseded rows and
// system columns included, as text in a fixed order.
func corpusSnapshot(t *testing.T, e *env) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, ds := range e.plan.Datasets {
		rows, err := e.st.DB().Query("SELECT * FROM " + store.Table(ds) + " ORDER BY ALL")
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[name] = append(out[name], fmt.Sprintf("%v", vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// goErrorText are signs of Go's or a library's own error text, which mean
// nothing to the person who uploaded the file.
var goErrorText = []string{
	"goroutine", ".go:", "panic", "runtime error", "%!", "<nil>", "zip: ", "flate: ", "xml: ", "XML syntax",
	"EOF", "ingest:", "store:", "imports:", "excelize", "strconv.", "invalid argument", "unexpected", "0x",
}

// checkPlain fails unless msg is one plain line holding every part of want.
func checkPlain(t *testing.T, what, msg string, want ...string) {
	t.Helper()
	if msg == "" || strings.ContainsAny(msg, "\r\n") || len(msg) > 600 {
		t.Errorf("%s: %q is not one line of a sensible length", what, msg)
	}
	for _, bad := range goErrorText {
		if strings.Contains(msg, bad) {
			t.Errorf("%s: %q holds program text (%q)", what, msg, bad)
		}
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: %q does not say %q", what, msg, w)
		}
	}
}

// refused runs a file that must be refused, and checks that no dataset
// changed. A file refused as a whole leaves no trace in the ledger; a file
// refused for its cells is recorded as rejected, with no rows loaded.
func refused(t *testing.T, e *env, req Request, cells bool) *Report {
	t.Helper()
	before := corpusSnapshot(t, e)
	ledger := e.ledger(t)
	rep := e.run(t, req)
	if rep.Status != store.StatusRejected || rep.OK() {
		t.Fatalf("status %q; want rejected\n%s", rep.Status, rep.Text())
	}
	if rep.RowsLoaded != 0 || rep.RowsSuperseded != 0 {
		t.Errorf("loaded %d, superseded %d; want none", rep.RowsLoaded, rep.RowsSuperseded)
	}
	if after := corpusSnapshot(t, e); !reflect.DeepEqual(before, after) {
		t.Errorf("the datasets changed:\nbefore %v\nafter  %v", before, after)
	}
	after := e.ledger(t)
	switch {
	case !cells && len(after) != len(ledger):
		t.Errorf("ledger grew from %d to %d rows for a file refused as a whole", len(ledger), len(after))
	case cells && len(after) != len(ledger)+1:
		t.Errorf("ledger grew from %d to %d rows; want the rejected import recorded", len(ledger), len(after))
	case cells:
		rec, err := e.st.GetImport(context.Background(), rep.ID)
		if err != nil || rec == nil || rec.Status != store.StatusRejected || rec.RowsLoaded != 0 || rec.ErrorCount != int64(rep.ErrorCount) {
			t.Errorf("ledger row %+v (%v); want rejected with nothing loaded", rec, err)
		}
	}
	if !strings.Contains(rep.Text(), rep.Message) {
		t.Errorf("the report's text does not give its message")
	}
	return rep
}

func TestCorpusRefusedFiles(t *testing.T) {
	e := corpusEnv(t)
	wb := rideXLSX(t, rides(300, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), 80000))
	middle := append([]byte(nil), wb...)
	for i := len(middle)/2 - 8; i < len(middle)/2+8; i++ {
		middle[i] ^= 0xFF
	}
	damaged := "the workbook is damaged"
	again := "download it again and upload the new file"
	for _, tc := range []struct {
		name, file string
		data       []byte
		want       []string
	}{
		{"zero bytes", "rides.csv", corpusFile(t, "empty.csv"), []string{"the file is empty (0 bytes)", "export it again and upload the new file"}},
		{"zero bytes xlsx", "rides.xlsx", nil, []string{"the file is empty (0 bytes)"}},
		{"text renamed .xlsx", "rides.xlsx", corpusFile(t, "text-renamed.xlsx"), []string{"named .xlsx but holds text", "rename it to .csv"}},
		{"truncated zip", "rides.xlsx", corpusFile(t, "truncated.xlsx"), []string{"damaged", "cut short", "download or export it again"}},
		{"truncated zip, end cut", "rides.xlsx", wb[:len(wb)-30], []string{"damaged", "download or export it again"}},
		{"corrupted sheet data", "rides.xlsx", corpusFile(t, "corrupted.xlsx"), []string{damaged, "corrupt", "export or " + again}},
		{"bytes flipped mid-file", "rides.xlsx", middle, []string{damaged, "export or " + again}},
		{"encrypted", "rides.xlsx", corpusFile(t, "encrypted.xlsx"), []string{"protected with a password", "remove the password", "upload it again"}},
		{"xls", "rides.xls", corpusFile(t, "legacy.xls"), []string{"Excel 97-2003 .xls file", "save it as .xlsx"}},
		{"xls named xlsx", "rides.xlsx", corpusFile(t, "legacy.xls"), []string{"Excel 97-2003 .xls file", "save it as .xlsx"}},
		{"xlsb", "rides.xlsb", corpusFile(t, "binary.xlsb"), []string{"Excel binary workbook (.xlsb)", "save it as .xlsx"}},
		{"ods", "rides.ods", corpusFile(t, "calc.ods"), []string{"OpenDocument spreadsheet (.ods)", "save it as .xlsx"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, ds := range []string{ridership, ""} { // named, and found from the file
				rep := refused(t, e, Request{Name: tc.file, Data: tc.data, Dataset: ds}, false)
				checkPlain(t, tc.name, rep.Message, tc.want...)
				if rep.ID != 0 || rep.Dataset != "" {
					t.Errorf("import id %d dataset %q for a file refused as a whole", rep.ID, rep.Dataset)
				}
			}
		})
	}
	if files := e.archived(t); len(files) != 4 {
		t.Errorf("archive holds %d files; want only the 4 earlier ones", len(files))
	}
}

func TestCorpusZipBomb(t *testing.T) {
	e := corpusEnv(t)
	bomb := zipBomb(t, rideXLSX(t, rides(3, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)), 2<<30)
	if len(bomb) > 4<<20 {
		t.Fatalf("the bomb is %d bytes; want a small file", len(bomb))
	}
	start := time.Now()
	rep := refused(t, e, Request{Name: "bomb.xlsx", Data: bomb, Dataset: ridership}, false)
	// Refused from the zip's directory before anything inflates: a
	// millisecond. Inflating would take minutes, so the bound is loose.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusing the bomb took %v", d)
	}
	checkPlain(t, "bomb", rep.Message, "the workbook unpacks to more than 1 GiB", "remove pictures and unused sheets, or save the data as .csv")
}

// zipBomb replaces the first sheet of the workbook wb by one that inflates
// to more than size bytes of XML (spaces between its elements), at the best
// ratio deflate has (about 1,000 to 1).
func zipBomb(t *testing.T, wb []byte, size int64) []byte {
	t.Helper()
	deflate := func(b []byte) []byte {
		var buf bytes.Buffer
		fw, err := flate.NewWriter(&buf, flate.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(b)
		fw.Flush() // ends on a byte boundary without a final block, so pieces join
		return buf.Bytes()
	}
	head := []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>month</t></is></c></row>`)
	foot := []byte(`</sheetData></worksheet>`)
	spaces := bytes.Repeat([]byte{' '}, 1<<20)
	piece := deflate(spaces)
	raw := deflate(head)
	crc := crc32.Update(0, crc32.IEEETable, head)
	n := size/int64(len(spaces)) + 1
	for range n {
		raw = append(raw, piece...)
		crc = crc32.Update(crc, crc32.IEEETable, spaces)
	}
	raw = append(raw, deflate(foot)...)
	raw = append(raw, 1, 0, 0, 0xFF, 0xFF) // the final block, empty
	crc = crc32.Update(crc, crc32.IEEETable, foot)
	total := uint64(len(head)) + uint64(n)*uint64(len(spaces)) + uint64(len(foot))

	zr, err := zip.NewReader(bytes.NewReader(wb), int64(len(wb)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc,
				CompressedSize64: uint64(len(raw)), UncompressedSize64: total})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(raw)
			continue
		}
		w, err := zw.CreateRaw(&f.FileHeader)
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, r)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// corpusRewrite returns the zip b with the part name changed by edit.
func corpusRewrite(t *testing.T, b []byte, name string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
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
			data, found = edit(data), true
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
	if !found {
		t.Fatalf("no part %s", name)
	}
	return out.Bytes()
}

// manyRides is n valid ridership rows, each its own key: months 2000-2099
// over routes 1, 2, ...
func manyRides(n int) []rideRow {
	out := make([]rideRow, n)
	for i := range out {
		out[i] = rideRow{
			month: time.Date(2000, time.Month(1+i%1200), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"),
			mode:  "MB", tos: "DO", route: fmt.Sprint(1 + i/1200), trips: fmt.Sprint(1000 + i),
		}
	}
	return out
}

func TestCorpusRefusedCells(t *testing.T) {
	e := corpusEnv(t)
	nothing := "nothing was loaded"

	t.Run("missing required column", func(t *testing.T) {
		data := []byte("month,mode,type_of_service,route,notes\n2024-07,MB,DO,,\n")
		rep := refused(t, e, Request{Name: "rides.csv", Data: data, Dataset: ridership}, false)
		checkPlain(t, "missing column", rep.Message,
			"header row 1: required columns missing: Unlinked passenger trips (unlinked_trips)",
			"the header row has: month, mode, type_of_service, route, notes", "Add the missing columns to the header row")
	})
	t.Run("wrong dataset", func(t *testing.T) {
		rep := refused(t, e, Request{Name: "ridership.csv", Data: corpusFile(t, "ridership.csv"), Dataset: "revenue"}, false)
		checkPlain(t, "wrong dataset", rep.Message,
			"required columns missing: Fiscal year, Fund, Category, Source",
			"the header row has: month, mode, type_of_service, route, unlinked_trips", "Add the missing columns")
	})
	t.Run("wrong dataset, no column in common", func(t *testing.T) {
		rep := refused(t, e, Request{Name: "ridership.csv", Data: corpusFile(t, "ridership.csv"), Dataset: "ev_chargers"}, false)
		checkPlain(t, "wrong dataset", rep.Message, "found no header row in the first 20 non-blank rows of the file",
			"put one row of column names above the data, such as: Station ID, Open date")
	})
	t.Run("every row invalid", func(t *testing.T) {
		rep := refused(t, e, Request{Name: "all-invalid.csv", Data: corpusFile(t, "all-invalid.csv"), Dataset: ridership}, true)
		checkPlain(t, "every row invalid", rep.Message, "5 problem(s) in the file", nothing, "Correct the cells listed and import the file again")
		want := []string{
			`all-invalid.csv!A2: "July" is not a month (column month)`,
			`all-invalid.csv!B3: a value is required (column mode)`,
			`all-invalid.csv!E4: "lots" is not a number (column unlinked_trips)`,
			`all-invalid.csv!A5: "13/2024" is not a month (column month)`,
			`all-invalid.csv!E5: "-" means no value, but the column is required (column unlinked_trips)`,
		}
		if !reflect.DeepEqual(rep.Errors, want) || rep.RowsRead != 4 {
			t.Errorf("errors %q (rows read %d)\nwant %q", rep.Errors, rep.RowsRead, want)
		}
	})
	t.Run("one bad row among 10,000", func(t *testing.T) {
		rows := manyRides(10000)
		rows[5000].trips = "8124O" // a letter O: row 5002, the header being row 1
		for _, f := range []struct {
			name string
			data []byte
			cell string
		}{
			{"rides.csv", rideCSV(rows), "rides.csv!E5002"},
			{"rides.xlsx", rideXLSX(t, rows), "Ridership!E5004"}, // a title and a blank row above the header
		} {
			rep := refused(t, e, Request{Name: f.name, Data: f.data, Dataset: ridership}, true)
			checkPlain(t, f.name, rep.Message, "1 problem(s) in the file", nothing)
			want := []string{f.cell + `: "8124O" is not a number (column unlinked_trips)`}
			if !reflect.DeepEqual(rep.Errors, want) || rep.RowsRead != 10000 {
				t.Errorf("%s: errors %q, %d rows read; want %q of 10000", f.name, rep.Errors, rep.RowsRead, want)
			}
		}
	})
	t.Run("duplicate keys", func(t *testing.T) {
		rep := refused(t, e, Request{Name: "duplicate-keys.csv", Data: corpusFile(t, "duplicate-keys.csv"), Dataset: ridership}, true)
		checkPlain(t, "duplicates", rep.Message, "1 problem(s) in the file", nothing)
		if len(rep.Errors) != 1 {
			t.Fatalf("errors %q; want one", rep.Errors)
		}
		checkPlain(t, "duplicate", rep.Errors[0], "duplicate-keys.csv row 4: same month, mode, type_of_service, route as row 2")
	})
	t.Run("date outside any sane range", func(t *testing.T) {
		for _, f := range []struct {
			name, dataset string
			data          []byte
			want          string
		}{
			{"date-1800.csv", "ev_chargers", corpusFile(t, "date-1800.csv"), `date-1800.csv!C3: "1/1/1800" is not a sane date (column open_date)`},
			{"date-9999.xlsx", "ev_chargers", corpusFile(t, "date-9999.xlsx"), `Stations!C3: "2958465" is not a sane date (column open_date)`},
			{"month-9999.csv", ridership, []byte("month,mode,type_of_service,route,unlinked_trips\n2024-07,MB,DO,,1\n9999-12,MB,DO,,2\n"), `month-9999.csv!A3: "9999-12" is not a sane date (column month)`},
			{"year-1800.csv", "revenue", []byte("fiscal_year,fund,category,source\nFY 1799-00,General Fund,Taxes,Sales Tax\n"), `year-1800.csv!A2: "FY 1799-00" is not a fiscal year (column fiscal_year)`},
		} {
			rep := refused(t, e, Request{Name: f.name, Data: f.data, Dataset: f.dataset}, true)
			if !reflect.DeepEqual(rep.Errors, []string{f.want}) {
				t.Errorf("%s: errors %q; want %q", f.name, rep.Errors, f.want)
			}
		}
	})
	t.Run("5 MB cell", func(t *testing.T) {
		big := strings.Repeat("x", 5<<20)
		rows := rides(3, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)
		rows[1].route = big
		csvData := rideCSV(rows)
		// excelize cuts what it writes at Excel's 32,767 characters: put the
		// long text into the shared strings afterwards, as other programs may.
		rows[1].route = "@@big@@"
		wb := corpusRewrite(t, rideXLSX(t, rows), "xl/sharedStrings.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte("@@big@@"), []byte(big), 1)
		})
		for _, f := range []struct {
			name string
			data []byte
			cell string
		}{{"big.csv", csvData, "big.csv!D3"}, {"big.xlsx", wb, "Ridership!D5"}} {
			rep := refused(t, e, Request{Name: f.name, Data: f.data, Dataset: ridership}, true)
			want := []string{f.cell + `: "` + strings.Repeat("x", 40) + `…" is too long (5242880 bytes; the most a cell may hold is 32768) (column route)`}
			if !reflect.DeepEqual(rep.Errors, want) {
				t.Errorf("%s: errors %.300q; want %q", f.name, rep.Errors, want)
			}
			if rec, err := e.st.GetImport(context.Background(), rep.ID); err != nil || len(rec.Report) > 64<<10 {
				t.Errorf("%s: the ledger's report is %d bytes (%v); the long cell must not be copied into it", f.name, len(rec.Report), err)
			}
		}
	})
}

// ridesInStore is the current ridership rows as "month mode tos route trips".
func ridesInStore(t *testing.T, e *env) []string {
	t.Helper()
	rows, err := e.st.DB().Query(`SELECT strftime(month, '%Y-%m'), mode, type_of_service, coalesce(route, '<null>'), unlinked_trips FROM ` +
		store.View(e.ds(t, ridership)) + ` ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m, mode, tos, route string
		var trips int64
		if err := rows.Scan(&m, &mode, &tos, &route, &trips); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%d", m, mode, tos, route, trips))
	}
	return out
}

// revenueInStore is the current revenue rows as "fy month fund department
// category source actual".
func revenueInStore(t *testing.T, e *env) []string {
	t.Helper()
	rows, err := e.st.DB().Query(`SELECT fiscal_year, coalesce(strftime(month, '%Y-%m'), '-'), fund, coalesce(department, '<null>'), category, source,
		coalesce(CAST(actual AS VARCHAR), '<null>') FROM ` + store.View(e.ds(t, "revenue")) + ` ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var fy int64
		var m, fund, dept, cat, src, actual string
		if err := rows.Scan(&fy, &m, &fund, &dept, &cat, &src, &actual); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{fmt.Sprint(fy), m, fund, dept, cat, src, actual}, "|"))
	}
	return out
}

// loaded runs a file that must load into an empty dataset.
func loaded(t *testing.T, req Request, rows int64) (*env, *Report) {
	t.Helper()
	e := newEnv(t)
	rep := e.run(t, req)
	if rep.Status != store.StatusLoaded || rep.RowsLoaded != rows || rep.ErrorCount != 0 {
		t.Fatalf("status %q, %d rows loaded; want loaded, %d\n%s", rep.Status, rep.RowsLoaded, rows, rep.Text())
	}
	return e, rep
}

func TestCorpusAcceptedWide(t *testing.T) {
	// HUD's Point-in-Time file has 1,308 columns; a profile wants a few.
	const width = 1308
	at := map[int]string{0: "Month", 617: "Mode", 618: "TOS", 1200: "Route", width - 1: "UPT"}
	header := make([]any, width)
	for i := range header {
		header[i] = fmt.Sprintf("Overall Homeless - Age %d to %d, 2024", i, i+10)
		if h, ok := at[i]; ok {
			header[i] = h
		}
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	var want []string
	for r := range 10 {
		row := make([]any, width)
		for i := range row {
			row[i] = r*width + i // numbers in the ignored columns
		}
		row[0], row[617], row[618], row[1200], row[width-1] = fmt.Sprintf("2024-%02d", r+1), "MB", "DO", "", 80000+r
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", r+2), &row); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("2024-%02d|MB|DO|<null>|%d", r+1, 80000+r))
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	e, rep := loaded(t, Request{Name: "pit.xlsx", Data: buf.Bytes(), Dataset: ridership}, 10)
	if got := ridesInStore(t, e); !reflect.DeepEqual(got, want) {
		t.Errorf("rows %q\nwant %q", got, want)
	}
	if len(rep.Mapping) != 5 || rep.Mapping[4].Cell != "AXH1" || len(rep.Ignored) != width-5 {
		t.Errorf("mapping %v, %d ignored; want 5 columns, the last in AXH1, and %d ignored", rep.Mapping, len(rep.Ignored), width-5)
	}
}

func TestCorpusAcceptedFormattedToLastRow(t *testing.T) {
	// A format on the last row makes the used range A1:XFD1048576; the data
	// is 10 rows under a header.
	small := corpusFile(t, "formatted-to-last-row.xlsx")
	// Formatting whole rows writes every row, down to the last, into the
	// sheet: a million empty rows, 3 MB zipped.
	every := corpusRewrite(t, small, "xl/worksheets/sheet1.xml", func(b []byte) []byte {
		var rows bytes.Buffer
		for r := 12; r <= 1048576; r++ {
			fmt.Fprintf(&rows, `<row r="%d" s="1" customFormat="1"/>`, r)
		}
		i := bytes.Index(b, []byte(`<row r="1048576"`))
		return append(append(append([]byte(nil), b[:i]...), rows.Bytes()...), b[bytes.Index(b, []byte("</sheetData>")):]...)
	})
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprintf("2023-%02d|MB|DO|12|%d", i+1, 70000+i))
	}
	for name, data := range map[string][]byte{"last row": small, "every row": every} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			e, rep := loaded(t, Request{Name: "formatted.xlsx", Data: data, Dataset: ridership}, 10)
			// Seconds: the rows are stepped over, not held. A bound, not a benchmark.
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("the import took %v", d)
			}
			if got := ridesInStore(t, e); !reflect.DeepEqual(got, want) || rep.RowsRead != 10 {
				t.Errorf("rows %q (%d read)\nwant %q", got, rep.RowsRead, want)
			}
		})
	}
}

func TestCorpusAcceptedWorkbooks(t *testing.T) {
	t.Run("merged header cells", func(t *testing.T) {
		e, rep := loaded(t, Request{Name: "merged-header.xlsx", Data: corpusFile(t, "merged-header.xlsx"), Dataset: ridership}, 2)
		if rep.HeaderRow != 2 {
			t.Errorf("header row %d; want 2", rep.HeaderRow)
		}
		want := []string{"2024-07|MB|DO|<null>|81240", "2024-08|MB|DO|<null>|79980"}
		if got := ridesInStore(t, e); !reflect.DeepEqual(got, want) {
			t.Errorf("rows %q\nwant %q", got, want)
		}
	})
	t.Run("hidden sheets", func(t *testing.T) {
		for _, ds := range []string{ridership, ""} {
			e, rep := loaded(t, Request{Name: "hidden-sheets.xlsx", Data: corpusFile(t, "hidden-sheets.xlsx"), Dataset: ds}, 2)
			if rep.Sheet != "Data" {
				t.Errorf("sheet %q; want the visible Data sheet", rep.Sheet)
			}
			want := []string{"2024-07|MB|DO|<null>|81240", "2024-08|MB|DO|<null>|79980"}
			if got := ridesInStore(t, e); !reflect.DeepEqual(got, want) {
				t.Errorf("rows %q\nwant %q", got, want)
			}
		}
	})
	t.Run("markup and formulas as text", func(t *testing.T) {
		e, _ := loaded(t, Request{Name: "script-formula.xlsx", Data: corpusFile(t, "script-formula.xlsx"), Dataset: ridership}, 2)
		want := []string{"2024-07|MB|DO|</script><script>alert(1)</script>|81240", "2024-07|MB|DO|=cmd|' /C calc'!A0|79980"}
		if got := ridesInStore(t, e); !reflect.DeepEqual(got, want) {
			t.Errorf("rows %q\nwant %q", got, want)
		}
		e, _ = loaded(t, Request{Name: "script-formula.csv", Data: corpusFile(t, "script-formula.csv"), Dataset: ridership}, 4)
		want = []string{
			"2024-07|MB|DO|</script><script>alert(1)</script>|81240",
			`2024-07|MB|DO|=HYPERLINK("http://x.invalid","click")|1`,
			"2024-07|MB|DO|=cmd|' /C calc'!A0|79980",
			"2024-07|MB|DO|@SUM(1+1)|2",
		}
		if got := ridesInStore(t, e); !reflect.DeepEqual(got, want) {
			t.Errorf("rows %q\nwant %q", got, want)
		}
	})
}

func TestCorpusAcceptedCSV(t *testing.T) {
	three := []string{
		"2025|-|General Fund|Finance|Fees|Café permits – annual|100.00",
		"2025|-|General Fund|Finance|Fees|“Quoted” € fees|-12.50",
		"2025|-|General Fund|Parks|Fees|Peñalosa Park rentals|1234.56",
	}
	two := []string{
		"2025|-|General Fund|Finance|Fees|Café permits|100.00",
		"2025|-|General Fund|Parks, Recreation|Fees|Peñalosa Park rentals|1234.56",
	}
	for _, tc := range []struct {
		file  string
		delim rune
		want  []string
	}{
		{"revenue-bom.csv", ',', three},
		{"revenue-cp1252.csv", ',', three},
		{"revenue-semicolon.csv", ';', two},
		{"revenue-tab.txt", '\t', two},
		{"revenue-quoted.csv", ',', []string{
			"2025|-|General Fund|Finance|Fees|Permits\nline two, with a comma|-1000.00", // encoding/csv drops the \r
			"2025|-|General Fund|Parks, Recreation and Culture|Fees|The \"Hub\" rentals|1234.56",
			"2025|-|General Fund|Public Works|Fees|Fines|<null>",
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			for _, ds := range []string{"revenue", ""} {
				e, rep := loaded(t, Request{Name: tc.file, Data: corpusFile(t, tc.file), Dataset: ds}, int64(len(tc.want)))
				if rep.Dataset != "revenue" || rep.HeaderRow != 1 {
					t.Errorf("dataset %q header row %d", rep.Dataset, rep.HeaderRow)
				}
				if got := revenueInStore(t, e); !reflect.DeepEqual(got, tc.want) {
					t.Errorf("rows\n%q\nwant\n%q", got, tc.want)
				}
			}
		})
	}
}

// A sheet large enough to be checked as it is read (not before) and
// damaged near its end: the rows before the damage stream into the load,
// and still nothing is kept.
func TestLargeDamagedSheetLoadsNothing(t *testing.T) {
	e := corpusEnv(t)
	var rows []rideRow
	start := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 64000 {
		rows = append(rows, rideRow{month: start.AddDate(0, i%360, 0).Format("2006-01"), mode: "MB", tos: "PT",
			route: fmt.Sprintf("Route %d", i/360), trips: fmt.Sprint(1000 + i)})
	}
	wb := rideXLSX(t, rows)
	zr, err := zip.NewReader(bytes.NewReader(wb), int64(len(wb)))
	if err != nil {
		t.Fatal(err)
	}
	var sheet *zip.File
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			sheet = f
		}
	}
	if sheet == nil || sheet.UncompressedSize64 < 9<<20 {
		t.Fatalf("the sheet is too small to be checked as it is read: %+v", sheet)
	}
	off, err := sheet.DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), wb...)
	at := off + int64(sheet.CompressedSize64)*9/10
	for i := at; i < at+16; i++ {
		bad[i] ^= 0xFF
	}
	rep := refused(t, e, Request{Name: "big.xlsx", Data: bad, Dataset: ridership}, true)
	checkPlain(t, "big", rep.Message, "the workbook is damaged", "corrupt", "export or download it again and upload the new file")
	// The same file intact loads every row.
	if rep := e.run(t, Request{Name: "big.xlsx", Data: wb, Dataset: ridership}); rep.Status != store.StatusLoaded || rep.RowsLoaded != int64(len(rows)) {
		t.Fatalf("the intact file: %s", rep.Text())
	}
}
