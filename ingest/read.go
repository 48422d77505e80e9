package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/plandash/plandash/internal/plan"
)

// ReadRequest is one file to read for a plan.
type ReadRequest struct {
	// Name is the file's name as uploaded (it may name the year: {file}).
	Name string
	// Data holds the file's bytes, unless File is set: an open file of
	// Size bytes, read in place so that a large file is never held whole.
	Data []byte
	File io.ReaderAt
	Size int64
	// Plan gives the datasets, profiles, crosswalks and place.
	Plan *plan.Plan
	// Profile names the profile to read the file with; "" detects it.
	Profile string
	// Dataset, when set, restricts detection to profiles that fill it.
	Dataset string
	// Set holds values given at import time (--set year=2024): {set.year}.
	Set     map[string]string
	Options Options
	// Stream asks for the rows of a file read through a dataset's template
	// profile one at a time, from Batch.Next, instead of all in Batch.Rows,
	// so that a large file is never held whole; the result's counts and
	// errors are complete once Next has returned io.EOF. Other profiles
	// read the whole file as before. Close the result when done.
	Stream bool
}

// SheetReport says how one sheet was read.
type SheetReport struct {
	Sheet     string
	Dataset   string
	HeaderRow int // 0 when the sheet was not read
	// Mapping lists the header cells taken, constants (Header "(value …)")
	// and, for each unpivot rule, the span of columns it took.
	Mapping []ColumnMatch
	Ignored []string // headers nothing took
	// Unpivoted is how many wide columns became rows.
	Unpivoted int
	// Note says why a sheet was not read.
	Note string
}

// SkipReport counts the rows left out for one reason: totals, footnotes,
// estimates, rows with a bad value where the profile allows skipping.
type SkipReport struct {
	Reason   string
	Count    int
	Examples []string // the first few cells: "UPT!A2105"
}

// FilterReport says how many rows of a sheet one filter kept: "NTD ID is
// 90022": 4 of 2,265 (Total counts the rows that reached the filter).
type FilterReport struct {
	Sheet       string
	Description string
	Kept, Total int
}

// ReadResult is what reading one file found.
type ReadResult struct {
	File string
	// Profile is the profile used; Reason says why it was chosen.
	Profile *plan.Profile
	Reason  string
	Sheets  []SheetReport
	// Batches holds one batch per dataset filled, with the rows without
	// errors.
	Batches []*Batch
	// RowsRead counts the data rows seen (blank rows and headers not
	// counted), skipped and filtered rows included.
	RowsRead int
	Skipped  []SkipReport
	Filters  []FilterReport
	// Unmapped lists the accounts ("4010 SALES TAX") the crosswalk did not
	// know, each once, in file order.
	Unmapped []string
	// Errors are the first Options.MaxErrors cell errors; ErrorCount counts
	// them all; Rejected lists the row numbers of rows with errors.
	Errors     []CellError
	ErrorCount int
	Rejected   []int
	// BadRowsSkipped lists every error of the rows left out because the
	// profile skips bad rows (on_error: skip_row); they are not in Errors.
	BadRowsSkipped []CellError
	// Combined counts rows added into an earlier row with the same key
	// (combine: sum).
	Combined  int
	Delimiter rune // the CSV separator; 0 for a workbook
	// stream is set when the rows come from Batch.Next (ReadRequest.Stream).
	stream *rowStream
}

// Batch returns the batch of the dataset, or nil.
func (r *ReadResult) Batch(dataset string) *Batch {
	for _, b := range r.Batches {
		if b.Dataset != nil && b.Dataset.Name == dataset {
			return b
		}
	}
	return nil
}

// DetectError says that no profile was named and none could be chosen:
// Candidates lists the profiles that fit equally well, or is empty when none
// fits.
type DetectError struct {
	File       string
	Candidates []string
	Message    string
}

func (e *DetectError) Error() string {
	if e.File == "" {
		return e.Message
	}
	return e.File + ": " + e.Message
}

