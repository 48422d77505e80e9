package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

// testConfig resolves the configuration run() would see under getenv.
func testConfig(t *testing.T, getenv func(string) string) (config.Config, *plan.Plan) {
	t.Helper()
	cfg, _, err := flags("test", nil, io.Discard, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, probs, err := plan.LoadFile(cfg.Plan)
	if err != nil {
		t.Fatal(err, probs)
	}
	return cfg, p
}

// writeRides writes a ridership CSV of n months from start.
func writeRides(t *testing.T, path string, start time.Time, n, base int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("month,mode,type_of_service,route,unlinked_trips\n")
	for i := range n {
		fmt.Fprintf(&b, "%s,MB,PT,,%d\n", start.AddDate(0, i, 0).Format("2006-01"), base+i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cmdHistory gives the database of getenv a history like a real one: the
// samples a new server loads, a real file superseding the ridership samples,
// an upsert over part of it, an import undone, a form entry, and an
// account. It returns the real file's path.
func cmdHistory(t *testing.T, getenv func(string) string) string {
	t.Helper()
	ctx := context.Background()
	cfg, p := testConfig(t, getenv)
	st, err := openStore(ctx, cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	im := &imports.Importer{Store: st, Plan: func() *plan.Plan { return p }, Archive: cfg.Archive, Now: cfg.Clock(), Log: log}
	if err := loadSamples(ctx, im, st, p, cfg.Clock()(), log); err != nil {
		t.Fatal(err)
	}
	st.Close()

	dir := t.TempDir()
	real := filepath.Join(dir, "ridership-2025.csv")
	writeRides(t, real, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 12, 80000)
	upsert := filepath.Join(dir, "ridership-fy26.csv")
	writeRides(t, upsert, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), 12, 90000)
	for _, f := range []string{real, upsert} {
		if code, out, errOut := runCmd(t, getenv, "import", "--dataset", "transit_ridership", f); code != 0 {
			t.Fatalf("import %s: exit %d\n%s%s", f, code, out, errOut)
		}
	}
	if code, out, errOut := runCmd(t, getenv, "users", "add", "ana", "--role", "admin", "--password", "correct horse battery"); code != 0 {
		t.Fatalf("users add: %d\n%s%s", code, out, errOut)
	}

	st, err = openStore(ctx, cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	im.Store = st
	oops := filepath.Join(dir, "oops.csv")
	writeRides(t, oops, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), 3, 7)
	data, _ := os.ReadFile(oops)
	rep, err := im.Import(ctx, imports.Request{Name: "oops.csv", Data: data, Dataset: "transit_ridership", Source: imports.SourceUpload, User: "ana"})
	if err != nil || !rep.OK() {
		t.Fatalf("import to undo: %v %+v", err, rep)
	}
	if _, err := im.Undo(ctx, rep.ID, "ana", imports.SourceUpload); err != nil {
		t.Fatal(err)
	}
	frep, err := im.ManualEntry(ctx, "transit_ridership", []map[string]string{
		{"month": "2026-09", "mode": "DR", "type_of_service": "DO", "unlinked_trips": "4100"},
	}, "ana", false)
	if err != nil || !frep.OK() {
		t.Fatalf("form entry: %v %+v", err, frep)
	}
	// A narrative and imported targets are entries too: they must survive.
	if nrep, err := im.Note(ctx, "transit-boardings", "2026-09", "Ridership held steady.", "Marketing the new routes.", "ana"); err != nil || !nrep.OK() {
		t.Fatalf("narrative: %v %+v", err, nrep)
	}
	trep, err := im.ManualEntry(ctx, "indicator_targets", []map[string]string{
		{"indicator": "transit-boardings", "period": "FY2027", "minimum": "90000", "target": "95000", "stretch": "100000"},
	}, "ana", false)
	if err != nil || !trep.OK() {
		t.Fatalf("targets: %v %+v", err, trep)
	}
	return real
}

// dbState is what a database holds, for comparing two of them.
type dbState struct {
	data    map[string][]string
	ledger  []string
	users   []string
	archive []string
}

func readState(t *testing.T, path string, p *plan.Plan) dbState {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{TimeZone: p.Location().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := dbState{data: map[string][]string{}}
	for name, ds := range p.Datasets {
		rows, err := st.CurrentData(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		s.data[name] = rows
	}
	ims, err := st.Imports(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range ims {
		s.ledger = append(s.ledger, fmt.Sprintf("#%d %s %s %s %s %s rows=%d", im.ID, im.Status, im.Source, im.User, im.FileName, im.Started.UTC().Format(time.RFC3339), im.RowsLoaded))
		if im.ArchivePath != "" {
			s.archive = append(s.archive, im.ArchivePath)
		}
	}
	us, err := st.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		s.users = append(s.users, fmt.Sprintf("#%d %s %s %s", u.ID, u.Name, u.Role, u.PasswordHash))
	}
	sort.Strings(s.archive)
	s.archive = slices.Compact(s.archive)
	return s
}

func sameState(t *testing.T, what string, got, want dbState, withLedger bool) {
	t.Helper()
	for name, rows := range want.data {
		if len(rows) == 0 {
			t.Errorf("%s: dataset %s is empty; the test history should fill it", what, name)
		}
		if !slices.Equal(got.data[name], rows) {
			t.Errorf("%s: dataset %s has %d current rows; want %d, the same", what, name, len(got.data[name]), len(rows))
		}
	}
	if withLedger && !slices.Equal(got.ledger, want.ledger) {
		t.Errorf("%s: ledger\n%s\nwant\n%s", what, strings.Join(got.ledger, "\n"), strings.Join(want.ledger, "\n"))
	}
	if !slices.Equal(got.users, want.users) {
		t.Errorf("%s: accounts %v; want %v", what, got.users, want.users)
	}
}

func TestBackupThenRestore(t *testing.T) {
	getenv := env(t, nil)
	cfg, p := testConfig(t, getenv)
	real := cmdHistory(t, getenv)
	before := readState(t, cfg.DB, p)

	dir := filepath.Join(t.TempDir(), "backups")
	code, out, errOut := runCmd(t, getenv, "backup", dir)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	backup := filepath.Join(dir, "plandash-20261126-120000.duckdb")
	archive := filepath.Join(dir, "plandash-20261126-120000-archive")
	if !strings.Contains(out, "database: "+backup) || !strings.Contains(out, "archive:  "+archive) || !strings.Contains(out, "plandash restore "+backup) {
		t.Errorf("backup output does not name the files:\n%s", out)
	}
	for _, rel := range before.archive {
		if _, err := os.Stat(filepath.Join(archive, rel)); err != nil {
			t.Errorf("the backup's archive lacks %s: %v", rel, err)
		}
	}
	// A second backup in the same second does not overwrite the first.
	if code, _, errOut := runCmd(t, getenv, "backup", dir); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("a second backup onto the first: exit %d\n%s", code, errOut)
	}

	// Lose everything: the database, its log and the archive.
	for _, f := range []string{cfg.DB, cfg.DB + ".wal"} {
		os.Remove(f)
	}
	if err := os.RemoveAll(cfg.Archive); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, getenv, "restore", backup)
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"restored " + cfg.DB + " from " + backup, "there was no database", fmt.Sprintf("%d files copied from %s", len(before.archive), archive)} {
		if !strings.Contains(out, want) {
			t.Errorf("restore output lacks %q:\n%s", want, out)
		}
	}
	after := readState(t, cfg.DB, p)
	sameState(t, "after restore", after, before, true)
	if !slices.Equal(after.archive, before.archive) {
		t.Errorf("archive paths %v; want %v", after.archive, before.archive)
	}
	for _, rel := range before.archive {
		if _, err := os.Stat(filepath.Join(cfg.Archive, rel)); err != nil {
			t.Errorf("the restored archive lacks %s", rel)
		}
	}

	// The restored database is live: its ledger knows the real file, and
	// a new import takes the next id.
	code, out, _ = runCmd(t, getenv, "import", "--dataset", "transit_ridership", real)
	if code != 1 || !strings.Contains(out, "already loaded") {
		t.Errorf("the real file after restore: exit %d\n%s", code, out)
	}
	later := filepath.Join(t.TempDir(), "later.csv")
	writeRides(t, later, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 2, 1)
	if code, out, _ = runCmd(t, getenv, "import", "--dataset", "transit_ridership", later); code != 0 || !strings.Contains(out, fmt.Sprintf("(import #%d)", len(before.ledger)+1)) {
		t.Errorf("an import after restore: exit %d\n%s", code, out)
	}
	changed := readState(t, cfg.DB, p)

	// Restoring over a database moves that one aside, whole.
	code, out, errOut = runCmd(t, getenv, "restore", backup)
	if code != 0 {
		t.Fatalf("second restore: exit %d\n%s%s", code, out, errOut)
	}
	aside := cfg.DB + ".before-restore-20261126-120000"
	if !strings.Contains(out, "the previous database is kept at "+aside) || !strings.Contains(out, "there already") {
		t.Errorf("second restore output:\n%s", out)
	}
	sameState(t, "after the second restore", readState(t, cfg.DB, p), before, true)
	sameState(t, "the database moved aside", readState(t, aside, p), changed, true)
	// Once more: the aside name is taken, so the next gets a suffix.
	if code, out, _ = runCmd(t, getenv, "restore", backup); code != 0 || !strings.Contains(out, aside+"-2") {
		t.Errorf("third restore: exit %d\n%s", code, out)
	}
}

func TestRestoreRefusesWhatIsNotABackup(t *testing.T) {
	getenv := env(t, nil)
	cfg, _ := testConfig(t, getenv)
	if code, _, errOut := runCmd(t, getenv, "users", "add", "ana", "--role", "admin", "--password", "correct horse battery"); code != 0 {
		t.Fatal(errOut)
	}
	orig, _ := os.ReadFile(cfg.DB)
	notes := filepath.Join(t.TempDir(), "notes.duckdb")
	os.WriteFile(notes, []byte("hello\n"), 0o644)
	for _, tc := range []struct{ arg, want string }{
		{notes, "not a DuckDB database file"},
		{filepath.Join(t.TempDir(), "missing.duckdb"), "no such file"},
		{cfg.DB, "is the database itself"},
	} {
		code, out, errOut := runCmd(t, getenv, "restore", tc.arg)
		if code != 1 || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("restore %s: exit %d\n%s%s; want a refusal saying %q", tc.arg, code, out, errOut, tc.want)
		}
		if tc.want != "is the database itself" && !strings.Contains(errOut, "Nothing was changed") {
			t.Errorf("restore %s does not say nothing was changed: %s", tc.arg, errOut)
		}
	}
	if now, _ := os.ReadFile(cfg.DB); !slices.Equal(now, orig) {
		t.Errorf("a refused restore changed the database")
	}
	if m, _ := filepath.Glob(cfg.DB + ".before-restore-*"); len(m) > 0 {
		t.Errorf("a refused restore moved the database: %v", m)
	}
	if code, _, errOut := runCmd(t, getenv, "restore"); code != 2 || !strings.Contains(errOut, "BACKUP_FILE") {
		t.Errorf("restore without a file: exit %d %s", code, errOut)
	}
}

// TestHoldDatabase is not a test: TestRestoreRefusesWhileAServerRuns runs
// it in a second process to hold a database open, as a server would.
func TestHoldDatabase(t *testing.T) {
	path := os.Getenv("PLANDASH_TEST_HOLD_DB")
	if path == "" {
		t.Skip("helper process of TestRestoreRefusesWhileAServerRuns")
	}
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	st.Close()
}

func TestRestoreRefusesWhileAServerRuns(t *testing.T) {
	getenv := env(t, nil)
	cfg, _ := testConfig(t, getenv)
	cmdHistory(t, getenv)
	dir := t.TempDir()
	if code, out, errOut := runCmd(t, getenv, "backup", dir); code != 0 {
		t.Fatalf("backup: %d\n%s%s", code, out, errOut)
	}
	backup := filepath.Join(dir, "plandash-20261126-120000.duckdb")

	// DuckDB's lock works between processes: hold the database in another.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldDatabase$")
	cmd.Env = append(os.Environ(), "PLANDASH_TEST_HOLD_DB="+cfg.DB)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "holding\n" {
		t.Fatalf("the helper process: %q %v", line, err)
	}
	orig, _ := os.ReadFile(cfg.DB)
	code, out, errOut := runCmd(t, getenv, "restore", backup)
	if code != 1 || strings.TrimSpace(errOut) != restoreLockedMessage(cfg.DB) || out != "" {
		t.Fatalf("restore while held: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"in use by another plandash process", "Stop it", "Nothing was changed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the refusal does not say %q: %s", want, errOut)
		}
	}
	if now, _ := os.ReadFile(cfg.DB); !slices.Equal(now, orig) {
		t.Errorf("the refused restore changed the database")
	}
	if m, _ := filepath.Glob(cfg.DB + ".before-restore-*"); len(m) > 0 {
		t.Errorf("the refused restore moved the database: %v", m)
	}
	// backup and rebuild say so plainly too.
	// (The process holding the database here is not a server, so there is
	// no socket to go through.)
	if code, _, errOut := runCmd(t, getenv, "backup", t.TempDir()); code != 1 || !strings.Contains(errOut, "held by another plandash process") {
		t.Errorf("backup while held: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, getenv, "rebuild"); code != 1 || !strings.Contains(errOut, "held by another plandash process") {
		t.Errorf("rebuild while held: exit %d %s", code, errOut)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg.DB), "*.rebuilt-*")); len(m) > 0 {
		t.Errorf("a refused rebuild left %v", m)
	}
}

func TestRebuildGivesTheSameData(t *testing.T) {
	getenv := env(t, nil)
	cfg, p := testConfig(t, getenv)
	cmdHistory(t, getenv)
	before := readState(t, cfg.DB, p)

	code, out, errOut := runCmd(t, getenv, "rebuild")
	if code != 0 {
		t.Fatalf("rebuild: exit %d\n%s%s", code, out, errOut)
	}
	rebuilt := filepath.Join(filepath.Dir(cfg.DB), "plandash.rebuilt-20261126-120000.duckdb")
	for _, want := range []string{"rebuilt " + cfg.DB + " into " + rebuilt, "1 undo done again", "1 account,", "the same current rows in every dataset",
		"The current database was not changed", "mv " + rebuilt + " " + cfg.DB} {
		if !strings.Contains(out, want) {
			t.Errorf("rebuild output lacks %q:\n%s", want, out)
		}
	}
	sameState(t, "the current database after the rebuild", readState(t, cfg.DB, p), before, true)
	// Compared here again, not trusting the command's own check. The ledger
	// differs in ids (refused rows are not replayed), not in content.
	got := readState(t, rebuilt, p)
	sameState(t, "rebuilt", got, before, false)
	if len(got.ledger) != len(before.ledger) {
		t.Errorf("the rebuilt ledger has %d rows; want %d (this history has no refused rows)", len(got.ledger), len(before.ledger))
	}

	// Never over an existing file.
	if code, _, errOut := runCmd(t, getenv, "rebuild"); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("a second rebuild onto the first: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, getenv, "rebuild", "--into", cfg.DB); code != 1 || !strings.Contains(errOut, "never replaces") {
		t.Errorf("rebuild into the database itself: exit %d %s", code, errOut)
	}

	// With a file lost from the archive, the rebuild says what differs.
	var lost string
	for _, r := range before.ledger {
		if strings.Contains(r, "ridership-fy26.csv") {
			lost = r
		}
	}
	if lost == "" {
		t.Fatal("no upsert in the ledger")
	}
	for _, rel := range before.archive {
		b, _ := os.ReadFile(filepath.Join(cfg.Archive, rel))
		if strings.Contains(string(b), "2025-07,MB,PT,,90000") {
			os.Remove(filepath.Join(cfg.Archive, rel))
		}
	}
	other := filepath.Join(t.TempDir(), "other.duckdb")
	code, out, _ = runCmd(t, getenv, "rebuild", "--into", other)
	if code != 1 || !strings.Contains(out, "DIFFERS") || !strings.Contains(out, "ridership-fy26.csv") || !strings.Contains(out, "archive has no copy") ||
		!strings.Contains(out, "transit_ridership:") || !strings.Contains(out, "keep it with the database") {
		t.Errorf("rebuild with a lost file: exit %d\n%s", code, out)
	}
}

// The server's own importer backs up the database it holds while it serves,
// and goes on serving and importing.
func TestBackupFromInsideTheServer(t *testing.T) {
	ctx := context.Background()
	s := startTestServer(t)
	base := "http://" + s.Addr()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			resp, err := http.Get(base + "/")
			if err != nil {
				t.Errorf("the scorecard during a backup: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("the scorecard during a backup: %d", resp.StatusCode)
				return
			}
		}
	}()
	dir := t.TempDir()
	res, err := s.importer.Backup(ctx, dir)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	info, err := store.InspectBackup(ctx, res.Database)
	if err != nil {
		t.Fatal(err)
	}
	ledger, _ := s.store.Imports(ctx, "", 0)
	if info.Imports == 0 || info.Imports != int64(len(ledger)) || res.Copied != len(ledger) {
		t.Errorf("backup of the running server: %+v, %d files; the server's ledger has %d rows", info, res.Copied, len(ledger))
	}
	path := filepath.Join(t.TempDir(), "after.csv")
	writeRides(t, path, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 3, 80000)
	data, _ := os.ReadFile(path)
	rep, err := s.importer.Import(ctx, imports.Request{Name: "after.csv", Data: data, Dataset: "transit_ridership", Source: imports.SourceUpload, User: "ana"})
	if err != nil || !rep.OK() {
		t.Fatalf("an import after the backup: %v %+v", err, rep)
	}
	if code, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz after the backup: %d %s", code, body)
	}
}
