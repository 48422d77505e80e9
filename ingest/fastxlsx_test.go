package ingest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
)

// seenWorkbooks records every workbook that Open reads during the tests of
// this package (the generated fixtures of every test: corpus, profiles,
// templates, fuzz seeds), through the observeXLSX seam, so that TestMain
// can compare the fast reader with excelize on each of them after the
// tests have run.
var seenWorkbooks struct {
	sync.Mutex
	byHash   map[[32]byte][]byte
	compared map[[32]byte]bool // by diffReaders already
}

func TestMain(m *testing.M) {
	seenWorkbooks.byHash = map[[32]byte][]byte{}
	seenWorkbooks.compared = map[[32]byte]bool{}
	observeXLSX = func(data io.ReaderAt, size int64) {
		b := make([]byte, size)
		if _, err := data.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
			return
		}
		seenWorkbooks.Lock()
		seenWorkbooks.byHash[sha256.Sum256(b)] = b
		seenWorkbooks.Unlock()
	}
	code := m.Run()
	observeXLSX = nil
	if code == 0 {
		code = checkSeenWorkbooks()
	}
	os.Exit(code)
}

// checkSeenWorkbooks compares the two readers on every recorded workbook,
// as a test would, and reports like one.
func checkSeenWorkbooks() int {
	seenWorkbooks.Lock()
	keys := make([][32]byte, 0, len(seenWorkbooks.byHash))
	for k := range seenWorkbooks.byHash {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	all := seenWorkbooks.byHash
	seenWorkbooks.Unlock()
	failed, compared := 0, 0
	for _, k := range keys {
		b := all[k]
		// Some tests feed malformed XML on purpose: there the fast reader
		// reports damage where excelize stops quietly, by design.
		problems, ok := diffReaders(fmt.Sprintf("%x.xlsx", k[:6]), b, true)
		if ok {
			compared++
		}
		if len(problems) > 0 {
			failed++
			fmt.Printf("--- FAIL: fast reader differs from excelize on a workbook the tests read (sha256 %x):\n", k[:8])
			for _, p := range problems {
				fmt.Println("    " + p)
			}
		}
	}
	if testing.Verbose() || failed > 0 {
		fmt.Printf("fast reader vs excelize: %d workbooks read by the tests, %d compared, %d differ\n", len(keys), compared, failed)
	}
	if failed > 0 {
		fmt.Println("FAIL")
		return 1
	}
	return 0
}

// excelizeSheets reads every sheet of a workbook with excelize's streaming
// Rows and raw values, as ingest read them before the fast reader.
func excelizeSheets(name string, data []byte, maxRows int) (map[string][]sheetRead, error) {
	xl, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true,
		UnzipSizeLimit: DefaultUnzipSizeLimit, UnzipXMLSizeLimit: DefaultUnzipXMLSizeLimit})
	if err != nil {
		return nil, err
	}
	defer xl.Close()
	out := map[string][]sheetRead{}
	for _, s := range xl.GetSheetList() {
		sr, err := excelizeRows(name, xl, s)
		if err != nil {
			out[s] = []sheetRead{{err: "open: " + err.Error()}}
			continue
		}
		out[s] = drain(sr, maxRows)
		sr.Close()
	}
	return out, nil
}

// sheetRead is one step of reading a sheet: a row, or the error that ended it.
type sheetRead struct {
	line  int
	cells []string
	err   string
}

func drain(sr SheetReader, maxRows int) []sheetRead {
	var out []sheetRead
	for n := 0; n < maxRows; n++ {
		r, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out = append(out, sheetRead{err: err.Error()})
			break
		}
		out = append(out, sheetRead{line: r.Line, cells: r.Cells})
	}
	return out
}

