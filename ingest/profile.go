package ingest

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/plandash/plandash/internal/plan"
)

// This file finds, for a profile, the sheets of a file, the header of each
// and where every value of a row comes from (a sheetLayout). profile_rows.go
// then reads the rows through the layout.

// topRows caches the first non-blank rows of each sheet, so that detection
// can try every profile without unpacking a large sheet again for each.
type topRows struct {
	w    *Workbook
	rows map[string][]RawRow
	eof  map[string]bool
}

func newTopRows(w *Workbook) *topRows {
	return &topRows{w: w, rows: map[string][]RawRow{}, eof: map[string]bool{}}
}

// maxTopRows bounds how far down a header is looked for.
const maxTopRows = 1000

// get returns up to n non-blank rows from the top of the sheet, and at least
// every row up to line upTo (for a header at a fixed row).
func (t *topRows) get(sheet string, n, upTo int) ([]RawRow, error) {
	n = min(n, maxTopRows)
	upTo = min(upTo, 100000)
	have := t.rows[sheet]
	enough := func(rs []RawRow) bool {
		return len(rs) >= n && (upTo == 0 || (len(rs) > 0 && rs[len(rs)-1].Line >= upTo))
	}
	if t.eof[sheet] || enough(have) {
		return have, nil
	}
	s, err := t.w.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var rows []RawRow
	for !enough(rows) {
		r, err := s.Next()
		if errors.Is(err, io.EOF) {
			t.eof[sheet] = true
			break
		}
		if err != nil {
			return nil, err
		}
		if !r.Blank() {
			rows = append(rows, r)
		}
	}
	t.rows[sheet] = rows
	return rows, nil
}

// sheetJob is one sheet to read and the profile entry that selected it.
type sheetJob struct {
	sheet string
	entry *plan.ProfileSheet // nil when the profile lists no sheets
}

// resolveSheets finds the sheets a profile reads. missing lists the entries
// that are not optional and select no sheet. A profile without sheet entries
// yields no job for a workbook: the best sheet is chosen by its header.
func resolveSheets(w *Workbook, prof *plan.Profile) (jobs []sheetJob, missing []*plan.ProfileSheet) {
	if w.Kind() == KindCSV {
		var e *plan.ProfileSheet
		if len(prof.Sheets) > 0 {
			e = prof.Sheets[0]
		}
		return []sheetJob{{sheet: w.sheets[0].Name, entry: e}}, nil
	}
	taken := map[string]bool{}
	for _, e := range prof.Sheets {
		var re *regexp.Regexp
		if e.Pattern != "" {
			re, _ = plan.CompileRegexp(e.Pattern)
		}
		found := false
		for _, s := range w.sheets {
			if taken[s.Name] {
				continue
			}
			ok := false
			if re != nil {
				ok = re.MatchString(strings.TrimSpace(s.Name))
			} else {
				for _, n := range e.Name {
					if NormalizeHeader(n) != "" && NormalizeHeader(n) == NormalizeHeader(s.Name) {
						ok = true
					}
				}
			}
			if ok {
				taken[s.Name] = true
				jobs = append(jobs, sheetJob{sheet: s.Name, entry: e})
				found = true
			}
		}
		if !found && !e.Optional {
			missing = append(missing, e)
		}
	}
	return jobs, missing
}

// headerSpec is a header-sourced spec with its normalized aliases.
type headerSpec struct {
	spec    *plan.FieldSpec
	column  *plan.Column // nil for a field
	aliases []string
	group   string
}

// compiledRule is an unpivot rule with its patterns.
type compiledRule struct {
	rule   *plan.UnpivotRule
	header *regexp.Regexp
	group  *regexp.Regexp
	value  string
	sets   []compiledSet
}

type compiledSet struct {
	column string
	tmpl   *plan.Template
}

// sheetPlan is what a profile expects of one sheet: its dataset, its specs
// and rules, where its header is.
type sheetPlan struct {
	job     sheetJob
	ds      *plan.Dataset
	columns plan.FieldMap
	fields  plan.FieldMap
	headers []headerSpec
	rules   []compiledRule
	hs      plan.HeaderSpec
	start   int // first column of the table
	matcher *Matcher
	dsHdr   bool
}

