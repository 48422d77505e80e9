package ingest

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/plandash/plandash/internal/plan"
)

// Row is one source row mapped onto the dataset's columns.
type Row struct {
	Sheet string
	// Line is the 1-based row number in the sheet; for CSV the row the
	// record has when the file is opened in Excel. The header is a row.
	Line int
	// Values is aligned with Batch.Columns; nil is missing. A value is a
	// string, int64, float64, Money, time.Time (UTC midnight; a month is its
	// first day) or bool; a fiscal_year is the int64 year it ends in.
	Values []any
}

// Batch is the typed rows of one dataset read from one file.
type Batch struct {
	Dataset *plan.Dataset
	Columns []string // every dataset column name, in dataset order
	// Rows holds the rows without errors; rows with an error are listed
	// in Result.Rejected and Result.Errors instead.
	Rows []Row
	// stream yields the rows instead, one at a time (ReadRequest.Stream).
	stream *rowStream
}

// CellError is a cell whose value cannot be taken.
type CellError struct {
	Sheet   string // the sheet; for CSV the file's base name
	Cell    string // "C7"
	Row     int
	Column  string // dataset column
	Value   string // the cell's text, trimmed (shortened when very long)
	Message string // reads after the value: "is not a number"
}

// String reads `Revenue!F17: "1,2.34" is not a number (column actual)`.
func (e CellError) String() string {
	if e.Value == "" {
		return fmt.Sprintf("%s!%s: a value %s (column %s)", e.Sheet, e.Cell, e.Message, e.Column)
	}
	return fmt.Sprintf("%s!%s: %q %s (column %s)", e.Sheet, e.Cell, e.Value, e.Message, e.Column)
}

// Result is what reading one file for one dataset found.
type Result struct {
	File      string
	Sheet     string
	HeaderRow int // row number of the header
	Mapping   []ColumnMatch
	Ignored   []string // headers that matched no column
	Batch     *Batch
	RowsRead  int // data rows seen (blank rows not counted)
	// Rejected lists the row numbers of every row with at least one error
	// (all of them, unlike Errors).
	Rejected   []int
	Errors     []CellError // the first Options.MaxErrors errors
	ErrorCount int         // all errors
	Delimiter  rune        // the CSV separator used; 0 for a workbook
}

// Options tune reading. The zero value is ready to use.
type Options struct {
	// MaxErrors caps Result.Errors (default 100); ErrorCount counts all.
	MaxErrors int
	// Place fills column defaults such as "{place.city}".
	Place plan.Place
	// MaxCellBytes is the largest cell taken (default 32 KiB); a larger
	// cell is a cell error.
	MaxCellBytes int
	// Delimiter is the CSV separator; 0 finds it from the header row.
	Delimiter rune
	// UnzipSizeLimit and UnzipXMLSizeLimit bound what an xlsx file
	// unpacks to (defaults DefaultUnzipSizeLimit and
	// DefaultUnzipXMLSizeLimit).
	UnzipSizeLimit    int64
	UnzipXMLSizeLimit int64
	// plan, set by Read, checks the columns that refer to its ids.
	plan *plan.Plan
}

// DefaultMaxErrors and DefaultMaxCellBytes are the defaults of Options.
const (
	DefaultMaxErrors    = 100
	DefaultMaxCellBytes = 32 << 10
)

func (o Options) withDefaults() Options {
	if o.MaxErrors <= 0 {
		o.MaxErrors = DefaultMaxErrors
	}
	if o.MaxCellBytes <= 0 {
		o.MaxCellBytes = DefaultMaxCellBytes
	}
	if o.UnzipSizeLimit <= 0 {
		o.UnzipSizeLimit = DefaultUnzipSizeLimit
	}
	if o.UnzipXMLSizeLimit <= 0 {
		o.UnzipXMLSizeLimit = DefaultUnzipXMLSizeLimit
	}
	if o.UnzipXMLSizeLimit > o.UnzipSizeLimit {
		o.UnzipXMLSizeLimit = o.UnzipSizeLimit
	}
	return o
}

