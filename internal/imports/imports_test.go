package imports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

const ridership = "transit_ridership"

// now is the fixed clock of every test: whole seconds, so it survives the
// round trip through a TIMESTAMPTZ column unchanged.
var now = time.Date(2025, time.March, 14, 9, 30, 0, 0, time.UTC)

// env is a real store in a temp dir with the default plan's datasets, and an
// importer writing to a temp archive.
type env struct {
	im      *Importer
	st      *store.Store
	plan    *plan.Plan
	archive string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	p, _, err := plan.LoadFile("../../data/norwalk-2023-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "plandash.duckdb"), store.Options{TimeZone: "America/Los_Angeles"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.EnsureDatasets(ctx, p.Datasets); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "archive")
	im := &Importer{
		Store:   st,
		Plan:    func() *plan.Plan { return p },
		Archive: archive,
		Now:     func() time.Time { return now },
		Log:     slog.New(slog.DiscardHandler),
	}
	return &env{im: im, st: st, plan: p, archive: archive}
}

func (e *env) ds(t *testing.T, name string) *plan.Dataset {
	t.Helper()
	ds := e.plan.Datasets[name]
	if ds == nil {
		t.Fatalf("the plan has no dataset %s", name)
	}
	return ds
}

func (e *env) run(t *testing.T, req Request) *Report {
	t.Helper()
	if req.Source == "" {
		req.Source = SourceCLI
	}
	rep, err := e.im.Import(context.Background(), req)
	if err != nil {
		t.Fatalf("import %s: %v", req.Name, err)
	}
	if rep == nil {
		t.Fatalf("import %s: no report", req.Name)
	}
	return rep
}

// current counts the dataset's current rows and how many are sample rows.
func (e *env) current(t *testing.T, name string) (total, sample int64) {
	t.Helper()
	total, sample, err := e.st.CurrentRows(context.Background(), e.ds(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return total, sample
}

// tripsSum is the sum of the current unlinked_trips, to see that values,
// not only counts, are unchanged.
func (e *env) tripsSum(t *testing.T) int64 {
	t.Helper()
	var n int64
	q := "SELECT COALESCE(sum(unlinked_trips), 0) FROM " + store.View(e.ds(t, ridership))
	if err := e.st.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) ledger(t *testing.T) []*store.Import {
	t.Helper()
	all, err := e.st.Imports(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func (e *env) archived(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(e.archive, func(p string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipAll
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rideRow is one row of the ridership template.
type rideRow struct {
	month, mode, tos, route, trips string
}

// rides makes n valid rows, one a month from start, each month its own key.
func rides(n int, start time.Time, base int) []rideRow {
	out := make([]rideRow, n)
	for i := range out {
		out[i] = rideRow{
			month: start.AddDate(0, i, 0).Format("2006-01"),
			mode:  "MB", tos: "PT", route: "",
			trips: fmt.Sprint(base + 100*i),
		}
	}
	return out
}

// rideCSV writes rows under the template's header; the header is row 1, so
// rows[i] is row i+2 in Excel.
func rideCSV(rows []rideRow) []byte {
	var b bytes.Buffer
	b.WriteString("month,mode,type_of_service,route,unlinked_trips\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s\n", r.month, r.mode, r.tos, r.route, r.trips)
	}
	return b.Bytes()
}

// rideXLSX writes the rows into a workbook with a title row above the header.
func rideXLSX(t *testing.T, rows []rideRow) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Ridership"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	set := func(r int, vals ...any) {
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", r), &vals); err != nil {
			t.Fatal(err)
		}
	}
	set(1, "Norwalk Transit System monthly ridership")
	set(3, "Month", "Mode", "Type of service", "Route", "Unlinked passenger trips")
	for i, r := range rows {
		set(4+i, r.month, r.mode, r.tos, r.route, r.trips)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestImportLoads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	data := rideCSV(rides(12, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000))
	rep := e.run(t, Request{Name: "rides.csv", Data: data, Dataset: ridership, User: "editor@example.org"})

	if rep.Status != store.StatusLoaded || !rep.OK() {
		t.Fatalf("status %q (%s); want loaded\n%s", rep.Status, rep.Message, rep.Text())
	}
	if rep.RowsRead != 12 || rep.RowsLoaded != 12 || rep.RowsSuperseded != 0 || rep.ErrorCount != 0 {
		t.Errorf("rows read %d loaded %d superseded %d errors %d; want 12, 12, 0, 0",
			rep.RowsRead, rep.RowsLoaded, rep.RowsSuperseded, rep.ErrorCount)
	}
	if rep.Dataset != ridership || rep.SHA256 != sha(data) || rep.Size != int64(len(data)) || rep.ID == 0 {
		t.Errorf("report dataset %q sha %q size %d id %d", rep.Dataset, rep.SHA256, rep.Size, rep.ID)
	}
	if total, sample := e.current(t, ridership); total != 12 || sample != 0 {
		t.Errorf("current rows %d (sample %d); want 12 (0)", total, sample)
	}
	var want int64
	for i := range 12 {
		want += int64(80000 + 100*i)
	}
	if got := e.tripsSum(t); got != want {
		t.Errorf("sum of trips %d; want %d", got, want)
	}

	path := filepath.Join(e.archive, rep.SHA256[:2], rep.SHA256+".csv")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("archived bytes differ from the file")
	}
	if files := e.archived(t); len(files) != 1 {
		t.Errorf("archive holds %v; want the one file (no temp files left)", files)
	}

	rec, err := e.st.GetImport(ctx, rep.ID)
	if err != nil || rec == nil {
		t.Fatalf("ledger row %d: %v %v", rep.ID, rec, err)
	}
	if rec.Status != store.StatusLoaded || rec.RowsRead != 12 || rec.RowsLoaded != 12 || rec.RowsRejected != 0 || rec.ErrorCount != 0 {
		t.Errorf("ledger %+v; want loaded with 12 rows read and loaded", rec)
	}
	if rec.SHA256 != rep.SHA256 || rec.FileName != "rides.csv" || filepath.Join(e.im.Archive, rec.ArchivePath) != path || rec.User != "editor@example.org" || rec.Source != SourceCLI {
		t.Errorf("ledger sha %q file %q archive %q user %q source %q", rec.SHA256, rec.FileName, rec.ArchivePath, rec.User, rec.Source)
	}
	if len(rec.Datasets) != 1 || rec.Datasets[0] != ridership {
		t.Errorf("ledger datasets %v", rec.Datasets)
	}
	if !rec.Started.Equal(now) || !rec.Finished.Equal(now) {
		t.Errorf("ledger started %v finished %v; want the injected clock %v", rec.Started, rec.Finished, now)
	}
	if len(rec.Report) == 0 || !bytes.Contains(rec.Report, []byte(`"status":"loaded"`)) {
		t.Errorf("ledger report %s", rec.Report)
	}
}

func TestImportLoadsXLSX(t *testing.T) {
	e := newEnv(t)
	data := rideXLSX(t, rides(6, time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), 70000))
	rep := e.run(t, Request{Name: "Ridership.XLSX", Data: data, Dataset: ridership})
	if rep.Status != store.StatusLoaded {
		t.Fatalf("status %q: %s\n%s", rep.Status, rep.Message, rep.Text())
	}
	if rep.Sheet != "Ridership" || rep.HeaderRow != 3 || rep.RowsLoaded != 6 {
		t.Errorf("sheet %q header row %d loaded %d; want Ridership, 3, 6", rep.Sheet, rep.HeaderRow, rep.RowsLoaded)
	}
	got, err := os.ReadFile(filepath.Join(e.archive, rep.SHA256[:2], rep.SHA256+".xlsx"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("archive of the workbook: %v (equal %v)", err, bytes.Equal(got, data))
	}
	if total, _ := e.current(t, ridership); total != 6 {
		t.Errorf("current rows %d; want 6", total)
	}
}

func TestImportRejectsBadCell(t *testing.T) {
	rows := rides(40, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), 80000)
	rows[5].trips = "abc" // row 7 in Excel: the header is row 1
	data := rideCSV(rows)

	check := func(t *testing.T, e *env, wantRows, wantSum int64) {
		t.Helper()
		ctx := context.Background()
		rep := e.run(t, Request{Name: "file.csv", Data: data, Dataset: ridership})
		if rep.Status != store.StatusRejected || rep.OK() {
			t.Fatalf("status %q; want rejected\n%s", rep.Status, rep.Text())
		}
		if rep.RowsLoaded != 0 || rep.ErrorCount != 1 || len(rep.Errors) != 1 || rep.RowsRead != 40 {
			t.Fatalf("loaded %d, read %d, errors %d %q; want 0, 40, one error", rep.RowsLoaded, rep.RowsRead, rep.ErrorCount, rep.Errors)
		}
		msg := rep.Errors[0]
		if !strings.HasPrefix(msg, `file.csv!E7: "abc" `) || !strings.HasSuffix(msg, "(column unlinked_trips)") {
			t.Errorf("error %q; want it to name file.csv!E7, the value \"abc\" and the column", msg)
		}
		if !strings.Contains(rep.Message, "nothing was loaded") {
			t.Errorf("message %q", rep.Message)
		}
		if total, _ := e.current(t, ridership); total != wantRows {
			t.Errorf("current rows %d after the rejected file; want %d", total, wantRows)
		}
		if got := e.tripsSum(t); got != wantSum {
			t.Errorf("sum of trips %d after the rejected file; want %d", got, wantSum)
		}
		rec, err := e.st.GetImport(ctx, rep.ID)
		if err != nil || rec == nil {
			t.Fatalf("ledger row %d: %v %v", rep.ID, rec, err)
		}
		if rec.Status != store.StatusRejected || rec.RowsLoaded != 0 || rec.RowsRejected != 40 || rec.ErrorCount != 1 || len(rec.Errors) != 1 || rec.Errors[0] != msg {
			t.Errorf("ledger %+v; want rejected with the error", rec)
		}
	}

	t.Run("empty dataset", func(t *testing.T) {
		e := newEnv(t)
		check(t, e, 0, 0)
	})
	t.Run("earlier data kept", func(t *testing.T) {
		e := newEnv(t)
		good := rideCSV(rides(3, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), 1))
		if rep := e.run(t, Request{Name: "good.csv", Data: good, Dataset: ridership}); rep.Status != store.StatusLoaded {
			t.Fatalf("good file: %s", rep.Text())
		}
		check(t, e, 3, 1+101+201)
	})
	t.Run("rejected file may be tried again", func(t *testing.T) {
		// Only a loaded import in force blocks the same file.
		e := newEnv(t)
		check(t, e, 0, 0)
		rep := e.run(t, Request{Name: "file.csv", Data: data, Dataset: ridership})
		if rep.Duplicate != 0 || rep.ErrorCount != 1 {
			t.Errorf("second try of a rejected file: duplicate %d, errors %d; want it judged again", rep.Duplicate, rep.ErrorCount)
		}
	})
}

func TestImportSameFileTwice(t *testing.T) {
	e := newEnv(t)
	data := rideCSV(rides(5, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000))
	first := e.run(t, Request{Name: "rides.csv", Data: data, Dataset: ridership})
	if first.Status != store.StatusLoaded {
		t.Fatalf("first: %s", first.Text())
	}
	sum := e.tripsSum(t)
	before := e.ledger(t)

	for _, req := range []Request{
		{Name: "rides.csv", Data: data, Dataset: ridership},
		{Name: "renamed copy.csv", Data: data},                            // detected, other name
		{Name: "rides.csv", Data: data, Dataset: ridership, DryRun: true}, // a dry run says so too
	} {
		rep := e.run(t, req)
		if rep.Status != store.StatusRejected || rep.Duplicate != first.ID {
			t.Errorf("%s (dry run %v): status %q duplicate %d; want rejected as a duplicate of #%d", req.Name, req.DryRun, rep.Status, rep.Duplicate, first.ID)
		}
		if !strings.Contains(rep.Message, "already loaded") || !strings.Contains(rep.Message, fmt.Sprintf("#%d", first.ID)) {
			t.Errorf("message %q; want it to say the file was already loaded by #%d", rep.Message, first.ID)
		}
		if rep.RowsLoaded != 0 || rep.ID != 0 {
			t.Errorf("duplicate report: loaded %d id %d", rep.RowsLoaded, rep.ID)
		}
	}
	if total, _ := e.current(t, ridership); total != 5 {
		t.Errorf("current rows %d; want 5", total)
	}
	if got := e.tripsSum(t); got != sum {
		t.Errorf("sum of trips %d; want %d", got, sum)
	}
	if after := e.ledger(t); len(after) != len(before) {
		t.Errorf("ledger has %d rows after the refusals; want %d", len(after), len(before))
	}
	// The same bytes are a different file for another dataset: the check is
	// per dataset, so the refusal must not come from the hash alone.
	other := e.run(t, Request{Name: "rides.csv", Data: data, Dataset: "revenue"})
	if other.Duplicate != 0 {
		t.Errorf("the file named for revenue was refused as a duplicate of #%d", other.Duplicate)
	}
}

func TestImportDuplicateKeys(t *testing.T) {
	e := newEnv(t)
	rows := rides(8, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)
	rows[1].route, rows[5].route = "7", "7"
	rows[5].month = rows[1].month // rows 3 and 7 in Excel share month, mode, type of service and route
	rep := e.run(t, Request{Name: "dups.csv", Data: rideCSV(rows), Dataset: ridership})
	if rep.Status != store.StatusRejected {
		t.Fatalf("status %q; want rejected\n%s", rep.Status, rep.Text())
	}
	if rep.ErrorCount != 1 || len(rep.Errors) != 1 {
		t.Fatalf("errors %d %q; want one", rep.ErrorCount, rep.Errors)
	}
	msg := rep.Errors[0]
	for _, want := range []string{"dups.csv", "row 7", "row 3", "month, mode, type_of_service, route"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if total, _ := e.current(t, ridership); total != 0 {
		t.Errorf("current rows %d; want 0", total)
	}

	// Blank routes are the same key too (system-wide rows).
	rows = rides(4, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)
	rows[3].month = rows[0].month
	rep = e.run(t, Request{Name: "blank.csv", Data: rideCSV(rows), Dataset: ridership})
	if rep.Status != store.StatusRejected || rep.ErrorCount != 1 || !strings.Contains(strings.Join(rep.Errors, "\n"), "row 5: same month, mode, type_of_service, route as row 2") {
		t.Errorf("blank route duplicates: %s", rep.Text())
	}
}

// TestImportDuplicateKeysCounted: more duplicates than MaxErrors are all
// counted, though only MaxErrors are listed.
func TestImportDuplicateKeysCounted(t *testing.T) {
	e := newEnv(t)
	e.im.MaxErrors = 3
	rows := rides(10, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)
	for i := 5; i < 10; i++ {
		rows[i].month = rows[i-5].month // five duplicates
	}
	rep := e.run(t, Request{Name: "dups.csv", Data: rideCSV(rows), Dataset: ridership})
	if rep.Status != store.StatusRejected {
		t.Fatalf("status %q", rep.Status)
	}
	if rep.ErrorCount != 5 || len(rep.Errors) != 3 {
		t.Errorf("error count %d, listed %d; want 5 counted and 3 listed", rep.ErrorCount, len(rep.Errors))
	}
	if !strings.Contains(rep.Text(), "and 2 more") {
		t.Errorf("text does not say how many more:\n%s", rep.Text())
	}

	// Cell errors fill the list first; duplicates still count.
	rows = rides(10, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)
	rows[0].trips, rows[1].trips, rows[2].trips = "a", "b", "c"
	rows[8].month, rows[9].month = rows[3].month, rows[4].month
	rep = e.run(t, Request{Name: "mixed.csv", Data: rideCSV(rows), Dataset: ridership})
	if rep.ErrorCount != 5 || len(rep.Errors) != 3 {
		t.Errorf("mixed: error count %d, listed %d %q; want 5 counted and 3 listed", rep.ErrorCount, len(rep.Errors), rep.Errors)
	}
}

func TestImportDryRun(t *testing.T) {
	e := newEnv(t)
	data := rideCSV(rides(12, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000))
	rep := e.run(t, Request{Name: "rides.csv", Data: data, Dataset: ridership, DryRun: true})
	if rep.Status != store.StatusDryRun || !rep.OK() || !rep.DryRun {
		t.Fatalf("status %q; want dry_run\n%s", rep.Status, rep.Text())
	}
	if rep.RowsRead != 12 || rep.RowsLoaded != 12 || rep.ID != 0 {
		t.Errorf("read %d loaded %d id %d; want 12, 12 and no import id", rep.RowsRead, rep.RowsLoaded, rep.ID)
	}
	if total, _ := e.current(t, ridership); total != 0 {
		t.Errorf("current rows %d after a dry run; want 0", total)
	}
	if l := e.ledger(t); len(l) != 0 {
		t.Errorf("a dry run wrote %d ledger rows", len(l))
	}
	if a := e.archived(t); len(a) != 0 {
		t.Errorf("a dry run archived %v", a)
	}

	// Over data already there: the counts say what would be replaced, and
	// nothing is.
	if r := e.run(t, Request{Name: "rides.csv", Data: data, Dataset: ridership}); r.Status != store.StatusLoaded {
		t.Fatalf("load: %s", r.Text())
	}
	sum := e.tripsSum(t)
	next := rideCSV(rides(13, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 90000))
	rep = e.run(t, Request{Name: "rides-v2.csv", Data: next, Dataset: ridership, DryRun: true})
	if rep.Status != store.StatusDryRun || rep.RowsLoaded != 13 || rep.RowsSuperseded != 12 {
		t.Errorf("dry run over data: status %q loaded %d superseded %d; want dry_run, 13, 12", rep.Status, rep.RowsLoaded, rep.RowsSuperseded)
	}
	if total, _ := e.current(t, ridership); total != 12 {
		t.Errorf("current rows %d; want 12", total)
	}
	if got := e.tripsSum(t); got != sum {
		t.Errorf("sum of trips %d; want %d (unchanged)", got, sum)
	}
	if l := e.ledger(t); len(l) != 1 {
		t.Errorf("ledger has %d rows; want 1", len(l))
	}
	// And the real import afterwards does what the dry run said.
	real := e.run(t, Request{Name: "rides-v2.csv", Data: next, Dataset: ridership})
	if real.Status != store.StatusLoaded || real.RowsLoaded != 13 || real.RowsSuperseded != 12 {
		t.Errorf("real import: status %q loaded %d superseded %d", real.Status, real.RowsLoaded, real.RowsSuperseded)
	}
}

func TestImportDetectsDataset(t *testing.T) {
	e := newEnv(t)
	data := rideCSV(rides(3, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000))
	rep := e.run(t, Request{Name: "rides.csv", Data: data})
	if rep.Status != store.StatusLoaded || rep.Dataset != ridership {
		t.Fatalf("status %q dataset %q; want loaded into %s\n%s", rep.Status, rep.Dataset, ridership, rep.Text())
	}
	if !strings.Contains(rep.Detected, ridership) || !strings.Contains(rep.Detected, "5 columns") {
		t.Errorf("detected %q; want it to say the header matches 5 columns of %s", rep.Detected, ridership)
	}
	if !strings.Contains(rep.Text(), "(detected profile ") {
		t.Errorf("text does not say the dataset was detected:\n%s", rep.Text())
	}

	for _, tc := range []struct {
		name, file string
		want       string
	}{
		{"no dataset", "colour,size,weight\nred,3,4\nblue,5,6\n", "fits this file"},
		{"empty", "", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.ledger(t))
			rep := e.run(t, Request{Name: "other.csv", Data: []byte(tc.file)})
			if rep.Status != store.StatusRejected || rep.Dataset != "" {
				t.Errorf("status %q dataset %q; want rejected with no dataset", rep.Status, rep.Dataset)
			}
			if !strings.Contains(rep.Message, tc.want) {
				t.Errorf("message %q; want %q", rep.Message, tc.want)
			}
			if after := len(e.ledger(t)); after != before {
				t.Errorf("ledger grew from %d to %d rows", before, after)
			}
		})
	}

	rep = e.run(t, Request{Name: "rides.csv", Data: data, Dataset: "bus_stops"})
	if rep.Status != store.StatusRejected || !strings.Contains(rep.Message, `no dataset "bus_stops"`) || !strings.Contains(rep.Message, ridership) {
		t.Errorf("unknown dataset: status %q message %q", rep.Status, rep.Message)
	}
}

func TestImportSampleThenReal(t *testing.T) {
	e := newEnv(t)
	sample := rideCSV(rides(24, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), 1000))
	rep := e.run(t, Request{Name: "sample.csv", Data: sample, Dataset: ridership, Source: SourceSample, Sample: true})
	if rep.Status != store.StatusLoaded {
		t.Fatalf("sample: %s", rep.Text())
	}
	if total, s := e.current(t, ridership); total != 24 || s != 24 {
		t.Fatalf("after the sample: %d rows, %d sample; want 24, 24", total, s)
	}
	rec, err := e.st.GetImport(context.Background(), rep.ID)
	if err != nil || rec == nil || !rec.Sample {
		t.Errorf("ledger row of the sample: %+v %v; want marked sample", rec, err)
	}

	// The real file covers other months (and fewer): every sample row goes.
	real := rideCSV(rides(6, time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), 80000))
	rep = e.run(t, Request{Name: "real.csv", Data: real, Dataset: ridership})
	if rep.Status != store.StatusLoaded || rep.RowsLoaded != 6 || rep.RowsSuperseded != 24 {
		t.Fatalf("real: status %q loaded %d superseded %d; want loaded, 6, 24", rep.Status, rep.RowsLoaded, rep.RowsSuperseded)
	}
	if total, s := e.current(t, ridership); total != 6 || s != 0 {
		t.Errorf("after the real file: %d rows, %d sample; want 6, 0", total, s)
	}
	var want int64
	for i := range 6 {
		want += int64(80000 + 100*i)
	}
	if got := e.tripsSum(t); got != want {
		t.Errorf("sum of trips %d; want %d (the real rows only)", got, want)
	}
}

