package imports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

// BackupResult says where a backup went.
type BackupResult struct {
	// Database is the copy of the database file.
	Database string `json:"database"`
	// Archive is the folder holding the copy of the archive; Copied counts
	// the files copied into it, Present those it already had.
	Archive string `json:"archive"`
	Copied  int    `json:"copied"`
	Present int    `json:"present"`
}

// BackupName is the base name of a backup taken at t:
// plandash-YYYYMMDD-HHMMSS (UTC, like the names of form entries). The
// database is that name with .duckdb, its archive that name with -archive.
func BackupName(t time.Time) string {
	return "plandash-" + t.UTC().Format("20060102-150405")
}

// ArchiveBeside is the archive folder that belongs with a backup file.
func ArchiveBeside(backup string) string {
	return strings.TrimSuffix(backup, filepath.Ext(backup)) + "-archive"
}

// Backup writes a copy of the database (through DuckDB, see store.Backup)
// and of the archive into dir, named by the importer's clock. It waits for
// an import in progress to finish, so the copy never holds one half done.
// The database is copied first: every file its ledger names was archived
// before its ledger row was written, so the archive copied after it holds
// them all.
func (im *Importer) Backup(ctx context.Context, dir string) (*BackupResult, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	name := BackupName(im.Now())
	res := &BackupResult{Database: filepath.Join(dir, name+".duckdb")}
	res.Archive = ArchiveBeside(res.Database)
	if err := im.Store.Backup(ctx, res.Database); err != nil {
		return nil, err
	}
	var err error
	res.Copied, res.Present, err = CopyArchive(im.Archive, res.Archive)
	if err != nil {
		return res, err
	}
	im.log().Info("backup written", "database", res.Database, "archive", res.Archive, "files", res.Copied)
	return res, nil
}

// CopyArchive copies the files of the archive folder src into dst, keeping
// their paths. Archived files are named by their hash and never change, so
// a file dst already has is left alone (counted as present), and a plain
// copy is safe while imports go on. A missing src copies nothing.
func CopyArchive(src, dst string) (copied, present int, err error) {
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == src && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		// Files an import is still writing are not in the archive yet.
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".incoming-") {
			return nil
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if _, err := os.Stat(target); err == nil {
			present++
			return nil
		}
		if err := CopyFile(path, target); err != nil {
			return err
		}
		copied++
		return nil
	})
	if err != nil {
		err = fmt.Errorf("imports: copy archive %s to %s: %w", src, dst, err)
	}
	return copied, present, err
}

// CopyFile copies src to dst through a temporary file beside dst, synced
// and renamed into place, so dst is whole or absent.
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeWhole(dst, in)
}

// RebuildResult says what a rebuild did and whether it came out the same.
type RebuildResult struct {
	// Replayed counts the imports loaded again, Undone the undos done again,
	// Skipped the ledger rows that had changed nothing (rejected, failed,
	// interrupted).
	Replayed int `json:"replayed"`
	Undone   int `json:"undone"`
	Skipped  int `json:"skipped"`
	// IDs maps the ledger ids of the old database to those of the new one.
	IDs map[int64]int64 `json:"ids"`
	// Problems lists the ledger rows that could not be replayed as they went.
	Problems []string `json:"problems,omitempty"`
	// Datasets compares the current rows of each dataset, old and new.
	Datasets []DatasetCheck `json:"datasets"`
}

// DatasetCheck compares a dataset's current rows in two databases.
type DatasetCheck struct {
	Name string `json:"name"`
	Old  int    `json:"old_rows"`
	New  int    `json:"new_rows"`
	// Missing and Extra show some rows only the old, or only the new,
	// database has (at most maxDiff of each).
	Missing []string `json:"missing,omitempty"`
	Extra   []string `json:"extra,omitempty"`
}

// Same reports whether both databases hold the same current rows.
func (c DatasetCheck) Same() bool { return len(c.Missing) == 0 && len(c.Extra) == 0 }

// Identical reports whether the rebuild replayed every row of the ledger and
// gave every dataset the same current rows.
func (r *RebuildResult) Identical() bool {
	for _, c := range r.Datasets {
		if !c.Same() {
			return false
		}
	}
	return len(r.Problems) == 0
}

// maxDiff caps the rows a DatasetCheck lists.
const maxDiff = 10

