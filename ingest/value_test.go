package ingest

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseValue(t *testing.T) {
	xl := ParseOptions{Serial: true}
	tests := []struct {
		typ  string
		in   string
		o    ParseOptions
		want any
		err  string // the message of the error, "" for none
	}{
		// missing, whatever the type
		{plan.TypeText, "", ParseOptions{}, nil, ""},
		{plan.TypeText, "  ", ParseOptions{}, nil, ""},
		{plan.TypeInteger, "N/A", ParseOptions{}, nil, ""},
		{plan.TypeInteger, "n/a", ParseOptions{}, nil, ""},
		{plan.TypeMoney, "NA", ParseOptions{}, nil, ""},
		{plan.TypeDecimal, ".", ParseOptions{}, nil, ""},
		{plan.TypeDate, " - ", ParseOptions{}, nil, ""},
		{plan.TypeDecimal, "#DIV/0!", xl, nil, msgExcelError},
		{plan.TypeText, "#N/A", xl, nil, msgExcelError},

		// text keeps what was written, trimmed
		{plan.TypeText, "90022", xl, "90022", ""},
		{plan.TypeText, "0201", ParseOptions{}, "0201", ""},
		{plan.TypeText, " City of Norwalk ", xl, "City of Norwalk", ""},
		{plan.TypeText, "90022.0", xl, "90022.0", ""},
		{plan.TypeText, "caf\xe9", ParseOptions{}, nil, msgBadText},

		// integer
		{plan.TypeInteger, "1234", ParseOptions{}, int64(1234), ""},
		{plan.TypeInteger, "1,234", ParseOptions{}, int64(1234), ""},
		{plan.TypeInteger, "1234.0", ParseOptions{}, int64(1234), ""},
		{plan.TypeInteger, "(12)", ParseOptions{}, int64(-12), ""},
		{plan.TypeInteger, "-12", ParseOptions{}, int64(-12), ""},
		{plan.TypeInteger, "+12", ParseOptions{}, int64(12), ""},
		{plan.TypeInteger, "1.5e3", ParseOptions{}, int64(1500), ""},
		{plan.TypeInteger, "81240.000000000001", xl, int64(81240), ""},
		{plan.TypeInteger, "12.5", ParseOptions{}, nil, msgWhole},
		{plan.TypeInteger, "1,2.34", ParseOptions{}, nil, msgNumber},
		{plan.TypeInteger, "12 345", ParseOptions{}, nil, msgNumber},
		{plan.TypeInteger, "twelve", ParseOptions{}, nil, msgNumber},
		{plan.TypeInteger, "99999999999999999999", ParseOptions{}, nil, msgRange},
		{plan.TypeInteger, "0x1F", ParseOptions{}, nil, msgNumber},
		{plan.TypeInteger, "1_000", ParseOptions{}, nil, msgNumber},
		{plan.TypeInteger, "(-12)", ParseOptions{}, nil, msgNumber},

		// decimal
		{plan.TypeDecimal, "$1,234.56", ParseOptions{}, 1234.56, ""},
		{plan.TypeDecimal, "(1,234)", ParseOptions{}, -1234.0, ""},
		{plan.TypeDecimal, "($1,234.50)", ParseOptions{}, -1234.5, ""},
		{plan.TypeDecimal, "-$1,234.50", ParseOptions{}, -1234.5, ""},
		{plan.TypeDecimal, "$-1,234.50", ParseOptions{}, -1234.5, ""},
		{plan.TypeDecimal, "72.64%", ParseOptions{}, 0.7264, ""},
		{plan.TypeDecimal, "72.6 %", ParseOptions{}, 0.726, ""},
		{plan.TypeDecimal, "(5%)", ParseOptions{}, -0.05, ""},
		{plan.TypeDecimal, "1.5e3", ParseOptions{}, 1500.0, ""},
		{plan.TypeDecimal, "4.4999999999999998E-2", xl, 0.045, ""},
		{plan.TypeDecimal, ".5", ParseOptions{}, 0.5, ""},
		{plan.TypeDecimal, "-118.0817", ParseOptions{}, -118.0817, ""},
		{plan.TypeDecimal, "\u22123.5", ParseOptions{}, -3.5, ""},
		{plan.TypeDecimal, "1,2.34", ParseOptions{}, nil, msgNumber},
		{plan.TypeDecimal, "1,23", ParseOptions{}, nil, msgNumber},
		{plan.TypeDecimal, "1.2.3", ParseOptions{}, nil, msgNumber},
		{plan.TypeDecimal, "NaN", ParseOptions{}, nil, msgNumber},
		{plan.TypeDecimal, "Inf", ParseOptions{}, nil, msgNumber},
		{plan.TypeDecimal, "1e999", ParseOptions{}, nil, msgRange},
		{plan.TypeDecimal, "1e99999", ParseOptions{}, nil, msgNumber},
		{plan.TypeDecimal, "1/3", ParseOptions{}, nil, msgNumber},
		{plan.TypeDecimal, "$", ParseOptions{}, nil, msgNumber},
		{plan.TypeDecimal, "()", ParseOptions{}, nil, msgNumber},

		// money: exact cents, halves away from zero
		{plan.TypeMoney, "$1,234.56", ParseOptions{}, Money(123456), ""},
		{plan.TypeMoney, "104211.37000000001", xl, Money(10421137), ""},
		{plan.TypeMoney, "(1,234)", ParseOptions{}, Money(-123400), ""},
		{plan.TypeMoney, "0.005", ParseOptions{}, Money(1), ""},
		{plan.TypeMoney, "-0.005", ParseOptions{}, Money(-1), ""},
		{plan.TypeMoney, "0.0049", ParseOptions{}, Money(0), ""},
		{plan.TypeMoney, "2.675", ParseOptions{}, Money(268), ""}, // a float would say 2.67
		{plan.TypeMoney, "1.5e3", ParseOptions{}, Money(150000), ""},
		{plan.TypeMoney, "53,700,000", ParseOptions{}, Money(5370000000), ""},
		{plan.TypeMoney, "12%", ParseOptions{}, nil, msgPercentCash},
		{plan.TypeMoney, "1e20", ParseOptions{}, nil, msgRange},
		{plan.TypeMoney, "1,2.34", ParseOptions{}, nil, msgNumber},

		// date
		{plan.TypeDate, "2025-03-31", ParseOptions{}, day(2025, 3, 31), ""},
		{plan.TypeDate, "2025/3/5", ParseOptions{}, day(2025, 3, 5), ""},
		{plan.TypeDate, "3/31/2025", ParseOptions{}, day(2025, 3, 31), ""},
		{plan.TypeDate, "03/31/25", ParseOptions{}, day(2025, 3, 31), ""},
		{plan.TypeDate, "2025-02-12 00:16:32 UTC", ParseOptions{}, day(2025, 2, 12), ""},
		{plan.TypeDate, "2025-02-12T00:16:32Z", ParseOptions{}, day(2025, 2, 12), ""},
		{plan.TypeDate, "2025-02-12T23:16:32-08:00", ParseOptions{}, day(2025, 2, 12), ""},
		{plan.TypeDate, "3/31/2025 2:05 PM", ParseOptions{}, day(2025, 3, 31), ""},
		{plan.TypeDate, "Mar 31, 2025", ParseOptions{}, day(2025, 3, 31), ""},
		{plan.TypeDate, "March 31, 2025 10:00 AM", ParseOptions{}, day(2025, 3, 31), ""},
		{plan.TypeDate, "31-Mar-2025", ParseOptions{}, day(2025, 3, 31), ""},
		{plan.TypeDate, "20250331", ParseOptions{}, day(2025, 3, 31), ""},
		{plan.TypeDate, "45747", xl, day(2025, 3, 31), ""},
		{plan.TypeDate, "45747.75", xl, day(2025, 3, 31), ""},
		{plan.TypeDate, "44285", ParseOptions{Serial: true, Date1904: true}, day(2025, 3, 31), ""},
		{plan.TypeDate, "45747", ParseOptions{}, nil, msgDate},
		{plan.TypeDate, "0", xl, nil, msgSaneDate},
		{plan.TypeDate, "9999999", xl, nil, msgSaneDate},
		{plan.TypeDate, "1899-12-31", ParseOptions{}, nil, msgSaneDate},
		{plan.TypeDate, "2301-01-01", ParseOptions{}, nil, msgSaneDate},
		{plan.TypeDate, "2025-02-30", ParseOptions{}, nil, msgDate},
		{plan.TypeDate, "2025-13-01", ParseOptions{}, nil, msgDate},
		{plan.TypeDate, "2024-07", ParseOptions{}, nil, msgDate},
		{plan.TypeDate, "yesterday", ParseOptions{}, nil, msgDate},
		{plan.TypeDate, "2025-02-12 lunch", ParseOptions{}, nil, msgDate},

		// month: the first of the month
		{plan.TypeMonth, "2024-07", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "7/2024", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "07/2024", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "Jul 2024", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "JULY 2024", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "Sept 2024", ParseOptions{}, day(2024, 9, 1), ""},
		{plan.TypeMonth, "September 2024", ParseOptions{}, day(2024, 9, 1), ""},
		{plan.TypeMonth, "Jul-24", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "202407", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "2024-07-31", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "7/31/2024", ParseOptions{}, day(2024, 7, 1), ""},
		{plan.TypeMonth, "45504", xl, day(2024, 7, 31).AddDate(0, 0, -30), ""},
		{plan.TypeMonth, "2024-13", ParseOptions{}, nil, msgMonth},
		{plan.TypeMonth, "1850-01", ParseOptions{}, nil, msgSaneDate},
		{plan.TypeMonth, "July", ParseOptions{}, nil, msgMonth},

		// fiscal year: the year it ends in
		{plan.TypeFiscalYear, "FY 2023-24", ParseOptions{}, int64(2024), ""},
		{plan.TypeFiscalYear, "fy2023-24", ParseOptions{}, int64(2024), ""},
		{plan.TypeFiscalYear, "2023-24", ParseOptions{}, int64(2024), ""},
		{plan.TypeFiscalYear, "2023-2024", ParseOptions{}, int64(2024), ""},
		{plan.TypeFiscalYear, "2023/24", ParseOptions{}, int64(2024), ""},
		{plan.TypeFiscalYear, "1999-00", ParseOptions{}, int64(2000), ""},
		{plan.TypeFiscalYear, "FY24", ParseOptions{}, int64(2024), ""},
		{plan.TypeFiscalYear, "FY 24", ParseOptions{}, int64(2024), ""},
		{plan.TypeFiscalYear, "FY2024", ParseOptions{}, int64(2024), ""},
		{plan.TypeFiscalYear, "2024", xl, int64(2024), ""},
		{plan.TypeFiscalYear, "Fiscal Year 2024-25", ParseOptions{}, int64(2025), ""},
		{plan.TypeFiscalYear, "2023-25", ParseOptions{}, nil, msgFiscalYear},
		{plan.TypeFiscalYear, "24", ParseOptions{}, nil, msgFiscalYear},
		{plan.TypeFiscalYear, "FY", ParseOptions{}, nil, msgFiscalYear},
		{plan.TypeFiscalYear, "1066", ParseOptions{}, nil, msgFiscalYear},

		// boolean
		{plan.TypeBoolean, "TRUE", ParseOptions{}, true, ""},
		{plan.TypeBoolean, "yes", ParseOptions{}, true, ""},
		{plan.TypeBoolean, "Y", ParseOptions{}, true, ""},
		{plan.TypeBoolean, "1", xl, true, ""},
		{plan.TypeBoolean, "false", ParseOptions{}, false, ""},
		{plan.TypeBoolean, "No", ParseOptions{}, false, ""},
		{plan.TypeBoolean, "n", ParseOptions{}, false, ""},
		{plan.TypeBoolean, "0", xl, false, ""},
		{plan.TypeBoolean, "maybe", ParseOptions{}, nil, msgBoolean},
	}
	for _, tt := range tests {
		got, err := ParseValue(tt.typ, tt.in, tt.o)
		if tt.err != "" {
			var ve *ValueError
			if !errors.As(err, &ve) || ve.Message != tt.err {
				t.Errorf("ParseValue(%s, %q) = %v, %v; want error %q", tt.typ, tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseValue(%s, %q): %v", tt.typ, tt.in, err)
			continue
		}
		if !sameValue(got, tt.want) {
			t.Errorf("ParseValue(%s, %q) = %#v; want %#v", tt.typ, tt.in, got, tt.want)
		}
	}
}

// sameValue compares parsed values; floats within a rounding step.
func sameValue(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && math.Abs(fa-fb) <= 1e-12*math.Max(1, math.Abs(fb))
	}
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb) && ta.Location() == time.UTC
	}
	return a == b
}

