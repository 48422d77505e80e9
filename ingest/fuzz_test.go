package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

var allTypes = []string{
	plan.TypeText, plan.TypeInteger, plan.TypeDecimal, plan.TypeMoney,
	plan.TypeDate, plan.TypeMonth, plan.TypeFiscalYear, plan.TypeBoolean,
}

// FuzzParseValue checks that no text makes ParseValue panic and that every
// value it returns has its type's Go type.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{
		"", "N/A", "-", "1,234", "1,2.34", "(1,234)", "$1,234.56", "($1,234.56)", "72.64%",
		"1.5e3", "1e999", "1e-999", "9999999999999999999", "0.005", "-0.005", "\u22121",
		"2025-03-31", "3/31/2025", "2025-02-12T00:16:32Z", "2025-02-12 00:16:32 UTC",
		"45747", "45747.5", "0", "2958465", "2958466", "Jul 2024", "July 2024", "7/2024",
		"2024-07", "Sept 2024", "FY 2023-24", "FY24", "2023-24", "2024", "FY2024",
		"yes", "No", "#DIV/0!", "\xff\xfe", "((1))", "$$1", "1e", "e1", ".", "-.", "+", "%",
		"Monday, January 2, 2006", "31-Mar-25", "20250231", "202413",
	} {
		f.Add(s, false, false)
		f.Add(s, true, false)
	}
	f.Add("44285", true, true)
	f.Fuzz(func(t *testing.T, s string, serial, date1904 bool) {
		for _, typ := range allTypes {
			v, err := ParseValue(typ, s, ParseOptions{Serial: serial, Date1904: date1904})
			if err != nil {
				var ve *ValueError
				if !errors.As(err, &ve) || ve.Message == "" {
					t.Fatalf("ParseValue(%s, %q): error %v is not a *ValueError", typ, s, err)
				}
				continue
			}
			if v == nil {
				if !IsMissing(s) {
					t.Fatalf("ParseValue(%s, %q) = nil for text that is not missing", typ, s)
				}
				continue
			}
			ok := false
			switch typ {
			case plan.TypeText:
				_, ok = v.(string)
			case plan.TypeInteger, plan.TypeFiscalYear:
				_, ok = v.(int64)
			case plan.TypeDecimal:
				_, ok = v.(float64)
			case plan.TypeMoney:
				_, ok = v.(Money)
			case plan.TypeDate, plan.TypeMonth:
				var d time.Time
				d, ok = v.(time.Time)
				if ok && (d.Year() < minYear || d.Year() > maxYear || d.Location() != time.UTC || d.Hour() != 0 || (typ == plan.TypeMonth && d.Day() != 1)) {
					t.Fatalf("ParseValue(%s, %q) = %v; not a sane UTC midnight", typ, s, d)
				}
			case plan.TypeBoolean:
				_, ok = v.(bool)
			}
			if !ok {
				t.Fatalf("ParseValue(%s, %q) = %T", typ, s, v)
			}
		}
	})
}

// FuzzReadTemplate checks that no file makes ReadTemplate panic, and that
// what it returns is either an error or a consistent result.
func FuzzReadTemplate(f *testing.F) {
	ds := builtin(f, "revenue")
	seeds, _ := filepath.Glob("testdata/*.csv")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(filepath.Base(p), b)
		}
	}
	f.Add("r.csv", []byte("fy,fund,category,source\n\"FY24\",a,b,c\n,,,\n"))
	f.Add("r.xlsx", makeXLSX(f, sheetSpec{name: "R", rows: [][]any{
		{"FY", "Fund", "Category", "Source", "Actual"},
		{"FY24", "General", "Taxes", "Sales", 12.5},
	}}))
	f.Add("r.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		res, err := read(name, data, ds, Options{MaxErrors: 3})
		if err != nil {
			return
		}
		if len(res.Errors) > 3 || res.ErrorCount < len(res.Errors) || len(res.Batch.Rows)+len(res.Rejected) != res.RowsRead {
			t.Fatalf("inconsistent result: %d listed, %d counted, %d rows + %d rejected of %d read",
				len(res.Errors), res.ErrorCount, len(res.Batch.Rows), len(res.Rejected), res.RowsRead)
		}
		for _, r := range res.Batch.Rows {
			if len(r.Values) != len(res.Batch.Columns) {
				t.Fatalf("row of %d values for %d columns", len(r.Values), len(res.Batch.Columns))
			}
		}
	})
}
