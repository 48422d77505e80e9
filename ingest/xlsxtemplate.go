package ingest

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/plandash/plandash/internal/plan"
	"github.com/xuri/excelize/v2"
)

// TemplateOptions tune the template workbook WriteTemplate makes. The zero
// value is ready to use.
type TemplateOptions struct {
	// Place fills column defaults such as "{place.city}", which then serve
	// as the column's example.
	Place plan.Place
	// Allowed lists, by column name, the values a column may take (such as
	// the plan's strategy ids); the column gets a drop-down list of them.
	Allowed map[string][]string
	// Title is the plan's title, named in the instructions.
	Title string
	// FYStartMonth is the month fiscal years start in (July for many
	// cities), explained in the instructions; 0 leaves it unsaid.
	FYStartMonth time.Month
}

// Names of the template's other sheets. The reader looks only at visible
// sheets and takes the one whose header names most columns, which is always
// the data sheet: its header names every column.
const (
	TemplateInstructionsSheet = "Instructions"
	TemplateListsSheet        = "Lists" // hidden: drop-down lists too long to write inline
)

// TemplateLastRow is the last row the template's data validation (types,
// drop-down lists, input messages) covers.
const TemplateLastRow = 10000

// templateTime is the fixed creation time of every template, so one dataset
// always gives the same bytes (a download can be cached and compared).
const templateTime = "2020-01-01T00:00:00Z"

// Limits Excel puts on data validation text; a longer text makes Excel
// report the file as damaged.
const (
	maxPromptTitle = 32
	maxPrompt      = 255
	maxErrorTitle  = 32
	maxError       = 225
	maxInlineList  = 255 // characters of a list written in the validation itself
)

// Excel serial numbers of the sane date range the reader accepts.
var (
	templateMinDate = time.Date(minYear, 1, 1, 0, 0, 0, 0, time.UTC)
	templateMaxDate = time.Date(maxYear, 12, 31, 0, 0, 0, 0, time.UTC)
)

// WriteTemplate writes an Excel workbook for filling in the dataset ds: a
// data sheet named after the dataset with one header row (each column's
// title, which ReadTemplate matches), a note on every header cell, no data
// rows, number formats, and data validation with input messages down to
// TemplateLastRow; an Instructions sheet in plain words; and, when a
// drop-down list is too long to write inline, a hidden Lists sheet holding
// it. The same dataset and options give the same bytes.
//
// Examples are shown in the header notes, the input messages and the
// Instructions table, never as a data row: a forgotten example would import
// as a real number. A column's example is its default filled
// from opt.Place when it has one, else its example, else (for a required
// column) a made-up value of its type, and always one of its allowed values
// when opt.Allowed lists them. An example or an allowed value that is not a
// value of its column's type, or allowed values for a column the dataset does
// not have, are an error: the plan file needs fixing.
func WriteTemplate(w io.Writer, ds *plan.Dataset, opt TemplateOptions) error {
	if err := checkDataset(ds); err != nil {
		return err
	}
	g := &tmplGen{ds: ds, opt: opt, f: excelize.NewFile()}
	defer g.f.Close()
	if err := g.prepare(); err != nil {
		return err
	}
	if err := g.build(); err != nil {
		return fmt.Errorf("ingest: template %s: %w", ds.Name, err)
	}
	if _, err := g.f.WriteTo(w); err != nil {
		return fmt.Errorf("ingest: template %s: write: %w", ds.Name, err)
	}
	return nil
}

// tmplCol is what the template says about one dataset column.
type tmplCol struct {
	c       *plan.Column
	header  string // the header cell: the title, or the name when the title means another column
	letter  string // "C"
	raw     string // the example as written in the plan ("" for none)
	example any    // the parsed example, nil for none
	allowed []string
	values  []any // allowed, parsed
	def     string
	width   float64
	decs    int // decimals shown for a decimal column
}

type tmplGen struct {
	ds    *plan.Dataset
	opt   TemplateOptions
	f     *excelize.File
	sheet string
	cols  []*tmplCol
	lists int // columns used on the Lists sheet
}