func newSheetPlan(p *plan.Plan, prof *plan.Profile, job sheetJob) (*sheetPlan, error) {
	sp := &sheetPlan{job: job, dsHdr: prof.DatasetHeaders}
	dsName := prof.SheetDataset(job.entry)
	sp.ds = p.Datasets[dsName]
	if sp.ds == nil {
		return nil, fmt.Errorf("ingest: profile %s fills dataset %q, which the plan does not have", prof.Name, dsName)
	}
	if err := checkDataset(sp.ds); err != nil {
		return nil, err
	}
	sp.columns = prof.ColumnsFor(job.entry)
	sp.fields = prof.FieldsFor(job.entry)
	sp.hs = prof.HeaderFor(job.entry)
	sp.start, _ = plan.HeaderColumn(sp.hs.Column)
	add := func(f *plan.FieldSpec, col *plan.Column) {
		if len(f.Header) == 0 {
			return
		}
		h := headerSpec{spec: f, column: col, group: NormalizeHeader(f.Group)}
		for _, a := range f.Header {
			if k := NormalizeHeader(a); k != "" {
				h.aliases = append(h.aliases, k)
			}
		}
		sp.headers = append(sp.headers, h)
	}
	for _, f := range sp.columns {
		add(f, sp.ds.Column(f.Name))
	}
	for _, f := range sp.fields {
		add(f, nil)
	}
	for _, r := range prof.UnpivotFor(job.entry) {
		cr := compiledRule{rule: r, value: r.Value}
		if cr.value == "" && job.entry != nil {
			cr.value = job.entry.Value
		}
		var err error
		if cr.header, err = plan.CompileRegexp(r.Header); err != nil {
			return nil, fmt.Errorf("ingest: profile %s: %w", prof.Name, err)
		}
		if r.Group != "" {
			if cr.group, err = plan.CompileRegexp(r.Group); err != nil {
				return nil, fmt.Errorf("ingest: profile %s: %w", prof.Name, err)
			}
		}
		for _, a := range r.Set {
			t, err := plan.ParseTemplate(a.Value)
			if err != nil {
				return nil, fmt.Errorf("ingest: profile %s: %w", prof.Name, err)
			}
			cr.sets = append(cr.sets, compiledSet{column: a.Column, tmpl: t})
		}
		sp.rules = append(sp.rules, cr)
	}
	if prof.DatasetHeaders {
		sp.matcher = NewMatcher(sp.ds)
	}
	return sp, nil
}

// headerText is a header cell as compared with a rule's pattern: trimmed,
// runs of white space as one space.
func headerText(s string) string {
	if len(s) > 1024 {
		s = s[:1024]
	}
	return strings.Join(strings.Fields(s), " ")
}

// score is how many of the sheet plan's specs and rules the row names.
func (sp *sheetPlan) score(r RawRow) int {
	cells := map[string]bool{}
	for i := sp.start; i < len(r.Cells); i++ {
		if k := normalizeCell(r.Cells[i]); k != "" {
			cells[k] = true
		}
	}
	n := 0
	for _, h := range sp.headers {
		for _, a := range h.aliases {
			if cells[a] {
				n++
				break
			}
		}
	}
	for _, cr := range sp.rules {
		for i := sp.start; i < len(r.Cells); i++ {
			if cr.header.MatchString(headerText(r.Cells[i])) {
				n++
				break
			}
		}
	}
	if sp.matcher != nil {
		n += sp.matcher.Score(RawRow{Line: r.Line, Cells: r.Cells[min(sp.start, len(r.Cells)):]})
	}
	return n
}

func normalizeCell(s string) string {
	if len(s) > 1024 {
		return ""
	}
	return NormalizeHeader(s)
}

// locate finds the header among the top rows: the row at the profile's
// fixed row, or the row that names most specs (the first on a tie). It
// returns the index in rows, or -1.
func (sp *sheetPlan) locate(rows []RawRow) (idx, score int) {
	idx = -1
	if sp.hs.Row > 0 {
		for i, r := range rows {
			if r.Line == sp.hs.Row {
				return i, sp.score(r)
			}
		}
		return -1, 0
	}
	limit := min(len(rows), sp.hs.Search)
	for i, r := range rows[:limit] {
		if s := sp.score(r); s > score {
			idx, score = i, s
		}
	}
	return idx, score
}

// groupTexts are the group headers over each column of the header row: the
// rows above it that belong to the header, a merged or blank cell carrying
// the text of the cell to its left.
func (sp *sheetPlan) groupTexts(rows []RawRow, idx int) []string {
	if sp.hs.Rows < 2 || idx < 0 {
		return nil
	}
	hdr := rows[idx]
	width := len(hdr.Cells)
	out := make([]string, width)
	for k := 1; k < sp.hs.Rows; k++ {
		line := hdr.Line - k
		var g *RawRow
		for i := idx - 1; i >= 0; i-- {
			if rows[i].Line == line {
				g = &rows[i]
				break
			}
			if rows[i].Line < line {
				break
			}
		}
		if g == nil {
			continue
		}
		carry := ""
		for c := sp.start; c < width; c++ {
			if t := headerText(g.Cell(c)); t != "" {
				carry = t
			}
			if carry != "" {
				if out[c] == "" {
					out[c] = carry
				} else {
					out[c] = carry + " " + out[c]
				}
			}
		}
	}
	return out
}