func TestMoneyString(t *testing.T) {
	for m, want := range map[Money]string{0: "0.00", 5: "0.05", 123456: "1234.56", -1: "-0.01", -123400: "-1234.00", math.MinInt64: "-92233720368547758.08"} {
		if got := m.String(); got != want {
			t.Errorf("Money(%d).String() = %q; want %q", int64(m), got, want)
		}
	}
}

func TestUnknownType(t *testing.T) {
	if _, err := ParseValue("colour", "red", ParseOptions{}); err == nil {
		t.Error("an unknown column type parsed")
	}
}

// serialDate's short cut for whole serials gives the day excelize gives,
// for every day Excel knows.
func TestSerialDateAgreesWithExcelize(t *testing.T) {
	for n := 1; n <= 2958465; n++ {
		s := strconv.Itoa(n)
		got := serialDate(s, ParseOptions{Serial: true})
		d, err := excelize.ExcelDateToTime(float64(n), false)
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		if !got.Equal(want) {
			t.Fatalf("serial %d: %s, excelize %s", n, got, want)
		}
	}
}

// Whole numbers take a short cut that must read them as the full parser
// does.
func TestPlainIntegersParseAsNumbers(t *testing.T) {
	for _, s := range []string{"0", "7", "007", "1234567", "999999999999999999", "1000000000000000000", "9223372036854775807", "9223372036854775808"} {
		got, gerr := parseInteger(s)
		want, werr := parseWritten(s)
		if got != want || (gerr == nil) != (werr == nil) {
			t.Errorf("%s: %v %v, want %v %v", s, got, gerr, want, werr)
		}
	}
}
