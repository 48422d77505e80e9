package ingest

import (
	"fmt"
	"math"
	"strings"

	"github.com/plandash/plandash/internal/plan"
)

// columnValue applies what a column declares beyond its type to a value
// already read as that type (v is not nil): the words of a values list,
// written as people type them, become the list's own word; percentage
// points are read from 45%, 45 or a fraction such as 0.45; an id of the
// plan is checked and spelt as the plan spells it. p may be nil (a file
// read without a plan), and then ids are not checked.
func columnValue(col *plan.Column, raw string, v any, p *plan.Plan) (any, error) {
	if s, ok := v.(string); ok && len(col.Values) > 0 {
		c, ok := col.Canonical(s)
		if !ok {
			return nil, bad("is not one of the accepted words: " + strings.Join(col.Values, ", "))
		}
		v = c
	}
	if f, ok := v.(float64); ok && col.Percent == plan.PercentPoints {
		pts, err := percentPoints(raw, f)
		if err != nil {
			return nil, err
		}
		v = pts
	}
	if s, ok := v.(string); ok && col.Refers != "" && p != nil {
		id, ok := p.ResolveRef(col.Refers, s)
		if !ok {
			return nil, bad(refMessage(p, col.Refers))
		}
		v = id
	}
	return v, nil
}

// percentPoints reads a percentage as points from 0 to 100. A number
// written with % is a percentage (45% is 45); a number from 0 to 1 without
// % is a fraction, as Excel stores a cell formatted as a percentage (0.45 is
// 45, and 1 is 100); any other number is points already (45 is 45).
func percentPoints(raw string, f float64) (float64, error) {
	s := strings.TrimSpace(raw)
	switch {
	case strings.HasSuffix(s, "%") || strings.HasSuffix(strings.TrimSuffix(s, ")"), "%"):
		f *= 100
	case f > 0 && f <= 1:
		f *= 100
	}
	// Undo the float noise of multiplying by 100 (0.07*100 is 7.000000000000001).
	f = math.Round(f*1e9) / 1e9
	if f < 0 || f > 100 {
		return 0, bad("is not a percentage from 0 to 100")
	}
	return f, nil
}

// refMessage says what a column that refers to the plan's ids takes.
func refMessage(p *plan.Plan, kind string) string {
	vals := p.RefValues(kind)
	list := strings.Join(vals, ", ")
	if len(vals) > 12 {
		list = fmt.Sprintf("%s, ... %s", strings.Join(vals[:3], ", "), vals[len(vals)-1])
	}
	switch kind {
	case plan.RefDepartment:
		return "is not a department of the plan (departments: " + list + ")"
	case plan.RefIndicator:
		return "is not an indicator of the plan (indicators: " + list + ")"
	}
	if list == "" {
		return "is not a " + kind + " of the plan (the plan has none)"
	}
	return "is not the id of a " + kind + " of the plan (" + list + ")"
}
