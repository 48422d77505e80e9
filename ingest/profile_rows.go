package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

// This file reads the rows of the sheets a profile selected, through their
// layouts: skip rules, filters, the crosswalk, unpivoting, joins and sums.

// maxSkipExamples caps the cells shown for each reason rows were skipped.
const maxSkipExamples = 5

// engine reads one file through one declared profile.
type engine struct {
	file  string
	w     *Workbook
	top   *topRows
	p     *plan.Plan
	prof  *plan.Profile
	opt   Options
	set   map[string]string
	res   *ReadResult
	outs  []*output
	skips map[string]int // reason -> index in res.Skipped
	rules []skipRule
	xw    *crosswalk
	// unmapped counts the accounts the crosswalk did not know.
	unmapped map[string]bool
}

type skipRule struct {
	r  *plan.SkipRule
	re *regexp.Regexp
}

func (s skipRule) test(v string) bool {
	switch {
	case s.r.Equals != nil:
		return strings.EqualFold(strings.TrimSpace(v), strings.TrimSpace(*s.r.Equals))
	case s.r.Matches != "":
		return s.re.MatchString(v)
	case s.r.NotMatches != "":
		return !s.re.MatchString(v)
	case s.r.Blank:
		return v == ""
	}
	return false
}

// output gathers the rows of one dataset.
type output struct {
	ds      *plan.Dataset
	batch   *Batch
	join    []string
	pending []*pendRow
	index   map[string]int
}

// pendRow is a row held back for a join or a sum.
type pendRow struct {
	sheet string
	line  int
	vals  []any
	refs  []string // sheet!cell each value came from
	first string   // the first cell of its first source row
}

func (e *engine) output(ds *plan.Dataset) *output {
	for _, o := range e.outs {
		if o.ds == ds {
			return o
		}
	}
	o := &output{ds: ds, batch: &Batch{Dataset: ds, Columns: make([]string, len(ds.Columns))}, index: map[string]int{}}
	for i, c := range ds.Columns {
		o.batch.Columns[i] = c.Name
	}
	if len(e.prof.Join) > 0 {
		o.join = e.prof.Join
	}
	e.outs = append(e.outs, o)
	e.res.Batches = append(e.res.Batches, o.batch)
	return o
}

// run reads every sheet of the profile.
func (e *engine) run() error {
	for _, s := range e.prof.Skip {
		sr := skipRule{r: s}
		pat := s.Matches
		if pat == "" {
			pat = s.NotMatches
		}
		if pat != "" {
			re, err := plan.CompileRegexp(pat)
			if err != nil {
				return fmt.Errorf("ingest: profile %s: %w", e.prof.Name, err)
			}
			sr.re = re
		}
		e.rules = append(e.rules, sr)
	}
	if r := e.prof.Crosswalk; r != nil {
		cw := e.p.ResolveCrosswalk(r)
		if cw == nil {
			return fileErr(e.file, "the profile %s maps accounts to the plan's categories and sources with the crosswalk %q, which the plan file does not declare; add a crosswalk named %s (crosswalks:) that maps account codes or names to category and source",
				e.prof.Name, r.Use, r.Use)
		}
		xw, err := compileCrosswalk(cw)
		if err != nil {
			return fmt.Errorf("ingest: profile %s: %w", e.prof.Name, err)
		}
		e.xw = xw
	}
	jobs, missing := resolveSheets(e.w, e.prof)
	if len(missing) > 0 {
		var names []string
		for _, m := range missing {
			names = append(names, m.Describe())
		}
		return fileErr(e.file, "the profile %s reads the sheet %s, which the workbook does not have; its sheets are %s",
			e.prof.Name, strings.Join(names, ", "), sheetNames(e.w))
	}
	if len(jobs) == 0 {
		// No sheet listed: the sheet whose header fits best.
		var best string
		bestScore := 0
		for _, s := range e.w.sheets {
			if !s.Visible && len(e.w.sheets) > 1 {
				continue
			}
			sp, err := newSheetPlan(e.p, e.prof, sheetJob{sheet: s.Name})
			if err != nil {
				return err
			}
			rows, err := e.top.get(s.Name, sp.hs.Search, sp.hs.Row)
			if err != nil {
				return err
			}
			if _, sc := sp.locate(rows); sc > bestScore {
				best, bestScore = s.Name, sc
			}
		}
		if best == "" {
			best = e.w.sheets[0].Name
		}
		jobs = []sheetJob{{sheet: best}}
	}
	for _, job := range jobs {
		if err := e.readSheet(job); err != nil {
			return err
		}
	}
	e.finish()
	return nil
}

