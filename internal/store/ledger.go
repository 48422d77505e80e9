package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

// Import statuses in the ledger.
const (
	StatusRunning     = "running"
	StatusLoaded      = "loaded"
	StatusRejected    = "rejected"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
	StatusDryRun      = "dry_run"
)

// Import is one row of the imports ledger.
type Import struct {
	ID             int64           `json:"id"`
	Datasets       []string        `json:"datasets"`
	Profile        string          `json:"profile,omitempty"`
	FileName       string          `json:"file_name,omitempty"`
	SHA256         string          `json:"sha256,omitempty"`
	Size           int64           `json:"size"`
	Source         string          `json:"source"`
	User           string          `json:"user,omitempty"`
	Started        time.Time       `json:"started"`
	Finished       time.Time       `json:"finished,omitzero"`
	Status         string          `json:"status"`
	RowsRead       int64           `json:"rows_read"`
	RowsLoaded     int64           `json:"rows_loaded"`
	RowsSkipped    int64           `json:"rows_skipped"`
	RowsRejected   int64           `json:"rows_rejected"`
	RowsSuperseded int64           `json:"rows_superseded"`
	ErrorCount     int64           `json:"error_count"`
	Errors         []string        `json:"errors,omitempty"`
	Report         json.RawMessage `json:"-"`
	Sample         bool            `json:"sample"`
	ArchivePath    string          `json:"-"`
	Message        string          `json:"message,omitempty"`
}

const importCols = `id, datasets, profile, file_name, sha256, size, source, user_name, started, finished, status,
	rows_read, rows_loaded, rows_skipped, rows_rejected, rows_superseded, error_count, errors, report, sample, archive_path, message`

// BeginImport commits the ledger row of an import as running, before any of
// its data is written, and returns its id.
func (s *Store) BeginImport(ctx context.Context, im *Import) (int64, error) {
	defer s.lockWrite()()
	im.Status = StatusRunning
	err := s.db.QueryRowContext(ctx, `INSERT INTO imports (datasets, profile, file_name, sha256, size, source, user_name, started, status, sample, archive_path)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		strings.Join(im.Datasets, ","), im.Profile, im.FileName, im.SHA256, im.Size, im.Source, im.User, im.Started, im.Status, im.Sample, im.ArchivePath).Scan(&im.ID)
	if err != nil {
		return 0, fmt.Errorf("store: begin import: %w", err)
	}
	return im.ID, nil
}

// FinishImport records the outcome of an import.
func (s *Store) FinishImport(ctx context.Context, im *Import) error {
	defer s.lockWrite()()
	errs, _ := json.Marshal(im.Errors)
	report := string(im.Report)
	if report == "" {
		report = "null"
	}
	_, err := s.db.ExecContext(ctx, `UPDATE imports SET datasets = ?, profile = ?, finished = ?, status = ?, rows_read = ?, rows_loaded = ?, rows_skipped = ?,
		rows_rejected = ?, rows_superseded = ?, error_count = ?, errors = ?, report = ?, archive_path = ?, message = ? WHERE id = ?`,
		strings.Join(im.Datasets, ","), im.Profile, nullTime(im.Finished), im.Status, im.RowsRead, im.RowsLoaded, im.RowsSkipped,
		im.RowsRejected, im.RowsSuperseded, im.ErrorCount, string(errs), report, im.ArchivePath, im.Message, im.ID)
	if err != nil {
		return fmt.Errorf("store: finish import %d: %w", im.ID, err)
	}
	return nil
}

func scanImport(sc interface{ Scan(...any) error }) (*Import, error) {
	var im Import
	var datasets string
	var profile, file, sha, user, errs, report, archive, msg sql.NullString
	var size sql.NullInt64
	var finished sql.NullTime
	err := sc.Scan(&im.ID, &datasets, &profile, &file, &sha, &size, &im.Source, &user, &im.Started, &finished, &im.Status,
		&im.RowsRead, &im.RowsLoaded, &im.RowsSkipped, &im.RowsRejected, &im.RowsSuperseded, &im.ErrorCount, &errs, &report, &im.Sample, &archive, &msg)
	if err != nil {
		return nil, err
	}
	if datasets != "" {
		im.Datasets = strings.Split(datasets, ",")
	}
	im.Profile, im.FileName, im.SHA256, im.User = profile.String, file.String, sha.String, user.String
	im.Size, im.ArchivePath, im.Message = size.Int64, archive.String, msg.String
	if finished.Valid {
		im.Finished = finished.Time
	}
	if errs.Valid && errs.String != "" {
		_ = json.Unmarshal([]byte(errs.String), &im.Errors)
	}
	if report.Valid && report.String != "" && report.String != "null" {
		im.Report = json.RawMessage(report.String)
	}
	return &im, nil
}

// GetImport returns the ledger row with the id, or nil when there is none.
func (s *Store) GetImport(ctx context.Context, id int64) (*Import, error) {
	im, err := scanImport(s.db.QueryRowContext(ctx, `SELECT `+importCols+` FROM imports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: import %d: %w", id, err)
	}
	return im, nil
}

