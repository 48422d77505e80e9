package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/plandash/plandash/internal/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

// english is a small, deterministic Words: the English catalog entries
// dashboards uses, and plain number formats.
type english struct{}

var catalog = map[string]string{
	"chart.target":         "Target",
	"chart.sample_target":  "Sample target",
	"chart.expected":       "Expected by now (pace)",
	"chart.save":           "Save as image",
	"chart.to_date":        "Year to date (in progress)",
	"status.on_track":      "On track",
	"status.at_risk":       "At risk",
	"status.off_track":     "Off track",
	"status.no_target":     "No target",
	"status.no_data":       "No data",
	"trend.improving":      "Improving",
	"trend.worsening":      "Worsening",
	"trend.flat":           "Flat",
	"summary.no_data":      "{{.Title}}: there is no data yet.",
	"summary.value":        "{{.Title}} in {{.Period}} was {{.Value}}: {{.Status}}.",
	"summary.value_change": "{{.Title}} in {{.Period}} was {{.Value}}, {{.Change}} {{.Compared}}: {{.Status}}.",
	"summary.value_target": "{{.Title}} in {{.Period}} was {{.Value}}, {{.Gap}} the target of {{.Target}}: {{.Status}}.",
	"summary.value_pace":   "{{.Title}} in {{.Period}} was {{.Value}}, {{.Gap}} the {{.Target}} expected by now: {{.Status}}.",
	"change.equal":         "equal to",
	"change.pct_above":     "{{.Pct}} above",
	"change.pct_below":     "{{.Pct}} below",
	"change.points_above":  "{{.Points}} points above",
	"change.points_below":  "{{.Points}} points below",
	"change.amount_above":  "{{.Amount}} above",
	"change.amount_below":  "{{.Amount}} below",
}

// T returns the id itself for a message the catalog lacks, so a test sees it.
func (english) T(id string, data map[string]any) string {
	src, ok := catalog[id]
	if !ok {
		return id
	}
	tm := template.Must(template.New(id).Option("missingkey=error").Parse(src))
	var b strings.Builder
	if err := tm.Execute(&b, data); err != nil {
		return "!" + id + ": " + err.Error()
	}
	return b.String()
}