// prepare checks the options and works out each column's example.
func (g *tmplGen) prepare() error {
	for _, name := range slices.Sorted(maps.Keys(g.opt.Allowed)) {
		if g.ds.Column(name) == nil {
			return fmt.Errorf("ingest: template %s: allowed values for %q, which is not a column of the dataset", g.ds.Name, name)
		}
	}
	m := NewMatcher(g.ds)
	for i, c := range g.ds.Columns {
		tc := &tmplCol{c: c, letter: ColumnLetters(i), decs: 2}
		for _, h := range []string{c.Title, c.Name} {
			if j, ok := m.Match(strings.TrimSpace(h)); ok && j == i {
				tc.header = strings.TrimSpace(h)
				break
			}
		}
		if tc.header == "" {
			return fmt.Errorf("ingest: template %s: column %s: its title and name both name other columns, so no header would read back as it", g.ds.Name, c.Name)
		}
		allowed := g.opt.Allowed[c.Name]
		if len(allowed) == 0 {
			// A column that lists its words offers them as a drop-down.
			allowed = c.Values
		}
		for _, a := range allowed {
			a = strings.TrimSpace(a)
			if a == "" || slices.Contains(tc.allowed, a) {
				continue
			}
			v, err := ParseValue(c.Type, a, ParseOptions{})
			if err != nil || v == nil {
				why := "means no value"
				if err != nil {
					why = err.Error()
				}
				return fmt.Errorf("ingest: template %s: column %s: allowed value %q %s", g.ds.Name, c.Name, a, why)
			}
			tc.allowed = append(tc.allowed, a)
			tc.values = append(tc.values, v)
		}
		if c.Default != "" {
			d := strings.NewReplacer("{place.city}", g.opt.Place.City, "{place.state}", g.opt.Place.State).Replace(c.Default)
			if v, err := ParseValue(c.Type, d, ParseOptions{}); err == nil && v != nil && !strings.Contains(d, "{") {
				tc.def = strings.TrimSpace(d)
			}
		}
		raw := strings.TrimSpace(c.Example)
		if tc.def != "" {
			raw = tc.def
		}
		if raw != "" {
			v, err := ParseValue(c.Type, raw, ParseOptions{})
			if err != nil {
				return fmt.Errorf("ingest: template %s: column %s: example %q %v", g.ds.Name, c.Name, raw, err)
			}
			if v == nil {
				raw = ""
			}
		}
		if len(tc.allowed) > 0 && !slices.Contains(tc.allowed, raw) {
			// The example shown must be one of the drop-down's values.
			raw = ""
			if c.Required || strings.TrimSpace(c.Example) != "" || tc.def != "" {
				raw = tc.allowed[0]
			}
		}
		if raw == "" && c.Required {
			raw = madeUpExample(c.Type)
		}
		if raw != "" {
			tc.raw = raw
			tc.example, _ = ParseValue(c.Type, raw, ParseOptions{})
		}
		if c.Type == plan.TypeDecimal {
			if _, frac, ok := strings.Cut(raw, "."); ok && allDigits(frac) {
				tc.decs = min(max(len(frac), 2), 6)
			}
		}
		g.cols = append(g.cols, tc)
	}
	return nil
}

// madeUpExample is an example for a required column the plan gives none
// for, so the instructions show how to fill every required column.
func madeUpExample(typ string) string {
	switch typ {
	case plan.TypeInteger:
		return "1"
	case plan.TypeDecimal:
		return "1.5"
	case plan.TypeMoney:
		return "1000.00"
	case plan.TypeDate:
		return "2025-01-31"
	case plan.TypeMonth:
		return "2025-01"
	case plan.TypeFiscalYear:
		return "FY 2024-25"
	case plan.TypeBoolean:
		return "TRUE"
	}
	return "Example"
}

