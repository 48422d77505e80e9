// Package dashboards turns indicator series into what pages show: ECharts
// option objects (built with go-echarts, fixed ids, no functions inside),
// accessible tables and one-sentence summaries. It knows nothing of HTTP or SQL.
package dashboards

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/plandash/plandash/internal/plan"
)

// Words are the locale-dependent parts of what dashboards write: messages
// from the catalog, numbers and periods.
type Words interface {
	T(id string, data map[string]any) string
	Value(v float64, format string) string
	Period(p plan.Period) string
}

// Palette is colour-blind safe (Okabe-Ito); status never relies on it alone.
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// TargetColor draws targets: dark grey, dashed.
const TargetColor = "#4d4d4d"

// Chart is one chart ready for a page: its container id and its option JSON
// (escaped by encoding/json, safe inside a data island).
type Chart struct {
	ID      string
	Options template.JS
	// Points counts the data points drawn, for tests and empty states.
	Points int
	Label  string
}

// View is an indicator with its computed series and status.
type View struct {
	Indicator  *plan.Indicator
	Dataset    *plan.Dataset
	Series     *plan.Series
	Assessment plan.Assessment
}

func formatterName(format string) string {
	switch format {
	case plan.FormatMoney:
		return "fmt:money"
	case plan.FormatPercent:
		return "fmt:percent"
	}
	return "fmt:number"
}

func dataValue(v *float64) opts.LineData {
	if v == nil {
		return opts.LineData{Value: "-"}
	}
	return opts.LineData{Value: round(*v)}
}

func barValue(v *float64) opts.BarData {
	if v == nil {
		return opts.BarData{Value: "-"}
	}
	return opts.BarData{Value: round(*v)}
}

// round keeps charts' JSON short without changing what a person reads.
func round(v float64) float64 {
	if math.Abs(v) >= 1000 {
		return math.Round(v*100) / 100
	}
	return math.Round(v*1e6) / 1e6
}

