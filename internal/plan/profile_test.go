package plan

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const profileHead = "title: T\nstart: 2024-01-01\nend: 2024-12-31\ngoals:\n  - {id: G1, title: G}\n" +
	"place: {city: Norwalk, state: CA, zips: [\"90650\"], ntd_id: \"90022\", coc: CA-600}\n" +
	"datasets: [revenue, transit_ridership, shelter_beds, ev_chargers]\n"

// profileHeadLines is the number of lines of profileHead.
const profileHeadLines = 7

func TestBuiltinProfiles(t *testing.T) {
	p, probs, err := Parse("p.yaml", []byte(profileHead))
	if err != nil || len(probs) > 0 {
		t.Fatalf("%v %v", err, probs)
	}
	var names []string
	for _, pr := range p.AllProfiles() {
		names = append(names, pr.Name)
	}
	want := []string{"afdc-ev-stations", "budget-fiscal-year-columns", "hud-hic-by-coc", "ntd-monthly-ridership",
		"ev_chargers", "indicator_notes", "indicator_targets", "revenue", "shelter_beds", "transit_ridership"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("profiles %v", names)
	}
	ntd := p.Profile("ntd-monthly-ridership")
	if !ntd.Builtin || ntd.Template || !reflect.DeepEqual(ntd.TargetDatasets(), []string{"transit_ridership"}) {
		t.Fatalf("ntd %+v", ntd)
	}
	if len(ntd.Sheets) != 4 || ntd.Sheets[1].Value != "vehicle_revenue_miles" || !ntd.Sheets[1].Optional ||
		ntd.Fields.Get("ntd_id").Digits != 5 || ntd.Unpivot[0].Set[0] != (Assignment{Column: "month", Value: "$1", Line: ntd.Unpivot[0].Set[0].Line}) {
		t.Fatalf("ntd sheets and fields %+v", ntd)
	}
	if tp := p.Profile("revenue"); !tp.Template || tp.Dataset != "revenue" || !tp.DatasetHeaders {
		t.Fatalf("template %+v", tp)
	}
	// A built-in profile needs its datasets in the plan.
	p, _, err = Parse("p.yaml", []byte(strings.Replace(profileHead, "[revenue, transit_ridership, shelter_beds, ev_chargers]", "[revenue]", 1)))
	if err != nil || p.Profile("ntd-monthly-ridership") != nil || p.Profile("budget-fiscal-year-columns") == nil {
		t.Fatalf("%v: %v", err, p.AllProfiles())
	}
}

// TestOwnProfileReplaces: a plan's profile replaces a built-in one, and a
// dataset's template, of the same name.
func TestOwnProfileReplaces(t *testing.T) {
	src := profileHead + `profiles:
  - name: hud-hic-by-coc
    dataset: shelter_beds
    columns:
      geography: CoC Number
      date: {value: "2024-01-31"}
      bed_type: {value: ES}
      beds: {header: "Total Year-Round Beds (ES)"}
  - name: revenue
    title: Finance's monthly export
    dataset: revenue
    dataset_headers: true
    columns:
      source: [Account Title, Account]
`
	p, probs, err := Parse("p.yaml", []byte(src))
	if err != nil || len(probs) > 0 {
		t.Fatalf("%v %v", err, probs)
	}
	hic := p.Profile("hud-hic-by-coc")
	if hic.Builtin || hic.Columns.Get("geography").Header[0] != "CoC Number" || hic.Columns.Get("geography").Line != profileHeadLines+5 {
		t.Fatalf("hic %+v", hic)
	}
	if rev := p.Profile("revenue"); rev.Template || rev.Title != "Finance's monthly export" ||
		!reflect.DeepEqual([]string(rev.Columns.Get("source").Header), []string{"Account Title", "Account"}) {
		t.Fatalf("revenue %+v", rev)
	}
	if all := p.AllProfiles(); all[0].Name != "hud-hic-by-coc" || all[1].Name != "revenue" {
		t.Fatalf("own profiles come first: %v", all[:2])
	}
}

