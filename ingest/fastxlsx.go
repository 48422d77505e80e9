package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"
)

// The fast sheet reader.
//
// excelize's streaming Rows decodes a sheet with encoding/xml: about 20,000
// rows a second for 8 columns, so a 200,000-row workbook took 10 s to read.
// The reader here scans the worksheet XML straight from the zip with
// xmlScanner and yields, row for row and cell for cell, what excelize's
// Rows().Columns() gives with RawCellValue: shared strings (rich text runs
// joined), inline strings, numbers, booleans, errors and dates as the
// file stores them, formulas by their cached value, positions from the r
// attributes or, where they are left out, from the order of rows and cells.
// It follows excelize's rules even where a file is odd (rows out of order
// merge into the row being read, a cell before the last one is appended at
// the end), so that switching readers changes no import; the tests compare
// the two on every workbook in the repository and under fuzzing.
//
// Dates need nothing from the styles: ingest reads a number in a date or
// month column as a serial (ParseOptions.Serial), whatever the cell's
// format, exactly as it did with excelize's raw values.
//
// excelize still opens the workbook, for the sheet list, visibility and
// the 1904 date system, but from a copy of the package without its
// worksheets and shared strings, so it never inflates them. It also reads a
// sheet whose XML declares an encoding other than UTF-8, or that the fast
// reader cannot find: then the whole file is opened with excelize.

// observeXLSX is a test seam, nil in the program: the tests set it before
// any test runs to see every workbook that Open reads, and compare the fast
// reader with excelize on each of them.
var observeXLSX func(data io.ReaderAt, size int64)

// fastXLSX is what the fast reader knows of an opened workbook.
type fastXLSX struct {
	parts   map[string]*zip.File // by name, with \ as /
	sheets  map[string]string    // sheet name -> worksheet part, as excelize maps them
	sstPart *zip.File

	sstOnce sync.Once
	sst     []string
	sstErr  error
	// sstFallback is set when the shared strings declare an encoding the
	// fast reader does not read: every sheet then goes through excelize.
	sstFallback bool

	// styles is the package excelize opened without the sheets: it says
	// which cell styles show a number as a date.
	styles *excelize.File

	// noPrefetch inflates in the scanner's goroutine (for measuring).
	noPrefetch bool

	// full is the workbook opened whole by excelize, for the fallback.
	data io.ReaderAt
	size int64
	opts excelize.Options
	full *excelize.File
}

// openXLSX opens a workbook for reading: excelize over the package without
// its worksheets and shared strings, and the fast reader over the sheets.
// When the package is laid out in a way the fast reader does not follow,
// excelize opens the whole file as before.
func (w *Workbook) openXLSX(data io.ReaderAt, size int64, opts excelize.Options) (*excelize.File, error) {
	if observeXLSX != nil {
		observeXLSX(data, size)
	}
	fx, slim := newFastXLSX(data, size)
	if fx == nil {
		if err := checkDeferred(data, size); err != nil {
			return nil, err
		}
		return excelize.OpenReader(io.NewSectionReader(data, 0, size), opts)
	}
	xl, err := excelize.OpenReader(bytes.NewReader(slim), opts)
	if err != nil {
		return xl, err
	}
	fx.data, fx.size, fx.opts = data, size, opts
	fx.styles = xl
	w.fx = fx
	return xl, nil
}

// xlsxRows opens a sheet of a workbook for reading.
func (w *Workbook) xlsxRows(sheet string) (SheetReader, error) {
	if w.fx == nil {
		return excelizeRows(w.name, w.xl, sheet)
	}
	if s, err := w.fx.rows(w.name, sheet); s != nil || err != nil {
		return s, err
	}
	full, err := w.fx.openFull()
	if err != nil {
		return nil, damaged(w.name, err)
	}
	return excelizeRows(w.name, full, sheet)
}

func excelizeRows(file string, xl *excelize.File, sheet string) (SheetReader, error) {
	rows, err := xl.Rows(sheet)
	if err != nil {
		return nil, damaged(file, err)
	}
	return &xlsxSheet{file: file, name: sheet, rows: rows}, nil
}

// closeXLSX closes what the fallback opened.
func (w *Workbook) closeXLSX() error {
	if w.fx != nil && w.fx.full != nil {
		err := w.fx.full.Close()
		w.fx.full = nil
		return err
	}
	return nil
}

