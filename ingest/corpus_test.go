package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// The corpus is the bad and odd files people upload. The small ones are
// committed under testdata/corpus (and read by the importer's tests too);
// they are made by the generators below, so that how each was built is
// written down:
//
//	go test ./ingest -run TestCorpusFiles -update-corpus
//
// Large ones (a zip bomb, 10,000 rows, a 5 MB cell, 1,308 columns, a sheet
// with every row formatted) are made by the tests that use them.
var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/corpus from the generators in corpus_test.go")

const corpusDir = "testdata/corpus"

// corpusFiles are the committed files of the corpus, by name.
var corpusFiles = map[string]func(t testing.TB) []byte{
	"empty.csv":                  func(testing.TB) []byte { return []byte{} },
	"text-renamed.xlsx":          func(testing.TB) []byte { return []byte(corpusRidershipCSV) },
	"truncated.xlsx":             func(t testing.TB) []byte { b := corpusWorkbook(t); return b[:len(b)/2] },
	"corrupted.xlsx":             func(t testing.TB) []byte { return flipInPart(t, corpusWorkbook(t), "xl/worksheets/sheet1.xml") },
	"encrypted.xlsx":             encryptedWorkbook,
	"legacy.xls":                 func(testing.TB) []byte { return legacyXLS() },
	"binary.xlsb":                xlsbFile,
	"calc.ods":                   odsFile,
	"ridership.csv":              func(testing.TB) []byte { return []byte(corpusRidershipCSV) },
	"all-invalid.csv":            func(testing.TB) []byte { return []byte(corpusAllInvalidCSV) },
	"duplicate-keys.csv":         func(testing.TB) []byte { return []byte(corpusDuplicateKeysCSV) },
	"date-1800.csv":              func(testing.TB) []byte { return []byte(corpusDate1800CSV) },
	"date-9999.xlsx":             date9999Workbook,
	"merged-header.xlsx":         mergedHeaderWorkbook,
	"hidden-sheets.xlsx":         hiddenSheetsWorkbook,
	"formatted-to-last-row.xlsx": formattedWorkbook,
	"script-formula.csv":         func(testing.TB) []byte { return []byte(corpusScriptCSV) },
	"script-formula.xlsx":        scriptWorkbook,
	"revenue-bom.csv":            func(testing.TB) []byte { return append([]byte("\xEF\xBB\xBF"), corpusRevenueCSV...) },
	"revenue-cp1252.csv":         func(t testing.TB) []byte { return cp1252(t, corpusRevenueCSV) },
	"revenue-semicolon.csv": func(testing.TB) []byte {
		return []byte(strings.NewReplacer(",", ";", "|", ",").Replace(corpusRevenueDelimited))
	},
	"revenue-tab.txt": func(testing.TB) []byte {
		return []byte(strings.NewReplacer(",", "\t", "|", ",").Replace(corpusRevenueDelimited))
	},
	"revenue-quoted.csv": func(testing.TB) []byte { return []byte(corpusRevenueQuotedCSV) },
}

// corpusRidershipCSV is a good transit_ridership file.
const corpusRidershipCSV = `month,mode,type_of_service,route,unlinked_trips
2024-07,MB,DO,,81240
2024-08,MB,DO,,79980
2024-09,DR,PT,,1204
`

// corpusAllInvalidCSV has a header and no row that can be taken.
const corpusAllInvalidCSV = `month,mode,type_of_service,route,unlinked_trips
July,MB,DO,,81240
2024-08,,DO,,79980
2024-09,DR,PT,,lots
13/2024,MB,DO,,-
`

// corpusDuplicateKeysCSV repeats the key month, mode, type_of_service, route.
const corpusDuplicateKeysCSV = `month,mode,type_of_service,route,unlinked_trips
2024-07,MB,DO,7,81240
2024-08,MB,DO,7,79980
2024-07,MB,DO,7,81241
`

// corpusDate1800CSV has one date a century before anything sane.
const corpusDate1800CSV = `Station ID,Station Name,Open Date
152031,City Hall,6/15/2021
152032,Library,1/1/1800
`

