package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

type money int64

func (m money) Cents() int64 { return int64(m) }

func builtin(t *testing.T, name string) *plan.Dataset {
	t.Helper()
	all, err := plan.BuiltinDatasets()
	if err != nil {
		t.Fatal(err)
	}
	ds := all[name]
	if ds == nil {
		t.Fatalf("no built-in dataset %s", name)
	}
	return ds
}

func openTemp(t *testing.T, datasets ...*plan.Dataset) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	s, err := Open(context.Background(), path, Options{TimeZone: "America/Los_Angeles"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	m := map[string]*plan.Dataset{}
	for _, d := range datasets {
		m[d.Name] = d
	}
	if err := s.EnsureDatasets(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return s, path
}

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// ridership rows: month, mode, tos, route, trips
func rideRows(trips map[time.Time]int64, mode string) []Row {
	var out []Row
	i := 2
	for m, n := range trips {
		out = append(out, Row{Sheet: "T", Line: i, Values: []any{m, mode, "PT", nil, n}})
		i++
	}
	return out
}

var rideCols = []string{"month", "mode", "type_of_service", "route", "unlinked_trips"}

func load(t *testing.T, s *Store, ds *plan.Dataset, cols []string, rows []Row, sample bool) (int64, []LoadResult) {
	t.Helper()
	ctx := context.Background()
	im := &Import{Datasets: []string{ds.Name}, Source: "test", Started: time.Now(), Sample: sample}
	id, err := s.BeginImport(ctx, im)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Apply(ctx, id, []Load{{Dataset: ds, Columns: cols, Rows: rows, Sample: sample}}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	im.Status, im.Finished = StatusLoaded, time.Now()
	if err := s.FinishImport(ctx, im); err != nil {
		t.Fatal(err)
	}
	return id, res
}

func sumByMonth(t *testing.T, s *Store, ds *plan.Dataset) map[time.Time]float64 {
	t.Helper()
	cells, err := s.Aggregate(context.Background(), plan.Query{Dataset: ds, Measure: plan.Measure{Agg: "sum", Column: "unlinked_trips"}, Time: "month", Grain: plan.Month, FYStart: 7})
	if err != nil {
		t.Fatal(err)
	}
	out := map[time.Time]float64{}
	for _, c := range cells {
		out[c.Period] = c.Value
	}
	return out
}

func TestUpsertSupersedesSameKeyOnly(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, _ := openTemp(t, ds)
	load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 1): 100, month(2024, 2): 200}, "MB"), false)
	_, res := load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 2): 250, month(2024, 3): 300}, "MB"), false)
	if res[0].Added != 2 || res[0].Superseded != 1 {
		t.Fatalf("second load: %+v, want 2 added and 1 superseded", res[0])
	}
	got := sumByMonth(t, s, ds)
	want := map[time.Time]float64{month(2024, 1): 100, month(2024, 2): 250, month(2024, 3): 300}
	for m, v := range want {
		if got[m] != v {
			t.Errorf("%s: got %v, want %v", m.Format("2006-01"), got[m], v)
		}
	}
	var all int
	s.db.QueryRow("SELECT count(*) FROM ds_transit_ridership").Scan(&all)
	if all != 4 {
		t.Errorf("versioned table holds %d rows, want 4 (nothing deleted)", all)
	}
}

func TestRealDataSupersedesSamples(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, _ := openTemp(t, ds)
	load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 1): 1, month(2024, 2): 2}, "MB"), true)
	total, sample, _ := s.CurrentRows(context.Background(), ds)
	if total != 2 || sample != 2 {
		t.Fatalf("after sample: %d rows, %d sample", total, sample)
	}
	load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 3): 7}, "DR"), false)
	total, sample, _ = s.CurrentRows(context.Background(), ds)
	if total != 1 || sample != 0 {
		t.Fatalf("after real import: %d rows, %d sample; want 1 real row only", total, sample)
	}
}

