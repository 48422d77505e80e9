package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

// rideRow is one ridership row with a fixed line number, so two stores
// loaded alike hold alike rows.
func rideRow(line int, m time.Time, mode string, trips int64) Row {
	return Row{Sheet: "Ridership", Line: line, Values: []any{m, mode, "PT", nil, trips}}
}

func TestBackupIsAWholeCopy(t *testing.T) {
	ctx := context.Background()
	ride, ev := builtin(t, "transit_ridership"), builtin(t, "ev_chargers")
	s, _ := openTemp(t, ride, ev)
	load(t, s, ride, rideCols, []Row{rideRow(2, month(2024, 1), "MB", 1), rideRow(3, month(2024, 2), "MB", 2)}, true)
	load(t, s, ride, rideCols, []Row{rideRow(2, month(2024, 1), "MB", 80000), rideRow(3, month(2024, 2), "MB", 81000)}, false)
	load(t, s, ride, rideCols, []Row{rideRow(2, month(2024, 2), "MB", 81500)}, false)
	evCols := []string{"station_id", "open_date", "level2_ports", "latitude"}
	last, _ := load(t, s, ev, evCols, []Row{{Sheet: "ev", Line: 2, Values: []any{"152031", month(2021, 6), int64(4), 33.9022}}}, false)
	u, err := s.AddUser(ctx, "ana", "admin", "hash", month(2026, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToken(ctx, u.ID, "tokenhash", "editor", month(2026, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, AuditEntry{At: month(2026, 2), Actor: "ana", Action: "import", Detail: "d"}); err != nil {
		t.Fatal(err)
	}

	// A reader in the middle of a transaction (a page being drawn) does not
	// stop the backup.
	reader, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := reader.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM cur_transit_ridership").Scan(&n); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "copy.duckdb")
	if err := s.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	reader.ExecContext(ctx, "ROLLBACK")
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 || ents[0].Name() != "copy.duckdb" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the backup folder holds %v; want the backup alone (no log, no partial file)", names)
	}
	var attached int
	s.db.QueryRow(`SELECT count(*) FROM duckdb_databases() WHERE database_name = 'backup'`).Scan(&attached)
	if attached != 0 {
		t.Errorf("the backup is still attached to the database")
	}

	info, err := InspectBackup(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Imports != 4 || info.Users != 1 || !slices.Equal(info.Datasets, []string{"ev_chargers", "transit_ridership"}) {
		t.Errorf("inspect: %+v; want 4 imports, 1 user, the two datasets", info)
	}

	// The copy has the same current rows, ledger and accounts, and its id
	// sequences go on from where the original's were.
	b, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, ds := range []*plan.Dataset{ride, ev} {
		want, err := s.CurrentData(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.CurrentData(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: backup rows\n%s\nwant\n%s", ds.Name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	var all int
	b.db.QueryRow("SELECT count(*) FROM ds_transit_ridership").Scan(&all)
	if all != 5 {
		t.Errorf("the backup's versioned table holds %d rows; want 5 (superseded rows too)", all)
	}
	ledger := func(st *Store) []string {
		ims, err := st.Imports(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, im := range ims {
			out = append(out, strings.Join([]string{im.Status, im.Source, strings.Join(im.Datasets, ","), im.Started.UTC().String()}, " "))
		}
		return out
	}
	if got, want := ledger(b), ledger(s); !slices.Equal(got, want) {
		t.Errorf("ledger of the backup %v; want %v", got, want)
	}
	if bu, err := b.UserByName(ctx, "ana"); err != nil || bu.Role != "admin" || bu.PasswordHash != "hash" {
		t.Errorf("account in the backup: %+v %v", bu, err)
	}
	if tu, _, err := b.TokenUser(ctx, "tokenhash"); err != nil || tu.Name != "ana" {
		t.Errorf("token in the backup: %+v %v", tu, err)
	}
	next, err := b.BeginImport(ctx, &Import{Datasets: []string{ride.Name}, Source: "test", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if next != last+1 {
		t.Errorf("the next import in the backup is #%d; want #%d", next, last+1)
	}

	// A backup never overwrites.
	before, _ := os.ReadFile(path)
	b.Close()
	after, _ := os.ReadFile(path)
	if err := s.Backup(ctx, path); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second backup to the same file: %v; want a refusal", err)
	}
	if now, _ := os.ReadFile(path); len(before) == 0 || !slices.Equal(now, after) {
		t.Errorf("the refused backup changed the existing file")
	}
	// The original goes on taking writes.
	load(t, s, ride, rideCols, []Row{rideRow(2, month(2024, 3), "MB", 1)}, false)
}

func TestInspectBackupRefusesOtherFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.duckdb")
	os.WriteFile(text, []byte("not a database\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "rides.csv"), []byte("month,mode\n2025-01,MB\n"), 0o644)
	other := filepath.Join(dir, "other.duckdb")
	db, err := sql.Open("duckdb", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.duckdb"), "no such file"},
		{dir, "is a folder"},
		{text, "not a DuckDB database file"},
		{filepath.Join(dir, "rides.csv"), "not a DuckDB database file"},
		{other, "not a plandash one"},
	} {
		if _, err := InspectBackup(ctx, tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error saying %q", tc.path, err, tc.want)
		}
	}
	if fi, _ := os.Stat(other); fi == nil {
		t.Fatal("the inspected file is gone")
	}
	if _, err := os.Stat(other + ".wal"); err == nil {
		t.Errorf("inspecting a file wrote a log beside it")
	}
}

func TestCheckFree(t *testing.T) {
	dir := t.TempDir()
	if err := CheckFree(filepath.Join(dir, "missing.duckdb")); err != nil {
		t.Errorf("a missing database: %v; want free", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.duckdb")); err == nil {
		t.Errorf("CheckFree created the database")
	}
	s, path := openTemp(t)
	// (cmd/plandash tests a database held by a second process.)
	if err := CheckFree(path); !errors.Is(err, ErrLocked) {
		t.Errorf("a database this process holds: %v; want ErrLocked", err)
	}
	s.Close()
	if err := CheckFree(path); err != nil {
		t.Errorf("a closed database: %v; want free", err)
	}
}

func TestCopyAccounts(t *testing.T) {
	ctx := context.Background()
	from, _ := openTemp(t)
	to, _ := openTemp(t)
	a, _ := from.AddUser(ctx, "ana", "admin", "h1", month(2025, 1))
	b, _ := from.AddUser(ctx, "ben", "editor", "h2", month(2025, 2))
	from.AddToken(ctx, b.ID, "tok", "viewer", month(2025, 3))
	from.SetDisabled(ctx, a.ID, true)
	for i := range 3 {
		from.Audit(ctx, AuditEntry{At: month(2025, time.Month(4+i)), Actor: "ana", Action: "a", Detail: strings.Repeat("x", i), Address: "1.2.3.4"})
	}
	counts, err := from.CopyAccounts(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if counts != (AccountCounts{Users: 2, Tokens: 1, Audit: 3}) {
		t.Errorf("copied %+v", counts)
	}
	users := func(s *Store) []User {
		us, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []User
		for _, u := range us {
			u.Created, u.LockedUntil, u.LastSignIn = u.Created.UTC(), u.LockedUntil.UTC(), u.LastSignIn.UTC()
			out = append(out, *u)
		}
		return out
	}
	if got, want := users(to), users(from); !slices.Equal(got, want) {
		t.Errorf("accounts %+v; want %+v", got, want)
	}
	if u, _, err := to.TokenUser(ctx, "tok"); err != nil || u.Name != "ben" {
		t.Errorf("token: %v %v", u, err)
	}
	fromLog, _ := from.AuditLog(ctx, 10)
	toLog, _ := to.AuditLog(ctx, 10)
	if len(toLog) != 3 || toLog[0].ID != fromLog[0].ID || toLog[2].Detail != fromLog[2].Detail || !toLog[1].At.Equal(fromLog[1].At) {
		t.Errorf("audit %+v; want %+v", toLog, fromLog)
	}
	// New rows take ids after the copied ones.
	c, err := to.AddUser(ctx, "cy", "viewer", "h3", month(2025, 9))
	if err != nil || c.ID != b.ID+1 {
		t.Errorf("next account %+v %v; want id %d", c, err, b.ID+1)
	}
	to.Audit(ctx, AuditEntry{At: month(2025, 10), Action: "b"})
	if l, _ := to.AuditLog(ctx, 1); len(l) != 1 || l[0].ID != 4 {
		t.Errorf("next audit entry %+v; want id 4", l)
	}
	if _, err := from.CopyAccounts(ctx, to); err == nil {
		t.Errorf("copying into a database with accounts was not refused")
	}
}

func TestCurrentDataIgnoresImportIDs(t *testing.T) {
	ctx := context.Background()
	ride := builtin(t, "transit_ridership")
	s1, _ := openTemp(t, ride)
	s2, _ := openTemp(t, ride)
	rows := []Row{rideRow(2, month(2024, 1), "MB", 100), rideRow(3, month(2024, 2), "MB", 200)}
	load(t, s1, ride, rideCols, rows, false)
	// s2 reaches the same rows by another path: other ids, a superseded row.
	load(t, s2, ride, rideCols, []Row{rideRow(2, month(2024, 2), "MB", 5)}, false)
	load(t, s2, ride, rideCols, rows, false)
	d1, err := s1.CurrentData(ctx, ride)
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := s2.CurrentData(ctx, ride)
	if !slices.Equal(d1, d2) || len(d1) != 2 {
		t.Fatalf("same rows compare unequal:\n%s\n--\n%s", strings.Join(d1, "\n"), strings.Join(d2, "\n"))
	}
	if !strings.Contains(d1[0], `month="2024-01-01"`) || !strings.Contains(d1[0], `route=NULL`) || !strings.Contains(d1[0], `_row="2"`) || strings.Contains(d1[0], "_import_id") {
		t.Errorf("canonical row %s", d1[0])
	}
	load(t, s2, ride, rideCols, []Row{rideRow(3, month(2024, 2), "MB", 201)}, false)
	if d2, _ = s2.CurrentData(ctx, ride); slices.Equal(d1, d2) {
		t.Errorf("a changed value compares equal")
	}
}