func (g *tmplGen) build() error {
	g.sheet = TemplateSheetName(g.ds)
	if err := g.f.SetSheetName("Sheet1", g.sheet); err != nil {
		return err
	}
	if _, err := g.f.NewSheet(TemplateInstructionsSheet); err != nil {
		return err
	}
	if err := g.dataSheet(); err != nil {
		return err
	}
	if err := g.instructions(); err != nil {
		return err
	}
	if g.lists > 0 {
		if err := g.f.SetSheetVisible(TemplateListsSheet, false); err != nil {
			return err
		}
	}
	g.f.SetActiveSheet(0)
	return g.f.SetDocProps(&excelize.DocProperties{
		Title:          datasetTitle(g.ds) + " template",
		Subject:        "plandash import template for the dataset " + g.ds.Name,
		Description:    g.ds.Description,
		Creator:        "plandash",
		LastModifiedBy: "plandash",
		Created:        templateTime,
		Modified:       templateTime,
		Language:       "en-US",
	})
}

// TemplateSheetName is the name of the data sheet of ds's template: its
// title (or name) made a valid sheet name, at most 31 characters, and never
// one of the template's other sheets.
func TemplateSheetName(ds *plan.Dataset) string {
	s := datasetTitle(ds)
	s = strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune(`:\/?*[]`, r):
			return ' '
		case unicode.IsControl(r) || !unicode.IsPrint(r) && r != ' ':
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	clean := func(s string) string {
		return strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "'"))
	}
	s = clean(cutUTF16(s, 31))
	if s == "" {
		s = "Data"
	}
	for _, taken := range []string{TemplateInstructionsSheet, TemplateListsSheet, "History"} {
		if strings.EqualFold(s, taken) {
			s = clean(cutUTF16(s, 31-len(" data"))) + " data"
		}
	}
	return s
}

// datasetTitle is the dataset's title, or its name.
func datasetTitle(ds *plan.Dataset) string {
	if t := strings.TrimSpace(ds.Title); t != "" {
		return t
	}
	return ds.Name
}

// cutUTF16 cuts s to at most n UTF-16 code units (Excel's characters) at
// a rune boundary.
func cutUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n {
			return s[:i]
		}
	}
	return s
}

// fitUTF16 is s cut to n UTF-16 code units, ending in "…" when cut.
func fitUTF16(s string, n int) string {
	if len(utf16.Encode([]rune(s))) <= n {
		return s
	}
	return strings.TrimSpace(cutUTF16(s, n-1)) + "…"
}

// Number formats of the data sheet.
const (
	fmtText  = 49 // "@": typed digits stay text, so ZIP codes keep leading zeros
	fmtWhole = 1  // "0"
	fmtMoney = 4  // "#,##0.00"
)

func (g *tmplGen) columnStyle(tc *tmplCol) (int, error) {
	st := &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}}
	custom := func(s string) { st.CustomNumFmt = &s }
	switch tc.c.Type {
	case plan.TypeText, plan.TypeFiscalYear:
		st.NumFmt = fmtText
	case plan.TypeInteger:
		st.NumFmt = fmtWhole
	case plan.TypeDecimal:
		custom("0." + strings.Repeat("0", tc.decs))
	case plan.TypeMoney:
		st.NumFmt = fmtMoney
	case plan.TypeDate:
		// ISO order shows how Excel understood a typed 02/03/2025.
		custom("yyyy-mm-dd")
		st.Alignment.Horizontal = "left"
	case plan.TypeMonth:
		custom("mmm yyyy")
		st.Alignment.Horizontal = "left"
	case plan.TypeBoolean:
		st.Alignment.Horizontal = "center"
	}
	return g.f.NewStyle(st)
}

