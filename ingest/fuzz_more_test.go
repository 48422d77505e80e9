package ingest

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/plandash/plandash/internal/plan"
)

// The seeds of these targets are in testdata/fuzz/<target>/; plain go test
// runs them. Run a target for longer with make fuzz, or
//
//	go test ./ingest -run '^$' -fuzz '^FuzzFindHeader$' -fuzztime 60s

// fuzzDatasets are the built-in datasets in name order.
func fuzzDatasets(t testing.TB) []*plan.Dataset {
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

// fuzzRows reads text as rows of cells: a line a row, a tab between cells.
// Rows are numbered from 1 with a gap after each blank line, as a sheet's
// row numbers have.
func fuzzRows(text string) []RawRow {
	var rows []RawRow
	line := 0
	for _, l := range strings.Split(text, "\n") {
		line++
		if l == "" {
			line++
			continue
		}
		rows = append(rows, RawRow{Line: line, Cells: strings.Split(l, "\t")})
	}
	return rows
}

// FuzzFindHeader checks header detection over any rows: the row FindHeader
// picks names the most columns, the first on a tie, and MapHeader maps as
// many columns as the score, or refuses two cells naming one column in a
// plain message.
func FuzzFindHeader(f *testing.F) {
	datasets := fuzzDatasets(f)
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		ds := datasets[int(which)%len(datasets)]
		m := NewMatcher(ds)
		rows := fuzzRows(text)
		idx, score := FindHeader(rows, m)
		if idx < -1 || idx >= len(rows) || (idx == -1) != (score == 0) || score < 0 || score > len(ds.Columns) {
			t.Fatalf("FindHeader = %d, %d over %d rows of %d columns", idx, score, len(rows), len(ds.Columns))
		}
		for i, r := range rows {
			s := m.Score(r)
			if s > score || s == score && score > 0 && i < idx {
				t.Fatalf("row %d scores %d; FindHeader chose row %d scoring %d", i, s, idx, score)
			}
		}
		if idx < 0 {
			return
		}
		if s := m.Score(rows[idx]); s != score {
			t.Fatalf("Score of the chosen row %d; FindHeader said %d", s, score)
		}
		h, err := m.MapHeader("f.csv", "header row 1", rows[idx])
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Message, "both mean the column") || strings.ContainsAny(fe.Message, "\r\n") {
				t.Fatalf("MapHeader: %v", err)
			}
			return
		}
		if len(h.Mapping) != score || len(h.Source) != len(ds.Columns) {
			t.Fatalf("MapHeader mapped %d columns (%d sources); the header scores %d", len(h.Mapping), len(h.Source), score)
		}
		seen := map[int]bool{}
		mapped := 0
		for i, src := range h.Source {
			if src < 0 {
				continue
			}
			mapped++
			if seen[src] || src >= len(rows[idx].Cells) {
				t.Fatalf("column %s from cell %d", ds.Columns[i].Name, src)
			}
			seen[src] = true
			if j, ok := m.Match(strings.TrimSpace(rows[idx].Cells[src])); !ok || j != i {
				t.Fatalf("cell %d %q is mapped to %s but matches %d, %v", src, rows[idx].Cells[src], ds.Columns[i].Name, j, ok)
			}
		}
		nonBlank := 0
		for _, c := range rows[idx].Cells {
			if strings.TrimSpace(c) != "" {
				nonBlank++
			}
		}
		if mapped != score || mapped+len(h.Ignored) != nonBlank {
			t.Fatalf("%d mapped + %d ignored of %d non-blank header cells; score %d", mapped, len(h.Ignored), nonBlank, score)
		}
	})
}