func sheetNames(w *Workbook) string {
	var q []string
	for _, s := range w.sheets {
		q = append(q, strconv.Quote(s.Name))
	}
	return strings.Join(q, ", ")
}

// readSheet reads one sheet through its layout.
func (e *engine) readSheet(job sheetJob) error {
	sp, err := newSheetPlan(e.p, e.prof, job)
	if err != nil {
		return err
	}
	top, err := e.top.get(job.sheet, sp.hs.Search, sp.hs.Row)
	if err != nil {
		return err
	}
	idx, score := sp.locate(top)
	where := fmt.Sprintf("sheet %q", job.sheet)
	if e.w.Kind() == KindCSV {
		where = "the file"
	}
	if idx < 0 || score == 0 {
		if job.entry != nil && job.entry.Optional {
			e.res.Sheets = append(e.res.Sheets, SheetReport{Sheet: job.sheet, Dataset: sp.ds.Name, Note: "no header row found; sheet not read"})
			return nil
		}
		if sp.hs.Row > 0 {
			return fileErr(e.file, "row %d of %s should be the header, but it names none of %s", sp.hs.Row, where, expectedHeaders(sp))
		}
		return fileErr(e.file, "found no header row in the first %d non-blank rows of %s; the profile %s expects headers such as %s",
			sp.hs.Search, where, e.prof.Name, expectedHeaders(sp))
	}
	env := &plan.TemplateEnv{Place: e.p.Place, Set: e.set, Sheet: job.sheet, File: baseName(e.file)}
	po := e.w.ParseOptions()
	L, err := buildLayout(e.file, sp, top, idx, env, po)
	if err != nil {
		return err
	}
	filters, err := e.compileFilters(L, env)
	if err != nil {
		return err
	}
	out := e.output(sp.ds)
	L.crosswalk = e.xw != nil && e.xw.fills(sp.ds)
	e.res.Sheets = append(e.res.Sheets, L.report)
	s, err := e.w.Rows(job.sheet)
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		row, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if row.Line <= L.hdr.Line || blankFrom(row, sp.start) {
			continue
		}
		e.res.RowsRead++
		e.take(L, out, row, po, filters)
	}
	return nil
}

func blankFrom(r RawRow, start int) bool {
	for i := start; i < len(r.Cells); i++ {
		if strings.TrimSpace(r.Cells[i]) != "" {
			return false
		}
	}
	return true
}