// Imports lists the ledger, newest first; dataset limits it to imports
// into that dataset when not empty.
func (s *Store) Imports(ctx context.Context, dataset string, limit int) ([]*Import, error) {
	q := `SELECT ` + importCols + ` FROM imports`
	var args []any
	if dataset != "" {
		q += ` WHERE list_contains(string_split(datasets, ','), ?)`
		args = append(args, dataset)
	}
	q += ` ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: imports: %w", err)
	}
	defer rows.Close()
	var out []*Import
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, fmt.Errorf("store: imports: %w", err)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// InForce returns the loaded import of the same file (by hash) into the
// dataset while some of its rows are still current there, or nil. A file
// whose rows were all superseded or undone may be loaded again.
func (s *Store) InForce(ctx context.Context, ds *plan.Dataset, sha string) (*Import, error) {
	q := fmt.Sprintf(`SELECT `+importCols+` FROM imports WHERE sha256 = ? AND status = 'loaded'
		AND list_contains(string_split(datasets, ','), ?)
		AND EXISTS (SELECT 1 FROM %s c WHERE c.%s = imports.id) ORDER BY id DESC LIMIT 1`, quoteIdent(View(ds)), colImport)
	rows, err := s.db.QueryContext(ctx, q, sha, ds.Name)
	if err != nil {
		return nil, fmt.Errorf("store: in force: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		return scanImport(rows)
	}
	return nil, rows.Err()
}

// Feeding lists the imports whose rows are current in a dataset, newest first.
func (s *Store) Feeding(ctx context.Context, ds *plan.Dataset) ([]*Import, error) {
	q := fmt.Sprintf(`SELECT `+importCols+` FROM imports WHERE id IN (SELECT DISTINCT %s FROM %s) ORDER BY id DESC`, colImport, quoteIdent(View(ds)))
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: feeding: %w", err)
	}
	defer rows.Close()
	var out []*Import
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// DataVersion changes whenever any import finishes or is undone: caches
// key on it. It is read from the database again only after a write, so
// that a page served from a cache costs no query.
func (s *Store) DataVersion(ctx context.Context) (string, error) {
	s.verMu.Lock()
	defer s.verMu.Unlock()
	// The count is read before the query: a write that ends while the
	// query runs leaves the count behind, and the next call reads again.
	at := s.writes.Load()
	if s.version != "" && s.verAt == at {
		return s.version, nil
	}
	var n, max int64
	var fin sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(max(id), 0), max(finished) FROM imports`).Scan(&n, &max, &fin)
	if err != nil {
		return "", fmt.Errorf("store: data version: %w", err)
	}
	s.version, s.verAt = fmt.Sprintf("%d-%d-%d", n, max, fin.Time.UnixNano()), at
	return s.version, nil
}
