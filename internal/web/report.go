package web

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/dashboards"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// Packets is where published council packets are kept; the store
// satisfies it.
type Packets interface {
	SavePacket(ctx context.Context, p *imports.Packet) (int64, error)
	Packets(ctx context.Context) ([]*imports.Packet, error)
	PacketByID(ctx context.Context, id int64) (*imports.Packet, error)
}

// reportIndicator is one indicator in the packet.
type reportIndicator struct {
	VM     *indicatorVM
	Chart  dashboards.Chart
	Rows   []dashboards.TableRow
	Note   *note
	Source string
}

// reportRows is how many periods the packet's tables show.
const reportRows = 8

// reportData gathers the packet of the goals: every indicator with its
// chart (SVG, no animation), numbers, target, status, narrative and source.
func (s *Server) reportData(c *fiber.Ctx, goals []*plan.Goal, public bool) (map[string]any, error) {
	p := s.Plan()
	w := s.words(c)
	var ins []*plan.Indicator
	seen := map[string]bool{}
	for _, g := range goals {
		for _, in := range p.IndicatorsFor(g.ID) {
			if !seen[in.ID] {
				seen[in.ID] = true
				ins = append(ins, in)
			}
		}
	}
	vms := s.computeIndicators(ins, w, public, true)
	byid := byID(vms)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	details := map[string]*reportIndicator{}
	for _, vm := range vms {
		ri := &reportIndicator{VM: vm}
		if vm.Err == nil {
			ch, err := dashboards.IndicatorChart("report-"+vm.Ind.ID, vm.View, w, true)
			if err != nil {
				return nil, err
			}
			ri.Chart = ch
			rows := dashboards.Table(vm.View, w)
			if len(rows) > reportRows {
				rows = rows[:reportRows]
			}
			ri.Rows = rows
		}
		if ns, err := s.notes(ctx, vm.Ind, public, true); err == nil && len(ns) > 0 {
			ri.Note = &ns[0]
		}
		ds := p.Datasets[vm.Ind.Dataset]
		ri.Source = ds.Title
		if ims, err := s.Backend.Feeding(ctx, ds); err == nil && len(ims) > 0 {
			ri.Source = w.T("report.source", map[string]any{"Dataset": ds.Title, "File": ims[0].FileName,
				"Date": ims[0].Started.In(p.Location()).Format("2006-01-02")})
		}
		details[vm.Ind.ID] = ri
	}
	var gvs []goalVM
	for _, g := range goals {
		gvs = append(gvs, goalView(g, p, byid, w))
	}
	// Each goal's strategies with their reported status, percent complete,
	// due date and latest update.
	book := s.loadBook(p, public)
	addStrategies(gvs, p, byid, &book, w)
	all := rollup(vms)
	sd, st := s.sampleFlags(p, ins)
	return map[string]any{"Goals": gvs, "Details": details, "Summary": rollupText(all, w), "SummaryBadge": rollupBadge(all, w),
		"SampleData": sd, "SampleTargets": st}, nil
}

func (s *Server) reportPage(c *fiber.Ctx, goals []*plan.Goal, title, scope string, frozen bool) error {
	data, err := s.reportData(c, goals, s.public(c) || frozen)
	if err != nil {
		return err
	}
	data["Scope"] = scope
	sd, _ := data["SampleData"].(bool)
	st, _ := data["SampleTargets"].(bool)
	return s.render(c, "report", pageData{Title: title, W: s.words(c), Print: true, SampleData: sd, SampleTargs: st, Data: data, Frozen: frozen})
}

func (s *Server) report(c *fiber.Ctx) error {
	p := s.Plan()
	w := s.words(c)
	return s.reportPage(c, p.Goals, w.T("report.title", map[string]any{"Plan": p.Title}), "plan", false)
}

func (s *Server) goalReport(c *fiber.Ctx) error {
	p := s.Plan()
	g := p.Goal(c.Params("id"))
	if g == nil {
		return fiber.ErrNotFound
	}
	w := s.words(c)
	return s.reportPage(c, []*plan.Goal{g}, w.T("report.goal_title", map[string]any{"Number": g.Number, "Title": g.Title}), g.ID, false)
}

// publish freezes the packet as an anonymous reader sees it now.
func (s *Server) publish(c *fiber.Ctx) error {
	p := s.Plan()
	w := s.words(c)
	scope := c.FormValue("scope", "plan")
	goals, title := p.Goals, w.T("report.title", map[string]any{"Plan": p.Title})
	if scope != "plan" {
		g := p.Goal(scope)
		if g == nil {
			return fiber.ErrNotFound
		}
		goals, title = []*plan.Goal{g}, w.T("report.goal_title", map[string]any{"Number": g.Number, "Title": g.Title})
	}
	if err := s.reportPage(c, goals, title, scope, true); err != nil {
		return err
	}
	html, _ := c.Locals("rendered").([]byte)
	now := s.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	pk := &imports.Packet{Title: title, Scope: scope, AsOf: now.In(p.Location()), PublishedBy: userName(c, s), PublishedAt: now, HTML: string(html)}
	id, err := s.PacketStore.SavePacket(ctx, pk)
	if err != nil {
		return err
	}
	s.audit(c, userName(c, s), "packet published", fmt.Sprintf("#%d %s", id, title))
	return c.Redirect("/packets/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

func (s *Server) packetsPage(c *fiber.Ctx) error {
	w := s.words(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	list, err := s.PacketStore.Packets(ctx)
	if err != nil {
		return err
	}
	type row struct {
		P         *imports.Packet
		AsOf, Pub string
	}
	var rows []row
	for _, pk := range list {
		rows = append(rows, row{P: pk, AsOf: pk.AsOf.Format("January 2, 2006"), Pub: pk.PublishedAt.In(s.Plan().Location()).Format("2006-01-02 15:04")})
	}
	return s.render(c, "packets", pageData{Title: w.T("packets.title", nil), W: w, Data: map[string]any{"Rows": rows}})
}

// packet serves a published packet exactly as it was frozen.
func (s *Server) packet(c *fiber.Ctx) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	pk, err := s.PacketStore.PacketByID(ctx, id)
	if err != nil {
		return err
	}
	if pk == nil {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.SendString(pk.HTML)
}