func (g *tmplGen) dataSheet() error {
	f, sh := g.f, g.sheet
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
		NumFmt:    fmtText,
	})
	if err != nil {
		return err
	}
	// Column styles first: cells written later take them, and the
	// columns keep them for the rows people add.
	for _, tc := range g.cols {
		id, err := g.columnStyle(tc)
		if err != nil {
			return err
		}
		if err := f.SetColStyle(sh, tc.letter, id); err != nil {
			return err
		}
	}
	lines := 1
	for _, tc := range g.cols {
		title := tc.header
		if err := f.SetCellStr(sh, tc.letter+"1", title); err != nil {
			return err
		}
		// The example stays out of the data rows (a forgotten example would
		// import as a real number): the header note, the input message and
		// the Instructions sheet show it.
		tc.width = columnWidth(title, g.display(tc, tc.raw, tc.example), tc)
		if err := f.SetColWidth(sh, tc.letter, tc.letter, tc.width); err != nil {
			return err
		}
		lines = max(lines, wrappedLines(title, tc.width))
		if err := f.AddComment(sh, g.headerNote(tc)); err != nil {
			return err
		}
		if err := g.validate(tc); err != nil {
			return err
		}
	}
	last := g.cols[len(g.cols)-1].letter + "1"
	if err := f.SetCellStyle(sh, "A1", last, header); err != nil {
		return err
	}
	if err := f.SetRowHeight(sh, 1, float64(15*lines+3)); err != nil {
		return err
	}
	return f.SetPanes(sh, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	})
}

// columnWidth fits the title on at most two lines and the example on one.
func columnWidth(title, example string, tc *tmplCol) float64 {
	n := func(s string) float64 { return float64(len([]rune(s))) }
	w := max(math.Ceil(n(title)/2)+2, n(example)+3, 10)
	if n(title) <= 24 {
		w = max(w, n(title)+3)
	}
	switch tc.c.Type {
	case plan.TypeDate, plan.TypeMoney:
		w = max(w, 13)
	case plan.TypeFiscalYear:
		w = max(w, 12)
	}
	for _, a := range tc.allowed {
		w = max(w, min(n(a)+3, 40))
	}
	return min(w, 40)
}

func wrappedLines(s string, width float64) int {
	per := max(int(width)-2, 1)
	return max(1, (len([]rune(s))+per-1)/per)
}

// setValue writes a parsed value as Excel stores what a person types:
// numbers as numbers, dates as date serials, fiscal years as the text.
func (g *tmplGen) setValue(sheet, cell string, tc *tmplCol, raw string, v any) error {
	f := g.f
	if v == nil {
		return nil
	}
	switch tc.c.Type {
	case plan.TypeFiscalYear:
		return f.SetCellStr(sheet, cell, raw)
	case plan.TypeInteger:
		return f.SetCellInt(sheet, cell, v.(int64))
	case plan.TypeDecimal:
		return f.SetCellFloat(sheet, cell, v.(float64), -1, 64)
	case plan.TypeMoney:
		// The exact decimal, not a float's nearest neighbour.
		return f.SetCellDefault(sheet, cell, v.(Money).String())
	case plan.TypeDate, plan.TypeMonth:
		return f.SetCellInt(sheet, cell, excelSerial(v.(time.Time)))
	case plan.TypeBoolean:
		return f.SetCellBool(sheet, cell, v.(bool))
	}
	return f.SetCellStr(sheet, cell, v.(string))
}

// excelSerial is the Excel (1900 system) serial number of t's day.
func excelSerial(t time.Time) int64 {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	// Unix seconds, not Sub: a Duration spans only 292 years.
	n := (d.Unix() - time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Unix()) / 86400
	if d.Before(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)) {
		n-- // Excel counts a 29 February 1900 that never was
	}
	return n
}

// display is a value as the instructions and messages show it.
func (g *tmplGen) display(tc *tmplCol, raw string, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		if tc.c.Type == plan.TypeMonth {
			return v.Format("Jan 2006")
		}
		return v.Format("2006-01-02")
	case Money:
		return groupThousands(v.String())
	case bool:
		return strings.ToUpper(strconv.FormatBool(v))
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int64:
		if tc.c.Type == plan.TypeFiscalYear {
			return raw
		}
		return strconv.FormatInt(v, 10)
	case string:
		return v
	}
	return raw
}

// groupThousands puts commas in the whole part of a plain decimal number.
func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// typeWords names a column's type in plain words.
func typeWords(c *plan.Column) string {
	var s string
	switch c.Type {
	case plan.TypeText:
		s = "Text"
	case plan.TypeInteger:
		s = "Whole number"
	case plan.TypeDecimal:
		s = "Number"
	case plan.TypeMoney:
		s = "Amount of money"
	case plan.TypeDate:
		s = "Date"
	case plan.TypeMonth:
		s = "Month"
	case plan.TypeFiscalYear:
		s = "Fiscal year"
	case plan.TypeBoolean:
		s = "TRUE or FALSE"
	}
	if c.Unit != "" {
		s += " (" + c.Unit + ")"
	}
	return s
}

