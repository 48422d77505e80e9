// Package sample generates sample data files for the built-in datasets, in
// the city's template format, so a new installation has something to show
// before real files arrive.
//
// The numbers are invented but sized on public facts about Norwalk, CA (see
// "Facts to size sample data on" in the design notes). Output depends only on
// the month of the as-of date: the same month always gives byte-identical
// files, and every file stops at the last complete month before it, so the
// sample data is never overdue on that date. Each dataset draws from its own
// random streams, consumed month by month (or year by year) from a fixed
// start, so a later as-of date extends the history instead of rewriting it.
package sample

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
)

// File is one generated file: the dataset it is for, a file name, and its bytes.
type File struct {
	Dataset string
	Name    string
	Data    []byte
	// Profile names the profile to read the file with, for a file that
	// fills several datasets (the strategy tracker); "" for the template.
	Profile string
}

// Names of the datasets Generate knows.
const (
	Revenue          = "revenue"
	TransitRidership = "transit_ridership"
	ShelterBeds      = "shelter_beds"
	EVChargers       = "ev_chargers"
)

// window is the span of time the sample covers, fixed by the as-of date.
type window struct {
	// asOf is the first instant of the as-of month (UTC); it stamps the workbooks.
	asOf time.Time
	// month is the first day of the last complete month.
	month time.Time
	// last is the last day of that month: no date in a file is later.
	last    time.Time
	place   plan.Place
	fyStart time.Month
}

func newWindow(asOf time.Time, place plan.Place, fyStart time.Month) window {
	a := asOf.UTC()
	start := time.Date(a.Year(), a.Month(), 1, 0, 0, 0, 0, time.UTC)
	month := start.AddDate(0, -1, 0)
	return window{
		asOf:    start,
		month:   month,
		last:    start.AddDate(0, 0, -1),
		place:   place,
		fyStart: fyStart,
	}
}

// Generate returns sample files for the named datasets, in the order named.
// Names it does not know (a plan's own datasets) are skipped. The files hold
// data up to and including the last complete month before asOf (in UTC).
func Generate(asOf time.Time, place plan.Place, fyStartMonth time.Month, datasets []string) ([]File, error) {
	if fyStartMonth < time.January || fyStartMonth > time.December {
		return nil, fmt.Errorf("sample: fiscal year start month %d is not a month", fyStartMonth)
	}
	defs, err := plan.BuiltinDatasets()
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	w := newWindow(asOf, place, fyStartMonth)
	suffix := w.month.Format("2006-01")
	var files []File
	seen := map[string]bool{}
	for _, name := range datasets {
		if seen[name] {
			continue
		}
		seen[name] = true
		var (
			rows []row
			ext  string
		)
		switch name {
		case Revenue:
			rows, ext = revenueRows(w), "xlsx"
		case TransitRidership:
			rows, ext = transitRows(w), "xlsx"
		case ShelterBeds:
			rows, ext = shelterRows(w), "csv"
		case EVChargers:
			rows, ext = evRows(w), "csv"
		default:
			continue
		}
		ds := defs[name]
		if ds == nil {
			return nil, fmt.Errorf("sample: %s: not a built-in dataset", name)
		}
		var data []byte
		if ext == "xlsx" {
			data, err = writeXLSX(ds, rows, w.asOf)
		} else {
			data, err = writeCSV(ds, rows)
		}
		if err != nil {
			return nil, fmt.Errorf("sample: %s: %w", name, err)
		}
		files = append(files, File{
			Dataset: name,
			Name:    fmt.Sprintf("sample-%s-%s.%s", name, suffix, ext),
			Data:    data,
		})
	}
	return files, nil
}

// value is one cell as a person would type it: text, or a number shown with
// prec decimals. The zero value is a blank cell.
type value struct {
	text  string
	num   float64
	prec  int
	isNum bool
	set   bool
}

func text(s string) value {
	if s == "" {
		return value{}
	}
	return value{text: s, set: true}
}

