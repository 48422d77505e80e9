package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/plan"
)

type apiPoint struct {
	Period   string   `json:"period"`
	Label    string   `json:"label"`
	Value    *float64 `json:"value"`
	Target   *float64 `json:"target"`
	Expected *float64 `json:"expected,omitempty"`
	Partial  bool     `json:"partial,omitempty"`
}

type apiIndicator struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Description  string     `json:"description,omitempty"`
	Dataset      string     `json:"dataset"`
	Unit         string     `json:"unit,omitempty"`
	Format       string     `json:"format"`
	Direction    string     `json:"direction"`
	Grain        string     `json:"grain"`
	Owner        string     `json:"owner,omitempty"`
	Measures     []string   `json:"measures"`
	Status       string     `json:"status"`
	Trend        string     `json:"trend,omitempty"`
	Overdue      bool       `json:"overdue"`
	Summary      string     `json:"summary"`
	Latest       *apiPoint  `json:"latest"`
	SampleTarget bool       `json:"sample_target"`
	Series       []apiPoint `json:"series,omitempty"`
	Imports      []apiImp   `json:"imports,omitempty"`
	Narratives   []note     `json:"narratives,omitempty"`
	Error        string     `json:"error,omitempty"`
}

type apiImp struct {
	ID       int64     `json:"id"`
	File     string    `json:"file"`
	SHA256   string    `json:"sha256"`
	Source   string    `json:"source"`
	Started  time.Time `json:"started"`
	Rows     int64     `json:"rows_loaded"`
	Sample   bool      `json:"sample"`
	Datasets []string  `json:"datasets"`
}

func toAPIPoint(pt *plan.Point) *apiPoint {
	if pt == nil {
		return nil
	}
	return &apiPoint{Period: pt.Period.Key(), Label: pt.Period.Label(), Value: pt.Value, Target: pt.Target, Expected: pt.Expected, Partial: pt.Partial}
}

func apiIndicatorOf(vm *indicatorVM, withSeries bool) apiIndicator {
	in := vm.Ind
	out := apiIndicator{ID: in.ID, Title: in.Title, Description: in.Description, Dataset: in.Dataset, Unit: in.Unit,
		Format: in.ValueFormat(), Direction: in.Direction, Grain: string(in.Grain), Owner: in.Owner, Measures: in.Measures,
		SampleTarget: vm.SampleTarget, Summary: vm.Summary}
	if vm.Err != nil {
		out.Status, out.Error = string(plan.NoData), "the indicator could not be computed"
		return out
	}
	a := vm.View.Assessment
	out.Status, out.Trend, out.Overdue = string(a.Status), string(a.Trend), a.Overdue
	out.Latest = toAPIPoint(a.Point)
	if withSeries {
		out.Series = []apiPoint{}
		for i := range vm.View.Series.Points {
			out.Series = append(out.Series, *toAPIPoint(&vm.View.Series.Points[i]))
		}
	}
	return out
}

func (s *Server) apiPlan(c *fiber.Ctx) error {
	p := s.Plan()
	type strategy struct {
		ID         string   `json:"id"`
		Label      string   `json:"label,omitempty"`
		Text       string   `json:"text"`
		Indicators []string `json:"indicators"`
	}
	type objective struct {
		ID         string     `json:"id"`
		Title      string     `json:"title"`
		Indicators []string   `json:"indicators"`
		Strategies []strategy `json:"strategies"`
	}
	type goal struct {
		ID         string      `json:"id"`
		Number     int         `json:"number"`
		Title      string      `json:"title"`
		Objectives []objective `json:"objectives"`
	}
	ids := func(id string) []string {
		out := []string{}
		for _, in := range p.IndicatorsFor(id) {
			out = append(out, in.ID)
		}
		return out
	}
	var goals []goal
	for _, g := range p.Goals {
		gg := goal{ID: g.ID, Number: g.Number, Title: g.Title}
		for _, o := range g.Objectives {
			oo := objective{ID: o.ID, Title: o.Title, Indicators: ids(o.ID)}
			for _, st := range o.Strategies {
				oo.Strategies = append(oo.Strategies, strategy{ID: st.ID, Label: st.Label, Text: st.Text, Indicators: ids(st.ID)})
			}
			gg.Objectives = append(gg.Objectives, oo)
		}
		goals = append(goals, gg)
	}
	now := s.Now()
	return c.JSON(fiber.Map{
		"title": p.Title, "organisation": p.Organisation, "start": p.Start.Format("2006-01-02"), "end": p.End.Format("2006-01-02"),
		"period_over": p.Over(now), "as_of": now.In(p.Location()).Format("2006-01-02"), "vision": p.Vision, "mission": p.Mission,
		"values": p.Values, "focus_areas": p.FocusAreas, "council": p.Council, "departments": p.Departments, "goals": goals,
		"sample_targets": p.Sample,
	})
}

func (s *Server) apiIndicators(c *fiber.Ctx) error {
	p := s.Plan()
	vms := s.computeIndicators(p.Indicators, s.words(c), s.public(c), false)
	out := make([]apiIndicator, 0, len(vms))
	for _, vm := range vms {
		out = append(out, apiIndicatorOf(vm, false))
	}
	return c.JSON(fiber.Map{"as_of": s.Now().In(p.Location()).Format("2006-01-02"), "indicators": out})
}

func (s *Server) apiIndicator(c *fiber.Ctx) error {
	p := s.Plan()
	in := p.Indicator(c.Params("id"))
	if in == nil {
		return fiber.ErrNotFound
	}
	vm := s.computeIndicators([]*plan.Indicator{in}, s.words(c), s.public(c), false)[0]
	out := apiIndicatorOf(vm, true)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	if ns, err := s.notes(ctx, in, s.public(c), true); err == nil {
		out.Narratives = ns
	}
	if ims, err := s.Backend.Feeding(ctx, p.Datasets[in.Dataset]); err == nil {
		for _, im := range ims {
			out.Imports = append(out.Imports, apiImp{ID: im.ID, File: im.FileName, SHA256: im.SHA256, Source: im.Source,
				Started: im.Started, Rows: im.RowsLoaded, Sample: im.Sample, Datasets: im.Datasets})
		}
	}
	return c.JSON(out)
}

func (s *Server) healthz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p := s.Plan()
	status, code := "ok", fiber.StatusOK
	var reasons []string
	if err := s.Backend.Ping(ctx); err != nil {
		status, code = "degraded", fiber.StatusServiceUnavailable
		reasons = append(reasons, "the database does not answer")
	}
	if r := s.sourceHealth(ctx); len(r) > 0 {
		status, reasons = "degraded", append(reasons, r...)
	}
	return c.Status(code).JSON(fiber.Map{"status": status, "reasons": reasons, "version": s.Version,
		"plan": p.Title, "plan_hash": p.Hash, "now": s.Now().Format(time.RFC3339)})
}
