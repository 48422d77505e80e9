package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

// backupStamp is the time in file names of backups, restores and rebuilds: UTC,
// like the names of form entries.
func backupStamp(cfg config.Config) string { return cfg.Clock()().UTC().Format("20060102-150405") }

// backupFlags parses a command's flags, printing what went wrong; ok false
// means return code.
func backupFlags(name string, args []string, stderr io.Writer, getenv func(string) string, extra func(*flag.FlagSet)) (cfg config.Config, fs *flag.FlagSet, code int, ok bool) {
	cfg, fs, err := flags(name, args, stderr, getenv, extra)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, fs, exitOK, false
		}
		fmt.Fprintln(stderr, err)
		return cfg, fs, exitUsage, false
	}
	return cfg, fs, 0, true
}

// cmdBackup writes a copy of the database, made through DuckDB, and of the
// archive into a folder. It works while this process holds the database.
func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, fs, code, ok := backupFlags("backup", args, stderr, getenv, nil)
	if !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "plandash backup: name the folder to write the backup into: plandash backup DIR")
		return exitUsage
	}
	dir := fs.Arg(0)
	p, ok := loadPlan(cfg.Plan, stderr)
	if !ok {
		return exitRejected
	}
	db, code, done := openDatabase(ctx, cfg, p, cliCall{Command: "backup", Args: args}, stdout, stderr, getenv)
	if done {
		return code
	}
	defer db.close()
	st, im := db.store, db.importer
	res, err := im.Backup(ctx, dir)
	if err != nil {
		if res != nil {
			fmt.Fprintf(stderr, "plandash backup: the database was copied to %s, but the archive was not: %v\n", res.Database, err)
		} else {
			fmt.Fprintln(stderr, "plandash backup: nothing was written:", err)
		}
		return exitRejected
	}
	info, err := store.InspectBackup(ctx, res.Database)
	if err != nil {
		fmt.Fprintf(stderr, "plandash backup: the copy %s does not open: %v\n", res.Database, err)
		return exitRejected
	}
	_ = st.Audit(ctx, store.AuditEntry{At: cfg.Clock()(), Actor: currentUser(getenv), Action: "backup",
		Detail: res.Database, Address: "command line"})
	fmt.Fprintf(stdout, "database: %s (%s, %s)\n", res.Database, countOf(info.Imports, "import"), countOf(info.Users, "account"))
	fmt.Fprintf(stdout, "archive:  %s (%s copied)\n", res.Archive, countOf(res.Copied, "file"))
	fmt.Fprintf(stdout, "To restore it: plandash restore %s\n", res.Database)
	return exitOK
}

// restoreLockedMessage explains why restore refuses while the database is
// open elsewhere.
func restoreLockedMessage(db string) string {
	return fmt.Sprintf("plandash restore: the database %s is in use by another plandash process (a running server?). "+
		"Stop it, then run plandash restore again. Nothing was changed.", db)
}

