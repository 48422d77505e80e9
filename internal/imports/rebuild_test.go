package imports

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/sample"
	"github.com/plandash/plandash/internal/store"
)

// rebuildNow is when the history of the rebuild tests begins.
var rebuildNow = time.Date(2026, time.November, 26, 12, 0, 0, 0, time.UTC)

// tick makes the importer's clock advance a minute at each reading, so every
// ledger row has its own time and a rebuild that lost them would show.
func tick(e *env) {
	t := rebuildNow
	e.im.Now = func() time.Time {
		t = t.Add(time.Minute)
		return t
	}
}

// history gives e a ledger with every kind of row: sample loads for every
// dataset, a real file superseding the ridership samples, a rejected file,
// an upsert over part of it, an import undone, a refused undo, a form entry,
// and an import left running. It returns the ids of the form entry and of
// the real file.
func history(t *testing.T, e *env) (form, real int64) {
	t.Helper()
	ctx := context.Background()
	names := make([]string, 0, len(e.plan.Datasets))
	for n := range e.plan.Datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	files, err := sample.Generate(rebuildNow, e.plan.Place, e.plan.FYStart(), names)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("%d sample files; want one for each built-in dataset", len(files))
	}
	// The strategy tracker fills both strategy datasets in one import.
	tracker, err := sample.Tracker(rebuildNow, e.plan)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, tracker)
	for _, f := range files {
		rep := e.run(t, Request{Name: f.Name, Data: f.Data, Dataset: f.Dataset, Profile: f.Profile, Source: SourceSample, User: "plandash", Sample: true})
		if rep.Status != store.StatusLoaded {
			t.Fatalf("sample %s: %s", f.Name, rep.Text())
		}
	}
	first := rideCSV(rides(12, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000))
	rep := e.run(t, Request{Name: "ridership-2024.csv", Data: first, Dataset: ridership, User: "ana"})
	if rep.Status != store.StatusLoaded || rep.RowsSuperseded == 0 {
		t.Fatalf("real file: %s", rep.Text())
	}
	real = rep.ID
	bad := rides(3, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 1)
	bad[1].trips = "lots"
	if rep := e.run(t, Request{Name: "bad.csv", Data: rideCSV(bad), Dataset: ridership}); rep.Status != store.StatusRejected {
		t.Fatalf("bad file: %s", rep.Text())
	}
	// Upsert: July 2024 to June 2025, six months over the first file (an
	// xlsx, detected from its header).
	rep = e.run(t, Request{Name: "ridership-fy25.xlsx", Data: rideXLSX(t, rides(12, time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), 90000)), User: "ben"})
	if rep.Status != store.StatusLoaded || rep.RowsSuperseded != 6 {
		t.Fatalf("upsert: %s", rep.Text())
	}
	rep = e.run(t, Request{Name: "ridership-oops.csv", Data: rideCSV(rides(3, time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), 5)), Dataset: ridership, User: "ben"})
	if rep.Status != store.StatusLoaded {
		t.Fatalf("file to undo: %s", rep.Text())
	}
	if _, err := e.im.Undo(ctx, rep.ID, "ana", SourceUpload); err != nil {
		t.Fatal(err)
	}
	var ref *Refusal
	if _, err := e.im.Undo(ctx, rep.ID, "ana", SourceUpload); !errors.As(err, &ref) {
		t.Fatalf("a second undo: %v; want a refusal", err)
	}
	frep, err := e.im.ManualEntry(ctx, ridership, []map[string]string{
		{"month": "2025-08", "mode": "DR", "type_of_service": "DO", "unlinked_trips": "4100"},
		{"month": "2025-09", "mode": "DR", "type_of_service": "DO", "unlinked_trips": "4200"},
	}, "cy", false)
	if err != nil || frep.Status != store.StatusLoaded {
		t.Fatalf("form entry: %v %+v", err, frep)
	}
	// An import that never finished (the process was killed).
	if _, err := e.st.BeginImport(ctx, &store.Import{Datasets: []string{ridership}, FileName: "killed.csv", Source: SourceCLI, Started: e.im.Now()}); err != nil {
		t.Fatal(err)
	}
	return frep.ID, real
}

