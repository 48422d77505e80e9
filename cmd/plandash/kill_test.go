package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/store"
)

// TestKilledImportLeavesDataIntact kills plandash import with SIGKILL while
// it loads a large file; after a restart the dataset is as it was before
// that import and the import shows as interrupted.
func TestKilledImportLeavesDataIntact(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and loads a large file")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "plandash")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "data", "plandash.duckdb")
	archive := filepath.Join(dir, "data", "archive")
	environ := append(os.Environ(), "PLANDASH_PLAN="+defaultPlanPath(t), "PLANDASH_DB="+db, "PLANDASH_NOW="+testNow)
	run := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = environ
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	// A first, small import: the state to come back to.
	small := filepath.Join(dir, "small.csv")
	os.WriteFile(small, []byte(ridershipCSV), 0o644)
	if out := run("import", small); !strings.Contains(out, "2 rows loaded") {
		t.Fatalf("first import: %s", out)
	}
	// A large file: a million rows takes long enough to load that the kill
	// lands inside the data transaction.
	big := filepath.Join(dir, "big.csv")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "Month,Mode,Type of service,Route,Unlinked passenger trips")
	for i := 0; i < 1_000_000; i++ {
		fmt.Fprintf(f, "%d-%02d,MB,PT,R%d,%d\n", 2000+i%20, 1+i%12, i, 1000+i%5000)
	}
	f.Close()
	cmd := exec.Command(bin, "import", big)
	cmd.Env = environ
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The file is archived just before the ledger row is committed as
	// running and the rows are appended: kill shortly after it appears.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		entries, _ := filepath.Glob(filepath.Join(archive, "*", "*.csv"))
		if len(entries) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the large import never reached the archive")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	state, _ := cmd.Process.Wait()
	if state != nil && state.Success() {
		t.Skip("the import finished before it could be killed; the machine is too fast for this test's timing")
	}
	// Restart: open the database as the server does.
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ims, err := st.Imports(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{}
	for _, im := range ims {
		statuses[im.Status]++
	}
	if statuses["loaded"] != 1 || statuses["running"] != 0 {
		t.Fatalf("ledger after the kill: %v", statuses)
	}
	if statuses["interrupted"] != 1 {
		t.Fatalf("the killed import is not marked interrupted: %v", statuses)
	}
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM cur_transit_ridership`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("after the kill the dataset has %d current rows, want the 2 from before", n)
	}
	var all int
	st.DB().QueryRow(`SELECT count(*) FROM ds_transit_ridership`).Scan(&all)
	if all != 2 {
		t.Fatalf("rows of the killed import were kept: %d in the table", all)
	}
}
