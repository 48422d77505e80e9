package plan

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Profile is how one kind of source file maps onto one or more datasets in
// one import: which sheets, where the header is, which headers mean which
// column, how values are written, rows to skip, wide columns to unpivot,
// rows to keep, and a crosswalk from account codes to categories.
//
// Profiles are declared in the plan file (profiles:), ship with plandash
// (builtin_profiles.yaml) and, for every dataset, exist implicitly as the
// city's own template (Template is true). A plan's own profile replaces a
// built-in or template profile of the same name.
type Profile struct {
	Pos         `yaml:"-"`
	Name        string `yaml:"name"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	// Dataset receives the rows of every sheet that does not name its own.
	Dataset string         `yaml:"dataset"`
	Detect  *ProfileDetect `yaml:"detect"`
	// Sheets lists the sheets read, in order. Without it, the sheet whose
	// header fits the profile best is read (a CSV file is one sheet).
	Sheets []*ProfileSheet `yaml:"sheets"`
	Header *HeaderSpec     `yaml:"header"`
	// DatasetHeaders also maps headers that name a dataset column by its
	// name, title or alias, for the columns the profile does not list.
	DatasetHeaders bool `yaml:"dataset_headers"`
	// Columns says where each dataset column comes from; Fields are other
	// values of a row that filters, skip rules, joins and crosswalks use.
	Columns FieldMap       `yaml:"columns"`
	Fields  FieldMap       `yaml:"fields"`
	Unpivot []*UnpivotRule `yaml:"unpivot"`
	// Join merges the rows of several sheets that share these values.
	Join      Texts         `yaml:"join"`
	Skip      []*SkipRule   `yaml:"skip"`
	Filters   []*RowFilter  `yaml:"filters"`
	Crosswalk *CrosswalkRef `yaml:"crosswalk"`
	// Combine "sum" adds up rows with the same dataset key (a budget at
	// program level, rolled up to department and source).
	Combine string `yaml:"combine"`
	// OnError "skip_row" leaves out rows with a bad value (each listed)
	// instead of refusing the file.
	OnError string `yaml:"on_error"`

	Builtin bool `yaml:"-"`
	// Template marks the implicit profile of a dataset's own template.
	Template bool `yaml:"-"`
}

// UnmarshalYAML records the profile's position.
func (pr *Profile) UnmarshalYAML(n *yaml.Node) error {
	type raw Profile
	return decodeWithPos(n, (*raw)(pr), &pr.Pos)
}

// Values of Profile.Combine and Profile.OnError.
const (
	CombineSum    = "sum"
	OnErrorReject = "reject"
	OnErrorSkip   = "skip_row"
)

// ProfileDetect says how to recognise a file of the profile when no profile
// is named on import.
type ProfileDetect struct {
	Pos `yaml:"-"`
	// File is a regular expression the file name usually matches; a match
	// counts in the profile's favour, but is not required.
	File string `yaml:"file"`
	// Sheets must all be in the workbook (a CSV file has none).
	Sheets Texts `yaml:"sheets"`
	// Headers must all be in the header row.
	Headers Texts `yaml:"headers"`
}

// UnmarshalYAML records the position.
func (d *ProfileDetect) UnmarshalYAML(n *yaml.Node) error {
	type raw ProfileDetect
	return decodeWithPos(n, (*raw)(d), &d.Pos)
}

// ProfileSheet selects workbook sheets by name or pattern. A CSV file is one
// sheet, read with the first entry.
type ProfileSheet struct {
	Pos `yaml:"-"`
	// Name lists names the sheet may have (compared without regard to
	// capitals, spaces or punctuation); Pattern is a regular expression
	// instead, and selects every sheet it matches.
	Name    Texts  `yaml:"name"`
	Pattern string `yaml:"pattern"`
	// Dataset receives the sheet's rows; default the profile's.
	Dataset string `yaml:"dataset"`
	// Value is the column unpivoted cells go into, for rules that name none.
	Value string `yaml:"value"`
	// Optional sheets may be absent, or lack a header.
	Optional bool        `yaml:"optional"`
	Header   *HeaderSpec `yaml:"header"`
	// Columns and Fields add to (or replace) the profile's for this sheet;
	// Unpivot replaces the profile's rules.
	Columns FieldMap       `yaml:"columns"`
	Fields  FieldMap       `yaml:"fields"`
	Unpivot []*UnpivotRule `yaml:"unpivot"`
}

// UnmarshalYAML records the position.
func (s *ProfileSheet) UnmarshalYAML(n *yaml.Node) error {
	type raw ProfileSheet
	return decodeWithPos(n, (*raw)(s), &s.Pos)
}

// Describe names the sheet entry for messages: "UPT" or "/^20\d{2}$/".
func (s *ProfileSheet) Describe() string {
	if s.Pattern != "" {
		return "/" + s.Pattern + "/"
	}
	return strings.Join(s.Name, " or ")
}

// HeaderSpec says where a sheet's header is.
type HeaderSpec struct {
	Pos `yaml:"-"`
	// Row is the 1-based row of the header (its last row when Rows > 1);
	// 0 searches the first Search non-blank rows for it.
	Row int `yaml:"row"`
	// Column is the first column of the table ("B"); cells to its left are
	// ignored.
	Column string `yaml:"column"`
	// Rows is how many rows make up the header: 2 when a row of group
	// headers ("Emergency Shelter (ES)") stands above the real header.
	Rows   int `yaml:"rows"`
	Search int `yaml:"search"`
}

// UnmarshalYAML records the position.
func (h *HeaderSpec) UnmarshalYAML(n *yaml.Node) error {
	type raw HeaderSpec
	return decodeWithPos(n, (*raw)(h), &h.Pos)
}

// DefaultHeaderSearch is how many non-blank rows are searched for a header.
const DefaultHeaderSearch = 20

// FieldSpec says where one value of a row comes from: a header (with its
// aliases), or a constant.
type FieldSpec struct {
	Pos  `yaml:"-"`
	Name string `yaml:"-"`
	// Header lists the headers that mean this value, compared by letters
	// and digits only, without regard to capitals.
	Header Texts `yaml:"header"`
	// Group is the group header above it (for a header of two rows).
	Group string `yaml:"group"`
	// Occurrence picks among cells with the same header: 1 is the first.
	Occurrence int `yaml:"occurrence"`
	// Value is a constant, a Template: "{set.year}", "{sheet}".
	Value string `yaml:"value"`
	// Default is the Template used when no header is found.
	Default string `yaml:"default"`
	// Optional values may be missing from the file.
	Optional bool `yaml:"optional"`
	// Zero lists spellings that mean zero; "blank" is an empty cell.
	Zero Texts `yaml:"zero"`
	// Scale multiplies numbers (1000 for a report in thousands).
	Scale int64 `yaml:"scale"`
	// Suffixes allows numbers written 1.2M, 450K, 3B.
	Suffixes bool `yaml:"suffixes"`
	// Digits left-pads whole numbers with zeros (a ZIP or an id stored as
	// a number): 5 makes 1 into 00001.
	Digits int `yaml:"digits"`
}

// UnmarshalYAML accepts a header (`mode: Mode`), a list of headers
// (`mode: [Mode, Modes]`) or a mapping.
func (f *FieldSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode || n.Kind == yaml.SequenceNode {
		f.Line = n.Line
		return n.Decode(&f.Header)
	}
	type raw FieldSpec
	return decodeWithPos(n, (*raw)(f), &f.Pos)
}

// FieldMap is a mapping of names to FieldSpecs, in the order written.
type FieldMap []*FieldSpec

// UnmarshalYAML reads the mapping in order, keeping each name's line.
func (m *FieldMap) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeErr(n, "a mapping of names to headers")
	}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := &FieldSpec{}
		if err := v.Decode(f); err != nil {
			if te, ok := err.(*yaml.TypeError); ok {
				errs = append(errs, te.Errors...)
				continue
			}
			return err
		}
		f.Name, f.Line = k.Value, k.Line
		*m = append(*m, f)
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// Get returns the spec with the name, or nil.
func (m FieldMap) Get(name string) *FieldSpec {
	for _, f := range m {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// UnpivotRule turns wide columns into rows: every header matching Header (a
// regular expression, without regard to capitals) gives its cell to the
// Value column of a row whose Set columns come from the header ($1 is the
// first group of the match). Cells whose Set values agree form one row.
type UnpivotRule struct {
	Pos    `yaml:"-"`
	Header string `yaml:"header"`
	// Group is a regular expression the group header above must match.
	Group string      `yaml:"group"`
	Value string      `yaml:"value"`
	Set   Assignments `yaml:"set"`
	// Zero, Scale and Suffixes are as in FieldSpec, for the cells.
	Zero     Texts `yaml:"zero"`
	Scale    int64 `yaml:"scale"`
	Suffixes bool  `yaml:"suffixes"`
}

// UnmarshalYAML records the position.
func (u *UnpivotRule) UnmarshalYAML(n *yaml.Node) error {
	type raw UnpivotRule
	return decodeWithPos(n, (*raw)(u), &u.Pos)
}

// ValueSpec is the rule's cell format as a FieldSpec.
func (u *UnpivotRule) ValueSpec() *FieldSpec {
	return &FieldSpec{Pos: u.Pos, Name: u.Value, Zero: u.Zero, Scale: u.Scale, Suffixes: u.Suffixes}
}

// Assignment is one column: value pair of a mapping.
type Assignment struct {
	Column string
	Value  string
	Line   int
}

// Assignments is a mapping of columns to Templates, in the order written.
type Assignments []Assignment

// UnmarshalYAML reads the mapping in order.
func (a *Assignments) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeErr(n, "a mapping of columns to values")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return typeErr(v, "a text")
		}
		*a = append(*a, Assignment{Column: k.Value, Value: v.Value, Line: k.Line})
	}
	return nil
}

// SkipRule leaves out rows that are not data: totals, subtotals, estimates
// and footnotes. The reason is reported with how many rows it left out.
type SkipRule struct {
	Pos `yaml:"-"`
	// Field is the value tested; Anywhere tests every cell of the row.
	Field    string `yaml:"field"`
	Anywhere bool   `yaml:"anywhere"`
	// One test: the value equals a text (without regard to capitals or
	// surrounding space), matches or does not match a regular expression
	// (without regard to capitals), or is blank.
	Equals     *string `yaml:"equals"`
	Matches    string  `yaml:"matches"`
	NotMatches string  `yaml:"not_matches"`
	Blank      bool    `yaml:"blank"`
	Reason     string  `yaml:"reason"`
}

// UnmarshalYAML records the position.
func (s *SkipRule) UnmarshalYAML(n *yaml.Node) error {
	type raw SkipRule
	return decodeWithPos(n, (*raw)(s), &s.Pos)
}

// RowFilter keeps the rows for the plan's place. Values are Templates, so a
// filter says {place.ntd_id} and the plan file says 90022. Ids are compared
// as text whether a cell holds a number or text, and whole numbers without
// regard to leading zeros (an NTD ID shown as 00001 is stored as 1).
type RowFilter struct {
	Pos     `yaml:"-"`
	Field   string `yaml:"field"`
	Equals  string `yaml:"equals"`
	In      Texts  `yaml:"in"`
	Matches string `yaml:"matches"`
	// Describe names the test in the import report ("NTD ID").
	Describe string `yaml:"describe"`
}

// UnmarshalYAML records the position.
func (f *RowFilter) UnmarshalYAML(n *yaml.Node) error {
	type raw RowFilter
	return decodeWithPos(n, (*raw)(f), &f.Pos)
}

// Crosswalk maps account codes or names onto the plan's own words (revenue
// categories and sources), so an indicator of "Sales Tax" never depends on
// how a ledger spells it.
type Crosswalk struct {
	Pos     `yaml:"-"`
	Name    string            `yaml:"name"`
	Entries []*CrosswalkEntry `yaml:"entries"`
	// Otherwise fills the columns of accounts no entry matches; they are
	// listed in the import report either way.
	Otherwise *CrosswalkEntry `yaml:"otherwise"`
}

// UnmarshalYAML records the position.
func (cw *Crosswalk) UnmarshalYAML(n *yaml.Node) error {
	type raw Crosswalk
	return decodeWithPos(n, (*raw)(cw), &cw.Pos)
}

// CrosswalkEntry matches an account by code, by name (both exact, without
// regard to capitals or spacing) or by a regular expression on its name,
// and sets columns: every other key is a column of the dataset.
type CrosswalkEntry struct {
	Pos   `yaml:"-"`
	Code  Texts
	Name  Texts
	Match string
	Set   Assignments
}

// UnmarshalYAML reads code, name and match, and the columns to set.
func (e *CrosswalkEntry) UnmarshalYAML(n *yaml.Node) error {
	e.Line = n.Line
	if n.Kind != yaml.MappingNode {
		return typeErr(n, "a mapping such as {code: \"4010\", category: Taxes, source: Sales Tax}")
	}
	e.keys = map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		e.keys[k.Value] = k.Line
		switch k.Value {
		case "code":
			if err := v.Decode(&e.Code); err != nil {
				return err
			}
		case "name":
			if err := v.Decode(&e.Name); err != nil {
				return err
			}
		case "match":
			if v.Kind != yaml.ScalarNode {
				return typeErr(v, "a regular expression")
			}
			e.Match = v.Value
		default:
			if v.Kind != yaml.ScalarNode {
				return typeErr(v, "a text")
			}
			e.Set = append(e.Set, Assignment{Column: k.Value, Value: v.Value, Line: k.Line})
		}
	}
	return nil
}

// CrosswalkRef is a profile's use of a crosswalk: a crosswalk of the plan
// named by Use, or entries written in the profile itself, looked up by the
// values of the Code and Name fields of each row.
type CrosswalkRef struct {
	Pos       `yaml:"-"`
	Use       string            `yaml:"use"`
	Code      string            `yaml:"code"`
	Name      string            `yaml:"name"`
	Entries   []*CrosswalkEntry `yaml:"entries"`
	Otherwise *CrosswalkEntry   `yaml:"otherwise"`
}

// UnmarshalYAML records the position.
func (r *CrosswalkRef) UnmarshalYAML(n *yaml.Node) error {
	type raw CrosswalkRef
	return decodeWithPos(n, (*raw)(r), &r.Pos)
}

// Texts is one text or a list: `header: TOS` or `header: [TOS, Type of Service]`.
type Texts []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (t *Texts) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*t = nil
			return nil
		}
		*t = Texts{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Texts, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return typeErr(c, "a text")
			}
			out = append(out, c.Value)
		}
		*t = out
		return nil
	}
	return typeErr(n, "a text or a list of texts")
}

func typeErr(n *yaml.Node, want string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s is needed here", n.Line, want)}}
}

//go:embed builtin_profiles.yaml
var builtinProfilesYAML []byte

// BuiltinProfiles returns fresh copies of the profiles that ship with plandash.
func BuiltinProfiles() ([]*Profile, error) {
	var list []*Profile
	if err := yaml.Unmarshal(builtinProfilesYAML, &list); err != nil {
		return nil, fmt.Errorf("plan: built-in profiles: %w", err)
	}
	for _, pr := range list {
		pr.Builtin = true
	}
	return list, nil
}

// TemplateProfile is the implicit profile of a dataset's own template: the
// header names the dataset's columns by name, title or alias, title rows may
// stand above it, and missing columns take the dataset's defaults.
func TemplateProfile(ds *Dataset) *Profile {
	title := ds.Title
	if title == "" {
		title = ds.Name
	}
	return &Profile{Name: ds.Name, Title: "The city's template for " + title, Dataset: ds.Name,
		DatasetHeaders: true, Template: true}
}

// TargetDatasets lists the datasets the profile fills, in order.
func (pr *Profile) TargetDatasets() []string {
	var out []string
	add := func(n string) {
		if n == "" {
			return
		}
		for _, o := range out {
			if o == n {
				return
			}
		}
		out = append(out, n)
	}
	if len(pr.Sheets) == 0 {
		add(pr.Dataset)
	}
	for _, s := range pr.Sheets {
		add(pr.SheetDataset(s))
	}
	return out
}

// Fills reports whether the profile fills the dataset.
func (pr *Profile) Fills(dataset string) bool {
	for _, d := range pr.TargetDatasets() {
		if d == dataset {
			return true
		}
	}
	return false
}

// SheetDataset is the dataset the sheet entry's rows go to (s may be nil).
func (pr *Profile) SheetDataset(s *ProfileSheet) string {
	if s != nil && s.Dataset != "" {
		return s.Dataset
	}
	return pr.Dataset
}

// ColumnsFor is the column specs in force for a sheet entry (s may be nil):
// the profile's, for a sheet of the profile's dataset, with the sheet's own
// added or replacing them.
func (pr *Profile) ColumnsFor(s *ProfileSheet) FieldMap {
	var out FieldMap
	if s == nil || pr.SheetDataset(s) == pr.Dataset {
		out = append(out, pr.Columns...)
	}
	if s == nil {
		return out
	}
	for _, f := range s.Columns {
		replaced := false
		for i, g := range out {
			if g.Name == f.Name {
				out[i], replaced = f, true
			}
		}
		if !replaced {
			out = append(out, f)
		}
	}
	return out
}

// FieldsFor is the field specs in force for a sheet entry (s may be nil).
func (pr *Profile) FieldsFor(s *ProfileSheet) FieldMap {
	out := append(FieldMap(nil), pr.Fields...)
	if s == nil {
		return out
	}
	for _, f := range s.Fields {
		replaced := false
		for i, g := range out {
			if g.Name == f.Name {
				out[i], replaced = f, true
			}
		}
		if !replaced {
			out = append(out, f)
		}
	}
	return out
}

// UnpivotFor is the unpivot rules in force for a sheet entry (s may be nil).
func (pr *Profile) UnpivotFor(s *ProfileSheet) []*UnpivotRule {
	if s != nil && len(s.Unpivot) > 0 {
		return s.Unpivot
	}
	if s == nil || pr.SheetDataset(s) == pr.Dataset {
		return pr.Unpivot
	}
	return nil
}

// HeaderFor is where the header of a sheet entry is (s may be nil).
func (pr *Profile) HeaderFor(s *ProfileSheet) HeaderSpec {
	var h HeaderSpec
	if pr.Header != nil {
		h = *pr.Header
	}
	if s != nil && s.Header != nil {
		h = *s.Header
	}
	if h.Rows < 1 {
		h.Rows = 1
	}
	if h.Search < 1 {
		h.Search = DefaultHeaderSearch
	}
	return h
}

// HeaderColumn is the 0-based index of a column written in letters ("B" is
// 1), and false for anything else.
func HeaderColumn(letters string) (int, bool) {
	s := strings.ToUpper(strings.TrimSpace(letters))
	if s == "" {
		return 0, true
	}
	if len(s) > 3 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return 0, false
		}
		n = n*26 + int(r-'A'+1)
	}
	if n > 16384 {
		return 0, false
	}
	return n - 1, true
}

// Profile returns the profile with the name: the plan's own, else a
// built-in one, else the template profile of the dataset with that name; nil
// if there is none. Built-in profiles are available when the plan includes
// the datasets they fill.
func (p *Plan) Profile(name string) *Profile {
	return p.profiles[name]
}

// AllProfiles lists the profiles available to the plan: its own first, then
// built-in ones, then the datasets' templates, each by name.
func (p *Plan) AllProfiles() []*Profile {
	out := make([]*Profile, 0, len(p.profiles))
	for _, pr := range p.profiles {
		out = append(out, pr)
	}
	rank := func(pr *Profile) int {
		switch {
		case pr.Template:
			return 2
		case pr.Builtin:
			return 1
		}
		return 0
	}
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank(out[i]), rank(out[j]); ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Crosswalk returns the plan's crosswalk with the name, or nil.
func (p *Plan) Crosswalk(name string) *Crosswalk {
	for _, cw := range p.Crosswalks {
		if cw != nil && cw.Name == name {
			return cw
		}
	}
	return nil
}

// ResolveCrosswalk is the crosswalk a profile uses: its own entries, or the
// plan's crosswalk it names (nil when the plan has none of that name).
func (p *Plan) ResolveCrosswalk(r *CrosswalkRef) *Crosswalk {
	if r == nil {
		return nil
	}
	if r.Use == "" {
		return &Crosswalk{Pos: r.Pos, Name: "(in the profile)", Entries: r.Entries, Otherwise: r.Otherwise}
	}
	return p.Crosswalk(r.Use)
}

// UnmarshalYAML records the place's keys, so a misspelt one (ntdid:) is
// reported rather than leaving a filter with nothing to keep.
func (pl *Place) UnmarshalYAML(n *yaml.Node) error {
	type raw Place
	return decodeWithPos(n, (*raw)(pl), &pl.Pos)
}

// PlaceKeys are the keys of place a template can name.
var PlaceKeys = []string{"city", "state", "zips", "ntd_id", "coc"}

// Values lists the value(s) of a place key, and false for an unknown key.
func (pl Place) Values(key string) ([]string, bool) {
	switch key {
	case "city":
		return nonEmpty(pl.City), true
	case "state":
		return nonEmpty(pl.State), true
	case "zips":
		var out []string
		for _, z := range pl.Zips {
			if strings.TrimSpace(z) != "" {
				out = append(out, strings.TrimSpace(z))
			}
		}
		return out, true
	case "ntd_id":
		return nonEmpty(pl.NTDID), true
	case "coc":
		return nonEmpty(pl.CoC), true
	}
	return nil, false
}

func nonEmpty(s string) []string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return []string{s}
}

// Template is a text of a profile with placeholders filled in as a file is
// read:
//
//	{place.ntd_id} {place.zips} {place.city} {place.state} {place.coc}
//	{set.year}     a value given at import time (--set year=2024)
//	{sheet} {file} the sheet's name, the file's name
//	{title}        the rows above the header
//	{code} {name}  in a crosswalk, the account's code and name
//
// A placeholder can take part of its value with a regular expression after a
// colon: {file:(20\d{2})} is the first group of the first match in the file
// name. Alternatives separated by | are tried in order:
// {set.year|sheet:^(20\d{2})$|file:(20\d{2})}. In an unpivot rule, $0 is
// the whole header and $1, $2 ... its groups.
type Template struct {
	Raw   string
	parts []tmplPart
}

type tmplPart struct {
	lit     string
	capture int // $n when >= 0
	alts    []tmplAlt
}

type tmplAlt struct {
	name    string
	pattern string
	re      *regexp.Regexp
}

// ParseTemplate reads a template.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{Raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tmplPart{lit: lit.String(), capture: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' && j-i <= 2 {
				j++
			}
			n, _ := strconv.Atoi(s[i+1 : j])
			flush()
			t.parts = append(t.parts, tmplPart{capture: n})
			i = j
		case c == '{':
			end := closingBrace(s, i)
			if end < 0 {
				return nil, fmt.Errorf("%q has a { without its }", s)
			}
			alts, err := parseAlts(s[i+1 : end])
			if err != nil {
				return nil, err
			}
			flush()
			t.parts = append(t.parts, tmplPart{capture: -1, alts: alts})
			i = end + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return t, nil
}

// closingBrace finds the } that closes the { at open, counting nested
// braces (a regular expression's \d{4}) and skipping escaped characters.
func closingBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

var placeholderNameRe = regexp.MustCompile(`^(sheet|file|title|code|name|place\.[a-z0-9_]+|set\.[A-Za-z0-9_]+)$`)

// parseAlts splits a placeholder on the | outside parentheses and brackets.
func parseAlts(s string) ([]tmplAlt, error) {
	var parts []string
	depth, start, inClass := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	parts = append(parts, s[start:])
	var out []tmplAlt
	for _, p := range parts {
		name, pat, hasPat := strings.Cut(p, ":")
		name = strings.TrimSpace(name)
		if !placeholderNameRe.MatchString(name) {
			return nil, fmt.Errorf("{%s}: %q is not a placeholder (write {place.city}, {set.year}, {sheet}, {file} or {title})", s, name)
		}
		if strings.HasPrefix(name, "place.") {
			if _, ok := (Place{}).Values(strings.TrimPrefix(name, "place.")); !ok {
				return nil, fmt.Errorf("{%s}: unknown place key %q (place keys: %s)", s, strings.TrimPrefix(name, "place."), strings.Join(PlaceKeys, ", "))
			}
		}
		a := tmplAlt{name: name}
		if hasPat {
			re, err := compileCI(pat)
			if err != nil {
				return nil, fmt.Errorf("{%s}: %v", s, err)
			}
			a.pattern, a.re = pat, re
		}
		out = append(out, a)
	}
	return out, nil
}

// compileCI compiles a regular expression of the plan file, which matches
// without regard to capitals.
func compileCI(pat string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("(?i)" + pat)
	if err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "error parsing regexp: ")
		return nil, fmt.Errorf("bad regular expression %q: %s", pat, msg)
	}
	return re, nil
}

// CompileRegexp compiles a regular expression written in a profile: it
// matches without regard to capitals.
func CompileRegexp(pat string) (*regexp.Regexp, error) { return compileCI(pat) }

// MaxCapture is the highest $n the template uses, -1 for none.
func (t *Template) MaxCapture() int {
	m := -1
	for _, p := range t.parts {
		if p.capture > m {
			m = p.capture
		}
	}
	return m
}

// Names lists the placeholders the template uses.
func (t *Template) Names() []string {
	var out []string
	for _, p := range t.parts {
		for _, a := range p.alts {
			out = append(out, a.name)
		}
	}
	return out
}

// Constant reports whether the template has no placeholder and no capture.
func (t *Template) Constant() bool {
	for _, p := range t.parts {
		if p.alts != nil || p.capture >= 0 {
			return false
		}
	}
	return true
}

// TemplateEnv is what a template's placeholders are filled from.
type TemplateEnv struct {
	Place Place
	Set   map[string]string
	Sheet string
	File  string
	// Title holds the rows above the header, each row's cells joined by
	// spaces.
	Title []string
	// Captures are $0, $1 ... of an unpivot header.
	Captures []string
	// Code and Name are the account code and name a crosswalk looked up.
	Code, Name string
}

// MissingValueError is a placeholder that nothing fills: no --set value was
// given, the plan's place lacks the key, or no name matches.
type MissingValueError struct {
	Placeholder string
	Reasons     []string
	// Set names the import-time values that would fill it.
	Set []string
}

func (e *MissingValueError) Error() string {
	return fmt.Sprintf("nothing fills %s (%s)", e.Placeholder, strings.Join(e.Reasons, "; "))
}

// Expand fills the template in. A template that is one placeholder of a
// list (place.zips) gives the list; otherwise it gives one value.
func (t *Template) Expand(env *TemplateEnv) ([]string, error) {
	if len(t.parts) == 1 && t.parts[0].alts != nil {
		return t.parts[0].fill(env)
	}
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.alts != nil:
			vs, err := p.fill(env)
			if err != nil {
				return nil, err
			}
			b.WriteString(strings.Join(vs, ","))
		case p.capture >= 0:
			if p.capture < len(env.Captures) {
				b.WriteString(env.Captures[p.capture])
			}
		default:
			b.WriteString(p.lit)
		}
	}
	return []string{b.String()}, nil
}

// ExpandOne fills the template in as one value.
func (t *Template) ExpandOne(env *TemplateEnv) (string, error) {
	vs, err := t.Expand(env)
	if err != nil {
		return "", err
	}
	return strings.Join(vs, ","), nil
}

func (p tmplPart) fill(env *TemplateEnv) ([]string, error) {
	var reasons, sets []string
	for _, a := range p.alts {
		var cands []string
		switch {
		case a.name == "sheet":
			cands = nonEmpty(env.Sheet)
		case a.name == "file":
			cands = nonEmpty(env.File)
		case a.name == "title":
			cands = env.Title
		case a.name == "code":
			cands = nonEmpty(env.Code)
		case a.name == "name":
			cands = nonEmpty(env.Name)
		case strings.HasPrefix(a.name, "place."):
			cands, _ = env.Place.Values(strings.TrimPrefix(a.name, "place."))
		case strings.HasPrefix(a.name, "set."):
			k := strings.TrimPrefix(a.name, "set.")
			sets = append(sets, k)
			for sk, sv := range env.Set {
				if strings.EqualFold(sk, k) && strings.TrimSpace(sv) != "" {
					cands = []string{strings.TrimSpace(sv)}
				}
			}
		}
		if a.re == nil {
			if len(cands) > 0 {
				return cands, nil
			}
		} else {
			for _, c := range cands {
				if m := a.re.FindStringSubmatch(c); m != nil {
					v := m[0]
					for _, g := range m[1:] {
						if g != "" {
							v = g
							break
						}
					}
					return []string{strings.TrimSpace(v)}, nil
				}
			}
		}
		reasons = append(reasons, a.missing(env))
	}
	return nil, &MissingValueError{Placeholder: "{" + p.describe() + "}", Reasons: reasons, Set: sets}
}

func (p tmplPart) describe() string {
	var parts []string
	for _, a := range p.alts {
		if a.re != nil {
			parts = append(parts, a.name+":"+a.pattern)
		} else {
			parts = append(parts, a.name)
		}
	}
	return strings.Join(parts, "|")
}

func (a tmplAlt) missing(env *TemplateEnv) string {
	switch {
	case strings.HasPrefix(a.name, "set."):
		return fmt.Sprintf("no import-time value %s was given (--set %s=...)", strings.TrimPrefix(a.name, "set."), strings.TrimPrefix(a.name, "set."))
	case strings.HasPrefix(a.name, "place."):
		k := strings.TrimPrefix(a.name, "place.")
		if a.re != nil {
			return fmt.Sprintf("the plan's place %s does not match %s", k, a.pattern)
		}
		return fmt.Sprintf("the plan file's place has no %s (add it under place:)", k)
	case a.name == "sheet":
		return fmt.Sprintf("the sheet name %q does not match %s", env.Sheet, a.pattern)
	case a.name == "file":
		return fmt.Sprintf("the file name %q does not match %s", env.File, a.pattern)
	case a.name == "code" || a.name == "name":
		return fmt.Sprintf("the row has no account %s", a.name)
	}
	return fmt.Sprintf("no row above the header matches %s", a.pattern)
}

// NormalizeText folds a header or name for comparison: lower case, letters
// and digits only.
func NormalizeText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

var profileNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// checkProfiles validates the crosswalks and profiles of the plan and
// resolves the profiles available to it.
func (p *Plan) checkProfiles(c *checker) {
	c.unknown(p.Place.Pos, "place")
	p.Crosswalks = dropNil(c, p.Crosswalks, p.KeyLine("crosswalks"), "the crosswalks")
	p.Profiles = dropNil(c, p.Profiles, p.KeyLine("profiles"), "the profiles")
	seenCW := map[string]bool{}
	for _, cw := range p.Crosswalks {
		c.unknown(cw.Pos, "crosswalk "+cw.Name)
		if strings.TrimSpace(cw.Name) == "" {
			c.errf(cw.Line, "a crosswalk has no name")
		} else if seenCW[cw.Name] {
			c.errf(cw.KeyLine("name"), "crosswalk %q is declared twice", cw.Name)
		}
		seenCW[cw.Name] = true
		checkCrosswalkEntries(c, "crosswalk "+cw.Name, cw.Entries, cw.Otherwise, cw.KeyLine("entries"))
	}

	p.profiles = map[string]*Profile{}
	for name, ds := range p.Datasets {
		p.profiles[name] = TemplateProfile(ds)
	}
	builtin, err := BuiltinProfiles()
	if err != nil {
		c.errf(0, "%v", err)
	}
	for _, pr := range builtin {
		usable := true
		for _, d := range pr.TargetDatasets() {
			if ds := p.Datasets[d]; ds == nil || !ds.Builtin {
				usable = false
			}
		}
		if !usable {
			continue
		}
		// A built-in profile that does not fit is a bug of plandash; its
		// problems are reported against the plan rather than hidden.
		sub := &checker{file: "builtin_profiles.yaml"}
		p.checkProfile(sub, pr)
		if sub.probs.Errors() > 0 {
			for _, pb := range sub.probs {
				c.warnf(0, "built-in profile %s is not available: line %d: %s", pr.Name, pb.Line, pb.Message)
			}
			continue
		}
		p.profiles[pr.Name] = pr
	}
	seen := map[string]bool{}
	for _, pr := range p.Profiles {
		c.unknown(pr.Pos, "profile "+pr.Name)
		if !profileNameRe.MatchString(pr.Name) {
			c.errf(pr.KeyLine("name"), "profile name %q must be lower-case letters, digits, hyphens and underscores", pr.Name)
		}
		if seen[pr.Name] {
			c.errf(pr.KeyLine("name"), "profile %q is declared twice", pr.Name)
		}
		seen[pr.Name] = true
		n := len(c.probs)
		p.checkProfile(c, pr)
		if c.probs[n:].Errors() == 0 {
			p.profiles[pr.Name] = pr
		}
	}
}

// profileScope is what the names in a profile may refer to.
type profileScope struct {
	datasets []*Dataset
	fields   map[string]bool // fields of any sheet
	anyCol   map[string]bool // columns of any target dataset
}

func (p *Plan) checkProfile(c *checker, pr *Profile) {
	where := "profile " + pr.Name
	if strings.TrimSpace(pr.Name) == "" {
		c.errf(pr.Line, "a profile has no name")
	}
	pr.Sheets = dropNil(c, pr.Sheets, pr.KeyLine("sheets"), "the sheets of "+pr.Name)
	pr.Unpivot = dropNil(c, pr.Unpivot, pr.KeyLine("unpivot"), "the unpivot rules of "+pr.Name)
	pr.Skip = dropNil(c, pr.Skip, pr.KeyLine("skip"), "the skip rules of "+pr.Name)
	pr.Filters = dropNil(c, pr.Filters, pr.KeyLine("filters"), "the filters of "+pr.Name)

	targets := pr.TargetDatasets()
	if len(targets) == 0 || (pr.Dataset == "" && len(pr.Sheets) > 0 && anySheetWithout(pr.Sheets)) {
		c.errf(pr.Line, "%s does not say which dataset it fills (dataset: NAME)", where)
	}
	sc := profileScope{fields: map[string]bool{}, anyCol: map[string]bool{}}
	for _, d := range targets {
		ds := p.Datasets[d]
		if ds == nil {
			line := pr.KeyLine("dataset")
			for _, s := range pr.Sheets {
				if s.Dataset == d {
					line = s.KeyLine("dataset")
				}
			}
			c.errf(line, "%s: unknown dataset %q (the plan lists: %s)", where, d, strings.Join(sortedKeys(p.Datasets), ", "))
			continue
		}
		sc.datasets = append(sc.datasets, ds)
	}
	for _, ds := range sc.datasets {
		for _, col := range ds.Columns {
			sc.anyCol[col.Name] = true
		}
	}
	if pr.Detect != nil {
		c.unknown(pr.Detect.Pos, where+" detect")
		if pr.Detect.File != "" {
			if _, err := compileCI(pr.Detect.File); err != nil {
				c.errf(pr.Detect.KeyLine("file"), "%s: detect file: %v", where, err)
			}
		}
	}
	if pr.Header != nil {
		checkHeaderSpec(c, where, pr.Header)
	}
	checkFieldNames(c, where, pr.Fields, sc)
	for _, f := range pr.Fields {
		sc.fields[f.Name] = true
	}
	for _, s := range pr.Sheets {
		for _, f := range s.Fields {
			sc.fields[f.Name] = true
		}
	}
	sheetsToCheck := pr.Sheets
	if len(sheetsToCheck) == 0 {
		sheetsToCheck = []*ProfileSheet{nil}
	}
	// A required column is filled when some sheet of its dataset fills it
	// (joined sheets fill different columns of one row).
	covered := map[string]map[string]bool{}
	for _, s := range sheetsToCheck {
		cov := p.checkProfileSheet(c, pr, s, where)
		d := pr.SheetDataset(s)
		if covered[d] == nil {
			covered[d] = map[string]bool{}
		}
		for k := range cov {
			covered[d][k] = true
		}
	}
	for _, ds := range sc.datasets {
		if pr.DatasetHeaders {
			break
		}
		for _, col := range ds.Columns {
			if col.Required && !covered[ds.Name][col.Name] && col.Default == "" {
				c.errf(pr.KeyLine("columns"), "%s: nothing fills the required column %s of dataset %s (add it under columns:)", where, col.Name, ds.Name)
			}
		}
	}
	var cw *Crosswalk
	if r := pr.Crosswalk; r != nil {
		c.unknown(r.Pos, where+" crosswalk")
		if r.Use != "" {
			if len(r.Entries) > 0 || r.Otherwise != nil {
				c.errf(r.Line, "%s: a crosswalk names a crosswalk of the plan (use:) or has its own entries, not both", where)
			}
			cw = p.Crosswalk(r.Use)
			if cw == nil && !pr.Builtin {
				c.errf(r.KeyLine("use"), "%s: unknown crosswalk %q (the plan declares: %s)", where, r.Use, crosswalkNames(p.Crosswalks))
			}
		} else {
			checkCrosswalkEntries(c, where+" crosswalk", r.Entries, r.Otherwise, r.KeyLine("entries"))
			cw = p.ResolveCrosswalk(r)
		}
		if r.Code == "" && r.Name == "" {
			c.errf(r.Line, "%s: the crosswalk needs the field of the account code (code:) or name (name:)", where)
		}
		for _, k := range []string{"code", "name"} {
			v := r.Code
			if k == "name" {
				v = r.Name
			}
			if v != "" && !sc.fields[v] && !pr.listsColumn(v) {
				c.errf(r.KeyLine(k), "%s: crosswalk %s: %q is not a field or column of the profile", where, k, v)
			}
		}
		if cw != nil {
			for _, e := range append(append([]*CrosswalkEntry{}, cw.Entries...), cw.Otherwise) {
				if e == nil {
					continue
				}
				for _, a := range e.Set {
					if !sc.anyCol[a.Column] {
						c.errf(a.Line, "%s: crosswalk %s sets %q, which is not a column of %s", where, cw.Name, a.Column, strings.Join(targets, ", "))
					}
				}
			}
		}
	}
	refOK := func(name string) bool {
		return sc.fields[name] || pr.listsColumn(name) || (pr.DatasetHeaders && sc.anyCol[name])
	}
	for _, j := range pr.Join {
		if !refOK(j) && !pr.unpivotSets(j) {
			c.errf(pr.KeyLine("join"), "%s: join on %q, which is not a field or column of the profile", where, j)
		}
	}
	if len(pr.Join) > 0 && len(pr.Sheets) < 2 {
		c.errf(pr.KeyLine("join"), "%s: join merges the rows of several sheets; list them under sheets:", where)
	}
	for _, s := range pr.Skip {
		c.unknown(s.Pos, where+" skip rule")
		n := 0
		for _, set := range []bool{s.Equals != nil, s.Matches != "", s.NotMatches != "", s.Blank} {
			if set {
				n++
			}
		}
		if n != 1 {
			c.errf(s.Line, "%s: a skip rule needs one of equals, matches, not_matches or blank: true", where)
		}
		if (s.Field == "") == !s.Anywhere {
			c.errf(s.Line, "%s: a skip rule tests a field (field: NAME) or every cell (anywhere: true)", where)
		} else if s.Field != "" && !refOK(s.Field) {
			c.errf(s.KeyLine("field"), "%s: skip rule on %q, which is not a field or column of the profile", where, s.Field)
		}
		if s.Anywhere && (s.Blank || s.NotMatches != "") {
			c.errf(s.Line, "%s: anywhere: true needs equals or matches", where)
		}
		for k, pat := range map[string]string{"matches": s.Matches, "not_matches": s.NotMatches} {
			if pat != "" {
				if _, err := compileCI(pat); err != nil {
					c.errf(s.KeyLine(k), "%s: skip rule: %v", where, err)
				}
			}
		}
		if strings.TrimSpace(s.Reason) == "" {
			c.errf(s.Line, "%s: a skip rule needs a reason, which the import report shows", where)
		}
	}
	for _, f := range pr.Filters {
		c.unknown(f.Pos, where+" filter")
		if !refOK(f.Field) {
			c.errf(f.Line, "%s: filter on %q, which is not a field or column of the profile", where, f.Field)
		}
		n := 0
		for _, set := range []bool{f.Equals != "", len(f.In) > 0, f.Matches != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			c.errf(f.Line, "%s: a filter needs one of equals, in or matches", where)
		}
		for _, v := range append(Texts{f.Equals}, f.In...) {
			if v == "" {
				continue
			}
			if t, err := ParseTemplate(v); err != nil {
				c.errf(f.Line, "%s: filter on %s: %v", where, f.Field, err)
			} else if t.MaxCapture() >= 0 {
				c.errf(f.Line, "%s: filter on %s: $%d has no meaning here", where, f.Field, t.MaxCapture())
			}
		}
		if f.Matches != "" {
			if _, err := compileCI(f.Matches); err != nil {
				c.errf(f.KeyLine("matches"), "%s: filter: %v", where, err)
			}
		}
	}
	switch pr.Combine {
	case "":
	case CombineSum:
		for _, ds := range sc.datasets {
			if len(ds.Key) == 0 {
				c.errf(pr.KeyLine("combine"), "%s: combine: sum adds up rows with the same key, but dataset %s has no key", where, ds.Name)
			}
		}
	default:
		c.errf(pr.KeyLine("combine"), "%s: combine %q must be sum", where, pr.Combine)
	}
	switch pr.OnError {
	case "", OnErrorReject, OnErrorSkip:
	default:
		c.errf(pr.KeyLine("on_error"), "%s: on_error %q must be reject or skip_row", where, pr.OnError)
	}
}

func anySheetWithout(ss []*ProfileSheet) bool {
	for _, s := range ss {
		if s.Dataset == "" {
			return true
		}
	}
	return false
}

func crosswalkNames(cws []*Crosswalk) string {
	var n []string
	for _, cw := range cws {
		n = append(n, cw.Name)
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

// listsColumn reports whether the profile (or one of its sheets) lists the
// column.
func (pr *Profile) listsColumn(name string) bool {
	if pr.Columns.Get(name) != nil {
		return true
	}
	for _, s := range pr.Sheets {
		if s.Columns.Get(name) != nil {
			return true
		}
	}
	return false
}

// unpivotSets reports whether an unpivot rule of the profile sets the column.
func (pr *Profile) unpivotSets(name string) bool {
	rules := append([]*UnpivotRule{}, pr.Unpivot...)
	for _, s := range pr.Sheets {
		rules = append(rules, s.Unpivot...)
	}
	for _, u := range rules {
		for _, a := range u.Set {
			if a.Column == name {
				return true
			}
		}
	}
	return false
}

func checkHeaderSpec(c *checker, where string, h *HeaderSpec) {
	c.unknown(h.Pos, where+" header")
	if h.Row < 0 {
		c.errf(h.KeyLine("row"), "%s: header row %d must be 1 or more (or left out to search for it)", where, h.Row)
	}
	if _, ok := HeaderColumn(h.Column); !ok {
		c.errf(h.KeyLine("column"), "%s: header column %q must be column letters such as B", where, h.Column)
	}
	if h.Rows < 0 || h.Rows > 5 {
		c.errf(h.KeyLine("rows"), "%s: header rows %d must be 1 to 5", where, h.Rows)
	}
	if h.Search < 0 || h.Search > 1000 {
		c.errf(h.KeyLine("search"), "%s: header search %d must be 1 to 1000", where, h.Search)
	}
	if h.Row > 0 && h.Row < h.Rows {
		c.errf(h.KeyLine("row"), "%s: a header of %d rows cannot end on row %d", where, h.Rows, h.Row)
	}
}

func checkFieldNames(c *checker, where string, fields FieldMap, sc profileScope) {
	seen := map[string]bool{}
	for _, f := range fields {
		if !ValidIdent(f.Name) {
			c.errf(f.Line, "%s: field name %q must be lower-case letters, digits and underscores", where, f.Name)
		}
		if sc.anyCol[f.Name] {
			c.errf(f.Line, "%s: field %q is a column of the dataset; list it under columns:", where, f.Name)
		}
		if seen[f.Name] {
			c.errf(f.Line, "%s: field %q is listed twice", where, f.Name)
		}
		seen[f.Name] = true
		checkFieldSpec(c, where, f, nil, false)
	}
}

// checkProfileSheet checks a sheet entry (nil for the profile itself) and
// returns the columns it fills.
func (p *Plan) checkProfileSheet(c *checker, pr *Profile, s *ProfileSheet, where string) map[string]bool {
	dsName := pr.SheetDataset(s)
	ds := p.Datasets[dsName]
	if s != nil {
		c.unknown(s.Pos, where+" sheet "+s.Describe())
		if (len(s.Name) == 0) == (s.Pattern == "") {
			c.errf(s.Line, "%s: a sheet entry needs a name or a pattern, not both", where)
		}
		for _, n := range s.Name {
			if NormalizeText(n) == "" {
				c.errf(s.KeyLine("name"), "%s: sheet name %q has no letters or digits", where, n)
			}
		}
		if s.Pattern != "" {
			if _, err := compileCI(s.Pattern); err != nil {
				c.errf(s.KeyLine("pattern"), "%s: sheet pattern: %v", where, err)
			}
		}
		if s.Header != nil {
			checkHeaderSpec(c, where, s.Header)
		}
		if s.Value != "" && ds != nil && ds.Column(s.Value) == nil {
			c.errf(s.KeyLine("value"), "%s: sheet %s: value %q is not a column of dataset %s", where, s.Describe(), s.Value, ds.Name)
		}
		sc := profileScope{anyCol: map[string]bool{}}
		if ds != nil {
			for _, col := range ds.Columns {
				sc.anyCol[col.Name] = true
			}
		}
		checkFieldNames(c, where, s.Fields, sc)
	}
	if ds == nil {
		return nil
	}
	cols := pr.ColumnsFor(s)
	seen := map[string]bool{}
	for _, f := range cols {
		col := ds.Column(f.Name)
		if col == nil {
			c.errf(f.Line, "%s: %q is not a column of dataset %s (columns: %s); values the profile only tests belong under fields:", where, f.Name, ds.Name, columnNames(ds))
			continue
		}
		if seen[f.Name] && (s == nil || s.Columns.Get(f.Name) == nil) {
			c.errf(f.Line, "%s: column %q is listed twice", where, f.Name)
		}
		seen[f.Name] = true
		checkFieldSpec(c, where, f, col, pr.DatasetHeaders)
	}
	covered := map[string]bool{}
	for _, f := range cols {
		covered[f.Name] = true
	}
	for _, u := range pr.UnpivotFor(s) {
		c.unknown(u.Pos, where+" unpivot rule")
		re, err := compileCI(u.Header)
		if u.Header == "" {
			c.errf(u.Line, "%s: an unpivot rule needs header: a regular expression of the headers it takes", where)
		} else if err != nil {
			c.errf(u.KeyLine("header"), "%s: unpivot: %v", where, err)
		}
		if u.Group != "" {
			if _, err := compileCI(u.Group); err != nil {
				c.errf(u.KeyLine("group"), "%s: unpivot group: %v", where, err)
			}
		}
		value := u.Value
		if value == "" && s != nil {
			value = s.Value
		}
		switch col := ds.Column(value); {
		case value == "":
			c.errf(u.Line, "%s: an unpivot rule needs value: the column its cells go into (or value: on each sheet)", where)
		case col == nil:
			c.errf(u.KeyLine("value"), "%s: unpivot value %q is not a column of dataset %s", where, value, ds.Name)
		default:
			covered[value] = true
			checkFieldSpec(c, where, &FieldSpec{Name: value, Zero: u.Zero, Scale: u.Scale, Suffixes: u.Suffixes}, col, true)
		}
		for _, a := range u.Set {
			if ds.Column(a.Column) == nil {
				c.errf(a.Line, "%s: unpivot sets %q, which is not a column of dataset %s", where, a.Column, ds.Name)
				continue
			}
			if cols.Get(a.Column) != nil {
				c.errf(a.Line, "%s: column %s comes from both columns: and an unpivot rule", where, a.Column)
			}
			covered[a.Column] = true
			t, err := ParseTemplate(a.Value)
			if err != nil {
				c.errf(a.Line, "%s: unpivot set %s: %v", where, a.Column, err)
				continue
			}
			if re != nil && t.MaxCapture() > re.NumSubexp() {
				c.errf(a.Line, "%s: unpivot set %s uses $%d, but the header pattern has %d group(s)", where, a.Column, t.MaxCapture(), re.NumSubexp())
			}
		}
	}
	if r := pr.Crosswalk; r != nil {
		cw := p.ResolveCrosswalk(r)
		if cw != nil {
			for _, e := range append(append([]*CrosswalkEntry{}, cw.Entries...), cw.Otherwise) {
				if e != nil {
					for _, a := range e.Set {
						covered[a.Column] = true
					}
				}
			}
		} else if pr.Builtin {
			// The plan may lack the crosswalk a built-in profile uses;
			// reading the file then says what to add.
			covered["category"], covered["source"] = true, true
		}
	}
	return covered
}

func columnNames(ds *Dataset) string {
	n := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}

// checkFieldSpec checks one spec; col is nil for a field. sourced is true
// when the spec needs no header or value of its own (an unpivot rule's
// cells, or a dataset column whose header the dataset's names find).
func checkFieldSpec(c *checker, where string, f *FieldSpec, col *Column, sourced bool) {
	c.unknown(f.Pos, fmt.Sprintf("%s %s", where, f.Name))
	name := f.Name
	if len(f.Header) == 0 && f.Value == "" && f.Default == "" && !sourced {
		c.errf(f.Line, "%s: %s needs a header (header: ...) or a value (value: ...)", where, name)
	}
	if len(f.Header) > 0 && f.Value != "" {
		c.errf(f.Line, "%s: %s has both a header and a value; a value is a constant for every row", where, name)
	}
	for _, h := range f.Header {
		if NormalizeText(h) == "" {
			c.errf(f.Line, "%s: %s: header %q has no letters or digits", where, name, h)
		}
	}
	if f.Group != "" && len(f.Header) == 0 {
		c.errf(f.KeyLine("group"), "%s: %s: group needs a header", where, name)
	}
	if f.Occurrence < 0 {
		c.errf(f.KeyLine("occurrence"), "%s: %s: occurrence must be 1 or more", where, name)
	}
	for _, k := range []string{"value", "default"} {
		v := f.Value
		if k == "default" {
			v = f.Default
		}
		if v == "" {
			continue
		}
		t, err := ParseTemplate(v)
		if err != nil {
			c.errf(f.KeyLine(k), "%s: %s: %v", where, name, err)
			continue
		}
		if t.MaxCapture() >= 0 {
			c.errf(f.KeyLine(k), "%s: %s: $%d has meaning only in an unpivot rule", where, name, t.MaxCapture())
		}
		if t.Constant() && col != nil {
			if _, err := ParseFilterValue(col, v); err != nil && col.Type != TypeText {
				// Plan-file values are plain forms; a file's forms are
				// read when the value comes from the file.
				c.errf(f.KeyLine(k), "%s: %s: %v", where, name, err)
			}
		}
	}
	numeric := col == nil || col.Numeric()
	if f.Scale < 0 || (f.Scale > 0 && !numeric) {
		c.errf(f.KeyLine("scale"), "%s: %s: scale must be a positive whole number, for a number column", where, name)
	}
	if f.Suffixes && !numeric {
		c.errf(f.KeyLine("suffixes"), "%s: %s: suffixes are for number columns", where, name)
	}
	if f.Digits < 0 || f.Digits > 30 || (f.Digits > 0 && col != nil && col.Type != TypeText) {
		c.errf(f.KeyLine("digits"), "%s: %s: digits (0 to 30) is for text columns", where, name)
	}
	if len(f.Zero) > 0 && col != nil && !col.Numeric() {
		c.errf(f.KeyLine("zero"), "%s: %s: zero is for number columns", where, name)
	}
}

func checkCrosswalkEntries(c *checker, where string, entries []*CrosswalkEntry, otherwise *CrosswalkEntry, line int) {
	entries = dropNil(c, entries, line, "the entries of "+where)
	for _, e := range entries {
		n := 0
		for _, set := range []bool{len(e.Code) > 0, len(e.Name) > 0, e.Match != ""} {
			if set {
				n++
			}
		}
		if n == 0 {
			c.errf(e.Line, "%s: an entry needs code, name or match", where)
		}
		if e.Match != "" {
			if _, err := compileCI(e.Match); err != nil {
				c.errf(e.KeyLine("match"), "%s: %v", where, err)
			}
		}
		if len(e.Set) == 0 {
			c.errf(e.Line, "%s: an entry sets no column (such as category: Taxes, source: Sales Tax)", where)
		}
		checkSetTemplates(c, where, e)
	}
	if otherwise != nil {
		if len(otherwise.Code) > 0 || len(otherwise.Name) > 0 || otherwise.Match != "" {
			c.errf(otherwise.Line, "%s: otherwise takes every account no entry matches; it has no code, name or match", where)
		}
		checkSetTemplates(c, where, otherwise)
	}
}

func checkSetTemplates(c *checker, where string, e *CrosswalkEntry) {
	for _, a := range e.Set {
		t, err := ParseTemplate(a.Value)
		if err != nil {
			c.errf(a.Line, "%s: %s: %v", where, a.Column, err)
		} else if t.MaxCapture() >= 0 {
			c.errf(a.Line, "%s: %s: $%d has meaning only in an unpivot rule", where, a.Column, t.MaxCapture())
		}
	}
}

var setKeyRe = regexp.MustCompile(`\{set\.([A-Za-z0-9_]+)`)

// SetKeys lists the import-time values the profile can use ({set.year}),
// so the upload form can ask for them.
func (pr *Profile) SetKeys() []string {
	b, err := yaml.Marshal(pr)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range setKeyRe.FindAllStringSubmatch(string(b), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}
