package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/plan"
)

type strategyVM struct {
	S          *plan.Strategy
	Indicators []*indicatorVM
	// Progress is set by addStrategies (strategies.go); nil when the plan
	// does not track strategy progress.
	Progress *progressVM
}

type objectiveVM struct {
	O           *plan.Objective
	Badge       badge
	RollupText  string
	Indicators  []*indicatorVM
	Strategies  []strategyVM
	WithoutInds int
}

type goalVM struct {
	G          *plan.Goal
	Badge      badge
	RollupText string
	Objectives []objectiveVM
}

// goalView assembles a goal with its objectives, strategies and the
// computed indicators that measure them.
func goalView(g *plan.Goal, p *plan.Plan, vms map[string]*indicatorVM, w *words) goalVM {
	pick := func(id string) []*indicatorVM {
		var out []*indicatorVM
		for _, in := range p.IndicatorsFor(id) {
			if vm := vms[in.ID]; vm != nil {
				out = append(out, vm)
			}
		}
		return out
	}
	gv := goalVM{G: g}
	gi := pick(g.ID)
	gr := rollup(gi)
	gv.Badge, gv.RollupText = rollupBadge(gr, w), rollupText(gr, w)
	for _, o := range g.Objectives {
		ov := objectiveVM{O: o, Indicators: pick(o.ID)}
		r := rollup(ov.Indicators)
		ov.Badge, ov.RollupText = rollupBadge(r, w), rollupText(r, w)
		for _, st := range o.Strategies {
			sv := strategyVM{S: st, Indicators: pick(st.ID)}
			if len(sv.Indicators) == 0 {
				ov.WithoutInds++
			}
			ov.Strategies = append(ov.Strategies, sv)
		}
		gv.Objectives = append(gv.Objectives, ov)
	}
	return gv
}

// sampleFlags reports whether any dataset behind the indicators holds sample
// rows, and whether any indicator has sample targets.
func (s *Server) sampleFlags(p *plan.Plan, ins []*plan.Indicator) (data, targets bool) {
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	seen := map[string]bool{}
	for _, in := range ins {
		if in.Targets.Sample && in.TargetFrom == nil {
			targets = true
		}
		if seen[in.Dataset] {
			continue
		}
		seen[in.Dataset] = true
		if ds := p.Datasets[in.Dataset]; ds != nil {
			if _, n, err := s.Backend.CurrentRows(ctx, ds); err == nil && n > 0 {
				data = true
			}
		}
	}
	return data, targets
}

func (s *Server) scorecard(c *fiber.Ctx) error {
	p := s.Plan()
	w := s.words(c)
	vms := s.computeIndicators(p.Indicators, w, s.public(c), false)
	byid := byID(vms)
	var goals []goalVM
	for _, g := range p.Goals {
		goals = append(goals, goalView(g, p, byid, w))
	}
	book := s.loadBook(p, s.public(c))
	addStrategies(goals, p, byid, &book, w)
	sd, st := s.sampleFlags(p, p.Indicators)
	sd = sd || book.Sample
	return s.render(c, "scorecard", pageData{Title: w.T("scorecard.title", nil), Plan: p, W: w, SampleData: sd, SampleTargs: st,
		Data: map[string]any{"Goals": goals}})
}

func (s *Server) goalPage(c *fiber.Ctx) error {
	p := s.Plan()
	g := p.Goal(c.Params("id"))
	if g == nil {
		return fiber.ErrNotFound
	}
	w := s.words(c)
	ins := p.IndicatorsFor(g.ID)
	vms := s.computeIndicators(ins, w, s.public(c), false)
	gv := goalView(g, p, byID(vms), w)
	book := s.loadBook(p, s.public(c))
	gvs := []goalVM{gv}
	addStrategies(gvs, p, byID(vms), &book, w)
	gv = gvs[0]
	sd, st := s.sampleFlags(p, ins)
	sd = sd || book.Sample
	return s.render(c, "goal", pageData{Title: w.T("goal.title", map[string]any{"Number": g.Number}), Plan: p, W: w, SampleData: sd, SampleTargs: st,
		Data: map[string]any{"Goal": gv}})
}
