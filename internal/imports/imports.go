// Package imports is plandash's one writer: every file, URL fetch or form
// entry goes read -> map -> validate -> archive -> ledger -> load through it,
// whether it comes from the web, the schedule or the command line.
package imports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/plandash/plandash/ingest"
	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

// Sources of an import, as the ledger records them.
const (
	SourceCLI    = "command line"
	SourceUpload = "upload"
	SourceSample = "sample"
)

// Importer takes files in.
type Importer struct {
	Store   *store.Store
	Plan    func() *plan.Plan
	Archive string
	Now     func() time.Time
	Log     *slog.Logger
	// MaxErrors caps the cell errors listed in a report (the total is always given).
	MaxErrors int
	// mu serialises imports: one at a time, whatever their origin.
	mu sync.Mutex
}

// Request is one file to import.
type Request struct {
	Name string
	// Data holds the file's bytes, unless File is set: an open file of
	// Size bytes, read in place so that a large file is never held whole.
	Data []byte
	File io.ReaderAt
	Size int64
	// Dataset restricts detection to profiles for this dataset; Profile
	// names the profile outright. Both empty: detected from the file.
	Dataset string
	Profile string
	// Set gives the values a profile asks for at import time (year=2024).
	Set    map[string]string
	Source string
	User   string
	DryRun bool
	Sample bool
	// Force loads a file that would remove most of a dataset, or whose
	// filters match no row.
	Force bool
	// Hash, when set, is the file's hash begun by the caller (StartHash),
	// so that it is worked out while the caller does other things.
	Hash *Hash
}

// Hash is the SHA-256 of a file, worked out in a goroutine of its own.
type Hash struct {
	done chan struct{}
	sum  string
	err  error
}

// StartHash begins hashing the size bytes of r. Keep r open until Sum has
// returned.
func StartHash(r io.ReaderAt, size int64) *Hash {
	h := &Hash{done: make(chan struct{})}
	go func() {
		defer close(h.done)
		d := sha256.New()
		if _, err := io.Copy(d, io.NewSectionReader(r, 0, size)); err != nil {
			h.err = err
			return
		}
		h.sum = hex.EncodeToString(d.Sum(nil))
	}()
	return h
}

// Sum waits for the hash and returns it in hex.
func (h *Hash) Sum() (string, error) {
	<-h.done
	return h.sum, h.err
}