// ReadTemplate reads a city's own template file for one dataset: an .xlsx
// or .csv file (told apart by content) whose header row names the dataset's
// columns by name, title or alias, with title rows above allowed. Of a
// workbook it reads the visible sheet whose header names most columns.
// Every value is parsed by its column's type.
//
// A problem with the whole file (not a spreadsheet, no header row, a
// required column missing, two headers for one column) is a *FileError; a
// bad value is a CellError in the Result, and the caller decides what a file
// with errors means. Other errors are I/O failures or a dataset ingest
// cannot use.
func ReadTemplate(name string, data io.ReaderAt, size int64, ds *plan.Dataset, opt Options) (*Result, error) {
	if err := checkDataset(ds); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	w, err := Open(name, data, size, opt)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	tr, err := startTemplate(w, ds, opt)
	if err != nil {
		return nil, err
	}
	defer tr.close()
	for {
		row, err := tr.next()
		if errors.Is(err, io.EOF) {
			return tr.res, nil
		}
		if err != nil {
			return nil, err
		}
		tr.res.Batch.Rows = append(tr.res.Batch.Rows, row)
	}
}

// templateRead is a template being read row by row: its header found and
// mapped, its data rows still to come.
type templateRead struct {
	res  *Result
	sc   *scanned
	r    rowReader
	rest []RawRow // rows read ahead after the header
	// out holds the row take produced, if any.
	out     Row
	haveOut bool
	done    bool
}

// startTemplate finds and maps the header of the dataset's template in an
// opened file.
func startTemplate(w *Workbook, ds *plan.Dataset, opt Options) (*templateRead, error) {
	if err := checkDataset(ds); err != nil {
		return nil, err
	}
	name := w.Name()
	m := NewMatcher(ds)
	sc, err := pickSheet(w, m, opt)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			sc.sheet.Close()
		}
	}()
	sheet := sc.sheet.Sheet()
	hrow := sc.rows[sc.header]
	loc := fmt.Sprintf("header row %d", hrow.Line)
	if w.Kind() == KindXLSX {
		loc = fmt.Sprintf("sheet %q, header row %d", sheet, hrow.Line)
	}
	h, err := m.MapHeader(name, loc, hrow)
	if err != nil {
		return nil, err
	}
	defaults, err := columnDefaults(ds, h, opt.Place)
	if err != nil {
		return nil, err
	}
	var missing []*plan.Column
	for i, c := range ds.Columns {
		if c.Required && h.Source[i] < 0 && defaults[i] == nil {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		var found []string
		more := 0
		for _, c := range hrow.Cells {
			if t := strings.TrimSpace(c); t != "" {
				if len(found) == 20 {
					more++
					continue
				}
				found = append(found, shorten(t, 40))
			}
		}
		if more > 0 {
			found = append(found, fmt.Sprintf("and %d more", more))
		}
		return nil, fileErr(name, "%s: required columns missing: %s; the header row has: %s. Add the missing columns to the header row (a column's name, title or alias)",
			loc, describeColumns(missing), strings.Join(found, ", "))
	}

	res := &Result{
		File:      name,
		Sheet:     sheet,
		HeaderRow: hrow.Line,
		Mapping:   h.Mapping,
		Ignored:   h.Ignored,
		Delimiter: w.Delimiter(),
		Batch:     &Batch{Dataset: ds, Columns: make([]string, len(ds.Columns))},
	}
	for i, c := range ds.Columns {
		res.Batch.Columns[i] = c.Name
	}
	// The rows after those read ahead come from a goroutine of their own.
	sc.sheet = newAheadReader(sc.sheet)
	tr := &templateRead{res: res, sc: sc, rest: sc.rows[sc.header+1:]}
	tr.r = rowReader{res: res, ds: ds, h: h, defaults: defaults, po: w.ParseOptions(), opt: opt, sheet: sheet,
		emit: func(r Row) { tr.out, tr.haveOut = r, true }}
	ok = true
	return tr, nil
}