// find returns the column of the header row the spec names (its group and
// occurrence considered), or -1, and how many cells have its header.
func (sp *sheetPlan) find(hdr RawRow, groups []string, h headerSpec) (int, int) {
	var hits []int
	for c := sp.start; c < len(hdr.Cells); c++ {
		k := normalizeCell(hdr.Cells[c])
		if k == "" {
			continue
		}
		match := false
		for _, a := range h.aliases {
			if a == k {
				match = true
				break
			}
		}
		g := ""
		if c < len(groups) {
			g = groups[c]
		}
		if match && (h.group == "" || NormalizeHeader(g) == h.group) {
			hits = append(hits, c)
		}
	}
	occ := 1
	if h.spec != nil && h.spec.Occurrence > 1 {
		occ = h.spec.Occurrence
	}
	if occ > len(hits) {
		return -1, len(hits)
	}
	return hits[occ-1], len(hits)
}

// source is where one column or field of a row comes from.
type source struct {
	name   string
	col    int     // sheet column, or -1
	konst  *string // a constant's text, when col < 0
	spec   *plan.FieldSpec
	column *plan.Column // nil for a field
	header string
}

// unpivotCell is one wide column that becomes a value of a row.
type unpivotCell struct {
	col   int
	value int // dataset column index of the cell's value
	group int // index into layout.groups
	spec  *plan.FieldSpec
}

// unpivotGroup is one set of unpivot values shared by cells: one output row
// per source row.
type unpivotGroup struct {
	set map[int]any // dataset column index -> value
}

// sheetLayout is a sheet's header and where each value of a row comes from.
type sheetLayout struct {
	sp       *sheetPlan
	sheet    string
	hdr      RawRow
	groupRow []string
	env      *plan.TemplateEnv
	sources  map[string]*source // columns and fields by name
	colSrc   []*source          // by dataset column index
	defaults []any
	cells    []unpivotCell
	groups   []unpivotGroup
	report   SheetReport
	// crosswalk is set when the profile's crosswalk fills a column of the
	// sheet's dataset.
	crosswalk bool
}