func TestImportTextNamedXLSX(t *testing.T) {
	e := newEnv(t)
	data := rideCSV(rides(3, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000))
	for _, ds := range []string{ridership, ""} {
		rep := e.run(t, Request{Name: "rides.xlsx", Data: data, Dataset: ds})
		if rep.Status != store.StatusRejected || rep.OK() {
			t.Errorf("dataset %q: status %q; want rejected", ds, rep.Status)
		}
		if !strings.Contains(rep.Message, ".xlsx") || !strings.Contains(rep.Message, "text") {
			t.Errorf("dataset %q: message %q; want it to say the .xlsx file holds text", ds, rep.Message)
		}
	}
	// A truncated workbook (a zip cut short) is refused the same way.
	wb := rideXLSX(t, rides(3, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000))
	rep := e.run(t, Request{Name: "cut.xlsx", Data: wb[:len(wb)/2], Dataset: ridership})
	if rep.Status != store.StatusRejected || rep.Message == "" {
		t.Errorf("truncated workbook: status %q message %q", rep.Status, rep.Message)
	}
	if l := e.ledger(t); len(l) != 0 {
		t.Errorf("refused files wrote %d ledger rows", len(l))
	}
	if total, _ := e.current(t, ridership); total != 0 {
		t.Errorf("current rows %d; want 0", total)
	}
	// The importer still works afterwards.
	if rep := e.run(t, Request{Name: "rides.csv", Data: data, Dataset: ridership}); rep.Status != store.StatusLoaded {
		t.Errorf("a good file after the refusals: %s", rep.Text())
	}
}

