package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// RawRow is one row of a sheet as the file stores it: raw cell text (Excel's
// raw values, so numbers unformatted and dates as serial numbers), not yet
// trimmed or typed.
type RawRow struct {
	// Line is the 1-based row number: the sheet's row, or for CSV the row
	// the record would have in Excel (blank lines count, a quoted field
	// spanning lines does not).
	Line int
	// Cells[i] is the cell in column i (A is 0). Trailing blank cells may be
	// left out, so guard the index (Cell does).
	Cells []string
	// Dates lists, in order, the columns whose number the cell's style
	// shows as a date (workbooks read by the fast reader; nil otherwise).
	// The cell itself holds the serial number, as Excel stores it.
	Dates []int
}

// IsDate reports whether the cell in column col is a number shown as a date.
func (r RawRow) IsDate(col int) bool {
	for _, c := range r.Dates {
		if c == col {
			return true
		}
	}
	return false
}

// Cell returns the raw text of column col (A is 0), "" beyond the row.
func (r RawRow) Cell(col int) string {
	if col < 0 || col >= len(r.Cells) {
		return ""
	}
	return r.Cells[col]
}

// Ref is the cell reference of column col (A is 0) in the row: "C7".
func (r RawRow) Ref(col int) string { return CellRef(col, r.Line) }

// Blank reports whether every cell of the row is empty or white space.
func (r RawRow) Blank() bool {
	for _, c := range r.Cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// CellRef names a cell the way a spreadsheet does: column col (A is 0) and
// 1-based row line, as "C7".
func CellRef(col, line int) string {
	return ColumnLetters(col) + strconv.Itoa(line)
}

// ColumnLetters is the spreadsheet name of column col (A is 0): A, Z, AA.
func ColumnLetters(col int) string {
	if col < 0 {
		return "?"
	}
	var b [8]byte
	i := len(b)
	for n := col + 1; n > 0 && i > 0; n = (n - 1) / 26 {
		i--
		b[i] = byte('A' + (n-1)%26)
	}
	return string(b[i:])
}

// SheetReader streams the rows of one sheet in order, blank rows included.
type SheetReader interface {
	// Sheet is the sheet's name (for CSV, the file's base name).
	Sheet() string
	// Next returns the next row, or io.EOF after the last. A damaged file
	// is a *FileError.
	Next() (RawRow, error)
	Close() error
}

// SheetInfo describes a sheet of a workbook.
type SheetInfo struct {
	Name    string
	Visible bool
}

// Workbook is an opened source file: an xlsx workbook, or a CSV file seen as
// a workbook of one sheet named after the file.
type Workbook struct {
	name   string
	kind   Kind
	sheets []SheetInfo
	po     ParseOptions

	xl *excelize.File
	// fx reads the sheets of a workbook (fastxlsx.go); nil when excelize
	// reads them.
	fx *fastXLSX

	data  io.ReaderAt
	size  int64
	enc   textEncoding
	delim rune
}

// Limits of what an xlsx file may unpack to: a data workbook is far
// smaller, and the limits refuse a zip bomb before it inflates.
const (
	DefaultUnzipSizeLimit    = 1 << 30   // the whole workbook
	DefaultUnzipXMLSizeLimit = 256 << 20 // one sheet held in memory; larger ones go to a temporary file
)

// Open finds what the file holds from its bytes and opens it for reading.
// A file ingest cannot read is a *FileError whose message says what it is
// and what to do. Close the workbook when done: a large xlsx sheet may be
// unpacked to a temporary file.
func Open(name string, data io.ReaderAt, size int64, opt Options) (*Workbook, error) {
	opt = opt.withDefaults()
	kind, enc, err := detect(name, data, size, opt.UnzipSizeLimit)
	if err != nil {
		return nil, err
	}
	w := &Workbook{name: name, kind: kind, data: data, size: size, enc: enc}
	if kind == KindCSV {
		w.sheets = []SheetInfo{{Name: baseName(name), Visible: true}}
		w.delim = opt.Delimiter
		if w.delim == 0 {
			w.delim = w.sniffDelimiter()
		}
		return w, nil
	}
	xl, err := w.openXLSX(data, size, excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    opt.UnzipSizeLimit,
		UnzipXMLSizeLimit: opt.UnzipXMLSizeLimit,
	})
	if err != nil {
		if xl != nil {
			_ = xl.Close()
		}
		return nil, damaged(name, err)
	}
	w.xl = xl
	if props, err := xl.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		w.po.Date1904 = *props.Date1904
	}
	w.po.Serial = true
	for _, s := range xl.GetSheetList() {
		vis, err := xl.GetSheetVisible(s)
		w.sheets = append(w.sheets, SheetInfo{Name: s, Visible: err == nil && vis})
	}
	if len(w.sheets) == 0 {
		_ = xl.Close()
		return nil, fileErr(name, "the workbook has no sheets; open it in Excel, check it holds the data and save it again")
	}
	return w, nil
}

func damaged(name string, err error) *FileError {
	return fileErr(name, "the workbook is damaged and cannot be read%s; open it in Excel, save it again as .xlsx and upload that", damage(err))
}

// baseName is the last element of a path written with / or \ (browsers on
// Windows may send C:\Users\...\file.csv).
func baseName(name string) string {
	b := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if b == "." || b == "/" {
		return name
	}
	return b
}

// Name is the file's name as given to Open.
func (w *Workbook) Name() string { return w.name }

