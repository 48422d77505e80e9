package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/dashboards"
	"github.com/plandash/plandash/internal/plan"
)

// Finance dashboard settings: the built-in revenue dataset and the fund
// whose revenue the dashboard follows.
const (
	financeDataset = "revenue"
	financeFund    = "General Fund"
)

func (s *Server) financePage(c *fiber.Ctx) error {
	p := s.Plan()
	w := s.words(c)
	ds := p.Datasets[financeDataset]
	if ds == nil {
		return fiber.NewError(fiber.StatusNotFound, "the plan has no revenue dataset, so there is no finance dashboard")
	}
	public := s.public(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	fund := financeFund
	q := plan.Query{Dataset: ds, Measure: plan.Measure{Agg: plan.AggSum, Column: "actual"}, Time: ds.Time, Grain: plan.Month,
		FYStart: p.FYStart(), Location: p.Location(), Public: public,
		Filters: []plan.Filter{{Column: "fund", Equals: &fund}}}
	q.Breakdown = "source"
	bySource, err := s.Backend.Aggregate(ctx, q)
	if err != nil {
		return err
	}
	q.Breakdown = "category"
	byCategory, err := s.Backend.Aggregate(ctx, q)
	if err != nil {
		return err
	}
	cats, err := s.Backend.Pairs(ctx, ds, "source", "category", public)
	if err != nil {
		return err
	}
	f := dashboards.ComputeFinance(bySource, cats, p.FYStart())
	data := map[string]any{"F": f, "Fund": fund}
	if chart, err := dashboards.StackedMonthly("chart-revenue-by-category", byCategory, 24, plan.FormatMoney, w, false); err == nil && chart.Points > 0 {
		data["ByCategory"] = chart
	}
	if chart, err := dashboards.ChangeBars("chart-source-change", f, w, false); err == nil && chart.Points > 0 {
		data["Changes"] = chart
	}
	// The plan's own budget-vs-actual indicator, when it has one.
	var pace []*plan.Indicator
	for _, in := range p.Indicators {
		if in.Dataset == ds.Name && in.TargetFrom != nil {
			pace = append(pace, in)
		}
	}
	if len(pace) > 0 {
		vm := s.computeIndicators(pace[:1], w, public, false)[0]
		if vm.Err == nil {
			if chart, err := dashboards.IndicatorChart("chart-budget-vs-actual", vm.View, w, false); err == nil {
				data["Budget"], data["BudgetVM"] = chart, vm
			}
		}
	}
	type srow struct {
		dashboards.SourceRow
		FYTD, Last, Change, Share, Volatility string
	}
	var rows []srow
	for _, r := range f.Sources {
		sr := srow{SourceRow: r, FYTD: w.Value(r.FYTD, plan.FormatMoney), Last: w.Value(r.LastFYTD, plan.FormatMoney),
			Share: w.Value(r.Share, plan.FormatPercent), Change: "—", Volatility: "—"}
		if r.Change != nil {
			sr.Change = w.Value(*r.Change, plan.FormatPercent)
		}
		if r.Volatility != nil {
			sr.Volatility = w.Value(*r.Volatility, plan.FormatPercent)
		}
		rows = append(rows, sr)
	}
	data["Rows"] = rows
	data["Total"], data["LastYear"] = w.Value(f.Total, plan.FormatMoney), w.Value(f.LastYear, plan.FormatMoney)
	if f.Change != nil {
		data["Change"] = w.Value(*f.Change, plan.FormatPercent)
	}
	data["Top3"], data["HHI"] = w.Value(f.Top3Share, plan.FormatPercent), w.Value(f.HHI, plan.FormatNumber)
	data["FYLabel"] = w.Period(f.FY)
	data["Rule"] = w.T("finance.rule", map[string]any{"Decline": w.Value(dashboards.VulnerableDecline, plan.FormatPercent),
		"Volatility": w.Value(dashboards.VulnerableVolatility, plan.FormatPercent), "Share": w.Value(dashboards.VulnerableShare, plan.FormatPercent)})
	_, sample, _ := s.Backend.CurrentRows(ctx, ds)
	return s.render(c, "finance", pageData{Title: w.T("finance.title", nil), Plan: p, W: w, SampleData: sample > 0, Data: data})
}
