package web

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/dashboards"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

type linkVM struct {
	ID, Text, Href string
}

func (s *Server) indicatorPage(c *fiber.Ctx) error {
	p := s.Plan()
	in := p.Indicator(c.Params("id"))
	if in == nil {
		return fiber.ErrNotFound
	}
	w := s.words(c)
	vm := s.computeIndicators([]*plan.Indicator{in}, w, s.public(c), false)[0]
	data := map[string]any{"VM": vm}
	if vm.Err == nil {
		chart, err := dashboards.IndicatorChart("chart-"+in.ID, vm.View, w, false)
		if err != nil {
			return err
		}
		data["Chart"] = chart
		if g, ok, err := dashboards.Gauge("gauge-"+in.ID, vm.View, w, false); err == nil && ok {
			data["Gauge"] = g
		}
		data["Table"] = dashboards.Table(vm.View, w)
		data["HasExpected"] = dashboards.HasExpected(vm.View.Series)
		if vm.View.Series.PaceShares != nil {
			data["PaceYears"] = vm.View.Series.PaceYears
		}
		if a := vm.View.Assessment; a.Overdue && vm.View.Series.Newest != nil {
			data["Overdue"] = w.T("indicator.overdue_detail", map[string]any{"Period": w.Period(*vm.View.Series.Newest), "Due": fmtDate(a.DueBy)})
		}
	}
	var links []linkVM
	for _, id := range in.Measures {
		switch {
		case p.Strategy(id) != nil:
			links = append(links, linkVM{ID: id, Text: p.Strategy(id).Text, Href: "/strategies/" + id})
		case p.Objective(id) != nil:
			links = append(links, linkVM{ID: id, Text: p.Objective(id).Title, Href: "/goals/" + p.Objective(id).Goal.ID + "#" + id})
		case p.Goal(id) != nil:
			links = append(links, linkVM{ID: id, Text: p.Goal(id).Title, Href: "/goals/" + id})
		}
	}
	data["Links"] = links
	ds := p.Datasets[in.Dataset]
	data["Dataset"] = ds
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	feeding, err := s.Backend.Feeding(ctx, ds)
	if err != nil {
		s.Log.Error("feeding imports", "dataset", ds.Name, "err", err)
	}
	data["Imports"] = importLines(feeding, p, w)
	total, sample, _ := s.Backend.CurrentRows(ctx, ds)
	data["SampleRows"], data["TotalRows"] = sample, total
	var filters []string
	for _, f := range in.Filters {
		filters = append(filters, f.String())
	}
	data["Filters"] = filters
	th := in.EffectiveThresholds()
	data["Thresholds"] = w.T("indicator.thresholds", map[string]any{"OnTrack": w.Value(th.OnTrack, plan.FormatPercent), "AtRisk": w.Value(th.AtRisk, plan.FormatPercent)})
	if in.Baseline != nil {
		if bp, err := plan.ParsePeriod(in.Baseline.Period, p.FYStart()); err == nil {
			data["Baseline"] = w.Value(in.Baseline.Value, in.ValueFormat()) + " (" + w.Period(bp) + ")"
		}
	}
	data["Measure"] = measureText(in)
	if notes, err := s.notes(ctx, in, s.public(c), false); err == nil {
		data["Notes"] = notes
	}
	if vm.Err == nil {
		var periods []plan.Period
		for i := len(vm.View.Series.Points) - 1; i >= 0 && len(periods) < 24; i-- {
			periods = append(periods, vm.View.Series.Points[i].Period)
		}
		data["NotePeriods"] = periods
		if pt := vm.View.Assessment.Point; pt != nil {
			data["NoteDefault"] = pt.Period.Key()
		}
	}
	pd := pageData{Title: in.Title, Plan: p, W: w, SampleData: sample > 0, SampleTargs: vm.SampleTarget, Data: data}
	if id := c.QueryInt("saved"); id > 0 && s.viewerOf(c) != nil {
		c.Locals("flash", w.T("entry.saved", map[string]any{"ID": id}))
	}
	return s.render(c, "indicator", pd)
}

func measureText(in *plan.Indicator) string {
	m := ""
	if in.Ratio != nil {
		m = in.Ratio.Numerator.String() + " / " + in.Ratio.Denominator.String()
	} else if in.Measure != nil {
		m = in.Measure.String()
	}
	if in.Transform != "" {
		m += ", " + in.Transform
		if in.Transform == plan.TransformTopShare {
			m += " (top " + strconv.Itoa(in.Top) + " by " + in.Breakdown + ")"
		}
	}
	if in.TargetFrom != nil {
		m += "; target " + in.TargetFrom.String()
	}
	return m
}

func importLines(ims []*imports.Record, p *plan.Plan, w *words) []string {
	var out []string
	for i, im := range ims {
		if i == 5 {
			break
		}
		out = append(out, w.T("indicator.last_import", map[string]any{"ID": im.ID, "File": im.FileName,
			"Date": im.Started.In(p.Location()).Format("2006-01-02 15:04"), "Rows": im.RowsLoaded, "Source": im.Source}))
	}
	return out
}