// rebuildEnv is an empty database beside e's, sharing e's archive.
func rebuildEnv(t *testing.T, e *env) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "rebuilt.duckdb"), store.Options{TimeZone: "America/Los_Angeles"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.EnsureDatasets(ctx, e.plan.Datasets); err != nil {
		t.Fatal(err)
	}
	im := &Importer{Store: st, Plan: e.im.Plan, Archive: e.archive, Now: func() time.Time { return rebuildNow.AddDate(0, 1, 0) }, Log: slog.New(slog.DiscardHandler)}
	return &env{im: im, st: st, plan: e.plan, archive: e.archive}
}

func TestRebuildGivesTheSameCurrentData(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tick(e)
	form, real := history(t, e)
	before := e.archived(t)
	n := rebuildEnv(t, e)
	res, err := n.im.Rebuild(ctx, e.st)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Identical() || len(res.Problems) > 0 {
		t.Fatalf("rebuild not identical: problems %v\ndatasets %+v", res.Problems, res.Datasets)
	}
	// sample files (4 and the strategy tracker) + the real file + the upsert + the undone file + the form entry
	if res.Replayed != 9 || res.Undone != 1 || res.Skipped != 3 {
		t.Errorf("replayed %d, undone %d, skipped %d; want 9, 1, 3 (the rejected file, the refused undo, the killed import)", res.Replayed, res.Undone, res.Skipped)
	}
	if len(res.Datasets) != len(e.plan.Datasets) {
		t.Errorf("compared %d datasets; want %d", len(res.Datasets), len(e.plan.Datasets))
	}

	// Compare again here, not trusting the rebuild's own check.
	for name, ds := range e.plan.Datasets {
		old, err := e.st.CurrentData(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.st.CurrentData(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		// The datasets the history wrote into must not be empty; the
		// plan's other datasets (narratives, imported targets) may be.
		touched := name == "transit_ridership" || name == "revenue" || name == "shelter_beds" || name == "ev_chargers"
		if touched && len(old) == 0 || !slices.Equal(got, old) {
			t.Errorf("%s: %d rows rebuilt, %d before; they differ", name, len(got), len(old))
		}
	}
	// The history mattered: the ridership samples are gone, the others
	// remain, the form entry and the upsert are in force, the undone rows not.
	if total, smp := n.current(t, ridership); total != 20 || smp != 0 {
		t.Errorf("rebuilt ridership: %d rows, %d sample; want 20 real rows", total, smp)
	}
	if total, smp := n.current(t, "ev_chargers"); total == 0 || smp != total {
		t.Errorf("rebuilt ev_chargers: %d rows, %d sample; want the samples", total, smp)
	}
	if got, want := n.tripsSum(t), e.tripsSum(t); got != want {
		t.Errorf("rebuilt trips %d; want %d", got, want)
	}

	// The ledger keeps each replayed row's kind, user, source and times.
	oldLedger, newLedger := e.ledger(t), n.ledger(t)
	byID := map[int64]*store.Import{}
	for _, r := range newLedger {
		byID[r.ID] = r
	}
	for _, o := range oldLedger {
		nid, ok := res.IDs[o.ID]
		if !ok {
			continue
		}
		r := byID[nid]
		if r == nil {
			t.Fatalf("#%d maps to #%d, which is not in the new ledger", o.ID, nid)
		}
		if r.Status != o.Status || r.Source != o.Source || r.User != o.User || r.FileName != o.FileName || r.SHA256 != o.SHA256 ||
			r.Sample != o.Sample || !slices.Equal(r.Datasets, o.Datasets) || !r.Started.Equal(o.Started) || !r.Finished.Equal(o.Finished) {
			t.Errorf("#%d -> #%d:\n%s\nwant\n%s", o.ID, nid, ledgerLine(r), ledgerLine(o))
		}
	}
	if len(newLedger) != len(res.IDs) {
		t.Errorf("the new ledger has %d rows; want %d (the replayed ones only)", len(newLedger), len(res.IDs))
	}
	if _, err := n.im.Rebuild(ctx, e.st); err == nil || !strings.Contains(err.Error(), "already has imports") {
		t.Errorf("a second rebuild into the same database: %v; want a refusal", err)
	}
	if after := e.archived(t); !slices.Equal(after, before) {
		t.Errorf("the rebuild changed the archive: %v -> %v", before, after)
	}

	// The rebuilt database works like the old one: the real file is in
	// force there, and the form entry can be undone by its new id.
	rep := n.run(t, Request{Name: "again.csv", Data: rideCSV(rides(12, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 80000)), Dataset: ridership})
	if rep.Status != store.StatusRejected || rep.Duplicate != res.IDs[real] {
		t.Errorf("the real file again: %s (duplicate of #%d); want refused as a duplicate of #%d", rep.Status, rep.Duplicate, res.IDs[real])
	}
	if u, err := n.im.Undo(ctx, res.IDs[form], "ana", SourceUpload); err != nil || u.Removed != 2 {
		t.Errorf("undo of the rebuilt form entry: %+v %v", u, err)
	}
}

func ledgerLine(r *store.Import) string {
	return strings.Join([]string{r.Status, r.Source, r.User, r.FileName, strings.Join(r.Datasets, ","), r.Started.UTC().String(), r.Finished.UTC().String()}, " | ")
}

func TestRebuildListsWhatItCouldNotReplay(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tick(e)
	history(t, e)
	// The archived copy of the upsert's file is lost.
	var lost *store.Import
	for _, r := range e.ledger(t) {
		if r.FileName == "ridership-fy25.xlsx" {
			lost = r
		}
	}
	if err := os.Remove(filepath.Join(e.archive, lost.ArchivePath)); err != nil {
		t.Fatal(err)
	}
	n := rebuildEnv(t, e)
	res, err := n.im.Rebuild(ctx, e.st)
	if err != nil {
		t.Fatal(err)
	}
	if res.Identical() || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "ridership-fy25.xlsx") || !strings.Contains(res.Problems[0], "archive has no copy") {
		t.Fatalf("problems %q; want the lost file named", res.Problems)
	}
	for _, c := range res.Datasets {
		if c.Name == ridership {
			if c.Same() || len(c.Missing) == 0 || len(c.Extra) == 0 {
				t.Errorf("ridership check %+v; want rows missing (the upsert's) and extra (those it had replaced)", c)
			}
			if !strings.Contains(c.Missing[0], "unlinked_trips=\"9") {
				t.Errorf("missing row %s; want one of the upsert's (90000 and up)", c.Missing[0])
			}
		} else if !c.Same() {
			t.Errorf("%s differs: %+v", c.Name, c)
		}
	}
}

func TestImporterBackup(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.im.Now = func() time.Time { return rebuildNow }
	e.run(t, Request{Name: "a.csv", Data: rideCSV(rides(2, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 100)), Dataset: ridership})
	e.run(t, Request{Name: "b.csv", Data: rideCSV(rides(2, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), 100)), Dataset: ridership})
	// A file an import is still writing is not copied.
	shard := filepath.Dir(e.archived(t)[0])
	os.WriteFile(filepath.Join(shard, ".incoming-123"), []byte("half"), 0o644)

	dir := t.TempDir()
	res, err := e.im.Backup(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Database != filepath.Join(dir, "plandash-20261126-120000.duckdb") || res.Archive != filepath.Join(dir, "plandash-20261126-120000-archive") {
		t.Errorf("backup at %s and %s", res.Database, res.Archive)
	}
	if res.Copied != 2 || res.Present != 0 {
		t.Errorf("copied %d, present %d; want 2, 0", res.Copied, res.Present)
	}
	for _, f := range e.archived(t) {
		rel, _ := filepath.Rel(e.archive, f)
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(res.Archive, rel))
		if strings.HasPrefix(filepath.Base(f), ".incoming-") {
			if err == nil {
				t.Errorf("the file being written was copied")
			}
			continue
		}
		if err != nil || string(got) != string(want) {
			t.Errorf("archive copy of %s: %v", rel, err)
		}
	}
	if info, err := store.InspectBackup(ctx, res.Database); err != nil || info.Imports != 2 {
		t.Errorf("the backup: %+v %v", info, err)
	}
	// A second backup at the same second is refused, not overwritten.
	if _, err := e.im.Backup(ctx, dir); err == nil {
		t.Errorf("a second backup onto the first was not refused")
	}
	// Copying again into a folder that has the files copies none.
	if c, p, err := CopyArchive(e.archive, res.Archive); err != nil || c != 0 || p != 2 {
		t.Errorf("copy again: %d copied, %d present, %v; want 0, 2", c, p, err)
	}
	if c, p, err := CopyArchive(filepath.Join(dir, "none"), filepath.Join(dir, "x")); err != nil || c+p != 0 {
		t.Errorf("copy of a missing archive: %d %d %v; want nothing, no error", c, p, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Errorf("copying a missing archive made the target folder")
	}
}
