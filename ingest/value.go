package ingest

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/plandash/plandash/internal/plan"
	"github.com/xuri/excelize/v2"
)

// Money is an amount in cents (DECIMAL(18,2)).
type Money int64

// maxMoneyCents bounds Money to what DECIMAL(18,2) holds.
const maxMoneyCents = 999_999_999_999_999_999

// String formats the amount with two decimals and no separators: -1234.50.
func (m Money) String() string {
	v := int64(m)
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign = "-"
		u = uint64(-(v + 1)) + 1 // safe for math.MinInt64
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + twoDigits(u%100)
}

func twoDigits(n uint64) string {
	if n < 10 {
		return "0" + strconv.FormatUint(n, 10)
	}
	return strconv.FormatUint(n, 10)
}

// ParseOptions says how the source writes values.
type ParseOptions struct {
	// Serial makes a plain number in a date or month column an Excel date
	// serial. Set it for cells read from a workbook, where dates are stored
	// as numbers; a CSV file has dates as text.
	Serial bool
	// Date1904 is set when the workbook counts serials from 1904 (old Mac
	// Excel) instead of 1900.
	Date1904 bool
}

// ValueError is a value that cannot be read as its column's type. Its
// message reads after the value: `"1,2.34" is not a number`.
type ValueError struct{ Message string }

func (e *ValueError) Error() string { return e.Message }

func bad(msg string) error { return &ValueError{Message: msg} }

// Messages of value errors, kept in one place so tests and callers agree.
const (
	msgRequired    = "is required"
	msgNumber      = "is not a number"
	msgWhole       = "is not a whole number"
	msgRange       = "is too large"
	msgPercentCash = "is a percentage, not an amount of money"
	msgDate        = "is not a date"
	msgMonth       = "is not a month"
	msgSaneDate    = "is not a sane date"
	msgFiscalYear  = "is not a fiscal year"
	msgBoolean     = "is not yes or no"
	msgExcelError  = "is an Excel error value; fix the formula or clear the cell"
	msgBadText     = "is not valid text (save the file as UTF-8)"
)

// Sane years: anything outside is a typing or conversion mistake.
const (
	minYear = 1900
	maxYear = 2200
)

// IsMissing reports whether raw text means "no value": blank, N/A, NA, n/a,
// "." or "-" (case and surrounding space ignored).
func IsMissing(raw string) bool {
	s := strings.TrimSpace(raw)
	switch s {
	case "", ".", "-":
		return true
	}
	return strings.EqualFold(s, "n/a") || strings.EqualFold(s, "na")
}

// excelErrors are the error values Excel stores in a cell whose formula
// failed. They are never data.
var excelErrors = map[string]bool{
	"#N/A": true, "#DIV/0!": true, "#VALUE!": true, "#REF!": true, "#NAME?": true,
	"#NUM!": true, "#NULL!": true, "#GETTING_DATA": true, "#SPILL!": true,
	"#CALC!": true, "#FIELD!": true, "#BLOCKED!": true, "#CONNECT!": true,
	"#BUSY!": true, "#UNKNOWN!": true,
}

// ParseValue reads raw cell text as a value of the column type typ (one of
// the plan.Type constants). It returns nil and no error for a missing value
// (see IsMissing); the caller decides whether the column may be missing. The
// value is a string (text), int64 (integer, fiscal_year as its ending year),
// float64 (decimal), Money (money), time.Time at UTC midnight (date; a month
// is its first day) or bool (boolean). A *ValueError says why raw is not a
// value of the type.
func ParseValue(typ, raw string, o ParseOptions) (any, error) {
	s := strings.TrimSpace(raw)
	if len(s) <= 3 && IsMissing(s) { // every missing marker is short
		return nil, nil
	}
	if s[0] == '#' && excelErrors[strings.ToUpper(s)] {
		return nil, bad(msgExcelError)
	}
	if typ == plan.TypeText {
		if !utf8.ValidString(s) {
			return nil, bad(msgBadText)
		}
		return s, nil
	}
	v, err := parseTyped(typ, s, o)
	if err != nil && !utf8.ValidString(s) {
		// Broken text is what to tell, whatever the column's type.
		return nil, bad(msgBadText)
	}
	return v, err
}