func (english) Value(v float64, format string) string {
	switch format {
	case plan.FormatMoney:
		sign := ""
		if v < 0 {
			sign = "-"
		}
		a := math.Abs(v)
		if a >= 1000 {
			return sign + "$" + group(int64(math.Round(a)))
		}
		return fmt.Sprintf("%s$%.2f", sign, a)
	case plan.FormatPercent:
		return fmt.Sprintf("%.1f%%", v*100)
	}
	if v == math.Trunc(v) {
		return group(int64(v))
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

func (english) Period(p plan.Period) string { return p.Label() }

// group writes n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func f(v float64) *float64 { return &v }

func month(y int, m time.Month) plan.Period {
	return plan.PeriodOf(plan.Month, time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), time.July)
}

func fiscal(endYear int) plan.Period {
	return plan.PeriodOf(plan.FiscalYear, time.Date(endYear-1, time.July, 1, 0, 0, 0, 0, time.UTC), time.July)
}

// monthlyView is a monthly count with sample targets; one month has no data.
func monthlyView() View {
	in := &plan.Indicator{ID: "transit-boardings", Title: "Monthly transit boardings", Dataset: "transit_ridership",
		Grain: plan.Month, Unit: "trips", Targets: plan.Targets{Sample: true}}
	s := &plan.Series{Indicator: in}
	vals := []float64{78210, 80115.5, 0, 83020, 79550, 81240}
	for i, v := range vals {
		pt := plan.Point{Period: month(2025, time.Month(5+i)), Target: f(80000)}
		if i != 2 {
			pt.Value = f(v)
		}
		s.Points = append(s.Points, pt)
	}
	s.Points[len(s.Points)-1].Partial = true
	s.Points = append(s.Points, plan.Point{Period: month(2025, time.November), Target: f(82000)})
	return View{Indicator: in, Series: s}
}

// fiscalView is fiscal-year revenue to date against the budget, the year in
// progress judged by pace.
func fiscalView() View {
	in := &plan.Indicator{ID: "gf-revenue-vs-budget", Title: "General Fund revenue collected vs. budget, fiscal year to date",
		Dataset: "revenue", Grain: plan.FiscalYear, ToDate: true, Pace: "seasonal", Format: plan.FormatMoney,
		TargetFrom: &plan.Measure{Agg: plan.AggSum, Column: "budget"}}
	s := &plan.Series{Indicator: in, Points: []plan.Point{
		{Period: fiscal(2023), Value: f(61234567.89), Target: f(60000000), Months: 12},
		{Period: fiscal(2024), Value: f(64100000.4), Target: f(66500000), Months: 12},
		{Period: fiscal(2025), Value: f(31000000), Target: f(68200000), Expected: f(32000000), Partial: true, Months: 8},
	}}
	return View{Indicator: in, Series: s}
}

// breakdownView is ridership stacked by mode; one member lacks a month.
func breakdownView() View {
	in := &plan.Indicator{ID: "transit-by-mode", Title: "Transit boardings by mode", Dataset: "transit_ridership",
		Grain: plan.Quarter, Breakdown: "mode"}
	var pts []plan.Point
	for q := range 4 {
		pts = append(pts, plan.Point{Period: plan.PeriodOf(plan.Quarter, time.Date(2024, time.Month(1+3*q), 1, 0, 0, 0, 0, time.UTC), time.July),
			Value: f(float64(240000 + 1000*q))})
	}
	s := &plan.Series{Indicator: in, Points: pts, Members: []plan.Member{
		{Name: "MB", Values: []*float64{f(230000), f(231000), f(232000), f(233000)}},
		{Name: "DR", Values: []*float64{f(10000), f(10000), nil, f(10000)}},
	}}
	return View{Indicator: in, Series: s}
}

// longView has more months than fit, for the zoom.
func longView() View {
	in := &plan.Indicator{ID: "long", Title: "Long series", Dataset: "transit_ridership", Grain: plan.Month}
	s := &plan.Series{Indicator: in}
	for i := range 48 {
		s.Points = append(s.Points, plan.Point{Period: month(2021+i/12, time.Month(1+i%12)), Value: f(float64(1000 + i))})
	}
	return View{Indicator: in, Series: s}
}

// golden compares got (pretty-printed) with testdata/name.golden.json.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("%s: the options are not JSON: %v\n%s", name, err, got)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./dashboards -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from %s (run go test ./dashboards -update if the change is meant):\n%s", name, path, firstDiff(pretty.String(), string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %q\n want %q", i+1, gl, wl)
		}
	}
	return "(no line differs)"
}

// options decodes a chart's options for property checks.
type options struct {
	Animation *bool            `json:"animation"`
	Toolbox   json.RawMessage  `json:"toolbox"`
	DataZoom  json.RawMessage  `json:"dataZoom"`
	XAxis     []map[string]any `json:"xAxis"`
	Series    []struct {
		Name      string `json:"name"`
		Type      string `json:"type"`
		Stack     string `json:"stack"`
		Step      any    `json:"step"`
		LineStyle struct {
			Type  string `json:"type"`
			Color string `json:"color"`
		} `json:"lineStyle"`
		Data []struct {
			Value any `json:"value"`
		} `json:"data"`
	} `json:"series"`
}

func decode(t *testing.T, c Chart) options {
	t.Helper()
	var o options
	if err := json.Unmarshal([]byte(c.Options), &o); err != nil {
		t.Fatalf("chart %s: %v\n%s", c.ID, err, c.Options)
	}
	return o
}