// howToWrite says how a value of the column is written.
func howToWrite(c *plan.Column) string {
	switch c.Type {
	case plan.TypeInteger:
		return "A whole number without decimals; 1234 and 1,234 both work."
	case plan.TypeDecimal:
		return "A number; decimals are fine."
	case plan.TypeMoney:
		return "An amount such as 1250000.00 or $1,250,000.00; a negative amount as -1250 or (1,250). Not a percentage."
	case plan.TypeDate:
		return "A date, such as 2025-01-29 or 1/29/2025."
	case plan.TypeMonth:
		return "A month, such as Jul 2024 or 7/2024; any date in the month stands for the month."
	case plan.TypeFiscalYear:
		return "FY 2024-25, 2024-25, FY25 or 2025 (the year it ends)."
	case plan.TypeBoolean:
		return "Pick TRUE or FALSE."
	}
	return "Any text."
}

// how says how to write the column's values in a note or the
// instructions, where "any text" goes without saying.
func (tc *tmplCol) how() string {
	switch {
	case len(tc.allowed) > 0:
		return "Pick a value from the drop-down list."
	case tc.c.Type == plan.TypeText:
		return ""
	}
	return howToWrite(tc.c)
}

// defaultWords explains the column's default: it fills a column the file
// lacks, not a blank cell.
func (tc *tmplCol) defaultWords() string {
	return fmt.Sprintf("A blank cell means no value; only a file without a %s column at all gets %s in every row.", tc.header, tc.def)
}

func requiredWords(c *plan.Column) string {
	if c.Required {
		return "Required: every row needs a value."
	}
	return "Optional: leave it blank for no value."
}

// listSummary names allowed values for a note, the first few of a long list.
func listSummary(vals []string) string {
	const show = 12
	if len(vals) <= show {
		return strings.Join(vals, ", ")
	}
	return fmt.Sprintf("%s and %d more (see the drop-down list)", strings.Join(vals[:show], ", "), len(vals)-show)
}

func (g *tmplGen) headerNote(tc *tmplCol) excelize.Comment {
	c := tc.c
	paras := []string{typeWords(c) + ". " + requiredWords(c)}
	if h := tc.how(); h != "" {
		paras = append(paras, h)
	}
	if ex := g.display(tc, tc.raw, tc.example); ex != "" {
		paras = append(paras, "Example: "+ex)
	}
	if d := strings.TrimSpace(c.Description); d != "" {
		paras = append(paras, d)
	}
	if len(tc.allowed) > 0 {
		paras = append(paras, "Allowed values: "+listSummary(tc.allowed))
	}
	if tc.def != "" {
		paras = append(paras, tc.defaultWords())
	}
	if !c.IsPublic() {
		paras = append(paras, "Not shown to the public.")
	}
	text := strings.Join(paras, "\n")
	lines := 1
	for _, p := range paras {
		lines += (len([]rune(p)) + 44) / 45
	}
	return excelize.Comment{
		Cell:   tc.letter + "1",
		Author: "plandash",
		Paragraph: []excelize.RichTextRun{
			{Text: tc.header + "\n", Font: &excelize.Font{Bold: true}},
			{Text: text},
		},
		Width:  300,
		Height: uint(min(max(15*lines+10, 60), 400)),
	}
}

// inlineList reports whether vals fit in the validation itself: Excel
// allows 255 characters there, and a comma or quote inside a value would
// split or break it.
func inlineList(vals []string) bool {
	n := len(vals) - 1
	for _, v := range vals {
		if strings.ContainsAny(v, `,"`) || strings.HasPrefix(v, "=") {
			return false
		}
		n += len(utf16.Encode([]rune(v)))
	}
	return n <= maxInlineList
}