func TestReportText(t *testing.T) {
	e := newEnv(t)
	e.im.MaxErrors = 3
	rows := rides(10, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)
	for _, i := range []int{1, 3, 4, 6, 8} {
		rows[i].trips = fmt.Sprintf("x%d", i)
	}
	rep := e.run(t, Request{Name: "bad.csv", Data: rideCSV(rows), Dataset: ridership})
	if rep.Status != store.StatusRejected || rep.ErrorCount != 5 || len(rep.Errors) != 3 {
		t.Fatalf("status %q errors %d listed %d; want rejected, 5, 3", rep.Status, rep.ErrorCount, len(rep.Errors))
	}
	text := rep.Text()
	for _, want := range []string{
		"file:      bad.csv",
		"dataset:   transit_ridership",
		"rows:      10 read, 0 skipped, 0 loaded, 0 superseded",
		"problems:  5",
		`  bad.csv!E3: "x1" `,
		`  bad.csv!E5: "x3" `,
		`  bad.csv!E6: "x4" `,
		"  ... and 2 more\n",
		fmt.Sprintf("result:    rejected (import #%d): 5 problem(s)", rep.ID),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, `"x6"`) || strings.Contains(text, `"x8"`) {
		t.Errorf("text lists more than MaxErrors errors:\n%s", text)
	}
	rec, err := e.st.GetImport(context.Background(), rep.ID)
	if err != nil || rec == nil || rec.ErrorCount != 5 || len(rec.Errors) != 3 {
		t.Errorf("ledger: %+v %v; want 5 errors counted, 3 kept", rec, err)
	}
}

