package ingest

import (
	"errors"
	"fmt"
)

// aheadReader reads the rows of a sheet in a goroutine of its own, a few
// batches ahead of its caller. Scanning a large worksheet and typing its
// cells then run side by side on two cores, where one goroutine doing both
// was what an import waited for. Each RawRow the sheet returns owns its
// cells, so rows can cross goroutines as they are.
type aheadReader struct {
	SheetReader
	ch      chan aheadBatch
	stop    chan struct{}
	stopped chan struct{}
	cur     []RawRow
	err     error
	started bool
	closed  bool
}

// aheadBatch is a run of rows, and the error that ended the sheet (io.EOF
// after the last row) if it did.
type aheadBatch struct {
	rows []RawRow
	err  error
}

// aheadRows is how many rows travel together: enough that the channel costs
// nothing per row, few enough that the rows waiting stay small.
const aheadRows = 256

// aheadPanic carries a panic of the reading goroutine to the caller, which
// panics with it where the reader's callers recover.
type aheadPanic struct{ v any }

func (p aheadPanic) Error() string { return fmt.Sprintf("ingest: reading rows: %v", p.v) }

var errReaderClosed = errors.New("ingest: rows read after the sheet was closed")

func newAheadReader(s SheetReader) *aheadReader {
	return &aheadReader{SheetReader: s}
}

func (a *aheadReader) run() {
	defer close(a.stopped)
	defer close(a.ch)
	rows := make([]RawRow, 0, aheadRows)
	send := func(b aheadBatch) bool {
		select {
		case a.ch <- b:
			return true
		case <-a.stop:
			return false
		}
	}
	defer func() {
		if v := recover(); v != nil {
			send(aheadBatch{rows: rows, err: aheadPanic{v}})
		}
	}()
	for {
		r, err := a.SheetReader.Next()
		if err != nil {
			send(aheadBatch{rows: rows, err: err})
			return
		}
		if rows = append(rows, r); len(rows) == aheadRows {
			if !send(aheadBatch{rows: rows}) {
				return
			}
			rows = make([]RawRow, 0, aheadRows)
		}
	}
}

// Next returns the next row, or the error that ended the sheet.
func (a *aheadReader) Next() (RawRow, error) {
	if a.closed {
		return RawRow{}, errReaderClosed
	}
	if !a.started {
		a.started = true
		a.ch = make(chan aheadBatch, 2)
		a.stop, a.stopped = make(chan struct{}), make(chan struct{})
		go a.run()
	}
	for len(a.cur) == 0 {
		if a.err != nil {
			if p, ok := a.err.(aheadPanic); ok {
				panic(p.v)
			}
			return RawRow{}, a.err
		}
		b, ok := <-a.ch
		if !ok {
			// Every batch was taken and no error came: the goroutine
			// cannot end that way, but if it did the rows are over.
			b.err = errReaderClosed
		}
		a.cur, a.err = b.rows, b.err
	}
	r := a.cur[0]
	a.cur[0] = RawRow{}
	a.cur = a.cur[1:]
	return r, nil
}

// Close stops the reading goroutine, then closes the sheet it reads.
func (a *aheadReader) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	if a.started {
		close(a.stop)
		<-a.stopped
	}
	return a.SheetReader.Close()
}
