package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/plan"
)

// testNow is the fixed clock of the tests: after the Norwalk plan's end.
const testNow = "2026-11-26"

func defaultPlanPath(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs("../../data/norwalk-2023-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// env builds a getenv for run() pointing at a temporary database.
func env(t testing.TB, extra map[string]string) func(string) string {
	dir := t.TempDir()
	m := map[string]string{
		"PLANDASH_PLAN": defaultPlanPath(t),
		"PLANDASH_DB":   filepath.Join(dir, "plandash.duckdb"),
		"PLANDASH_NOW":  testNow,
	}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func runCmd(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func TestCheckDefaultPlan(t *testing.T) {
	code, out, _ := runCmd(t, env(t, nil), "check")
	if code != 0 || !strings.Contains(out, "ok: 4 goals, 12 objectives, 40 strategies") {
		t.Fatalf("check of the default plan: exit %d\n%s", code, out)
	}
}

func TestCheckNamesFileLineAndProblem(t *testing.T) {
	src, err := os.ReadFile(defaultPlanPath(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cases := []struct {
		name, old, new, want string
	}{
		{"dangling link", "measures: [G4.O1, G4.O1.S3]", "measures: [G4.O1, G4.O1.S9]", `measures "G4.O1.S9", which is not a goal, objective or strategy`},
		{"bad type", "fiscal_year_start_month: 7", "fiscal_year_start_month: July", "fiscal_year_start_month"},
		{"unknown column", "measure: sum(unlinked_trips)\n    grain: month", "measure: sum(unlinked_tripz)\n    grain: month", `unknown column "unlinked_tripz"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(src, []byte(tc.old)) {
				t.Fatalf("the default plan no longer contains %q", tc.old)
			}
			broken := bytes.Replace(src, []byte(tc.old), []byte(tc.new), 1)
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			os.WriteFile(file, broken, 0o644)
			line := 1 + bytes.Count(broken[:bytes.Index(broken, []byte(tc.new))], []byte("\n"))
			code, out, _ := runCmd(t, env(t, nil), "check", file)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			prefix := file + ":"
			found := false
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, prefix) && strings.Contains(l, "error") && strings.Contains(l, tc.want) {
					found = true
					if !strings.HasPrefix(l, prefix+strconv.Itoa(line)+":") {
						t.Errorf("problem on the wrong line (want %d): %s", line, l)
					}
				}
			}
			if !found {
				t.Fatalf("no problem naming %q in:\n%s", tc.want, out)
			}
			// serve refuses the same plan with the same message.
			code, _, errOut := runCmd(t, env(t, map[string]string{"PLANDASH_PLAN": file}), "serve", "--addr", "127.0.0.1:0")
			if code == 0 || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "nothing was started") {
				t.Fatalf("serve on an invalid plan: exit %d\n%s", code, errOut)
			}
		})
	}
}

// writeRidership writes a ridership template; bad puts text into one trips cell.
func writeRidership(t *testing.T, path string, bad bool) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := "Ridership"
	f.SetSheetName("Sheet1", sh)
	f.SetSheetRow(sh, "A1", &[]any{"Month", "Mode", "Type of service", "Unlinked passenger trips"})
	for i := 0; i < 12; i++ {
		trips := any(90000 + i)
		if bad && i == 5 {
			trips = "abc"
		}
		f.SetSheetRow(sh, "A"+strconv.Itoa(i+2), &[]any{time.Date(2026, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"), "MB", "PT", trips})
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func TestImportBadCellLoadsNothing(t *testing.T) {
	getenv := env(t, nil)
	dir := t.TempDir()
	bad := filepath.Join(dir, "ridership-bad.xlsx")
	writeRidership(t, bad, true)
	code, out, errOut := runCmd(t, getenv, "import", "--dataset", "transit_ridership", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, `Ridership!D7: "abc" is not a number (column unlinked_trips)`) {
		t.Fatalf("the report does not name the cell:\n%s", out)
	}
	if !strings.Contains(out, "0 loaded") {
		t.Fatalf("rows were loaded:\n%s", out)
	}
	good := filepath.Join(dir, "ridership.xlsx")
	writeRidership(t, good, false)
	code, out, _ = runCmd(t, getenv, "import", good)
	if code != 0 || !strings.Contains(out, "12 loaded") || !strings.Contains(out, "detected") {
		t.Fatalf("import of the corrected file (dataset detected): exit %d\n%s", code, out)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); !strings.Contains(out, "sha256 "+hex.EncodeToString(sum[:])[:12]) {
		t.Fatalf("the report does not give the file's hash %x:\n%s", sum, out)
	}
	// The same file again is refused while its import is in force.
	code, out, _ = runCmd(t, getenv, "import", good)
	if code != 1 || !strings.Contains(out, "already loaded") {
		t.Fatalf("second import of the same file: exit %d\n%s", code, out)
	}
}

// startTestServer starts plandash on a free port with a temporary database
// and the default plan, as `make run` would.
func startTestServer(t testing.TB) *server {
	t.Helper()
	cfg := config.Config{Plan: defaultPlanPath(t), DB: filepath.Join(t.TempDir(), "plandash.duckdb"), Addr: "127.0.0.1:0", Threads: 2, MemoryLimit: "512MB", LogFormat: "text",
		Public: true, UploadLimit: 100 << 20}
	cfg.Archive = filepath.Join(filepath.Dir(cfg.DB), "archive")
	now, _ := config.ParseNow(testNow)
	cfg.Now = now
	p, probs, err := plan.LoadFile(cfg.Plan)
	if err != nil {
		t.Fatal(err, probs)
	}
	s, err := startServer(context.Background(), cfg, p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(5 * time.Second) })
	return s
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeHealthAndNotFound(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	code, body := get(t, base+"/healthz")
	if code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("healthz: %d %s", code, body)
	}
	for _, path := range []string{"/goals/G9", "/indicators/nope", "/no/such/page", "/api/v1/indicators/nope"} {
		code, body := get(t, base+path)
		if code != 404 {
			t.Errorf("%s: %d, want 404", path, code)
		}
		if strings.Contains(body, "goroutine") || strings.Contains(body, ".go:") {
			t.Errorf("%s leaks internals: %s", path, body)
		}
	}
}