func (fx *fastXLSX) openFull() (*excelize.File, error) {
	if fx.full != nil {
		return fx.full, nil
	}
	// excelize reads every sheet, the large ones left unchecked included.
	if err := checkDeferred(fx.data, fx.size); err != nil {
		return nil, err
	}
	xl, err := excelize.OpenReader(io.NewSectionReader(fx.data, 0, fx.size), fx.opts)
	if err != nil {
		if xl != nil {
			_ = xl.Close()
		}
		return nil, err
	}
	fx.full = xl
	return xl, nil
}

// Relationship types, transitional and strict.
const (
	relOfficeDocument       = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
	relOfficeDocumentStrict = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
	nsSpreadsheet           = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsSpreadsheetStrict     = "http://purl.oclc.org/ooxml/spreadsheetml/main"
	nsRelationships         = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsRelationshipsStrict   = "http://purl.oclc.org/ooxml/officeDocument/relationships"
)

type xRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Target string `xml:"Target,attr"`
		Type   string `xml:"Type,attr"`
	} `xml:"Relationship"`
}

type xWorkbook struct {
	Sheets struct {
		Sheet []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheet"`
	} `xml:"sheets"`
}

// newFastXLSX maps the sheets of the package to their parts, as excelize
// does, and builds the package excelize opens: every part but the
// worksheets and shared strings (and binary parts such as pictures), their
// compressed bytes copied as they are. It returns nil when the package is
// not laid out as the fast reader expects.
func newFastXLSX(data io.ReaderAt, size int64) (*fastXLSX, []byte) {
	zr, err := openZip(data, size)
	if err != nil {
		return nil, nil
	}
	fx := &fastXLSX{parts: map[string]*zip.File{}, sheets: map[string]string{}}
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		if _, dup := fx.parts[name]; dup {
			return nil, nil
		}
		fx.parts[name] = f
		if strings.EqualFold(name, "xl/sharedStrings.xml") {
			fx.sstPart = f
		}
	}
	readSmall := func(name string, v any) bool {
		f := fx.parts[name]
		if f == nil || f.UncompressedSize64 > 64<<20 {
			return false
		}
		rc, err := f.Open()
		if err != nil {
			return false
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return false
		}
		b = bytes.ReplaceAll(b, []byte(nsRelationshipsStrict), []byte(nsRelationships))
		b = bytes.ReplaceAll(b, []byte(nsSpreadsheetStrict), []byte(nsSpreadsheet))
		return xml.Unmarshal(b, v) == nil
	}
	var root xRels
	if !readSmall("_rels/.rels", &root) {
		return nil, nil
	}
	wbPath := ""
	for _, r := range root.Rels {
		if r.Type == relOfficeDocument || r.Type == relOfficeDocumentStrict {
			wbPath = strings.TrimPrefix(r.Target, "/")
			break
		}
	}
	if wbPath == "" {
		return nil, nil
	}
	// As excelize's getWorkbookRelsPath and getWorksheetPath.
	relsPath := "_rels/" + filepath.Base(wbPath) + ".rels"
	if dir := filepath.Dir(wbPath); dir != "." {
		relsPath = strings.TrimPrefix(dir+"/_rels/"+filepath.Base(wbPath)+".rels", "/")
	}
	var wb xWorkbook
	var rels xRels
	if !readSmall(wbPath, &wb) || !readSmall(relsPath, &rels) {
		return nil, nil
	}
	skip := map[string]bool{}
	for _, s := range wb.Sheets.Sheet {
		for _, r := range rels.Rels {
			if r.ID != s.ID {
				continue
			}
			p := filepath.ToSlash(strings.TrimPrefix(strings.ReplaceAll(filepath.Clean(filepath.Dir(wbPath)+"/"+r.Target), `\`, "/"), "/"))
			if strings.HasPrefix(r.Target, "/") {
				p = filepath.ToSlash(strings.TrimPrefix(strings.ReplaceAll(filepath.Clean(r.Target), `\`, "/"), "/"))
			}
			if fx.parts[p] != nil {
				fx.sheets[s.Name] = p
				skip[p] = true
			}
		}
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		lower := strings.ToLower(name)
		if skip[name] || f == fx.sstPart || !strings.HasSuffix(lower, ".xml") && !strings.HasSuffix(lower, ".rels") {
			continue
		}
		// excelize counts and keeps every part under xl/worksheets/sheet;
		// one the sheet list does not name is left out as well.
		if strings.HasPrefix(lower, "xl/worksheets/sheet") {
			continue
		}
		if err := zw.Copy(f); err != nil {
			return nil, nil
		}
	}
	if err := zw.Close(); err != nil {
		return nil, nil
	}
	return fx, out.Bytes()
}

// rows opens a sheet with the fast reader; nil and no error means the
// fallback must read it.
func (fx *fastXLSX) rows(file, sheet string) (SheetReader, error) {
	part := ""
	for name, p := range fx.sheets {
		if strings.EqualFold(name, sheet) {
			part = p
			break
		}
	}
	if part == "" {
		return nil, nil
	}
	if fx.loadSST(); fx.sstFallback {
		return nil, nil
	}
	f := fx.parts[part]
	rc, err := f.Open()
	if err != nil {
		return nil, damaged(file, err)
	}
	checked := checkedOnRead(f)
	if checked {
		// Checked as it is inflated, in the prefetching goroutine; Next reads
		// the part to its end so that the check is complete.
		rc = checkingReadCloser{checkingReader: &checkingReader{r: rc, pc: partChecker{cells: true}}, c: rc}
	}
	src := fx.source(rc)
	if !declaresUTF8(src.peekHead()) {
		src.Close()
		return nil, nil
	}
	return &fastSheet{file: file, name: sheet, fx: fx, src: src, x: newXMLScanner(src), checked: checked}, nil
}

// checkingReadCloser closes what its checkingReader reads.
type checkingReadCloser struct {
	*checkingReader
	c io.Closer
}

func (c checkingReadCloser) Close() error { return c.c.Close() }

// partSource is an inflating reader of a part that can show its first
// bytes before they are read.
type partSource interface {
	io.ReadCloser
	peekHead() []byte
}

func (fx *fastXLSX) source(rc io.ReadCloser) partSource {
	if fx.noPrefetch {
		return &plainSource{rc: rc}
	}
	return newPrefetchReader(rc)
}

// plainSource inflates in the reader's goroutine.
type plainSource struct {
	rc   io.ReadCloser
	head []byte
	off  int
}

func (p *plainSource) peekHead() []byte {
	if p.head == nil {
		p.head = make([]byte, 512)
		n, _ := io.ReadFull(p.rc, p.head)
		p.head = p.head[:n]
	}
	return p.head
}

func (p *plainSource) Read(b []byte) (int, error) {
	if p.off < len(p.head) {
		n := copy(b, p.head[p.off:])
		p.off += n
		return n, nil
	}
	return p.rc.Read(b)
}

func (p *plainSource) Close() error { return p.rc.Close() }

// loadSST reads the shared strings once, as excelize's sharedStringsReader:
// the root must be <sst> in the spreadsheet namespace; a missing or empty
// part is an empty table.
func (fx *fastXLSX) loadSST() {
	fx.sstOnce.Do(func() {
		if fx.sstPart == nil {
			return
		}
		rc, err := fx.sstPart.Open()
		if err != nil {
			fx.sstErr = err
			return
		}
		br := fx.source(rc)
		defer br.Close()
		if !declaresUTF8(br.peekHead()) {
			fx.sstFallback = true
			return
		}
		fx.sst, fx.sstErr = readSST(newXMLScanner(br))
	})
}

func readSST(x *xmlScanner) ([]string, error) {
	var root *xmlToken
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return nil, nil // no element at all: excelize's Decode meets io.EOF
		}
		if err != nil {
			return nil, err
		}
		if t.kind == tokStart {
			root = t
			break
		}
	}
	if string(root.local) != "sst" || !inSpreadsheetNS(root) {
		return nil, fmt.Errorf("ingest: the shared strings part has root <%s>, not <sst>", root.name)
	}
	var out []string
	var si siValue
	for {
		t, err := x.next()
		if err != nil {
			// After the root closes, excelize's Decode stops.
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		switch {
		case t.kind == tokEnd && x.depth() == 0:
			return out, nil
		case t.kind == tokStart && x.depth() == 2 && string(t.local) == "si":
			si.reset()
			if err := readSI(x, &si); err != nil {
				return out, err
			}
			out = append(out, si.String())
		case t.kind == tokStart:
			if err := x.skip(); err != nil {
				return out, err
			}
		}
	}
}

// inSpreadsheetNS reports whether the root element is in the spreadsheet
// namespace (transitional or strict), as encoding/xml resolves it.
func inSpreadsheetNS(t *xmlToken) bool {
	want := "xmlns"
	if len(t.local) < len(t.name) {
		want = "xmlns:" + string(t.name[:len(t.name)-len(t.local)-1])
	}
	ns := ""
	for _, a := range t.attrs {
		if string(a.name) == want {
			ns = string(a.value)
		}
	}
	return ns == nsSpreadsheet || ns == nsSpreadsheetStrict
}

// siValue is a string item (<si> or <is>) as excelize's xlsxSI decodes it:
// the text of its last direct <t>, then of each <r> run's last <t>.
type siValue struct {
	hasT bool
	t    []byte
	runs [][]byte // each run's text, nil for a run without <t>
	n    int      // runs in use
}

func (s *siValue) reset() { s.hasT, s.t, s.n = false, s.t[:0], 0 }

func (s *siValue) String() string {
	var b strings.Builder
	if s.hasT {
		b.Write(s.t)
	}
	for _, r := range s.runs[:s.n] {
		b.Write(r)
	}
	if b.Len() == 0 {
		return ""
	}
	return bstrUnmarshal(b.String())
}

// readSI reads the children of a string item whose start tag was just read.
func readSI(x *xmlScanner, s *siValue) error {
	d := x.depth()
	for {
		t, err := x.next()
		if err != nil {
			return err
		}
		if x.depth() < d {
			return nil // the item's end
		}
		if t.kind != tokStart {
			continue
		}
		switch string(t.local) {
		case "t":
			s.hasT = true
			if s.t, err = readChars(x, s.t[:0]); err != nil {
				return err
			}
		case "r":
			if s.n == len(s.runs) {
				s.runs = append(s.runs, nil)
			}
			s.runs[s.n] = s.runs[s.n][:0]
			run := &s.runs[s.n]
			s.n++
			if err := readRun(x, run); err != nil {
				return err
			}
		default:
			if err := x.skip(); err != nil {
				return err
			}
		}
	}
}

func readRun(x *xmlScanner, run *[]byte) error {
	d := x.depth()
	for {
		t, err := x.next()
		if err != nil {
			return err
		}
		if x.depth() < d {
			return nil
		}
		if t.kind != tokStart {
			continue
		}
		if string(t.local) == "t" {
			if *run, err = readChars(x, (*run)[:0]); err != nil {
				return err
			}
			continue
		}
		if err := x.skip(); err != nil {
			return err
		}
	}
}

// readChars appends the character data directly inside the element whose
// start tag was just read (nested elements and their text are skipped, as
// encoding/xml does for a string or chardata field), and reads its end.
func readChars(x *xmlScanner, dst []byte) ([]byte, error) {
	d := x.depth()
	keep := x.wantText
	defer func() { x.wantText = keep }()
	for {
		x.wantText = true
		t, err := x.next()
		if err != nil {
			return dst, err
		}
		switch {
		case x.depth() < d:
			return dst, nil
		case t.kind == tokText:
			dst = append(dst, t.text...)
		case t.kind == tokStart:
			if err := x.skip(); err != nil {
				return dst, err
			}
		}
	}
}

var bstrExp = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)

// bstrUnmarshal decodes the _xHHHH_ escapes of string items, as excelize
// does (its function of the same name).
func bstrUnmarshal(s string) (result string) {
	if !strings.Contains(s, "_x") {
		return s
	}
	matches, l, cursor := bstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			result += "_"
			continue
		}
		if bstrExp.MatchString(subStr) {
			cursor = match[1]
			v, _ := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`)
			result += v
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}

// fastSheet reads one sheet. Its fields and steps follow excelize's Rows
// (curRow, seekRow, the pending row token) so that rows come out the same.
type fastSheet struct {
	file, name string
	fx         *fastXLSX
	src        io.ReadCloser
	x          *xmlScanner

	curRow, seekRow int
	// pending is a <row> start read ahead by advance (excelize's
	// rows.token), with the row number and error of its r attribute.
	pending    bool
	pendingNum int
	pendingErr error

	err    error // a fatal problem: excelize's rows.err, or malformed XML
	done   bool
	merged []string

	si    siValue
	v     []byte
	ref   []byte
	width int // the most cells a row has had: the next row's capacity
	// checked is set when the part is checked as it is read (checkedOnRead):
	// it must then be read to its end.
	checked bool
	// dates are the date-styled columns of the row columns read last.
	dates []int
	// styleDates caches dateStyle by style index: 1 a date, 2 not, 0 not
	// yet asked.
	styleDates []int8
}

func (s *fastSheet) Sheet() string { return s.name }

func (s *fastSheet) Next() (RawRow, error) {
	if s.done {
		return RawRow{}, io.EOF
	}
	if !s.advance() {
		if s.err == nil && s.checked {
			// The rows are done: read the rest of the part, through the
			// check, noting merged cells on the way.
			s.MergedCells()
		}
		s.done = true
		if s.err != nil {
			return s.fail(s.err)
		}
		return RawRow{}, io.EOF
	}
	cells, err := s.columns()
	if err == nil {
		err = s.err
	}
	if err != nil {
		return s.fail(err)
	}
	return RawRow{Line: s.seekRow, Cells: cells, Dates: s.dates}, nil
}

// fail ends the sheet on err. For a part checked as it is read, the check
// of the whole part says best what is wrong: garbage inflated from a
// corrupt stretch makes malformed XML before the zip reader finds the
// corruption, so the rest of the part is read to hear the check's verdict.
func (s *fastSheet) fail(err error) (RawRow, error) {
	s.done = true
	if s.checked && s.src != nil {
		if _, cerr := io.Copy(io.Discard, s.src); cerr != nil {
			err = cerr
		}
		return RawRow{}, damagedPart(s.file, err)
	}
	return RawRow{}, damaged(s.file, err)
}

func (s *fastSheet) Close() error {
	if s.src != nil {
		s.src.Close()
		s.src = nil
	}
	return nil
}

// tokenErr records why the scanner stopped; io.EOF is no problem.
func (s *fastSheet) tokenErr(err error) {
	if !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
}

// advance is excelize's Rows.Next.
func (s *fastSheet) advance() bool {
	if s.err != nil {
		return false
	}
	s.seekRow++
	if s.curRow >= s.seekRow {
		return true
	}
	for {
		t, err := s.x.next()
		if t == nil {
			s.tokenErr(err)
			return false
		}
		switch t.kind {
		case tokStart:
			switch string(t.local) {
			case "row":
				s.curRow++
				num, aerr := attrInt(t, "r")
				if num > excelize.TotalRows {
					s.err = excelize.ErrMaxRows
					return false
				}
				if num != 0 {
					s.curRow = num
				}
				s.pending, s.pendingNum, s.pendingErr = true, num, aerr
				return true
			case "mergeCell":
				s.noteMerge(t)
			}
		case tokEnd:
			if string(t.local) == "sheetData" {
				return false
			}
		}
	}
}

// rowIter is excelize's rowXMLIterator.
type rowIter struct {
	err     error
	cellCol int
	cells   []string
	dates   []int // columns whose number the cell's style shows as a date
}

// columns is excelize's Rows.Columns with raw cell values.
func (s *fastSheet) columns() ([]string, error) {
	if s.curRow > s.seekRow {
		return nil, nil
	}
	if s.fx.loadSST(); s.fx.sstErr != nil {
		return nil, s.fx.sstErr
	}
	it := rowIter{cells: make([]string, 0, s.width)}
	defer func() {
		s.width = max(s.width, len(it.cells))
		s.dates = it.dates
	}()
	for {
		var t *xmlToken
		fromPending := s.pending
		if !fromPending {
			s.x.skipSpace()
			if s.fastCell(&it) {
				if it.err != nil {
					return it.cells, it.err
				}
				continue
			}
			var err error
			if t, err = s.x.next(); t == nil {
				s.tokenErr(err)
				break
			}
			if t.kind == tokEnd {
				if string(t.local) == "sheetData" {
					return it.cells, it.err
				}
				continue
			}
			if t.kind != tokStart {
				continue
			}
		}
		local := "row"
		if !fromPending {
			local = string(t.local)
		}
		if local == "row" {
			var num int
			if fromPending {
				num, it.err = s.pendingNum, s.pendingErr
			} else {
				num, it.err = attrInt(t, "r")
			}
			switch {
			case num > excelize.TotalRows:
				s.err, s.pending = excelize.ErrMaxRows, false
				return it.cells, s.err
			case num != 0:
				s.curRow = num
			case !fromPending:
				s.curRow++
			}
			if s.curRow > s.seekRow {
				s.pending = false
				return it.cells, it.err
			}
		} else if local == "c" {
			s.cell(t, &it)
		}
		if it.err != nil {
			s.pending = false
			return it.cells, it.err
		}
		s.pending = false
	}
	return it.cells, it.err
}

// cellData is what one <c> element holds, as excelize's xlsxC.
type cellData struct {
	ref     []byte
	typ     string
	hasV    bool
	v       []byte // valid until the next token
	hasF    bool
	hasIS   bool // s.si holds the inline string
	attrsOK bool
	style   int // the s attribute: 0 when absent, -1 when too large to matter
}

// cell is excelize's rowXMLHandler and cellXMLHandler for one <c> whose
// start tag t was just read.
func (s *fastSheet) cell(t *xmlToken, it *rowIter) {
	cd := cellData{attrsOK: true}
	for _, a := range t.attrs {
		switch string(a.local) {
		case "r":
			cd.ref = append(s.ref[:0], a.value...)
			s.ref = cd.ref
		case "s":
			n, ok := smallIndex(a.value)
			cd.style = n
			if !ok {
				cd.style = -1
				if _, err := strconv.ParseInt(string(a.value), 10, 64); err != nil {
					cd.attrsOK = false
				}
			}
		case "t":
			cd.typ = cellType(a.value)
		}
		if !cd.attrsOK {
			break
		}
	}
	if cd.attrsOK {
		// The start's name is in the scanner's stack until the cell ends.
		d := s.x.depth()
		for {
			c, err := s.x.next()
			if c == nil {
				s.tokenErr(err)
				break
			}
			if s.x.depth() < d {
				break // the cell's end (or a self-closing <c/>)
			}
			if c.kind != tokStart {
				continue
			}
			switch string(c.local) {
			case "v":
				cd.hasV = true
				s.v, err = readChars(s.x, s.v[:0])
				cd.v = s.v
			case "f":
				cd.hasF = true
				err = s.x.skip()
			case "is":
				if !cd.hasIS {
					s.si.reset()
				}
				cd.hasIS = true
				err = readSI(s.x, &s.si)
			}
			if err != nil {
				s.tokenErr(err)
				break
			}
		}
	}
	s.finishCell(&cd, it)
}

// finishCell places a cell's value in the row, as excelize's
// rowXMLHandler does.
func (s *fastSheet) finishCell(cd *cellData, it *rowIter) {
	it.cellCol++
	if len(cd.ref) > 0 {
		col, err := cellColumn(cd.ref)
		if err != nil {
			it.err = err
			return
		}
		it.cellCol = col
	}
	var v []byte
	if cd.hasV {
		v = cd.v
	}
	val := s.value(cd.typ, v, cd.hasIS)
	if val != "" || cd.hasF {
		for i := len(it.cells) + 1; i < it.cellCol; i++ {
			it.cells = append(it.cells, "")
		}
		it.cells = append(it.cells, val)
		if val != "" && (cd.typ == "" || cd.typ == "n") && s.dateStyle(cd.style) {
			it.dates = append(it.dates, len(it.cells)-1)
		}
	}
}

// dateStyle says whether the cell style idx shows a number as a date,
// asking excelize once per style and sheet.
func (s *fastSheet) dateStyle(idx int) bool {
	if idx < 0 || idx >= 1<<16 {
		return idx >= 0 && s.fx.dateStyle(idx)
	}
	if idx < len(s.styleDates) && s.styleDates[idx] != 0 {
		return s.styleDates[idx] == 1
	}
	if idx >= len(s.styleDates) {
		s.styleDates = append(s.styleDates, make([]int8, idx+1-len(s.styleDates))...)
	}
	d := s.fx.dateStyle(idx)
	s.styleDates[idx] = 2
	if d {
		s.styleDates[idx] = 1
	}
	return d
}

// dateFormat says whether a number format shows a date: one of Excel's
// built-in date formats (m/d/yyyy, d-mmm-yy, ..., and the East Asian
// ones), or a custom format with a year, a day or a month name, once
// quoted text, escaped characters, padding and [sections] are left out.
// Times of day alone (h:mm) are not dates.
func dateFormat(id int, code string) bool {
	switch {
	case id >= 14 && id <= 17, id == 22, id >= 27 && id <= 36, id >= 50 && id <= 58:
		return true
	case code == "":
		return false
	}
	// Only the format for positive numbers decides.
	var b strings.Builder
	quoted := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case quoted:
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == '\\' || c == '_' || c == '*':
			i++ // the next character is shown as it is, or pads
		case c == '[':
			if k := strings.IndexByte(code[i:], ']'); k > 0 {
				i += k
			}
		case c == ';':
			i = len(code)
		default:
			b.WriteByte(c | 0x20) // lower case for letters
		}
	}
	f := b.String()
	return strings.ContainsAny(f, "yd") || strings.Contains(f, "mmm")
}

// dateStyle says whether the cell style idx shows a number as a date.
func (fx *fastXLSX) dateStyle(idx int) bool {
	if fx.styles == nil {
		return false
	}
	st, err := fx.styles.GetStyle(idx)
	if err != nil || st == nil {
		return false
	}
	code := ""
	if st.CustomNumFmt != nil {
		code = *st.CustomNumFmt
	}
	return dateFormat(st.NumFmt, code)
}

// fastCell reads a <c> element of the usual shapes in one step, without
// the general tokenizer:
//
//	<c r="A1" s="1" t="s"/>   <c ...><v>TEXT</v></c>   <c ...></c>
//	<c ... t="inlineStr"><is><t>TEXT</t></is></c>  (<t> may have attributes)
//
// with no prefixes, entities, carriage returns, comments or formulas. It
// reports false, having consumed nothing, for anything else, which the
// general path then reads.
func (s *fastSheet) fastCell(it *rowIter) bool {
	x := s.x
	if x.end-x.pos < 2048 && !x.eof {
		x.fill()
	}
	b := x.buf[x.pos:x.end]
	if len(b) < 4 || b[0] != '<' || b[1] != 'c' || b[2] != ' ' && b[2] != '>' && b[2] != '/' {
		return false
	}
	cd := cellData{attrsOK: true}
	i := 2
	// Attributes: name="value" or name='value'.
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return false
		}
		if b[i] == '>' || b[i] == '/' {
			break
		}
		j := i
		for j < len(b) && isNameByte(b[j]) && b[j] != ':' {
			j++
		}
		if j == i || j+1 >= len(b) || b[j] != '=' || b[j+1] != '"' && b[j+1] != '\'' {
			return false
		}
		// The value runs to the closing quote: one pass over its few
		// bytes, which must hold no entity, tag or carriage return.
		q := b[j+1]
		k := j + 2
		for ; k < len(b) && b[k] != q; k++ {
			if c := b[k]; c == '&' || c == '<' || c == '\r' {
				return false
			}
		}
		if k >= len(b) {
			return false
		}
		val := b[j+2 : k]
		k -= j + 2
		switch string(b[i:j]) {
		case "r":
			cd.ref = val
		case "s":
			n, ok := smallIndex(val)
			if !ok {
				return false
			}
			cd.style = n
		case "t":
			cd.typ = cellType(val)
		}
		i = j + 2 + k + 1
	}
	if b[i] == '/' {
		if i+1 >= len(b) || b[i+1] != '>' {
			return false
		}
		i += 2
	} else {
		i++ // '>'
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("</c>")):
			i += 4
		case bytes.HasPrefix(rest, []byte("<v>")):
			// A value is a number or an index: a few bytes, read in one
			// pass that stops at the tag after them.
			k := 3
			for ; k < len(rest) && rest[k] != '<'; k++ {
				if c := rest[k]; c == '&' || c == '\r' {
					return false
				}
			}
			k -= 3
			text := rest[3 : 3+k]
			if !bytes.HasPrefix(rest[3+k:], []byte("</v></c>")) {
				return false
			}
			cd.hasV, cd.v = true, text
			i += 3 + k + len("</v></c>")
		case bytes.HasPrefix(rest, []byte("<is><t")):
			j := 6
			if j >= len(rest) {
				return false
			}
			if rest[j] != '>' {
				if !isSpace(rest[j]) {
					return false
				}
				gt := bytes.IndexByte(rest[j:], '>')
				if gt < 0 {
					return false
				}
				attrs := rest[j : j+gt]
				if bytes.ContainsAny(attrs, "/&<\r") {
					return false
				}
				j += gt
			}
			j++ // '>'
			k := bytes.IndexByte(rest[j:], '<')
			if k < 0 {
				return false
			}
			text := rest[j : j+k]
			if !plainText(text) || !bytes.HasPrefix(rest[j+k:], []byte("</t></is></c>")) {
				return false
			}
			s.si.reset()
			s.si.hasT = true
			s.si.t = append(s.si.t, text...)
			cd.hasIS = true
			i += j + k + len("</t></is></c>")
		default:
			return false
		}
	}
	if len(cd.ref) > 0 {
		// The reference points into the buffer: copy before moving on.
		s.ref = append(s.ref[:0], cd.ref...)
		cd.ref = s.ref
	}
	if cd.hasV {
		s.v = append(s.v[:0], cd.v...)
		cd.v = s.v
	}
	x.pos += i
	s.finishCell(&cd, it)
	return true
}

