package plan

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	_ "time/tzdata" // the plan files name IANA time zones; tests must not depend on the machine's
)

const defaultPlanFile = "../../data/norwalk-2023-2025.yaml"

func TestDefaultPlanFile(t *testing.T) {
	p, probs, err := LoadFile(defaultPlanFile)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if n := probs.Errors(); n != 0 {
		t.Fatalf("%d errors in the default plan file: %v", n, probs)
	}
	if len(p.Hash) != 64 {
		t.Errorf("Hash = %q, want a sha256 in hex", p.Hash)
	}
	if p.FYStart().String() != "July" {
		t.Errorf("FYStart = %v, want July", p.FYStart())
	}
	if p.Location().String() != "America/Los_Angeles" {
		t.Errorf("Location = %v", p.Location())
	}

	var objectives, strategies int
	for gi, g := range p.Goals {
		if g.Number != gi+1 {
			t.Errorf("goal %s: Number = %d, want %d", g.ID, g.Number, gi+1)
		}
		if p.Goal(g.ID) != g {
			t.Errorf("Plan.Goal(%q) does not resolve", g.ID)
		}
		for _, o := range g.Objectives {
			objectives++
			if p.Objective(o.ID) != o || o.Goal != g {
				t.Errorf("Plan.Objective(%q) does not resolve to an objective of %s", o.ID, g.ID)
			}
			for _, s := range o.Strategies {
				strategies++
				if p.Strategy(s.ID) != s || s.Objective != o {
					t.Errorf("Plan.Strategy(%q) does not resolve to a strategy of %s", s.ID, o.ID)
				}
				if strings.TrimSpace(s.Text) == "" {
					t.Errorf("strategy %s has no text", s.ID)
				}
			}
		}
	}
	if len(p.Goals) != 4 || objectives != 12 || strategies != 40 {
		t.Errorf("got %d goals, %d objectives, %d strategies; want 4, 12, 40", len(p.Goals), objectives, strategies)
	}

	// Goal 4 is the part of the plan that letters its strategies.
	for id, want := range map[string]string{"G4.O1": "abcde", "G4.O2": "abcd"} {
		var got strings.Builder
		for _, s := range p.Objective(id).Strategies {
			got.WriteString(s.Label)
		}
		if got.String() != want {
			t.Errorf("labels of %s = %q, want %q", id, got.String(), want)
		}
	}
	if l := p.Strategy("G1.O1.S1").Label; l != "" {
		t.Errorf("G1.O1.S1 has label %q; Goal 1 is not lettered", l)
	}

	// The lookups answer nil for what is not there, and never mix kinds.
	for _, id := range []string{"G5", "G1.O4", "G1.O1.S9", ""} {
		if p.Goal(id) != nil || p.Objective(id) != nil || p.Strategy(id) != nil {
			t.Errorf("id %q resolves, but it is not in the plan", id)
		}
	}
	if p.Goal("G1.O1") != nil || p.Objective("G1") != nil || p.Strategy("G1.O1") != nil {
		t.Error("a lookup returns a part of another kind")
	}

	if len(p.Indicators) == 0 {
		t.Fatal("the default plan has no indicators")
	}
	for _, in := range p.Indicators {
		if p.Indicator(in.ID) != in {
			t.Errorf("Plan.Indicator(%q) does not resolve", in.ID)
		}
		if p.Datasets[in.Dataset] == nil {
			t.Errorf("indicator %s: dataset %q not resolved", in.ID, in.Dataset)
		}
		if len(in.Measures) == 0 {
			t.Errorf("indicator %s measures nothing", in.ID)
		}
		for _, id := range in.Measures {
			if p.Goal(id) == nil && p.Objective(id) == nil && p.Strategy(id) == nil {
				t.Errorf("indicator %s measures %q, which does not exist", in.ID, id)
			}
		}
	}
	if p.Indicator("no-such-indicator") != nil {
		t.Error("Plan.Indicator answers for an unknown id")
	}

	// IndicatorsFor gathers the indicators below a goal too.
	found := false
	for _, in := range p.IndicatorsFor("G3") {
		if in.ID == "gf-revenue-vs-budget" {
			found = true
		}
	}
	if !found {
		t.Error("IndicatorsFor(G3) misses gf-revenue-vs-budget, which measures G3.O4")
	}
	if got := p.IndicatorsFor("G1"); len(got) != 0 {
		t.Errorf("IndicatorsFor(G1) = %d indicators, want none", len(got))
	}

	// The four built-in datasets are included, and shelter sites stay private.
	for _, name := range []string{"revenue", "transit_ridership", "shelter_beds", "ev_chargers"} {
		if d := p.Datasets[name]; d == nil || !d.Builtin {
			t.Errorf("built-in dataset %s is not included", name)
		}
	}
	if c := p.Datasets["shelter_beds"].Column("site"); c == nil || c.IsPublic() {
		t.Error("shelter_beds.site must not be public")
	}
}

