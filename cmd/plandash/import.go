package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/store"
)

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var dataset, profile string
	var dryRun, asJSON, force bool
	var sets setFlags
	cfg, fs, err := flags("import", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&dataset, "dataset", "", "dataset to import into (default: detected from the file)")
		fs.StringVar(&profile, "profile", "", "profile that reads the file (default: detected from its sheets and headers)")
		fs.Var(&sets, "set", "a value the profile asks for, as key=value (repeatable): --set year=2024")
		fs.BoolVar(&force, "force", false, "load even a file that would remove most of a dataset or whose filters match no row")
		fs.BoolVar(&dryRun, "dry-run", false, "do everything but commit")
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	})
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "plandash import: name one file to import: plandash import [--dataset NAME] FILE")
		return exitUsage
	}
	file := fs.Arg(0)
	// The file is read in place, never held whole in memory.
	f, err := os.Open(file)
	var fi os.FileInfo
	if err == nil {
		defer f.Close()
		fi, err = f.Stat()
	}
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		fmt.Fprintf(stderr, "plandash import: cannot read %s: %v\n", file, err)
		return exitUsage
	}
	// The file's hash is worked out while the plan and the database open.
	hash := imports.StartHash(f, fi.Size())
	defer hash.Sum()
	p, ok := loadPlan(cfg.Plan, stderr)
	if !ok {
		return exitRejected
	}
	db, code, done := openDatabase(ctx, cfg, p, cliCall{Command: "import", Args: args}, stdout, stderr, getenv)
	if done {
		return code
	}
	defer db.close()
	st, im := db.store, db.importer
	setVals, err := imports.ParseSet(sets)
	if err != nil {
		fmt.Fprintln(stderr, "plandash import:", err)
		return exitUsage
	}
	rep, err := im.Import(ctx, imports.Request{Name: filepath.Base(file), File: f, Size: fi.Size(), Hash: hash, Dataset: dataset, Profile: profile, Set: setVals,
		Force: force, Source: imports.SourceCLI, User: currentUser(getenv), DryRun: dryRun})
	if err != nil {
		fmt.Fprintln(stderr, "plandash import: nothing was loaded:", err)
		return exitRejected
	}
	if !dryRun && rep.ID > 0 {
		_ = st.Audit(ctx, store.AuditEntry{At: cfg.Clock()(), Actor: currentUser(getenv), Action: "import",
			Detail: fmt.Sprintf("%s: %s (#%d)", rep.File, rep.Status, rep.ID), Address: "command line"})
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		fmt.Fprint(stdout, rep.Text())
	}
	if !rep.OK() {
		return exitRejected
	}
	return exitOK
}

// setFlags collects repeated --set key=value flags.
type setFlags []string

func (s *setFlags) String() string { return strings.Join(*s, ",") }

func (s *setFlags) Set(v string) error {
	*s = append(*s, v)
	return nil
}

func currentUser(getenv func(string) string) string {
	if u := getenv("USER"); u != "" {
		return u
	}
	return "command line"
}
