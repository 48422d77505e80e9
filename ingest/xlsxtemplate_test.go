package ingest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/plandash/plandash/internal/plan"
	"github.com/xuri/excelize/v2"
)

// tmplOptions are the options the tests write templates with: a place that
// is not the one the built-in examples name, so defaults visibly win.
var tmplOptions = TemplateOptions{
	Place:        plan.Place{City: "Downey", State: "CA"},
	Title:        "City Council Strategic Plan 2023-2025",
	FYStartMonth: time.July,
}

func tmplBuiltins(t *testing.T) []*plan.Dataset {
	t.Helper()
	all, err := plan.BuiltinDatasets()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*plan.Dataset, len(names))
	for i, n := range names {
		out[i] = all[n]
	}
	return out
}

// tmplEveryType is a dataset with a column of every type, a title that is no
// valid sheet name, and a required column without an example.
func tmplEveryType() *plan.Dataset {
	f := false
	return &plan.Dataset{
		Name:  "every_type",
		Title: "Capital projects: status/budget [draft] *all* of them",
		Key:   []string{"project"},
		Mode:  plan.ModeUpsert,
		Columns: []*plan.Column{
			{Name: "project", Title: "Project", Type: plan.TypeText, Required: true},
			{Name: "strategy", Title: "Strategy", Type: plan.TypeText, Example: "G1.O1.S1"},
			{Name: "fy", Title: "Fiscal year", Type: plan.TypeFiscalYear, Required: true, Example: "FY 2024-25"},
			{Name: "month", Title: "Month", Type: plan.TypeMonth, Example: "2024-07"},
			{Name: "started", Title: "Start date", Type: plan.TypeDate, Example: "2024-02-29"},
			{Name: "count", Title: "Count", Type: plan.TypeInteger, Unit: "items", Example: "-3"},
			{Name: "share", Title: "Share", Type: plan.TypeDecimal, Example: "0.125"},
			{Name: "cost", Title: "Cost", Type: plan.TypeMoney, Unit: "USD", Required: true, Example: "-1234.05"},
			{Name: "done", Title: "Done", Type: plan.TypeBoolean, Example: "yes"},
			{Name: "phase", Title: "Phase", Type: plan.TypeText, Example: "Design"},
			{Name: "payee", Title: "Payee", Type: plan.TypeText, Public: &f},
		},
	}
}

func tmplWrite(t *testing.T, ds *plan.Dataset, opt TemplateOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTemplate(&buf, ds, opt); err != nil {
		t.Fatalf("WriteTemplate(%s): %v", ds.Name, err)
	}
	return buf.Bytes()
}