// The archive copy is written while the file loads; when it cannot be
// written, the load is not committed and the ledger says why.
func TestArchiveFailureLoadsNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A file where the archive's folder should be: nothing can be kept.
	if err := os.WriteFile(e.archive, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, data string }{
		{"rides.csv", string(rideCSV(rides(12, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)))},
		{"rides.xlsx", string(rideXLSX(t, rides(12, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)))},
	} {
		before, _, _ := e.st.CurrentRows(ctx, e.ds(t, ridership))
		rep, err := e.im.Import(ctx, Request{Name: tc.name, Data: []byte(tc.data), Dataset: ridership, Source: SourceCLI})
		if err == nil || !errors.Is(err, errArchive) {
			t.Fatalf("%s: report %v, error %v; want the archive's failure", tc.name, rep, err)
		}
		if after, _, _ := e.st.CurrentRows(ctx, e.ds(t, ridership)); after != before {
			t.Fatalf("%s: %d current rows, were %d: the load was kept", tc.name, after, before)
		}
		recs, err := e.st.Imports(ctx, "", 1)
		if err != nil || len(recs) != 1 || recs[0].Status != store.StatusFailed || !strings.Contains(recs[0].Message, "could not be kept in the archive") {
			t.Fatalf("%s: ledger %+v (%v); want the import failed for the archive", tc.name, recs, err)
		}
	}
}

