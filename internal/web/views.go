package web

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/plandash/plandash/dashboards"
	"github.com/plandash/plandash/internal/plan"
)

// statusIcons go with every status, beside its text and colour.
var statusIcons = map[string]string{
	string(plan.OnTrack): "✓", string(plan.AtRisk): "!", string(plan.OffTrack): "✕",
	string(plan.NoTarget): "–", string(plan.NoData): "?",
	string(plan.Improving): "▲", string(plan.Worsening): "▼", string(plan.Flat): "▶",
}

// badge is a status as the pages show it: icon, text and a class for colour.
type badge struct {
	Class, Icon, Text string
}

func statusBadge(a plan.Assessment, w *words) badge {
	key := string(a.Status)
	if a.Status == plan.NoTarget && a.Trend != "" {
		key = string(a.Trend)
	}
	return badge{Class: "status-" + cssName(key), Icon: statusIcons[key], Text: dashboards.StatusText(a, w)}
}

func rollupBadge(r plan.Rollup, w *words) badge {
	if r.Total == 0 {
		return badge{Class: "status-no-target", Icon: "–", Text: w.T("rollup.no_indicators", nil)}
	}
	st := r.Status
	return badge{Class: "status-" + cssName(string(st)), Icon: statusIcons[string(st)], Text: w.T("status."+string(st), nil)}
}

func cssName(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// indicatorVM is one indicator computed for a page.
type indicatorVM struct {
	Ind          *plan.Indicator
	View         dashboards.View
	Err          error
	Latest       string
	LatestPeriod string
	Target       string
	TargetLabel  string
	Badge        badge
	Overdue      bool
	Summary      string
	Spark        dashboards.Chart
	SampleTarget bool
	Partial      bool
	StretchMet   bool
	W            *words
}

// computeIndicators computes each indicator in parallel, each under its own
// timeout: one failing indicator shows its error and does not break the page.
func (s *Server) computeIndicators(ins []*plan.Indicator, w *words, public, print bool) []*indicatorVM {
	p := s.Plan()
	now := s.Now().In(p.Location())
	out := make([]*indicatorVM, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
			defer cancel()
			out[i] = s.computeOne(ctx, p, in, w, now, public, print)
		}()
	}
	wg.Wait()
	return out
}

func (s *Server) computeOne(ctx context.Context, p *plan.Plan, in *plan.Indicator, w *words, now time.Time, public, print bool) *indicatorVM {
	vm := &indicatorVM{Ind: in, SampleTarget: in.Targets.Sample && in.TargetFrom == nil, W: w}
	ds := p.Datasets[in.Dataset]
	series, err := plan.Compute(ctx, p, in, s.Backend, now, public)
	if err != nil {
		s.Log.Error("indicator", "id", in.ID, "err", err)
		vm.Err = err
		vm.Badge = badge{Class: "status-no-data", Icon: "?", Text: w.T("status.no_data", nil)}
		return vm
	}
	a := plan.Assess(series, now, ds.LagDays)
	if series.TargetsImported {
		vm.SampleTarget = false
	}
	vm.StretchMet = a.StretchMet
	vm.View = dashboards.View{Indicator: in, Dataset: ds, Series: series, Assessment: a}
	vm.Badge = statusBadge(a, w)
	vm.Overdue = a.Overdue
	vm.Summary = dashboards.Summary(vm.View, w)
	f := in.ValueFormat()
	vm.Latest = w.T("value.no_data", nil)
	if pt := a.Point; pt != nil && pt.Value != nil {
		vm.Latest = w.Value(*pt.Value, f)
		vm.LatestPeriod = w.Period(pt.Period)
		vm.Partial = pt.Partial
		switch {
		case pt.Expected != nil:
			vm.Target = w.Value(*pt.Expected, f)
			vm.TargetLabel = w.T("indicator.expected", nil)
		case pt.Target != nil:
			vm.Target = w.Value(*pt.Target, f)
			vm.TargetLabel = w.T("indicator.target", nil)
		}
	}
	spark, err := dashboards.Sparkline("spark-"+in.ID, vm.View, w, print)
	if err != nil {
		vm.Err = err
	}
	vm.Spark = spark
	return vm
}

// rollup combines the indicators' assessments under an objective or goal.
func rollup(vms []*indicatorVM) plan.Rollup {
	as := make([]plan.Assessment, 0, len(vms))
	for _, vm := range vms {
		as = append(as, vm.View.Assessment)
	}
	r := plan.RollUp(as)
	for _, vm := range vms {
		if vm.Err != nil {
			r.Counts[plan.NoData]++
		}
	}
	return r
}

func rollupText(r plan.Rollup, w *words) string {
	if r.Total == 0 {
		return ""
	}
	s := w.T("rollup.counts", map[string]any{"Total": r.Total, "OnTrack": r.Counts[plan.OnTrack], "AtRisk": r.Counts[plan.AtRisk],
		"OffTrack": r.Counts[plan.OffTrack], "Other": r.Counts[plan.NoTarget] + r.Counts[plan.NoData]})
	if r.Overdue > 0 {
		s += "; " + w.T("rollup.overdue", map[string]any{"Count": r.Overdue})
	}
	return s
}

func byID(vms []*indicatorVM) map[string]*indicatorVM {
	m := make(map[string]*indicatorVM, len(vms))
	for _, vm := range vms {
		m[vm.Ind.ID] = vm
	}
	return m
}

func fmtDate(t time.Time) string { return t.Format("January 2, 2006") }

func shortHash(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return fmt.Sprint(h)
}