// corpusScriptCSV holds markup and a formula as text.
const corpusScriptCSV = `month,mode,type_of_service,route,unlinked_trips
2024-07,MB,DO,</script><script>alert(1)</script>,81240
2024-07,MB,DO,=cmd|' /C calc'!A0,79980
2024-07,MB,DO,"=HYPERLINK(""http://x.invalid"",""click"")",1
2024-07,MB,DO,@SUM(1+1),2
`

// corpusRevenueCSV is a revenue file with the text cp1252 can hold.
const corpusRevenueCSV = "Fiscal Year,Fund,Department,Category,Source,Actual\r\n" +
	"FY 2024-25,General Fund,Parks,Fees,Peñalosa Park rentals,1234.56\r\n" +
	"FY 2024-25,General Fund,Finance,Fees,Café permits – annual,100\r\n" +
	"FY 2024-25,General Fund,Finance,Fees,“Quoted” € fees,-12.5\r\n"

// corpusRevenueDelimited is written with "," for the separator and "|" for
// a comma inside a field, which the separated variants leave unquoted.
const corpusRevenueDelimited = "Fiscal Year,Fund,Department,Category,Source,Actual\n" +
	"FY 2024-25,General Fund,Parks| Recreation,Fees,Peñalosa Park rentals,1234.56\n" +
	"FY 2024-25,General Fund,Finance,Fees,Café permits,100\n"

// corpusRevenueQuotedCSV has quoted fields with separators, quotes and line
// breaks in them, and every field quoted in its last row.
const corpusRevenueQuotedCSV = "Fiscal Year,Fund,Department,Category,Source,Actual\r\n" +
	"FY 2024-25,General Fund,\"Parks, Recreation and Culture\",Fees,\"The \"\"Hub\"\" rentals\",\"$1,234.56\"\r\n" +
	"FY 2024-25,General Fund,Finance,Fees,\"Permits\r\nline two, with a comma\",\"(1,000)\"\r\n" +
	"\"FY 2024-25\",\"General Fund\",\"Public Works\",\"Fees\",\" Fines \",\"\"\r\n"

// corpusWorkbook is a small good transit_ridership workbook.
func corpusWorkbook(t testing.TB) []byte {
	rows := [][]any{{"Month", "Mode", "Type of service", "Route", "Unlinked passenger trips"}}
	for i := range 40 {
		rows = append(rows, []any{fmt.Sprintf("20%02d-%02d", 20+i/12, i%12+1), "MB", "DO", "", 80000 + i})
	}
	return makeXLSX(t, sheetSpec{name: "Ridership", rows: rows})
}

// flipInPart inverts 16 bytes in the middle of the compressed data of one
// part of a zip, leaving its headers intact.
func flipInPart(t testing.TB, b []byte, part string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != part {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		out := append([]byte(nil), b...)
		mid := off + int64(f.CompressedSize64)/2
		for i := mid - 8; i < mid+8; i++ {
			out[i] ^= 0xFF
		}
		return out
	}
	t.Fatalf("no part %s", part)
	return nil
}