func (g *tmplGen) validate(tc *tmplCol) error {
	c := tc.c
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(fmt.Sprintf("%s2:%s%d", tc.letter, tc.letter, TemplateLastRow))
	msg := requiredWords(c) + " " + howToWrite(c)
	if ex := g.display(tc, tc.raw, tc.example); ex != "" {
		msg += " Example: " + ex + "."
	}
	var err error
	errTitle, errMsg := "", ""
	switch {
	case len(tc.allowed) > 0:
		msg = requiredWords(c) + " Pick a value from the list."
		errTitle, errMsg = "Not in the list", "Pick a value from the drop-down list. The Instructions sheet says what the column means."
		if c.Type != plan.TypeDate && c.Type != plan.TypeMonth && inlineList(tc.allowed) {
			err = dv.SetDropList(tc.allowed)
		} else {
			var ref string
			ref, err = g.listRange(tc)
			dv.SetSqrefDropList(ref)
		}
	case c.Type == plan.TypeBoolean:
		err = dv.SetDropList([]string{"TRUE", "FALSE"})
		errTitle, errMsg = "TRUE or FALSE", "Pick TRUE or FALSE from the drop-down list."
	case c.Type == plan.TypeInteger:
		err = dv.SetRange(-999_999_999_999_999, 999_999_999_999_999, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween)
		errTitle, errMsg = "Whole number", "Type a whole number without decimals, such as 1234."
	case c.Type == plan.TypeDecimal:
		err = dv.SetRange(-1e15, 1e15, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween)
		errTitle, errMsg = "Number", "Type a number, such as 1234 or 12.5."
	case c.Type == plan.TypeMoney:
		err = dv.SetRange(-999_999_999_999_999, 999_999_999_999_999, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween)
		errTitle, errMsg = "Amount of money", "Type an amount as a number, such as 1250000.00; a negative amount as -1250."
	case c.Type == plan.TypeDate:
		err = dv.SetRange(int(excelSerial(templateMinDate)), int(excelSerial(templateMaxDate)), excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween)
		errTitle, errMsg = "Date", "Type a date between 1900 and 2200, such as 2025-01-29 or 1/29/2025."
	case c.Type == plan.TypeMonth:
		err = dv.SetRange(int(excelSerial(templateMinDate)), int(excelSerial(templateMaxDate)), excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween)
		errTitle, errMsg = "Month", "Type a month, such as Jul 2024 or 7/2024, between 1900 and 2200."
	default:
		// Text and fiscal years take any text: the input message is the help.
		dv.Type = "none"
	}
	if err != nil {
		return err
	}
	dv.SetInput(fitUTF16(tc.header, maxPromptTitle), fitUTF16(msg, maxPrompt))
	if errTitle != "" {
		dv.SetError(excelize.DataValidationErrorStyleStop, fitUTF16(errTitle, maxErrorTitle), fitUTF16(errMsg, maxError))
	}
	return g.f.AddDataValidation(g.sheet, dv)
}

// listRange writes the column's allowed values to the hidden Lists sheet,
// one column per list under a title, and returns their range.
func (g *tmplGen) listRange(tc *tmplCol) (string, error) {
	f := g.f
	if g.lists == 0 {
		if _, err := f.NewSheet(TemplateListsSheet); err != nil {
			return "", err
		}
	}
	col := ColumnLetters(g.lists)
	g.lists++
	style, err := g.columnStyle(tc)
	if err != nil {
		return "", err
	}
	if err := f.SetColStyle(TemplateListsSheet, col, style); err != nil {
		return "", err
	}
	if err := f.SetColWidth(TemplateListsSheet, col, col, 40); err != nil {
		return "", err
	}
	if err := f.SetCellStr(TemplateListsSheet, col+"1", tc.header); err != nil {
		return "", err
	}
	for i, v := range tc.values {
		if err := g.setValue(TemplateListsSheet, fmt.Sprintf("%s%d", col, i+2), tc, tc.allowed[i], v); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%s!$%s$2:$%s$%d", TemplateListsSheet, col, col, len(tc.values)+1), nil
}

// instructionsLayout makes the styles of an Instructions sheet (title,
// bold, table head, wrapped text) and sets its column widths; the dataset
// template and the tracker template share it.
func instructionsLayout(f *excelize.File, sh string) (title, bold, head, wrap int, err error) {
	if title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err != nil {
		return
	}
	if bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return
	}
	if head, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
	}); err != nil {
		return
	}
	if wrap, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}); err != nil {
		return
	}
	for i, w := range []float64{30, 24, 11, 20, 70} {
		col := ColumnLetters(i)
		if err = f.SetColWidth(sh, col, col, w); err != nil {
			return
		}
	}
	return
}

