package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
)

// cmdExport writes every public dataset (public columns only) as Parquet,
// for a county or state warehouse or an open-data portal.
func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var dir string
	cfg, _, err := flags("export", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&dir, "parquet", "", "folder to write one Parquet file per public dataset into")
	})
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if dir == "" {
		fmt.Fprintln(stderr, "plandash export: name a folder: plandash export --parquet DIR")
		return exitUsage
	}
	p, ok := loadPlan(cfg.Plan, stderr)
	if !ok {
		return exitRejected
	}
	db, code, done := openDatabase(ctx, cfg, p, cliCall{Command: "export", Args: args}, stdout, stderr, getenv)
	if done {
		return code
	}
	defer db.close()
	st, p := db.store, db.plan
	names := make([]string, 0, len(p.Datasets))
	for n := range p.Datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ds := p.Datasets[n]
		if !ds.IsPublic() {
			fmt.Fprintf(stdout, "skipped %s: not public\n", n)
			continue
		}
		path := filepath.Join(dir, n+".parquet")
		if err := st.ExportParquet(ctx, ds, true, path); err != nil {
			fmt.Fprintln(stderr, "plandash export:", err)
			return exitRejected
		}
		total, _, _ := st.CurrentRows(ctx, ds)
		fmt.Fprintf(stdout, "wrote %s (%d rows)\n", path, total)
	}
	return exitOK
}