// IndicatorChart is the full chart of an indicator: its values as a line (or
// stacked bars by breakdown), its target as a dashed step line, and the
// part of the target due by now for a year judged by pace.
func IndicatorChart(id string, v View, w Words, print bool) (Chart, error) {
	in, s := v.Indicator, v.Series
	fmtName := formatterName(in.ValueFormat())
	labels := make([]string, len(s.Points))
	for i, pt := range s.Points {
		labels[i] = w.Period(pt.Period)
	}
	anim := !print
	title := in.Title
	line := charts.NewLine()
	line.SetGlobalOptions(
		charts.WithAnimation(anim),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", ValueFormatter: types.FuncStr(fmtName)}),
		// A scrolling legend keeps to one line, so it never covers the axis on a phone.
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "4%", Top: "12%", Bottom: "16%", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Scale: opts.Bool(in.ValueFormat() == plan.FormatPercent), AxisLabel: &opts.AxisLabel{Formatter: types.FuncStr(fmtName)}}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: labels}),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true)}),
		charts.WithColorsOpts(opts.Colors(Palette)),
	)
	if len(labels) > 36 && !print {
		line.SetGlobalOptions(charts.WithDataZoomOpts(
			opts.DataZoom{Type: "inside", Start: float32(100 - 3600/len(labels)), End: 100},
			opts.DataZoom{Type: "slider", Start: float32(100 - 3600/len(labels)), End: 100},
		))
		line.SetGlobalOptions(charts.WithGridOpts(opts.Grid{Left: "3%", Right: "4%", Top: "12%", Bottom: "24%", ContainLabel: opts.Bool(true)}))
	}
	if !print {
		line.SetGlobalOptions(charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Feature: &opts.ToolBoxFeature{
			SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Name: in.ID, Title: w.T("chart.save", nil)},
		}}))
	}
	line.SetXAxis(labels)
	points := 0
	if len(s.Members) > 0 && in.Transform == plan.TransformNone && in.Ratio == nil {
		for _, m := range s.Members {
			data := make([]opts.LineData, len(m.Values))
			for i, val := range m.Values {
				data[i] = dataValue(val)
				if val != nil {
					points++
				}
			}
			line.AddSeries(m.Name, data, charts.WithLineChartOpts(opts.LineChart{Stack: "total", ShowSymbol: opts.Bool(false)}),
				charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.55)}))
		}
	} else {
		// A year to date is drawn apart from the complete years, so that a
		// partial total does not read as a collapse.
		data := make([]opts.LineData, len(s.Points))
		partial := make([]opts.LineData, len(s.Points))
		hasPartial := false
		for i, pt := range s.Points {
			data[i], partial[i] = dataValue(pt.Value), dataValue(nil)
			if pt.Value != nil {
				points++
			}
			if in.ToDate && pt.Partial && pt.Value != nil {
				data[i], partial[i], hasPartial = dataValue(nil), dataValue(pt.Value), true
			}
		}
		line.AddSeries(title, data, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(len(data) <= 40)}),
			charts.WithLineStyleOpts(opts.LineStyle{Width: 2.5}))
		if hasPartial {
			line.AddSeries(w.T("chart.to_date", nil), partial, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), Symbol: "circle", SymbolSize: 12}),
				charts.WithItemStyleOpts(opts.ItemStyle{Color: Palette[4]}))
		}
	}
	var target, expected []opts.LineData
	hasT, hasE := false, false
	for _, pt := range s.Points {
		target = append(target, dataValue(pt.Target))
		expected = append(expected, dataValue(pt.Expected))
		hasT = hasT || pt.Target != nil
		hasE = hasE || pt.Expected != nil
	}
	if hasT {
		name := w.T("chart.target", nil)
		if in.Targets.Sample && in.TargetFrom == nil && !s.TargetsImported {
			name = w.T("chart.sample_target", nil)
		}
		line.AddSeries(name, target, charts.WithLineChartOpts(opts.LineChart{Step: "middle", ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed", Color: TargetColor, Width: 2}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: TargetColor}))
	}
	// The minimum and the stretch target bound the band a value should be in.
	var minimum, stretch []opts.LineData
	hasMin, hasStretch := false, false
	for _, pt := range s.Points {
		minimum = append(minimum, dataValue(pt.Minimum))
		stretch = append(stretch, dataValue(pt.Stretch))
		hasMin = hasMin || pt.Minimum != nil
		hasStretch = hasStretch || pt.Stretch != nil
	}
	if hasMin {
		line.AddSeries(w.T("chart.minimum", nil), minimum, charts.WithLineChartOpts(opts.LineChart{Step: "middle", ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Type: "dotted", Color: Palette[5], Width: 2}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: Palette[5]}))
	}
	if hasStretch {
		line.AddSeries(w.T("chart.stretch", nil), stretch, charts.WithLineChartOpts(opts.LineChart{Step: "middle", ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Type: "dotted", Color: Palette[2], Width: 2}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: Palette[2]}))
	}
	if hasE {
		line.AddSeries(w.T("chart.expected", nil), expected, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), Symbol: "diamond", SymbolSize: 12}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: "#D55E00"}))
	}
	return finish(id, line, points, in.Title)
}

// Sparkline is a small line of the indicator's recent values, without axes.
func Sparkline(id string, v View, w Words, print bool) (Chart, error) {
	s := v.Series
	pts := s.Points
	if len(pts) > 24 {
		pts = pts[len(pts)-24:]
	}
	labels := make([]string, len(pts))
	data := make([]opts.LineData, len(pts))
	n := 0
	for i, pt := range pts {
		labels[i] = w.Period(pt.Period)
		data[i] = dataValue(pt.Value)
		if pt.Value != nil {
			n++
		}
	}
	line := charts.NewLine()
	line.SetGlobalOptions(
		charts.WithAnimation(!print),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", ValueFormatter: types.FuncStr(formatterName(v.Indicator.ValueFormat()))}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "2", Right: "2", Top: "4", Bottom: "4"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Show: opts.Bool(false), Data: labels}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Show: opts.Bool(false), Scale: opts.Bool(true)}),
		charts.WithColorsOpts(opts.Colors(Palette)),
	)
	line.SetXAxis(labels)
	line.AddSeries(v.Indicator.Title, data, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 2}))
	return finish(id, line, n, v.Indicator.Title)
}