func TestProfileProblems(t *testing.T) {
	tests := []struct {
		name, body string
		line       int // line within body, from 1
		message    string
	}{
		{"unknown key", "  - name: a\n    dataset: revenue\n    colums: {}\n", 3, `unknown key "colums" in profile a`},
		{"bad name", "  - name: My Profile\n    dataset: revenue\n", 1, `profile name "My Profile"`},
		{"twice", "  - {name: a, dataset: ev_chargers, columns: {station_id: ID, open_date: Opened}}\n  - {name: a, dataset: ev_chargers, columns: {station_id: ID, open_date: Opened}}\n", 2, `profile "a" is declared twice`},
		{"no dataset", "  - name: a\n", 1, "does not say which dataset"},
		{"unknown dataset", "  - name: a\n    dataset: permits\n", 2, `unknown dataset "permits"`},
		{"unknown column", "  - name: a\n    dataset: ev_chargers\n    columns:\n      station_id: ID\n      opened: Open Date\n", 5, `"opened" is not a column of dataset ev_chargers`},
		{"required missing", "  - name: a\n    dataset: ev_chargers\n    columns:\n      station_id: ID\n", 3, "nothing fills the required column open_date"},
		{"field is a column", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    fields:\n      zip: ZIP\n", 5, `field "zip" is a column`},
		{"header and value", "  - name: a\n    dataset: ev_chargers\n    columns:\n      station_id: {header: ID, value: x}\n      open_date: D\n", 4, "has both a header and a value"},
		{"no source", "  - name: a\n    dataset: ev_chargers\n    columns:\n      station_id: {optional: true}\n      open_date: D\n", 4, "needs a header"},
		{"bad constant", "  - name: a\n    dataset: ev_chargers\n    columns:\n      station_id: ID\n      open_date: {value: soon}\n", 5, `"soon" is not a date`},
		{"unknown place key", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    filters:\n      - {field: station_id, equals: \"{place.county}\"}\n", 5, `unknown place key "county"`},
		{"unknown placeholder", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: {value: \"{today}\"}}\n", 3, `"today" is not a placeholder`},
		{"unclosed placeholder", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: {value: \"{set.year\"}}\n", 3, "without its }"},
		{"filter field", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    filters:\n      - {field: county, equals: LA}\n", 5, `filter on "county"`},
		{"filter tests", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    filters:\n      - {field: station_id, equals: a, matches: b}\n", 5, "needs one of equals, in or matches"},
		{"filter regex", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    filters:\n      - {field: station_id, matches: \"(\"}\n", 5, "bad regular expression"},
		{"skip reason", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    skip:\n      - {field: station_id, equals: Total}\n", 5, "needs a reason"},
		{"skip regex", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    skip:\n      - field: station_id\n        matches: '[a-'\n        reason: r\n", 6, "bad regular expression"},
		{"skip field", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    skip:\n      - {field: nope, blank: true, reason: r}\n", 5, `skip rule on "nope"`},
		{"unpivot regex", "  - name: a\n    dataset: transit_ridership\n    columns: {mode: Mode, type_of_service: TOS}\n    unpivot:\n      - {header: '(\\d+/', value: unlinked_trips, set: {month: $1}}\n", 5, "bad regular expression"},
		{"unpivot capture", "  - name: a\n    dataset: transit_ridership\n    columns: {mode: Mode, type_of_service: TOS}\n    unpivot:\n      - header: '^(\\d+/\\d{4})$'\n        value: unlinked_trips\n        set: {month: $2}\n", 7, "uses $2, but the header pattern has 1 group"},
		{"unpivot value", "  - name: a\n    dataset: transit_ridership\n    columns: {mode: Mode, type_of_service: TOS}\n    unpivot:\n      - {header: x, set: {month: $0}}\n", 5, "needs value:"},
		{"unpivot set column", "  - name: a\n    dataset: transit_ridership\n    columns: {mode: Mode, type_of_service: TOS, month: Month}\n    unpivot:\n      - header: x\n        value: unlinked_trips\n        set: {period: $0}\n", 7, `unpivot sets "period"`},
		{"sheet name and pattern", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    sheets:\n      - {name: A, pattern: B}\n", 5, "needs a name or a pattern, not both"},
		{"sheet pattern", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    sheets:\n      - {pattern: '*'}\n", 5, "bad regular expression"},
		{"sheet dataset", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    sheets:\n      - {name: A, dataset: permits}\n", 5, `unknown dataset "permits"`},
		{"header column", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    header: {column: B2}\n", 4, `header column "B2"`},
		{"join one sheet", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    join: [station_id]\n", 4, "join merges the rows of several sheets"},
		{"join name", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    sheets: [{name: A}, {name: B}]\n    join: [nope]\n", 5, `join on "nope"`},
		{"combine", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    combine: add\n", 4, `combine "add" must be sum`},
		{"on_error", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D}\n    on_error: ignore\n", 4, `on_error "ignore"`},
		{"digits on a number", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: ID, open_date: D, level2_ports: {header: L2, digits: 3}}\n", 3, "digits (0 to 30) is for text columns"},
		{"scale on text", "  - name: a\n    dataset: ev_chargers\n    columns: {station_id: {header: ID, scale: 1000}, open_date: D}\n", 3, "scale must be"},
		{"unknown crosswalk", "  - name: a\n    dataset: revenue\n    columns: {fiscal_year: FY, fund: Fund}\n    fields: {account: Account}\n    crosswalk: {use: accounts, name: account}\n", 5, `unknown crosswalk "accounts"`},
		{"crosswalk field", "  - name: a\n    dataset: revenue\n    columns: {fiscal_year: FY, fund: Fund}\n    crosswalk:\n      code: acct\n      entries: [{code: \"1\", category: Taxes, source: S}]\n", 5, `crosswalk code: "acct" is not a field`},
		{"crosswalk column", "  - name: a\n    dataset: revenue\n    columns: {fiscal_year: FY, fund: Fund, category: C, source: S}\n    fields: {account: A}\n    crosswalk:\n      name: account\n      entries: [{name: x, kind: Taxes}]\n", 7, `sets "kind", which is not a column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs, _ := Parse("p.yaml", []byte(profileHead+"profiles:\n"+tt.body))
			want := profileHeadLines + 1 + tt.line
			for _, p := range probs {
				if p.Line == want && strings.Contains(p.Message, tt.message) && !p.Warning {
					return
				}
			}
			t.Errorf("no error at line %d containing %q; got:\n%v", want, tt.message, probs)
		})
	}
}

func TestCrosswalkProblems(t *testing.T) {
	src := profileHead + `crosswalks:
  - name: revenue
    entries:
      - {code: "4010", category: Taxes, source: Sales Tax}
      - {category: Taxes}
      - {match: "sales (", category: Taxes}
      - {name: Dog licenses}
    otherwise: {code: "1", category: Other}
  - name: revenue
    sorce: x
`
	_, probs, err := Parse("p.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	base := profileHeadLines + 1
	for _, want := range []struct {
		line int
		msg  string
	}{
		{base + 4, "an entry needs code, name or match"},
		{base + 5, "bad regular expression"},
		{base + 6, "sets no column"},
		{base + 7, "otherwise takes every account"},
		{base + 8, `crosswalk "revenue" is declared twice`},
		{base + 9, `unknown key "sorce"`},
	} {
		found := false
		for _, p := range probs {
			if p.Line == want.line && strings.Contains(p.Message, want.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem at line %d containing %q; got:\n%v", want.line, want.msg, probs)
		}
	}
}

func TestProfileCrosswalkValid(t *testing.T) {
	src := profileHead + `crosswalks:
  - name: revenue
    entries:
      - {code: ["4010", "4011"], category: Taxes, source: Sales Tax}
      - {name: "PROPERTY TAX", category: Taxes, source: Property Tax}
      - {match: "^utility users", category: Taxes, source: Utility Users Tax}
    otherwise: {category: Other revenue, source: "{name}"}
`
	p, probs, err := Parse("p.yaml", []byte(src))
	if err != nil || len(probs) > 0 {
		t.Fatalf("%v %v", err, probs)
	}
	cw := p.Crosswalk("revenue")
	if len(cw.Entries) != 3 || !reflect.DeepEqual([]string(cw.Entries[0].Code), []string{"4010", "4011"}) ||
		cw.Entries[2].Match != "^utility users" || cw.Otherwise.Set[1].Value != "{name}" {
		t.Fatalf("crosswalk %+v", cw)
	}
	// The built-in budget profile finds it.
	if r := p.Profile("budget-fiscal-year-columns").Crosswalk; p.ResolveCrosswalk(r) != cw {
		t.Fatal("the budget profile does not use the plan's crosswalk")
	}
}

func TestTemplate(t *testing.T) {
	env := &TemplateEnv{
		Place: Place{City: "Norwalk", Zips: []string{"90650", " 90651 "}, NTDID: "90022"},
		Set:   map[string]string{"Fund": "General Fund"},
		Sheet: "2019", File: "2024-HIC-Counts-by-CoC.csv",
		Title:    []string{"City of Example", "Adopted budget FY 2023-24"},
		Captures: []string{"2017-18 Adopted Budget", "2017-18"},
	}
	tests := []struct {
		tmpl string
		want []string
		err  string
	}{
		{"{place.city}", []string{"Norwalk"}, ""},
		{"{place.zips}", []string{"90650", "90651"}, ""},
		{"{set.fund}", []string{"General Fund"}, ""},
		{"{set.year|file:(20\\d{2})}-01-31", []string{"2024-01-31"}, ""},
		{"{set.year|sheet:^(\\d{4})$|file:(20\\d{2})}-01-31", []string{"2019-01-31"}, ""},
		{"{title:FY\\s*(\\d{4}-\\d{2})}", []string{"2023-24"}, ""},
		{"FY $1 ($0)", []string{"FY 2017-18 (2017-18 Adopted Budget)"}, ""},
		{"US$ 5", []string{"US$ 5"}, ""},
		{"{set.year}", nil, "--set year="},
		{"{place.coc}", nil, "place has no coc"},
		{"{file:(19\\d{2})}", nil, "does not match"},
		{"{set.year|place.coc}", nil, "no import-time value year was given (--set year=...); the plan file's place has no coc"},
	}
	for _, tt := range tests {
		tp, err := ParseTemplate(tt.tmpl)
		if err != nil {
			t.Fatalf("%s: %v", tt.tmpl, err)
		}
		got, err := tp.Expand(env)
		if tt.err != "" {
			var me *MissingValueError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v; want %q", tt.tmpl, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %q, %v; want %q", tt.tmpl, got, err, tt.want)
		}
	}
	for _, bad := range []string{"{", "{nope}", "{place.county}", "{file:(}", "{set.}"} {
		if _, err := ParseTemplate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestHeaderColumn(t *testing.T) {
	for s, want := range map[string]int{"": 0, "A": 0, "b": 1, "Z": 25, "AA": 26, "XFD": 16383} {
		if got, ok := HeaderColumn(s); !ok || got != want {
			t.Errorf("%q = %d %v", s, got, ok)
		}
	}
	for _, s := range []string{"XFE", "B2", "ABCD", "-"} {
		if _, ok := HeaderColumn(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestPlaceKeys(t *testing.T) {
	src := strings.Replace(profileHead, "coc: CA-600}", "coc: CA-600, ntdid: \"90022\"}", 1)
	_, probs, err := Parse("p.yaml", []byte(src))
	if err == nil || len(probs) != 1 || probs[0].Line != 6 || !strings.Contains(probs[0].Message, `unknown key "ntdid" in place`) {
		t.Fatalf("%v", probs)
	}
	p, _, err := Parse("p.yaml", []byte(profileHead))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.Place.Values("zips"); !ok || !reflect.DeepEqual(v, []string{"90650"}) || p.Place.NTDID != "90022" || p.Place.CoC != "CA-600" {
		t.Fatalf("place %+v", p.Place)
	}
	if _, ok := p.Place.Values("county"); ok {
		t.Fatal("county is not a place key")
	}
}