func TestReplaceModeSupersedesAll(t *testing.T) {
	ds := builtin(t, "ev_chargers")
	s, _ := openTemp(t, ds)
	cols := []string{"station_id", "open_date", "level2_ports"}
	r := func(id string, n int64) Row {
		return Row{Sheet: "s", Line: 2, Values: []any{id, time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC), n}}
	}
	load(t, s, ds, cols, []Row{r("1", 2), r("2", 4)}, false)
	_, res := load(t, s, ds, cols, []Row{r("3", 1)}, false)
	if res[0].Superseded != 2 || res[0].Current != 2 || res[0].Removed != 2 {
		t.Fatalf("replace: %+v, want 2 superseded, 2 current, 2 removed", res[0])
	}
	// A replace that keeps a station's key removes only the others.
	_, res = load(t, s, ds, cols, []Row{r("3", 5), r("4", 1)}, false)
	if res[0].Current != 1 || res[0].Removed != 0 || res[0].Superseded != 1 {
		t.Fatalf("replace keeping a key: %+v, want 1 current, 0 removed, 1 superseded", res[0])
	}
	if total, _, _ := s.CurrentRows(context.Background(), ds); total != 2 {
		t.Fatalf("%d current rows, want 2", total)
	}
}

func TestDryRunAndFailedLoadKeepNothing(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, _ := openTemp(t, ds)
	load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 1): 100}, "MB"), false)
	ctx := context.Background()
	res, err := s.Apply(ctx, 99, []Load{{Dataset: ds, Columns: rideCols, Rows: rideRows(map[time.Time]int64{month(2024, 1): 5, month(2024, 2): 6}, "MB")}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Added != 2 || res[0].Superseded != 1 {
		t.Errorf("dry run counted %+v", res[0])
	}
	// A value of the wrong type in the middle of a load: the whole load is rolled back.
	bad := rideRows(map[time.Time]int64{month(2024, 3): 5}, "MB")
	bad = append(bad, Row{Sheet: "T", Line: 9, Values: []any{month(2024, 4), "MB", "PT", nil, "not a number"}})
	if _, err := s.Apply(ctx, 100, []Load{{Dataset: ds, Columns: rideCols, Rows: bad}}, false, nil); err == nil {
		t.Fatal("a bad value loaded")
	}
	got := sumByMonth(t, s, ds)
	if len(got) != 1 || got[month(2024, 1)] != 100 {
		t.Fatalf("after dry run and failed load: %v, want only Jan 2024 = 100", got)
	}
}

func TestRunningImportsBecomeInterrupted(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, path := openTemp(t, ds)
	ctx := context.Background()
	id, err := s.BeginImport(ctx, &Import{Datasets: []string{ds.Name}, Source: "test", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	im, err := s2.GetImport(ctx, id)
	if err != nil || im == nil {
		t.Fatalf("import %d: %v %v", id, im, err)
	}
	if im.Status != StatusInterrupted {
		t.Fatalf("status %q, want interrupted", im.Status)
	}
}

func TestAggregateGrainsFiltersAndLast(t *testing.T) {
	rev := builtin(t, "revenue")
	beds := builtin(t, "shelter_beds")
	s, _ := openTemp(t, rev, beds)
	rcols := []string{"fiscal_year", "month", "fund", "category", "source", "budget", "actual"}
	rows := []Row{
		{Values: []any{int64(2025), month(2024, 7), "General Fund", "Taxes", "Sales Tax", nil, money(100_00)}},
		{Values: []any{int64(2025), month(2025, 6), "General Fund", "Taxes", "Sales Tax", nil, money(50_50)}},
		{Values: []any{int64(2025), nil, "General Fund", "Taxes", "Sales Tax", money(1000_00), nil}},
		{Values: []any{int64(2026), month(2025, 7), "General Fund", "Taxes", "Property Tax", nil, money(7_00)}},
		{Values: []any{int64(2026), month(2025, 7), "Water Fund", "Charges", "Water Sales", nil, money(999_00)}},
	}
	load(t, s, rev, rcols, rows, false)
	gf := "General Fund"
	cells, err := s.Aggregate(context.Background(), plan.Query{Dataset: rev, Measure: plan.Measure{Agg: "sum", Column: "actual"}, Time: "month",
		Grain: plan.FiscalYear, FYStart: 7, Filters: []plan.Filter{{Column: "fund", Equals: &gf}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[time.Time]float64{month(2024, 7): 150.5, month(2025, 7): 7}
	if len(cells) != 2 {
		t.Fatalf("cells %v", cells)
	}
	for _, c := range cells {
		if want[c.Period] != c.Value {
			t.Errorf("FY starting %s: %v, want %v", c.Period.Format("2006-01"), c.Value, want[c.Period])
		}
	}
	// The budget sits on an annual row without a month: bucketing by the
	// fiscal-year column still finds it.
	cells, err = s.Aggregate(context.Background(), plan.Query{Dataset: rev, Measure: plan.Measure{Agg: "sum", Column: "budget"}, Time: "month", Grain: plan.FiscalYear, FYStart: 7})
	if err != nil || len(cells) != 1 || cells[0].Value != 1000 || !cells[0].Period.Equal(month(2024, 7)) {
		t.Fatalf("budget by fiscal year: %v %v", cells, err)
	}

	bcols := []string{"date", "geography", "site", "bed_type", "beds"}
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	load(t, s, beds, bcols, []Row{
		{Values: []any{d(2025, 1, 29), "Norwalk", "A", "ES", int64(40)}},
		{Values: []any{d(2025, 1, 29), "Norwalk", "B", "ES", int64(20)}},
		{Values: []any{d(2025, 3, 26), "Norwalk", "A", "ES", int64(45)}},
		{Values: []any{d(2025, 3, 26), "Norwalk", "B", "TH", int64(25)}},
	}, false)
	cells, err = s.Aggregate(context.Background(), plan.Query{Dataset: beds, Measure: plan.Measure{Agg: "last", Column: "beds"}, Time: "date", Grain: plan.Quarter, FYStart: 7})
	if err != nil || len(cells) != 1 || cells[0].Value != 70 {
		t.Fatalf("last beds in Q1 2025 = %v (%v), want 70 (the rows of March 26 only)", cells, err)
	}
	// A breakdown by a non-public column gives anonymous viewers the total only.
	cells, err = s.Aggregate(context.Background(), plan.Query{Dataset: beds, Measure: plan.Measure{Agg: "last", Column: "beds"}, Time: "date", Grain: plan.Quarter, Breakdown: "site", Public: true})
	if err != nil || len(cells) != 1 || cells[0].Member != "" {
		t.Fatalf("public breakdown by site: %v %v", cells, err)
	}
	cells, err = s.Aggregate(context.Background(), plan.Query{Dataset: beds, Measure: plan.Measure{Agg: "last", Column: "beds"}, Time: "date", Grain: plan.Quarter, Breakdown: "site"})
	if err != nil || len(cells) != 2 {
		t.Fatalf("staff breakdown by site: %v %v", cells, err)
	}
	f := false
	beds.Public = &f
	if _, err := s.Aggregate(context.Background(), plan.Query{Dataset: beds, Measure: plan.Measure{Agg: "count"}, Time: "date", Grain: plan.Year, Public: true}); !errors.Is(err, ErrNotPublic) {
		t.Fatalf("anonymous query of a non-public dataset: %v, want ErrNotPublic", err)
	}
}

func TestColumnTypeChangeRefused(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, _ := openTemp(t, ds)
	changed := *ds
	changed.Columns = append([]*plan.Column{}, ds.Columns...)
	c := *changed.Column("route")
	c.Type = plan.TypeInteger
	for i, col := range changed.Columns {
		if col.Name == "route" {
			changed.Columns[i] = &c
		}
	}
	added := &plan.Column{Name: "notes", Type: plan.TypeText}
	changed.Columns = append(changed.Columns, added)
	err := s.EnsureDatasets(context.Background(), map[string]*plan.Dataset{ds.Name: &changed})
	if err == nil {
		t.Fatal("a column type change was accepted")
	}
}

func TestInForceAndFeeding(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, _ := openTemp(t, ds)
	ctx := context.Background()
	im := &Import{Datasets: []string{ds.Name}, Source: "test", SHA256: "abc", Started: time.Now()}
	id, _ := s.BeginImport(ctx, im)
	if _, err := s.Apply(ctx, id, []Load{{Dataset: ds, Columns: rideCols, Rows: rideRows(map[time.Time]int64{month(2024, 1): 1}, "MB")}}, false, nil); err != nil {
		t.Fatal(err)
	}
	im.Status = StatusLoaded
	s.FinishImport(ctx, im)
	got, err := s.InForce(ctx, ds, "abc")
	if err != nil || got == nil || got.ID != id {
		t.Fatalf("in force: %v %v", got, err)
	}
	rev := builtin(t, "revenue")
	if err := s.EnsureDatasets(ctx, map[string]*plan.Dataset{"revenue": rev}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.InForce(ctx, rev, "abc"); got != nil {
		t.Fatal("a file is in force for a dataset it was not loaded into")
	}
	feed, err := s.Feeding(ctx, ds)
	if err != nil || len(feed) != 1 || feed[0].ID != id {
		t.Fatalf("feeding: %v %v", feed, err)
	}
	// Once a later import has superseded all its rows, the file is no longer
	// in force and may be loaded again.
	later := &Import{Datasets: []string{ds.Name}, Source: "test", SHA256: "def", Started: time.Now()}
	lid, _ := s.BeginImport(ctx, later)
	if _, err := s.Apply(ctx, lid, []Load{{Dataset: ds, Columns: rideCols, Rows: rideRows(map[time.Time]int64{month(2024, 1): 2}, "MB")}}, false, nil); err != nil {
		t.Fatal(err)
	}
	later.Status = StatusLoaded
	s.FinishImport(ctx, later)
	if got, err := s.InForce(ctx, ds, "abc"); err != nil || got != nil {
		t.Fatalf("a fully superseded import is still in force: %v %v", got, err)
	}
}

func TestUndoRestoresAndRefusesOverLaterImports(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, _ := openTemp(t, ds)
	ctx := context.Background()
	a, _ := load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 1): 100, month(2024, 2): 200}, "MB"), false)
	b, _ := load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 2): 250, month(2024, 3): 300}, "MB"), false)
	// Undoing a while b replaced one of its rows is refused.
	u1, _ := s.BeginImport(ctx, &Import{Datasets: []string{ds.Name}, Source: "undo", Started: time.Now()})
	if _, _, err := s.Undo(ctx, a, u1, []*plan.Dataset{ds}); !IsUndoConflict(err) {
		t.Fatalf("undo of an import with rows replaced later: %v, want a conflict", err)
	}
	// Undoing b restores exactly the state before it.
	u2, _ := s.BeginImport(ctx, &Import{Datasets: []string{ds.Name}, Source: "undo", Started: time.Now()})
	restored, removed, err := s.Undo(ctx, b, u2, []*plan.Dataset{ds})
	if err != nil {
		t.Fatal(err)
	}
	if restored != 1 || removed != 2 {
		t.Errorf("undo restored %d and removed %d rows, want 1 and 2", restored, removed)
	}
	got := sumByMonth(t, s, ds)
	if len(got) != 2 || got[month(2024, 1)] != 100 || got[month(2024, 2)] != 200 {
		t.Fatalf("after undo: %v, want Jan 100 and Feb 200", got)
	}
	if im, _ := s.GetImport(ctx, b); im.Status != StatusUndone {
		t.Errorf("undone import has status %s", im.Status)
	}
	if _, _, err := s.Undo(ctx, b, u2, []*plan.Dataset{ds}); !IsUndoConflict(err) {
		t.Errorf("a second undo of the same import: %v, want refused", err)
	}
	// Now a can be undone: nothing later touches its rows.
	if _, _, err := s.Undo(ctx, a, u1, []*plan.Dataset{ds}); err != nil {
		t.Fatal(err)
	}
	if total, _, _ := s.CurrentRows(ctx, ds); total != 0 {
		t.Fatalf("%d rows after undoing every import", total)
	}
	var all int
	s.db.QueryRow("SELECT count(*) FROM ds_transit_ridership").Scan(&all)
	if all != 4 {
		t.Errorf("undo deleted rows: %d left of 4", all)
	}
}