// diffReaders compares, sheet by sheet and row by row, what the fast
// reader and excelize read from a workbook, and the dates ingest makes of
// numeric cells. It reports whether it compared at all: a file Open refuses
// (not a workbook, damaged) has nothing to compare. With wellFormedOnly,
// differences in a sheet whose XML encoding/xml rejects are not counted:
// excelize silently stops at malformed XML where the fast reader reports
// the file damaged.
func diffReaders(name string, data []byte, wellFormedOnly bool) (problems []string, compared bool) {
	sum := sha256.Sum256(data)
	seenWorkbooks.Lock()
	done := seenWorkbooks.compared[sum]
	if seenWorkbooks.compared != nil {
		seenWorkbooks.compared[sum] = true
	}
	seenWorkbooks.Unlock()
	if done {
		return nil, true
	}
	// excelize needs seconds per large sheet (the NTD workbook's 300
	// columns take it 40 s): with -short, large workbooks are compared on
	// their first rows only.
	maxRows := 1100000
	if testing.Short() && len(data) > 1<<20 {
		maxRows = 300
	}
	w, err := Open(name, bytes.NewReader(data), int64(len(data)), Options{})
	if err != nil {
		return nil, false
	}
	defer w.Close()
	if w.Kind() != KindXLSX {
		return nil, false
	}
	want, err := excelizeSheets(name, data, maxRows)
	if err != nil {
		return []string{"excelize cannot open what Open opened: " + err.Error()}, true
	}
	date1904 := xlDate1904(data)
	for _, s := range w.Sheets() {
		sr, err := w.Rows(s.Name)
		var got []sheetRead
		if err != nil {
			got = []sheetRead{{err: "open: " + err.Error()}}
		} else {
			got = drain(sr, maxRows)
			sr.Close()
		}
		exp := want[s.Name]
		if wellFormedOnly && !wellFormedSheet(data, w, s.Name) {
			continue
		}
		// excelize's error text is its own; that both failed at the same
		// row is what matters.
		for i := range got {
			if got[i].err != "" {
				got[i].err = "error"
			}
		}
		for i := range exp {
			if exp[i].err != "" {
				exp[i].err = "error"
			}
		}
		if !reflect.DeepEqual(normalize(got), normalize(exp)) {
			problems = append(problems, fmt.Sprintf("sheet %q: %s", s.Name, firstDifference(got, exp)))
			continue
		}
		// The raw text is the same, so the dates are if the workbook's date
		// system is: check that, and the dates of the first numeric cells.
		po := w.ParseOptions()
		if !po.Serial || po.Date1904 != date1904 {
			problems = append(problems, fmt.Sprintf("parse options %+v; excelize's workbook says 1904 = %v", po, date1904))
		}
		checked := 0
		for _, r := range got {
			for _, c := range r.cells {
				if checked == 200 {
					break
				}
				if _, err := strconv.ParseFloat(c, 64); err != nil {
					continue
				}
				checked++
				d1, e1 := ParseValue(plan.TypeDate, c, po)
				d2, e2 := ParseValue(plan.TypeDate, c, ParseOptions{Serial: true, Date1904: date1904})
				if !reflect.DeepEqual(d1, d2) || (e1 == nil) != (e2 == nil) {
					problems = append(problems, fmt.Sprintf("sheet %q row %d: %q reads as date %v, excelize's workbook says %v", s.Name, r.line, c, d1, d2))
				}
			}
		}
	}
	return problems, true
}

func xlDate1904(data []byte) bool {
	xl, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return false
	}
	defer xl.Close()
	props, err := xl.GetWorkbookProps()
	return err == nil && props.Date1904 != nil && *props.Date1904
}

// normalize makes a nil and an empty row equal.
func normalize(rs []sheetRead) []sheetRead {
	out := make([]sheetRead, len(rs))
	for i, r := range rs {
		if len(r.cells) == 0 {
			r.cells = nil
		}
		out[i] = r
	}
	return out
}

func firstDifference(got, want []sheetRead) string {
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("fast reader ends after %d steps; excelize has %+v next", len(got), want[i])
		case i >= len(want):
			return fmt.Sprintf("excelize ends after %d steps; fast reader has %+v next", len(want), got[i])
		case !reflect.DeepEqual(normalize(got[i:i+1]), normalize(want[i:i+1])):
			return fmt.Sprintf("step %d: fast %d %q %s, excelize %d %q %s", i, got[i].line, got[i].cells, got[i].err, want[i].line, want[i].cells, want[i].err)
		}
	}
	return "same"
}