func expectedHeaders(sp *sheetPlan) string {
	var out []string
	for _, h := range sp.headers {
		if len(out) == 8 {
			break
		}
		out = append(out, strconv.Quote(h.spec.Header[0]))
	}
	if len(sp.rules) > 0 {
		out = append(out, "columns matching "+describeRules(sp.rules))
	}
	if sp.matcher != nil {
		out = append(out, describeColumns(requiredFirst(sp.ds)))
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

// compiledFilter is a filter with its values filled in for a sheet.
type compiledFilter struct {
	f      *plan.RowFilter
	values map[string]bool
	re     *regexp.Regexp
	src    *source
	report int // index in ReadResult.Filters
}

func (e *engine) compileFilters(L *sheetLayout, env *plan.TemplateEnv) ([]*compiledFilter, error) {
	var out []*compiledFilter
	for _, f := range e.prof.Filters {
		rep := FilterReport{Sheet: L.sheet, Description: describeFilter(f, nil)}
		cf := &compiledFilter{f: f, src: L.sources[f.Field]}
		if cf.src == nil || (cf.src.col < 0 && cf.src.konst == nil) {
			// The file lacks an optional column: the filter cannot apply.
			rep.Description += " (not applied: the sheet has no such column)"
			e.res.Filters = append(e.res.Filters, rep)
			continue
		}
		switch {
		case f.Matches != "":
			re, err := plan.CompileRegexp(f.Matches)
			if err != nil {
				return nil, fmt.Errorf("ingest: profile %s: %w", e.prof.Name, err)
			}
			cf.re = re
		default:
			cf.values = map[string]bool{}
			var written []string
			tmpls := append(plan.Texts{}, f.In...)
			if f.Equals != "" {
				tmpls = append(tmpls, f.Equals)
			}
			for _, s := range tmpls {
				t, err := plan.ParseTemplate(s)
				if err != nil {
					return nil, fmt.Errorf("ingest: profile %s: %w", e.prof.Name, err)
				}
				vs, err := t.Expand(env)
				if err != nil {
					return nil, fileErr(e.file, "the profile %s keeps only the rows where %s, but %v", e.prof.Name, describeFilter(f, nil), err)
				}
				for _, v := range vs {
					cf.values[idFold(v)] = true
					written = append(written, strings.TrimSpace(v))
				}
			}
			rep.Description = describeFilter(f, written)
		}
		cf.report = len(e.res.Filters)
		e.res.Filters = append(e.res.Filters, rep)
		out = append(out, cf)
	}
	return out, nil
}

// describeFilter says what a filter keeps: "NTD ID is 90022".
func describeFilter(f *plan.RowFilter, values []string) string {
	name := f.Describe
	if name == "" {
		name = f.Field
	}
	if f.Matches != "" {
		return fmt.Sprintf("%s matches %s", name, f.Matches)
	}
	if values == nil {
		values = append(plan.Texts{}, f.In...)
		if f.Equals != "" {
			values = append(values, f.Equals)
		}
	}
	if len(values) == 1 {
		return fmt.Sprintf("%s is %s", name, values[0])
	}
	shown := values
	if len(shown) > 12 {
		shown = append(append([]string{}, shown[:12]...), fmt.Sprintf("and %d more", len(values)-12))
	}
	return fmt.Sprintf("%s is one of %s", name, strings.Join(shown, ", "))
}

func (cf *compiledFilter) keep(v string) bool {
	if cf.re != nil {
		return cf.re.MatchString(v)
	}
	return cf.values[idFold(v)]
}

// idFold folds a value for comparison as an id: case and runs of spaces do
// not count, and a whole number is compared without leading zeros or a
// trailing .0, so a cell holding the number 90022 (or 1 shown as 00001)
// matches the text "90022" ("00001").
func idFold(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	t := s
	if i := strings.IndexByte(t, '.'); i > 0 && strings.Trim(t[i+1:], "0") == "" {
		t = t[:i]
	}
	if t != "" && allDigits(t) {
		t = strings.TrimLeft(t, "0")
		if t == "" {
			t = "0"
		}
		return t
	}
	return s
}

// text is the value of a field or column as text: trimmed, whole numbers
// padded to the spec's digits.
func (src *source) text(row RawRow) string {
	var s string
	switch {
	case src.col >= 0:
		s = row.Cell(src.col)
		if len(s) > DefaultMaxCellBytes {
			s = s[:DefaultMaxCellBytes]
		}
	case src.konst != nil:
		s = *src.konst
	}
	s = strings.TrimSpace(s)
	if src.spec != nil && src.spec.Digits > 0 {
		s = padDigits(s, src.spec.Digits)
	}
	return s
}

func (src *source) ref(sheet string, row RawRow) string {
	if src.col >= 0 {
		return sheet + "!" + row.Ref(src.col)
	}
	return sheet + "!" + row.Ref(0)
}

// padDigits left-pads a whole number (possibly written 12.0) to n digits.
func padDigits(s string, n int) string {
	t := s
	if i := strings.IndexByte(t, '.'); i > 0 && strings.Trim(t[i+1:], "0") == "" {
		t = t[:i]
	}
	if t == "" || !allDigits(t) || len(t) >= n {
		return s
	}
	return strings.Repeat("0", n-len(t)) + t
}

// convert reads a cell's raw text as a column type, as the spec says values
// are written.
func convert(raw, typ string, spec *plan.FieldSpec, po ParseOptions, maxCell int) (any, error) {
	if len(raw) > maxCell {
		return nil, bad(fmt.Sprintf("is too long (%d bytes; the most a cell may hold is %d)", len(raw), maxCell))
	}
	s := strings.TrimSpace(raw)
	if spec != nil {
		for _, z := range spec.Zero {
			if (strings.EqualFold(z, "blank") && s == "") || (!strings.EqualFold(z, "blank") && s != "" && strings.EqualFold(s, strings.TrimSpace(z))) {
				s = "0"
				break
			}
		}
		if spec.Suffixes {
			s = expandSuffix(s)
		}
		if spec.Digits > 0 && typ == plan.TypeText {
			s = padDigits(s, spec.Digits)
		}
	}
	v, err := ParseValue(typ, s, po)
	if err != nil || v == nil || spec == nil || spec.Scale <= 1 {
		return v, err
	}
	return scaleValue(v, spec.Scale)
}

// expandSuffix rewrites 1.2M as 1.2e6 (and K, B), so the number parser keeps
// it exact.
func expandSuffix(s string) string {
	if len(s) > 2 && s[0] == '(' && s[len(s)-1] == ')' {
		return "(" + expandSuffix(strings.TrimSpace(s[1:len(s)-1])) + ")"
	}
	if len(s) < 2 {
		return s
	}
	var exp string
	switch s[len(s)-1] {
	case 'k', 'K':
		exp = "e3"
	case 'm', 'M':
		exp = "e6"
	case 'b', 'B':
		exp = "e9"
	default:
		return s
	}
	body := strings.TrimSpace(s[:len(s)-1])
	if strings.ContainsAny(body, "eE%()") || body == "" || body[len(body)-1] < '0' || body[len(body)-1] > '9' {
		return s
	}
	return body + exp
}

func scaleValue(v any, k int64) (any, error) {
	switch x := v.(type) {
	case int64:
		if x != 0 && (x > math.MaxInt64/k || x < math.MinInt64/k) {
			return nil, bad(msgRange)
		}
		return x * k, nil
	case Money:
		c := int64(x)
		if c != 0 && (c > maxMoneyCents/k || c < -maxMoneyCents/k) {
			return nil, bad(msgRange)
		}
		return Money(c * k), nil
	case float64:
		return x * float64(k), nil
	}
	return v, nil
}

// take reads one data row.
func (e *engine) take(L *sheetLayout, out *output, row RawRow, po ParseOptions, filters []*compiledFilter) {
	sheet := L.sheet
	// Rows that are not data.
	for _, sr := range e.rules {
		if sr.r.Anywhere {
			for c := L.sp.start; c < len(row.Cells); c++ {
				if t := strings.TrimSpace(row.Cells[c]); t != "" && sr.test(t) {
					e.skip(sr.r.Reason, sheet+"!"+row.Ref(c))
					return
				}
			}
			continue
		}
		src := L.sources[sr.r.Field]
		if src == nil || (src.col < 0 && src.konst == nil) {
			continue
		}
		if sr.test(src.text(row)) {
			e.skip(sr.r.Reason, src.ref(sheet, row))
			return
		}
	}
	// Rows for the plan's place.
	for _, cf := range filters {
		rep := &e.res.Filters[cf.report]
		rep.Total++
		if !cf.keep(cf.src.text(row)) {
			return
		}
		rep.Kept++
	}
	ds := L.sp.ds
	n := len(ds.Columns)
	vals := make([]any, n)
	copy(vals, L.defaults)
	refs := make([]string, n)
	first := sheet + "!" + row.Ref(L.sp.start)
	var errs []CellError
	fail := func(ref string, line int, col *plan.Column, value, msg string) {
		cell := ref
		if i := strings.LastIndexByte(ref, '!'); i >= 0 {
			cell = ref[i+1:]
		}
		errs = append(errs, CellError{Sheet: sheet, Cell: cell, Row: line, Column: col.Name, Value: value, Message: msg})
	}
	for i, src := range L.colSrc {
		if src == nil || (src.col < 0 && src.konst == nil) {
			continue
		}
		col := ds.Columns[i]
		raw := ""
		if src.col >= 0 {
			raw = row.Cell(src.col)
		} else {
			raw = *src.konst
		}
		v, err := convert(raw, col.Type, src.spec, po, e.opt.MaxCellBytes)
		if err == nil && v != nil {
			v, err = columnValue(col, raw, v, e.opt.plan)
		}
		ref := src.ref(sheet, row)
		if err != nil {
			fail(ref, row.Line, col, shorten(strings.TrimSpace(raw), 200), err.Error())
			continue
		}
		vals[i], refs[i] = v, ref
	}
	// The crosswalk from accounts to the plan's categories.
	if L.crosswalk {
		e.crosswalk(L, row, vals, refs, fail)
	}
	// Unpivot, or the row as it is.
	var rows [][]any
	var rowRefs [][]string
	if len(L.cells) > 0 {
		byGroup := make([]int, len(L.groups))
		for i := range byGroup {
			byGroup[i] = -1
		}
		for _, uc := range L.cells {
			col := ds.Columns[uc.value]
			raw := row.Cell(uc.col)
			v, err := convert(raw, col.Type, uc.spec, po, e.opt.MaxCellBytes)
			if err == nil && v != nil {
				v, err = columnValue(col, raw, v, e.opt.plan)
			}
			ref := sheet + "!" + row.Ref(uc.col)
			if err != nil {
				fail(ref, row.Line, col, shorten(strings.TrimSpace(raw), 200), err.Error())
				continue
			}
			if v == nil {
				continue
			}
			gi := byGroup[uc.group]
			if gi < 0 {
				gi = len(rows)
				byGroup[uc.group] = gi
				r := append([]any(nil), vals...)
				rr := append([]string(nil), refs...)
				for ci, sv := range L.groups[uc.group].set {
					r[ci], rr[ci] = sv, sheet+"!"+row.Ref(uc.col)
				}
				rows, rowRefs = append(rows, r), append(rowRefs, rr)
			}
			rows[gi][uc.value], rowRefs[gi][uc.value] = v, ref
		}
		if len(rows) == 0 && len(errs) == 0 {
			e.skip("no value in any column to unpivot", first)
			return
		}
	} else {
		rows, rowRefs = [][]any{vals}, [][]string{refs}
	}
	if len(out.join) == 0 {
		for ri, r := range rows {
			for i, col := range ds.Columns {
				if col.Required && r[i] == nil {
					ref := rowRefs[ri][i]
					if ref == "" {
						ref = L.refFor(row, i, r)
					}
					fail(ref, row.Line, col, "", msgRequired)
				}
			}
		}
	}
	if len(errs) > 0 {
		e.reject(sheet, row.Line, errs)
		return
	}
	for ri, r := range rows {
		p := &pendRow{sheet: sheet, line: row.Line, vals: r, refs: rowRefs[ri], first: first}
		if len(out.join) == 0 && e.prof.Combine == "" {
			out.batch.Rows = append(out.batch.Rows, Row{Sheet: sheet, Line: row.Line, Values: r})
			continue
		}
		if len(out.join) == 0 {
			out.pending = append(out.pending, p)
			continue
		}
		e.merge(out, p, L, row)
	}
}

// refFor names the cell that should have held column i of a row: its
// unpivot cell when it has one, else the row's first cell.
func (L *sheetLayout) refFor(row RawRow, i int, vals []any) string {
	for _, uc := range L.cells {
		if uc.value != i {
			continue
		}
		match := true
		for ci, v := range L.groups[uc.group].set {
			if !sameTyped(vals[ci], v) {
				match = false
			}
		}
		if match {
			return L.sheet + "!" + row.Ref(uc.col)
		}
	}
	return L.sheet + "!" + row.Ref(L.sp.start)
}

// merge joins a row into the row with the same join values.
func (e *engine) merge(out *output, p *pendRow, L *sheetLayout, row RawRow) {
	ds := out.ds
	var key strings.Builder
	for _, name := range out.join {
		if i := columnIndex(ds, name); i >= 0 && (L.sources[name] == nil || L.sources[name].column != nil) {
			key.WriteString(idFold(formatValue(p.vals[i])))
		} else if src := L.sources[name]; src != nil {
			key.WriteString(idFold(src.text(row)))
		}
		key.WriteByte(0)
	}
	k := key.String()
	j, ok := out.index[k]
	if !ok {
		out.index[k] = len(out.pending)
		out.pending = append(out.pending, p)
		return
	}
	q := out.pending[j]
	var errs []CellError
	for i, v := range p.vals {
		if v == nil {
			continue
		}
		if q.vals[i] == nil {
			q.vals[i], q.refs[i] = v, p.refs[i]
			continue
		}
		if !sameTyped(q.vals[i], v) {
			cell := p.refs[i]
			if x := strings.LastIndexByte(cell, '!'); x >= 0 {
				cell = cell[x+1:]
			}
			errs = append(errs, CellError{Sheet: p.sheet, Cell: cell, Row: p.line, Column: ds.Columns[i].Name, Value: formatValue(v),
				Message: fmt.Sprintf("differs from %s (%s) for the same %s", q.refs[i], formatValue(q.vals[i]), strings.Join(out.join, ", "))})
		}
	}
	if len(errs) > 0 {
		e.reject(p.sheet, p.line, errs)
	}
}

// crosswalk sets the columns the crosswalk gives the row's account.
func (e *engine) crosswalk(L *sheetLayout, row RawRow, vals []any, refs []string, fail func(string, int, *plan.Column, string, string)) {
	r := e.prof.Crosswalk
	var code, name, ref string
	if src := L.sources[r.Code]; r.Code != "" && src != nil {
		code, ref = src.text(row), src.ref(L.sheet, row)
	}
	if src := L.sources[r.Name]; r.Name != "" && src != nil {
		name = src.text(row)
		if ref == "" || code == "" {
			ref = src.ref(L.sheet, row)
		}
	}
	if ref == "" {
		ref = L.sheet + "!" + row.Ref(L.sp.start)
	}
	entry := e.xw.lookup(code, name)
	otherwise := false
	if entry == nil {
		account := strings.TrimSpace(code + " " + name)
		if account != "" && !e.unmapped[account] {
			e.unmapped[account] = true
			e.res.Unmapped = append(e.res.Unmapped, account)
		}
		entry, otherwise = e.xw.otherwise, true
		if entry == nil {
			return
		}
	}
	env := &plan.TemplateEnv{Place: e.p.Place, Set: e.set, Sheet: L.sheet, File: baseName(e.file), Code: code, Name: name}
	ds := L.sp.ds
	for _, s := range entry.sets {
		i := columnIndex(ds, s.column)
		if i < 0 {
			continue
		}
		if otherwise && vals[i] != nil && L.colSrc[i] != nil {
			continue // the file's own value wins over the fallback
		}
		col := ds.Columns[i]
		txt, err := s.tmpl.ExpandOne(env)
		if err != nil {
			fail(ref, row.Line, col, shorten(strings.TrimSpace(code+" "+name), 80), "is an account the crosswalk cannot name: "+err.Error())
			continue
		}
		v, err := ParseValue(col.Type, txt, ParseOptions{})
		if err != nil {
			fail(ref, row.Line, col, shorten(txt, 80), err.Error()+" (from the crosswalk)")
			continue
		}
		vals[i], refs[i] = v, ref
	}
}

type crosswalk struct {
	entries   []*xwEntry
	otherwise *xwEntry
}

// fills reports whether the crosswalk sets a column of the dataset: a
// profile that fills several datasets uses it only for those.
func (cw *crosswalk) fills(ds *plan.Dataset) bool {
	for _, x := range append(append([]*xwEntry{}, cw.entries...), cw.otherwise) {
		if x == nil {
			continue
		}
		for _, s := range x.sets {
			if ds.Column(s.column) != nil {
				return true
			}
		}
	}
	return false
}

type xwEntry struct {
	codes map[string]bool
	names map[string]bool
	re    *regexp.Regexp
	sets  []compiledSet
}

func compileCrosswalk(cw *plan.Crosswalk) (*crosswalk, error) {
	out := &crosswalk{}
	comp := func(ce *plan.CrosswalkEntry) (*xwEntry, error) {
		x := &xwEntry{codes: map[string]bool{}, names: map[string]bool{}}
		for _, c := range ce.Code {
			x.codes[idFold(c)] = true
		}
		for _, n := range ce.Name {
			x.names[nameFold(n)] = true
		}
		if ce.Match != "" {
			re, err := plan.CompileRegexp(ce.Match)
			if err != nil {
				return nil, err
			}
			x.re = re
		}
		for _, a := range ce.Set {
			t, err := plan.ParseTemplate(a.Value)
			if err != nil {
				return nil, err
			}
			x.sets = append(x.sets, compiledSet{column: a.Column, tmpl: t})
		}
		return x, nil
	}
	for _, ce := range cw.Entries {
		if ce == nil {
			continue
		}
		x, err := comp(ce)
		if err != nil {
			return nil, err
		}
		out.entries = append(out.entries, x)
	}
	if cw.Otherwise != nil {
		x, err := comp(cw.Otherwise)
		if err != nil {
			return nil, err
		}
		out.otherwise = x
	}
	return out, nil
}

// nameFold folds an account name: case and runs of spaces do not count.
func nameFold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// lookup finds the first entry that matches the account's code or name.
func (cw *crosswalk) lookup(code, name string) *xwEntry {
	fc, fn := idFold(code), nameFold(name)
	for _, x := range cw.entries {
		switch {
		case code != "" && x.codes[fc]:
			return x
		case name != "" && x.names[fn]:
			return x
		case x.re != nil && name != "" && x.re.MatchString(name):
			return x
		case x.re != nil && name == "" && code != "" && x.re.MatchString(code):
			return x
		}
	}
	return nil
}

// skip counts a row left out, with its reason.
func (e *engine) skip(reason, ref string) {
	i, ok := e.skips[reason]
	if !ok {
		i = len(e.res.Skipped)
		e.skips[reason] = i
		e.res.Skipped = append(e.res.Skipped, SkipReport{Reason: reason})
	}
	s := &e.res.Skipped[i]
	s.Count++
	if len(s.Examples) < maxSkipExamples {
		s.Examples = append(s.Examples, ref)
	}
}

// reject records a row's errors: the file is refused, or, when the profile
// allows it, the row is left out and listed.
func (e *engine) reject(sheet string, line int, errs []CellError) {
	if e.prof.OnError == plan.OnErrorSkip {
		e.res.BadRowsSkipped = append(e.res.BadRowsSkipped, errs...)
		e.skip(reasonBadRow, fmt.Sprintf("%s!%s", errs[0].Sheet, errs[0].Cell))
		return
	}
	e.res.ErrorCount += len(errs)
	for _, ce := range errs {
		if len(e.res.Errors) < e.opt.MaxErrors {
			e.res.Errors = append(e.res.Errors, ce)
		}
	}
	e.res.Rejected = append(e.res.Rejected, line)
}

// reasonBadRow is the skip reason of rows left out for a bad value.
const reasonBadRow = "a bad or missing value (the profile skips such rows; each is listed)"

// anyRef is the cell of a value of the row that is not a join value, or
// its first cell.
func (p *pendRow) anyRef(ds *plan.Dataset, join []string) string {
	for i, r := range p.refs {
		if r != "" && p.vals[i] != nil && !containsString(join, ds.Columns[i].Name) {
			return r
		}
	}
	return p.first
}

func containsString(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// sheetOf names the sheets whose cells give the column, for a message.
func (e *engine) sheetOf(column string) string {
	var names []string
	for _, s := range e.prof.Sheets {
		v := s.Value
		for _, r := range e.prof.UnpivotFor(s) {
			if r.Value != "" {
				v = r.Value
			}
		}
		if v == column || s.Columns.Get(column) != nil {
			names = append(names, s.Describe())
		}
	}
	if len(names) == 0 {
		return "no sheet"
	}
	return "sheet " + strings.Join(names, " or ")
}

// finish checks joined rows and adds up rows with the same key.
func (e *engine) finish() {
	for _, o := range e.outs {
		var rows []*pendRow
		if len(o.join) > 0 {
			for _, p := range o.pending {
				var errs []CellError
				for i, col := range o.ds.Columns {
					if col.Required && p.vals[i] == nil {
						ref := p.refs[i]
						msg := msgRequired
						if ref == "" {
							// No sheet had a cell for it: point at a value
							// that made the row, and say where it is missing.
							ref = p.anyRef(o.ds, o.join)
							msg = fmt.Sprintf("is required, but %s has none for this %s", e.sheetOf(col.Name), strings.Join(o.join, ", "))
						}
						sheet, cell, _ := strings.Cut(ref, "!")
						errs = append(errs, CellError{Sheet: sheet, Cell: cell, Row: p.line, Column: col.Name, Message: msg})
					}
				}
				if len(errs) > 0 {
					e.reject(p.sheet, p.line, errs)
					continue
				}
				rows = append(rows, p)
			}
		} else {
			rows = o.pending
		}
		if e.prof.Combine == plan.CombineSum {
			rows = e.combine(o, rows)
		}
		for _, p := range rows {
			o.batch.Rows = append(o.batch.Rows, Row{Sheet: p.sheet, Line: p.line, Values: p.vals})
		}
		o.pending, o.index = nil, nil
	}
}

// combine adds up the rows with the same dataset key, column by column; a
// blank adds nothing, and a sum of blanks stays blank.
func (e *engine) combine(o *output, rows []*pendRow) []*pendRow {
	var key []int
	for _, k := range o.ds.Key {
		key = append(key, columnIndex(o.ds, k))
	}
	index := map[string]int{}
	var out []*pendRow
	var sb strings.Builder
	for _, p := range rows {
		sb.Reset()
		for _, i := range key {
			if i >= 0 {
				sb.WriteString(formatValue(p.vals[i]))
			}
			sb.WriteByte(0)
		}
		j, ok := index[sb.String()]
		if !ok {
			index[sb.String()] = len(out)
			out = append(out, p)
			continue
		}
		q := out[j]
		e.res.Combined++
		for i, v := range p.vals {
			if v == nil || containsInt(key, i) {
				continue
			}
			sum, ok := addValues(q.vals[i], v)
			if !ok {
				col := o.ds.Columns[i]
				sheet, cell, _ := strings.Cut(p.refs[i], "!")
				e.reject(p.sheet, p.line, []CellError{{Sheet: sheet, Cell: cell, Row: p.line, Column: col.Name, Value: formatValue(v),
					Message: "makes the total of its " + strings.Join(o.ds.Key, ", ") + " too large"}})
				continue
			}
			q.vals[i] = sum
		}
	}
	return out
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// addValues adds two values of one column; ok is false on overflow.
func addValues(a, b any) (any, bool) {
	if a == nil {
		return b, true
	}
	switch x := a.(type) {
	case Money:
		y, _ := b.(Money)
		s := int64(x) + int64(y)
		if s > maxMoneyCents || s < -maxMoneyCents {
			return a, false
		}
		return Money(s), true
	case int64:
		y, _ := b.(int64)
		s := x + y
		if (y > 0 && s < x) || (y < 0 && s > x) {
			return a, false
		}
		return s, true
	case float64:
		y, _ := b.(float64)
		return x + y, true
	}
	return a, true // text and dates: the first row's value stands
}

func sameTyped(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}

// formatValue writes a typed value as text: 2024-07-01, 1234.50.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case Money:
		return x.String()
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.Format("2006-01-02")
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