func TestValidFixture(t *testing.T) {
	_, probs, err := LoadFile("testdata/valid.yaml")
	if err != nil || len(probs) != 0 {
		t.Fatalf("testdata/valid.yaml: err %v, problems %v", err, probs)
	}
}

// TestBrokenPlanFiles loads plan files that each have one mistake and checks
// that the mistake is reported at its line, in words that say what is wrong.
func TestBrokenPlanFiles(t *testing.T) {
	tests := []struct {
		file    string
		line    int
		message string
		warning bool
	}{
		{"dangling_measure.yaml", 35, `measures "G1.O1.S9", which is not a goal, objective or strategy`, false},
		{"duplicate_strategy.yaml", 19, `duplicate id "G1.O1.S1"`, false},
		{"objective_wrong_goal.yaml", 13, "objective G2.O1 is listed under goal G1", false},
		{"unknown_dataset.yaml", 27, `unknown dataset "shelter_beds"`, false},
		{"unknown_builtin.yaml", 23, `unknown built-in dataset "transit_ridersip"`, false},
		{"unknown_column.yaml", 28, `unknown column "actuals" in dataset revenue`, false},
		{"bad_column_type.yaml", 22, `column valuation has bad type "currency"`, false},
		{"bad_aggregate.yaml", 28, `bad measure "median(actual)": aggregate must be one of`, false},
		{"sum_text.yaml", 28, "column fund is text, not a number", false},
		{"type_error.yaml", 5, `fiscal_year_start_month: "seven" is not a whole number`, false},
		{"bad_date.yaml", 3, `"2024-13-01" is not a date`, false},
		{"unknown_key.yaml", 2, `unknown key "titel" in the plan`, false},
		{"filter_type.yaml", 30, `filter on vehicles_operated: "many" is not a whole number`, false},
		{"bad_target_period.yaml", 34, `target "2024-13" is not a period`, false},
		{"target_outside.yaml", 34, "target period 2023 lies outside the plan period 2024-01-01 to 2025-12-31", true},
		{"empty_entry.yaml", 15, "an empty entry in the strategies of G1.O1", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, probs, err := LoadFile(path)
			var hit *Problem
			for i, p := range probs {
				if p.Line == tt.line && strings.Contains(p.Message, tt.message) {
					hit = &probs[i]
				}
				if p.File != path {
					t.Errorf("problem names file %q, want %q", p.File, path)
				}
			}
			if hit == nil {
				t.Fatalf("no problem at line %d containing %q; got:\n%v", tt.line, tt.message, probs)
			}
			if hit.Warning != tt.warning {
				t.Errorf("Warning = %v, want %v", hit.Warning, tt.warning)
			}
			if tt.warning {
				if err != nil || probs.Err() != nil {
					t.Errorf("a warning must not fail the plan: err = %v", err)
				}
				return
			}
			var inv *InvalidError
			if !errors.As(err, &inv) || probs.Err() == nil {
				t.Fatalf("err = %v, want an *InvalidError", err)
			}
			if !strings.Contains(err.Error(), hit.String()) {
				t.Errorf("the error does not list the problem:\n%v", err)
			}
		})
	}
}

func TestProblemsAreInLineOrder(t *testing.T) {
	_, probs, _ := LoadFile("testdata/bad_date.yaml")
	for i := 1; i < len(probs); i++ {
		if probs[i].Line < probs[i-1].Line {
			t.Fatalf("problems out of line order: %v", probs)
		}
	}
}