// Kind is what the file holds.
func (w *Workbook) Kind() Kind { return w.kind }

// Sheets lists the sheets in workbook order.
func (w *Workbook) Sheets() []SheetInfo { return append([]SheetInfo(nil), w.sheets...) }

// ParseOptions is how values of this file are written: workbook cells store
// dates as serial numbers, CSV files as text.
func (w *Workbook) ParseOptions() ParseOptions { return w.po }

// Delimiter is the CSV field separator in use (0 for a workbook).
func (w *Workbook) Delimiter() rune { return w.delim }

// Close releases the workbook's temporary files.
func (w *Workbook) Close() error {
	err := w.closeXLSX()
	if w.xl != nil {
		if cerr := w.xl.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Rows streams the rows of a sheet, from row 1.
func (w *Workbook) Rows(sheet string) (SheetReader, error) {
	if w.kind == KindCSV {
		if sheet != w.sheets[0].Name {
			return nil, fmt.Errorf("ingest: %s has no sheet %q", w.name, sheet)
		}
		return w.csvRows(w.delim), nil
	}
	return w.xlsxRows(sheet)
}

type xlsxSheet struct {
	file, name string
	rows       *excelize.Rows
	line       int
	done       bool
}

func (s *xlsxSheet) Sheet() string { return s.name }

func (s *xlsxSheet) Next() (RawRow, error) {
	if s.done {
		return RawRow{}, io.EOF
	}
	// Rows.Next steps one row number at a time, also over rows the sheet
	// leaves out, so counting calls gives the row number.
	if !s.rows.Next() {
		s.done = true
		if err := s.rows.Error(); err != nil {
			return RawRow{}, damaged(s.file, err)
		}
		return RawRow{}, io.EOF
	}
	s.line++
	cells, err := s.rows.Columns()
	if err != nil {
		s.done = true
		return RawRow{}, damaged(s.file, err)
	}
	return RawRow{Line: s.line, Cells: cells}, nil
}

func (s *xlsxSheet) Close() error { return s.rows.Close() }

// decodedText is the file's text as UTF-8, without a byte-order mark.
func (w *Workbook) decodedText() io.Reader {
	r := io.Reader(io.NewSectionReader(w.data, 0, w.size))
	switch w.enc {
	case encWindows1252:
		return transform.NewReader(r, charmap.Windows1252.NewDecoder())
	default:
		// BOMOverride drops a UTF-8 BOM and decodes UTF-16 by its BOM.
		return transform.NewReader(r, unicode.BOMOverride(transform.Nop))
	}
}

func (w *Workbook) csvRows(delim rune) *csvSheet {
	cr := csv.NewReader(w.decodedText())
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	return &csvSheet{file: w.name, name: w.sheets[0].Name, r: cr}
}

type csvSheet struct {
	file, name string
	r          *csv.Reader
	row        int // row number of the last record returned
	endLine    int // text line the last record ended on
	done       bool
}

func (s *csvSheet) Sheet() string { return s.name }

func (s *csvSheet) Next() (RawRow, error) {
	if s.done {
		return RawRow{}, io.EOF
	}
	rec, err := s.r.Read()
	if err != nil {
		s.done = true
		if errors.Is(err, io.EOF) {
			return RawRow{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			what := pe.Err.Error()
			switch {
			case errors.Is(pe.Err, csv.ErrBareQuote):
				what = `a " inside a field that is not in quotes`
			case errors.Is(pe.Err, csv.ErrQuote):
				what = `a field in quotes is not closed, or has text after its closing "`
			}
			return RawRow{}, fileErr(s.file, "the CSV is malformed at line %d (%s); save it again as CSV from Excel, or put quotes around fields that contain quotes", pe.Line, what)
		}
		return RawRow{}, fmt.Errorf("ingest: read %s: %w", s.file, err)
	}
	// encoding/csv skips empty lines; Excel shows them as rows, so count
	// them to keep row numbers the ones the user sees.
	if n := len(rec); n > 0 { // encoding/csv never returns an empty record; FieldPos would panic on one
		start, _ := s.r.FieldPos(0)
		s.row += 1 + max(start-s.endLine-1, 0)
		last, _ := s.r.FieldPos(n - 1)
		s.endLine = last + strings.Count(rec[n-1], "\n")
	} else {
		s.row++
	}
	return RawRow{Line: s.row, Cells: rec}, nil
}

func (s *csvSheet) Close() error { return nil }

// delimiters are the separators ingest recognises, the usual first.
var delimiters = []rune{',', ';', '\t', '|'}

// sniffDelimiter guesses the separator from the first records: the one
// that splits most of them into the same number of fields (more than one).
func (w *Workbook) sniffDelimiter() rune {
	best, bestScore := ',', 0
	for _, d := range delimiters {
		rows := w.peek(d, 20)
		counts := map[int]int{}
		score := 0
		for _, r := range rows {
			if len(r.Cells) > 1 {
				counts[len(r.Cells)]++
				score = max(score, counts[len(r.Cells)])
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// peek reads up to n non-blank rows with delimiter d, stopping quietly at
// the first malformed record.
func (w *Workbook) peek(d rune, n int) []RawRow {
	s := w.csvRows(d)
	var out []RawRow
	for len(out) < n {
		r, err := s.Next()
		if err != nil {
			break
		}
		if !r.Blank() {
			out = append(out, r)
		}
	}
	return out
}