func parseTyped(typ, s string, o ParseOptions) (any, error) {
	switch typ {
	case plan.TypeInteger:
		return parseInteger(s)
	case plan.TypeDecimal:
		return parseDecimal(s)
	case plan.TypeMoney:
		return parseMoney(s)
	case plan.TypeDate:
		return parseDate(s, o)
	case plan.TypeMonth:
		return parseMonth(s, o)
	case plan.TypeFiscalYear:
		return parseFiscalYear(s)
	case plan.TypeBoolean:
		return parseBool(s)
	}
	return nil, bad("has a column type plandash does not know (" + typ + ")")
}

// number is a decimal number exactly as written: digits × 10^exp.
type number struct {
	neg     bool
	digits  string // without separators or leading zeros; "" is zero
	exp     int
	percent bool // written with %, already counted in exp
}

// parseNumber reads a number as people and spreadsheets write it: 1234,
// 1,234.56, -1.5e3, (1,234) for a negative, $1,234.56, 72.6%. Commas must
// group thousands, so "1,2.34" is refused rather than guessed at.
func parseNumber(s string) (n number, ok bool) {
	neg := false
	cutPercent := func() {
		if !n.percent && strings.HasSuffix(s, "%") {
			n.percent = true
			s = strings.TrimSpace(s[:len(s)-1])
		}
	}
	cutParens := func() {
		if !neg && len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
			neg = true
			s = strings.TrimSpace(s[1 : len(s)-1])
		}
	}
	cutPercent()
	cutParens()
	cutPercent()
	s, sign := cutSign(s)
	s, dollar := strings.CutPrefix(s, "$")
	s = strings.TrimSpace(s)
	if dollar && sign == 0 {
		cutParens() // $(1,234)
		s, sign = cutSign(s)
	}
	if sign != 0 && neg {
		return n, false // "(-12)" is not a way of writing a number
	}
	if dollar && n.percent {
		return n, false
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, exp, hasExp = strings.Cut(s, "E")
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" {
		return n, false
	}
	if !validInt(intPart) || !allDigits(frac) {
		return n, false
	}
	if hasExp {
		e := strings.TrimPrefix(strings.TrimPrefix(exp, "+"), "-")
		// A bounded exponent keeps big.Rat from building 10^1000000000.
		if e == "" || len(e) > 3 || !allDigits(e) {
			return n, false
		}
		n.exp, _ = strconv.Atoi(exp)
	}
	n.digits = strings.TrimLeft(strings.ReplaceAll(intPart, ",", "")+frac, "0")
	n.exp -= len(frac)
	if n.percent {
		n.exp -= 2
	}
	n.neg = neg || sign == '-'
	return n, true
}

// text is the number in Go's syntax: -12345e-2.
func (n number) text() string {
	if n.digits == "" {
		return "0"
	}
	sign := ""
	if n.neg {
		sign = "-"
	}
	return sign + n.digits + "e" + strconv.Itoa(n.exp)
}

func (n number) rat() *big.Rat {
	r, ok := new(big.Rat).SetString(n.text())
	if !ok { // cannot happen: text is digits and a small exponent
		return new(big.Rat)
	}
	return r
}

// scaled is the number × 10^shift rounded half away from zero, when it fits
// an int64 cheaply; ok is false when it needs big arithmetic or does not fit.
func (n number) scaled(shift int) (v int64, exact, ok bool) {
	if n.digits == "" {
		return 0, true, true
	}
	if len(n.digits) > 18 {
		return 0, false, false
	}
	m, _ := strconv.ParseInt(n.digits, 10, 64)
	e := n.exp + shift
	switch {
	case e >= 0:
		for ; e > 0; e-- {
			if m > math.MaxInt64/10 {
				return 0, false, false
			}
			m *= 10
		}
		exact = true
	case e < -18:
		m, exact = 0, false // m < 10^18 and the divisor is larger: rounds to 0
	default:
		div := int64(1)
		for ; e < 0; e++ {
			div *= 10
		}
		q, r := m/div, m%div
		if 2*r >= div {
			q++
		}
		m, exact = q, r == 0
	}
	if n.neg {
		m = -m
	}
	return m, exact, true
}

