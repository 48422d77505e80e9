package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Run statuses in the run ledger.
const (
	RunRunning     = "running"
	RunOK          = "ok"
	RunFailed      = "failed"
	RunInterrupted = "interrupted"
)

// What started a run.
const (
	TriggerSchedule = "schedule"
	TriggerCatchUp  = "catch-up"
	TriggerManual   = "manual"
)

// Run is one row of the run ledger: one look at a scheduled source.
type Run struct {
	ID      int64     `json:"id"`
	Source  string    `json:"source"`
	Trigger string    `json:"trigger"`
	User    string    `json:"user,omitempty"`
	Started time.Time `json:"started"`
	// Finished is zero while the run goes on.
	Finished time.Time `json:"finished,omitzero"`
	Status   string    `json:"status"`
	// Seen counts the files found (or fetched); Waiting those still being
	// written, left for the next run.
	Seen       int   `json:"files_seen"`
	Imported   int   `json:"imported"`
	Duplicates int   `json:"duplicates"`
	Failed     int   `json:"failed"`
	Waiting    int   `json:"waiting"`
	Attempts   int   `json:"attempts,omitempty"`
	RowsLoaded int64 `json:"rows_loaded"`
	// Error says why the run failed, in words.
	Error     string  `json:"error,omitempty"`
	ImportIDs []int64 `json:"import_ids,omitempty"`
	// Notes has one line per file: what became of it.
	Notes []string `json:"notes,omitempty"`
}

const runCols = `id, source, run_trigger, user_name, started, finished, status, files_seen, imported, duplicates, failed, waiting,
	attempts, rows_loaded, error, import_ids, notes`

// BeginRun commits the ledger row of a run as running and sets its id.
func (s *Store) BeginRun(ctx context.Context, r *Run) error {
	defer s.lockWrite()()
	r.Status = RunRunning
	err := s.db.QueryRowContext(ctx, `INSERT INTO runs (source, run_trigger, user_name, started, status) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		r.Source, r.Trigger, r.User, r.Started, r.Status).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("store: begin run: %w", err)
	}
	return nil
}

// FinishRun records the outcome of a run.
func (s *Store) FinishRun(ctx context.Context, r *Run) error {
	defer s.lockWrite()()
	ids := make([]string, len(r.ImportIDs))
	for i, id := range r.ImportIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	notes, _ := json.Marshal(r.Notes)
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET finished = ?, status = ?, files_seen = ?, imported = ?, duplicates = ?, failed = ?, waiting = ?,
		attempts = ?, rows_loaded = ?, error = ?, import_ids = ?, notes = ? WHERE id = ?`,
		nullTime(r.Finished), r.Status, r.Seen, r.Imported, r.Duplicates, r.Failed, r.Waiting, r.Attempts, r.RowsLoaded, r.Error,
		strings.Join(ids, ","), string(notes), r.ID)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", r.ID, err)
	}
	return nil
}

