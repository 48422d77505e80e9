package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

// RowSet is a page of a dataset's current rows.
type RowSet struct {
	Columns []*plan.Column
	// Rows hold nil, string, int64, float64, bool, time.Time; money comes as
	// its exact decimal text.
	Rows  [][]any
	Total int64
}

// visibleColumns are the dataset's columns a viewer may see.
func visibleColumns(ds *plan.Dataset, public bool) []*plan.Column {
	var out []*plan.Column
	for _, c := range ds.Columns {
		if public && !c.IsPublic() {
			continue
		}
		out = append(out, c)
	}
	return out
}

func selectList(cols []*plan.Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		q := quoteIdent(c.Name)
		if c.Type == plan.TypeMoney {
			q = "CAST(" + q + " AS VARCHAR)"
		}
		parts[i] = q
	}
	return strings.Join(parts, ", ")
}

// Rows returns current rows of a dataset, newest first by its time column,
// limited to public datasets and columns when public is set. limit 0 means
// every row.
func (s *Store) Rows(ctx context.Context, ds *plan.Dataset, public bool, limit, offset int) (*RowSet, error) {
	if public && !ds.IsPublic() {
		return nil, ErrNotPublic
	}
	rs := &RowSet{Columns: visibleColumns(ds, public)}
	view := quoteIdent(View(ds))
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+view).Scan(&rs.Total); err != nil {
		return nil, fmt.Errorf("store: rows %s: %w", ds.Name, err)
	}
	order := colImport + ", " + colRow
	if ds.Time != "" {
		order = quoteIdent(ds.Time) + " DESC NULLS LAST, " + order
	}
	q := fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", selectList(rs.Columns), view, order)
	var args []any
	if limit > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, limit, offset)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: rows %s: %w", ds.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(rs.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("store: rows %s: %w", ds.Name, err)
		}
		for i, v := range vals {
			switch x := v.(type) {
			case int32:
				vals[i] = int64(x)
			case time.Time:
				vals[i] = time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC)
			}
		}
		rs.Rows = append(rs.Rows, vals)
	}
	return rs, rows.Err()
}

// ExportParquet writes a dataset's current rows (public columns only, when
// public is set) to a Parquet file through DuckDB.
func (s *Store) ExportParquet(ctx context.Context, ds *plan.Dataset, public bool, path string) error {
	if public && !ds.IsPublic() {
		return ErrNotPublic
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("store: export %s: %w", ds.Name, err)
	}
	cols := visibleColumns(ds, public)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.Name)
	}
	q := fmt.Sprintf("COPY (SELECT %s FROM %s) TO %s (FORMAT parquet)", strings.Join(names, ", "), quoteIdent(View(ds)), quoteLiteral(path))
	if _, err := s.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("store: export %s: %w", ds.Name, err)
	}
	return nil
}

// Pairs maps each value of column a to a value of column b among the
// current rows (for example each revenue source to its category).
func (s *Store) Pairs(ctx context.Context, ds *plan.Dataset, a, b string, public bool) (map[string]string, error) {
	ca, cb := ds.Column(a), ds.Column(b)
	if ca == nil || cb == nil {
		return nil, fmt.Errorf("store: %s has no column %s or %s", ds.Name, a, b)
	}
	if public && (!ds.IsPublic() || !ca.IsPublic() || !cb.IsPublic()) {
		return nil, ErrNotPublic
	}
	q := fmt.Sprintf("SELECT CAST(%s AS VARCHAR), CAST(any_value(%s) AS VARCHAR) FROM %s WHERE %s IS NOT NULL GROUP BY 1",
		quoteIdent(a), quoteIdent(b), quoteIdent(View(ds)), quoteIdent(a))
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: pairs %s: %w", ds.Name, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k string
		var v *string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if v != nil {
			out[k] = *v
		}
	}
	return out, rows.Err()
}

// HistoryRow is one version of a row: its values, the import that wrote it
// (who and when), and whether it is still current.
type HistoryRow struct {
	Values  map[string]any
	Import  int64
	User    string
	At      time.Time
	Current bool
	// Sample is true for a row of sample data.
	Sample bool
}

// History lists every version of the rows of a dataset whose columns equal
// the given values, newest first, including superseded ones (undone
// imports excluded): the update history of a narrative or a strategy.
func (s *Store) History(ctx context.Context, ds *plan.Dataset, match map[string]string, public bool) ([]HistoryRow, error) {
	if public && !ds.IsPublic() {
		return nil, ErrNotPublic
	}
	cols := visibleColumns(ds, public)
	var where []string
	var args []any
	keys := make([]string, 0, len(match))
	for k := range match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if ds.Column(k) == nil {
			return nil, fmt.Errorf("store: %s has no column %s", ds.Name, k)
		}
		where = append(where, "CAST(t."+quoteIdent(k)+" AS VARCHAR) = ?")
		args = append(args, match[k])
	}
	if len(where) == 0 {
		where = append(where, "true")
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		q := "t." + quoteIdent(c.Name)
		if c.Type == plan.TypeMoney {
			q = "CAST(" + q + " AS VARCHAR)"
		}
		sel[i] = q
	}
	q := fmt.Sprintf(`SELECT %s, t.%s, COALESCE(i.user_name, ''), i.started, t.%s IS NULL, t.%s
		FROM %s t JOIN imports i ON i.id = t.%s
		WHERE %s AND i.status IN ('loaded', 'undo') AND (t.%s IS NULL OR t.%s NOT IN (SELECT id FROM imports WHERE status = 'undo'))
		ORDER BY i.started DESC, t.%s DESC`,
		strings.Join(sel, ", "), colImport, colSuperseded, colSample, quoteIdent(Table(ds)), colImport, strings.Join(where, " AND "), colSuperseded, colSuperseded, colImport)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: history %s: %w", ds.Name, err)
	}
	defer rows.Close()
	var out []HistoryRow
	for rows.Next() {
		vals := make([]any, len(cols)+5)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		h := HistoryRow{Values: map[string]any{}}
		for i, c := range cols {
			h.Values[c.Name] = vals[i]
		}
		h.Import, _ = vals[len(cols)].(int64)
		h.User, _ = vals[len(cols)+1].(string)
		h.At, _ = vals[len(cols)+2].(time.Time)
		h.Current, _ = vals[len(cols)+3].(bool)
		h.Sample, _ = vals[len(cols)+4].(bool)
		out = append(out, h)
	}
	return out, rows.Err()
}

// IndicatorTargets returns the imported targets of an indicator (from the
// indicator_targets dataset, when the plan has it).
func (s *Store) IndicatorTargets(ctx context.Context, indicator string) ([]plan.TargetRow, error) {
	var exists bool
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = ?`, "cur_"+plan.TargetsDataset).Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT period, minimum, target, stretch FROM %s WHERE indicator = ?`, quoteIdent("cur_"+plan.TargetsDataset)), indicator)
	if err != nil {
		return nil, fmt.Errorf("store: targets of %s: %w", indicator, err)
	}
	defer rows.Close()
	var out []plan.TargetRow
	for rows.Next() {
		var r plan.TargetRow
		var mn, tg, st sql.NullFloat64
		if err := rows.Scan(&r.Period, &mn, &tg, &st); err != nil {
			return nil, err
		}
		if mn.Valid {
			r.Minimum = &mn.Float64
		}
		if tg.Valid {
			r.Target = &tg.Float64
		}
		if st.Valid {
			r.Stretch = &st.Float64
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
