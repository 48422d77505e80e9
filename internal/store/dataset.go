package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/plandash/plandash/internal/plan"
)

// System columns every dataset table carries. Fact tables have no primary key
// or unique constraint: duplicate keys are found before loading.
const (
	colImport     = "_import_id"
	colSheet      = "_sheet"
	colRow        = "_row"
	colSample     = "_sample"
	colSuperseded = "_superseded_by"
)

// Table is the versioned table of a dataset; View holds its current rows.
func Table(ds *plan.Dataset) string { return "ds_" + ds.Name }

// View is the name of the view of a dataset's current rows.
func View(ds *plan.Dataset) string { return "cur_" + ds.Name }

func sqlType(c *plan.Column) string {
	switch c.Type {
	case plan.TypeInteger:
		return "BIGINT"
	case plan.TypeDecimal:
		return "DOUBLE"
	case plan.TypeMoney:
		return "DECIMAL(18,2)"
	case plan.TypeDate, plan.TypeMonth:
		return "DATE"
	case plan.TypeFiscalYear:
		return "INTEGER"
	case plan.TypeBoolean:
		return "BOOLEAN"
	}
	return "VARCHAR"
}

// EnsureDatasets creates the table and current-rows view of every dataset,
// adding columns a newer plan file declares. A column whose type changed is
// refused: its data would not fit.
// It runs at every start, in one transaction: one write to disk, not one
// per table and view.
func (s *Store) EnsureDatasets(ctx context.Context, datasets map[string]*plan.Dataset) error {
	defer s.lockWrite()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: datasets: %w", err)
	}
	defer tx.Rollback()
	// The columns of every table and view, read once.
	columns := map[string]map[string]string{}
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'`)
	if err != nil {
		return fmt.Errorf("store: datasets: %w", err)
	}
	for rows.Next() {
		var t, n, typ string
		if err := rows.Scan(&t, &n, &typ); err != nil {
			rows.Close()
			return fmt.Errorf("store: datasets: %w", err)
		}
		if columns[t] == nil {
			columns[t] = map[string]string{}
		}
		columns[t][n] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: datasets: %w", err)
	}
	for _, ds := range datasets {
		if err := ensureDataset(ctx, tx, ds, columns[Table(ds)], columns[View(ds)]); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: datasets: %w", err)
	}
	return nil
}

// ensureDataset creates or extends the dataset's table, whose columns are
// existing (none: no table yet), and (re)creates its view unless the view
// already has exactly the columns it should.
func ensureDataset(ctx context.Context, tx *sql.Tx, ds *plan.Dataset, existing, view map[string]string) error {
	altered := false
	if len(existing) == 0 {
		var cols []string
		for _, c := range ds.Columns {
			cols = append(cols, quoteIdent(c.Name)+" "+sqlType(c))
		}
		cols = append(cols, colImport+" BIGINT NOT NULL", colSheet+" VARCHAR", colRow+" INTEGER",
			colSample+" BOOLEAN NOT NULL DEFAULT false", colSuperseded+" BIGINT")
		q := fmt.Sprintf("CREATE TABLE %s (%s)", quoteIdent(Table(ds)), strings.Join(cols, ", "))
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: create dataset %s: %w", ds.Name, err)
		}
		altered = true
	} else {
		for _, c := range ds.Columns {
			have, ok := existing[c.Name]
			want := sqlType(c)
			if !ok {
				q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", quoteIdent(Table(ds)), quoteIdent(c.Name), want)
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("store: dataset %s: add column %s: %w", ds.Name, c.Name, err)
				}
				altered = true
				continue
			}
			if !strings.EqualFold(have, want) {
				return fmt.Errorf("store: dataset %s: column %s is %s in the database but %s in the plan file; rebuild the database to change a column's type", ds.Name, c.Name, have, want)
			}
		}
	}
	var cols []string
	for _, c := range ds.Columns {
		cols = append(cols, quoteIdent(c.Name))
	}
	cols = append(cols, colImport, colSheet, colRow, colSample)
	if !altered && len(view) == len(cols) && viewHas(view, ds) {
		return nil
	}
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s FROM %s WHERE %s IS NULL",
		quoteIdent(View(ds)), strings.Join(cols, ", "), quoteIdent(Table(ds)), colSuperseded)
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("store: dataset %s: view: %w", ds.Name, err)
	}
	return nil
}

