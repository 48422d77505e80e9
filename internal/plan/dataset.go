package plan

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Column types a dataset can declare.
const (
	TypeText       = "text"
	TypeInteger    = "integer"
	TypeDecimal    = "decimal"
	TypeMoney      = "money"
	TypeDate       = "date"
	TypeMonth      = "month"
	TypeFiscalYear = "fiscal_year"
	TypeBoolean    = "boolean"
)

var columnTypes = map[string]bool{
	TypeText: true, TypeInteger: true, TypeDecimal: true, TypeMoney: true,
	TypeDate: true, TypeMonth: true, TypeFiscalYear: true, TypeBoolean: true,
}

// Import modes: how a new import meets the rows already in force.
const (
	ModeReplace = "replace" // the import's rows replace every current row
	ModeUpsert  = "upsert"  // rows replace current rows with the same key
	ModeAppend  = "append"  // rows are added
)

// Dataset is a typed table of facts.
type Dataset struct {
	Pos         `yaml:"-"`
	Name        string    `yaml:"name"`
	Title       string    `yaml:"title"`
	Description string    `yaml:"description"`
	Columns     []*Column `yaml:"columns"`
	Key         []string  `yaml:"key"`
	// Time is the column that places a row in time.
	Time string `yaml:"time"`
	// FiscalYearColumn, when set, buckets rows by fiscal year (so annual rows
	// without a month still count).
	FiscalYearColumn string `yaml:"fiscal_year_column"`
	Mode             string `yaml:"mode"`
	// Public is false for a dataset anonymous viewers never see.
	Public *bool `yaml:"public"`
	// LagDays is how long after a period ends its data is usually published.
	LagDays int  `yaml:"publication_lag_days"`
	Builtin bool `yaml:"-"`
}

// UnmarshalYAML records the dataset's position.
func (d *Dataset) UnmarshalYAML(n *yaml.Node) error {
	type raw Dataset
	return decodeWithPos(n, (*raw)(d), &d.Pos)
}

// Column is one typed column of a dataset.
type Column struct {
	Pos         `yaml:"-"`
	Name        string   `yaml:"name"`
	Title       string   `yaml:"title"`
	Type        string   `yaml:"type"`
	Required    bool     `yaml:"required"`
	Public      *bool    `yaml:"public"`
	Aliases     []string `yaml:"aliases"`
	Default     string   `yaml:"default"`
	Description string   `yaml:"description"`
	Example     string   `yaml:"example"`
	// Unit names what a number counts ("trips", "USD").
	Unit string `yaml:"unit"`
	// Values lists the words a text column takes; Synonyms maps other ways
	// people write them onto those words; Percent "points" reads a number
	// as percentage points; Refers names the kind of plan id the column
	// holds. See values.go.
	Values   []string          `yaml:"values"`
	Synonyms map[string]string `yaml:"synonyms"`
	Percent  string            `yaml:"percent"`
	Refers   string            `yaml:"refers"`
}

// UnmarshalYAML records the column's position.
func (c *Column) UnmarshalYAML(n *yaml.Node) error {
	type raw Column
	return decodeWithPos(n, (*raw)(c), &c.Pos)
}

// IsPublic reports whether anonymous viewers may see the dataset.
func (d *Dataset) IsPublic() bool { return d.Public == nil || *d.Public }

// IsPublic reports whether anonymous viewers may see the column.
func (c *Column) IsPublic() bool { return c.Public == nil || *c.Public }

// Column returns the column with the name, or nil.
func (d *Dataset) Column(name string) *Column {
	for _, c := range d.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Numeric reports whether the column holds numbers that can be summed.
func (c *Column) Numeric() bool {
	switch c.Type {
	case TypeInteger, TypeDecimal, TypeMoney:
		return true
	}
	return false
}

// Temporal reports whether the column places a row in time.
func (c *Column) Temporal() bool {
	return c.Type == TypeDate || c.Type == TypeMonth
}

// DisplayTitle is the column's title, or its name.
func (c *Column) DisplayTitle() string {
	if c.Title != "" {
		return c.Title
	}
	return c.Name
}

// DatasetRef is an entry of the plan's datasets list: the name of a built-in
// dataset, or a whole definition of the plan's own.
type DatasetRef struct {
	Pos     `yaml:"-"`
	Builtin string
	Own     *Dataset
}

// UnmarshalYAML accepts a scalar name or a mapping.
func (r *DatasetRef) UnmarshalYAML(n *yaml.Node) error {
	r.Line = n.Line
	if n.Kind == yaml.ScalarNode {
		r.Builtin = n.Value
		return nil
	}
	r.Own = &Dataset{}
	return n.Decode(r.Own)
}

//go:embed builtin_datasets.yaml
var builtinDatasetsYAML []byte

// BuiltinDatasets returns fresh copies of the datasets that ship with plandash.
func BuiltinDatasets() (map[string]*Dataset, error) {
	var list []*Dataset
	if err := yaml.Unmarshal(builtinDatasetsYAML, &list); err != nil {
		return nil, fmt.Errorf("plan: built-in datasets: %w", err)
	}
	out := make(map[string]*Dataset, len(list))
	for _, d := range list {
		d.Builtin = true
		out[d.Name] = d
	}
	return out, nil
}

var identRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidIdent reports whether s may name a dataset or column: it becomes an SQL
// identifier, so only lower-case letters, digits and underscores are allowed.
func ValidIdent(s string) bool { return identRe.MatchString(s) && !strings.HasPrefix(s, "_") }