func tmplOpen(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func tmplRead(t *testing.T, b []byte, ds *plan.Dataset) *Result {
	t.Helper()
	res, err := ReadTemplate(ds.Name+".xlsx", bytes.NewReader(b), int64(len(b)), ds, Options{Place: tmplOptions.Place})
	if err != nil {
		t.Fatalf("ReadTemplate: %v", err)
	}
	if len(res.Mapping) != len(ds.Columns) || len(res.Ignored) != 0 {
		t.Fatalf("mapping %v, ignored %v; want every one of the %d columns and nothing ignored", res.Mapping, res.Ignored, len(ds.Columns))
	}
	for i, m := range res.Mapping {
		if m.Column != ds.Columns[i].Name || m.Cell != CellRef(i, 1) {
			t.Errorf("mapping[%d] = %+v; want column %s at %s", i, m, ds.Columns[i].Name, CellRef(i, 1))
		}
	}
	if res.Sheet != TemplateSheetName(ds) || res.HeaderRow != 1 {
		t.Errorf("read sheet %q header row %d; want %q row 1", res.Sheet, res.HeaderRow, TemplateSheetName(ds))
	}
	for _, e := range res.Errors {
		t.Errorf("cell error: %s", e)
	}
	return res
}

// tmplExample is a column's example as the template shows it (the header
// note, the input message and the Instructions table): the text it is made
// from and its value, nil for none.
func tmplExample(t *testing.T, c *plan.Column, allowed []string) (string, any) {
	t.Helper()
	raw := c.Example
	if c.Default == "{place.city}" {
		raw = tmplOptions.Place.City
	}
	if len(allowed) > 0 && !slices.Contains(allowed, raw) {
		raw = allowed[0]
	}
	if raw == "" && c.Required {
		raw = madeUpExample(c.Type)
	}
	v, err := ParseValue(c.Type, raw, ParseOptions{})
	if err != nil {
		t.Fatalf("column %s: example %q: %v", c.Name, raw, err)
	}
	return raw, v
}

func tmplSameValue(got, want any) bool {
	if g, ok := got.(time.Time); ok {
		w, ok := want.(time.Time)
		return ok && g.Equal(w) && g.Location() == time.UTC
	}
	return reflect.DeepEqual(got, want)
}

func checkTemplateWorkbook(t *testing.T, b []byte, ds *plan.Dataset, opt TemplateOptions) {
	t.Helper()
	f := tmplOpen(t, b)
	sheet := TemplateSheetName(ds)
	if n := len(utf16.Encode([]rune(sheet))); n == 0 || n > 31 || strings.ContainsAny(sheet, `:\/?*[]`) {
		t.Errorf("sheet name %q is not a valid Excel sheet name", sheet)
	}
	wantSheets := []string{sheet, TemplateInstructionsSheet}
	hasLists := slices.Contains(f.GetSheetList(), TemplateListsSheet)
	if hasLists {
		wantSheets = append(wantSheets, TemplateListsSheet)
	}
	if got := f.GetSheetList(); !slices.Equal(got, wantSheets) {
		t.Errorf("sheets %q; want %q", got, wantSheets)
	}
	for _, s := range wantSheets {
		vis, err := f.GetSheetVisible(s)
		if err != nil {
			t.Fatal(err)
		}
		if want := s != TemplateListsSheet; vis != want {
			t.Errorf("sheet %s visible = %v; want %v", s, vis, want)
		}
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet %d; want the data sheet", f.GetActiveSheetIndex())
	}
	panes, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("panes %+v; want the header row frozen", panes)
	}

	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("data sheet has %d rows %q; want only the header (no example row)", len(rows), rows)
	}
	var titles []string
	for _, c := range ds.Columns {
		titles = append(titles, c.DisplayTitle())
	}
	if !slices.Equal(rows[0], titles) {
		t.Errorf("header %q; want %q", rows[0], titles)
	}

	comments, err := f.GetComments(sheet)
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, cm := range comments {
		var b strings.Builder
		b.WriteString(cm.Text)
		for _, r := range cm.Paragraph {
			b.WriteString(r.Text)
		}
		notes[cm.Cell] = b.String()
	}
	dvs, err := f.GetDataValidations(sheet)
	if err != nil {
		t.Fatal(err)
	}
	bySqref := map[string]*excelize.DataValidation{}
	for _, dv := range dvs {
		if bySqref[dv.Sqref] != nil {
			t.Errorf("two validations on %s", dv.Sqref)
		}
		bySqref[dv.Sqref] = dv
		checkExcelLimits(t, dv)
	}
	if len(dvs) != len(ds.Columns) {
		t.Errorf("%d validations; want one a column (%d)", len(dvs), len(ds.Columns))
	}

	for i, c := range ds.Columns {
		col := ColumnLetters(i)
		head := col + "1"
		st := tmplStyle(t, f, sheet, head)
		if st.Font == nil || !st.Font.Bold {
			t.Errorf("%s: header not bold", head)
		}
		note := notes[head]
		want := []string{c.DisplayTitle(), typeWords(c)}
		if c.Required {
			want = append(want, "Required")
		} else {
			want = append(want, "Optional")
		}
		if c.Description != "" {
			want = append(want, c.Description)
		}
		for _, w := range want {
			if !strings.Contains(note, w) {
				t.Errorf("%s: note %q lacks %q", head, note, w)
			}
		}
		if _, ex := tmplExample(t, c, tmplAllowed(c, opt)); ex != nil && !strings.Contains(note, "Example: ") {
			t.Errorf("%s: note %q gives no example", head, note)
		}
		for _, a := range tmplAllowed(c, opt)[:min(3, len(tmplAllowed(c, opt)))] {
			if !strings.Contains(note, a) {
				t.Errorf("%s: note lacks allowed value %q", head, a)
			}
		}

		dv := bySqref[fmt.Sprintf("%s2:%s%d", col, col, TemplateLastRow)]
		if dv == nil {
			t.Errorf("column %s (%s): no validation over rows 2-%d", col, c.Name, TemplateLastRow)
			continue
		}
		if dv.PromptTitle == nil || dv.Prompt == nil || !dv.ShowInputMessage {
			t.Errorf("%s: no input message", c.Name)
		} else if req := strings.Contains(*dv.Prompt, "Required"); req != c.Required {
			t.Errorf("%s: input message %q; says required = %v, want %v", c.Name, *dv.Prompt, req, c.Required)
		}
		wantType, wantFmt := "", ""
		switch {
		case len(tmplAllowed(c, opt)) > 0:
			wantType = "list"
		case c.Type == plan.TypeBoolean:
			wantType = "list"
			if dv.Formula1 != `"TRUE,FALSE"` {
				t.Errorf("%s: boolean list %s", c.Name, dv.Formula1)
			}
		case c.Type == plan.TypeInteger:
			wantType = "whole"
		case c.Type == plan.TypeDecimal, c.Type == plan.TypeMoney:
			wantType = "decimal"
		case c.Type == plan.TypeDate, c.Type == plan.TypeMonth:
			wantType = "date"
			if dv.Formula1 != "1" || dv.Formula2 != fmt.Sprint(excelSerial(time.Date(2200, 12, 31, 0, 0, 0, 0, time.UTC))) {
				t.Errorf("%s: date range %s-%s", c.Name, dv.Formula1, dv.Formula2)
			}
		default:
			wantType = "none"
		}
		if dv.Type != wantType {
			t.Errorf("%s: validation type %q; want %q", c.Name, dv.Type, wantType)
		}
		if wantType != "none" && (!dv.ShowErrorMessage || dv.ErrorStyle == nil || *dv.ErrorStyle != "stop") {
			t.Errorf("%s: no stop alert", c.Name)
		}
		switch c.Type {
		case plan.TypeText, plan.TypeFiscalYear:
			wantFmt = "@"
		case plan.TypeInteger:
			wantFmt = "0"
		case plan.TypeMoney:
			wantFmt = "#,##0.00"
		case plan.TypeDecimal:
			wantFmt = "0.00"
		case plan.TypeDate:
			wantFmt = "yyyy-mm-dd"
		case plan.TypeMonth:
			wantFmt = "mmm yyyy"
		}
		// Row 500 has no cell: its format is the column's, for rows people add.
		if got := tmplNumFmt(t, f, sheet, fmt.Sprintf("%s500", col)); !strings.HasPrefix(got, wantFmt) {
			t.Errorf("%s: number format %q; want %q", c.Name, got, wantFmt)
		}
		if w, err := f.GetColWidth(sheet, col); err != nil || w < 10 || w > 40 {
			t.Errorf("%s: column width %v (%v)", c.Name, w, err)
		}
	}

	inst, err := f.GetRows(TemplateInstructionsSheet)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	firstCells := map[string]bool{}
	for _, r := range inst {
		text.WriteString(strings.Join(r, " | ") + "\n")
		if len(r) > 0 {
			firstCells[r[0]] = true
		}
	}
	all := text.String()
	for _, c := range ds.Columns {
		if !firstCells[c.DisplayTitle()] {
			t.Errorf("instructions have no row for column %s", c.DisplayTitle())
		}
	}

	// The table of columns gives each column's example, the same one as the
	// header note and the input message.
	table := map[string][]string{}
	if i := slices.IndexFunc(inst, func(r []string) bool { return len(r) > 0 && r[0] == "Column (header)" }); i < 0 {
		t.Errorf("instructions have no table of columns:\n%s", all)
	} else if want := []string{"Column (header)", "Type", "Required", "Example", "What it means"}; !slices.Equal(inst[i], want) {
		t.Errorf("table header %q; want %q", inst[i], want)
	} else {
		for _, r := range inst[i+1:] {
			if len(r) > 0 {
				table[r[0]] = append(r, make([]string, 5)...)[:5]
			}
		}
	}
	for i, c := range ds.Columns {
		r, ok := table[c.DisplayTitle()]
		if !ok {
			t.Errorf("the table has no row for column %s", c.DisplayTitle())
			continue
		}
		raw, want := tmplExample(t, c, tmplAllowed(c, opt))
		shown := r[3]
		if want == nil {
			if shown != "" {
				t.Errorf("%s: table example %q; want none", c.Name, shown)
			}
			continue
		}
		if got, err := ParseValue(c.Type, shown, ParseOptions{}); err != nil || !tmplSameValue(got, want) {
			t.Errorf("%s: table example %q reads as %#v (%v); want %#v (from %q)", c.Name, shown, got, err, want, raw)
		}
		head := ColumnLetters(i) + "1"
		if note := notes[head]; !strings.Contains(note, "Example: "+shown) {
			t.Errorf("%s: note %q lacks the table's example %q", head, note, shown)
		}
		dv := bySqref[fmt.Sprintf("%s2:%s%d", ColumnLetters(i), ColumnLetters(i), TemplateLastRow)]
		if dv != nil && dv.Prompt != nil && len(tmplAllowed(c, opt)) == 0 && !strings.HasSuffix(*dv.Prompt, "…") &&
			!strings.Contains(*dv.Prompt, "Example: "+shown+".") {
			t.Errorf("%s: input message %q lacks the table's example %q", c.Name, *dv.Prompt, shown)
		}
	}

	for _, w := range []string{"plandash import --dataset " + ds.Name, "upload page", "The sheet starts empty below the header", "example value for each column", "A blank cell means no value", "header"} {
		if !strings.Contains(all, w) {
			t.Errorf("instructions lack %q:\n%s", w, all)
		}
	}
	if opt.Title != "" && !strings.Contains(all, opt.Title) {
		t.Errorf("instructions do not name the plan %q", opt.Title)
	}
}

