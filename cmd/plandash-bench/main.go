// Command plandash-bench measures plandash on large inputs and writes
// docs/BENCHMARKS.md: imports of 200,000- and 1,000,000-row workbooks and
// of a 100 MB one through the real plandash binary, page latency under 64 concurrent
// connections against a database of 11 million rows, series queries and
// start-up time, each next to a baseline measured in the same run (excelize
// and DuckDB's read_csv for imports, a static file of the same server for
// pages). Run it with make bench from the repository root; it generates
// every input in a temporary folder and removes it afterwards.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

func main() {
	// Child modes: the harness runs its baselines as child processes of
	// itself, so that their peak memory is measured as plandash's is.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "child-excelize":
			os.Exit(childExcelize(os.Args[2:]))
		case "child-read-csv":
			os.Exit(childReadCSV(os.Args[2:]))
		case "generate":
			// plandash-bench generate ROWS FILE.xlsx|FILE.csv: one input, for
			// profiling by hand.
			n, err := strconv.Atoi(os.Args[2])
			if err == nil {
				if strings.HasSuffix(os.Args[3], ".csv") {
					err = writeRidershipCSV(os.Args[3], n)
				} else {
					err = writeRidershipXLSX(os.Args[3], n, len(os.Args) > 4 && os.Args[4] == "wide")
				}
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			os.Exit(0)
		}
	}
	var cfg config
	flag.StringVar(&cfg.out, "out", "docs/BENCHMARKS.md", "where to write the results")
	flag.StringVar(&cfg.plan, "plan", "data/norwalk-2023-2025.yaml", "the plan file")
	flag.BoolVar(&cfg.quick, "quick", false, "small inputs and one repetition, to try the harness (writes nothing unless -out is given)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temporary folder")
	flag.DurationVar(&cfg.loadFor, "load-for", 5*time.Second, "how long each page is loaded")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "plandash-bench:", err)
		os.Exit(1)
	}
}

type config struct {
	out, plan   string
	quick, keep bool
	loadFor     time.Duration
}

// sizes of the inputs.
type sizes struct {
	workbooks     []int // rows of each workbook
	reps          map[int]int
	baselineReps  map[int]int
	revenueRows   int
	ridershipRows int
	// wideRows is the length of the wide workbook (about 100 MB at 1,000,000).
	wideRows, wideReps int
}