// Read reads a file through a profile of the plan: the one named, or the one
// detected from the file's sheets and headers. A problem with the whole file
// is a *FileError, a profile that cannot be chosen a *DetectError; bad cells
// are CellErrors in the result, and the caller decides what they mean.
func Read(req ReadRequest) (res *ReadResult, err error) {
	defer func() {
		// A reader of files from anywhere must not take the server down;
		// a panic here is a bug, reported as the file's failure.
		if r := recover(); r != nil {
			res, err = nil, fileErr(req.Name, "plandash failed while reading this file (internal error: %v); nothing was loaded. Please report this with the file", r)
		}
	}()
	if req.Plan == nil {
		return nil, errors.New("ingest: Read needs a plan")
	}
	opt := req.Options.withDefaults()
	opt.Place = req.Plan.Place
	opt.plan = req.Plan
	var data io.ReaderAt = bytes.NewReader(req.Data)
	size := int64(len(req.Data))
	if req.File != nil {
		data, size = req.File, req.Size
	}
	w, err := Open(req.Name, data, size, opt)
	if err != nil {
		return nil, err
	}
	keepOpen := false // a stream closes the file when it is done
	defer func() {
		if !keepOpen {
			w.Close()
		}
	}()
	top := newTopRows(w)

	var prof *plan.Profile
	reason := ""
	if req.Profile != "" {
		prof = req.Plan.Profile(req.Profile)
		if prof == nil {
			return nil, fileErr(req.Name, "there is no profile %q (profiles: %s)", req.Profile, profileNames(req.Plan, req.Dataset))
		}
		if req.Dataset != "" && !prof.Fills(req.Dataset) {
			return nil, fileErr(req.Name, "the profile %s fills %s, not %s", prof.Name, strings.Join(prof.TargetDatasets(), ", "), req.Dataset)
		}
		reason = fmt.Sprintf("the profile %s was named on import", prof.Name)
	} else {
		prof, reason, err = detectProfile(req, w, top)
		if err != nil {
			return nil, err
		}
	}
	if prof.Template {
		res, err := readTemplateProfile(req, w, prof, reason, opt)
		keepOpen = err == nil && res.stream != nil
		return res, err
	}
	res = &ReadResult{File: req.Name, Profile: prof, Reason: reason, Delimiter: w.Delimiter()}
	e := &engine{file: req.Name, w: w, top: top, p: req.Plan, prof: prof, opt: opt, set: req.Set, res: res,
		skips: map[string]int{}, unmapped: map[string]bool{}}
	if err := e.run(); err != nil {
		return nil, err
	}
	return res, nil
}

// readTemplateProfile reads a file, already open, as the city's own
// template of a dataset.
func readTemplateProfile(req ReadRequest, w *Workbook, prof *plan.Profile, reason string, opt Options) (*ReadResult, error) {
	ds := req.Plan.Datasets[prof.Dataset]
	if ds == nil {
		return nil, fmt.Errorf("ingest: profile %s: the plan has no dataset %s", prof.Name, prof.Dataset)
	}
	tr, err := startTemplate(w, ds, opt)
	if err != nil {
		return nil, err
	}
	r := tr.res
	res := &ReadResult{
		File: req.Name, Profile: prof, Reason: reason,
		Sheets:    []SheetReport{{Sheet: r.Sheet, Dataset: ds.Name, HeaderRow: r.HeaderRow, Mapping: r.Mapping, Ignored: r.Ignored}},
		Batches:   []*Batch{r.Batch},
		Delimiter: r.Delimiter,
	}
	if req.Stream {
		s := &rowStream{tr: tr, w: w, res: res}
		r.Batch.stream, res.stream = s, s
		return res, nil
	}
	defer tr.close()
	for {
		row, err := tr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		r.Batch.Rows = append(r.Batch.Rows, row)
	}
	res.finishTemplate(r)
	return res, nil
}

// finishTemplate copies the counts and errors of a template read.
func (res *ReadResult) finishTemplate(r *Result) {
	res.RowsRead, res.Errors, res.ErrorCount, res.Rejected = r.RowsRead, r.Errors, r.ErrorCount, r.Rejected
	res.Delimiter = r.Delimiter
}

// rowStream yields the rows of a template read with ReadRequest.Stream.
type rowStream struct {
	tr   *templateRead
	w    *Workbook
	res  *ReadResult
	err  error // io.EOF once the file is read
	done bool
}

// Streaming reports whether the batch's rows come from Next rather than Rows.
func (b *Batch) Streaming() bool { return b.stream != nil }

// Next returns the batch's next row without errors, or io.EOF after the
// last; then the ReadResult holds the counts and errors of the whole file.
// A problem with the file is a *FileError, as Read returns.
func (b *Batch) Next() (row Row, err error) {
	s := b.stream
	if s == nil {
		return Row{}, io.EOF
	}
	if s.done {
		return Row{}, s.err
	}
	defer func() {
		if r := recover(); r != nil {
			row, err = Row{}, fileErr(s.res.File, "plandash failed while reading this file (internal error: %v); nothing was loaded. Please report this with the file", r)
			s.finish(err)
		}
	}()
	row, err = s.tr.next()
	if err != nil {
		s.finish(err)
	}
	return row, err
}

func (s *rowStream) finish(err error) {
	s.done, s.err = true, err
	if errors.Is(err, io.EOF) {
		s.res.finishTemplate(s.tr.res)
	}
	s.close()
}