// encryptedWorkbook is a workbook saved with a password, as Excel does it:
// an OLE2 compound file holding EncryptionInfo and EncryptedPackage.
func encryptedWorkbook(t testing.TB) []byte {
	t.Helper()
	b, err := excelize.Encrypt(corpusWorkbook(t), &excelize.Options{Password: "plandash"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// legacyXLS is an Excel 97-2003 file: an OLE2 compound file whose
// Workbook stream starts with a BIFF8 BOF record.
func legacyXLS() []byte {
	var wb bytes.Buffer
	le := binary.LittleEndian
	bof := make([]byte, 20)
	le.PutUint16(bof[0:], 0x0809) // BOF
	le.PutUint16(bof[2:], 16)
	le.PutUint16(bof[4:], 0x0600) // BIFF8
	le.PutUint16(bof[6:], 0x0005) // workbook globals
	le.PutUint16(bof[8:], 0x0DBB)
	le.PutUint16(bof[10:], 0x07CC)
	wb.Write(bof)
	wb.Write([]byte{0x0A, 0x00, 0x00, 0x00}) // EOF
	summary := []byte{0xFE, 0xFF, 0x00, 0x00}
	return makeCFB(cfbStream{"Workbook", wb.Bytes()}, cfbStream{"\x05SummaryInformation", summary})
}

type cfbStream struct {
	name string
	data []byte
}

// makeCFB builds an OLE2 compound file (MS-CFB version 3, 512-byte
// sectors) with the streams in its root storage. Each stream is padded to
// the 4096-byte mini stream cutoff, so all live in regular sectors and the
// file needs no mini stream.
func makeCFB(streams ...cfbStream) []byte {
	const (
		sector     = 512
		endOfChain = 0xFFFFFFFE
		freeSect   = 0xFFFFFFFF
		fatSect    = 0xFFFFFFFD
		noStream   = 0xFFFFFFFF
	)
	le := binary.LittleEndian
	// Sector 0 is the FAT, then the directory, then the streams.
	entries := 1 + len(streams)
	dirSectors := (entries*128 + sector - 1) / sector
	fat := []uint32{fatSect}
	chain := func(sectors int) {
		for j := range sectors {
			next := uint32(len(fat) + 1)
			if j == sectors-1 {
				next = endOfChain
			}
			fat = append(fat, next)
		}
	}
	chain(dirSectors)
	starts := make([]uint32, len(streams))
	padded := make([][]byte, len(streams))
	for i, s := range streams {
		n := max(4096, (len(s.data)+sector-1)/sector*sector)
		padded[i] = append(append([]byte(nil), s.data...), make([]byte, n-len(s.data))...)
		starts[i] = uint32(len(fat))
		chain(n / sector)
	}
	if len(fat) > sector/4 {
		panic("makeCFB: more than one FAT sector")
	}
	for len(fat) < sector/4 {
		fat = append(fat, freeSect)
	}

	head := make([]byte, sector)
	copy(head, magicOLE)
	le.PutUint16(head[24:], 0x003E)
	le.PutUint16(head[26:], 3)
	le.PutUint16(head[28:], 0xFFFE)
	le.PutUint16(head[30:], 9)
	le.PutUint16(head[32:], 6)
	le.PutUint32(head[44:], 1) // FAT sectors
	le.PutUint32(head[48:], 1) // first directory sector
	le.PutUint32(head[56:], 4096)
	le.PutUint32(head[60:], endOfChain) // no mini FAT
	le.PutUint32(head[68:], endOfChain) // no DIFAT sectors
	for i := range 109 {
		le.PutUint32(head[76+4*i:], freeSect)
	}
	le.PutUint32(head[76:], 0) // the FAT is sector 0

	var out bytes.Buffer
	out.Write(head)
	for _, v := range fat {
		binary.Write(&out, le, v)
	}
	dir := make([]byte, dirSectors*sector)
	entry := func(i int, name string, typ byte, right, child, start uint32, size int) {
		e := dir[i*128 : (i+1)*128]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			le.PutUint16(e[2*j:], c)
		}
		if name != "" {
			le.PutUint16(e[64:], uint16(2*len(u)+2))
		}
		e[66], e[67] = typ, 1 // black
		le.PutUint32(e[68:], noStream)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint64(e[120:], uint64(size))
	}
	// The root's children, in the order compound files sort names (shorter
	// first, then case-blind), as a chain of right siblings.
	order := make([]int, len(streams))
	for i := range order {
		order[i] = i
	}
	less := func(a, b string) bool {
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return strings.ToUpper(a) < strings.ToUpper(b)
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && less(streams[order[j]].name, streams[order[j-1]].name); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	child := uint32(noStream)
	if len(order) > 0 {
		child = uint32(order[0] + 1)
	}
	entry(0, "Root Entry", 5, noStream, child, endOfChain, 0)
	for k, i := range order {
		right := uint32(noStream)
		if k+1 < len(order) {
			right = uint32(order[k+1] + 1)
		}
		entry(i+1, streams[i].name, 2, right, noStream, starts[i], len(padded[i]))
	}
	for i := entries; i < dirSectors*4; i++ {
		entry(i, "", 0, noStream, noStream, 0, 0)
	}
	out.Write(dir)
	for _, p := range padded {
		out.Write(p)
	}
	return out.Bytes()
}

// xlsbFile is an Excel binary workbook: a zip like an xlsx, with .bin parts.
func xlsbFile(t testing.TB) []byte {
	return zipOf(t, map[string]string{
		"[Content_Types].xml":      `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>`,
		"_rels/.rels":              `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>`,
		"xl/workbook.bin":          "\x83\x01\x00\x80\x01\x00",
		"xl/worksheets/sheet1.bin": "\x81\x01\x00\x82\x01\x00",
	})
}

// odsFile is an OpenDocument spreadsheet: a zip whose first part, stored,
// is its mimetype.
func odsFile(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("application/vnd.oasis.opendocument.spreadsheet"))
	for _, f := range []struct{ name, body string }{
		{"content.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Ridership"><table:table-row><table:table-cell><text:p>month</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`},
		{"META-INF/manifest.xml", `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>`},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// date9999Workbook has an open date stored as serial 2958465, 9999-12-31.
func date9999Workbook(t testing.TB) []byte {
	return makeXLSX(t, sheetSpec{name: "Stations", rows: [][]any{
		{"Station ID", "Station Name", "Open Date"},
		{"152031", "City Hall", time.Date(2021, 6, 15, 0, 0, 0, 0, time.UTC)},
		{"152032", "Library", 2958465},
	}})
}

// mergedHeaderWorkbook has a title merged across the table, a header cell
// merged over two columns and a header merged over two rows.
func mergedHeaderWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const s = "Ridership"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", s))
	must(f.SetCellValue(s, "A1", "Norwalk Transit System: monthly ridership"))
	must(f.MergeCell(s, "A1", "F1"))
	for cell, v := range map[string]string{"A2": "Month", "B2": "Mode", "C2": "Type of service", "D2": "Route", "E2": "Unlinked passenger trips", "F3": "note"} {
		must(f.SetCellValue(s, cell, v))
	}
	must(f.MergeCell(s, "E2", "F2")) // over the trips and a notes column
	must(f.MergeCell(s, "A2", "A3")) // over the header and a sub-header row
	for i, r := range [][]any{
		{"2024-07", "MB", "DO", "", 81240, "ok"},
		{"2024-08", "MB", "DO", "", 79980, ""},
	} {
		row := r
		must(f.SetSheetRow(s, fmt.Sprintf("A%d", 4+i), &row))
	}
	buf, err := f.WriteToBuffer()
	must(err)
	return buf.Bytes()
}

// hiddenSheetsWorkbook has, before the visible data sheet, a hidden sheet
// of junk (lists for drop-downs) and a very hidden one (only a macro shows
// it) with a complete header over old and bad rows.
func hiddenSheetsWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	header := []any{"Month", "Mode", "TOS", "Route", "UPT"}
	sheets := []sheetSpec{
		{name: "Lists", rows: [][]any{{"MB", "DR", "junk", "#REF!"}, {"Month", "Mode", "TOS", "Route", "UPT"}, {"July", "", "", "", "lots"}}},
		{name: "Old", rows: [][]any{header, {"1999-01", "MB", "DO", "", "old"}, {"1999-01", "MB", "DO", "", "dup"}}},
		{name: "Data", rows: [][]any{header, {"2024-07", "MB", "DO", "", 81240}, {"2024-08", "MB", "DO", "", 79980}}},
	}
	for i, s := range sheets {
		if i == 0 {
			must(f.SetSheetName("Sheet1", s.name))
		} else {
			_, err := f.NewSheet(s.name)
			must(err)
		}
		for r, row := range s.rows {
			must(f.SetSheetRow(s.name, fmt.Sprintf("A%d", r+1), &row))
		}
	}
	f.SetActiveSheet(2)
	must(f.SetSheetVisible("Lists", false))
	must(f.SetSheetVisible("Old", false, true))
	buf, err := f.WriteToBuffer()
	must(err)
	return buf.Bytes()
}

// formattedWorkbook has 10 rows of data under a header, and a format on
// the last row of the sheet and its last cell, XFD1048576: the used range
// Excel reports is the whole sheet.
func formattedWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	style, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFF00"}}, NumFmt: 4})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]any{{"Month", "Mode", "TOS", "Route", "UPT"}}
	for i := range 10 {
		rows = append(rows, []any{fmt.Sprintf("2023-%02d", i+1), "MB", "DO", "12", 70000 + i})
	}
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	// excelize would hold a million rows in memory to style the last one.
	return rewriteZip(t, buf.Bytes(), "xl/worksheets/sheet1.xml", func(s string) string {
		if i := strings.Index(s, `<dimension ref="`) + len(`<dimension ref="`); i > len(`<dimension ref="`) {
			s = s[:i] + "A1:XFD1048576" + s[i+strings.IndexByte(s[i:], '"'):]
		}
		return strings.Replace(s, "</sheetData>", fmt.Sprintf(
			`<row r="1048576" s="%d" customFormat="1"><c r="XFD1048576" s="%d"/></row></sheetData>`, style, style), 1)
	})
}

// scriptWorkbook holds markup and formulas as text cells.
func scriptWorkbook(t testing.TB) []byte {
	return makeXLSX(t, sheetSpec{name: "Ridership", rows: [][]any{
		{"Month", "Mode", "TOS", "Route", "UPT"},
		{"2024-07", "MB", "DO", "</script><script>alert(1)</script>", 81240},
		{"2024-07", "MB", "DO", "=cmd|' /C calc'!A0", 79980},
	}})
}

// cp1252 encodes UTF-8 text as Windows-1252.
func cp1252(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	for _, r := range s {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		b, ok := map[rune]byte{'ñ': 0xF1, 'é': 0xE9, '–': 0x96, '“': 0x93, '”': 0x94, '€': 0x80}[r]
		if !ok {
			t.Fatalf("cp1252: no byte for %q", r)
		}
		out = append(out, b)
	}
	return out
}

// corpus returns the committed corpus file name.
func corpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatalf("%v (run go test ./ingest -run TestCorpusFiles -update-corpus)", err)
	}
	return b
}