func cutSign(s string) (string, byte) {
	switch {
	case strings.HasPrefix(s, "-"):
		return strings.TrimSpace(s[1:]), '-'
	case strings.HasPrefix(s, "+"):
		return strings.TrimSpace(s[1:]), '+'
	case strings.HasPrefix(s, "\u2212"): // the minus sign
		return strings.TrimSpace(s[len("\u2212"):]), '-'
	}
	return s, 0
}

// validInt accepts "", digits, or digits grouped by commas in threes.
func validInt(s string) bool {
	if !strings.Contains(s, ",") {
		return allDigits(s)
	}
	groups := strings.Split(s, ",")
	if len(groups[0]) == 0 || len(groups[0]) > 3 || !allDigits(groups[0]) {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !allDigits(g) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// roundRat rounds r to the nearest integer, halves away from zero.
func roundRat(r *big.Rat) *big.Int {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

// noiseScale: a value within a billionth of a whole number is the float
// noise of a computed Excel cell (81240.000000000001), not a fraction
// somebody typed.
var noiseScale = big.NewRat(1, 1_000_000_000)

func parseInteger(s string) (any, error) {
	if plainInteger(s) {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v, nil
		}
	}
	return parseWritten(s)
}

// parseWritten reads a whole number however it is written.
func parseWritten(s string) (any, error) {
	n, ok := parseNumber(s)
	if !ok {
		return nil, bad(msgNumber)
	}
	if v, exact, ok := n.scaled(0); ok && exact {
		return v, nil
	}
	r := n.rat()
	i := roundRat(r)
	if !r.IsInt() {
		d := new(big.Rat).Sub(r, new(big.Rat).SetInt(i))
		if d.Abs(d).Cmp(noiseScale) >= 0 {
			return nil, bad(msgWhole)
		}
	}
	if !i.IsInt64() {
		return nil, bad(msgRange)
	}
	return i.Int64(), nil
}

func parseDecimal(s string) (any, error) {
	if plainDecimal(s) {
		// Both paths read the same exact decimal, and ParseFloat rounds it
		// correctly, so the short cut gives the same float.
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
	}
	n, ok := parseNumber(s)
	if !ok {
		return nil, bad(msgNumber)
	}
	// ParseFloat rounds correctly; underflow is zero, overflow an error.
	f, err := strconv.ParseFloat(n.text(), 64)
	if err != nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, bad(msgRange)
	}
	return f, nil
}

// plainInteger reports whether s is at most 18 digits and nothing else, as
// spreadsheets store whole numbers: ParseInt reads it exactly as
// parseNumber would.
func plainInteger(s string) bool {
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// plainDecimal reports whether s is digits with at most one decimal point
// between digits and nothing else (no sign, separators or suffix), as
// spreadsheets store numbers.
func plainDecimal(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}

func parseMoney(s string) (any, error) {
	n, ok := parseNumber(s)
	if !ok {
		return nil, bad(msgNumber)
	}
	if n.percent {
		return nil, bad(msgPercentCash)
	}
	c, _, ok := n.scaled(2)
	if !ok {
		r := roundRat(new(big.Rat).Mul(n.rat(), big.NewRat(100, 1)))
		if !r.IsInt64() {
			return nil, bad(msgRange)
		}
		c = r.Int64()
	}
	if c > maxMoneyCents || c < -maxMoneyCents {
		return nil, bad(msgRange)
	}
	return Money(c), nil
}

func parseBool(s string) (any, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1":
		return true, nil
	case "false", "no", "n", "0":
		return false, nil
	}
	return nil, bad(msgBoolean)
}

var (
	reYMD     = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	reMDY     = regexp.MustCompile(`^(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})$`)
	reCompact = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	reSerial  = regexp.MustCompile(`^\d{1,7}(\.\d+)?$`)
	reYM      = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})$`)
	reMY      = regexp.MustCompile(`^(\d{1,2})[-/](\d{4})$`)
	reYMcomp  = regexp.MustCompile(`^(\d{4})(\d{2})$`)
	reSept    = regexp.MustCompile(`(?i)\bsept\b`)
	// reClock is the time of day after a date: 00:16:32, 2:05 PM,
	// 00:16:32.123Z, 00:16:32 UTC, 00:16:32-08:00.
	reClock = regexp.MustCompile(`^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?\s*(Z|[A-Za-z]{1,5}|[+-]\d{2}(:?\d{2})?)?$`)
)

// textDateLayouts are dates written with month names, as Excel and people
// write them. time.Parse matches month names ignoring case.
var textDateLayouts = []string{
	"Jan 2, 2006", "January 2, 2006", "Jan 2 2006", "January 2 2006",
	"2-Jan-2006", "2-Jan-06", "2 Jan 2006", "2 January 2006",
	"Mon, Jan 2, 2006", "Monday, January 2, 2006",
}

var textMonthLayouts = []string{
	"Jan 2006", "January 2006", "Jan-2006", "January-2006", "Jan-06",
}

func utcDate(y, m, d int) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // February 30 rolled over
		return time.Time{}, false
	}
	return t, true
}

func sane(t time.Time) bool { return t.Year() >= minYear && t.Year() <= maxYear }

// fullYear reads a year of two or four digits; two-digit years follow
// Excel: 00-29 are 2000s, 30-99 are 1900s.
func fullYear(s string) int {
	y, _ := strconv.Atoi(s)
	if len(s) == 2 {
		if y < 30 {
			return 2000 + y
		}
		return 1900 + y
	}
	return y
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// calendarDate reads s as a day; found is false when s is not written as a
// date at all.
func calendarDate(s string, o ParseOptions) (t time.Time, found bool) {
	if m := reYMD.FindStringSubmatch(s); m != nil {
		t, ok := utcDate(atoi(m[1]), atoi(m[2]), atoi(m[3]))
		return t, ok
	}
	if m := reMDY.FindStringSubmatch(s); m != nil {
		t, ok := utcDate(fullYear(m[3]), atoi(m[1]), atoi(m[2]))
		return t, ok
	}
	if m := reCompact.FindStringSubmatch(s); m != nil {
		if t, ok := utcDate(atoi(m[1]), atoi(m[2]), atoi(m[3])); ok && sane(t) {
			return t, true
		}
	}
	if o.Serial && reSerial.MatchString(s) {
		return serialDate(s, o), true
	}
	s = reSept.ReplaceAllString(s, "Sep")
	for _, l := range textDateLayouts {
		if d, err := time.Parse(l, s); err == nil {
			return d, true
		}
	}
	// A date and a time of day: keep the date as written (2025-02-12T00:16:32Z
	// is 2025-02-12).
	for i := 1; i < len(s); i++ {
		if (s[i] == 'T' || s[i] == ' ') && reClock.MatchString(strings.TrimSpace(s[i+1:])) {
			return calendarDate(strings.TrimSpace(s[:i]), ParseOptions{})
		}
	}
	return time.Time{}, false
}

// serialDate is the day of an Excel serial number written as reSerial
// matches, or the zero time when it is out of Excel's range.
func serialDate(s string, o ParseOptions) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	// Serial 1 is 1900-01-01; 2958465 is 9999-12-31, the last day Excel knows.
	if err != nil || f >= 2958466 || f < 1 && !o.Date1904 {
		return time.Time{}
	}
	if !o.Date1904 && f >= 61 && f == math.Trunc(f) {
		// A whole day after Excel's phantom 1900-02-29 (serial 60): days
		// since 1899-12-30, as excelize counts them.
		return time.Date(1899, time.December, 30+int(f), 0, 0, 0, 0, time.UTC)
	}
	d, err := excelize.ExcelDateToTime(f, o.Date1904)
	if err != nil {
		return time.Time{}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// serialText writes a serial number shown as a date as the date,
// 2024-07-01, with the time of day when it has one (2024-07-01 13:30); it
// leaves anything else as it is.
func serialText(s string, o ParseOptions) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || f >= 2958466 {
		return s
	}
	t, err := excelize.ExcelDateToTime(f, o.Date1904)
	if err != nil {
		return s
	}
	t = t.Round(time.Second)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	if t.Second() == 0 {
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("2006-01-02 15:04:05")
}

// plainSerial reports whether s is a serial number of at most five digits,
// which no other way of writing a date or month matches: the patterns tried
// before the serial all need a separator, a month name or six digits. It
// spares a workbook's date cells the regular expressions.
func plainSerial(s string, o ParseOptions) bool {
	if !o.Serial || len(s) == 0 || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseDate(s string, o ParseOptions) (any, error) {
	if plainSerial(s, o) {
		if t := serialDate(s, o); !t.IsZero() && sane(t) {
			return t, nil
		}
		return nil, bad(msgSaneDate)
	}
	t, found := calendarDate(s, o)
	if !found {
		return nil, bad(msgDate)
	}
	if t.IsZero() || !sane(t) {
		return nil, bad(msgSaneDate)
	}
	return t, nil
}

func parseMonth(s string, o ParseOptions) (any, error) {
	first := func(y, m int) (any, error) {
		t, ok := utcDate(y, m, 1)
		if !ok {
			return nil, bad(msgMonth)
		}
		if !sane(t) {
			return nil, bad(msgSaneDate)
		}
		return t, nil
	}
	if plainSerial(s, o) {
		t := serialDate(s, o)
		if t.IsZero() || !sane(t) {
			return nil, bad(msgSaneDate)
		}
		return first(t.Year(), int(t.Month()))
	}
	if m := reYM.FindStringSubmatch(s); m != nil {
		return first(atoi(m[1]), atoi(m[2]))
	}
	if m := reMY.FindStringSubmatch(s); m != nil {
		return first(atoi(m[2]), atoi(m[1]))
	}
	if m := reYMcomp.FindStringSubmatch(s); m != nil {
		if y, mo := atoi(m[1]), atoi(m[2]); y >= minYear && y <= maxYear && mo >= 1 && mo <= 12 {
			return first(y, mo)
		}
	}
	ts := reSept.ReplaceAllString(strings.Replace(s, ".", "", 1), "Sep")
	for _, l := range textMonthLayouts {
		if d, err := time.Parse(l, ts); err == nil {
			return first(d.Year(), int(d.Month()))
		}
	}
	t, found := calendarDate(s, o)
	if !found {
		return nil, bad(msgMonth)
	}
	if t.IsZero() || !sane(t) {
		return nil, bad(msgSaneDate)
	}
	return first(t.Year(), int(t.Month()))
}

var (
	reFYRange = regexp.MustCompile(`^(\d{2}|\d{4})\s*[-/\x{2013}]\s*(\d{2}|\d{4})$`)
	reFYYear  = regexp.MustCompile(`^(\d{4})(\.0+)?$`)
	reFYShort = regexp.MustCompile(`^\d{2}$`)
)

// parseFiscalYear reads FY 2023-24, 2023-24, 2023-2024, FY24, FY2024 or
// 2024 as the year the fiscal year ends in.
func parseFiscalYear(s string) (any, error) {
	u := strings.ToUpper(s)
	fy := false
	for _, p := range []string{"FISCAL YEAR", "FY"} {
		if rest, ok := strings.CutPrefix(u, p); ok {
			u, fy = strings.TrimSpace(strings.TrimLeft(rest, " -'\u2019")), true
			break
		}
	}
	end := 0
	switch {
	case reFYRange.MatchString(u):
		m := reFYRange.FindStringSubmatch(u)
		start := atoi(m[1])
		if len(m[1]) == 2 {
			start += 2000
		}
		end = atoi(m[2])
		if len(m[2]) == 2 {
			end += start / 100 * 100
			if end < start {
				end += 100
			}
		}
		if end != start+1 {
			return nil, bad(msgFiscalYear)
		}
	case reFYYear.MatchString(u):
		end = atoi(reFYYear.FindStringSubmatch(u)[1])
	case fy && reFYShort.MatchString(u):
		end = 2000 + atoi(u)
	default:
		return nil, bad(msgFiscalYear)
	}
	if end < minYear || end > maxYear {
		return nil, bad(msgFiscalYear)
	}
	return int64(end), nil
}