func run(ctx context.Context, cfg config) error {
	start := time.Now()
	sz := sizes{
		workbooks:     []int{200000, 1000000},
		reps:          map[int]int{200000: 5, 1000000: 3},
		baselineReps:  map[int]int{200000: 3, 1000000: 1},
		revenueRows:   10000000,
		ridershipRows: 1000000,
		wideRows:      1000000,
		wideReps:      2,
	}
	if cfg.quick {
		sz = sizes{workbooks: []int{20000, 100000}, reps: map[int]int{20000: 1, 100000: 1}, baselineReps: map[int]int{20000: 1, 100000: 1},
			revenueRows: 500000, ridershipRows: 100000, wideRows: 50000, wideReps: 1}
		if cfg.out == "docs/BENCHMARKS.md" {
			cfg.out = ""
		}
	}
	p, _, err := plan.LoadFile(cfg.plan)
	if err != nil {
		return fmt.Errorf("plan %s: %w", cfg.plan, err)
	}
	dir, err := os.MkdirTemp("", "plandash-bench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		progress("inputs and databases kept in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	rep := &report{started: start, machine: describeMachine(), sizes: sz, loadFor: cfg.loadFor}

	progress("building plandash")
	bin := filepath.Join(dir, "plandash")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/plandash")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	absPlan, err := filepath.Abs(cfg.plan)
	if err != nil {
		return err
	}

	// Imports.
	for _, n := range sz.workbooks {
		xlsx := filepath.Join(dir, fmt.Sprintf("ridership-%d.xlsx", n))
		csv := filepath.Join(dir, fmt.Sprintf("ridership-%d.csv", n))
		t0 := time.Now()
		if err := writeRidershipXLSX(xlsx, n, false); err != nil {
			return err
		}
		if err := writeRidershipCSV(csv, n); err != nil {
			return err
		}
		xs, _ := os.Stat(xlsx)
		cs, _ := os.Stat(csv)
		progress("generated %s rows: workbook %s, CSV %s (%.1f s)", groupDigits(n), byteSize(xs.Size()), byteSize(cs.Size()), time.Since(t0).Seconds())
		ir := importResult{rows: n, xlsxSize: xs.Size(), csvSize: cs.Size()}
		// The runs take turns (plandash, excelize, read_csv, plandash, ...),
		// so that a change in the machine's load falls on all three alike.
		for i := range max(sz.reps[n], sz.baselineReps[n]) {
			if i < sz.reps[n] {
				db := filepath.Join(dir, fmt.Sprintf("import-%d-%d", n, i), "plandash.duckdb")
				m, err := runChild(ctx, bin, "import", "--plan", absPlan, "--db", db, "--dataset", "transit_ridership", xlsx)
				if err != nil {
					return fmt.Errorf("import of %d rows: %w", n, err)
				}
				if !strings.Contains(m.stdout, "loaded") {
					return fmt.Errorf("import of %d rows did not load:\n%s", n, m.stdout)
				}
				progress("import %s rows #%d: %.2f s, peak RSS %s", groupDigits(n), i+1, m.wall.Seconds(), byteSize(m.maxRSS))
				ir.imports = append(ir.imports, m)
				os.RemoveAll(filepath.Dir(db))
			}
			if i < sz.baselineReps[n] {
				m, err := runChild(ctx, self, "child-excelize", xlsx)
				if err != nil {
					return fmt.Errorf("excelize baseline: %w", err)
				}
				progress("excelize Rows() %s rows #%d: %.2f s, peak RSS %s", groupDigits(n), i+1, m.wall.Seconds(), byteSize(m.maxRSS))
				ir.excelize = append(ir.excelize, m)
			}
			if i < sz.reps[n] {
				db := filepath.Join(dir, fmt.Sprintf("csv-%d-%d.duckdb", n, i))
				m, err := runChild(ctx, self, "child-read-csv", csv, db)
				if err != nil {
					return fmt.Errorf("read_csv baseline: %w", err)
				}
				progress("DuckDB read_csv %s rows #%d: %.2f s, peak RSS %s", groupDigits(n), i+1, m.wall.Seconds(), byteSize(m.maxRSS))
				ir.readCSV = append(ir.readCSV, m)
				os.Remove(db)
				os.Remove(db + ".wal")
			}
		}
		rep.imports = append(rep.imports, ir)
		os.Remove(xlsx)
		os.Remove(csv)
	}

	// A workbook of about 100 MB: the template's columns and more.
	{
		n := sz.wideRows
		xlsx := filepath.Join(dir, "ridership-wide.xlsx")
		if err := writeRidershipXLSX(xlsx, n, true); err != nil {
			return err
		}
		xs, _ := os.Stat(xlsx)
		ir := importResult{rows: n, xlsxSize: xs.Size()}
		for i := range sz.wideReps {
			db := filepath.Join(dir, fmt.Sprintf("import-wide-%d", i), "plandash.duckdb")
			m, err := runChild(ctx, bin, "import", "--plan", absPlan, "--db", db, "--dataset", "transit_ridership", xlsx)
			if err != nil {
				return fmt.Errorf("import of the wide workbook: %w", err)
			}
			if !strings.Contains(m.stdout, "loaded") {
				return fmt.Errorf("import of the wide workbook did not load:\n%s", m.stdout)
			}
			progress("import of a %s workbook (%s rows) #%d: %.2f s, peak RSS %s", byteSize(xs.Size()), groupDigits(n), i+1, m.wall.Seconds(), byteSize(m.maxRSS))
			ir.imports = append(ir.imports, m)
			os.RemoveAll(filepath.Dir(db))
		}
		rep.wide = &ir
		// The same workbook uploaded to a running server.
		u, err := measureUpload(ctx, bin, absPlan, dir, xlsx)
		if err != nil {
			return fmt.Errorf("upload of the wide workbook: %w", err)
		}
		progress("upload of the %s workbook to plandash serve: %.2f s, %s; server resident memory %s before, peak %s",
			byteSize(xs.Size()), u.wall.Seconds(), u.status, byteSize(u.startRSS), byteSize(u.peakRSS))
		rep.upload = &u
		os.Remove(xlsx)
	}

	// The large database.
	big := filepath.Join(dir, "large", "plandash.duckdb")
	t0 := time.Now()
	progress("building a database of %s revenue and %s ridership rows", groupDigits(sz.revenueRows), groupDigits(sz.ridershipRows))
	if err := buildLargeDatabase(ctx, big, p, sz.revenueRows, sz.ridershipRows); err != nil {
		return fmt.Errorf("large database: %w", err)
	}
	rep.dbBuild = time.Since(t0)
	if fi, err := os.Stat(big); err == nil {
		rep.dbSize = fi.Size()
	}
	progress("database built in %.1f s (%s)", rep.dbBuild.Seconds(), byteSize(rep.dbSize))

	if err := measureServer(ctx, rep, bin, absPlan, big); err != nil {
		return err
	}
	if err := measureQueries(ctx, rep, p, big); err != nil {
		return err
	}
	rep.machine.loadEnd = loadAverage()
	rep.wall = time.Since(start)
	text := rep.markdown()
	if cfg.out == "" {
		fmt.Print(text)
	} else {
		if err := os.WriteFile(cfg.out, []byte(text), 0o644); err != nil {
			return err
		}
		progress("wrote %s", cfg.out)
	}
	fmt.Print(rep.summary())
	progress("done in %s", rep.wall.Round(time.Second))
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// machine describes where the numbers were taken.
type machine struct {
	cpu, goVersion, duckdb, kernel string
	cores                          int
	ram                            int64
	loadStart, loadEnd             string
	date                           time.Time
}

func describeMachine() machine {
	m := machine{cores: runtime.NumCPU(), goVersion: runtime.Version(), date: time.Now(), loadStart: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(l, "MemTotal: %d kB", &kb); err == nil {
				m.ram = kb << 10
			}
		}
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m.kernel = strings.TrimSpace(string(out))
	}
	return m
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