// viewHas reports whether a view's columns include each of the dataset's
// and the bookkeeping columns it shows.
func viewHas(view map[string]string, ds *plan.Dataset) bool {
	for _, c := range ds.Columns {
		if _, ok := view[c.Name]; !ok {
			return false
		}
	}
	for _, c := range []string{colImport, colSheet, colRow, colSample} {
		if _, ok := view[c]; !ok {
			return false
		}
	}
	return true
}

// Row is one row to load: where it came from and its values in the order of
// the load's columns.
type Row struct {
	Sheet  string
	Line   int
	Values []any
}

// Load describes one dataset's part of an import.
type Load struct {
	Dataset *plan.Dataset
	// Columns name the dataset columns that Values of each row follow.
	Columns []string
	Rows    []Row
	// Next, when set, gives the rows instead of Rows, one at a time, until
	// it returns io.EOF: a large file is then never held whole. Any other
	// error ends the load, and Apply returns it (wrapped).
	Next   func() (Row, error)
	Sample bool
}

// LoadResult is what a load did to a dataset.
type LoadResult struct {
	Dataset    string
	Added      int64
	Superseded int64
	// Current counts the real (not sample) rows in force before the load;
	// Removed counts those that leave without a row of the same key taking
	// their place.
	Current int64
	Removed int64
}

// cents is satisfied by money values (ingest.Money), so the store needs no
// import of the reader.
type cents interface{ Cents() int64 }

// Apply loads the rows of one import into their datasets in one
// transaction: rows are appended with the import's id, and the rows they
// replace (all current rows for mode replace, rows with the same key for
// upsert; the dataset's sample rows whenever real data arrives) are marked
// superseded by it. With dryRun the transaction is rolled back after
// counting. guard, when not nil, sees the results before the commit and
// refuses the load by returning an error. On any error nothing is kept.
func (s *Store) Apply(ctx context.Context, importID int64, loads []Load, dryRun bool, guard func([]LoadResult) error) ([]LoadResult, error) {
	defer s.lockWrite()()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: load: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, fmt.Errorf("store: load: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	var results []LoadResult
	for _, l := range loads {
		r, err := appendRows(ctx, conn, importID, l)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	if guard != nil {
		if err := guard(results); err != nil {
			return results, err
		}
	}
	if dryRun {
		return results, nil
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return nil, fmt.Errorf("store: load: commit: %w", err)
	}
	committed = true
	return results, nil
}

func appendRows(ctx context.Context, conn *sql.Conn, importID int64, l Load) (LoadResult, error) {
	ds := l.Dataset
	res := LoadResult{Dataset: ds.Name}
	// The appender fills the table's columns in order: src[i] is where
	// the value of the table's column i sits in a row (-1: not loaded).
	pos := map[string]int{}
	for i, c := range l.Columns {
		pos[c] = i
	}
	cols := ds.Columns
	src := make([]int, len(cols))
	for i, c := range cols {
		src[i] = -1
		if j, ok := pos[c.Name]; ok {
			src[i] = j
		}
	}
	err := conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", Table(ds))
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(cols)+5)
		var idVal driver.Value = importID
		sheet, sheetVal := "", driver.Value("")
		next := l.Next
		if next == nil {
			i := 0
			next = func() (Row, error) {
				if i == len(l.Rows) {
					return Row{}, io.EOF
				}
				i++
				return l.Rows[i-1], nil
			}
		}
		for {
			r, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				app.Close()
				return err
			}
			for i, c := range cols {
				vals[i] = nil
				if j := src[i]; j >= 0 && j < len(r.Values) {
					v, err := toDriver(c, r.Values[j])
					if err != nil {
						app.Close()
						return fmt.Errorf("%s row %d column %s: %w", r.Sheet, r.Line, c.Name, err)
					}
					vals[i] = v
				}
			}
			// The import's id and the sheet's name are the same row after
			// row: each is boxed once, not once a row.
			if r.Sheet != sheet {
				sheet, sheetVal = r.Sheet, r.Sheet
			}
			n := len(cols)
			vals[n], vals[n+1], vals[n+2], vals[n+3], vals[n+4] = idVal, sheetVal, int32(r.Line), l.Sample, nil
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return err
			}
			res.Added++
		}
		return app.Close()
	})
	if err != nil {
		return res, fmt.Errorf("store: load %s: %w", ds.Name, err)
	}
	t := quoteIdent(Table(ds))
	// The first load of a dataset replaces nothing: no need to look for
	// rows with the same key among the rows it has just added.
	var others bool
	if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE %s IS NULL AND %s <> $1)", t, colSuperseded, colImport),
		importID).Scan(&others); err != nil {
		return res, fmt.Errorf("store: load %s: %w", ds.Name, err)
	}
	if !others {
		return res, nil
	}
	var where string
	switch {
	case ds.Mode == plan.ModeReplace:
		where = "true"
	case ds.Mode == plan.ModeUpsert && len(ds.Key) > 0:
		where = sameKeyExists(ds, t)
	default:
		where = "false"
	}
	// Count what the load removes before marking it.
	cnt := fmt.Sprintf("SELECT count(*) FILTER (WHERE NOT o.%s), count(*) FILTER (WHERE NOT o.%s AND %s AND NOT %s) FROM %s o WHERE o.%s IS NULL AND o.%s <> $1",
		colSample, colSample, where, sameKeyExists(ds, t), t, colSuperseded, colImport)
	if err := conn.QueryRowContext(ctx, cnt, importID).Scan(&res.Current, &res.Removed); err != nil {
		return res, fmt.Errorf("store: load %s: count: %w", ds.Name, err)
	}
	if !l.Sample {
		where = "(" + where + " OR o." + colSample + ")"
	}
	q := fmt.Sprintf("UPDATE %s o SET %s = $1 WHERE o.%s IS NULL AND o.%s <> $1 AND %s", t, colSuperseded, colSuperseded, colImport, where)
	r, err := conn.ExecContext(ctx, q, importID)
	if err != nil {
		return res, fmt.Errorf("store: load %s: supersede: %w", ds.Name, err)
	}
	res.Superseded, _ = r.RowsAffected()
	return res, nil
}