// Rebuild replays the ledger of the database from, oldest first, into the
// importer's store, which must be new (a store with imports is refused): every loaded import
// (including those later undone) is imported again from its archived file,
// with its name, dataset, source, user, sample flag and times; every undo is
// done again on the new ids. Rows that changed nothing are skipped. Then the
// current rows of every dataset of the plan are compared between the two.
// The importer's archive is where the files are read from (and where they
// already are, so nothing is written there). Accounts are not copied here:
// see store.CopyAccounts.
//
// A row that cannot be replayed (its file missing from the archive, or
// refused under today's plan) is listed in Problems and the replay goes on;
// an error is a failure of plandash itself (the database, the disk).
func (im *Importer) Rebuild(ctx context.Context, from *store.Store) (*RebuildResult, error) {
	if have, err := im.Store.Imports(ctx, "", 1); err != nil {
		return nil, err
	} else if len(have) > 0 {
		return nil, fmt.Errorf("imports: rebuild: the target database already has imports; rebuild into a new one")
	}
	ledger, err := from.Imports(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	slices.Reverse(ledger) // oldest first
	// The replay runs through an importer of its own whose clock is the
	// time of the row being replayed.
	var clock time.Time
	replay := &Importer{Store: im.Store, Plan: im.Plan, Archive: im.Archive, Log: im.log(), MaxErrors: im.MaxErrors,
		Now: func() time.Time { return clock }}
	res := &RebuildResult{IDs: map[int64]int64{}}
	problem := func(rec *store.Import, format string, args ...any) {
		what := fmt.Sprintf("#%d", rec.ID)
		if rec.FileName != "" {
			what += " (" + rec.FileName + ")"
		}
		res.Problems = append(res.Problems, what+": "+fmt.Sprintf(format, args...))
	}
	keepTimes := func(newID int64, rec *store.Import) error {
		return im.Store.SetImportTimes(ctx, newID, rec.Started, rec.Finished)
	}
	for _, rec := range ledger {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clock = rec.Started
		switch {
		case rec.Source == SourceUndo:
			if rec.Status != StatusUndo {
				res.Skipped++ // a refused undo
				continue
			}
			var old int64
			if _, err := fmt.Sscanf(rec.Profile, "undo of #%d", &old); err != nil {
				problem(rec, "an undo that does not say which import it undid (%q)", rec.Profile)
				continue
			}
			id, ok := res.IDs[old]
			if !ok {
				problem(rec, "undoes import #%d, which was not replayed", old)
				continue
			}
			u, err := replay.Undo(ctx, id, rec.User, rec.Source)
			if err != nil {
				var ref *Refusal
				if errors.As(err, &ref) {
					problem(rec, "the undo of import #%d was refused: %s", old, ref.Message)
					continue
				}
				return nil, err
			}
			res.IDs[rec.ID] = u.ID
			res.Undone++
			if err := keepTimes(u.ID, rec); err != nil {
				return nil, err
			}
		case rec.Status == store.StatusLoaded || rec.Status == store.StatusUndone:
			if rec.ArchivePath == "" {
				problem(rec, "the ledger names no archived file")
				continue
			}
			data, err := os.ReadFile(filepath.Join(im.Archive, rec.ArchivePath))
			if err != nil {
				problem(rec, "the archive has no copy of the file: %v", err)
				continue
			}
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != rec.SHA256 {
				problem(rec, "the archived file %s does not match its hash; it was changed after it was archived", rec.ArchivePath)
				continue
			}
			req := Request{Name: rec.FileName, Data: data, Source: rec.Source, User: rec.User, Sample: rec.Sample, Profile: rec.Profile}
			if len(rec.Datasets) == 1 {
				req.Dataset = rec.Datasets[0]
			}
			// The values given at import time, and whether it was forced,
			// travel in the stored report.
			var was Report
			if len(rec.Report) > 0 && json.Unmarshal(rec.Report, &was) == nil {
				req.Set, req.Force = was.Set, was.Forced
			}
			rep, err := replay.Import(ctx, req)
			if err != nil {
				return nil, err
			}
			if rep.ID > 0 {
				if err := keepTimes(rep.ID, rec); err != nil {
					return nil, err
				}
			}
			if rep.Status != store.StatusLoaded {
				problem(rec, "it loaded %d rows then; now it is %s: %s", rec.RowsLoaded, rep.Status, rep.Message)
				continue
			}
			res.IDs[rec.ID] = rep.ID
			res.Replayed++
			if !slices.Equal(rec.Datasets, rep.Datasets) || rep.RowsLoaded != rec.RowsLoaded {
				problem(rec, "it loaded %d rows into %s then; %d rows into %s now", rec.RowsLoaded, strings.Join(rec.Datasets, ", "), rep.RowsLoaded, strings.Join(rep.Datasets, ", "))
			}
		default:
			res.Skipped++
		}
	}
	checks, err := CompareCurrent(ctx, im.Plan(), from, im.Store)
	if err != nil {
		return nil, err
	}
	res.Datasets = checks
	im.log().Info("rebuild done", "replayed", res.Replayed, "undone", res.Undone, "skipped", res.Skipped, "problems", len(res.Problems), "identical", res.Identical())
	return res, nil
}

// CompareCurrent compares the current rows of every dataset of the plan
// between two databases, as multisets of rows without their import ids.
func CompareCurrent(ctx context.Context, p *plan.Plan, a, b *store.Store) ([]DatasetCheck, error) {
	names := make([]string, 0, len(p.Datasets))
	for n := range p.Datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []DatasetCheck
	for _, n := range names {
		ds := p.Datasets[n]
		old, err := a.CurrentData(ctx, ds)
		if err != nil {
			return nil, err
		}
		cur, err := b.CurrentData(ctx, ds)
		if err != nil {
			return nil, err
		}
		c := DatasetCheck{Name: n, Old: len(old), New: len(cur)}
		// Both lists are sorted: walk them together.
		i, j := 0, 0
		for i < len(old) || j < len(cur) {
			switch {
			case j == len(cur) || (i < len(old) && old[i] < cur[j]):
				if len(c.Missing) < maxDiff {
					c.Missing = append(c.Missing, old[i])
				}
				i++
			case i == len(old) || cur[j] < old[i]:
				if len(c.Extra) < maxDiff {
					c.Extra = append(c.Extra, cur[j])
				}
				j++
			default:
				i++
				j++
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (im *Importer) log() *slog.Logger {
	if im.Log != nil {
		return im.Log
	}
	return slog.New(slog.DiscardHandler)
}
