package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

// ErrNotPublic is returned when an anonymous query asks for data that is not public.
var ErrNotPublic = errors.New("store: the data is not public")

// Aggregate runs one indicator query: SQL built from the validated plan
// (identifiers checked there and quoted here), values bound as parameters.
func (s *Store) Aggregate(ctx context.Context, q plan.Query) ([]plan.Cell, error) {
	ds := q.Dataset
	if q.Public && !ds.IsPublic() {
		return nil, ErrNotPublic
	}
	bucket, timeCond, err := bucketExpr(q)
	if err != nil {
		return nil, err
	}
	member := "''"
	if q.Breakdown != "" {
		col := ds.Column(q.Breakdown)
		if col == nil {
			return nil, fmt.Errorf("store: %s has no column %s", ds.Name, q.Breakdown)
		}
		// Members of a non-public column are not shown to anonymous viewers:
		// they get the total alone.
		if !q.Public || col.IsPublic() {
			member = "CAST(" + quoteIdent(q.Breakdown) + " AS VARCHAR)"
		}
	}
	val, err := valueExpr(ds, q.Measure)
	if err != nil {
		return nil, err
	}
	where := []string{timeCond}
	var args []any
	for _, f := range q.Filters {
		cond, fa, err := filterSQL(ds, f)
		if err != nil {
			return nil, err
		}
		where = append(where, cond)
		args = append(args, fa...)
	}
	from := quoteIdent(View(ds))
	var sqlText string
	if q.Measure.Agg == plan.AggLast {
		// The value of a stock in a period is the sum of the rows on its
		// latest date.
		tc := quoteIdent(q.Time)
		sqlText = fmt.Sprintf(`WITH f AS (SELECT %s AS p, %s AS m, %s AS v, %s AS ts FROM %s WHERE %s),
			g AS (SELECT p, m, v, ts, max(ts) OVER (PARTITION BY p) AS latest FROM f)
			SELECT p, m, sum(v) FROM g WHERE ts = latest GROUP BY p, m HAVING count(v) > 0 ORDER BY p, m`,
			bucket, member, val, tc, from, strings.Join(where, " AND "))
	} else {
		agg, err := aggExpr(q.Measure, val)
		if err != nil {
			return nil, err
		}
		sqlText = fmt.Sprintf(`SELECT %s AS p, %s AS m, %s AS v FROM %s WHERE %s GROUP BY 1, 2 HAVING v IS NOT NULL ORDER BY 1, 2`,
			bucket, member, agg, from, strings.Join(where, " AND "))
	}
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("store: aggregate %s: %w", ds.Name, err)
	}
	defer rows.Close()
	var out []plan.Cell
	for rows.Next() {
		var c plan.Cell
		var p time.Time
		var v sql.NullFloat64
		if err := rows.Scan(&p, &c.Member, &v); err != nil {
			return nil, fmt.Errorf("store: aggregate %s: %w", ds.Name, err)
		}
		if !v.Valid {
			continue
		}
		c.Period = time.Date(p.Year(), p.Month(), p.Day(), 0, 0, 0, 0, time.UTC)
		c.Value = v.Float64
		out = append(out, c)
	}
	return out, rows.Err()
}

