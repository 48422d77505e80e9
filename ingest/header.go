package ingest

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/plandash/plandash/internal/plan"
)

// HeaderSearchRows is how many non-blank rows at the top of a sheet are
// searched for the header row; title rows above it are allowed.
const HeaderSearchRows = 20

// NormalizeHeader folds header text for matching: lower case, letters and
// digits only, so "Unlinked Passenger Trips", "unlinked_passenger_trips" and
// " UNLINKED-PASSENGER TRIPS " are one key.
func NormalizeHeader(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Matcher tells which dataset column a header names, by the column's name,
// title or any alias.
type Matcher struct {
	ds   *plan.Dataset
	keys map[string]int // normalized header -> index into ds.Columns
}

// NewMatcher builds the header matcher of a dataset. Where two columns
// claim the same header, a name beats a title and a title beats an alias;
// among equals the earlier column wins.
func NewMatcher(ds *plan.Dataset) *Matcher {
	m := &Matcher{ds: ds, keys: map[string]int{}}
	add := func(s string, i int) {
		if k := NormalizeHeader(s); k != "" {
			if _, taken := m.keys[k]; !taken {
				m.keys[k] = i
			}
		}
	}
	for i, c := range ds.Columns {
		add(c.Name, i)
	}
	for i, c := range ds.Columns {
		add(c.Title, i)
	}
	for i, c := range ds.Columns {
		for _, a := range c.Aliases {
			add(a, i)
		}
	}
	return m
}

// Match returns the index in the dataset's columns of the column header
// names.
func (m *Matcher) Match(header string) (int, bool) {
	// No name is this long; do not fold a 32 KiB cell. Measured without the
	// spaces around it, as MapHeader sees the cell, so Score agrees with it.
	if len(strings.TrimSpace(header)) > 1024 {
		return 0, false
	}
	i, ok := m.keys[NormalizeHeader(header)]
	return i, ok
}

// Score is how many distinct dataset columns the cells of r name.
func (m *Matcher) Score(r RawRow) int {
	seen := map[int]bool{}
	for _, c := range r.Cells {
		if i, ok := m.Match(c); ok {
			seen[i] = true
		}
	}
	return len(seen)
}

// FindHeader returns the index in rows of the row naming the most dataset
// columns (the first such row on a tie) and how many it names; -1 and 0
// when no row names any.
func FindHeader(rows []RawRow, m *Matcher) (idx, score int) {
	idx = -1
	for i, r := range rows {
		if s := m.Score(r); s > score {
			idx, score = i, s
		}
	}
	return idx, score
}

// ColumnMatch is one header cell that names a dataset column.
type ColumnMatch struct {
	Header string // the header as written (trimmed)
	Cell   string // where it is: "C3"
	Column string // the dataset column
}

// Header is a sheet's header row and what its cells mean.
type Header struct {
	Row     RawRow
	Mapping []ColumnMatch
	Ignored []string // headers that name no column
	// Source[i] is the sheet column (A is 0) holding dataset column i, or -1
	// when the file lacks it.
	Source []int
}

// MapHeader maps the cells of a header row onto the dataset's columns. Two
// cells naming the same column is a *FileError.
// where names the header row in the message ("sheet "Revenue", header row 3").
func (m *Matcher) MapHeader(file, where string, row RawRow) (*Header, error) {
	h := &Header{Row: row, Source: make([]int, len(m.ds.Columns))}
	for i := range h.Source {
		h.Source[i] = -1
	}
	for col, raw := range row.Cells {
		text := strings.TrimSpace(raw)
		if text == "" {
			continue
		}
		i, ok := m.Match(text)
		if !ok {
			h.Ignored = append(h.Ignored, shorten(text, 80))
			continue
		}
		if prev := h.Source[i]; prev >= 0 {
			c := m.ds.Columns[i]
			return nil, fileErr(file, "%s: cells %s (%q) and %s (%q) both mean the column %s (%s); delete or rename one of them",
				where, row.Ref(prev), shorten(strings.TrimSpace(row.Cell(prev)), 80), row.Ref(col), shorten(text, 80), c.Name, c.DisplayTitle())
		}
		h.Source[i] = col
		h.Mapping = append(h.Mapping, ColumnMatch{Header: text, Cell: row.Ref(col), Column: m.ds.Columns[i].Name})
	}
	return h, nil
}

// shorten cuts s to at most n runes for a message.
func shorten(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// describeColumns lists columns for a message: "Fund (fund), Category (category)".
func describeColumns(cols []*plan.Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		if c.Title != "" && NormalizeHeader(c.Title) != NormalizeHeader(c.Name) {
			parts[i] = fmt.Sprintf("%s (%s)", c.Title, c.Name)
		} else {
			parts[i] = c.DisplayTitle()
		}
	}
	return strings.Join(parts, ", ")
}