// sameKeyExists is the SQL condition that the load brings a row with the
// same key as row o (false for datasets without a key).
func sameKeyExists(ds *plan.Dataset, t string) string {
	if len(ds.Key) == 0 {
		return "false"
	}
	var eq []string
	for _, k := range ds.Key {
		eq = append(eq, fmt.Sprintf("n.%s IS NOT DISTINCT FROM o.%s", quoteIdent(k), quoteIdent(k)))
	}
	return fmt.Sprintf("EXISTS (SELECT 1 FROM %s n WHERE n.%s = $1 AND %s)", t, colImport, strings.Join(eq, " AND "))
}

// toDriver converts a typed value to what the appender takes for the column.
// A value that already has the column's type is passed on as it is, without
// boxing it again. Money goes in as its cents: a DECIMAL(18,2) is stored as
// the whole number of hundredths, and the appender writes an int64 to it as
// that stored number.
func toDriver(c *plan.Column, v any) (driver.Value, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Type {
	case plan.TypeMoney:
		switch x := v.(type) {
		case cents:
			return x.Cents(), nil
		case int64:
			return x * 100, nil
		}
	case plan.TypeInteger:
		if _, ok := v.(int64); ok {
			return v, nil
		}
	case plan.TypeFiscalYear:
		if x, ok := v.(int64); ok {
			return int32(x), nil
		}
	case plan.TypeDecimal:
		switch x := v.(type) {
		case float64:
			return v, nil
		case int64:
			return float64(x), nil
		}
	case plan.TypeDate, plan.TypeMonth:
		if _, ok := v.(time.Time); ok {
			return v, nil
		}
	case plan.TypeBoolean:
		if _, ok := v.(bool); ok {
			return v, nil
		}
	default:
		if _, ok := v.(string); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit type %s", v, v, c.Type)
}

// CurrentRows counts a dataset's current rows, and how many are sample rows.
func (s *Store) CurrentRows(ctx context.Context, ds *plan.Dataset) (total, sample int64, err error) {
	q := fmt.Sprintf("SELECT count(*), count(*) FILTER (WHERE %s) FROM %s", colSample, quoteIdent(View(ds)))
	err = s.db.QueryRowContext(ctx, q).Scan(&total, &sample)
	if err != nil {
		err = fmt.Errorf("store: count %s: %w", ds.Name, err)
	}
	return
}
