package imports

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/plandash/plandash/ingest"
	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

// Sources of ledger rows besides files.
const (
	SourceForm = "form"
	SourceUndo = "undo"
)

// StatusUndo marks the ledger row of an undo itself.
const StatusUndo = "undo"

// UndoResult says what an undo did.
type UndoResult struct {
	ID       int64 `json:"id"`
	Undone   int64 `json:"undone"`
	Restored int64 `json:"rows_restored"`
	Removed  int64 `json:"rows_removed"`
}

// Undo restores the datasets of an import to their state before it. The
// undo is recorded in the ledger; nothing leaves the archive. A refusal
// (an import already undone, or one whose rows later imports replaced)
// comes back as an error for which IsRefusal is true.
func (im *Importer) Undo(ctx context.Context, id int64, user, source string) (*UndoResult, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	rec, err := im.Store.GetImport(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, &Refusal{Message: fmt.Sprintf("there is no import #%d", id)}
	}
	p := im.Plan()
	var dss []*plan.Dataset
	for _, name := range rec.Datasets {
		ds := p.Datasets[name]
		if ds == nil {
			return nil, &Refusal{Message: fmt.Sprintf("import #%d went into dataset %s, which the plan no longer has", id, name)}
		}
		dss = append(dss, ds)
	}
	u := &store.Import{Datasets: rec.Datasets, FileName: rec.FileName, SHA256: rec.SHA256, Source: SourceUndo, User: user, Started: im.Now(),
		Profile: fmt.Sprintf("undo of #%d", id)}
	if _, err := im.Store.BeginImport(ctx, u); err != nil {
		return nil, err
	}
	restored, removed, err := im.Store.Undo(ctx, id, u.ID, dss)
	u.Finished = im.Now()
	if err != nil {
		u.Status, u.Message = store.StatusRejected, err.Error()
		if ferr := im.Store.FinishImport(context.WithoutCancel(ctx), u); ferr != nil {
			return nil, ferr
		}
		if store.IsUndoConflict(err) {
			return nil, &Refusal{Message: err.Error()}
		}
		return nil, err
	}
	u.Status = StatusUndo
	u.RowsLoaded, u.RowsSuperseded = restored, removed
	u.Message = fmt.Sprintf("undid import #%d: %d rows taken out, %d earlier rows restored", id, removed, restored)
	if err := im.Store.FinishImport(context.WithoutCancel(ctx), u); err != nil {
		return nil, err
	}
	im.Log.Info("import undone", "id", id, "undo", u.ID, "removed", removed, "restored", restored, "user", user)
	return &UndoResult{ID: u.ID, Undone: id, Restored: restored, Removed: removed}, nil
}

// Refusal is a user's request that cannot be carried out, with the reason.
type Refusal struct{ Message string }

func (r *Refusal) Error() string { return r.Message }

// ManualEntry records values typed into a form as a small CSV file in the
// dataset's template form, imported like any file (source form) and kept in
// the archive, so a rebuild replays it.
func (im *Importer) ManualEntry(ctx context.Context, dataset string, rows []map[string]string, user string, dryRun bool) (*Report, error) {
	p := im.Plan()
	ds := p.Datasets[dataset]
	if ds == nil {
		return nil, &Refusal{Message: fmt.Sprintf("there is no dataset %q", dataset)}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		header[i] = c.Name
	}
	_ = w.Write(header)
	for _, r := range rows {
		rec := make([]string, len(ds.Columns))
		for i, c := range ds.Columns {
			rec[i] = r[c.Name]
		}
		_ = w.Write(rec)
	}
	w.Flush()
	name := fmt.Sprintf("form-%s-%s.csv", dataset, im.Now().UTC().Format("20060102-150405"))
	return im.Import(ctx, Request{Name: name, Data: buf.Bytes(), Dataset: dataset, Source: SourceForm, User: user, DryRun: dryRun})
}

// Original opens the archived copy of an import's file, to be read in
// place (a large file is never held whole); the caller closes it. Without
// an archived copy the file is nil.
func (im *Importer) Original(ctx context.Context, id int64) (*Record, *os.File, error) {
	rec, err := im.Store.GetImport(ctx, id)
	if err != nil || rec == nil || rec.ArchivePath == "" {
		return rec, nil, err
	}
	f, err := os.Open(filepath.Join(im.Archive, rec.ArchivePath))
	if err != nil {
		return rec, nil, fmt.Errorf("imports: archive of #%d: %w", id, err)
	}
	return rec, f, nil
}

// History lists the ledger, newest first.
func (im *Importer) History(ctx context.Context, dataset string, limit int) ([]*Record, error) {
	return im.Store.Imports(ctx, dataset, limit)
}

// Get returns one ledger row, or nil.
func (im *Importer) Get(ctx context.Context, id int64) (*Record, error) {
	return im.Store.GetImport(ctx, id)
}

// Template writes the dataset's Excel template: a filled copy imports
// without any mapping step.
func (im *Importer) Template(w io.Writer, dataset string) error {
	p := im.Plan()
	ds := p.Datasets[dataset]
	if ds == nil {
		return &Refusal{Message: fmt.Sprintf("there is no dataset %q", dataset)}
	}
	return ingest.WriteTemplate(w, ds, ingest.TemplateOptions{Place: p.Place, Title: p.Title, FYStartMonth: p.FYStart()})
}

// ParseSet reads import-time values written as key=value (--set year=2024).
func ParseSet(pairs []string) (map[string]string, error) { return ingest.SetValues(pairs) }

// Note records a narrative for an indicator and period: what happened and
// what is being done. It is an entry like any typed into a form: checked,
// recorded in the ledger, archived and undoable; a new note for the same
// indicator and period supersedes the earlier one, which stays in history.
func (im *Importer) Note(ctx context.Context, indicator, period, happened, next, user string) (*Report, error) {
	return im.ManualEntry(ctx, plan.NotesDataset, []map[string]string{{
		"indicator": indicator, "period": period, "what_happened": happened, "what_next": next,
	}}, user, false)
}