// buildLayout maps the header row of a sheet. A header the profile needs and
// the sheet lacks is a *FileError.
func buildLayout(file string, sp *sheetPlan, rows []RawRow, idx int, env *plan.TemplateEnv, po ParseOptions) (*sheetLayout, error) {
	hdr := rows[idx]
	L := &sheetLayout{sp: sp, sheet: sp.job.sheet, hdr: hdr, env: env, sources: map[string]*source{},
		colSrc: make([]*source, len(sp.ds.Columns))}
	L.groupRow = sp.groupTexts(rows, idx)
	for i := 0; i < idx; i++ {
		if len(L.groupRow) > 0 && rows[i].Line >= hdr.Line-(sp.hs.Rows-1) {
			continue
		}
		var parts []string
		for _, c := range rows[i].Cells {
			if t := headerText(c); t != "" {
				parts = append(parts, t)
			}
		}
		env.Title = append(env.Title, strings.Join(parts, " "))
	}
	L.report = SheetReport{Sheet: sp.job.sheet, Dataset: sp.ds.Name, HeaderRow: hdr.Line}
	where := fmt.Sprintf("sheet %q, header row %d", sp.job.sheet, hdr.Line)
	if sp.job.entry == nil && len(rows) > 0 && sp.job.sheet == baseName(file) {
		where = fmt.Sprintf("header row %d", hdr.Line)
	}
	used := map[int]bool{}
	group := func(c int) string {
		if c < len(L.groupRow) {
			return L.groupRow[c]
		}
		return ""
	}
	var missing []string
	specs := append(append(plan.FieldMap{}, sp.columns...), sp.fields...)
	for _, f := range specs {
		var col *plan.Column
		if sp.columns.Get(f.Name) == f {
			col = sp.ds.Column(f.Name)
		}
		src := &source{name: f.Name, col: -1, spec: f, column: col}
		switch {
		case len(f.Header) > 0:
			var h headerSpec
			for _, x := range sp.headers {
				if x.spec == f {
					h = x
				}
			}
			c, n := sp.find(hdr, L.groupRow, h)
			if c >= 0 {
				src.col, src.header = c, strings.TrimSpace(hdr.Cells[c])
				used[c] = true
				L.report.Mapping = append(L.report.Mapping, ColumnMatch{Header: shorten(src.header, 80), Cell: hdr.Ref(c), Column: f.Name})
				break
			}
			if f.Default != "" {
				v, err := expandConst(f.Default, env)
				if err != nil {
					return nil, fileErr(file, "%s: no column %s (looked for %s), and %v", where, f.Name, quoteHeaders(f.Header), err)
				}
				src.konst = &v
				L.report.Mapping = append(L.report.Mapping, ColumnMatch{Header: "(value " + shorten(v, 60) + ")", Column: f.Name})
				break
			}
			if f.Optional {
				break
			}
			desc := quoteHeaders(f.Header)
			if f.Group != "" {
				desc += fmt.Sprintf(" under %q", f.Group)
			}
			if n > 0 && f.Occurrence > n {
				desc += fmt.Sprintf(" (occurrence %d of %d)", f.Occurrence, n)
			}
			missing = append(missing, fmt.Sprintf("%s (%s)", f.Name, desc))
		case f.Value != "":
			v, err := expandConst(f.Value, env)
			if err != nil {
				return nil, fileErr(file, "%s: column %s: %v", where, f.Name, err)
			}
			src.konst = &v
			L.report.Mapping = append(L.report.Mapping, ColumnMatch{Header: "(value " + shorten(v, 60) + ")", Column: f.Name})
		}
		L.sources[f.Name] = src
		if col != nil {
			L.colSrc[columnIndex(sp.ds, f.Name)] = src
		}
	}
	if len(missing) > 0 {
		return nil, fileErr(file, "%s: the profile needs %s; the header row has: %s", where, strings.Join(missing, ", "), headerList(hdr, sp.start))
	}
	// Unpivot: every remaining header a rule takes.
	type firstLast struct{ first, last, n int }
	spans := make([]firstLast, len(sp.rules))
	seen := map[string]string{} // group key + value column -> cell
	keyIndex := map[string]int{}
	for c := sp.start; c < len(hdr.Cells); c++ {
		if used[c] {
			continue
		}
		text := headerText(hdr.Cells[c])
		if text == "" {
			continue
		}
		for ri, cr := range sp.rules {
			m := cr.header.FindStringSubmatch(text)
			if m == nil || (cr.group != nil && !cr.group.MatchString(group(c))) {
				continue
			}
			vi := columnIndex(sp.ds, cr.value)
			if vi < 0 {
				return nil, fmt.Errorf("ingest: unpivot value %q is not a column of %s", cr.value, sp.ds.Name)
			}
			set := map[int]any{}
			var keyParts []string
			cenv := *env
			cenv.Captures = m
			for _, s := range cr.sets {
				ci := columnIndex(sp.ds, s.column)
				if ci < 0 {
					continue
				}
				txt, err := s.tmpl.ExpandOne(&cenv)
				if err != nil {
					return nil, fileErr(file, "%s: header %s %q: %v", where, hdr.Ref(c), shorten(text, 80), err)
				}
				v, err := ParseValue(sp.ds.Columns[ci].Type, txt, po)
				if err != nil || v == nil {
					msg := "means no value"
					if err != nil {
						msg = err.Error()
					}
					return nil, fileErr(file, "%s: header %s %q gives %s the value %q, which %s", where, hdr.Ref(c), shorten(text, 80), s.column, txt, msg)
				}
				set[ci] = v
				keyParts = append(keyParts, fmt.Sprintf("%d=%v", ci, v))
			}
			key := strings.Join(keyParts, "\x00")
			gi, ok := keyIndex[key]
			if !ok {
				gi = len(L.groups)
				keyIndex[key] = gi
				L.groups = append(L.groups, unpivotGroup{set: set})
			}
			dup := key + "\x01" + cr.value
			if prev, ok := seen[dup]; ok {
				return nil, fileErr(file, "%s: headers %s and %s %q both give %s for the same %s; delete one of the columns",
					where, prev, hdr.Ref(c), shorten(text, 80), cr.value, describeSet(sp.ds, set))
			}
			seen[dup] = hdr.Ref(c)
			L.cells = append(L.cells, unpivotCell{col: c, value: vi, group: gi, spec: cr.rule.ValueSpec()})
			used[c] = true
			span := &spans[ri]
			if span.n == 0 {
				span.first = c
			}
			span.last = c
			span.n++
			break
		}
	}
	for ri, s := range spans {
		if s.n == 0 {
			continue
		}
		cr := sp.rules[ri]
		var setCols []string
		for _, x := range cr.sets {
			setCols = append(setCols, x.column)
		}
		h := shorten(headerText(hdr.Cell(s.first)), 40)
		cell := hdr.Ref(s.first)
		if s.n > 1 {
			h += " … " + shorten(headerText(hdr.Cell(s.last)), 40)
			cell += ":" + hdr.Ref(s.last)
		}
		col := cr.value
		if len(setCols) > 0 {
			col += " by " + strings.Join(setCols, ", ")
		}
		L.report.Mapping = append(L.report.Mapping, ColumnMatch{Header: h, Cell: cell, Column: col})
		L.report.Unpivoted += s.n
	}
	if len(sp.rules) > 0 && len(L.cells) == 0 {
		return nil, fileErr(file, "%s: no header is a column to unpivot (such as %s); the header row has: %s", where, describeRules(sp.rules), headerList(hdr, sp.start))
	}
	// The dataset's own names, for the columns the profile does not list.
	if sp.matcher != nil {
		for c := sp.start; c < len(hdr.Cells); c++ {
			if used[c] {
				continue
			}
			t := strings.TrimSpace(hdr.Cells[c])
			i, ok := sp.matcher.Match(t)
			if !ok || L.colSrc[i] != nil || unpivotFills(L, i) {
				continue
			}
			col := sp.ds.Columns[i]
			src := &source{name: col.Name, col: c, column: col, header: t}
			L.colSrc[i] = src
			L.sources[col.Name] = src
			used[c] = true
			L.report.Mapping = append(L.report.Mapping, ColumnMatch{Header: shorten(t, 80), Cell: hdr.Ref(c), Column: col.Name})
		}
	}
	for c := sp.start; c < len(hdr.Cells); c++ {
		if t := strings.TrimSpace(hdr.Cells[c]); t != "" && !used[c] {
			L.report.Ignored = append(L.report.Ignored, shorten(t, 80))
		}
	}
	// Defaults of the columns nothing fills.
	L.defaults = make([]any, len(sp.ds.Columns))
	for i, col := range sp.ds.Columns {
		if L.colSrc[i] != nil || col.Default == "" || unpivotFills(L, i) {
			continue
		}
		t, err := plan.ParseTemplate(col.Default)
		if err != nil {
			continue
		}
		s, err := t.ExpandOne(env)
		if err != nil {
			continue
		}
		if v, err := ParseValue(col.Type, s, ParseOptions{}); err == nil {
			L.defaults[i] = v
		}
	}
	return L, nil
}

