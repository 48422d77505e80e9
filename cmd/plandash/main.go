// Command plandash serves a city's strategic plan as a live scorecard and
// imports the spreadsheets behind it. This package only wires the others.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	_ "time/tzdata" // time zones work on machines without them

	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/plan"
)

// version is set at build time.
var version = "dev"

const usage = `plandash: a strategic-plan scorecard.

Usage:
  plandash serve  [flags]                 start the web server
  plandash check  [flags] [PLAN_FILE]     validate a plan file
  plandash import [flags] FILE            import a spreadsheet (.xlsx or .csv)
  plandash users  SUBCOMMAND              manage accounts and API tokens
  plandash backup DIR                     copy the database and the archive into DIR
  plandash restore BACKUP_FILE            put a backup in place of the database (the old one is kept)
  plandash rebuild [--into NEW_DB]        replay the archive into a new database and compare
  plandash export --parquet DIR           write every public dataset as Parquet
  plandash version

Run "plandash COMMAND -h" for a command's flags.
`

// Go's collector, unless the environment sets GOGC or GOMEMLIMIT. A
// long-running server lets its heap grow to half again its live size
// between collections (GOGC 50) rather than double. An import or a rebuild
// from the command line makes a burst of short-lived garbage around a small
// live heap: it keeps Go's pace (GOGC 100) under a soft ceiling of 64 MiB,
// which spends less time collecting than GOGC 50 and holds the process
// smaller. docs/BENCHMARKS.md has the figures.
const (
	serverGCPercent = 50
	batchHeapLimit  = 64 << 20
)

func tuneGC(args []string, getenv func(string) string) {
	batch := len(args) > 0 && (args[0] == "import" || args[0] == "rebuild")
	if getenv("GOGC") == "" && !batch {
		debug.SetGCPercent(serverGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" && batch {
		debug.SetMemoryLimit(batchHeapLimit)
	}
}

func main() {
	tuneGC(os.Args[1:], os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK       = 0
	exitRejected = 1
	exitUsage    = 2
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr, getenv)
	case "check":
		return cmdCheck(rest, stdout, stderr, getenv)
	case "import":
		return cmdImport(ctx, rest, stdout, stderr, getenv)
	case "users":
		return cmdUsers(ctx, rest, stdout, stderr, getenv)
	case "backup":
		return cmdBackup(ctx, rest, stdout, stderr, getenv)
	case "restore":
		return cmdRestore(ctx, rest, stdout, stderr, getenv)
	case "rebuild":
		return cmdRebuild(ctx, rest, stdout, stderr, getenv)
	case "export":
		return cmdExport(ctx, rest, stdout, stderr, getenv)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "plandash", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "plandash: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// flags parses the common flags (plus any the command adds through extra).
func flags(name string, args []string, stderr io.Writer, getenv func(string) string, extra func(*flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("plandash "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	raw := config.Register(fs, getenv)
	if extra != nil {
		extra(fs)
	}
	// Flags may come before or after the names they go with
	// ("users add NAME --role editor").
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return config.Config{}, fs, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return config.Config{}, fs, err
	}
	cfg, err := raw.Resolve()
	return cfg, fs, err
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func cmdCheck(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, fs, err := flags("check", args, stderr, getenv, nil)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	file := cfg.Plan
	if fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	p, probs, err := plan.LoadFile(file)
	for _, pr := range probs {
		fmt.Fprintln(stdout, pr.String())
	}
	if err != nil {
		var inv *plan.InvalidError
		if !errors.As(err, &inv) {
			fmt.Fprintln(stderr, "plandash:", err)
		} else {
			fmt.Fprintf(stdout, "%s: %d error(s), %d warning(s)\n", file, probs.Errors(), len(probs)-probs.Errors())
		}
		return exitRejected
	}
	objectives, strategies := 0, 0
	for _, g := range p.Goals {
		objectives += len(g.Objectives)
		for _, o := range g.Objectives {
			strategies += len(o.Strategies)
		}
	}
	fmt.Fprintf(stdout, "%s: ok: %d goals, %d objectives, %d strategies, %d datasets, %d indicators (%d warning(s))\n",
		file, len(p.Goals), objectives, strategies, len(p.Datasets), len(p.Indicators), len(probs))
	return exitOK
}

// loadPlan loads the plan file or explains why it cannot be used.
func loadPlan(file string, stderr io.Writer) (*plan.Plan, bool) {
	p, probs, err := plan.LoadFile(file)
	if err != nil {
		var inv *plan.InvalidError
		if errors.As(err, &inv) {
			fmt.Fprintf(stderr, "plandash: the plan file %s is not valid; nothing was started:\n", file)
			for _, pr := range probs {
				fmt.Fprintln(stderr, "  "+pr.String())
			}
			fmt.Fprintf(stderr, "Fix the problems above (plandash check %s lists them) and start again.\n", file)
		} else {
			fmt.Fprintln(stderr, "plandash:", err)
		}
		return nil, false
	}
	return p, true
}
