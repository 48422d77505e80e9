package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/plandash/plandash/internal/plan"
)

// Backup writes a consistent copy of the database to path, a file that must
// not exist yet, through DuckDB itself: CHECKPOINT, then ATTACH the new file
// and COPY FROM DATABASE into it. Copying the database file under a running
// server could catch it half-written; this cannot. The write lock is held
// while copying, so no import lands halfway through; reads go on. It works
// on the store a server holds, from inside the server.
func (s *Store) Backup(ctx context.Context, path string) error {
	for _, p := range []string{path, path + ".wal"} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("store: backup: %s already exists; a backup never overwrites a file", p)
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	// DuckDB writes the copy under a temporary name that is renamed when
	// complete, so a crash never leaves something that looks like a backup.
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".partial")
	removeDB(tmp)

	defer s.lockWrite()()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer conn.Close()
	var name string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	alias := "backup"
	if name == alias {
		alias = "backup_copy"
	}
	// CHECKPOINT fails only while a write transaction is open, and every
	// writer of this store waits for writeMu; COPY FROM DATABASE reads one
	// snapshot whether or not the checkpoint ran, so a refusal is not fatal.
	_, _ = conn.ExecContext(ctx, "CHECKPOINT")
	if _, err := conn.ExecContext(ctx, "ATTACH "+quoteLiteral(tmp)+" AS "+quoteIdent(alias)); err != nil {
		removeDB(tmp)
		return fmt.Errorf("store: backup: attach %s: %w", path, err)
	}
	attached := true
	defer func() {
		if attached {
			_, _ = conn.ExecContext(context.Background(), "DETACH "+quoteIdent(alias))
			removeDB(tmp)
		}
	}()
	if _, err := conn.ExecContext(ctx, "COPY FROM DATABASE "+quoteIdent(name)+" TO "+quoteIdent(alias)); err != nil {
		return fmt.Errorf("store: backup: copy: %w", err)
	}
	// Sign-in sessions stay behind: a backup is not a way in, and a
	// restored database signs everyone out.
	if _, err := conn.ExecContext(ctx, "DELETE FROM "+quoteIdent(alias)+".web_sessions"); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "DETACH "+quoteIdent(alias)); err != nil {
		return fmt.Errorf("store: backup: detach: %w", err)
	}
	attached = false
	if _, err := os.Stat(tmp + ".wal"); err == nil {
		// DETACH checkpoints the copy; a log left beside it means it is not
		// whole on its own.
		removeDB(tmp)
		return fmt.Errorf("store: backup: the copy was left with a write-ahead log; nothing was kept")
	}
	if err := os.Rename(tmp, path); err != nil {
		removeDB(tmp)
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// removeDB removes a database file and its write-ahead log.
func removeDB(path string) {
	os.Remove(path)
	os.Remove(path + ".wal")
}

// BackupInfo describes a database file that InspectBackup opened.
type BackupInfo struct {
	// Imports counts the rows of its ledger; LastImport is when the newest began.
	Imports    int64
	LastImport time.Time
	Users      int64
	// Datasets names the datasets it has tables for.
	Datasets []string
}

// InspectBackup opens the database file at path read-only, without changing
// it, and checks that it is a plandash database (it has the imports ledger).
// A file that another process holds gives ErrLocked.
func InspectBackup(ctx context.Context, path string) (*BackupInfo, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	} else if fi.IsDir() {
		return nil, fmt.Errorf("store: %s is a folder, not a database file", path)
	}
	// DuckDB opens some other files (a .csv, a .parquet) as in-memory
	// databases over them: look for its file header first.
	if !isDuckDBFile(path) {
		return nil, fmt.Errorf("store: %s is not a DuckDB database file", path)
	}
	c, err := duckdb.NewConnector(path+"?access_mode=read_only", nil)
	if err != nil {
		if isLockError(err) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("store: %s is not a database DuckDB can open: %w", path, err)
	}
	defer c.Close()
	db := sql.OpenDB(c)
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'imports'`).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("store: %s is a DuckDB database but not a plandash one: it has no imports ledger", path)
	}
	info := &BackupInfo{}
	var last sql.NullTime
	if err := db.QueryRowContext(ctx, `SELECT count(*), max(started) FROM imports`).Scan(&info.Imports, &last); err != nil {
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	info.LastImport = last.Time
	// Older databases may predate the accounts.
	_ = db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&info.Users)
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ds\_%' ESCAPE '\' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		info.Datasets = append(info.Datasets, strings.TrimPrefix(t, "ds_"))
	}
	return info, rows.Err()
}

// isDuckDBFile reports whether the file starts with DuckDB's header: a
// checksum, then the magic bytes DUCK.
func isDuckDBFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [12]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return false
	}
	return string(head[8:12]) == "DUCK"
}

// CheckFree returns ErrLocked when the database file at path is open, in
// another process or in this one. A missing file is free. It opens the file
// read-only and changes nothing.
func CheckFree(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	c, err := duckdb.NewConnector(path+"?access_mode=read_only", nil)
	if err != nil {
		// Another process holds DuckDB's file lock; this process's own open
		// database is found in DuckDB's instance cache, whose configuration
		// (read-write) differs.
		if isLockError(err) || strings.Contains(err.Error(), "same database file with a different configuration") {
			return ErrLocked
		}
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	return c.Close()
}

// CurrentData returns the current rows of a dataset in a canonical form, for
// comparing two databases: each row one line holding every dataset column and
// the sheet, row and sample flag it came with (not its import id, which
// differs between databases), the lines sorted. Two databases hold the same
// current data exactly when these lists are equal.
func (s *Store) CurrentData(ctx context.Context, ds *plan.Dataset) ([]string, error) {
	names := make([]string, 0, len(ds.Columns)+3)
	for _, c := range ds.Columns {
		names = append(names, c.Name)
	}
	names = append(names, colSheet, colRow, colSample)
	sel := make([]string, len(names))
	for i, n := range names {
		sel[i] = "CAST(" + quoteIdent(n) + " AS VARCHAR)"
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(sel, ", "), quoteIdent(View(ds))))
	if err != nil {
		return nil, fmt.Errorf("store: current data %s: %w", ds.Name, err)
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(names))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []string
	var b strings.Builder
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("store: current data %s: %w", ds.Name, err)
		}
		b.Reset()
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(names[i])
			b.WriteByte('=')
			if v.Valid {
				b.WriteString(strconv.Quote(v.String))
			} else {
				b.WriteString("NULL")
			}
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: current data %s: %w", ds.Name, err)
	}
	sort.Strings(out)
	return out, nil
}

// SetImportTimes sets when a ledger row's import started and finished: a
// rebuild keeps the times of the imports it replays.
func (s *Store) SetImportTimes(ctx context.Context, id int64, started, finished time.Time) error {
	defer s.lockWrite()()
	if _, err := s.db.ExecContext(ctx, `UPDATE imports SET started = ?, finished = ? WHERE id = ?`, started, nullTime(finished), id); err != nil {
		return fmt.Errorf("store: import %d: times: %w", id, err)
	}
	return nil
}

// AccountCounts says how many rows CopyAccounts copied.
type AccountCounts struct {
	Users, Tokens, Audit int64
}

// accountTables are copied by CopyAccounts, each with the sequence of its ids.
var accountTables = []struct{ table, seq string }{
	{"users", "user_ids"},
	{"tokens", "token_ids"},
	{"audit", "audit_ids"},
}

// CopyAccounts copies the accounts, API tokens and audit log of s into to
// as they are, ids included (tokens point at users by id), in one
// transaction, and moves to's id sequences past them. to must have no
// accounts, tokens or audit entries yet.
func (s *Store) CopyAccounts(ctx context.Context, to *Store) (AccountCounts, error) {
	var counts AccountCounts
	defer to.lockWrite()()
	conn, err := to.db.Conn(ctx)
	if err != nil {
		return counts, fmt.Errorf("store: copy accounts: %w", err)
	}
	defer conn.Close()
	for _, t := range accountTables {
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(t.table)).Scan(&n); err != nil {
			return counts, fmt.Errorf("store: copy accounts: %w", err)
		}
		if n > 0 {
			return counts, fmt.Errorf("store: copy accounts: the target database already has rows in %s", t.table)
		}
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return counts, fmt.Errorf("store: copy accounts: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	for _, t := range accountTables {
		n, maxID, err := s.copyTable(ctx, conn, t.table)
		if err != nil {
			return counts, fmt.Errorf("store: copy accounts: %s: %w", t.table, err)
		}
		switch t.table {
		case "users":
			counts.Users = n
		case "tokens":
			counts.Tokens = n
		case "audit":
			counts.Audit = n
		}
		if maxID > 0 {
			if err := advanceSequence(ctx, conn, t.seq, maxID); err != nil {
				return counts, fmt.Errorf("store: copy accounts: %s: %w", t.seq, err)
			}
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return counts, fmt.Errorf("store: copy accounts: commit: %w", err)
	}
	committed = true
	return counts, nil
}

// tableColumns lists a table's columns in order.
func tableColumns(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, table string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// copyTable appends every row of table in s to the same table on conn, whose
// columns must be the same; it returns the rows copied and the largest id.
func (s *Store) copyTable(ctx context.Context, conn *sql.Conn, table string) (n, maxID int64, err error) {
	src, err := tableColumns(ctx, s.db, table)
	if err != nil {
		return 0, 0, err
	}
	dst, err := tableColumns(ctx, conn, table)
	if err != nil {
		return 0, 0, err
	}
	if strings.Join(src, ",") != strings.Join(dst, ",") {
		return 0, 0, fmt.Errorf("the columns differ (%s; %s); open both databases with this version of plandash first", strings.Join(src, ", "), strings.Join(dst, ", "))
	}
	quoted := make([]string, len(src))
	idIdx := -1
	for i, c := range src {
		quoted[i] = quoteIdent(c)
		if c == "id" {
			idIdx = i
		}
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s ORDER BY 1", strings.Join(quoted, ", "), quoteIdent(table)))
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return err
		}
		vals := make([]any, len(src))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		dv := make([]driver.Value, len(vals))
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				app.Close()
				return err
			}
			for i, v := range vals {
				dv[i] = v
			}
			if idIdx >= 0 {
				if id, ok := vals[idIdx].(int64); ok && id > maxID {
					maxID = id
				}
			}
			if err := app.AppendRow(dv...); err != nil {
				app.Close()
				return err
			}
			n++
		}
		if err := rows.Err(); err != nil {
			app.Close()
			return err
		}
		return app.Close()
	})
	return n, maxID, err
}

// advanceSequence makes the sequence's next value larger than maxID.
func advanceSequence(ctx context.Context, conn *sql.Conn, seq string, maxID int64) error {
	var cur int64
	if err := conn.QueryRowContext(ctx, "SELECT nextval("+quoteLiteral(seq)+")").Scan(&cur); err != nil {
		return err
	}
	if cur >= maxID {
		return nil
	}
	_, err := conn.ExecContext(ctx, fmt.Sprintf("SELECT max(nextval(%s)) FROM range(%d)", quoteLiteral(seq), maxID-cur))
	return err
}
