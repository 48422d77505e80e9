package dashboards

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
)

// ExportTable is a table to download: what it is (title, as-of date,
// source, units) and its rows. Cells hold nil, string, int64, float64,
// bool or time.Time.
type ExportTable struct {
	Title   string
	About   [][2]string // label and value, e.g. {"As of", "2026-11-26"}
	Columns []ExportColumn
	Rows    [][]any
}

// ExportColumn names a column, its unit and how its values are written.
type ExportColumn struct {
	Name  string
	Title string
	Unit  string
	// Month writes dates as YYYY-MM.
	Month bool
}

// heading is the column's header: its name with the unit, if any.
func (c ExportColumn) heading() string {
	if c.Unit != "" {
		return c.Name + " (" + c.Unit + ")"
	}
	return c.Name
}

// SafeText neutralises a text cell that a spreadsheet would run as a
// formula (starting with = + - @, or a tab or carriage return) by putting
// an apostrophe before it, so it opens as text.
func SafeText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func cellText(c ExportColumn, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return SafeText(x)
	case time.Time:
		if c.Month {
			return x.Format("2006-01")
		}
		return x.Format("2006-01-02")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	}
	return SafeText(fmt.Sprint(v))
}

// WriteCSV writes the table as CSV: lines starting with # say what it is,
// then a header with units, then the rows. Text cells that a spreadsheet
// would run as formulas are neutralised; numbers are written as numbers.
func WriteCSV(w io.Writer, t ExportTable) error {
	cw := csv.NewWriter(w)
	if t.Title != "" {
		if err := cw.Write([]string{"# " + strings.ReplaceAll(t.Title, "\n", " ")}); err != nil {
			return err
		}
	}
	for _, a := range t.About {
		if err := cw.Write([]string{"# " + a[0] + ": " + strings.ReplaceAll(a[1], "\n", " ")}); err != nil {
			return err
		}
	}
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.heading()
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, r := range t.Rows {
		for i, c := range t.Columns {
			rec[i] = ""
			if i < len(r) {
				rec[i] = cellText(c, r[i])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the table as a workbook: a Data sheet (typed cells,
// frozen header with units) and an About sheet with the title, as-of date,
// source and units.
func WriteXLSX(w io.Writer, t ExportTable) error {
	f := excelize.NewFile()
	defer f.Close()
	const data = "Data"
	if err := f.SetSheetName("Sheet1", data); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	dateFmt, monthFmt := "yyyy-mm-dd", "yyyy-mm"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	monthStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &monthFmt})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(data)
	if err != nil {
		return err
	}
	// The stream writer takes panes before any row.
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	head := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = excelize.Cell{StyleID: bold, Value: c.heading()}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for n, r := range t.Rows {
		row := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			if i >= len(r) {
				continue
			}
			switch x := r[i].(type) {
			case nil:
			case time.Time:
				st := dateStyle
				if c.Month {
					st = monthStyle
				}
				row[i] = excelize.Cell{StyleID: st, Value: x}
			case string:
				// Stored as a string cell: a workbook never runs it as a formula.
				row[i] = x
			default:
				row[i] = x
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	const about = "About"
	if _, err := f.NewSheet(about); err != nil {
		return err
	}
	r := 1
	put := func(a, b string) {
		f.SetCellStr(about, fmt.Sprintf("A%d", r), a)
		f.SetCellStr(about, fmt.Sprintf("B%d", r), b)
		r++
	}
	put("Title", t.Title)
	for _, a := range t.About {
		put(a[0], a[1])
	}
	r++
	put("Column", "Unit")
	for _, c := range t.Columns {
		put(c.Name, c.Unit)
	}
	f.SetColWidth(about, "A", "A", 24)
	f.SetColWidth(about, "B", "B", 80)
	_, err = f.WriteTo(w)
	return err
}

// SeriesTable is an indicator's series as a table: period, value, target
// and, for a year in progress, the part of the target due by now.
func SeriesTable(v View, asOf time.Time, source string) ExportTable {
	in := v.Indicator
	unit := in.Unit
	if in.ValueFormat() == plan.FormatPercent {
		unit = "fraction (0.5 = 50%)"
	}
	t := ExportTable{
		Title: in.Title,
		About: [][2]string{{"Indicator", in.ID}, {"As of", asOf.Format("2006-01-02")}, {"Source", source}, {"Definition", in.Description}},
		Columns: []ExportColumn{{Name: "period"}, {Name: "label"}, {Name: "value", Unit: unit}, {Name: "target", Unit: unit},
			{Name: "expected_by_now", Unit: unit}, {Name: "partial"}},
	}
	if in.Targets.Sample && in.TargetFrom == nil {
		t.About = append(t.About, [2]string{"Targets", "sample targets: illustrative, not set by the plan"})
	}
	for _, pt := range v.Series.Points {
		row := []any{pt.Period.Key(), pt.Period.Label(), opt(pt.Value), opt(pt.Target), opt(pt.Expected), pt.Partial}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func opt(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
