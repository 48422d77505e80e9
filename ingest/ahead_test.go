package ingest

import (
	"errors"
	"io"
	"sync/atomic"
	"testing"
)

// countingSheet yields n rows numbered from 1, then err; it records reads
// made after it was closed.
type countingSheet struct {
	n, next     int
	err         error
	panicAt     int
	closed      atomic.Bool
	lateReads   atomic.Int32
	closedTwice atomic.Bool
}

func (s *countingSheet) Sheet() string { return "Counting" }

func (s *countingSheet) Next() (RawRow, error) {
	if s.closed.Load() {
		s.lateReads.Add(1)
	}
	if s.next == s.n {
		return RawRow{}, s.err
	}
	s.next++
	if s.next == s.panicAt {
		panic("scanner broke")
	}
	return RawRow{Line: s.next, Cells: []string{"row"}}, nil
}

func (s *countingSheet) Close() error {
	if s.closed.Swap(true) {
		s.closedTwice.Store(true)
	}
	return nil
}

// Rows read ahead arrive all, in order, and then the error that ended the
// sheet, whatever it is, and every later call returns that error again.
func TestAheadReaderRowsThenError(t *testing.T) {
	damaged := errors.New("damaged")
	for _, n := range []int{0, 1, aheadRows - 1, aheadRows, aheadRows + 1, 5*aheadRows + 17} {
		for _, end := range []error{io.EOF, damaged} {
			src := &countingSheet{n: n, err: end}
			a := newAheadReader(src)
			for want := 1; want <= n; want++ {
				r, err := a.Next()
				if err != nil || r.Line != want {
					t.Fatalf("%d rows: row %d: got line %d, %v", n, want, r.Line, err)
				}
			}
			for range 2 {
				if _, err := a.Next(); err != end {
					t.Fatalf("%d rows: after the last row: %v, want %v", n, err, end)
				}
			}
			if a.Sheet() != "Counting" {
				t.Fatalf("sheet %q", a.Sheet())
			}
			a.Close()
			a.Close()
			if src.closedTwice.Load() {
				t.Fatal("the sheet was closed twice")
			}
		}
	}
}

// Closing part way stops the goroutine before the sheet is closed: the
// sheet is never read after its Close.
func TestAheadReaderCloseStopsReading(t *testing.T) {
	for _, taken := range []int{0, 1, aheadRows * 3} {
		src := &countingSheet{n: 1 << 30, err: io.EOF}
		a := newAheadReader(src)
		for range taken {
			if _, err := a.Next(); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if !src.closed.Load() {
			t.Fatal("the sheet was not closed")
		}
		if n := src.lateReads.Load(); n != 0 {
			t.Fatalf("the sheet was read %d times after it was closed", n)
		}
		if _, err := a.Next(); err == nil {
			t.Fatal("a row after Close")
		}
	}
}

// A panic while reading ahead reaches the caller, after the rows before it,
// as a panic of its own goroutine, where the reader's callers recover it.
func TestAheadReaderPanicReachesCaller(t *testing.T) {
	src := &countingSheet{n: 1000, err: io.EOF, panicAt: aheadRows + 3}
	a := newAheadReader(src)
	defer a.Close()
	rows := 0
	func() {
		defer func() {
			if v := recover(); v != "scanner broke" {
				t.Fatalf("recovered %v, want the reader's panic", v)
			}
		}()
		for {
			if _, err := a.Next(); err != nil {
				t.Fatalf("error %v, want a panic", err)
			}
			rows++
		}
	}()
	if rows != aheadRows+2 {
		t.Fatalf("%d rows before the panic, want %d", rows, aheadRows+2)
	}
}