// InterruptRuns marks the runs left running by a process that stopped.
func (s *Store) InterruptRuns(ctx context.Context, now time.Time) (int64, error) {
	defer s.lockWrite()()
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET status = ?, finished = ?, error = 'plandash stopped before the run finished' WHERE status = ?`,
		RunInterrupted, now, RunRunning)
	if err != nil {
		return 0, fmt.Errorf("store: interrupt runs: %w", err)
	}
	return res.RowsAffected()
}

func scanRun(sc interface{ Scan(...any) error }) (*Run, error) {
	var r Run
	var user, errText, ids, notes sql.NullString
	var finished sql.NullTime
	var seen, imported, dups, failed, waiting, attempts sql.NullInt64
	var rows sql.NullInt64
	if err := sc.Scan(&r.ID, &r.Source, &r.Trigger, &user, &r.Started, &finished, &r.Status, &seen, &imported, &dups, &failed, &waiting,
		&attempts, &rows, &errText, &ids, &notes); err != nil {
		return nil, err
	}
	r.User, r.Error = user.String, errText.String
	if finished.Valid {
		r.Finished = finished.Time
	}
	r.Seen, r.Imported, r.Duplicates, r.Failed = int(seen.Int64), int(imported.Int64), int(dups.Int64), int(failed.Int64)
	r.Waiting, r.Attempts, r.RowsLoaded = int(waiting.Int64), int(attempts.Int64), rows.Int64
	for _, s := range strings.Split(ids.String, ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			r.ImportIDs = append(r.ImportIDs, id)
		}
	}
	if notes.Valid && notes.String != "" && notes.String != "null" {
		_ = json.Unmarshal([]byte(notes.String), &r.Notes)
	}
	return &r, nil
}

// Runs lists the runs of a source (every source when empty), newest first.
func (s *Store) Runs(ctx context.Context, source string, limit int) ([]*Run, error) {
	q := `SELECT ` + runCols + ` FROM runs`
	var args []any
	if source != "" {
		q += ` WHERE source = ?`
		args = append(args, source)
	}
	q += ` ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	defer rows.Close()
	var out []*Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastSuccessfulRun returns the newest run of the source that ended ok, or nil.
func (s *Store) LastSuccessfulRun(ctx context.Context, source string) (*Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE source = ? AND status = ? ORDER BY id DESC LIMIT 1`, source, RunOK))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: last run of %s: %w", source, err)
	}
	return r, nil
}

// SourceState is what a source last took in: a URL's validators for a
// conditional request, a file's size, modification time and hash.
type SourceState struct {
	Source       string    `json:"source"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Size         int64     `json:"size,omitempty"`
	MTime        time.Time `json:"mtime,omitzero"`
	SHA256       string    `json:"sha256,omitempty"`
	Updated      time.Time `json:"updated"`
}

// SourceState returns the state of the source, or nil when it has none.
func (s *Store) SourceState(ctx context.Context, source string) (*SourceState, error) {
	var st SourceState
	var etag, lm, sha sql.NullString
	var size sql.NullInt64
	var mtime sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT source, etag, last_modified, size, mtime, sha256, updated FROM source_state WHERE source = ? LIMIT 1`, source).
		Scan(&st.Source, &etag, &lm, &size, &mtime, &sha, &st.Updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: state of %s: %w", source, err)
	}
	st.ETag, st.LastModified, st.SHA256, st.Size = etag.String, lm.String, sha.String, size.Int64
	if mtime.Valid {
		st.MTime = mtime.Time
	}
	return &st, nil
}

// SaveSourceState replaces the state of a source.
func (s *Store) SaveSourceState(ctx context.Context, st *SourceState) error {
	defer s.lockWrite()()
	// No key constraints (see DESIGN): one statement that deletes, one that
	// inserts, in a transaction.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save state of %s: %w", st.Source, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM source_state WHERE source = ?`, st.Source); err != nil {
		return fmt.Errorf("store: save state of %s: %w", st.Source, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO source_state (source, etag, last_modified, size, mtime, sha256, updated) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		st.Source, st.ETag, st.LastModified, st.Size, nullTime(st.MTime), st.SHA256, st.Updated); err != nil {
		return fmt.Errorf("store: save state of %s: %w", st.Source, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save state of %s: %w", st.Source, err)
	}
	return nil
}

// IndicatorState is the last status seen of an indicator.
type IndicatorState struct {
	Indicator string    `json:"indicator"`
	Status    string    `json:"status"`
	Overdue   bool      `json:"overdue"`
	Changed   time.Time `json:"changed"`
	Checked   time.Time `json:"checked"`
}

// IndicatorStates returns the last status seen of each indicator, by id.
func (s *Store) IndicatorStates(ctx context.Context) (map[string]IndicatorState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT indicator, status, overdue, changed, checked FROM indicator_status`)
	if err != nil {
		return nil, fmt.Errorf("store: indicator states: %w", err)
	}
	defer rows.Close()
	out := map[string]IndicatorState{}
	for rows.Next() {
		var st IndicatorState
		if err := rows.Scan(&st.Indicator, &st.Status, &st.Overdue, &st.Changed, &st.Checked); err != nil {
			return nil, fmt.Errorf("store: indicator states: %w", err)
		}
		out[st.Indicator] = st
	}
	return out, rows.Err()
}

// SaveIndicatorStates replaces the states of the indicators given.
func (s *Store) SaveIndicatorStates(ctx context.Context, states []IndicatorState) error {
	if len(states) == 0 {
		return nil
	}
	defer s.lockWrite()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save indicator states: %w", err)
	}
	defer tx.Rollback()
	for _, st := range states {
		if _, err := tx.ExecContext(ctx, `DELETE FROM indicator_status WHERE indicator = ?`, st.Indicator); err != nil {
			return fmt.Errorf("store: save indicator states: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_status (indicator, status, overdue, changed, checked) VALUES (?, ?, ?, ?, ?)`,
			st.Indicator, st.Status, st.Overdue, st.Changed, st.Checked); err != nil {
			return fmt.Errorf("store: save indicator states: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save indicator states: %w", err)
	}
	return nil
}

// ImportTotals counts the imports of the ledger by status, and the rows
// loaded by imports that are loaded, for metrics.
func (s *Store) ImportTotals(ctx context.Context) (map[string]int64, int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*), COALESCE(sum(CASE WHEN status = 'loaded' THEN rows_loaded ELSE 0 END), 0) FROM imports GROUP BY status`)
	if err != nil {
		return nil, 0, fmt.Errorf("store: import totals: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	var loaded int64
	for rows.Next() {
		var status string
		var n, r int64
		if err := rows.Scan(&status, &n, &r); err != nil {
			return nil, 0, fmt.Errorf("store: import totals: %w", err)
		}
		out[status] = n
		loaded += r
	}
	return out, loaded, rows.Err()
}