func (g *tmplGen) instructions() error {
	f, sh := g.f, TemplateInstructionsSheet
	title, bold, head, wrap, err := instructionsLayout(f, sh)
	if err != nil {
		return err
	}
	row := 1
	// line writes a paragraph across columns A:E, merged and wrapped.
	line := func(text string, style int) error {
		cell := fmt.Sprintf("A%d", row)
		if err := f.SetCellStr(sh, cell, text); err != nil {
			return err
		}
		if err := f.MergeCell(sh, cell, fmt.Sprintf("E%d", row)); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell, cell, style); err != nil {
			return err
		}
		// The merged width is about 150 characters.
		if n := len([]rune(text)); n > 140 {
			if err := f.SetRowHeight(sh, row, float64(15*((n+139)/140)+2)); err != nil {
				return err
			}
		}
		row++
		return nil
	}
	dsTitle := datasetTitle(g.ds)
	var paras []struct {
		text  string
		style int
	}
	add := func(style int, format string, args ...any) {
		paras = append(paras, struct {
			text  string
			style int
		}{fmt.Sprintf(format, args...), style})
	}
	add(title, "%s: template for plandash", dsTitle)
	if g.opt.Title != "" {
		add(wrap, "This file is for entering %s data for %s, to be imported with plandash.", dsTitle, g.opt.Title)
	} else {
		add(wrap, "This file is for entering %s data, to be imported with plandash.", dsTitle)
	}
	if d := strings.TrimSpace(g.ds.Description); d != "" {
		add(wrap, "%s", d)
	}
	add(0, "")
	add(bold, "How to fill it in")
	for _, p := range g.howTo() {
		add(wrap, "• %s", p)
	}
	add(0, "")
	add(bold, "How to import it")
	add(wrap, "• Save the file as an Excel workbook (.xlsx). CSV also works, saved from the sheet %q.", g.sheet)
	add(wrap, "• Upload it on the plandash upload page, or import it on the command line: plandash import --dataset %s FILE", g.ds.Name)
	add(wrap, "• plandash reports every value it cannot read, by sheet, row and column (such as %s!%s5), and loads nothing from a file with errors: fix them and import the file again.", g.sheet, g.cols[0].letter)
	add(0, "")
	add(bold, "The columns")
	for _, p := range paras {
		if p.text == "" {
			row++
			continue
		}
		if err := line(p.text, p.style); err != nil {
			return err
		}
	}
	_, err = g.columnTable(f, sh, row, head, wrap)
	return err
}

// columnTable writes the table of the sheet's columns (header, type,
// whether required, an example, what it means) from row down, and returns
// the row after it.
func (g *tmplGen) columnTable(f *excelize.File, sh string, row, head, wrap int) (int, error) {
	heads := []string{"Column (header)", "Type", "Required", "Example", "What it means"}
	for i, h := range heads {
		if err := f.SetCellStr(sh, CellRef(i, row), h); err != nil {
			return row, err
		}
	}
	if err := f.SetCellStyle(sh, CellRef(0, row), CellRef(len(heads)-1, row), head); err != nil {
		return row, err
	}
	row++
	for _, tc := range g.cols {
		c := tc.c
		req := "Optional"
		if c.Required {
			req = "Required"
		}
		var means []string
		if d := strings.TrimSpace(c.Description); d != "" {
			means = append(means, d)
		}
		if h := tc.how(); h != "" {
			means = append(means, h)
		}
		if len(tc.allowed) > 0 {
			means = append(means, "Allowed values: "+listSummary(tc.allowed)+".")
		}
		if tc.def != "" {
			means = append(means, tc.defaultWords())
		}
		if !c.IsPublic() {
			means = append(means, "Not shown to the public.")
		}
		cells := []string{tc.header, typeWords(c), req, g.display(tc, tc.raw, tc.example), strings.Join(means, " ")}
		for i, v := range cells {
			if err := f.SetCellStr(sh, CellRef(i, row), v); err != nil {
				return row, err
			}
		}
		if err := f.SetCellStyle(sh, CellRef(0, row), CellRef(len(heads)-1, row), wrap); err != nil {
			return row, err
		}
		if n := len([]rune(cells[4])); n > 66 {
			if err := f.SetRowHeight(sh, row, float64(15*((n+65)/66)+2)); err != nil {
				return row, err
			}
		}
		row++
	}
	return row, nil
}