// next returns the next row without errors, or io.EOF after the last row;
// rows with errors are counted and listed in the result instead.
func (tr *templateRead) next() (Row, error) {
	for !tr.done {
		var raw RawRow
		switch {
		case len(tr.rest) > 0:
			raw, tr.rest = tr.rest[0], tr.rest[1:]
		case tr.sc.err != nil:
			tr.done = true
			return Row{}, tr.sc.err
		case tr.sc.eof:
			tr.done = true
			continue
		default:
			var err error
			raw, err = tr.sc.sheet.Next()
			if errors.Is(err, io.EOF) {
				tr.done = true
				continue
			}
			if err != nil {
				tr.done = true
				return Row{}, err
			}
		}
		tr.r.take(raw)
		if tr.haveOut {
			tr.haveOut = false
			return tr.out, nil
		}
	}
	return Row{}, io.EOF
}

func (tr *templateRead) close() { tr.sc.sheet.Close() }

// checkDataset refuses a dataset ingest cannot read into; the plan file's
// validation should have caught it.
func checkDataset(ds *plan.Dataset) error {
	if ds == nil || len(ds.Columns) == 0 {
		return errors.New("ingest: no dataset, or a dataset without columns")
	}
	for _, c := range ds.Columns {
		switch c.Type {
		case plan.TypeText, plan.TypeInteger, plan.TypeDecimal, plan.TypeMoney,
			plan.TypeDate, plan.TypeMonth, plan.TypeFiscalYear, plan.TypeBoolean:
		default:
			return fmt.Errorf("ingest: dataset %s column %s: unknown type %q", ds.Name, c.Name, c.Type)
		}
	}
	return nil
}

// columnDefaults are the values of the columns the file lacks: the column's
// default, with {place.city} and {place.state} filled in, or nil.
func columnDefaults(ds *plan.Dataset, h *Header, place plan.Place) ([]any, error) {
	out := make([]any, len(ds.Columns))
	for i, c := range ds.Columns {
		if h.Source[i] >= 0 || c.Default == "" {
			continue
		}
		s := strings.NewReplacer("{place.city}", place.City, "{place.state}", place.State).Replace(c.Default)
		v, err := ParseValue(c.Type, s, ParseOptions{})
		if err != nil {
			return nil, fmt.Errorf("ingest: dataset %s column %s: default %q %v", ds.Name, c.Name, s, err)
		}
		out[i] = v
	}
	return out, nil
}

// scanned is the top of the chosen sheet, read ahead to find its header.
type scanned struct {
	sheet  SheetReader
	rows   []RawRow // the non-blank rows read ahead
	header int      // index in rows of the header row
	score  int      // dataset columns the header names
	eof    bool     // the sheet ended while reading ahead
	err    error    // a problem met while reading ahead, reported when reached
}

// scan reads the first HeaderSearchRows non-blank rows of s and finds the
// header among them.
func scan(s SheetReader, m *Matcher) *scanned {
	sc := &scanned{sheet: s}
	for len(sc.rows) < HeaderSearchRows {
		r, err := s.Next()
		if errors.Is(err, io.EOF) {
			sc.eof = true
			break
		}
		if err != nil {
			sc.err = err
			break
		}
		if !r.Blank() {
			sc.rows = append(sc.rows, r)
		}
	}
	sc.header, sc.score = FindHeader(sc.rows, m)
	return sc
}

// pickSheet finds the sheet (or, for CSV, the separator) whose header names
// most of the dataset's columns, the first on a tie.
func pickSheet(w *Workbook, m *Matcher, opt Options) (*scanned, error) {
	var best *scanned
	var firstErr error
	consider := func(sc *scanned) {
		if sc.err != nil && firstErr == nil {
			firstErr = sc.err
		}
		if best == nil || sc.score > best.score {
			if best != nil {
				best.sheet.Close()
			}
			best = sc
			return
		}
		sc.sheet.Close()
	}
	var names []string
	if w.Kind() == KindCSV {
		cands := []rune{w.Delimiter()}
		if opt.Delimiter == 0 {
			// The sniffed separator first, so it wins a tie.
			for _, d := range delimiters {
				if d != w.Delimiter() {
					cands = append(cands, d)
				}
			}
		}
		for i, d := range cands {
			sc := scan(w.csvRows(d), m)
			if i > 0 && sc.err != nil {
				// Quotes break under a separator the file does not use;
				// that is no fault of the file.
				sc.sheet.Close()
				continue
			}
			consider(sc)
			if sc.score == len(m.ds.Columns) {
				break
			}
		}
		if cs, ok := best.sheet.(*csvSheet); ok && best.score > 0 {
			w.delim = cs.r.Comma
		}
	} else {
		all := w.Sheets()
		for _, s := range all {
			if s.Visible || len(all) == 1 {
				names = append(names, s.Name)
			}
		}
		if len(names) == 0 { // every sheet hidden: look at them all
			for _, s := range all {
				names = append(names, s.Name)
			}
		}
		for _, n := range names {
			s, err := w.Rows(n)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			consider(scan(s, m))
		}
	}
	if best == nil || best.score == 0 {
		if best != nil {
			best.sheet.Close()
		}
		if firstErr != nil {
			return nil, firstErr
		}
		where := "the file"
		if w.Kind() == KindXLSX {
			where = "sheet" + quoteList(names)
		}
		return nil, fileErr(w.Name(), "found no header row in the first %d non-blank rows of %s; put one row of column names above the data, such as: %s",
			HeaderSearchRows, where, describeColumns(requiredFirst(m.ds)))
	}
	return best, nil
}