func checkExcelLimits(t *testing.T, dv *excelize.DataValidation) {
	t.Helper()
	n := func(p *string) int {
		if p == nil {
			return 0
		}
		return len(utf16.Encode([]rune(*p)))
	}
	if n(dv.PromptTitle) > 32 || n(dv.Prompt) > 255 || n(dv.ErrorTitle) > 32 || n(dv.Error) > 225 {
		t.Errorf("%s: validation text over Excel's limits: %d/%d/%d/%d", dv.Sqref, n(dv.PromptTitle), n(dv.Prompt), n(dv.ErrorTitle), n(dv.Error))
	}
	if dv.Type == "list" && strings.HasPrefix(dv.Formula1, `"`) && len(utf16.Encode([]rune(dv.Formula1)))-2 > 255 {
		t.Errorf("%s: inline list of %d characters", dv.Sqref, len(dv.Formula1))
	}
}

func tmplStyle(t *testing.T, f *excelize.File, sheet, cell string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func tmplNumFmt(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	st := tmplStyle(t, f, sheet, cell)
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	switch st.NumFmt {
	case 0:
		return "General"
	case 1:
		return "0"
	case 4:
		return "#,##0.00"
	case 49:
		return "@"
	}
	return fmt.Sprintf("numFmt %d", st.NumFmt)
}

// tmplAllowed is what a column's drop-down offers: the options' list, or
// the column's own values.
func tmplAllowed(c *plan.Column, opt TemplateOptions) []string {
	if a := opt.Allowed[c.Name]; len(a) > 0 {
		return a
	}
	return c.Values
}

// tmplFill is one cell as a person fills it in Excel, and what it must
// read back as.
type tmplFill struct {
	set  any // passed to SetCellValue; a string is typed text
	want any
}

// personRows are three rows a person types under the header, by column type:
// numbers as numbers, dates as dates, months as dates or text, fiscal years
// in the forms people write them.
func personRows(c *plan.Column, allowed []string) []tmplFill {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	if c.Percent == plan.PercentPoints {
		// Points as typed, a fraction from a cell formatted as a
		// percentage, and a percentage typed as text.
		return []tmplFill{{45.0, 45.0}, {0.25, 25.0}, {"80%", 80.0}}
	}
	if len(allowed) > 0 {
		var out []tmplFill
		for i := range 3 {
			a := allowed[(i*7)%len(allowed)]
			v, _ := ParseValue(c.Type, a, ParseOptions{})
			out = append(out, tmplFill{a, v})
		}
		return out
	}
	switch c.Type {
	case plan.TypeInteger:
		return []tmplFill{{int64(81240), int64(81240)}, {0, int64(0)}, {int64(1_234_567_890_123), int64(1_234_567_890_123)}}
	case plan.TypeDecimal:
		return []tmplFill{{33.902215, 33.902215}, {-118.0817, -118.0817}, {152000.0, 152000.0}}
	case plan.TypeMoney:
		return []tmplFill{{1234567.89, Money(123456789)}, {-250.5, Money(-25050)}, {0.01, Money(1)}}
	case plan.TypeDate:
		return []tmplFill{{d(2025, 1, 29), d(2025, 1, 29)}, {d(1999, 12, 31), d(1999, 12, 31)}, {d(2024, 2, 29), d(2024, 2, 29)}}
	case plan.TypeMonth:
		// A date typed as "Aug 2024" is its first day; a pasted date keeps
		// its day; some type the month as text.
		return []tmplFill{{d(2024, 8, 1), d(2024, 8, 1)}, {d(2024, 9, 17), d(2024, 9, 1)}, {"2024-10", d(2024, 10, 1)}}
	case plan.TypeFiscalYear:
		return []tmplFill{{"FY 2025-26", int64(2026)}, {"2026-27", int64(2027)}, {2028, int64(2028)}}
	case plan.TypeBoolean:
		return []tmplFill{{true, true}, {false, false}, {true, true}}
	}
	return []tmplFill{{c.DisplayTitle() + " one", c.DisplayTitle() + " one"}, {"00123", "00123"}, {"Ñandú & <b>", "Ñandú & <b>"}}
}

// exampleFill is a column's example as a person types it into row 2: numbers
// as numbers, dates and months as Excel dates, fiscal years and text as text.
func exampleFill(t *testing.T, c *plan.Column, allowed []string) tmplFill {
	t.Helper()
	raw, v := tmplExample(t, c, allowed)
	switch v := v.(type) {
	case nil:
		return tmplFill{nil, nil}
	case Money:
		n, err := strconv.ParseFloat(v.String(), 64)
		if err != nil {
			t.Fatal(err)
		}
		return tmplFill{n, v}
	case int64:
		if c.Type == plan.TypeFiscalYear {
			return tmplFill{raw, v}
		}
	}
	return tmplFill{v, v}
}

func checkTemplateRoundTrip(t *testing.T, b []byte, ds *plan.Dataset, opt TemplateOptions) {
	t.Helper()
	sheet := TemplateSheetName(ds)

	// The template as downloaded: every column maps, and no row imports.
	res := tmplRead(t, b, ds)
	if len(res.Batch.Rows) != 0 || res.ErrorCount != 0 || len(res.Rejected) != 0 {
		t.Fatalf("empty template: %d rows, %d errors, %d rejected; want none", len(res.Batch.Rows), res.ErrorCount, len(res.Rejected))
	}

	// The examples typed into row 2, three more rows typed below them.
	f := tmplOpen(t, b)
	var want [][]any
	for r := range 4 {
		var vals []any
		for i, c := range ds.Columns {
			var fill tmplFill
			if r == 0 {
				fill = exampleFill(t, c, tmplAllowed(c, opt))
			} else {
				fill = personRows(c, tmplAllowed(c, opt))[r-1]
			}
			if fill.set != nil {
				if err := f.SetCellValue(sheet, CellRef(i, r+2), fill.set); err != nil {
					t.Fatal(err)
				}
			}
			vals = append(vals, fill.want)
		}
		want = append(want, vals)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	res = tmplRead(t, buf.Bytes(), ds)
	if res.ErrorCount != 0 || len(res.Batch.Rows) != len(want) {
		t.Fatalf("filled template: %d rows, %d errors; want %d rows", len(res.Batch.Rows), res.ErrorCount, len(want))
	}
	for r, row := range res.Batch.Rows {
		if row.Line != r+2 || row.Sheet != sheet {
			t.Errorf("row %d read from %s line %d", r, row.Sheet, row.Line)
		}
		for i, c := range ds.Columns {
			if !tmplSameValue(row.Values[i], want[r][i]) {
				t.Errorf("row %d %s = %#v; want %#v", row.Line, c.Name, row.Values[i], want[r][i])
			}
		}
	}
}

func TestWriteTemplateBuiltinDatasets(t *testing.T) {
	for _, ds := range tmplBuiltins(t) {
		t.Run(ds.Name, func(t *testing.T) {
			b := tmplWrite(t, ds, tmplOptions)
			checkTemplateWorkbook(t, b, ds, tmplOptions)
			checkTemplateRoundTrip(t, b, ds, tmplOptions)
			if again := tmplWrite(t, ds, tmplOptions); !bytes.Equal(b, again) {
				t.Error("two templates of one dataset differ")
			}
			if slices.Contains(tmplOpen(t, b).GetSheetList(), TemplateListsSheet) {
				t.Error("a Lists sheet without long lists")
			}
		})
	}
}

func TestWriteTemplateEveryType(t *testing.T) {
	ds := tmplEveryType()
	opt := tmplOptions
	opt.Allowed = map[string][]string{"strategy": {"G1.O1.S1", "G1.O1.S2", "G2.O3.S1"}}
	b := tmplWrite(t, ds, opt)
	checkTemplateWorkbook(t, b, ds, opt)
	checkTemplateRoundTrip(t, b, ds, opt)

	f := tmplOpen(t, b)
	if got, want := TemplateSheetName(ds), "Capital projects status budget"; got != want {
		t.Errorf("sheet name %q; want %q", got, want)
	}
	dvs, _ := f.GetDataValidations(TemplateSheetName(ds))
	for _, dv := range dvs {
		if dv.Sqref == "B2:B10000" && dv.Formula1 != `"G1.O1.S1,G1.O1.S2,G2.O3.S1"` {
			t.Errorf("short list %s; want it inline", dv.Formula1)
		}
	}
	if got := tmplNumFmt(t, f, TemplateSheetName(ds), "G2"); got != "0.000" {
		t.Errorf("decimal format %q; want the example's three decimals", got)
	}
	inst, _ := f.GetRows(TemplateInstructionsSheet)
	var all strings.Builder
	for _, r := range inst {
		all.WriteString(strings.Join(r, " | ") + "\n")
	}
	for _, w := range []string{"FY 2024-25 runs from July 2024 to June 2025", "Not shown to the public", "one row per Project", "Yes-or-no"} {
		if !strings.Contains(all.String(), w) {
			t.Errorf("instructions lack %q:\n%s", w, all.String())
		}
	}
}

// TestWriteTemplateLongList puts a list too long for a validation on the
// hidden Lists sheet, for a built-in dataset and for a month column.
func TestWriteTemplateLongList(t *testing.T) {
	var long []string
	for i := range 60 {
		long = append(long, fmt.Sprintf("Revenue source number %02d, with a long descriptive name", i+1))
	}
	var months []string
	for m := range 3 {
		months = append(months, fmt.Sprintf("2024-%02d", m+7))
	}
	cases := []struct {
		ds      *plan.Dataset
		allowed map[string][]string
		lists   int // lists on the Lists sheet: long ones, and dates
	}{
		{tmplBuiltins(t)[slices.IndexFunc(tmplBuiltins(t), func(d *plan.Dataset) bool { return d.Name == "revenue" })],
			map[string][]string{"source": long, "fund": {"General Fund", "Measure P"}}, 1},
		{tmplEveryType(), map[string][]string{"phase": long, "month": months}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.ds.Name, func(t *testing.T) {
			opt := tmplOptions
			opt.Allowed = tc.allowed
			b := tmplWrite(t, tc.ds, opt)
			checkTemplateWorkbook(t, b, tc.ds, opt)
			checkTemplateRoundTrip(t, b, tc.ds, opt)

			f := tmplOpen(t, b)
			if got := f.GetSheetList(); !slices.Contains(got, TemplateListsSheet) {
				t.Fatalf("sheets %q; want a Lists sheet", got)
			}
			dvs, _ := f.GetDataValidations(TemplateSheetName(tc.ds))
			lists := 0
			for _, dv := range dvs {
				if !strings.HasPrefix(dv.Formula1, TemplateListsSheet+"!") {
					continue
				}
				col, n := ColumnLetters(lists), 0
				lists++
				// The list's values are on the Lists sheet, in the range named.
				for i, c := range tc.ds.Columns {
					if dv.Sqref == fmt.Sprintf("%s2:%s%d", ColumnLetters(i), ColumnLetters(i), TemplateLastRow) {
						n = len(tc.allowed[c.Name])
						if v, _ := f.GetCellValue(TemplateListsSheet, col+"2"); c.Type == plan.TypeText && v != tc.allowed[c.Name][0] {
							t.Errorf("Lists!%s2 = %q; want %q", col, v, tc.allowed[c.Name][0])
						}
					}
				}
				if want := fmt.Sprintf("Lists!$%s$2:$%s$%d", col, col, n+1); dv.Formula1 != want {
					t.Errorf("%s: list %s; want %s", dv.Sqref, dv.Formula1, want)
				}
			}
			if lists != tc.lists {
				t.Errorf("%d lists on the Lists sheet; want %d", lists, tc.lists)
			}
		})
	}
}

func TestWriteTemplateRefuses(t *testing.T) {
	bad := tmplEveryType()
	bad.Column("count").Example = "many"
	cases := []struct {
		name    string
		ds      *plan.Dataset
		allowed map[string][]string
		want    string
	}{
		{"unknown column", tmplEveryType(), map[string][]string{"strategy_id": {"G1"}}, `"strategy_id", which is not a column`},
		{"bad allowed value", tmplEveryType(), map[string][]string{"count": {"1", "two"}}, `allowed value "two" is not a number`},
		{"missing allowed value", tmplEveryType(), map[string][]string{"count": {"N/A"}}, `"N/A" means no value`},
		{"bad example", bad, nil, `example "many" is not a number`},
		{"no dataset", &plan.Dataset{Name: "empty"}, nil, "without columns"},
		{"no header of its own", &plan.Dataset{Name: "twins", Columns: []*plan.Column{
			{Name: "total_beds", Type: plan.TypeInteger}, {Name: "totalbeds", Title: "Total beds", Type: plan.TypeInteger}}},
			nil, "column totalbeds: its title and name both name other columns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := tmplOptions
			opt.Allowed = tc.allowed
			var buf bytes.Buffer
			err := WriteTemplate(&buf, tc.ds, opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want one saying %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Error("wrote a workbook after all")
			}
		})
	}
}

func TestTemplateSheetName(t *testing.T) {
	cases := map[string]string{
		"Revenue":              "Revenue",
		"EV charging stations": "EV charging stations",
		"'Quoted'":             "Quoted",
		"a/b\\c?d*e[f]g:h":     "a b c d e f g h",
		"":                     "every_type",
		"Instructions":         "Instructions data",
		"lists":                "lists data",
		"Ünïcödé 😀 titles are cut at thirty-one":        "Ünïcödé 😀 titles are cut at th",
		"A very long dataset title that goes on and on": "A very long dataset title that",
	}
	for title, want := range cases {
		got := TemplateSheetName(&plan.Dataset{Name: "every_type", Title: title})
		if got != want {
			t.Errorf("TemplateSheetName(%q) = %q; want %q", title, got, want)
		}
		if n := len(utf16.Encode([]rune(got))); n > 31 {
			t.Errorf("TemplateSheetName(%q) has %d characters", title, n)
		}
	}
}

// TestWriteTemplateAmbiguousTitle: a title that is another column's name
// would read back as that column, so the header is the column's name.
func TestWriteTemplateAmbiguousTitle(t *testing.T) {
	ds := &plan.Dataset{Name: "things", Title: "Things", Columns: []*plan.Column{
		{Name: "kind", Title: "Type", Type: plan.TypeText, Required: true, Example: "A"},
		{Name: "type", Title: "Type of thing", Type: plan.TypeText, Example: "B"},
	}}
	b := tmplWrite(t, ds, tmplOptions)
	rows, err := tmplOpen(t, b).GetRows("Things")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"kind", "Type of thing"}; !slices.Equal(rows[0], want) {
		t.Errorf("header %q; want %q", rows[0], want)
	}
	if res := tmplRead(t, b, ds); len(res.Batch.Rows) != 0 {
		t.Errorf("empty template: rows %+v", res.Batch.Rows)
	}
	// The examples typed into row 2 read back under their own columns.
	f := tmplOpen(t, b)
	if err := f.SetCellValue("Things", "A2", "A"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Things", "B2", "B"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	res := tmplRead(t, buf.Bytes(), ds)
	if len(res.Batch.Rows) != 1 || res.Batch.Rows[0].Values[0] != "A" || res.Batch.Rows[0].Values[1] != "B" {
		t.Errorf("rows %+v", res.Batch.Rows)
	}
}

// TestTemplateExcelSerial checks the date serials the template writes against
// excelize's reading of them, across Excel's phantom 29 February 1900.
func TestTemplateExcelSerial(t *testing.T) {
	for _, d := range []time.Time{
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 2, 28, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2200, 12, 31, 0, 0, 0, 0, time.UTC),
	} {
		got, err := excelize.ExcelDateToTime(float64(excelSerial(d)), false)
		if err != nil || !got.Equal(d) {
			t.Errorf("serial %d of %s reads back as %s (%v)", excelSerial(d), d.Format(time.DateOnly), got, err)
		}
	}
	if excelSerial(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)) != 1 || excelSerial(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)) != 45474 {
		t.Error("serials differ from Excel's")
	}
}