// TestCorpusFiles writes the committed corpus with -update-corpus, and
// checks that every file is there.
func TestCorpusFiles(t *testing.T) {
	if *updateCorpus {
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, make := range corpusFiles {
			if err := os.WriteFile(filepath.Join(corpusDir, name), make(t), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name := range corpusFiles {
		corpus(t, name)
	}
	// The compound files hold what makes them what they are.
	for name, streams := range map[string][]string{
		"encrypted.xlsx": {"EncryptionInfo", "EncryptedPackage"},
		"legacy.xls":     {"Workbook"},
	} {
		b := corpus(t, name)
		if !bytes.HasPrefix(b, magicOLE) {
			t.Errorf("%s is not an OLE2 compound file", name)
		}
		for _, s := range streams {
			if !containsUTF16(bytes.NewReader(b), int64(len(b)), s) {
				t.Errorf("%s has no stream %s", name, s)
			}
		}
	}
}

// programText are signs of Go's or a library's own error text, which mean
// nothing to the person who uploaded the file.
var programText = []string{
	"goroutine", ".go:", "panic", "runtime error", "%!", "<nil>", "zip: ", "flate: ", "xml: ", "XML syntax",
	"EOF", "ingest:", "excelize", "strconv.", "invalid argument", "unexpected",
}

// plainFileError fails unless err is a *FileError for file whose message
// is one plain line, and returns the message.
func plainFileError(t *testing.T, file string, err error) string {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: error %v; want a *FileError", file, err)
	}
	if fe.File != file {
		t.Errorf("%s: the error names the file %q", file, fe.File)
	}
	msg := fe.Message
	if msg == "" || strings.ContainsAny(msg, "\r\n") || len(msg) > 600 {
		t.Errorf("%s: %q is not one line of a sensible length", file, msg)
	}
	for _, bad := range programText {
		if strings.Contains(msg, bad) {
			t.Errorf("%s: %q holds program text (%q)", file, msg, bad)
		}
	}
	return msg
}

func TestCorpusRefused(t *testing.T) {
	again := "; download or export it again and upload the new file"
	for _, tt := range []struct {
		file, dataset, want string
	}{
		{"empty.csv", "transit_ridership", "the file is empty (0 bytes); export it again and upload the new file"},
		{"text-renamed.xlsx", "transit_ridership", "this file is named .xlsx but holds text, not a workbook; if it is CSV, rename it to .csv, otherwise open it in Excel and save it as .xlsx"},
		{"truncated.xlsx", "transit_ridership", "this looks like a workbook or zip archive but it is damaged (it is not a complete zip archive: it may have been cut short while downloading or copying)" + again},
		{"corrupted.xlsx", "transit_ridership", "the workbook is damaged (its compressed contents are corrupt); export or download it again and upload the new file"},
		{"encrypted.xlsx", "transit_ridership", "this workbook is protected with a password; open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password) and upload it again"},
		{"legacy.xls", "transit_ridership", "this is an Excel 97-2003 .xls file; open it in Excel and save it as .xlsx (Excel Workbook)"},
		{"binary.xlsb", "transit_ridership", "this is an Excel binary workbook (.xlsb); open it in Excel and save it as .xlsx (Excel Workbook)"},
		{"calc.ods", "transit_ridership", "this is an OpenDocument spreadsheet (.ods); open it in LibreOffice Calc or Excel and save it as .xlsx"},
		{"ridership.csv", "revenue", "header row 1: required columns missing: Fiscal year, Fund, Category, Source; the header row has: month, mode, type_of_service, route, unlinked_trips. Add the missing columns to the header row (a column's name, title or alias)"},
		{"ridership.csv", "ev_chargers", "found no header row in the first 20 non-blank rows of the file; put one row of column names above the data, such as: Station ID, Open date"},
		// A separator the file does not use breaks its quotes: not the
		// file's fault, and not what to tell.
		{"revenue-quoted.csv", "ev_chargers", "found no header row in the first 20 non-blank rows of the file; put one row of column names above the data, such as: Station ID, Open date"},
		{"hidden-sheets.xlsx", "ev_chargers", `found no header row in the first 20 non-blank rows of sheet "Data"; put one row of column names above the data, such as: Station ID, Open date`},
		{"merged-header.xlsx", "revenue", `sheet "Ridership", header row 2: required columns missing: Fiscal year, Fund, Category, Source; the header row has: Month, Mode, Type of service, Route, Unlinked passenger trips. Add the missing columns to the header row (a column's name, title or alias)`},
	} {
		_, err := read(tt.file, corpus(t, tt.file), builtin(t, tt.dataset), Options{})
		if got := plainFileError(t, tt.file, err); got != tt.want {
			t.Errorf("%s as %s:\n%s\nwant\n%s", tt.file, tt.dataset, got, tt.want)
		}
	}
	// Two visible sheets are named as sheets.
	b := makeXLSX(t, sheetSpec{name: "A", rows: [][]any{{"x"}}}, sheetSpec{name: "B", rows: [][]any{{"y"}}})
	_, err := read("two.xlsx", b, builtin(t, "ev_chargers"), Options{})
	if got := plainFileError(t, "two.xlsx", err); !strings.Contains(got, `of sheets "A", "B";`) {
		t.Errorf("message %q; want it to name the sheets \"A\", \"B\"", got)
	}
}

func TestCorpusCellErrors(t *testing.T) {
	for _, tt := range []struct {
		file, dataset string
		want          []string
	}{
		{"all-invalid.csv", "transit_ridership", []string{
			`all-invalid.csv!A2: "July" is not a month (column month)`,
			`all-invalid.csv!B3: a value is required (column mode)`,
			`all-invalid.csv!E4: "lots" is not a number (column unlinked_trips)`,
			`all-invalid.csv!A5: "13/2024" is not a month (column month)`,
			`all-invalid.csv!E5: "-" means no value, but the column is required (column unlinked_trips)`,
		}},
		{"date-1800.csv", "ev_chargers", []string{`date-1800.csv!C3: "1/1/1800" is not a sane date (column open_date)`}},
		{"date-9999.xlsx", "ev_chargers", []string{`Stations!C3: "2958465" is not a sane date (column open_date)`}},
	} {
		res, err := read(tt.file, corpus(t, tt.file), builtin(t, tt.dataset), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if got := errorStrings(res); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: errors\n%q\nwant\n%q", tt.file, got, tt.want)
		}
	}
}

// TestCorpusCorruptionNeverPartial flips bytes all through a workbook: each
// damaged copy is refused with a plain message, or, where the damage is in
// bytes nothing reads (a local header's copy of a name), gives every row
// unchanged. It never gives some of the rows.
func TestCorpusCorruptionNeverPartial(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	good := corpusWorkbook(t)
	want, err := read("good.xlsx", good, ds, Options{})
	if err != nil || len(want.Batch.Rows) != 40 {
		t.Fatalf("the good workbook: %v", err)
	}
	refused := 0
	for off := 0; off < len(good); off += 37 {
		b := append([]byte(nil), good...)
		b[off] ^= 0x5A
		res, err := read("bad.xlsx", b, ds, Options{})
		if err != nil {
			plainFileError(t, "bad.xlsx", err)
			refused++
			continue
		}
		if !reflect.DeepEqual(res.Batch.Rows, want.Batch.Rows) || res.ErrorCount != 0 {
			t.Errorf("byte %d flipped: %d rows, errors %q; want all 40 rows or a refusal", off, len(res.Batch.Rows), errorStrings(res))
		}
	}
	if refused == 0 {
		t.Errorf("no damaged copy was refused")
	}
}

// TestCorpusMalformedSheetXML: a zip whose checksums hold but whose sheet
// is not XML (written so by a faulty program) is refused, not read up to
// the fault.
func TestCorpusMalformedSheetXML(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	good := corpusWorkbook(t)
	const sheet = "xl/worksheets/sheet1.xml"
	for name, edit := range map[string]func(string) string{
		"control character": func(s string) string { return strings.Replace(s, "<v>80020</v>", "<v>80020\x0b</v>", 1) },
		"NUL":               func(s string) string { return strings.Replace(s, "<v>80020</v>", "<v>800\x0020</v>", 1) },
		"broken UTF-8":      func(s string) string { return strings.Replace(s, "<v>80020</v>", "<v>80020\xff</v>", 1) },
		"cut short":         func(s string) string { return s[:len(s)*2/3] },
		"cut at a tag":      func(s string) string { return s[:strings.Index(s, `<row r="30"`)] },
		"no end tag":        func(s string) string { return strings.TrimSuffix(s, "</worksheet>") },
	} {
		_, err := read("bad.xlsx", rewriteZip(t, good, sheet, edit), ds, Options{})
		want := "the workbook is damaged (part of it is not valid XML or is cut short); export or download it again and upload the new file"
		if got := plainFileError(t, "bad.xlsx", err); got != want {
			t.Errorf("%s: %q\nwant %q", name, got, want)
		}
	}
	// What well-formed XML may look like is still read.
	for name, edit := range map[string]func(string) string{
		"line breaks and tabs": func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, "<row ", "\r\n\t<row "), "</worksheet>", "</worksheet>\r\n\r\n")
		},
		"prefixed root": func(s string) string {
			s = strings.Replace(s, "<worksheet xmlns=", "<x:worksheet xmlns:x=", 1)
			return strings.Replace(s, "</worksheet>", "</x:worksheet >", 1)
		},
		"text with tabs and breaks": func(s string) string { return strings.Replace(s, "<v>80020</v>", "<v>\t80020\r\n</v>", 1) },
	} {
		res, err := read("ok.xlsx", rewriteZip(t, good, sheet, edit), ds, Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name != "prefixed root" && len(res.Batch.Rows) != 40 {
			t.Errorf("%s: %d rows; want 40", name, len(res.Batch.Rows))
		}
	}
	// A part may declare another encoding than UTF-8; excelize reads it.
	b := rewriteZip(t, good, "xl/sharedStrings.xml", func(s string) string {
		s = strings.Replace(s, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
		return strings.Replace(s, "<t>MB</t>", "<t>M\xe9</t>", 1)
	})
	res, err := read("latin1.xlsx", b, ds, Options{})
	if err != nil || len(res.Batch.Rows) != 40 || res.Batch.Rows[0].Values[1] != "Mé" {
		t.Errorf("ISO-8859-1 shared strings: %v, %v", err, res)
	}
}

func TestDeclaresUTF8(t *testing.T) {
	for doc, want := range map[string]bool{
		`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a/>`: true,
		"\xEF\xBB\xBF<?xml version='1.0' encoding='utf8'?><a/>":       true,
		`<?xml version="1.0"?><a/>`:                                   true,
		`<a encoding="latin1"/>`:                                      true,
		`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`:             false,
		`<?xml version="1.0" encoding='windows-1252'?>`:               false,
		`<?xml encoding=`:                                             true,
		``:                                                            true,
	} {
		if got := declaresUTF8([]byte(doc)); got != want {
			t.Errorf("declaresUTF8(%q) = %v; want %v", doc, got, want)
		}
	}
}

func TestClosesRoot(t *testing.T) {
	for doc, want := range map[string]bool{
		`<?xml version="1.0"?>` + "\n" + `<worksheet a="1"><sheetData/></worksheet>`: true,
		`<worksheet><sheetData/></worksheet>` + "\r\n":                               true,
		`<!-- c --><x:worksheet xmlns:x="u"></x:worksheet >`:                         true,
		`<sst xmlns="u" count="0" uniqueCount="0"/>`:                                 true,
		`<worksheet><sheetData/></work`:                                              false,
		`<worksheet><sheetData/>`:                                                    false,
		`<worksheet><sheetData/></sheetData>`:                                        false,
		`<sst count="0"/><x>`:                                                        false,
		``:                                                                           false,
		`<?xml version="1.0"?>`:                                                      false,
	} {
		b := []byte(doc)
		head, tail := b[:min(len(b), 512)], b[max(0, len(b)-64):]
		if got := closesRoot(head, tail); got != want {
			t.Errorf("closesRoot(%q) = %v; want %v", doc, got, want)
		}
	}
}

func TestCorpusAccepted(t *testing.T) {
	ridership := builtin(t, "transit_ridership")
	for _, tt := range []struct {
		file  string
		sheet string
		rows  []map[string]any
	}{
		{"hidden-sheets.xlsx", "Data", []map[string]any{
			{"month": day(2024, 7, 1), "mode": "MB", "type_of_service": "DO", "unlinked_trips": int64(81240)},
			{"month": day(2024, 8, 1), "mode": "MB", "type_of_service": "DO", "unlinked_trips": int64(79980)},
		}},
		{"merged-header.xlsx", "Ridership", []map[string]any{
			{"month": day(2024, 7, 1), "mode": "MB", "type_of_service": "DO", "unlinked_trips": int64(81240)},
			{"month": day(2024, 8, 1), "mode": "MB", "type_of_service": "DO", "unlinked_trips": int64(79980)},
		}},
		{"script-formula.xlsx", "Ridership", []map[string]any{
			{"month": day(2024, 7, 1), "mode": "MB", "type_of_service": "DO", "route": "</script><script>alert(1)</script>", "unlinked_trips": int64(81240)},
			{"month": day(2024, 7, 1), "mode": "MB", "type_of_service": "DO", "route": "=cmd|' /C calc'!A0", "unlinked_trips": int64(79980)},
		}},
	} {
		res, err := read(tt.file, corpus(t, tt.file), ridership, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if got := rowValues(res.Batch); res.Sheet != tt.sheet || !reflect.DeepEqual(got, tt.rows) || res.ErrorCount != 0 {
			t.Errorf("%s: sheet %q rows\n%v\nwant %q\n%v\nerrors %q", tt.file, res.Sheet, got, tt.sheet, tt.rows, errorStrings(res))
		}
	}

	// Every row down to the last is stepped over, and only the 10 are read.
	res, err := read("formatted-to-last-row.xlsx", corpus(t, "formatted-to-last-row.xlsx"), ridership, Options{})
	if err != nil || res.RowsRead != 10 || len(res.Batch.Rows) != 10 || res.Batch.Rows[9].Line != 11 {
		t.Errorf("formatted to the last row: %v, %+v", err, res)
	}

	revenue := builtin(t, "revenue")
	for _, tt := range []struct {
		file    string
		delim   rune
		sources []string
	}{
		{"revenue-bom.csv", ',', []string{"Peñalosa Park rentals", "Café permits – annual", "“Quoted” € fees"}},
		{"revenue-cp1252.csv", ',', []string{"Peñalosa Park rentals", "Café permits – annual", "“Quoted” € fees"}},
		{"revenue-semicolon.csv", ';', []string{"Peñalosa Park rentals", "Café permits"}},
		{"revenue-tab.txt", '\t', []string{"Peñalosa Park rentals", "Café permits"}},
		{"revenue-quoted.csv", ',', []string{`The "Hub" rentals`, "Permits\nline two, with a comma", "Fines"}},
	} {
		res, err := read(tt.file, corpus(t, tt.file), revenue, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		var got []string
		for _, r := range res.Batch.Rows {
			got = append(got, r.Values[5].(string))
		}
		if res.Delimiter != tt.delim || !reflect.DeepEqual(got, tt.sources) || res.ErrorCount != 0 {
			t.Errorf("%s: separator %q sources %q errors %q; want %q %q", tt.file, res.Delimiter, got, errorStrings(res), tt.delim, tt.sources)
		}
	}
}