// howTo is the list of rules for filling in the data sheet.
func (g *tmplGen) howTo() []string {
	ds := g.ds
	var out []string
	var key []string
	for _, k := range ds.Key {
		for _, tc := range g.cols {
			if tc.c.Name == k {
				key = append(key, tc.header)
			}
		}
	}
	keyList := joinAnd(key)
	one := fmt.Sprintf("Fill in the sheet %q from row 2 down, one row per record", g.sheet)
	if keyList != "" {
		one = fmt.Sprintf("Fill in the sheet %q from row 2 down, one row per %s", g.sheet, keyList)
	}
	out = append(out, one+".")
	out = append(out, "The sheet starts empty below the header. The table below shows an example value for each column, and so does the note on each header cell.")
	out = append(out, "Leave the header (row 1) as it is: plandash finds each column by its header, so the columns may be moved but not renamed. Columns plandash does not know are ignored.")
	out = append(out, "A blank cell means no value, not zero: type 0 for zero. N/A, - and . also mean no value. Every row needs a value in each required column.")
	switch ds.Mode {
	case plan.ModeReplace:
		out = append(out, "Each import replaces all the rows imported before, so the file must hold the whole list every time.")
	case plan.ModeUpsert:
		if keyList != "" {
			out = append(out, fmt.Sprintf("A row with the same %s as a row imported before replaces it; other rows stay as they are. Each row's %s must be different from every other row's in the file.", keyList, keyList))
		}
	default:
		out = append(out, "Each import adds its rows to the rows imported before, so do not import the same rows twice.")
	}
	seen := map[string]bool{}
	for _, c := range ds.Columns {
		if seen[c.Type] {
			continue
		}
		seen[c.Type] = true
		switch c.Type {
		case plan.TypeDate:
			out = append(out, "Dates: type them as Excel dates, such as 1/29/2025 or 2025-01-29. The sheet shows them as 2025-01-29, so you can check Excel read the day and month the right way round.")
		case plan.TypeMonth:
			out = append(out, "Months: type Jul 2024 or 7/2024. The sheet shows them as Jul 2024; any date in a month stands for that month.")
		case plan.TypeMoney:
			out = append(out, "Amounts of money: type the number, such as 1250000.00; $1,250,000.00 also works. A negative amount is -1250.00 or (1,250.00).")
		case plan.TypeInteger:
			out = append(out, "Whole numbers: no decimals; 1,234 and 1234 both work.")
		case plan.TypeFiscalYear:
			fy := "Fiscal years: type FY 2024-25, 2024-25, FY25 or 2025 (the year the fiscal year ends)."
			switch m := g.opt.FYStartMonth; {
			case m == time.January:
				fy += " The fiscal year is the calendar year."
			case m > time.January && m <= time.December:
				fy += fmt.Sprintf(" The fiscal year starts in %s: FY 2024-25 runs from %s 2024 to %s 2025.", m, m, m-1)
			}
			out = append(out, fy)
		case plan.TypeBoolean:
			out = append(out, "Yes-or-no columns: pick TRUE or FALSE.")
		}
	}
	out = append(out, "Select a cell to see what its column takes; the note on each header says more, and the table below lists every column.")
	return out
}

// joinAnd joins words as a sentence does: "a, b and c".
func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