func number(f float64, prec int) value {
	return value{num: round(f, prec), prec: prec, isNum: true, set: true}
}

func integer(n int) value { return number(float64(n), 0) }

func money(f float64) value { return number(f, 2) }

func (v value) String() string {
	if v.isNum {
		return strconv.FormatFloat(v.num, 'f', v.prec, 64)
	}
	return v.text
}

// row maps column names to values; absent columns are blank.
type row map[string]value

func round(f float64, prec int) float64 {
	p := math.Pow(10, float64(prec))
	return math.Round(f*p) / p
}

// checkColumns makes sure every value lands in a column of the dataset: a
// renamed column must fail loudly here, not produce a file that imports blanks.
func checkColumns(ds *plan.Dataset, rows []row) error {
	for i, r := range rows {
		for name := range r {
			if ds.Column(name) == nil {
				return fmt.Errorf("row %d: no column %q in the dataset", i+2, name)
			}
		}
	}
	return nil
}

// writeCSV writes a UTF-8, comma-separated file with the column names in row 1.
func writeCSV(ds *plan.Dataset, rows []row) ([]byte, error) {
	if err := checkColumns(ds, rows); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	rec := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		rec[i] = c.Name
	}
	if err := cw.Write(rec); err != nil {
		return nil, err
	}
	for _, r := range rows {
		for i, c := range ds.Columns {
			rec[i] = r[c.Name].String()
		}
		if err := cw.Write(rec); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeXLSX writes a workbook with one sheet named after the dataset, the
// column names in row 1, numbers as numbers and text as text. The document
// properties carry fixed times so equal input gives equal bytes.
func writeXLSX(ds *plan.Dataset, rows []row, stamp time.Time) ([]byte, error) {
	if err := checkColumns(ds, rows); err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := ds.Name
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	ts := stamp.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:          "Sample data: " + ds.Title,
		Subject:        "Sample data",
		Description:    "Invented sample data for plandash. These are not real figures.",
		Creator:        "plandash",
		LastModifiedBy: "plandash",
		Created:        ts,
		Modified:       ts,
	}); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	// Built-in formats: 3 is #,##0 and 4 is #,##0.00. They change how the
	// numbers look, not the numbers stored.
	intStyle, err := f.NewStyle(&excelize.Style{NumFmt: 3})
	if err != nil {
		return nil, err
	}
	moneyStyle, err := f.NewStyle(&excelize.Style{NumFmt: 4})
	if err != nil {
		return nil, err
	}
	for i, c := range ds.Columns {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return nil, err
		}
		width := math.Max(float64(len(c.Name))+2, 12)
		switch c.Type {
		case plan.TypeMoney:
			width = math.Max(width, 15)
		case plan.TypeText:
			width = math.Max(width, 18)
		}
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return nil, err
		}
		style := 0
		switch c.Type {
		case plan.TypeMoney:
			style = moneyStyle
		case plan.TypeInteger, plan.TypeDecimal:
			style = intStyle
		}
		if style != 0 {
			if err := f.SetColStyle(sheet, col, style); err != nil {
				return nil, err
			}
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(sheet, cell, c.Name); err != nil {
			return nil, err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(ds.Columns), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return nil, err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	for r, rw := range rows {
		for i, c := range ds.Columns {
			v := rw[c.Name]
			if !v.set {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(i+1, r+2)
			if v.isNum {
				err = f.SetCellFloat(sheet, cell, v.num, v.prec, 64)
			} else {
				err = f.SetCellStr(sheet, cell, v.text)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// stream is a random stream named after its dataset and purpose, so each
// sequence of draws stays the same whatever the other streams do.
func stream(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	s := h.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// uniform draws from [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// monthsBetween counts whole months from a to b (both first days of months).
func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

func monthKey(t time.Time) string { return t.Format("2006-01") }

func dateKey(t time.Time) string { return t.Format("2006-01-02") }