// cmdRestore puts a backup in place of the database. The database it
// replaces is moved aside, never deleted.
func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, fs, code, ok := backupFlags("restore", args, stderr, getenv, nil)
	if !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "plandash restore: name one backup file: plandash restore BACKUP_FILE")
		return exitUsage
	}
	backup := fs.Arg(0)
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "plandash restore: "+format+"\n", a...)
		return exitRejected
	}
	if isSameFile(backup, cfg.DB) {
		return fail("%s is the database itself; name a backup file (plandash backup writes them)", backup)
	}
	p, ok := loadPlan(cfg.Plan, stderr)
	if !ok {
		return exitRejected
	}
	info, err := store.InspectBackup(ctx, backup)
	if errors.Is(err, store.ErrLocked) {
		return fail("the backup %s is open in another process; nothing was changed", backup)
	}
	if err != nil {
		return fail("%s cannot be restored: %v. Nothing was changed.", backup, strings.TrimPrefix(err.Error(), "store: "))
	}
	if err := store.CheckFree(cfg.DB); errors.Is(err, store.ErrLocked) {
		fmt.Fprintln(stderr, restoreLockedMessage(cfg.DB))
		return exitRejected
	} else if err != nil {
		return fail("%v. Nothing was changed.", err)
	}

	aside, err := moveDBAside(cfg.DB, ".before-restore-"+backupStamp(cfg))
	if err != nil {
		return fail("cannot move the database aside: %v. Nothing was changed.", err)
	}
	if err := copyDBFile(backup, cfg.DB); err != nil {
		msg := fmt.Sprintf("cannot copy %s into place: %v.", backup, err)
		if aside != "" {
			if rerr := moveDBBack(aside, cfg.DB); rerr != nil {
				return fail("%s The previous database is at %s (moving it back failed: %v).", msg, aside, rerr)
			}
			msg += " The previous database is back in place."
		}
		return fail("%s", msg)
	}
	arch := imports.ArchiveBeside(backup)
	archMsg := fmt.Sprintf("there is no archive folder beside the backup (%s); the archive %s is as it was", arch, cfg.Archive)
	if fi, err := os.Stat(arch); err == nil && fi.IsDir() {
		copied, present, err := imports.CopyArchive(arch, cfg.Archive)
		if err != nil {
			return fail("the database was restored, but not its archive: %v", err)
		}
		archMsg = fmt.Sprintf("%s copied from %s into %s (%d there already)", countOf(copied, "file"), arch, cfg.Archive, present)
	}

	// Open it as plandash does: a backup of an older version is migrated.
	st, err := openStore(ctx, cfg, p)
	if err != nil {
		return fail("the backup was copied into place but does not open with this plan: %v", err)
	}
	detail := "from " + backup
	if aside != "" {
		detail += "; the previous database is at " + aside
	}
	_ = st.Audit(ctx, store.AuditEntry{At: cfg.Clock()(), Actor: currentUser(getenv), Action: "database restored", Detail: detail, Address: "command line"})
	if err := st.Close(); err != nil {
		return fail("closing the restored database: %v", err)
	}

	last := "none"
	if !info.LastImport.IsZero() {
		last = info.LastImport.In(p.Location()).Format("2006-01-02 15:04")
	}
	fmt.Fprintf(stdout, "restored %s from %s (%s, the last on %s; %s)\n", cfg.DB, backup, countOf(info.Imports, "import"), last, countOf(info.Users, "account"))
	if aside != "" {
		fmt.Fprintf(stdout, "the previous database is kept at %s\n", aside)
	} else {
		fmt.Fprintf(stdout, "there was no database at %s before\n", cfg.DB)
	}
	fmt.Fprintf(stdout, "archive: %s\n", archMsg)
	return exitOK
}

