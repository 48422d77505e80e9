package plan

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// This file holds what a column can declare beyond its type, so that the
// importer normalises values the way people write them without special code
// for any one dataset:
//
//	values:   [not started, on schedule, behind, complete]  # the words it takes
//	synonyms: {in progress: on schedule, done: complete}     # other spellings
//	percent:  points     # 45%, 45 and 0.45 all mean 45 (percentage points)
//	refers:   strategy   # the id of a strategy of the plan (also objective,
//	                     # goal, indicator, department)

// PercentPoints is the Percent of a column that holds percentage points
// from 0 to 100.
const PercentPoints = "points"

// Kinds of plan ids a column can refer to.
const (
	RefStrategy   = "strategy"
	RefObjective  = "objective"
	RefGoal       = "goal"
	RefIndicator  = "indicator"
	RefDepartment = "department"
)

var refKinds = map[string]bool{RefStrategy: true, RefObjective: true, RefGoal: true, RefIndicator: true, RefDepartment: true}

// NormalizeWord is how values and synonyms are compared: without regard to
// capitals, and with every run of spaces and punctuation as one space, so
// "Not-yet  Started" is "not yet started".
func NormalizeWord(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return b.String()
}

// Canonical returns the value of the column's list that s means: one of its
// values, or the value a synonym names, compared by NormalizeWord. ok is
// false when the column lists values and s is none of them.
func (c *Column) Canonical(s string) (string, bool) {
	if len(c.Values) == 0 {
		return s, true
	}
	n := NormalizeWord(s)
	for _, v := range c.Values {
		if NormalizeWord(v) == n {
			return v, true
		}
	}
	for k, v := range c.Synonyms {
		if NormalizeWord(k) == n {
			return v, true
		}
	}
	return "", false
}

// ResolveRef returns the plan's own spelling of an id of the kind (a
// strategy id written "g1.o1.s1" is G1.O1.S1; a department is matched
// without regard to capitals or spacing), and false when the plan has none.
func (p *Plan) ResolveRef(kind, s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch kind {
	case RefStrategy, RefObjective, RefGoal:
		id := strings.ToUpper(strings.Join(strings.Fields(s), ""))
		v, ok := p.ids[id]
		if !ok {
			return "", false
		}
		switch v.(type) {
		case *Strategy:
			return id, kind == RefStrategy
		case *Objective:
			return id, kind == RefObjective
		case *Goal:
			return id, kind == RefGoal
		}
	case RefIndicator:
		if in := p.Indicator(strings.ToLower(s)); in != nil {
			return in.ID, true
		}
	case RefDepartment:
		n := NormalizeWord(s)
		for _, d := range p.Departments {
			if NormalizeWord(d.Name) == n {
				return d.Name, true
			}
		}
	}
	return "", false
}

// RefValues lists the ids of the kind, in plan order, for messages and
// drop-down lists.
func (p *Plan) RefValues(kind string) []string {
	var out []string
	switch kind {
	case RefDepartment:
		for _, d := range p.Departments {
			out = append(out, d.Name)
		}
	case RefIndicator:
		for _, in := range p.Indicators {
			out = append(out, in.ID)
		}
	default:
		for _, g := range p.Goals {
			if kind == RefGoal {
				out = append(out, g.ID)
			}
			for _, o := range g.Objectives {
				if kind == RefObjective {
					out = append(out, o.ID)
				}
				for _, s := range o.Strategies {
					if kind == RefStrategy {
						out = append(out, s.ID)
					}
				}
			}
		}
	}
	return out
}

// checkColumnRules checks values, synonyms, percent and refers of a column.
func (c *checker) checkColumnRules(d *Dataset, col *Column) {
	where := fmt.Sprintf("dataset %s: column %s", d.Name, col.Name)
	if len(col.Values) > 0 || len(col.Synonyms) > 0 {
		if col.Type != TypeText {
			c.errf(col.KeyLine("values"), "%s: values and synonyms need a text column, not %s", where, col.Type)
		}
		seen := map[string]string{}
		for _, v := range col.Values {
			n := NormalizeWord(v)
			if n == "" {
				c.errf(col.KeyLine("values"), "%s: a value has no letters or digits", where)
				continue
			}
			if prev, dup := seen[n]; dup {
				c.errf(col.KeyLine("values"), "%s: values %q and %q are the same word", where, prev, v)
			}
			seen[n] = v
		}
		if len(col.Synonyms) > 0 && len(col.Values) == 0 {
			c.errf(col.KeyLine("synonyms"), "%s: synonyms need a list of values", where)
		}
		keys := make([]string, 0, len(col.Synonyms))
		for k := range col.Synonyms {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		syn := map[string]string{}
		for _, k := range keys {
			target := col.Synonyms[k]
			n := NormalizeWord(k)
			if v, clash := seen[n]; clash {
				c.errf(col.KeyLine("synonyms"), "%s: synonym %q is already the value %q", where, k, v)
			}
			if prev, dup := syn[n]; dup {
				c.errf(col.KeyLine("synonyms"), "%s: synonyms %q and %q are the same word", where, prev, k)
			}
			syn[n] = k
			found := false
			for _, v := range col.Values {
				if v == target {
					found = true
				}
			}
			if !found && len(col.Values) > 0 {
				c.errf(col.KeyLine("synonyms"), "%s: synonym %q means %q, which is not one of the values (%s)", where, k, target, strings.Join(col.Values, ", "))
			}
		}
	}
	switch col.Percent {
	case "":
	case PercentPoints:
		if col.Type != TypeDecimal {
			c.errf(col.KeyLine("percent"), "%s: percent: points needs a decimal column, not %s", where, col.Type)
		}
	default:
		c.errf(col.KeyLine("percent"), "%s: percent %q must be points", where, col.Percent)
	}
	if col.Refers != "" {
		if !refKinds[col.Refers] {
			c.errf(col.KeyLine("refers"), "%s: refers %q must be one of %s", where, col.Refers, strings.Join(sortedKeys(refKinds), ", "))
		} else if col.Type != TypeText {
			c.errf(col.KeyLine("refers"), "%s: refers needs a text column, not %s", where, col.Type)
		}
	}
}