func finish(id string, line *charts.Line, points int, label string) (Chart, error) {
	line.Validate()
	return marshalChart(id, line.JSON(), points, label)
}

// marshalChart encodes an option object; encoding/json escapes <, > and &,
// so the JSON is safe inside a data island.
func marshalChart(id string, obj map[string]any, points int, label string) (Chart, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return Chart{}, fmt.Errorf("dashboards: chart %s: %w", id, err)
	}
	return Chart{ID: id, Options: template.JS(b), Points: points, Label: label}, nil
}

// Gauge shows the latest value as a share of its target (or of the pace
// expected by now): a dial from 0 to 150% with the at-risk and on-track
// thresholds marked, and the share in words in its centre.
func Gauge(id string, v View, w Words, print bool) (Chart, bool, error) {
	a := v.Assessment
	if a.Point == nil || a.Point.Value == nil || (a.Point.Target == nil && a.Point.Expected == nil) {
		return Chart{}, false, nil
	}
	th := v.Indicator.EffectiveThresholds()
	pct := math.Max(0, math.Min(a.Score, 1.5))
	g := charts.NewGauge()
	g.SetGlobalOptions(charts.WithAnimation(!print), charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(false)}))
	g.AddSeries(w.T("chart.percent_of_target", nil), []opts.GaugeData{{Name: w.T("chart.percent_of_target", nil), Value: math.Round(pct*1000) / 10}},
		charts.WithSeriesOpts(func(s *charts.SingleSeries) {
			s.Min, s.Max = 0, 150
			s.Detail = &opts.Detail{Formatter: "{value}%"}
		}))
	g.Validate()
	// go-echarts has no type for a banded gauge axis: set it on the option
	// object itself (plain data, no functions).
	b, err := json.Marshal(g.JSON())
	if err != nil {
		return Chart{}, false, err
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return Chart{}, false, err
	}
	// The page names the gauge and states its value in words: the chart
	// shows the bands, the needle and the percentage, with room between
	// them at the size the page gives it.
	obj["legend"] = map[string]any{"show": false}
	if series, ok := obj["series"].([]any); ok && len(series) > 0 {
		if s0, ok := series[0].(map[string]any); ok {
			s0["radius"], s0["center"], s0["splitNumber"] = "92%", []any{"50%", "58%"}, 3
			s0["axisLine"] = map[string]any{"lineStyle": map[string]any{"width": 14, "color": []any{
				[]any{th.AtRisk / 1.5, "#D55E00"}, []any{th.OnTrack / 1.5, "#E69F00"}, []any{1, "#009E73"}}}}
			s0["axisTick"] = map[string]any{"distance": -14, "length": 5, "lineStyle": map[string]any{"color": "#fff"}}
			s0["splitLine"] = map[string]any{"distance": -14, "length": 14, "lineStyle": map[string]any{"color": "#fff", "width": 2}}
			s0["axisLabel"] = map[string]any{"distance": 20, "fontSize": 11, "color": "#333"}
			s0["pointer"] = map[string]any{"width": 5, "length": "62%"}
			s0["title"] = map[string]any{"show": false}
			s0["detail"] = map[string]any{"formatter": "{value}%", "fontSize": 22, "offsetCenter": []any{0, "62%"}, "color": "#222"}
		}
	}
	ch, err := marshalChart(id, obj, 1, "")
	return ch, true, err
}