// The report counts the file's rows by period: by month for a dataset with
// a time column, by fiscal year for rows that only have one.
func TestReportCountsRowsByPeriod(t *testing.T) {
	e := newEnv(t)
	rep := e.run(t, Request{Name: "rides.csv", Data: rideCSV(rides(14, time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC), 80000)), Dataset: ridership, DryRun: true})
	if len(rep.ByPeriod) != 14 || rep.ByPeriod[0] != (PeriodCount{Period: "2024-11", Rows: 1}) || rep.ByPeriod[13] != (PeriodCount{Period: "2025-12", Rows: 1}) {
		t.Fatalf("by month: %+v", rep.ByPeriod)
	}
	csv := "fiscal_year,month,fund,category,source,budget,actual\n" +
		"FY 2024-25,,General Fund,Taxes,Sales Tax,100,\nFY 2024-25,,General Fund,Taxes,Property Tax,200,\nFY 2025-26,,General Fund,Taxes,Sales Tax,110,\n"
	rep = e.run(t, Request{Name: "budget.csv", Data: []byte(csv), Dataset: "revenue", DryRun: true})
	if want := []PeriodCount{{Period: "FY2025", Rows: 2}, {Period: "FY2026", Rows: 1}}; !reflect.DeepEqual(rep.ByPeriod, want) {
		t.Fatalf("by fiscal year: %+v, want %+v", rep.ByPeriod, want)
	}
}
