package plan

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Plan is a strategic plan as the plan file declares it.
type Plan struct {
	Pos `yaml:"-"`
	// File is the path the plan was loaded from; Hash is the sha256 of its bytes.
	File string `yaml:"-"`
	Hash string `yaml:"-"`

	Title        string       `yaml:"title"`
	Organisation string       `yaml:"organisation"`
	Place        Place        `yaml:"place"`
	Start        Date         `yaml:"start"`
	End          Date         `yaml:"end"`
	FiscalYear   int          `yaml:"fiscal_year_start_month"`
	TimeZone     string       `yaml:"time_zone"`
	Vision       string       `yaml:"vision"`
	Mission      string       `yaml:"mission"`
	Values       []string     `yaml:"values"`
	FocusAreas   []string     `yaml:"focus_areas"`
	Council      []Person     `yaml:"council"`
	Leadership   []Person     `yaml:"leadership"`
	Departments  []Department `yaml:"departments"`
	Goals        []*Goal      `yaml:"goals"`
	DatasetRefs  []DatasetRef `yaml:"datasets"`
	Indicators   []*Indicator `yaml:"indicators"`
	// Profiles map kinds of source files onto datasets; Crosswalks map
	// account codes and names onto the plan's categories (see profile.go).
	Profiles   []*Profile   `yaml:"profiles"`
	Crosswalks []*Crosswalk `yaml:"crosswalks"`
	// Sources are checked on a schedule for new files; Alerts say who hears
	// of failures and status changes (see source.go).
	Sources []*SourceDef `yaml:"sources"`
	Alerts  *Alerts      `yaml:"alerts"`
	// Sample marks a plan whose targets are illustrative; every page says so.
	Sample bool `yaml:"sample"`
	// Population by calendar year, for indicators per capita.
	Population map[string]int64 `yaml:"population"`
	// UpdateCadence is how often strategy owners report progress, unless a
	// strategy says otherwise (default quarter; see strategy.go).
	UpdateCadence Grain `yaml:"update_cadence"`

	// Resolved by Validate.
	Datasets map[string]*Dataset `yaml:"-"`
	profiles map[string]*Profile
	location *time.Location
	ids      map[string]any
}

// Place is where the plan applies; datasets default their geography to it,
// and profiles keep the rows of public files that are about it.
type Place struct {
	Pos   `yaml:"-"`
	City  string   `yaml:"city"`
	State string   `yaml:"state"`
	Zips  []string `yaml:"zips"`
	// NTDID is the National Transit Database id of the city's transit
	// agency ("90022"); CoC is its Continuum of Care ("CA-600").
	NTDID string `yaml:"ntd_id"`
	CoC   string `yaml:"coc"`
}

// Person is a council member or an executive, with their title.
type Person struct {
	Name  string `yaml:"name" json:"name"`
	Title string `yaml:"title" json:"title"`
}

// Department is a city department; indicators and strategies name one as owner.
type Department struct {
	Pos      `yaml:"-" json:"-"`
	Name     string `yaml:"name" json:"name"`
	Director string `yaml:"director" json:"director,omitempty"`
	Contact  string `yaml:"contact" json:"contact,omitempty"`
}

// UnmarshalYAML records the department's position.
func (d *Department) UnmarshalYAML(n *yaml.Node) error {
	type raw Department
	return decodeWithPos(n, (*raw)(d), &d.Pos)
}

// Goal is the top level of the plan.
type Goal struct {
	Pos        `yaml:"-"`
	ID         string       `yaml:"id"`
	Title      string       `yaml:"title"`
	Objectives []*Objective `yaml:"objectives"`
	Number     int          `yaml:"-"`
}

// UnmarshalYAML records the goal's position.
func (g *Goal) UnmarshalYAML(n *yaml.Node) error {
	type raw Goal
	return decodeWithPos(n, (*raw)(g), &g.Pos)
}

// Objective belongs to a goal.
type Objective struct {
	Pos        `yaml:"-"`
	ID         string      `yaml:"id"`
	Title      string      `yaml:"title"`
	Strategies []*Strategy `yaml:"strategies"`
	Goal       *Goal       `yaml:"-"`
}

// UnmarshalYAML records the objective's position.
func (o *Objective) UnmarshalYAML(n *yaml.Node) error {
	type raw Objective
	return decodeWithPos(n, (*raw)(o), &o.Pos)
}

// Strategy belongs to an objective.
type Strategy struct {
	Pos `yaml:"-"`
	ID  string `yaml:"id"`
	// Label is how the plan document itself numbers the strategy ("a"), if it does.
	Label     string     `yaml:"label"`
	Text      string     `yaml:"text"`
	Owner     string     `yaml:"owner"`
	Objective *Objective `yaml:"-"`
	// UpdateCadence overrides the plan's update_cadence for this strategy.
	UpdateCadence Grain `yaml:"update_cadence"`
}

// UnmarshalYAML records the strategy's position.
func (s *Strategy) UnmarshalYAML(n *yaml.Node) error {
	type raw Strategy
	return decodeWithPos(n, (*raw)(s), &s.Pos)
}

// Date is a calendar date written as YYYY-MM-DD.
type Date struct{ time.Time }

// UnmarshalYAML parses YYYY-MM-DD.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse("2006-01-02", n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a date (write YYYY-MM-DD)", n.Line, n.Value)}}
	}
	d.Time = t
	return nil
}

// Location is the plan's time zone (UTC if none was given).
func (p *Plan) Location() *time.Location {
	if p.location == nil {
		return time.UTC
	}
	return p.location
}

// FYStart is the first month of the fiscal year (1 when the plan names none).
func (p *Plan) FYStart() time.Month {
	if p.FiscalYear < 1 || p.FiscalYear > 12 {
		return time.January
	}
	return time.Month(p.FiscalYear)
}

// Over reports whether the plan period has ended at now.
func (p *Plan) Over(now time.Time) bool {
	if p.End.IsZero() {
		return false
	}
	// The plan ends at midnight after its end date in its own time zone.
	after := time.Date(p.End.Year(), p.End.Month(), p.End.Day()+1, 0, 0, 0, 0, p.Location())
	return !now.Before(after)
}

// Goal returns the goal with the id, or nil.
func (p *Plan) Goal(id string) *Goal {
	g, _ := p.ids[id].(*Goal)
	return g
}

// Objective returns the objective with the id, or nil.
func (p *Plan) Objective(id string) *Objective {
	o, _ := p.ids[id].(*Objective)
	return o
}

// Strategy returns the strategy with the id, or nil.
func (p *Plan) Strategy(id string) *Strategy {
	s, _ := p.ids[id].(*Strategy)
	return s
}

// Indicator returns the indicator with the id, or nil.
func (p *Plan) Indicator(id string) *Indicator {
	for _, in := range p.Indicators {
		if in.ID == id {
			return in
		}
	}
	return nil
}

// IndicatorsFor lists the indicators that measure the objective or strategy
// with the id, or any part below it (a goal's id gathers its objectives').
func (p *Plan) IndicatorsFor(id string) []*Indicator {
	var out []*Indicator
	for _, in := range p.Indicators {
		for _, m := range in.Measures {
			if m == id || strings.HasPrefix(m, id+".") {
				out = append(out, in)
				break
			}
		}
	}
	return out
}

// Department returns the department with the name, or nil.
func (p *Plan) Department(name string) *Department {
	for i := range p.Departments {
		if strings.EqualFold(p.Departments[i].Name, name) {
			return &p.Departments[i]
		}
	}
	return nil
}