// messageID looks like a catalog id, which the fake returns for a message
// it lacks.
var messageID = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// safe checks what must hold of every chart: no JavaScript inside, and no
// series named by a message id missing from the catalog.
func safe(t *testing.T, c Chart) {
	t.Helper()
	s := string(c.Options)
	for _, bad := range []string{"function", "__f__", "=>", "</script"} {
		if strings.Contains(strings.ToLower(s), strings.ToLower(bad)) {
			t.Errorf("chart %s options contain %q:\n%s", c.ID, bad, s)
		}
	}
	for _, sr := range decode(t, c).Series {
		if messageID.MatchString(sr.Name) {
			t.Errorf("chart %s has a series named %q: a message the test catalog lacks?", c.ID, sr.Name)
		}
	}
}

func TestIndicatorChartGolden(t *testing.T) {
	w := english{}
	for _, tc := range []struct {
		name   string
		view   View
		print  bool
		points int
	}{
		{"monthly", monthlyView(), false, 5},
		{"monthly_print", monthlyView(), true, 5},
		{"fiscal_to_date", fiscalView(), false, 3},
		{"breakdown", breakdownView(), false, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := IndicatorChart("chart-"+tc.view.Indicator.ID, tc.view, w, tc.print)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID != "chart-"+tc.view.Indicator.ID || c.Label != tc.view.Indicator.Title || c.Points != tc.points {
				t.Errorf("chart id %q label %q points %d; want the id given, the title, %d points", c.ID, c.Label, c.Points, tc.points)
			}
			safe(t, c)
			golden(t, tc.name, []byte(c.Options))
		})
	}
}