func TestDisablingAnAccountRevokesItsTokens(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	u, err := s.AddUser(ctx, "Fin", "editor", "hash", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddUser(ctx, "fin", "viewer", "hash", time.Now()); err == nil {
		t.Fatal("two accounts whose names differ only in case")
	}
	if _, err := s.AddToken(ctx, u.ID, "h1", "viewer", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, tok, err := s.TokenUser(ctx, "h1"); err != nil || got.ID != u.ID || tok.Role != "viewer" {
		t.Fatalf("token lookup: %v %v %v", got, tok, err)
	}
	if err := s.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.TokenUser(ctx, "h1"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("token of a disabled account: %v", err)
	}
	if err := s.SetDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.TokenUser(ctx, "h1"); !errors.Is(err, ErrNoUser) {
		t.Fatal("enabling an account brought its revoked token back")
	}
}

func TestDataVersionMovesWithEveryImportAndUndo(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, _ := openTemp(t, ds)
	ctx := context.Background()
	version := func() string {
		t.Helper()
		v, err := s.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v0 := version()
	if again := version(); again != v0 {
		t.Fatalf("no write, yet the version moved from %s to %s", v0, again)
	}
	a, _ := load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 1): 100}, "MB"), false)
	v1 := version()
	if v1 == v0 {
		t.Fatalf("an import left the data version at %s", v0)
	}
	u, _ := s.BeginImport(ctx, &Import{Datasets: []string{ds.Name}, Source: "undo", Started: time.Now()})
	if _, _, err := s.Undo(ctx, a, u, []*plan.Dataset{ds}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishImport(ctx, &Import{ID: u, Datasets: []string{ds.Name}, Status: StatusLoaded, Finished: time.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if v2 := version(); v2 == v1 || v2 == v0 {
		t.Fatalf("after the undo the version is %s (before: %s, %s)", v2, v0, v1)
	}
}

// A column a newer plan file adds appears in the table and in the view of
// current rows, and rows loaded before it read as missing there.
func TestAddedColumnReachesTheView(t *testing.T) {
	ds := builtin(t, "transit_ridership")
	s, _ := openTemp(t, ds)
	ctx := context.Background()
	load(t, s, ds, rideCols, rideRows(map[time.Time]int64{month(2024, 1): 100}, "MB"), false)
	newer := *ds
	newer.Columns = append(append([]*plan.Column{}, ds.Columns...), &plan.Column{Name: "notes", Type: plan.TypeText})
	for range 2 { // the second start finds everything in place
		if err := s.EnsureDatasets(ctx, map[string]*plan.Dataset{ds.Name: &newer}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM ` + View(ds) + ` WHERE notes IS NULL AND unlinked_trips = 100`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the view of current rows after a column was added: %d rows (%v), want the earlier row with no notes", n, err)
	}
}

// Every type reaches its column exactly as typed: money to the cent, signs
// and the largest amounts included, whole numbers given for money, and the
// import's id, sheet and row on every row.
func TestApplyStoresEachTypeExactly(t *testing.T) {
	rev := builtin(t, "revenue")
	s, _ := openTemp(t, rev)
	cols := []string{"fiscal_year", "month", "fund", "category", "source", "budget", "actual"}
	rows := []Row{
		{Sheet: "Revenue", Line: 2, Values: []any{int64(2025), month(2024, 7), "General Fund", "Taxes", "A", money(-105), money(1)}},
		{Sheet: "Revenue", Line: 3, Values: []any{int64(2025), month(2024, 8), "General Fund", "Taxes", "B", money(999_999_999_999_999_999), int64(1250000)}},
		{Sheet: "Other", Line: 9, Values: []any{int64(2026), nil, "Water Fund", "Charges", "C", nil, money(104211_37)}},
	}
	id, _ := load(t, s, rev, cols, rows, false)
	q := fmt.Sprintf("SELECT fiscal_year, coalesce(strftime(month, '%%Y-%%m'), ''), source, coalesce(budget::VARCHAR, ''), coalesce(actual::VARCHAR, ''), _import_id, _sheet, _row FROM %s ORDER BY source", quoteIdent(Table(rev)))
	got, err := s.db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	var lines []string
	for got.Next() {
		var fy, imp int64
		var line int32
		var m, src, budget, actual, sheet string
		if err := got.Scan(&fy, &m, &src, &budget, &actual, &imp, &sheet, &line); err != nil {
			t.Fatal(err)
		}
		if imp != id {
			t.Errorf("row %s: import %d, want %d", src, imp, id)
		}
		lines = append(lines, fmt.Sprintf("%d %s %s %s %s %s:%d", fy, m, src, budget, actual, sheet, line))
	}
	want := []string{
		"2025 2024-07 A -1.05 0.01 Revenue:2",
		"2025 2024-08 B 9999999999999999.99 1250000.00 Revenue:3",
		"2026  C  104211.37 Other:9",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stored:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