// Report says what an import did, for people (Text) and programs (JSON).
type Report struct {
	ID     int64  `json:"id,omitempty"`
	Status string `json:"status"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Dataset is the first (often the only) dataset the file fills.
	Dataset  string   `json:"dataset,omitempty"`
	Datasets []string `json:"datasets,omitempty"`
	Profile  string   `json:"profile,omitempty"`
	// Detected says why the profile was chosen.
	Detected  string               `json:"detected,omitempty"`
	Sheet     string               `json:"sheet,omitempty"`
	HeaderRow int                  `json:"header_row,omitempty"`
	Mapping   []ingest.ColumnMatch `json:"mapping,omitempty"`
	Ignored   []string             `json:"ignored_headers,omitempty"`
	Sheets    []ingest.SheetReport `json:"sheets,omitempty"`
	// Skipped rows (totals, notes) with their reasons, and the filters that
	// kept the plan's place.
	Skipped        []ingest.SkipReport   `json:"skipped,omitempty"`
	Filters        []ingest.FilterReport `json:"filters,omitempty"`
	Unmapped       []string              `json:"unmapped_accounts,omitempty"`
	BadRowsSkipped []string              `json:"bad_rows_skipped,omitempty"`
	RowsRead       int                   `json:"rows_read"`
	RowsSkipped    int                   `json:"rows_skipped"`
	RowsLoaded     int64                 `json:"rows_loaded"`
	RowsSuperseded int64                 `json:"rows_superseded"`
	ErrorCount     int                   `json:"error_count"`
	Errors         []string              `json:"errors,omitempty"`
	Message        string                `json:"message,omitempty"`
	DryRun         bool                  `json:"dry_run,omitempty"`
	// Duplicate is the import that already loaded this file, when refused as such.
	Duplicate int64 `json:"duplicate_of,omitempty"`
	// Candidates lists the profiles that fit equally when detection could not decide.
	Candidates []string `json:"candidates,omitempty"`
	// RowsRemoved counts current rows that leave without a row of the same key.
	RowsRemoved int64 `json:"rows_removed"`
	// Refused is set when a safety check stopped the import; Force overrides it.
	Refused bool `json:"refused,omitempty"`
	// Set and Forced record how the import was asked for, so a rebuild can
	// ask the same.
	Set    map[string]string `json:"set,omitempty"`
	Forced bool              `json:"forced,omitempty"`
	// Columns and FirstRows show the first rows as they will be stored.
	Columns   []string   `json:"columns,omitempty"`
	FirstRows [][]string `json:"first_rows,omitempty"`
	// ByPeriod counts the file's rows in each period of the dataset's time.
	ByPeriod []PeriodCount `json:"by_period,omitempty"`
}

// PeriodCount is how many rows of a file fall in one period.
type PeriodCount struct {
	Period string `json:"period"`
	Rows   int    `json:"rows"`
}

// previewRows is how many rows a report shows as they will be stored.
const previewRows = 20

// formatValue writes a typed value as the preview shows it.
func formatValue(c *plan.Column, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if c.Type == plan.TypeMonth {
			return x.Format("2006-01")
		}
		return x.Format("2006-01-02")
	case fmt.Stringer:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// fillPreview records the first rows and the rows per period of a batch.
func fillPreview(rep *Report, ds *plan.Dataset, b *ingest.Batch) {
	pv := newPreviewer(rep, ds, b.Columns)
	for _, r := range b.Rows {
		pv.add(r)
	}
	pv.done()
}

// previewer records the first rows and the rows per period of a batch, a
// row at a time.
type previewer struct {
	rep            *Report
	cols           []*plan.Column
	timeIdx, fyIdx int
	months         map[int]int // year*12 + month-1
	years          map[any]int // fiscal year values
	n              int
}

func newPreviewer(rep *Report, ds *plan.Dataset, columns []string) *previewer {
	pv := &previewer{rep: rep, cols: make([]*plan.Column, len(columns)), timeIdx: -1, fyIdx: -1, months: map[int]int{}, years: map[any]int{}}
	rep.Columns = columns
	for i, name := range columns {
		pv.cols[i] = ds.Column(name)
		if name == ds.Time {
			pv.timeIdx = i
		}
		if name == ds.FiscalYearColumn {
			pv.fyIdx = i
		}
	}
	return pv
}

func (pv *previewer) add(r ingest.Row) {
	if pv.n < previewRows {
		out := make([]string, len(r.Values))
		for i, v := range r.Values {
			if pv.cols[i] != nil {
				out[i] = formatValue(pv.cols[i], v)
			}
		}
		pv.rep.FirstRows = append(pv.rep.FirstRows, out)
	}
	pv.n++
	// Counted by month number or fiscal year, written out once at the end.
	if pv.timeIdx >= 0 && r.Values[pv.timeIdx] != nil {
		if t, ok := r.Values[pv.timeIdx].(time.Time); ok {
			pv.months[t.Year()*12+int(t.Month())-1]++
		}
	} else if pv.fyIdx >= 0 && r.Values[pv.fyIdx] != nil {
		pv.years[r.Values[pv.fyIdx]]++
	}
}

func (pv *previewer) done() {
	counts := map[string]int{}
	for m, n := range pv.months {
		counts[fmt.Sprintf("%04d-%02d", m/12, m%12+1)] += n
	}
	for y, n := range pv.years {
		counts[fmt.Sprintf("FY%v", y)] += n
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pv.rep.ByPeriod = nil
	for _, k := range keys {
		pv.rep.ByPeriod = append(pv.rep.ByPeriod, PeriodCount{Period: k, Rows: counts[k]})
	}
}

// OK reports whether the import loaded (or, in a dry run, would load).
func (r *Report) OK() bool { return r.Status == store.StatusLoaded || r.Status == store.StatusDryRun }

// Import takes one file in. A file with any bad cell loads nothing; the report
// lists the cells. The error is for failures of plandash itself (the
// database, the disk), never for a user's file.
func (im *Importer) Import(ctx context.Context, req Request) (*Report, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	p := im.Plan()
	if req.File == nil {
		req.File, req.Size = bytes.NewReader(req.Data), int64(len(req.Data))
	}
	// The file is hashed while its sheets and header are found: both only
	// read it.
	hash := req.Hash
	if hash == nil {
		hash = StartHash(req.File, req.Size)
	}
	defer hash.Sum() // the hash has stopped reading before the file is closed
	rep := &Report{File: req.Name, Size: req.Size, DryRun: req.DryRun, Set: req.Set, Forced: req.Force}
	opt := ingest.Options{MaxErrors: im.maxErrors(), Place: p.Place}
	noDataset := req.Dataset != "" && p.Datasets[req.Dataset] == nil
	var res *ingest.ReadResult
	var err error
	rr := ingest.ReadRequest{Name: req.Name, File: req.File, Size: req.Size, Plan: p, Profile: req.Profile, Dataset: req.Dataset, Set: req.Set, Options: opt, Stream: true}
	if !noDataset {
		res, err = ingest.Read(rr)
		defer res.Close()
	}
	var herr error
	if rep.SHA256, herr = hash.Sum(); herr != nil {
		return nil, fmt.Errorf("imports: read %s: %w", req.Name, herr)
	}
	if noDataset {
		rep.Status, rep.Message = store.StatusRejected, fmt.Sprintf("there is no dataset %q in the plan (datasets: %s)", req.Dataset, strings.Join(datasetNames(p), ", "))
		return rep, nil
	}
	var de *ingest.DetectError
	if errors.As(err, &de) && req.Dataset != "" && req.Profile == "" {
		// Nothing fits a named dataset: its own template says precisely
		// which columns are missing.
		rr.Profile = req.Dataset
		rr.Stream = false
		if _, terr := ingest.Read(rr); terr != nil {
			var fe *ingest.FileError
			if errors.As(terr, &fe) {
				err = terr
			}
		}
	}
	if err != nil {
		var fe *ingest.FileError
		switch {
		case errors.As(err, &fe):
			rep.Status, rep.Message = store.StatusRejected, fe.Message
			return rep, nil
		case errors.As(err, &de):
			rep.Status, rep.Message, rep.Candidates = store.StatusRejected, de.Message, de.Candidates
			return rep, nil
		}
		return nil, err
	}
	var dss []*plan.Dataset
	for _, b := range res.Batches {
		dss = append(dss, b.Dataset)
		rep.Datasets = append(rep.Datasets, b.Dataset.Name)
	}
	if len(dss) == 0 {
		rep.Status, rep.Message = store.StatusRejected, "the file fills no dataset of the plan"
		return rep, nil
	}
	rep.Dataset = rep.Datasets[0]
	for _, ds := range dss {
		prior, err := im.Store.InForce(ctx, ds, rep.SHA256)
		if err != nil {
			return nil, err
		}
		if prior != nil {
			rep.Status, rep.Duplicate = store.StatusRejected, prior.ID
			rep.Message = fmt.Sprintf("this file was already loaded into %s by import #%d on %s; undo that import to load it again",
				ds.Name, prior.ID, prior.Started.In(p.Location()).Format("2006-01-02 15:04"))
			return rep, nil
		}
	}
	fillReport(rep, res)
	fillPreview(rep, res.Batches[0].Dataset, res.Batches[0])

	rec := &store.Import{Datasets: rep.Datasets, Profile: rep.Profile, FileName: req.Name, SHA256: rep.SHA256,
		Size: rep.Size, Source: req.Source, User: req.User, Started: im.Now(), Sample: req.Sample}
	// The file is copied into the archive while it is read and loaded;
	// the load waits for the copy before it commits.
	archived := func() error { return nil }
	if !req.DryRun {
		rec.ArchivePath = archivePath(rep.SHA256, req.Name)
		done := make(chan error, 1)
		go func() { done <- im.archive(rec.ArchivePath, io.NewSectionReader(req.File, 0, req.Size)) }()
		var once sync.Once
		var archErr error
		archived = func() error {
			once.Do(func() { archErr = <-done })
			return archErr
		}
		// Whatever happens, the copy is over before the file is closed.
		defer archived()
		if _, err := im.Store.BeginImport(ctx, rec); err != nil {
			return nil, err
		}
		rep.ID = rec.ID
	}
	finish := func(status, msg string) (*Report, error) {
		rep.Status, rep.Message = status, msg
		if req.DryRun {
			return rep, nil
		}
		rec.Status, rec.Message, rec.Finished = status, msg, im.Now()
		rec.RowsRead, rec.RowsLoaded, rec.RowsSuperseded = int64(rep.RowsRead), rep.RowsLoaded, rep.RowsSuperseded
		rec.RowsSkipped = int64(rep.RowsSkipped)
		rec.ErrorCount, rec.Errors = int64(rep.ErrorCount), rep.Errors
		if status == store.StatusRejected {
			rec.RowsRejected = int64(rep.RowsRead)
		}
		rec.Report, _ = json.Marshal(rep)
		if err := im.Store.FinishImport(context.WithoutCancel(ctx), rec); err != nil {
			return nil, err
		}
		return rep, nil
	}

	if len(res.Batches) == 1 && res.Batches[0].Streaming() {
		return im.importStream(ctx, req, rep, res, rec, opt.MaxErrors, archived, finish)
	}
	for _, b := range res.Batches {
		msgs, n := duplicateKeys(b.Dataset, b, opt.MaxErrors-len(rep.Errors))
		rep.Errors = append(rep.Errors, msgs...)
		rep.ErrorCount += n
	}
	if rep.ErrorCount > 0 {
		return finish(store.StatusRejected, fmt.Sprintf("%d problem(s) in the file; nothing was loaded. Correct the cells listed and import the file again.", rep.ErrorCount))
	}
	for _, f := range res.Filters {
		if f.Total > 0 && f.Kept == 0 && !req.Force {
			rep.Refused = true
			return finish(store.StatusRejected, fmt.Sprintf("%s of %s rows matched %s%s; nothing was loaded. Check the plan's place settings, or force the import if that is right.",
				"0", groupDigits(f.Total), f.Description, sheetNote(f.Sheet)))
		}
	}
	rows := 0
	for _, b := range res.Batches {
		rows += len(b.Rows)
	}
	if rows == 0 {
		return finish(store.StatusRejected, "the file has no rows of data for the plan; nothing was loaded")
	}
	var loads []store.Load
	for _, b := range res.Batches {
		sr := make([]store.Row, len(b.Rows))
		for i, r := range b.Rows {
			sr[i] = store.Row{Sheet: r.Sheet, Line: r.Line, Values: r.Values}
		}
		loads = append(loads, store.Load{Dataset: b.Dataset, Columns: b.Columns, Rows: sr, Sample: req.Sample})
	}
	var refusal string
	guard := func(results []store.LoadResult) error {
		if err := archived(); err != nil {
			return err
		}
		return removalGuard(req, results, &refusal)
	}
	results, err := im.Store.Apply(ctx, rec.ID, loads, req.DryRun, guard)
	return im.applied(req, rep, rec, results, err, refusal, finish)
}

// removalGuard refuses a load that would remove more than half of a
// dataset's current rows, unless forced.
func removalGuard(req Request, results []store.LoadResult, refusal *string) error {
	if req.Force || req.Sample {
		return nil
	}
	for _, r := range results {
		if r.Current > 0 && r.Removed*2 > r.Current {
			*refusal = fmt.Sprintf("this file would remove %s of the %s current rows of %s (rows whose key it does not have); nothing was loaded. Check that the file is complete, or force the import if the rows should go.",
				groupDigits(int(r.Removed)), groupDigits(int(r.Current)), r.Dataset)
			return errRefused
		}
	}
	return nil
}

// applied reports what Apply did.
func (im *Importer) applied(req Request, rep *Report, rec *store.Import, results []store.LoadResult, err error, refusal string,
	finish func(status, msg string) (*Report, error)) (*Report, error) {
	if errors.Is(err, errRefused) {
		rep.Refused = true
		return finish(store.StatusRejected, refusal)
	}
	if err != nil {
		msg := "the database refused the rows; nothing was loaded: " + err.Error()
		if errors.Is(err, errArchive) {
			msg = "the file could not be kept in the archive; nothing was loaded: " + err.Error()
		}
		if _, ferr := finish(store.StatusFailed, msg); ferr != nil {
			im.Log.Error("import: record failure", "id", rec.ID, "err", ferr)
		}
		return nil, err
	}
	for _, r := range results {
		rep.RowsLoaded += r.Added
		rep.RowsSuperseded += r.Superseded
		rep.RowsRemoved += r.Removed
	}
	if req.DryRun {
		return finish(store.StatusDryRun, fmt.Sprintf("dry run: %d rows would be loaded and %d current rows replaced; nothing was changed", rep.RowsLoaded, rep.RowsSuperseded))
	}
	im.Log.Info("import loaded", "id", rec.ID, "datasets", rep.Datasets, "profile", rep.Profile, "file", req.Name, "rows", rep.RowsLoaded, "superseded", rep.RowsSuperseded, "source", req.Source)
	return finish(store.StatusLoaded, fmt.Sprintf("%d rows loaded into %s; %d earlier rows superseded", rep.RowsLoaded, strings.Join(rep.Datasets, ", "), rep.RowsSuperseded))
}

var errRefused = errors.New("imports: refused by a safety check")

func sheetNote(sheet string) string {
	if sheet == "" {
		return ""
	}
	return " (sheet " + sheet + ")"
}

// groupDigits writes 2265 as 2,265 for messages.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (im *Importer) maxErrors() int {
	if im.MaxErrors > 0 {
		return im.MaxErrors
	}
	return 100
}

func datasetNames(p *plan.Plan) []string {
	names := make([]string, 0, len(p.Datasets))
	for n := range p.Datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func fillReport(rep *Report, res *ingest.ReadResult) {
	if res.Profile != nil {
		rep.Profile = res.Profile.Name
	}
	rep.Detected = res.Reason
	rep.Sheets, rep.Skipped, rep.Filters, rep.Unmapped = res.Sheets, res.Skipped, res.Filters, res.Unmapped
	if len(res.Sheets) > 0 {
		first := res.Sheets[0]
		rep.Sheet, rep.HeaderRow, rep.Mapping, rep.Ignored = first.Sheet, first.HeaderRow, first.Mapping, first.Ignored
	}
	rep.RowsRead, rep.ErrorCount = res.RowsRead, res.ErrorCount
	for _, sk := range res.Skipped {
		rep.RowsSkipped += sk.Count
	}
	rep.RowsSkipped += len(res.BadRowsSkipped)
	for _, e := range res.Errors {
		rep.Errors = append(rep.Errors, e.String())
	}
	for _, e := range res.BadRowsSkipped {
		rep.BadRowsSkipped = append(rep.BadRowsSkipped, e.String())
	}
}

// duplicateKeys finds rows of one file that share a dataset key: the first
// max of them described, and how many there are.
func duplicateKeys(ds *plan.Dataset, b *ingest.Batch, max int) ([]string, int) {
	kc := newKeyChecker(ds, b.Columns)
	var out []string
	n := 0
	for _, r := range b.Rows {
		if msg, dup := kc.check(r); dup {
			n++
			if len(out) < max {
				out = append(out, msg)
			}
		}
	}
	return out, n
}

// keyChecker finds rows that repeat the key of an earlier row. It keeps a
// 128-bit hash of each key and the row it came from (about 40 bytes a row,
// whatever the key), not the keys, so a million-row file needs no copy of
// its keys; two different keys share a hash with a probability of about
// 2^-128 per pair.
type keyChecker struct {
	ds     *plan.Dataset
	idx    []int
	seen   map[[16]byte]int32 // key hash -> line of the first row with it
	s1, s2 maphash.Seed
	buf    []byte
}

// newKeyChecker returns nil for a dataset whose rows need no unique key.
func newKeyChecker(ds *plan.Dataset, columns []string) *keyChecker {
	if len(ds.Key) == 0 || ds.Mode == plan.ModeAppend {
		return nil
	}
	kc := &keyChecker{ds: ds, seen: map[[16]byte]int32{}, s1: maphash.MakeSeed(), s2: maphash.MakeSeed()}
	for _, k := range ds.Key {
		for i, c := range columns {
			if c == k {
				kc.idx = append(kc.idx, i)
			}
		}
	}
	return kc
}

// check reports whether r repeats the key of an earlier row, and says so.
func (kc *keyChecker) check(r ingest.Row) (string, bool) {
	if kc == nil {
		return "", false
	}
	b := kc.buf[:0]
	for _, i := range kc.idx {
		b = appendKeyValue(b, r.Values[i])
	}
	kc.buf = b
	var h [16]byte
	binary.LittleEndian.PutUint64(h[:8], maphash.Bytes(kc.s1, b))
	binary.LittleEndian.PutUint64(h[8:], maphash.Bytes(kc.s2, b))
	if first, ok := kc.seen[h]; ok {
		key := strings.Join(kc.ds.Key, ", ")
		return fmt.Sprintf("%s row %d: same %s as row %d; each row must have its own %s", r.Sheet, r.Line, key, first, key), true
	}
	kc.seen[h] = int32(r.Line)
	return "", false
}

// appendKeyValue writes a value of a key column so that two values are
// written alike exactly when they print alike (as %v prints them).
func appendKeyValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case string:
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...)
	case int64:
		b = append(b, 'i')
		return binary.AppendVarint(b, x)
	case bool:
		if x {
			return append(b, 'T')
		}
		return append(b, 'F')
	case time.Time:
		b = append(b, 't')
		b = binary.AppendVarint(b, x.UnixNano())
		name, off := x.Zone()
		b = binary.AppendVarint(b, int64(off))
		b = binary.AppendUvarint(b, uint64(len(name)))
		return append(b, name...)
	}
	s := fmt.Sprint(v)
	b = append(b, 'v')
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// importStream loads a file whose rows ingest reads one at a time: they go
// straight into the appender, inside the import's transaction, while the
// duplicate keys and the preview are worked out; the checks that the
// whole file decides (bad cells, duplicate keys, no rows) run before the
// commit, and a file that fails them is rolled back, so nothing is kept.
func (im *Importer) importStream(ctx context.Context, req Request, rep *Report, res *ingest.ReadResult, rec *store.Import, maxErrors int,
	archived func() error, finish func(status, msg string) (*Report, error)) (*Report, error) {
	b := res.Batches[0]
	kc := newKeyChecker(b.Dataset, b.Columns)
	pv := newPreviewer(rep, b.Dataset, b.Columns)
	rep.FirstRows = nil
	var dupMsgs []string
	dups, good := 0, 0
	// A goroutine reads and types the rows while this one checks their
	// keys, keeps the preview and appends them: on two cores the reading
	// and DuckDB work side by side (inflating has a goroutine of its own),
	// and the reading, the longer of the two, does nothing else. Rows
	// travel in batches.
	type batch struct {
		rows []store.Row
		err  error
	}
	const batchRows = 1024
	ch := make(chan batch, 4)
	stop, stopped := make(chan struct{}), make(chan struct{})
	defer func() {
		// The file is closed after this returns: the producer must be done.
		close(stop)
		<-stopped
	}()
	go func() {
		defer close(stopped)
		defer close(ch)
		rows := make([]store.Row, 0, batchRows)
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := b.Next()
			if err == nil {
				rows = append(rows, store.Row{Sheet: r.Sheet, Line: r.Line, Values: r.Values})
				if len(rows) < batchRows {
					continue
				}
			}
			select {
			case ch <- batch{rows: rows, err: err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
			rows = make([]store.Row, 0, batchRows)
		}
	}()
	var cur batch
	pos := 0
	next := func() (store.Row, error) {
		for pos == len(cur.rows) {
			if cur.err != nil {
				return store.Row{}, cur.err
			}
			var ok bool
			if cur, ok = <-ch; !ok {
				return store.Row{}, io.EOF
			}
			pos = 0
		}
		pos++
		sr := cur.rows[pos-1]
		r := ingest.Row{Sheet: sr.Sheet, Line: sr.Line, Values: sr.Values}
		good++
		pv.add(r)
		if msg, dup := kc.check(r); dup {
			dups++
			if len(dupMsgs) < maxErrors {
				dupMsgs = append(dupMsgs, msg)
			}
		}
		return sr, nil
	}
	final := func() {
		rep.Errors, rep.BadRowsSkipped, rep.RowsSkipped = nil, nil, 0
		fillReport(rep, res)
		pv.done()
	}
	var refusal, rejection string
	guard := func(results []store.LoadResult) error {
		final()
		rep.Errors = append(rep.Errors, dupMsgs[:max(0, min(len(dupMsgs), maxErrors-len(rep.Errors)))]...)
		rep.ErrorCount += dups
		switch {
		case rep.ErrorCount > 0:
			rejection = fmt.Sprintf("%d problem(s) in the file; nothing was loaded. Correct the cells listed and import the file again.", rep.ErrorCount)
			return errRejected
		case good == 0:
			rejection = "the file has no rows of data for the plan; nothing was loaded"
			return errRejected
		}
		if err := archived(); err != nil {
			return err
		}
		return removalGuard(req, results, &refusal)
	}
	load := store.Load{Dataset: b.Dataset, Columns: b.Columns, Next: next, Sample: req.Sample}
	results, err := im.Store.Apply(ctx, rec.ID, []store.Load{load}, req.DryRun, guard)
	var fe *ingest.FileError
	switch {
	case errors.Is(err, errRejected):
		return finish(store.StatusRejected, rejection)
	case errors.As(err, &fe):
		// The file turned out damaged part way through.
		final()
		return finish(store.StatusRejected, fe.Message)
	}
	return im.applied(req, rep, rec, results, err, refusal, finish)
}

// errRejected stops a streamed load whose file has problems.
var errRejected = errors.New("imports: the file has problems")

// archivePath is where the archive keeps a file, relative to its folder:
// under its hash, so the ledger's path stays valid when the archive moves
// with a backup.
func archivePath(sha, name string) string {
	return filepath.Join(sha[:2], sha+strings.ToLower(filepath.Ext(name)))
}

// errArchive marks a failure to keep the file in the archive.
var errArchive = errors.New("imports: archive")

// archive keeps the file at rel in the archive; an existing copy is left
// alone.
func (im *Importer) archive(rel string, data io.Reader) error {
	path := filepath.Join(im.Archive, rel)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := writeWhole(path, data); err != nil {
		return fmt.Errorf("%w: %w", errArchive, err)
	}
	return nil
}

// writeWhole writes data to path through a temporary file beside it,
// synced and renamed into place, so path is whole or absent.
func writeWhole(path string, data io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".incoming-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// Text renders the report for the command line.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "file:      %s (%d bytes, sha256 %s)\n", r.File, r.Size, short(r.SHA256))
	if r.Profile != "" {
		fmt.Fprintf(&b, "profile:   %s", r.Profile)
		if r.Detected != "" {
			fmt.Fprintf(&b, " (%s)", r.Detected)
		}
		b.WriteString("\n")
	}
	if len(r.Candidates) > 0 {
		fmt.Fprintf(&b, "could be:  %s (name one with --profile)\n", strings.Join(r.Candidates, ", "))
	}
	if len(r.Datasets) > 0 {
		fmt.Fprintf(&b, "dataset:   %s\n", strings.Join(r.Datasets, ", "))
	}
	for _, sh := range r.Sheets {
		if sh.HeaderRow == 0 {
			if sh.Note != "" {
				fmt.Fprintf(&b, "sheet:     %s: %s\n", sh.Sheet, sh.Note)
			}
			continue
		}
		fmt.Fprintf(&b, "sheet:     %s, header in row %d", sh.Sheet, sh.HeaderRow)
		if sh.Unpivoted > 0 {
			fmt.Fprintf(&b, ", %d wide columns unpivoted", sh.Unpivoted)
		}
		b.WriteString("\n")
		if len(sh.Mapping) > 0 {
			b.WriteString("columns:  ")
			for i, m := range sh.Mapping {
				if i > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, " %s -> %s", m.Header, m.Column)
			}
			b.WriteString("\n")
		}
		if len(sh.Ignored) > 0 && len(sh.Ignored) <= 12 {
			fmt.Fprintf(&b, "ignored:   %s\n", strings.Join(sh.Ignored, ", "))
		} else if len(sh.Ignored) > 12 {
			fmt.Fprintf(&b, "ignored:   %s and %d more\n", strings.Join(sh.Ignored[:12], ", "), len(sh.Ignored)-12)
		}
	}
	if len(r.Sheets) == 0 && r.Sheet != "" {
		fmt.Fprintf(&b, "sheet:     %s, header in row %d\n", r.Sheet, r.HeaderRow)
	}
	for _, f := range r.Filters {
		fmt.Fprintf(&b, "kept:      %s of %s rows where %s%s\n", groupDigits(f.Kept), groupDigits(f.Total), f.Description, sheetNote(f.Sheet))
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(&b, "skipped:   %d %s", sk.Count, sk.Reason)
		if len(sk.Examples) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(sk.Examples, ", "))
		}
		b.WriteString("\n")
	}
	for _, e := range r.BadRowsSkipped {
		fmt.Fprintf(&b, "left out:  %s\n", e)
	}
	if len(r.Unmapped) > 0 {
		fmt.Fprintf(&b, "unmapped:  %d account(s) not in the crosswalk: %s\n", len(r.Unmapped), strings.Join(r.Unmapped, "; "))
	}
	fmt.Fprintf(&b, "rows:      %d read, %d skipped, %d loaded, %d superseded\n", r.RowsRead, r.RowsSkipped, r.RowsLoaded, r.RowsSuperseded)
	if r.ErrorCount > 0 {
		fmt.Fprintf(&b, "problems:  %d\n", r.ErrorCount)
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "  %s\n", e)
		}
		if r.ErrorCount > len(r.Errors) {
			fmt.Fprintf(&b, "  ... and %d more\n", r.ErrorCount-len(r.Errors))
		}
	}
	id := ""
	if r.ID > 0 {
		id = fmt.Sprintf(" (import #%d)", r.ID)
	}
	fmt.Fprintf(&b, "result:    %s%s: %s\n", r.Status, id, r.Message)
	return b.String()
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// Record is a row of the imports ledger.
type Record = store.Import

// Account types, re-exported so that the web package reads and writes
// accounts through the same small surface as imports, without the store.
type (
	// User is an account.
	User = store.User
	// Token is an API token's stored form.
	Token = store.Token
	// AuditEntry is one line of the audit log.
	AuditEntry = store.AuditEntry
	// RowSet is a page of a dataset's current rows.
	RowSet = store.RowSet
	// HistoryRow is one version of a row.
	HistoryRow = store.HistoryRow
	// Packet is a published council packet.
	Packet = store.Packet
)