// wellFormedSheet reports whether encoding/xml reads the sheet's part and
// the shared strings to their end without error.
func wellFormedSheet(data []byte, w *Workbook, sheet string) bool {
	if w.fx == nil {
		return true
	}
	parts := []string{}
	for n, p := range w.fx.sheets {
		if strings.EqualFold(n, sheet) {
			parts = append(parts, p)
		}
	}
	if w.fx.sstPart != nil {
		parts = append(parts, strings.ReplaceAll(w.fx.sstPart.Name, `\`, "/"))
	}
	for _, p := range parts {
		f := w.fx.parts[p]
		if f == nil {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return false
		}
		d := xml.NewDecoder(rc)
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				return false
			}
		}
		rc.Close()
	}
	return true
}

func checkSame(t *testing.T, name string, data []byte) {
	t.Helper()
	problems, compared := diffReaders(name, data, false)
	if !compared {
		t.Logf("%s: not a workbook Open reads; nothing to compare", name)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", name, p)
	}
}

// TestFastReaderOnFixtures compares the two readers on every workbook
// under testdata and on the workbooks the tests generate. (TestMain also
// compares them on every workbook any test opened.)
func TestFastReaderOnFixtures(t *testing.T) {
	var files []string
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".xlsx") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("only %d workbooks under testdata: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(f, func(t *testing.T) { checkSame(t, f, b) })
	}
	gen := map[string]func(testing.TB) []byte{
		"corpus":       corpusWorkbook,
		"ntd":          ntdWorkbook,
		"gl":           glWorkbook,
		"merged":       mergedHeaderWorkbook,
		"hidden":       hiddenSheetsWorkbook,
		"formatted":    formattedWorkbook,
		"script":       scriptWorkbook,
		"date-9999":    date9999Workbook,
		"odd-cells":    oddCellsWorkbook,
		"odd-strings":  oddStringsWorkbook,
		"strict-order": func(t testing.TB) []byte { return rawWorkbook(t, oddSheetXML, oddSST) },
	}
	for name, g := range gen {
		t.Run(name, func(t *testing.T) { checkSame(t, name, g(t)) })
	}
	all, err := plan.BuiltinDatasets()
	if err != nil {
		t.Fatal(err)
	}
	for name, ds := range all {
		t.Run("template-"+name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTemplate(&buf, ds, TemplateOptions{}); err != nil {
				t.Fatal(err)
			}
			checkSame(t, name, buf.Bytes())
		})
	}
	seeds, _ := filepath.Glob("testdata/fuzz/FuzzSheetXML/*")
	base := corpusWorkbook(t)
	for _, p := range seeds {
		sheet := fuzzSeedBytes(t, p)
		t.Run("sheet-seed-"+filepath.Base(p), func(t *testing.T) {
			b := rewriteZip(t, base, "xl/worksheets/sheet1.xml", func(string) string { return string(sheet) })
			problems, _ := diffReaders(p, b, true)
			for _, pr := range problems {
				t.Error(pr)
			}
		})
	}
}

// fuzzSeedBytes reads the []byte of a "go test fuzz v1" seed file.
func fuzzSeedBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(strings.TrimPrefix(string(b), "go test fuzz v1\n"))
	s, _, _ = strings.Cut(s, "\n") // the first value: []byte("...")
	s = strings.TrimSuffix(strings.TrimPrefix(s, "[]byte("), ")")
	u, err := strconv.Unquote(s)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(u)
}

// oddCellsWorkbook has what excelize writes for every kind of cell: types,
// formulas with and without values, dates in both styles, gaps.
func oddCellsWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const s = "Sheet1"
	must(f.SetCellValue(s, "A1", "Month"))
	must(f.SetCellValue(s, "B1", true))
	must(f.SetCellValue(s, "C1", 1.5))
	must(f.SetCellValue(s, "D1", time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)))
	must(f.SetCellValue(s, "E1", int64(-12345678901234)))
	must(f.SetCellFormula(s, "F1", "C1*2"))
	must(f.SetCellValue(s, "H3", "after a gap"))
	must(f.SetCellValue(s, "A9", " spaced  "))
	must(f.SetCellValue(s, "B9", "line\r\nbreak"))
	must(f.SetCellValue(s, "C9", "<&>\"'"))
	must(f.SetCellValue(s, "D9", "_x000D_ escaped"))
	must(f.SetCellValue(s, "XFD10", "last column"))
	must(f.SetCellValue(s, "A11", 1e-7))
	must(f.SetCellValue(s, "B11", 12345678901234567890.0))
	must(f.SetCellStr(s, "C11", "0042"))
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	must(f.SetCellValue(s, "A12", 45474))
	must(f.SetCellStyle(s, "A12", "A12", style))
	custom := "yyyy-mm"
	style2, err := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	must(err)
	must(f.SetCellValue(s, "B12", 45474.5))
	must(f.SetCellStyle(s, "B12", "B12", style2))
	must(f.MergeCell(s, "A20", "C21"))
	_, err = f.NewSheet("Second")
	must(err)
	must(f.SetCellValue("Second", "B2", "only cell"))
	buf, err := f.WriteToBuffer()
	must(err)
	return buf.Bytes()
}

// oddStringsWorkbook has shared strings with rich text runs, phonetic runs,
// escapes, entities, CDATA and line ends written by hand.
func oddStringsWorkbook(t testing.TB) []byte {
	return rawWorkbook(t, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v> 1 </v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>
<row r="2"><c r="A2" t="s"><v>6</v></c><c r="B2" t="s"><v>x</v></c><c r="C2" t="s"><v>99</v></c><c r="D2" t="s"><v></v></c><c r="E2" t="s"/><c r="F2" t="s"><v>7</v></c></row>
</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>`,
		`<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="8" uniqueCount="8">
<si><t>plain</t></si>
<si><r><rPr><b/></rPr><t>rich </t></r><r><t xml:space="preserve"> text</t></r></si>
<si><t>base</t><rPh sb="0" eb="1"><t>phonetic</t></rPh><phoneticPr fontId="1"/></si>
<si><t>a&amp;b &lt;c&gt; &#65;&#x42; &quot;q&quot; &apos;</t></si>
<si><t>crlf&#13;&#10;kept&#13;raw
line</t></si>
<si><t><![CDATA[<cdata> & more]]></t></si>
<si><t>_x0041__x005F_x0041_ _x005f_ _xD800_ end</t></si>
<si><t>first</t><t>second wins</t><r><t>run</t></r></si>
</sst>`)
}

const oddSheetXML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment --><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
<x:row><x:c t="inlineStr"><x:is><x:t>no r</x:t></x:is></x:c><x:c><x:v>2</x:v></x:c></x:row>
<x:row r="4" spans="1:3"><x:c r="C4"><x:v>gap</x:v></x:c><x:c r="A4"><x:v>before</x:v></x:c><x:c><x:v>after</x:v></x:c></x:row>
<x:row r="3"><x:c r="B3"><x:v>out of order</x:v></x:c></x:row>
<x:row r="6"><x:c r="A6" s="abc"><x:v>bad style</x:v></x:c><x:c r="B6" t="str"><x:f>A1</x:f></x:c><x:c r="C6"><x:f>B6</x:f><x:v>7</x:v></x:c>
<x:c r="D6" t="b"><x:v>1</x:v></x:c><x:c r="E6" t="e"><x:v>#N/A</x:v></x:c><x:c r="F6" t="d"><x:v>2024-07-01T00:00:00Z</x:v></x:c>
<x:c r="G6" t="inlineStr"><x:is><x:t>one</x:t></x:is><x:is><x:r><x:t>two</x:t></x:r></x:is></x:c><x:c r="H6"><x:extLst><x:v>nested v</x:v></x:extLst></x:c>
<x:c r="I6"><x:v>a<x:b>skipped</x:b>c</x:v></x:c><x:c r="J6"><x:v>1</x:v><x:v>2</x:v></x:c><x:c r = 'K6' ><x:v>&#x20AC;</x:v></x:c></x:row>
<x:row/><x:row r="8"/><x:row r="9"><x:c r="A9"><x:v>
  spaced
</x:v></x:c></x:row>
</x:sheetData></x:worksheet>`

const oddSST = `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>s0</t></si></sst>`

// rawWorkbook builds a workbook of one sheet from its XML and the shared
// strings' XML ("" for none).
func rawWorkbook(t testing.TB, sheet, sst string) []byte {
	t.Helper()
	files := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   sheet,
	}
	if sst != "" {
		files["xl/sharedStrings.xml"] = sst
	}
	return zipOf(t, files)
}

func TestFastReaderMergedCells(t *testing.T) {
	for name, b := range map[string][]byte{"merged-header": mergedHeaderWorkbook(t), "odd-cells": oddCellsWorkbook(t), "odd-strings": oddStringsWorkbook(t)} {
		w, err := Open(name+".xlsx", bytes.NewReader(b), int64(len(b)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		xl, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range w.Sheets() {
			sr, err := w.Rows(s.Name)
			if err != nil {
				t.Fatal(err)
			}
			fs, ok := sr.(*fastSheet)
			if !ok {
				t.Fatalf("%s: sheet %s is not read by the fast reader", name, s.Name)
			}
			fs.Next() // part way through the rows
			got, err := fs.MergedCells()
			if err != nil {
				t.Fatal(err)
			}
			mc, err := xl.GetMergeCells(s.Name, true)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, m := range mc {
				want = append(want, m.GetStartAxis()+":"+m.GetEndAxis())
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s %s: merged %v; excelize %v", name, s.Name, got, want)
			}
			sr.Close()
		}
		xl.Close()
		w.Close()
	}
}

// TestFastReaderStricterThanExcelize: where excelize stops quietly at
// malformed XML, as if the sheet ended there, the fast reader says the
// file is damaged, so an import never takes the rows above the damage for
// the whole file.
func TestFastReaderStricterThanExcelize(t *testing.T) {
	for name, sheet := range map[string]string{
		"mismatched":  `<worksheet><sheetData><row r="1"><c><v>1</v></c></row><row r="2"><c><v>2</v></x></c></row></sheetData></worksheet>`,
		"bad-entity":  `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>a &nbsp; b</t></is></c></row></sheetData></worksheet>`,
		"unquoted":    `<worksheet><sheetData><row r=1><c><v>1</v></c></row></sheetData></worksheet>`,
		"open-at-end": `<worksheet><sheetData><row r="1"><c><v>1</v></c></row>`,
	} {
		b := rawWorkbook(t, sheet, "")
		w, err := Open("f.xlsx", bytes.NewReader(b), int64(len(b)), Options{})
		if err != nil {
			// checkParts saw the damage first.
			if !strings.Contains(fileError(t, err), "damaged") {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		sr, err := w.Rows("Data")
		if err != nil {
			t.Fatal(err)
		}
		got := drain(sr, 100)
		if len(got) == 0 || got[len(got)-1].err == "" || !strings.Contains(got[len(got)-1].err, "damaged") {
			t.Errorf("%s: %+v; want the file reported damaged", name, got)
		}
		w.Close()
	}
}

func mustOpen(t testing.TB, b []byte) *Workbook {
	t.Helper()
	w, err := Open("f.xlsx", bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// FuzzFastSheet puts any bytes in place of the sheet of a good workbook:
// the fast reader must not panic or hang, must fail only with a
// *FileError, and on XML that encoding/xml reads must give exactly what
// excelize gives.
func FuzzFastSheet(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/fuzz/FuzzSheetXML/*")
	for _, p := range seeds {
		f.Add(fuzzSeedBytes(f, p), false)
	}
	f.Add([]byte(oddSheetXML), true)
	f.Add([]byte(`<worksheet><sheetData><row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row></sheetData></worksheet>`), true)
	base := corpusWorkbook(f)
	f.Fuzz(func(t *testing.T, sheet []byte, ownSST bool) {
		var b []byte
		if ownSST {
			b = rawWorkbook(t, string(sheet), `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>a</t></si><si><r><t>b</t></r><r><t>c</t></r></si></sst>`)
		} else {
			b = rewriteZip(t, base, "xl/worksheets/sheet1.xml", func(string) string { return string(sheet) })
		}
		w, err := Open("f.xlsx", bytes.NewReader(b), int64(len(b)), Options{})
		if err != nil {
			fuzzFileError(t, err)
			return
		}
		// As FuzzSheetXML: a sheet that steps over a million empty rows is
		// read only so far, by both readers.
		for _, s := range w.Sheets() {
			sr, err := w.Rows(s.Name)
			if err != nil {
				fuzzFileError(t, err)
				continue
			}
			for n := 0; n < 5000; n++ {
				_, err := sr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					fuzzFileError(t, err)
					break
				}
			}
			sr.Close()
		}
		w.Close()
		if problems := diffFuzz(b); len(problems) > 0 {
			t.Fatalf("%s", strings.Join(problems, "\n"))
		}
	})
}

// diffFuzz compares the readers over the first rows only.
func diffFuzz(b []byte) []string {
	w, err := Open("f.xlsx", bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		return nil
	}
	defer w.Close()
	want, err := excelizeSheets("f.xlsx", b, 5000)
	if err != nil {
		return []string{"excelize cannot open: " + err.Error()}
	}
	var problems []string
	for _, s := range w.Sheets() {
		if !wellFormedSheet(b, w, s.Name) {
			continue
		}
		sr, err := w.Rows(s.Name)
		var got []sheetRead
		if err != nil {
			got = []sheetRead{{err: "error"}}
		} else {
			got = drain(sr, 5000)
			sr.Close()
		}
		exp := want[s.Name]
		for i := range got {
			if got[i].err != "" {
				got[i].err = "error"
			}
		}
		for i := range exp {
			if exp[i].err != "" {
				exp[i].err = "error"
			}
		}
		if !reflect.DeepEqual(normalize(got), normalize(exp)) {
			problems = append(problems, fmt.Sprintf("sheet %q: %s", s.Name, firstDifference(got, exp)))
		}
	}
	return problems
}

// benchSheetWorkbook is a ridership template of n rows, written by excelize.
func benchSheetWorkbook(b *testing.B, n int) []byte {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	sw.SetRow("A1", []any{"Month", "Mode", "Type of service", "Route", "Unlinked passenger trips", "Vehicle revenue miles", "Vehicle revenue hours", "Vehicles operated"})
	modes := []string{"MB", "DR", "CB", "VP"}
	for i := range n {
		sw.SetRow("A"+strconv.Itoa(i+2), []any{32874 + (i%480)*30, modes[i%4], "DO", "Route " + strconv.Itoa(i/1920), 80000 + i%5000, 150000.5 + float64(i%100), 11300.25, 27 + i%5})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkSheetReaders reads every row of a 50,000-row sheet with each
// reader: excelize's streaming Rows (raw values), and the fast reader with
// and without inflating in a goroutine of its own.
func BenchmarkSheetReaders(b *testing.B) {
	const n = 50000
	data := benchSheetWorkbook(b, n)
	read := func(b *testing.B, open func() (SheetReader, func())) {
		b.ReportAllocs()
		for b.Loop() {
			sr, done := open()
			rows := 0
			for {
				_, err := sr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				rows++
			}
			sr.Close()
			done()
			if rows != n+1 {
				b.Fatalf("%d rows", rows)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("excelize", func(b *testing.B) {
		read(b, func() (SheetReader, func()) {
			xl, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
			if err != nil {
				b.Fatal(err)
			}
			sr, err := excelizeRows("b.xlsx", xl, "Sheet1")
			if err != nil {
				b.Fatal(err)
			}
			return sr, func() { xl.Close() }
		})
	})
	for _, prefetch := range []bool{false, true} {
		b.Run(fmt.Sprintf("fast/prefetch=%v", prefetch), func(b *testing.B) {
			read(b, func() (SheetReader, func()) {
				w := mustOpen(b, data)
				w.fx.noPrefetch = !prefetch
				sr, err := w.Rows("Sheet1")
				if err != nil {
					b.Fatal(err)
				}
				return sr, func() { w.Close() }
			})
		})
	}
}

// TestPlainSerialSameAsSlowPath: the short cut for serial numbers in date
// and month cells gives what the patterns gave.
func TestPlainSerialSameAsSlowPath(t *testing.T) {
	for _, o := range []ParseOptions{{Serial: true}, {Serial: true, Date1904: true}} {
		for n := 0; n < 100000; n += 7 {
			s := strconv.Itoa(n)
			if n%3 == 0 {
				s = fmt.Sprintf("%05d", n)
			}
			want, found := calendarDate(s, o)
			var wantDate any
			if found && !want.IsZero() && sane(want) {
				wantDate = want
			}
			got, err := ParseValue(plan.TypeDate, s, o)
			if (err == nil) != (wantDate != nil) || err == nil && got != wantDate {
				t.Fatalf("date %q %+v: %v, %v; want %v", s, o, got, err, wantDate)
			}
			var wantMonth any
			if wantDate != nil {
				wantMonth = time.Date(want.Year(), want.Month(), 1, 0, 0, 0, 0, time.UTC)
			}
			got, err = ParseValue(plan.TypeMonth, s, o)
			if (err == nil) != (wantMonth != nil) || err == nil && got != wantMonth {
				t.Fatalf("month %q %+v: %v, %v; want %v", s, o, got, err, wantMonth)
			}
		}
	}
}

// TestPlainDecimalSameAsSlowPath: the short cut for plain numbers in
// decimal cells gives what parseNumber gave.
func TestPlainDecimalSameAsSlowPath(t *testing.T) {
	for _, s := range []string{"0", "0.0", "00012.50", "150000.5", "11300.25", "1.7976931348623157", "123456789012345678901234567890",
		"0.1", "0.30000000000000004", "9007199254740993", "4.9406564584124654", "1.0000000000000001110223024625156540423"} {
		n, ok := parseNumber(s)
		if !ok || !plainDecimal(s) {
			t.Fatalf("%q: parseNumber %v, plainDecimal %v", s, ok, plainDecimal(s))
		}
		want, _ := strconv.ParseFloat(n.text(), 64)
		got, err := parseDecimal(s)
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"-1", "1.", ".5", "1,000", "1e5", "1.2.3", "", "1%"} {
		if plainDecimal(s) {
			t.Errorf("%q is not plain", s)
		}
	}
}

func TestRowsPastExcelsLimitSayWhy(t *testing.T) {
	sheet := `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>month</t></is></c></row>` +
		`<row r="1048577"><c r="A1048577"><v>1</v></c></row></sheetData></worksheet>`
	b := rawWorkbook(t, sheet, "")
	w, err := Open("big.xlsx", bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	sr, err := w.Rows("Data")
	if err == nil {
		for err == nil {
			_, err = sr.Next()
		}
	}
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "row 1,048,576") || !strings.Contains(fe.Message, ".csv") {
		t.Fatalf("a row past Excel's last: %v, want a message naming the limit and what to do", err)
	}
}

// bigSheetWorkbook is a transit_ridership template workbook whose sheet is
// larger than checkOnReadSize, so it is checked as it is read rather than
// before.
func bigSheetWorkbook(t testing.TB, rows int) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	b.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>Month</t></is></c><c r="B1" t="inlineStr"><is><t>Mode</t></is></c>` +
		`<c r="C1" t="inlineStr"><is><t>Type of service</t></is></c><c r="D1" t="inlineStr"><is><t>Route</t></is></c>` +
		`<c r="E1" t="inlineStr"><is><t>Unlinked passenger trips</t></is></c></row>`)
	for i := range rows {
		r := strconv.Itoa(i + 2)
		fmt.Fprintf(&b, `<row r="%s"><c r="A%s" t="inlineStr"><is><t>2024-01</t></is></c><c r="B%s" t="inlineStr"><is><t>MB</t></is></c>`+
			`<c r="C%s" t="inlineStr"><is><t>DO</t></is></c><c r="D%s" t="inlineStr"><is><t>Route %d</t></is></c><c r="E%s"><v>%d</v></c></row>`,
			r, r, r, r, r, i, r, 1000+i%977)
	}
	b.WriteString(`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	return rawWorkbook(t, b.String(), "")
}

func TestLargeSheetCheckedAsItIsRead(t *testing.T) {
	const rows = 40000
	good := bigSheetWorkbook(t, rows)
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" && !checkedOnRead(f) {
			t.Fatalf("the sheet is %d bytes: too small to be checked as it is read", f.UncompressedSize64)
		}
	}
	ds := builtin(t, "transit_ridership")
	res, err := read("big.xlsx", good, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsRead != rows || res.ErrorCount > 0 {
		t.Fatalf("the intact workbook read %d rows with %d errors, want %d and none", res.RowsRead, res.ErrorCount, rows)
	}
	corrupt := "the workbook is damaged (its compressed contents are corrupt); export or download it again and upload the new file"
	malformed := "the workbook is damaged (part of it is not valid XML or is cut short); export or download it again and upload the new file"
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"flipped.xlsx", flipInPart(t, good, "xl/worksheets/sheet1.xml"), corrupt},
		{"control.xlsx", rewriteZip(t, good, "xl/worksheets/sheet1.xml", func(s string) string {
			return strings.Replace(s, "Route 30000<", "Route 30000\x01<", 1)
		}), malformed},
		{"cut.xlsx", rewriteZip(t, good, "xl/worksheets/sheet1.xml", func(s string) string {
			return s[:strings.Index(s, "</sheetData>")]
		}), malformed},
		{"tail-cut.xlsx", rewriteZip(t, good, "xl/worksheets/sheet1.xml", func(s string) string {
			return strings.TrimSuffix(s, "</worksheet>")
		}), malformed},
	} {
		_, err := read(tt.name, tt.data, ds, Options{})
		if got := plainFileError(t, tt.name, err); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

// The check of a part does not depend on how its bytes are cut into
// reads: a rune split between two reads is joined, not refused.
func FuzzPartCheckerChunks(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><sst><si><t>café – 東京 €</t></si></sst>`), uint8(1))
	f.Add([]byte("<worksheet><sheetData><row><c><v>\x01</v></c></row></sheetData></worksheet>"), uint8(3))
	f.Add([]byte("<worksheet>\xe2\x82</worksheet>"), uint8(2))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><a>caf`+"\xe9"+`</a>`), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		whole := partChecker{cells: true}
		whole.feed(data)
		want := whole.result()
		step := int(size)%17 + 1
		cut := partChecker{cells: true}
		for i := 0; i < len(data); i += step {
			cut.feed(data[i:min(len(data), i+step)])
		}
		if got := cut.result(); !errors.Is(got, want) && got != want {
			t.Fatalf("in reads of %d bytes: %v; whole: %v", step, got, want)
		}
	})
}

// The check for control characters, which looks at eight bytes at a time,
// agrees with the rule byte by byte: every byte value, at every place, in
// parts of every length up to three words.
func TestXMLTextEveryByteAnywhere(t *testing.T) {
	allowed := func(b []byte, isUTF8 bool) bool {
		for _, c := range b {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
		}
		return !isUTF8 || utf8.Valid(b)
	}
	for n := 1; n <= 24; n++ {
		b := bytes.Repeat([]byte{'a'}, n)
		for pos := range n {
			for c := range 256 {
				b[pos] = byte(c)
				for _, isUTF8 := range []bool{false, true} {
					if got, want := xmlText(b, isUTF8), allowed(b, isUTF8); got != want {
						t.Fatalf("xmlText(%q, %v) = %v, want %v", b, isUTF8, got, want)
					}
				}
			}
			b[pos] = 'a'
		}
	}
	// Two odd bytes in one word: a high byte's borrow must not hide a
	// control character beside it, nor make one up.
	odd := []byte{0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xa0, 0xc3, 0xff}
	b := bytes.Repeat([]byte{'a'}, 16)
	for i := range 16 {
		for j := i + 1; j < 16; j++ {
			for _, x := range odd {
				for _, y := range odd {
					b[i], b[j] = x, y
					for _, isUTF8 := range []bool{false, true} {
						if got, want := xmlText(b, isUTF8), allowed(b, isUTF8); got != want {
							t.Fatalf("xmlText(%q, %v) = %v, want %v", b, isUTF8, got, want)
						}
					}
				}
			}
			b[i], b[j] = 'a', 'a'
		}
	}
}

func TestDateFormat(t *testing.T) {
	for _, tt := range []struct {
		id   int
		code string
		want bool
	}{
		{14, "", true}, {15, "", true}, {17, "", true}, {22, "", true}, {57, "", true},
		{0, "", false}, {2, "", false}, {4, "", false}, {9, "", false}, {20, "", false}, {46, "", false}, {49, "", false},
		{164, "yyyy-mm", true}, {164, "mmm-yy", true}, {164, "mmmm", true}, {164, "[$-409]mmmm d, yyyy;@", true},
		{164, "DD/MM/YYYY", true}, {164, "yyyy-mm-dd hh:mm", true},
		{164, "#,##0.00", false}, {164, "h:mm", false}, {164, "[h]:mm:ss", false}, {164, "mm:ss", false},
		{164, `0.0 "days"`, false}, {164, `\d0`, false}, {164, "#,##0;[Red]-#,##0", false},
		{164, `_(* #,##0_);_(* (#,##0);_(* "-"_);_(@_)`, false}, {164, "General", false}, {164, `0;"dd"0`, false},
	} {
		if got := dateFormat(tt.id, tt.code); got != tt.want {
			t.Errorf("dateFormat(%d, %q) = %v, want %v", tt.id, tt.code, got, tt.want)
		}
	}
}

