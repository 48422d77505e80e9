// Package store keeps plandash's data in one DuckDB file: the imports ledger,
// one versioned table per dataset with a view of its current rows, and the
// aggregate queries behind indicators. It is the only package that imports
// duckdb-go.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune the database.
type Options struct {
	// Threads and MemoryLimit cap DuckDB (its default takes 80% of RAM).
	// Rows loaded by an import stay in DuckDB's buffers up to the limit, so
	// it bounds an import's memory more than anything else does.
	Threads     int
	MemoryLimit string
	// TimeZone is set on every connection, so bucketing follows the plan.
	TimeZone string
}

// Store is an open database.
type Store struct {
	db   *sql.DB
	conn *duckdb.Connector
	path string
	// writeMu makes this process the one writer: loads and ledger updates
	// never interleave. Take it with lockWrite.
	writeMu sync.Mutex
	// writes counts finished writes; DataVersion is re-read from the
	// database only when it has moved.
	writes  atomic.Uint64
	verMu   sync.Mutex
	verAt   uint64
	version string
}

// lockWrite takes the writer's lock and returns its release, which also
// marks the data as possibly changed. Every write goes through it: the
// database is opened by this process alone, and other processes' commands
// reach it through the server.
func (s *Store) lockWrite() func() {
	s.writeMu.Lock()
	return func() {
		s.writes.Add(1)
		s.writeMu.Unlock()
	}
}

// ErrLocked is returned when another process holds the database.
var ErrLocked = errors.New("store: the database is in use by another plandash process")

// Open opens (creating if needed) the database file at path and migrates it.
// Rows of imports still marked running are marked interrupted.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if path != "" && path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	if opt.Threads <= 0 {
		opt.Threads = 2
	}
	if opt.MemoryLimit == "" {
		opt.MemoryLimit = "256MB"
	}
	if opt.TimeZone == "" {
		opt.TimeZone = "UTC"
	}
	init := func(ex driver.ExecerContext) error {
		for _, q := range []string{
			"SET TimeZone = " + quoteLiteral(opt.TimeZone),
			"SET threads = " + strconv.Itoa(opt.Threads),
			"SET memory_limit = " + quoteLiteral(opt.MemoryLimit),
		} {
			if _, err := ex.ExecContext(context.Background(), q, nil); err != nil {
				return err
			}
		}
		return nil
	}
	dsn := path
	if dsn == ":memory:" {
		dsn = ""
	}
	c, err := duckdb.NewConnector(dsn, init)
	if err != nil {
		if isLockError(err) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: sql.OpenDB(c), conn: c, path: path}
	if err := s.migrate(ctx, migrations); err != nil {
		s.Close()
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE imports SET status = 'interrupted', message = 'the import stopped before it finished; no rows of it were kept' WHERE status = 'running'`); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: mark interrupted imports: %w", err)
	}
	return s, nil
}

func isLockError(err error) bool {
	m := err.Error()
	return strings.Contains(m, "Could not set lock") || strings.Contains(m, "Conflicting lock")
}

// Close checkpoints and closes the database.
func (s *Store) Close() error {
	_, _ = s.db.Exec("CHECKPOINT")
	err := s.db.Close()
	if cerr := s.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// DB exposes the handle for read-only diagnostics in tests.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *Store) migrate(ctx context.Context, fsys fs.FS) error {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	// Every migration not yet applied runs, in order, all in one
	// transaction (one write to disk for a new database): a migration
	// added with a lower number than one already applied still runs, and
	// when one fails none of them is kept.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, applied TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrate: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s has no version number", f)
		}
		if applied[v] {
			continue
		}
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("store: migration %s: %w", f, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, now())`, v); err != nil {
			return fmt.Errorf("store: migration %s: %w", f, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// quoteIdent quotes an SQL identifier. Identifiers come only from the
// validated plan file; quoting is a second guard.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