// quoteList follows "sheet": ` "A"` or `s "A", "B"`.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) > 1 {
		return "s " + strings.Join(q, ", ")
	}
	return " " + strings.Join(q, "")
}

// requiredFirst lists the dataset's required columns, or its first columns
// when none is required, for a message.
func requiredFirst(ds *plan.Dataset) []*plan.Column {
	var out []*plan.Column
	for _, c := range ds.Columns {
		if c.Required {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = ds.Columns[:min(len(ds.Columns), 5)]
	}
	return out
}

// rowReader turns raw data rows into typed rows and cell errors.
type rowReader struct {
	res      *Result
	ds       *plan.Dataset
	h        *Header
	defaults []any
	po       ParseOptions
	opt      Options
	sheet    string
	// emit takes each row without errors.
	emit func(Row)
}

func (r *rowReader) take(row RawRow) {
	blank := true
	for _, src := range r.h.Source {
		if src >= 0 && strings.TrimSpace(row.Cell(src)) != "" {
			blank = false
			break
		}
	}
	if blank {
		return
	}
	r.res.RowsRead++
	values := make([]any, len(r.ds.Columns))
	copy(values, r.defaults)
	bad := false
	for i, src := range r.h.Source {
		if src < 0 {
			continue
		}
		c := r.ds.Columns[i]
		raw := row.Cell(src)
		if c.Type == plan.TypeText && row.IsDate(src) {
			// A date in a text column reads as the date it shows, not as
			// the serial number Excel keeps.
			raw = serialText(raw, r.po)
		}
		if len(raw) > r.opt.MaxCellBytes {
			r.fail(row, src, c, shorten(strings.TrimSpace(raw), 40),
				fmt.Sprintf("is too long (%d bytes; the most a cell may hold is %d)", len(raw), r.opt.MaxCellBytes))
			bad = true
			continue
		}
		v, err := ParseValue(c.Type, raw, r.po)
		if err == nil && v != nil {
			v, err = columnValue(c, raw, v, r.opt.plan)
		}
		switch {
		case err != nil:
			r.fail(row, src, c, shorten(strings.TrimSpace(raw), 200), err.Error())
			bad = true
		case v == nil && c.Required:
			msg := msgRequired
			if strings.TrimSpace(raw) != "" {
				msg = "means no value, but the column is required"
			}
			r.fail(row, src, c, strings.TrimSpace(raw), msg)
			bad = true
		default:
			values[i] = v
		}
	}
	if bad {
		r.res.Rejected = append(r.res.Rejected, row.Line)
		return
	}
	r.emit(Row{Sheet: r.sheet, Line: row.Line, Values: values})
}

func (r *rowReader) fail(row RawRow, col int, c *plan.Column, value, msg string) {
	r.res.ErrorCount++
	if len(r.res.Errors) >= r.opt.MaxErrors {
		return
	}
	r.res.Errors = append(r.res.Errors, CellError{
		Sheet: r.sheet, Cell: row.Ref(col), Row: row.Line, Column: c.Name, Value: value, Message: msg,
	})
}
