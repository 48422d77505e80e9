package ingest

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkReadTemplateCSV(b *testing.B) {
	ds := builtin(b, "revenue")
	var s strings.Builder
	s.WriteString("Fiscal Year,Month,Fund,Department,Category,Source,Budget,Actual\n")
	for i := range 10000 {
		fmt.Fprintf(&s, "FY 2024-25,2024-%02d,General Fund,Finance,Taxes,Source %d,\"$1,250,000.00\",%d.37\n", i%12+1, i, i*100)
	}
	data := []byte(s.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := read("revenue.csv", data, ds, Options{})
		if err != nil || len(res.Batch.Rows) != 10000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadTemplateXLSX(b *testing.B) {
	ds := builtin(b, "revenue")
	rows := [][]any{{"Fiscal Year", "Month", "Fund", "Department", "Category", "Source", "Budget", "Actual"}}
	for i := range 10000 {
		rows = append(rows, []any{"FY 2024-25", 45474 + i%365, "General Fund", "Finance", "Taxes", fmt.Sprintf("Source %d", i), 1250000, float64(i) + 0.37})
	}
	data := makeXLSX(b, sheetSpec{name: "Revenue", rows: rows})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := read("revenue.xlsx", data, ds, Options{})
		if err != nil || len(res.Batch.Rows) != 10000 {
			b.Fatal(err)
		}
	}
}