// plainText is text the tokenizer would pass through unchanged.
func plainText(b []byte) bool {
	return bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\r') < 0
}

// cellType interns the usual values of the t attribute.
func cellType(b []byte) string {
	switch string(b) {
	case "s":
		return "s"
	case "str":
		return "str"
	case "inlineStr":
		return "inlineStr"
	case "n":
		return "n"
	case "b":
		return "b"
	case "e":
		return "e"
	case "d":
		return "d"
	}
	return string(b)
}

// value is excelize's getValueFrom with raw values.
func (s *fastSheet) value(typ string, v []byte, hasIS bool) string {
	switch typ {
	case "s":
		if len(v) == 0 {
			return ""
		}
		i, ok := smallIndex(v)
		if !ok {
			i, _ = strconv.Atoi(strings.TrimSpace(string(v)))
		}
		if i < 0 || i >= len(s.fx.sst) {
			return "" // excelize reports the bad index, and the caller drops it
		}
		return s.fx.sst[i]
	case "inlineStr":
		if hasIS {
			return s.si.String()
		}
	}
	return string(v)
}

// smallIndex reads a shared-string index written plainly.
func smallIndex(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// attrInt is excelize's attrValToInt.
func attrInt(t *xmlToken, name string) (val int, err error) {
	for _, a := range t.attrs {
		if string(a.local) == name {
			if n, ok := smallIndex(a.value); ok {
				val = n
				continue
			}
			val, err = strconv.Atoi(string(a.value))
			if err != nil {
				return
			}
		}
	}
	return
}

// cellColumn is the 1-based column of a cell reference, with excelize's
// CellNameToCoordinates' errors.
func cellColumn(ref []byte) (int, error) {
	col, i := 0, 0
	for i < len(ref) && i < 3 && 'A' <= ref[i] && ref[i] <= 'Z' {
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	if i > 0 && i < len(ref) && len(ref)-i <= 7 && ref[i] != '0' && col <= excelize.MaxColumns {
		row, ok := smallIndex(ref[i:])
		if ok && row >= 1 && row <= excelize.TotalRows {
			return col, nil
		}
	}
	col, _, err := excelize.CellNameToCoordinates(string(ref))
	return col, err
}

func (s *fastSheet) noteMerge(t *xmlToken) {
	for _, a := range t.attrs {
		if string(a.local) == "ref" {
			s.merged = append(s.merged, string(a.value))
		}
	}
}

// MergedCells reads the rest of the sheet and returns its merged ranges
// (A1:F1), which sit after the rows.
func (s *fastSheet) MergedCells() ([]string, error) {
	for s.err == nil {
		t, err := s.x.next()
		if t == nil {
			s.tokenErr(err)
			break
		}
		if t.kind == tokStart && string(t.local) == "mergeCell" {
			s.noteMerge(t)
		}
	}
	s.done = true
	return s.merged, s.err
}

// prefetchReader inflates a part in its own goroutine, a chunk ahead of the
// scanner, so that on two cores inflating and scanning overlap.
type prefetchReader struct {
	src   io.ReadCloser
	full  chan []byte
	free  chan []byte
	stop  chan struct{}
	done  chan struct{}
	err   error // set before done is closed
	cur   []byte
	head  []byte
	once  sync.Once
	ended bool
}

const prefetchChunk = 256 << 10

func newPrefetchReader(src io.ReadCloser) *prefetchReader {
	p := &prefetchReader{src: src, full: make(chan []byte, 4), free: make(chan []byte, 6), stop: make(chan struct{}), done: make(chan struct{})}
	for range 6 {
		p.free <- make([]byte, prefetchChunk)
	}
	go p.run()
	return p
}

func (p *prefetchReader) run() {
	defer close(p.done)
	defer close(p.full)
	for {
		var b []byte
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		n, err := io.ReadFull(p.src, b[:cap(b)])
		if n > 0 {
			select {
			case p.full <- b[:n]:
			case <-p.stop:
				return
			}
		}
		if err != nil {
			// io.ReadFull's own end-of-part errors, not a wrapped one.
			if err != io.EOF && err != io.ErrUnexpectedEOF {
				p.err = err
			}
			return
		}
	}
}

// peekHead returns the first bytes of the part without consuming them.
func (p *prefetchReader) peekHead() []byte {
	if p.cur == nil && !p.ended {
		b, ok := <-p.full
		if !ok {
			p.ended = true
			return nil
		}
		p.cur = b
		p.head = b
	}
	return p.cur[:min(len(p.cur), 512)]
}

func (p *prefetchReader) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.head != nil {
			p.recycle(p.head)
			p.head = nil
		}
		if p.ended {
			<-p.done
			if p.err != nil {
				return 0, p.err
			}
			return 0, io.EOF
		}
		c, ok := <-p.full
		if !ok {
			p.ended = true
			continue
		}
		p.cur, p.head = c, c
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

func (p *prefetchReader) recycle(b []byte) {
	select {
	case p.free <- b[:cap(b)]:
	default:
	}
}

func (p *prefetchReader) Close() error {
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		p.src.Close()
	})
	return nil
}