// fuzzReadAll reads the rows of every sheet of w, checking that row
// numbers rise and that a failure is a *FileError with a plain message. It
// stops at maxRows rows of a sheet, and reports whether it read them all.
func fuzzReadAll(t *testing.T, w *Workbook, maxRows int) (all bool) {
	all = true
	// Text without a BOM that is not UTF-8 is decoded as Windows-1252;
	// broken UTF-8 after a BOM is left for ParseValue to refuse.
	head, _ := readHead(w.data, w.size, 3)
	decoded := w.Kind() == KindCSV && !bytes.Equal(head, bomUTF8)
	for _, s := range w.Sheets() {
		sr, err := w.Rows(s.Name)
		if err != nil {
			fuzzFileError(t, err)
			continue
		}
		last := 0
		for n := 0; ; n++ {
			if n == maxRows {
				all = false
				break
			}
			r, err := sr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fuzzFileError(t, err)
				if _, err := sr.Next(); !errors.Is(err, io.EOF) {
					t.Fatalf("sheet %q: after an error, Next gives %v; want io.EOF", s.Name, err)
				}
				break
			}
			if r.Line <= last {
				t.Fatalf("sheet %q: row %d after row %d", s.Name, r.Line, last)
			}
			last = r.Line
			if decoded {
				for _, c := range r.Cells {
					if !utf8.ValidString(c) {
						t.Fatalf("row %d: cell %q is not UTF-8 after decoding", r.Line, c)
					}
				}
			}
		}
		sr.Close()
	}
	return all
}

func fuzzFileError(t *testing.T, err error) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T); want a *FileError", err, err)
	}
	if fe.Message == "" || strings.ContainsAny(fe.Message, "\n") {
		t.Fatalf("message %q is not one line", fe.Message)
	}
	for _, bad := range programText {
		if strings.Contains(fe.Message, bad) {
			t.Fatalf("message %q holds program text (%q)", fe.Message, bad)
		}
	}
}

// FuzzOpenCSV opens any bytes named .csv and reads every row: no panic, no
// hang, rising row numbers, UTF-8 cells, and only *FileErrors.
func FuzzOpenCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := Open("f.csv", bytes.NewReader(data), int64(len(data)), Options{})
		if err != nil {
			fuzzFileError(t, err)
			return
		}
		defer w.Close()
		if w.Kind() == KindCSV {
			if d := w.Delimiter(); !strings.ContainsRune(",;\t|", d) {
				t.Fatalf("separator %q", d)
			}
			if s := w.Sheets(); len(s) != 1 || s[0].Name != "f.csv" {
				t.Fatalf("sheets %v", s)
			}
		}
		// A CSV record takes at least one byte.
		if !fuzzReadAll(t, w, len(data)+2) && w.Kind() == KindCSV {
			t.Fatalf("more CSV records than bytes")
		}
	})
}

// FuzzSheetXML puts any bytes in place of the sheet of a good workbook, and
// reads it: what excelize makes of broken XML must come out as rows or a
// *FileError, never a panic, a hang or a row read twice.
func FuzzSheetXML(f *testing.F) {
	base := corpusWorkbook(f)
	ridership := builtin(f, "transit_ridership")
	f.Fuzz(func(t *testing.T, sheet []byte) {
		b := rewriteZip(t, base, "xl/worksheets/sheet1.xml", func(string) string { return string(sheet) })
		w, err := Open("f.xlsx", bytes.NewReader(b), int64(len(b)), Options{})
		if err != nil {
			fuzzFileError(t, err)
			return
		}
		// A sheet steps over the rows it leaves out, up to Excel's last: a
		// million steps, which the tests time. Here they would starve the
		// fuzzer, so such a sheet is read only so far.
		all := fuzzReadAll(t, w, 5000)
		w.Close()
		if !all {
			return
		}
		res, err := read("f.xlsx", b, ridership, Options{MaxErrors: 3})
		if err != nil {
			fuzzFileError(t, err)
			return
		}
		if len(res.Batch.Rows)+len(res.Rejected) != res.RowsRead {
			t.Fatalf("%d rows + %d rejected of %d read", len(res.Batch.Rows), len(res.Rejected), res.RowsRead)
		}
	})
}