func TestSparklineGolden(t *testing.T) {
	c, err := Sparkline("spark-transit", monthlyView(), english{}, false)
	if err != nil {
		t.Fatal(err)
	}
	safe(t, c)
	if c.Points != 5 {
		t.Errorf("points %d; want 5", c.Points)
	}
	o := decode(t, c)
	if len(o.Series) != 1 {
		t.Errorf("a sparkline has %d series; want the values alone", len(o.Series))
	}
	golden(t, "sparkline", []byte(c.Options))

	// Only the last 24 periods are drawn.
	c, err = Sparkline("spark-long", longView(), english{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if o := decode(t, c); len(o.Series) != 1 || len(o.Series[0].Data) != 24 || c.Points != 24 {
		t.Errorf("long sparkline: %d series, %d values, %d points; want 24", len(o.Series), len(o.Series[0].Data), c.Points)
	}
	if o := decode(t, c); o.Animation == nil || *o.Animation {
		t.Errorf("print sparkline animates")
	}
}

func TestChartMissingValues(t *testing.T) {
	c, err := IndicatorChart("c", monthlyView(), english{}, false)
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, c)
	vals := o.Series[0].Data
	if len(vals) != 7 {
		t.Fatalf("%d values; want 7", len(vals))
	}
	for i, want := range []any{78210.0, 80115.5, "-", 83020.0, 79550.0, 81240.0, "-"} {
		if vals[i].Value != want {
			t.Errorf("value %d is %#v; want %#v (missing is \"-\", never 0)", i, vals[i].Value, want)
		}
	}
	// Every point has a target here, and the November target differs.
	var target []any
	for _, s := range o.Series {
		if s.Name == "Sample target" {
			for _, d := range s.Data {
				target = append(target, d.Value)
			}
		}
	}
	if len(target) != 7 || target[6] != 82000.0 {
		t.Errorf("target values %v", target)
	}

	b, err := IndicatorChart("b", breakdownView(), english{}, false)
	if err != nil {
		t.Fatal(err)
	}
	ob := decode(t, b)
	if len(ob.Series) != 2 || ob.Series[1].Name != "DR" || ob.Series[1].Data[2].Value != "-" || ob.Series[1].Stack != "total" {
		t.Errorf("breakdown series %+v; want MB and DR stacked, DR's missing quarter \"-\"", ob.Series)
	}
}

// TestChartYearToDate: a year to date is its own series, so a partial
// total is not joined to the complete years by the same line.
func TestChartYearToDate(t *testing.T) {
	o := decode(t, mustChart(t, fiscalView(), false))
	series := map[string][]any{}
	for _, s := range o.Series {
		for _, d := range s.Data {
			series[s.Name] = append(series[s.Name], d.Value)
		}
	}
	main := series["General Fund revenue collected vs. budget, fiscal year to date"]
	ytd := series["Year to date (in progress)"]
	if len(main) != 3 || main[2] != "-" || main[0] != 61234567.89 {
		t.Errorf("complete years %v; want the year in progress left out", main)
	}
	if len(ytd) != 3 || ytd[0] != "-" || ytd[1] != "-" || ytd[2] != 31000000.0 {
		t.Errorf("year to date %v; want only the year in progress", ytd)
	}
	// A month still in progress of an indicator that is not a to-date one
	// stays on its line.
	o = decode(t, mustChart(t, monthlyView(), false))
	if len(o.Series) != 2 || o.Series[0].Data[5].Value != 81240.0 {
		t.Errorf("monthly series %+v", o.Series)
	}
}

func TestChartTargetDashed(t *testing.T) {
	for _, tc := range []struct {
		view View
		name string
	}{
		{monthlyView(), "Sample target"}, // targets the plan does not set
		{fiscalView(), "Target"},         // targets from the budget
	} {
		c, err := IndicatorChart("c", tc.view, english{}, false)
		if err != nil {
			t.Fatal(err)
		}
		o := decode(t, c)
		found := false
		for _, s := range o.Series {
			if s.Name != tc.name {
				continue
			}
			found = true
			if s.LineStyle.Type != "dashed" || s.LineStyle.Color != TargetColor {
				t.Errorf("%s: target line style %+v; want dashed %s", tc.view.Indicator.ID, s.LineStyle, TargetColor)
			}
		}
		if !found {
			t.Errorf("%s: no series named %q", tc.view.Indicator.ID, tc.name)
		}
		if o.Series[0].LineStyle.Type == "dashed" {
			t.Errorf("%s: the values are dashed too", tc.view.Indicator.ID)
		}
	}

	// The pace expectation is its own series, with the expected value on the
	// year in progress only.
	o := decode(t, mustChart(t, fiscalView(), false))
	var exp []any
	for _, s := range o.Series {
		if s.Name == "Expected by now (pace)" {
			for _, d := range s.Data {
				exp = append(exp, d.Value)
			}
		}
	}
	if len(exp) != 3 || exp[0] != "-" || exp[1] != "-" || exp[2] != 32000000.0 {
		t.Errorf("expected-by-now values %v; want -, -, 32000000", exp)
	}

	// No target: no target series.
	v := monthlyView()
	for i := range v.Series.Points {
		v.Series.Points[i].Target = nil
	}
	if o := decode(t, mustChart(t, v, false)); len(o.Series) != 1 {
		t.Errorf("an indicator without targets has %d series", len(o.Series))
	}
}

func mustChart(t *testing.T, v View, print bool) Chart {
	t.Helper()
	c, err := IndicatorChart("c", v, english{}, print)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// toolbox reports whether the options have a toolbox with anything in it.
func toolbox(t *testing.T, o options) bool {
	t.Helper()
	if o.Toolbox == nil {
		return false
	}
	var tb map[string]any
	if err := json.Unmarshal(o.Toolbox, &tb); err != nil {
		t.Fatal(err)
	}
	return len(tb) > 0
}

func TestChartPrint(t *testing.T) {
	for _, v := range []View{monthlyView(), fiscalView(), breakdownView(), longView()} {
		screen := mustChart(t, v, false)
		print := mustChart(t, v, true)
		if !strings.Contains(string(print.Options), `"animation":false`) {
			t.Errorf("%s: print options lack \"animation\":false", v.Indicator.ID)
		}
		op, oscr := decode(t, print), decode(t, screen)
		// go-echarts always writes "toolbox":{}; an empty toolbox draws
		// nothing, so print must have no toolbox beyond that.
		if toolbox(t, op) || op.DataZoom != nil {
			t.Errorf("%s: print options have a toolbox or zoom:\n%s", v.Indicator.ID, print.Options)
		}
		if !toolbox(t, oscr) || oscr.Animation == nil || !*oscr.Animation {
			t.Errorf("%s: screen options lack the toolbox or animation", v.Indicator.ID)
		}
	}
	// The long series zooms on screen, and prints whole.
	if o := decode(t, mustChart(t, longView(), false)); o.DataZoom == nil {
		t.Errorf("48 months on screen have no zoom")
	}
}

func TestChartEscapesText(t *testing.T) {
	const evil = `</script><script>alert(1)</script>`
	v := monthlyView()
	v.Indicator.Title = evil
	b := breakdownView()
	b.Series.Members[0].Name = evil + ` & "quoted"`
	for _, c := range []Chart{mustChart(t, v, false), mustChart(t, b, false)} {
		s := string(c.Options)
		if strings.Contains(s, "<") || strings.Contains(s, ">") || strings.Contains(s, "&") {
			t.Errorf("options hold raw <, > or &:\n%s", s)
		}
		if !strings.Contains(s, `\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e`) {
			t.Errorf("options lack the escaped text:\n%s", s)
		}
		safe(t, c)
	}
	spark, err := Sparkline("s", v, english{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(spark.Options); strings.Contains(s, "<") || !strings.Contains(s, `\u003c/script\u003e`) {
		t.Errorf("sparkline options do not escape the title:\n%s", s)
	}
	// Decoded, the text is the data again: escaped, not altered.
	if o := decode(t, mustChart(t, b, false)); o.Series[0].Name != evil+` & "quoted"` {
		t.Errorf("member name decodes to %q", o.Series[0].Name)
	}
}

func TestSummary(t *testing.T) {
	w := english{}
	at := func(v View, i int) *plan.Point { return &v.Series.Points[i] }

	above := monthlyView()
	above.Series.Points[4].Value = f(82000)
	above.Assessment = plan.Assessment{Status: plan.OnTrack, Point: at(above, 4)}

	below := monthlyView()
	below.Series.Points[4].Value = f(76000)
	below.Assessment = plan.Assessment{Status: plan.AtRisk, Point: at(below, 4)}

	equal := monthlyView()
	equal.Series.Points[4].Value = f(80000)
	equal.Assessment = plan.Assessment{Status: plan.OnTrack, Point: at(equal, 4)}

	pace := fiscalView()
	pace.Assessment = plan.Assessment{Status: plan.AtRisk, Point: at(pace, 2), ByPace: true}

	// No target: the change from the same month a year earlier.
	trend := monthlyView()
	for i := range trend.Series.Points {
		trend.Series.Points[i].Target = nil
	}
	trend.Series.Points[4].Value = f(82000)
	prev := plan.Point{Period: month(2024, time.September), Value: f(78000)}
	trend.Assessment = plan.Assessment{Status: plan.NoTarget, Trend: plan.Improving, Point: at(trend, 4), Compared: &prev}

	noCompare := monthlyView()
	for i := range noCompare.Series.Points {
		noCompare.Series.Points[i].Target = nil
	}
	noCompare.Assessment = plan.Assessment{Status: plan.NoTarget, Point: at(noCompare, 0)}

	fromZero := monthlyView()
	fromZero.Series.Points[4].Target = f(0)
	fromZero.Series.Points[4].Value = f(12)
	fromZero.Assessment = plan.Assessment{Status: plan.OnTrack, Point: at(fromZero, 4)}

	noData := monthlyView()
	noData.Assessment = plan.Assessment{Status: plan.NoData}

	nilValue := monthlyView()
	nilValue.Assessment = plan.Assessment{Status: plan.NoData, Point: at(nilValue, 2)}

	pct := View{Indicator: &plan.Indicator{ID: "ontime", Title: "On-time performance", Format: plan.FormatPercent, Grain: plan.Month}}
	pct.Series = &plan.Series{Indicator: pct.Indicator, Points: []plan.Point{
		{Period: month(2025, time.June), Value: f(0.726), Target: f(0.75)},
		{Period: month(2025, time.July), Value: f(0.781), Target: f(0.75)},
	}}
	pctBelow, pctAbove := pct, pct
	pctBelow.Assessment = plan.Assessment{Status: plan.AtRisk, Point: at(pct, 0)}
	pctAbove.Assessment = plan.Assessment{Status: plan.OnTrack, Point: at(pct, 1)}

	yoy := View{Indicator: &plan.Indicator{ID: "yoy", Title: "Ridership change", Transform: plan.TransformYoY, Grain: plan.Month}}
	yoy.Series = &plan.Series{Indicator: yoy.Indicator, Points: []plan.Point{
		{Period: month(2025, time.June), Value: f(0.041)},
	}}
	yoyPrev := plan.Point{Period: month(2024, time.June), Value: f(0.062)}
	yoy.Assessment = plan.Assessment{Status: plan.NoTarget, Trend: plan.Worsening, Point: at(yoy, 0), Compared: &yoyPrev}

	for _, tc := range []struct {
		name string
		view View
		want string
	}{
		{"above target", above, "Monthly transit boardings in Sep 2025 was 82,000, 2.5% above the target of 80,000: On track."},
		{"below target", below, "Monthly transit boardings in Sep 2025 was 76,000, 5.0% below the target of 80,000: At risk."},
		{"equal to target", equal, "Monthly transit boardings in Sep 2025 was 80,000, equal to the target of 80,000: On track."},
		{"pace", pace, "General Fund revenue collected vs. budget, fiscal year to date in FY 2024-25 was $31,000,000, 3.1% below the $32,000,000 expected by now: At risk."},
		{"no target, compared", trend, "Monthly transit boardings in Sep 2025 was 82,000, 5.1% above Sep 2024: Improving."},
		{"no target, nothing to compare", noCompare, "Monthly transit boardings in May 2025 was 78,210: No target."},
		{"target of zero", fromZero, "Monthly transit boardings in Sep 2025 was 12, 12 above the target of 0: On track."},
		{"no data", noData, "Monthly transit boardings: there is no data yet."},
		{"point without value", nilValue, "Monthly transit boardings: there is no data yet."},
		{"percent below", pctBelow, "On-time performance in Jun 2025 was 72.6%, 2.4 points below the target of 75.0%: At risk."},
		{"percent above", pctAbove, "On-time performance in Jul 2025 was 78.1%, 3.1 points above the target of 75.0%: On track."},
		{"percent change, no target", yoy, "Ridership change in Jun 2025 was 4.1%, 2.1 points below Jun 2024: Worsening."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summary(tc.view, w); got != tc.want {
				t.Errorf("summary\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

func TestStatusText(t *testing.T) {
	w := english{}
	for _, tc := range []struct {
		a    plan.Assessment
		want string
	}{
		{plan.Assessment{Status: plan.OnTrack}, "On track"},
		{plan.Assessment{Status: plan.OffTrack}, "Off track"},
		{plan.Assessment{Status: plan.NoTarget}, "No target"},
		{plan.Assessment{Status: plan.NoTarget, Trend: plan.Flat}, "Flat"},
		{plan.Assessment{Status: plan.NoData}, "No data"},
	} {
		if got := StatusText(tc.a, w); got != tc.want {
			t.Errorf("StatusText(%+v) = %q; want %q", tc.a, got, tc.want)
		}
	}
}

func TestTable(t *testing.T) {
	w := english{}
	rows := Table(monthlyView(), w)
	want := []TableRow{
		{Period: "Nov 2025", Value: "—", Target: "82,000", Expected: "—"},
		{Period: "Oct 2025", Value: "81,240", Target: "80,000", Expected: "—", Partial: true},
		{Period: "Sep 2025", Value: "79,550", Target: "80,000", Expected: "—"},
		{Period: "Aug 2025", Value: "83,020", Target: "80,000", Expected: "—"},
		{Period: "Jul 2025", Value: "—", Target: "80,000", Expected: "—"},
		{Period: "Jun 2025", Value: "80115.5", Target: "80,000", Expected: "—"}, // not whole: the fake does not group it
		{Period: "May 2025", Value: "78,210", Target: "80,000", Expected: "—"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows; want %d", len(rows), len(want))
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v; want %+v", i, rows[i], want[i])
		}
	}
	if HasExpected(monthlyView().Series) {
		t.Errorf("HasExpected on a series without pace")
	}

	fy := Table(fiscalView(), w)
	wantFY := []TableRow{
		{Period: "FY 2024-25", Value: "$31,000,000", Target: "$68,200,000", Expected: "$32,000,000", Partial: true},
		{Period: "FY 2023-24", Value: "$64,100,000", Target: "$66,500,000", Expected: "—"},
		{Period: "FY 2022-23", Value: "$61,234,568", Target: "$60,000,000", Expected: "—"},
	}
	if len(fy) != len(wantFY) {
		t.Fatalf("%d fiscal rows; want %d", len(fy), len(wantFY))
	}
	for i := range wantFY {
		if fy[i] != wantFY[i] {
			t.Errorf("fiscal row %d = %+v; want %+v", i, fy[i], wantFY[i])
		}
	}
	if !HasExpected(fiscalView().Series) {
		t.Errorf("HasExpected is false on a series judged by pace")
	}

	pv := View{Indicator: &plan.Indicator{ID: "share", Title: "Share", Ratio: &plan.Ratio{}, Grain: plan.Year}}
	pv.Series = &plan.Series{Indicator: pv.Indicator, Points: []plan.Point{
		{Period: plan.PeriodOf(plan.Year, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.July), Value: f(0.4567), Target: f(0.5)},
	}}
	if got := Table(pv, w); len(got) != 1 || got[0] != (TableRow{Period: "2024", Value: "45.7%", Target: "50.0%", Expected: "—"}) {
		t.Errorf("percent table %+v", got)
	}

	if got := Table(View{Indicator: &plan.Indicator{ID: "empty"}, Series: &plan.Series{}}, w); len(got) != 0 {
		t.Errorf("a series without points has %d rows", len(got))
	}
}

// The gauge shows the score as a percentage over bands at the indicator's
// thresholds, with nothing drawn over the number: no legend, no title.
func TestGaugeBandsAndLayout(t *testing.T) {
	value, target := 102157.0, 100000.0
	v := View{Indicator: &plan.Indicator{ID: "x", Title: "X"},
		Assessment: plan.Assessment{Point: &plan.Point{Value: &value, Target: &target}, Score: value / target}}
	ch, ok, err := Gauge("g", v, english{}, false)
	if err != nil || !ok {
		t.Fatalf("gauge: %v %v", ok, err)
	}
	var o struct {
		Legend struct{ Show bool }
		Series []struct {
			Data     []struct{ Value float64 }
			Title    struct{ Show bool }
			Detail   struct{ Formatter string }
			AxisLine struct {
				LineStyle struct{ Color [][2]any }
			}
		}
	}
	if err := json.Unmarshal([]byte(ch.Options), &o); err != nil {
		t.Fatal(err)
	}
	s := o.Series[0]
	if o.Legend.Show || s.Title.Show || s.Detail.Formatter != "{value}%" || len(s.Data) != 1 || s.Data[0].Value != 102.2 {
		t.Fatalf("gauge options: %+v", o)
	}
	th := plan.DefaultThresholds
	bands := s.AxisLine.LineStyle.Color
	if len(bands) != 3 || math.Abs(bands[0][0].(float64)-th.AtRisk/1.5) > 1e-9 || math.Abs(bands[1][0].(float64)-th.OnTrack/1.5) > 1e-9 || bands[2][0].(float64) != 1 {
		t.Fatalf("bands %v, want breaks at the thresholds on a 0-150%% axis", bands)
	}
	// Without a target there is nothing to show.
	v.Assessment.Point.Target = nil
	if _, ok, _ := Gauge("g", v, english{}, false); ok {
		t.Fatal("a gauge without a target")
	}
}