func unpivotFills(L *sheetLayout, i int) bool {
	for _, c := range L.cells {
		if c.value == i {
			return true
		}
	}
	for _, g := range L.groups {
		if _, ok := g.set[i]; ok {
			return true
		}
	}
	return false
}

func expandConst(s string, env *plan.TemplateEnv) (string, error) {
	t, err := plan.ParseTemplate(s)
	if err != nil {
		return "", err
	}
	return t.ExpandOne(env)
}

func columnIndex(ds *plan.Dataset, name string) int {
	for i, c := range ds.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func quoteHeaders(hs []string) string {
	q := make([]string, len(hs))
	for i, h := range hs {
		q[i] = fmt.Sprintf("%q", h)
	}
	return strings.Join(q, " or ")
}

// headerList lists a header row's cells for a message, at most 20.
func headerList(r RawRow, start int) string {
	var found []string
	more := 0
	for c := start; c < len(r.Cells); c++ {
		if t := strings.TrimSpace(r.Cells[c]); t != "" {
			if len(found) == 20 {
				more++
				continue
			}
			found = append(found, shorten(t, 40))
		}
	}
	if more > 0 {
		found = append(found, fmt.Sprintf("and %d more", more))
	}
	if len(found) == 0 {
		return "nothing"
	}
	return strings.Join(found, ", ")
}

func describeRules(rules []compiledRule) string {
	var out []string
	for _, r := range rules {
		out = append(out, "/"+r.rule.Header+"/")
	}
	return strings.Join(out, " or ")
}

func describeSet(ds *plan.Dataset, set map[int]any) string {
	var parts []string
	for i, c := range ds.Columns {
		if v, ok := set[i]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", c.Name, formatValue(v)))
		}
	}
	return strings.Join(parts, ", ")
}