func (s *rowStream) close() {
	if s.w != nil {
		s.tr.close()
		s.w.Close()
		s.w = nil
	}
}

// Close releases the file of a streamed result (a no-op otherwise); a
// stream read to its end has closed it already.
func (r *ReadResult) Close() error {
	if r != nil && r.stream != nil {
		r.stream.close()
	}
	return nil
}

func profileNames(p *plan.Plan, dataset string) string {
	var out []string
	for _, pr := range p.AllProfiles() {
		if dataset == "" || pr.Fills(dataset) {
			out = append(out, pr.Name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// candidate is a profile that fits the file, and how well.
type candidate struct {
	prof  *plan.Profile
	tier  int // the plan's own 3, built-in 2, template 1
	score int
	why   string
}

// detectProfile chooses the profile that fits the file best: among those that fit,
// the plan's own before built-in ones before templates, then the one whose
// header names most of what it expects.
func detectProfile(req ReadRequest, w *Workbook, top *topRows) (*plan.Profile, string, error) {
	var cands []candidate
	for _, prof := range req.Plan.AllProfiles() {
		if req.Dataset != "" && !prof.Fills(req.Dataset) {
			continue
		}
		var c candidate
		var ok bool
		if prof.Template {
			c, ok = probeTemplate(req.Plan, prof, w, top)
		} else {
			c, ok = probeProfile(req.Plan, prof, w, top, req.Name)
		}
		if ok {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		what := "no profile of the plan fits this file"
		if req.Dataset != "" {
			what = "no profile for " + req.Dataset + " fits this file"
		}
		return nil, "", &DetectError{File: req.Name, Message: fmt.Sprintf("%s: no header row names what any of them expects; name the profile to see what is missing (profiles: %s)",
			what, profileNames(req.Plan, req.Dataset))}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].tier != cands[j].tier {
			return cands[i].tier > cands[j].tier
		}
		return cands[i].score > cands[j].score
	})
	best := cands[0]
	var tied []string
	for _, c := range cands {
		if c.tier == best.tier && c.score == best.score {
			tied = append(tied, c.prof.Name)
		}
	}
	if len(tied) > 1 {
		var desc []string
		for _, c := range cands[:len(tied)] {
			desc = append(desc, fmt.Sprintf("%s (%s)", c.prof.Name, c.why))
		}
		return nil, "", &DetectError{File: req.Name, Candidates: tied,
			Message: fmt.Sprintf("the file fits the profiles %s equally well; name one of them (--profile): %s", strings.Join(tied, " and "), strings.Join(desc, "; "))}
	}
	reason := fmt.Sprintf("detected profile %s (%s): %s", best.prof.Name, best.prof.Title, best.why)
	if len(cands) > 1 {
		var others []string
		for _, c := range cands[1:] {
			others = append(others, c.prof.Name)
		}
		reason += "; it fits better than " + strings.Join(others, ", ")
	}
	return best.prof, reason, nil
}

// probeProfile reports whether a declared profile fits the file: the sheets
// it needs are there, and the header of its first sheet has every header it
// needs (and a column to unpivot, if it unpivots).
func probeProfile(p *plan.Plan, prof *plan.Profile, w *Workbook, top *topRows, file string) (candidate, bool) {
	c := candidate{prof: prof, tier: 2}
	if !prof.Builtin {
		c.tier = 3
	}
	jobs, missing := resolveSheets(w, prof)
	if len(missing) > 0 {
		return c, false
	}
	var why []string
	if d := prof.Detect; d != nil && len(d.Sheets) > 0 {
		if w.Kind() == KindCSV {
			return c, false
		}
		for _, want := range d.Sheets {
			found := false
			for _, s := range w.sheets {
				if NormalizeHeader(s.Name) == NormalizeHeader(want) {
					found = true
				}
			}
			if !found {
				return c, false
			}
		}
		why = append(why, "the workbook has the sheets "+strings.Join(d.Sheets, ", "))
		c.score += len(d.Sheets)
	}
	// The sheets to look at: the first the profile reads, or each visible one.
	var tries []sheetJob
	if len(jobs) > 0 {
		tries = jobs[:1]
	} else {
		for _, s := range w.sheets {
			if s.Visible || len(w.sheets) == 1 {
				tries = append(tries, sheetJob{sheet: s.Name})
			}
		}
	}
	bestScore, bestWhy := -1, ""
	for _, job := range tries {
		sp, err := newSheetPlan(p, prof, job)
		if err != nil {
			continue
		}
		rows, err := top.get(job.sheet, sp.hs.Search, sp.hs.Row)
		if err != nil {
			continue
		}
		idx, sc := sp.locate(rows)
		if idx < 0 || sc == 0 {
			continue
		}
		hdr := rows[idx]
		cells := map[string]bool{}
		for i := sp.start; i < len(hdr.Cells); i++ {
			cells[normalizeCell(hdr.Cells[i])] = true
		}
		ok := true
		if d := prof.Detect; d != nil {
			for _, h := range d.Headers {
				if !cells[NormalizeHeader(h)] {
					ok = false
				}
			}
		}
		groups := sp.groupTexts(rows, idx)
		var namedCols []int
		n := 0
		for _, h := range sp.headers {
			if col, _ := sp.find(hdr, groups, h); col >= 0 {
				n++
				if !containsInt(namedCols, col) {
					namedCols = append(namedCols, col)
				}
			} else if !h.spec.Optional && h.spec.Default == "" {
				ok = false
			}
		}
		sort.Ints(namedCols)
		var named []string
		for _, col := range namedCols {
			named = append(named, shorten(strings.TrimSpace(hdr.Cells[col]), 60))
		}
		unpivot := 0
		for i := sp.start; i < len(hdr.Cells); i++ {
			t := headerText(hdr.Cells[i])
			for _, r := range sp.rules {
				g := ""
				if i < len(groups) {
					g = groups[i]
				}
				if t != "" && r.header.MatchString(t) && (r.group == nil || r.group.MatchString(g)) {
					unpivot++
					break
				}
			}
		}
		if len(sp.rules) > 0 && unpivot == 0 {
			ok = false
		}
		if !ok || n+unpivot == 0 {
			continue
		}
		score := n
		if unpivot > 0 {
			score++
		}
		desc := fmt.Sprintf("header row %d", hdr.Line)
		if w.Kind() == KindXLSX {
			desc = fmt.Sprintf("sheet %q, header row %d,", job.sheet, hdr.Line)
		}
		desc += " has " + strings.Join(shortList(named, 8), ", ")
		if unpivot > 0 {
			desc += fmt.Sprintf(" and %d column(s) to unpivot", unpivot)
		}
		if score > bestScore {
			bestScore, bestWhy = score, desc
		}
	}
	if bestScore < 0 {
		return c, false
	}
	c.score += bestScore
	why = append(why, bestWhy)
	if d := prof.Detect; d != nil && d.File != "" {
		if re, err := plan.CompileRegexp(d.File); err == nil && re.MatchString(baseName(file)) {
			c.score++
			why = append(why, fmt.Sprintf("the file name matches %q", d.File))
		}
	}
	c.why = strings.Join(why, "; ")
	return c, true
}

func shortList(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), fmt.Sprintf("and %d more", len(s)-n))
}

// probeTemplate reports whether the file is the city's template of the
// profile's dataset: a header row names every required column.
func probeTemplate(p *plan.Plan, prof *plan.Profile, w *Workbook, top *topRows) (candidate, bool) {
	c := candidate{prof: prof, tier: 1}
	ds := p.Datasets[prof.Dataset]
	if ds == nil || checkDataset(ds) != nil {
		return c, false
	}
	m := NewMatcher(ds)
	best := -1
	for _, s := range w.sheets {
		if !s.Visible && len(w.sheets) > 1 {
			continue
		}
		rows, err := top.get(s.Name, HeaderSearchRows, 0)
		if err != nil {
			continue
		}
		idx, score := FindHeader(rows, m)
		if idx < 0 || score <= best {
			continue
		}
		h, err := m.MapHeader(w.Name(), "", rows[idx])
		if err != nil {
			continue
		}
		complete := true
		for i, col := range ds.Columns {
			if col.Required && h.Source[i] < 0 && col.Default == "" {
				complete = false
			}
		}
		if !complete {
			continue
		}
		var names []string
		for _, mc := range h.Mapping {
			names = append(names, mc.Column)
		}
		where := fmt.Sprintf("header row %d", rows[idx].Line)
		if w.Kind() == KindXLSX {
			where = fmt.Sprintf("sheet %q, header row %d,", s.Name, rows[idx].Line)
		}
		best = score
		c.score = score
		c.why = fmt.Sprintf("%s names %d columns of %s: %s", where, score, ds.Name, strings.Join(shortList(names, 8), ", "))
	}
	return c, best > 0
}

// SetValues reads import-time values written as name=value (--set
// year=2024) into a map; a name is letters, digits and underscores.
func SetValues(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || !setNameRe.MatchString(k) {
			return nil, fmt.Errorf("%s: write --set name=value, such as --set year=2024", strconv.Quote(p))
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

var setNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