// A number that a cell's style shows as a date reads as that date in a
// text column (not as Excel's serial number), and as the number it is in
// a number column.
func TestDateStyledCellsInTextColumns(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	sh := "Sheet1"
	day, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	custom := "yyyy-mm-dd hh:mm"
	stamp, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	money := "#,##0.00"
	plain, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &money})
	rows := [][]any{
		{"Month", "Mode", "Type of service", "Route", "Unlinked passenger trips"},
		{"2024-07", "MB", "DO", 45474.0, 45474.0},   // D: a day; E: trips styled as a date
		{"2024-08", "MB", "DO", 45505.5625, 1200.0}, // D: a day and time
		{"2024-09", "MB", "DO", 45536.0, 1300.0},    // D: a number shown as a number
		{"2024-10", "MB", "DO", "Route 7", 1400.0},  // D: text
	}
	for r, row := range rows {
		if err := f.SetSheetRow(sh, fmt.Sprintf("A%d", r+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	f.SetCellStyle(sh, "D2", "E2", day)
	f.SetCellStyle(sh, "D3", "D3", stamp)
	f.SetCellStyle(sh, "D4", "D4", plain)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	res, err := read("dates.xlsx", buf.Bytes(), builtin(t, "transit_ridership"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ErrorCount > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	var routes []any
	var trips []any
	for _, r := range res.Batch.Rows {
		routes = append(routes, r.Values[3])
		trips = append(trips, r.Values[4])
	}
	if want := []any{"2024-07-01", "2024-08-01 13:30", "45536", "Route 7"}; !reflect.DeepEqual(routes, want) {
		t.Errorf("routes %q, want %q", routes, want)
	}
	if trips[0] != int64(45474) {
		t.Errorf("trips styled as a date read as %v, want the number 45474", trips[0])
	}
}
