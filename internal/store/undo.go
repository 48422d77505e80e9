package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plandash/plandash/internal/plan"
)

// StatusUndone marks an import whose rows an undo took out of force.
const StatusUndone = "undone"

// ErrUndoConflict explains why an import cannot be undone.
type ErrUndoConflict struct{ Reason string }

func (e *ErrUndoConflict) Error() string { return e.Reason }

// Undo restores the datasets of import id to their state before it, in one
// transaction: its rows are marked superseded by the undo (undoID, itself a
// ledger row) and the rows it had superseded become current again. Nothing
// is deleted. An import some of whose rows a later import has replaced is
// refused: restoring the rows it replaced would bring back data that the
// later import had corrected.
func (s *Store) Undo(ctx context.Context, id, undoID int64, datasets []*plan.Dataset) (restored, removed int64, err error) {
	defer s.lockWrite()()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: undo: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return 0, 0, fmt.Errorf("store: undo: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	var status string
	if err := conn.QueryRowContext(ctx, `SELECT status FROM imports WHERE id = ?`, id).Scan(&status); err != nil {
		return 0, 0, &ErrUndoConflict{Reason: fmt.Sprintf("there is no import #%d", id)}
	}
	if status != StatusLoaded {
		return 0, 0, &ErrUndoConflict{Reason: fmt.Sprintf("import #%d is %s; only a loaded import can be undone", id, strings.ReplaceAll(status, "_", " "))}
	}
	for _, ds := range datasets {
		t := quoteIdent(Table(ds))
		var later []int64
		rows, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT %s FROM %s WHERE %s = ? AND %s IS NOT NULL ORDER BY 1`, colSuperseded, t, colImport, colSuperseded), id)
		if err != nil {
			return 0, 0, fmt.Errorf("store: undo: %w", err)
		}
		for rows.Next() {
			var l int64
			if err := rows.Scan(&l); err != nil {
				rows.Close()
				return 0, 0, err
			}
			later = append(later, l)
		}
		rows.Close()
		if len(later) > 0 {
			ids := make([]string, len(later))
			for i, l := range later {
				ids[i] = fmt.Sprintf("#%d", l)
			}
			return 0, 0, &ErrUndoConflict{Reason: fmt.Sprintf("later imports (%s) replaced rows of import #%d in %s; undo those first, newest first",
				strings.Join(ids, ", "), id, ds.Name)}
		}
		r, err := conn.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = NULL WHERE %s = ?`, t, colSuperseded, colSuperseded), id)
		if err != nil {
			return 0, 0, fmt.Errorf("store: undo: %w", err)
		}
		n, _ := r.RowsAffected()
		restored += n
		r, err = conn.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s = ? AND %s IS NULL`, t, colSuperseded, colImport, colSuperseded), undoID, id)
		if err != nil {
			return 0, 0, fmt.Errorf("store: undo: %w", err)
		}
		n, _ = r.RowsAffected()
		removed += n
	}
	if _, err := conn.ExecContext(ctx, `UPDATE imports SET status = ?, message = ? WHERE id = ?`, StatusUndone,
		fmt.Sprintf("undone by #%d", undoID), id); err != nil {
		return 0, 0, fmt.Errorf("store: undo: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, 0, fmt.Errorf("store: undo: commit: %w", err)
	}
	committed = true
	return restored, removed, nil
}

// IsUndoConflict reports whether err explains why an undo was refused.
func IsUndoConflict(err error) bool {
	var c *ErrUndoConflict
	return errors.As(err, &c)
}