// isSameFile reports whether two paths name the same file.
func isSameFile(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	if aa == bb {
		return true
	}
	fa, err1 := os.Stat(aa)
	fb, err2 := os.Stat(bb)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// pathExists reports whether anything is at path.
func pathExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// moveDBAside renames the database db and its write-ahead log to db+suffix
// (with -2, -3... when taken) and returns the new name, or "" when there
// was no database.
func moveDBAside(db, suffix string) (string, error) {
	if !pathExists(db) {
		if pathExists(db + ".wal") {
			return "", fmt.Errorf("%s.wal is there without its database; move it away first", db)
		}
		return "", nil
	}
	aside := db + suffix
	for i := 2; pathExists(aside) || pathExists(aside+".wal"); i++ {
		aside = fmt.Sprintf("%s%s-%d", db, suffix, i)
	}
	if err := os.Rename(db, aside); err != nil {
		return "", err
	}
	if pathExists(db + ".wal") {
		if err := os.Rename(db+".wal", aside+".wal"); err != nil {
			if rerr := os.Rename(aside, db); rerr != nil {
				return "", fmt.Errorf("%v; and the database is now at %s (%v)", err, aside, rerr)
			}
			return "", err
		}
	}
	return aside, nil
}

// moveDBBack undoes moveDBAside.
func moveDBBack(aside, db string) error {
	if pathExists(aside + ".wal") {
		if err := os.Rename(aside+".wal", db+".wal"); err != nil {
			return err
		}
	}
	return os.Rename(aside, db)
}

// copyDBFile copies the database file src (and its write-ahead log, if it has
// one) to dst, which must not exist, through temporary files: dst is whole
// or absent. The backup is not in use, so a file copy is a safe one.
func copyDBFile(src, dst string) error {
	if pathExists(dst) || pathExists(dst+".wal") {
		return fmt.Errorf("%s is there already", dst)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if pathExists(src + ".wal") {
		if err := imports.CopyFile(src+".wal", dst+".wal"); err != nil {
			return err
		}
	}
	if err := imports.CopyFile(src, dst); err != nil {
		os.Remove(dst + ".wal")
		return err
	}
	return nil
}

// cmdRebuild replays the archive, in ledger order, into a new database
// beside the current one, copies the accounts and audit log, and checks
// that every dataset's current rows came out the same. It never replaces
// the current database.
func cmdRebuild(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var into string
	cfg, fs, code, ok := backupFlags("rebuild", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&into, "into", "", "file to write the rebuilt database to (default: NAME.rebuilt-TIMESTAMP.duckdb beside the database)")
	})
	if !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, "plandash rebuild: takes no file names: plandash rebuild [--into NEW_DB]")
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "plandash rebuild: "+format+"\n", a...)
		return exitRejected
	}
	// Inside a running server the database and its archive are the server's.
	if db, ok := ctx.Value(serverDatabaseKey{}).(*database); ok {
		cfg.DB, cfg.Archive, cfg.Plan = db.cfg.DB, db.cfg.Archive, db.cfg.Plan
	}
	if !pathExists(cfg.DB) {
		return fail("there is no database at %s to rebuild", cfg.DB)
	}
	if into == "" {
		into = strings.TrimSuffix(cfg.DB, filepath.Ext(cfg.DB)) + ".rebuilt-" + backupStamp(cfg) + ".duckdb"
	}
	if isSameFile(into, cfg.DB) {
		return fail("--into names the database itself; a rebuild never replaces the database")
	}
	if pathExists(into) || pathExists(into+".wal") {
		return fail("%s already exists; a rebuild never overwrites a file", into)
	}
	p, ok := loadPlan(cfg.Plan, stderr)
	if !ok {
		return exitRejected
	}
	log := newLogger(cfg, io.Discard)
	db, code, done := openDatabase(ctx, cfg, p, cliCall{Command: "rebuild", Args: args}, stdout, stderr, getenv)
	if done {
		return code
	}
	defer db.close()
	src, p := db.store, db.plan
	dcfg := cfg
	dcfg.DB = into
	dst, err := openStore(ctx, dcfg, p)
	if err != nil {
		return fail("%v", err)
	}
	kept := false
	defer func() {
		dst.Close()
		if !kept {
			os.Remove(into)
			os.Remove(into + ".wal")
		}
	}()
	counts, err := src.CopyAccounts(ctx, dst)
	if err != nil {
		return fail("nothing was kept: %v", err)
	}
	im := &imports.Importer{Store: dst, Plan: func() *plan.Plan { return p }, Archive: cfg.Archive, Now: cfg.Clock(), Log: log}
	res, err := im.Rebuild(ctx, src)
	if err != nil {
		return fail("nothing was kept: %v", err)
	}
	kept = true
	_ = dst.Audit(ctx, store.AuditEntry{At: cfg.Clock()(), Actor: currentUser(getenv), Action: "database rebuilt",
		Detail:  fmt.Sprintf("from %s and the archive %s: %d imports replayed, %d undone; identical: %t", cfg.DB, cfg.Archive, res.Replayed, res.Undone, res.Identical()),
		Address: "command line"})

	fmt.Fprintf(stdout, "rebuilt %s into %s\n", cfg.DB, into)
	fmt.Fprintf(stdout, "  ledger:   %s replayed from the archive, %s done again, %s skipped (rejected, failed or interrupted: they changed nothing)\n",
		countOf(res.Replayed, "import"), countOf(res.Undone, "undo"), countOf(res.Skipped, "ledger row"))
	fmt.Fprintf(stdout, "  accounts: %s, %s and %s copied\n", countOf(counts.Users, "account"), countOf(counts.Tokens, "API token"), countOf(counts.Audit, "audit entry"))
	var rows []string
	for _, c := range res.Datasets {
		rows = append(rows, fmt.Sprintf("%s %d", c.Name, c.New))
	}
	if res.Identical() {
		fmt.Fprintf(stdout, "  data:     the same current rows in every dataset (%s)\n", strings.Join(rows, ", "))
	} else {
		fmt.Fprintln(stdout, "  data:     the rebuilt database DIFFERS from the current one:")
		for _, pr := range res.Problems {
			fmt.Fprintf(stdout, "    %s\n", pr)
		}
		for _, c := range res.Datasets {
			if c.Same() {
				continue
			}
			fmt.Fprintf(stdout, "    %s: %d current rows, %d rebuilt\n", c.Name, c.Old, c.New)
			for _, r := range c.Missing {
				fmt.Fprintf(stdout, "      only in the current database: %s\n", r)
			}
			for _, r := range c.Extra {
				fmt.Fprintf(stdout, "      only in the rebuilt database: %s\n", r)
			}
		}
	}
	if filepath.Join(filepath.Dir(into), "archive") != cfg.Archive {
		fmt.Fprintf(stdout, "The rebuilt database's archive is %s: keep it with the database (or pass --archive %s).\n", cfg.Archive, cfg.Archive)
	}
	fmt.Fprintf(stdout, "The current database was not changed. To use the rebuilt one, stop the server, then:\n")
	fmt.Fprintf(stdout, "  mv %s %s.before-rebuild\n  mv %s %s\n", cfg.DB, cfg.DB, into, cfg.DB)
	if !res.Identical() {
		return exitRejected
	}
	return exitOK
}

// countOf writes a count with its noun, singular or plural.
func countOf[N int | int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