func TestParseNotYAML(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
		message    string
	}{
		{"empty", "", 0, "empty"},
		{"bad indentation", "title: x\n  start: 2024-01-01\n", 2, "mapping values are not allowed"},
		{"not a mapping", "- a\n- b\n", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs, err := Parse("p.yaml", []byte(tt.data))
			if err == nil || len(probs) == 0 {
				t.Fatalf("Parse(%q) gave no error", tt.data)
			}
			if probs[0].Line != tt.line || !strings.Contains(probs[0].Message, tt.message) {
				t.Errorf("got %v, want line %d containing %q", probs[0], tt.line, tt.message)
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "plan.yaml", Line: 12, Message: "duplicate id \"G1\""}, "plan.yaml:12: error: duplicate id \"G1\""},
		{Problem{File: "plan.yaml", Line: 3, Message: "too early", Warning: true}, "plan.yaml:3: warning: too early"},
		{Problem{File: "plan.yaml", Message: "the plan file is empty"}, "plan.yaml: error: the plan file is empty"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	ps := Problems{{Warning: true}, {}, {}}
	if ps.Errors() != 2 {
		t.Errorf("Errors() = %d, want 2", ps.Errors())
	}
	if (Problems{{Warning: true}}).Err() != nil {
		t.Error("Err() of warnings only must be nil")
	}
}

// TestUnknownNestedKeys: a misspelt key anywhere is reported where it is.
func TestUnknownNestedKeys(t *testing.T) {
	src := `title: T
start: 2024-01-01
end: 2024-12-31
goals:
  - id: G1
    title: G
    objectives:
      - id: G1.O1
        title: O
        strategies:
          - {id: G1.O1.S1, txt: S}
datasets:
  - name: permits
    time: issued
    columns:
      - {name: issued, type: date, pubic: false}
      - {name: n, type: integer}
indicators:
  - id: ratio
    title: R
    dataset: permits
    ratio:
      numerator: sum(n)
      denominatr: count(*)
    measures: [G1]
    tagets: {by_period: {"2024": 1}}
`
	_, probs, err := Parse("p.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []struct {
		line int
		key  string
	}{{11, "txt"}, {16, "pubic"}, {24, "denominatr"}, {26, "tagets"}} {
		found := false
		for _, p := range probs {
			if p.Line == want.line && strings.Contains(p.Message, `unknown key "`+want.key+`"`) {
				found = true
			}
		}
		if !found {
			t.Errorf("unknown key %q at line %d not reported; got:\n%v", want.key, want.line, probs)
		}
	}
}

func TestDatasetDefinitionProblems(t *testing.T) {
	head := "title: T\nstart: 2024-01-01\nend: 2024-12-31\ngoals:\n  - {id: G1, title: G}\ndatasets:\n"
	tests := []struct {
		name, datasets string
		line           int
		message        string
	}{
		{"bad name", "  - name: Permits\n    columns: [{name: d, type: date}]\n", 7, `dataset name "Permits" must be lower-case`},
		{"bad column name", "  - name: p\n    columns: [{name: Issue Date, type: date}]\n", 8, `column name "Issue Date"`},
		{"twice", "  - name: p\n    columns:\n      - {name: d, type: date}\n      - {name: d, type: text}\n", 10, `column "d" is declared twice`},
		{"key", "  - name: p\n    key: [id]\n    columns: [{name: d, type: date}]\n", 8, `key column "id" is not a column`},
		{"time", "  - name: p\n    time: n\n    columns: [{name: n, type: integer}]\n", 8, "time column n must be a date or month"},
		{"upsert without key", "  - name: p\n    mode: upsert\n    columns: [{name: d, type: date}]\n", 8, "mode upsert needs a key"},
		{"mode", "  - name: p\n    mode: merge\n    columns: [{name: d, type: date}]\n", 8, `mode "merge" must be replace, upsert or append`},
		{"listed twice", "  - revenue\n  - revenue\n", 8, `dataset "revenue" is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs, _ := Parse("p.yaml", []byte(head+tt.datasets))
			for _, p := range probs {
				if p.Line == tt.line && strings.Contains(p.Message, tt.message) && !p.Warning {
					return
				}
			}
			t.Errorf("no error at line %d containing %q; got:\n%v", tt.line, tt.message, probs)
		})
	}
}

func TestIndicatorProblems(t *testing.T) {
	head := "title: T\nstart: 2024-01-01\nend: 2024-12-31\ngoals:\n  - {id: G1, title: G}\n" +
		"datasets: [revenue, transit_ridership, shelter_beds, ev_chargers]\nindicators:\n  - id: i\n    title: I\n    measures: [G1]\n"
	// The indicator's own lines start at line 11.
	tests := []struct {
		name, body string
		message    string
	}{
		{"no measure", "    dataset: revenue\n", "needs exactly one of measure or ratio"},
		{"count needs no column", "    dataset: revenue\n    measure: sum(*)\n", "sum needs a column"},
		{"count of two columns", "    dataset: revenue\n    measure: count_distinct(fund + source)\n", "only sum, avg, min, max and last can add columns"},
		{"sum of a column and text", "    dataset: ev_chargers\n    measure: sum(level2_ports + network)\n", "column network is text"},
		{"min of a text column", "    dataset: revenue\n    measure: min(fund)\n", "column fund is text, not a number"},
		{"max of a date", "    dataset: ev_chargers\n    measure: max(open_date)\n", "column open_date is date, not a number"},
		{"not a measure", "    dataset: revenue\n    measure: actual\n", "is not a measure"},
		{"grain", "    dataset: revenue\n    measure: sum(actual)\n    grain: week\n", `grain "week"`},
		{"direction", "    dataset: revenue\n    measure: sum(actual)\n    direction: sideways\n", `direction "sideways"`},
		{"transform", "    dataset: revenue\n    measure: sum(actual)\n    transform: rolling\n", `transform "rolling"`},
		{"top_share without top", "    dataset: revenue\n    measure: sum(actual)\n    breakdown: source\n    transform: top_share\n", "top_share needs a breakdown column and top: N"},
		{"breakdown", "    dataset: revenue\n    measure: sum(actual)\n    breakdown: sources\n", `unknown column "sources"`},
		{"to_date on months", "    dataset: revenue\n    measure: sum(actual)\n    to_date: true\n", "to_date needs grain year or fiscal_year"},
		{"to_date of an average", "    dataset: revenue\n    measure: avg(actual)\n    grain: fiscal_year\n    to_date: true\n", "to_date needs sum or count"},
		{"pace without to_date", "    dataset: revenue\n    measure: sum(actual)\n    pace: seasonal\n", "pace needs to_date: true"},
		{"time column", "    dataset: revenue\n    measure: sum(actual)\n    time: fund\n", `time column "fund" of dataset revenue must be a date or month`},
		{"owner", "    dataset: revenue\n    measure: sum(actual)\n    owner: Parks\n", `owner "Parks" is not a department`},
		{"thresholds", "    dataset: revenue\n    measure: sum(actual)\n    thresholds: {on_track: 0.9, at_risk: 1.0}\n", "thresholds need 0 < at_risk <= on_track"},
		{"baseline", "    dataset: revenue\n    measure: sum(actual)\n    baseline: {period: last year, value: 3}\n", `baseline "last year" is not a period`},
		{"target shorter than grain", "    dataset: revenue\n    measure: sum(actual)\n    grain: fiscal_year\n    targets: {by_period: {2024-07: 3}}\n", "shorter than the indicator's grain"},
		{"calendar year on a fiscal-year indicator", "    dataset: revenue\n    measure: sum(actual)\n    grain: fiscal_year\n    targets: {by_period: {\"2024\": 3}}\n", "target period 2024 is a year, but the indicator's grain is fiscal_year"},
		{"fiscal year on a calendar-year indicator", "    dataset: revenue\n    measure: sum(actual)\n    grain: year\n    targets: {by_period: {FY2024: 3}}\n", "target period FY2024 is a fiscal_year, but the indicator's grain is year"},
		{"filter needs one test", "    dataset: revenue\n    measure: sum(actual)\n    filters: [{column: fund}]\n", "needs one of equals, in, from/to or missing"},
		{"filter on unknown column", "    dataset: revenue\n    measure: sum(actual)\n    filters: [{column: funds, equals: x}]\n", `filter on unknown column "funds"`},
		{"filter range of dates", "    dataset: ev_chargers\n    measure: count(*)\n    filters: [{column: open_date, from: 2024-01-01, to: 2024-02-30}]\n", `"2024-02-30" is not a date`},
		{"filter on a month", "    dataset: revenue\n    measure: sum(actual)\n    filters: [{column: month, in: [2024-07, July]}]\n", `"July" is not a month`},
		{"filter on a fiscal year", "    dataset: revenue\n    measure: sum(actual)\n    filters: [{column: fiscal_year, equals: next}]\n", `"next" is not a fiscal year`},
		{"cumulative ratio", "    dataset: shelter_beds\n    ratio: {numerator: last(occupied), denominator: last(beds)}\n    transform: cumulative\n", "a ratio cannot be cumulative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs, err := Parse("p.yaml", []byte(head+tt.body))
			if err == nil {
				t.Fatalf("no error; want %q", tt.message)
			}
			for _, p := range probs {
				if p.Line >= 8 && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Errorf("no error containing %q; got:\n%v", tt.message, probs)
		})
	}
}

// TestValidIndicatorForms: the forms the documentation shows are accepted.
func TestValidIndicatorForms(t *testing.T) {
	head := "title: T\nstart: 2024-01-01\nend: 2025-12-31\nfiscal_year_start_month: 7\ngoals:\n  - {id: G1, title: G}\n" +
		"departments: [{name: Finance}]\n" +
		"datasets: [revenue, transit_ridership, shelter_beds, ev_chargers]\nindicators:\n  - id: i\n    title: I\n    measures: [G1]\n"
	tests := []struct{ name, body string }{
		{"count", "    dataset: ev_chargers\n    measure: count(*)\n    time: open_date\n"},
		{"sum of two columns", "    dataset: ev_chargers\n    measure: sum(level2_ports + dc_fast_ports)\n    transform: cumulative\n"},
		{"measure as a mapping", "    dataset: revenue\n    measure: {agg: sum, column: actual}\n"},
		{"last with breakdown", "    dataset: shelter_beds\n    measure: last(beds)\n    breakdown: bed_type\n    grain: quarter\n    cadence: quarter\n"},
		{"filters", "    dataset: revenue\n    measure: sum(actual)\n    filters:\n      - {column: fund, equals: General Fund}\n      - {column: source, in: [Sales Tax, Property Tax]}\n      - {column: month, from: 2023-07, to: 2024-06}\n      - {column: department, missing: false}\n      - {column: fiscal_year, equals: FY 2023-24}\n"},
		{"integer filter", "    dataset: transit_ridership\n    measure: sum(unlinked_trips)\n    filters: [{column: vehicles_operated, from: 10}]\n"},
		{"to_date with pace and budget", "    dataset: revenue\n    measure: sum(actual)\n    target_from: sum(budget)\n    grain: fiscal_year\n    to_date: true\n    pace: linear\n    cadence: month\n    owner: finance\n    format: money\n    unit: USD\n"},
		{"targets and thresholds", "    dataset: transit_ridership\n    measure: sum(unlinked_trips)\n    direction: down\n    thresholds: {on_track: 0.95, at_risk: 0.8}\n    baseline: {period: FY 2023-24, value: 3}\n    targets:\n      sample: true\n      by_period: {2024-07: 1, 2024-Q3: 2, 2024: 3, FY2025: 4}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, probs, err := Parse("p.yaml", []byte(head+tt.body))
			if err != nil || len(probs) != 0 {
				t.Fatalf("problems: %v", probs)
			}
			in := p.Indicator("i")
			if in.Grain == "" || in.Cadence == "" || in.Direction == "" {
				t.Errorf("defaults not set: grain %q cadence %q direction %q", in.Grain, in.Cadence, in.Direction)
			}
		})
	}
}