// bucketExpr is the SQL of the period start of each row, and the condition
// that the row has a time at all.
func bucketExpr(q plan.Query) (string, string, error) {
	ds := q.Dataset
	if q.Grain == plan.FiscalYear && ds.FiscalYearColumn != "" && (q.Time == "" || q.Time == ds.Time) {
		fy := quoteIdent(ds.FiscalYearColumn)
		offset := 1
		if q.FYStart <= time.January {
			offset = 0
		}
		return fmt.Sprintf("make_date(%s - %d, %d, 1)", fy, offset, int(q.FYStart)), fy + " IS NOT NULL", nil
	}
	col := ds.Column(q.Time)
	if col == nil || !col.Temporal() {
		return "", "", fmt.Errorf("store: %s: %q is not a date column", ds.Name, q.Time)
	}
	t := quoteIdent(q.Time)
	cond := t + " IS NOT NULL"
	switch q.Grain {
	case plan.Month:
		return "CAST(date_trunc('month', " + t + ") AS DATE)", cond, nil
	case plan.Quarter:
		return "CAST(date_trunc('quarter', " + t + ") AS DATE)", cond, nil
	case plan.Year:
		return "CAST(date_trunc('year', " + t + ") AS DATE)", cond, nil
	case plan.FiscalYear:
		m := int(q.FYStart)
		if m <= 1 {
			return "CAST(date_trunc('year', " + t + ") AS DATE)", cond, nil
		}
		return fmt.Sprintf("make_date(CAST(year(%s) AS INTEGER) - CASE WHEN month(%s) < %d THEN 1 ELSE 0 END, %d, 1)", t, t, m, m), cond, nil
	}
	return "", "", fmt.Errorf("store: unknown grain %q", q.Grain)
}

// valueExpr is the per-row value of a measure: a column, or several added
// with blanks as zero.
func valueExpr(ds *plan.Dataset, m plan.Measure) (string, error) {
	parts := m.Parts()
	if len(parts) == 0 {
		return "1", nil
	}
	var terms []string
	for _, p := range parts {
		col := ds.Column(p)
		if col == nil {
			return "", fmt.Errorf("store: %s has no column %s", ds.Name, p)
		}
		e := quoteIdent(p)
		if col.Numeric() {
			e = "CAST(" + e + " AS DOUBLE)"
		}
		if len(parts) > 1 {
			e = "COALESCE(" + e + ", 0)"
		}
		terms = append(terms, e)
	}
	return strings.Join(terms, " + "), nil
}

func aggExpr(m plan.Measure, val string) (string, error) {
	switch m.Agg {
	case plan.AggSum:
		return "sum(" + val + ")", nil
	case plan.AggAvg:
		return "avg(" + val + ")", nil
	case plan.AggMin:
		return "CAST(min(" + val + ") AS DOUBLE)", nil
	case plan.AggMax:
		return "CAST(max(" + val + ") AS DOUBLE)", nil
	case plan.AggCount:
		if m.Column == "" {
			return "CAST(count(*) AS DOUBLE)", nil
		}
		return "CAST(count(" + val + ") AS DOUBLE)", nil
	case plan.AggCountDistinct:
		return "CAST(count(DISTINCT " + val + ") AS DOUBLE)", nil
	}
	return "", fmt.Errorf("store: unknown aggregate %q", m.Agg)
}

func filterSQL(ds *plan.Dataset, f plan.Filter) (string, []any, error) {
	col := ds.Column(f.Column)
	if col == nil {
		return "", nil, fmt.Errorf("store: %s has no column %s", ds.Name, f.Column)
	}
	c := quoteIdent(f.Column)
	conv := func(s string) (any, error) { return plan.ParseFilterValue(col, s) }
	switch {
	case f.Missing != nil:
		if *f.Missing {
			return c + " IS NULL", nil, nil
		}
		return c + " IS NOT NULL", nil, nil
	case f.Equals != nil:
		v, err := conv(*f.Equals)
		return c + " = ?", []any{v}, err
	case len(f.In) > 0:
		var args []any
		for _, s := range f.In {
			v, err := conv(s)
			if err != nil {
				return "", nil, err
			}
			args = append(args, v)
		}
		return c + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")", args, nil
	}
	var conds []string
	var args []any
	if f.From != nil {
		v, err := conv(*f.From)
		if err != nil {
			return "", nil, err
		}
		conds, args = append(conds, c+" >= ?"), append(args, v)
	}
	if f.To != nil {
		v, err := conv(*f.To)
		if err != nil {
			return "", nil, err
		}
		conds, args = append(conds, c+" <= ?"), append(args, v)
	}
	if len(conds) == 0 {
		return "true", nil, nil
	}
	return strings.Join(conds, " AND "), args, nil
}
