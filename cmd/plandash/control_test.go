package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCommandsGoThroughARunningServer starts a real server process on a
// database, then runs import and users from another process: both go
// through the server, and nobody sees a lock error.
func TestCommandsGoThroughARunningServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "plandash")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "data", "plandash.duckdb")
	environ := append(os.Environ(), "PLANDASH_PLAN="+defaultPlanPath(t), "PLANDASH_DB="+db, "PLANDASH_NOW="+testNow)
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	srv.Env = environ
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(socketPath(db)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never opened its control socket")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cli := func(args ...string) (string, int) {
		cmd := exec.CommandContext(context.Background(), bin, args...)
		cmd.Env = append(environ, "USER=clerk")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	file := filepath.Join(dir, "ridership.csv")
	os.WriteFile(file, []byte(ridershipCSV), 0o644)
	out, code := cli("import", "ridership.csv")
	if code != 0 || !strings.Contains(out, "2 rows loaded into transit_ridership") || !strings.Contains(out, "ridership.csv") {
		t.Fatalf("import through the server: %d\n%s", code, out)
	}
	if strings.Contains(strings.ToLower(out), "lock") {
		t.Fatalf("the user saw a lock: %s", out)
	}
	out, code = cli("users", "add", "maria", "--role", "editor")
	if code != 0 || !strings.Contains(out, "added maria (editor)") {
		t.Fatalf("users add through the server: %d\n%s", code, out)
	}
	out, code = cli("users", "list")
	if code != 0 || !strings.Contains(out, "maria") {
		t.Fatalf("users list: %s", out)
	}
	out, code = cli("backup", "backups")
	if code != 0 || !strings.Contains(out, filepath.Join(dir, "backups")) {
		t.Fatalf("backup through the server: %d\n%s", code, out)
	}
	backups, _ := filepath.Glob(filepath.Join(dir, "backups", "*.duckdb"))
	if len(backups) != 1 {
		t.Fatalf("backups written: %v", backups)
	}
	out, code = cli("restore", backups[0])
	if code == 0 || !strings.Contains(out, "Stop it, then run plandash restore again. Nothing was changed.") {
		t.Fatalf("restore while a server runs: %d\n%s", code, out)
	}
}
