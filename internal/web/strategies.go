package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/dashboards"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// Strategy progress: the strategy pages, the late page, the tracker
// template, the strategies' part of the scorecard and goal pages, and the
// API. The rules (lateness, roll-ups, update cadence) are plan's; this file
// reads the rows and lays them out.

// strategyRoutes registers the strategy pages and API. The tracker
// template comes before /strategies/:id, which would take its name.
func (s *Server) strategyRoutes(app *fiber.App, api fiber.Router, editor fiber.Handler) {
	app.Get("/strategies/tracker.xlsx", editor, s.trackerTemplate)
	app.Get("/strategies/:id", s.cached, s.strategyPage)
	app.Post("/strategies/:id", editor, s.strategySave)
	app.Get("/late", s.cached, s.latePage)
	api.Get("/strategies", s.cached, s.apiStrategies)
	api.Get("/strategies/:id", s.cached, s.apiStrategy)
}

// strategyBook is every strategy's standing as of today.
type strategyBook struct {
	// Tracked is false when the plan has no strategy datasets.
	Tracked   bool
	Standings []plan.Standing
	// Sample is true when some of the rows are sample data.
	Sample bool
	byID   map[string]int
}

func (b *strategyBook) get(id string) *plan.Standing {
	if i, ok := b.byID[id]; ok {
		return &b.Standings[i]
	}
	return nil
}

// loadBook loads the standings under the server's query timeout.
func (s *Server) loadBook(p *plan.Plan, public bool) strategyBook {
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	return s.loadStrategies(ctx, public)
}

// today is the plan's current day (see plan.Day).
func (s *Server) today(p *plan.Plan) time.Time { return plan.Day(s.Now(), p.Location()) }

// rowMaps turns a row set into column name -> value maps.
func rowMaps(rs *imports.RowSet) []map[string]any {
	if rs == nil {
		return nil
	}
	out := make([]map[string]any, 0, len(rs.Rows))
	for _, r := range rs.Rows {
		m := make(map[string]any, len(rs.Columns))
		for i, c := range rs.Columns {
			m[c.Name] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// loadStrategies reads the current progress reports and milestones and
// computes every strategy's standing. A dataset that cannot be read counts
// as empty (and is logged): the pages then show no progress rather than
// fail, as one failing widget does not break a page.
func (s *Server) loadStrategies(ctx context.Context, public bool) strategyBook {
	p := s.Plan()
	book := strategyBook{byID: map[string]int{}}
	prog, msd := p.Datasets[plan.ProgressDataset], p.Datasets[plan.MilestonesDataset]
	book.Tracked = prog != nil
	// A dataset anonymous viewers may not see counts as empty for them.
	read := func(ds *plan.Dataset) []map[string]any {
		if ds == nil || (public && !ds.IsPublic()) {
			return nil
		}
		rs, err := s.Backend.Rows(ctx, ds, public, 0, 0)
		if err != nil {
			s.Log.Error("strategy progress", "dataset", ds.Name, "err", err)
			return nil
		}
		if _, n, err := s.Backend.CurrentRows(ctx, ds); err == nil && n > 0 {
			book.Sample = true
		}
		return rowMaps(rs)
	}
	var ups []plan.ProgressUpdate
	var ms []plan.Milestone
	for _, m := range read(prog) {
		ups = append(ups, plan.ProgressFromValues(m))
	}
	for _, m := range read(msd) {
		ms = append(ms, plan.MilestoneFromValues(m))
	}
	book.Standings = plan.Standings(p, ups, ms, s.today(p))
	for i, st := range book.Standings {
		book.byID[st.Strategy.ID] = i
	}
	return book
}

// progressBadges give each reported status its class (colour), icon and text.
var progressBadges = map[plan.ProgressStatus][2]string{
	plan.NotStarted: {"status-no-target", "○"},
	plan.OnSchedule: {"status-on-track", "▶"},
	plan.Behind:     {"status-at-risk", "!"},
	plan.Complete:   {"status-on-track", "✓"},
	plan.OnHold:     {"status-flat", "‖"},
	plan.Cancelled:  {"status-no-data", "✕"},
}

func progressBadge(st plan.ProgressStatus, w *words) badge {
	b, ok := progressBadges[st]
	if !ok {
		return badge{Class: "status-no-data", Icon: "?", Text: w.T("strategy.status.none", nil)}
	}
	return badge{Class: b[0], Icon: b[1], Text: w.T("strategy.status."+st.Key(), nil)}
}

// progressVM is a strategy's progress as the pages show it.
type progressVM struct {
	ID            string
	Status        badge
	HasUpdate     bool
	Percent       string
	PercentValue  float64
	HasPercent    bool
	Due           string
	Late          bool
	LateBadge     badge
	Overdue       bool
	OverdueBadge  badge
	Department    string
	Lead          string
	AsOf          string
	NextMilestone string
	NextDue       string
	Sample        bool
	// Update is the latest update's text, for the council packet.
	Update string
}

func fmtDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtDate(t)
}

func percentText(v float64, w *words) string {
	return w.T("strategy.percent", map[string]any{"Percent": w.Value(v, plan.FormatNumber)})
}

func progressOf(st *plan.Standing, w *words) *progressVM {
	vm := &progressVM{ID: st.Strategy.ID, Status: progressBadge(st.Status(), w), Department: st.Department}
	if u := st.Latest; u != nil {
		vm.HasUpdate = true
		if u.Percent != nil {
			vm.HasPercent, vm.PercentValue, vm.Percent = true, *u.Percent, percentText(*u.Percent, w)
		}
		vm.Due, vm.Lead, vm.AsOf, vm.Sample = fmtDay(u.Due), u.Lead, fmtDay(u.AsOf), u.Sample
		vm.NextMilestone, vm.NextDue = u.NextMilestone, fmtDay(u.NextMilestoneDue)
		vm.Update = u.Text
	}
	if st.Late {
		vm.Late = true
		vm.LateBadge = badge{Class: "status-off-track", Icon: "⚑", Text: w.T("strategy.late_days", map[string]any{"Days": st.DaysLate})}
	}
	if st.UpdateOverdue {
		vm.Overdue = true
		vm.OverdueBadge = badge{Class: "status-overdue", Icon: "◷", Text: w.T("strategy.update_overdue", nil)}
	}
	return vm
}

// rollupWith combines an objective's or goal's indicators and strategies
// (plan.RollUpAll); indicators that could not be computed count as no data.
func rollupWith(vms []*indicatorVM, sts []plan.Standing) plan.Rollup {
	as := make([]plan.Assessment, 0, len(vms))
	for _, vm := range vms {
		as = append(as, vm.View.Assessment)
	}
	r := plan.RollUpAll(as, sts)
	for _, vm := range vms {
		if vm.Err != nil {
			r.Counts[plan.NoData]++
		}
	}
	return r
}

func rollupAllBadge(r plan.Rollup, w *words) badge {
	if r.Total == 0 && r.Strategies == 0 {
		return rollupBadge(r, w)
	}
	st := r.Status
	return badge{Class: "status-" + cssName(string(st)), Icon: statusIcons[string(st)], Text: w.T("status."+string(st), nil)}
}

// rollupAllText is the indicators' roll-up text and the strategies' counts:
// "3 strategies: 1 complete, 2 on schedule; 1 late".
func rollupAllText(r plan.Rollup, w *words) string {
	s := rollupText(r, w)
	if r.Strategies == 0 {
		return s
	}
	var parts []string
	for _, st := range []plan.ProgressStatus{plan.Complete, plan.OnSchedule, plan.Behind, plan.OnHold, plan.NotStarted, plan.Cancelled} {
		if n := r.StrategyCounts[st]; n > 0 {
			parts = append(parts, w.T("rollup.strategies.part."+st.Key(), map[string]any{"Count": n}))
		}
	}
	if r.NoUpdate > 0 {
		parts = append(parts, w.T("rollup.strategies.part.none", map[string]any{"Count": r.NoUpdate}))
	}
	t := w.T("rollup.strategies", map[string]any{"Count": r.Strategies, "Parts": strings.Join(parts, ", ")})
	if r.Late > 0 {
		t += "; " + w.T("rollup.strategies.late", map[string]any{"Count": r.Late})
	}
	if r.UpdateOverdue > 0 {
		t += "; " + w.T("rollup.strategies.update_overdue", map[string]any{"Count": r.UpdateOverdue})
	}
	if s == "" {
		return t
	}
	return s + ". " + t
}

// addStrategies puts each strategy's progress on the goal views and counts
// the strategies in the objectives' and goals' roll-ups.
func addStrategies(goals []goalVM, p *plan.Plan, byid map[string]*indicatorVM, book *strategyBook, w *words) {
	if !book.Tracked {
		return
	}
	for gi := range goals {
		gv := &goals[gi]
		var gsts []plan.Standing
		for oi := range gv.Objectives {
			ov := &gv.Objectives[oi]
			var osts []plan.Standing
			for si := range ov.Strategies {
				sv := &ov.Strategies[si]
				if st := book.get(sv.S.ID); st != nil {
					sv.Progress = progressOf(st, w)
					osts = append(osts, *st)
				}
			}
			r := rollupWith(ov.Indicators, osts)
			ov.Badge, ov.RollupText = rollupAllBadge(r, w), rollupAllText(r, w)
			gsts = append(gsts, osts...)
		}
		var gvms []*indicatorVM
		for _, in := range p.IndicatorsFor(gv.G.ID) {
			if vm := byid[in.ID]; vm != nil {
				gvms = append(gvms, vm)
			}
		}
		r := rollupWith(gvms, gsts)
		gv.Badge, gv.RollupText = rollupAllBadge(r, w), rollupAllText(r, w)
	}
}

// historyVM is one version of a progress report, as the history shows it.
type historyVM struct {
	AsOf      string
	Status    badge
	Percent   string
	Due       string
	Next      string
	Text      string
	Author    string
	Recorded  string
	Corrected bool
	Sample    bool
}

// strategyUpdates lists the progress reports of the strategies (all when
// ids is empty), newest first by as-of date, then by when they were
// recorded, corrected versions included; superseded sample rows are left
// out (real data replaced them).
func (s *Server) strategyUpdates(ctx context.Context, id string, public bool) (map[string][]plan.ProgressUpdate, error) {
	p := s.Plan()
	ds := p.Datasets[plan.ProgressDataset]
	if ds == nil || (public && !ds.IsPublic()) {
		return nil, nil
	}
	match := map[string]string{}
	if id != "" {
		match["strategy_id"] = id
	}
	hist, err := s.Backend.History(ctx, ds, match, public)
	if err != nil {
		return nil, err
	}
	out := map[string][]plan.ProgressUpdate{}
	for _, h := range hist {
		if h.Sample && !h.Current {
			continue
		}
		u := plan.ProgressFromValues(h.Values)
		u.Author, u.Recorded, u.Current, u.Sample = h.User, h.At, h.Current, h.Sample
		out[u.Strategy] = append(out[u.Strategy], u)
	}
	for _, us := range out {
		sort.SliceStable(us, func(i, j int) bool {
			if !us[i].AsOf.Equal(us[j].AsOf) {
				return us[i].AsOf.After(us[j].AsOf)
			}
			return us[i].Recorded.After(us[j].Recorded)
		})
	}
	return out, nil
}

func historyOf(us []plan.ProgressUpdate, p *plan.Plan, w *words) []historyVM {
	out := make([]historyVM, 0, len(us))
	for _, u := range us {
		h := historyVM{AsOf: fmtDay(u.AsOf), Status: progressBadge(u.Status, w), Due: fmtDay(u.Due), Text: u.Text,
			Author: u.Author, Recorded: u.Recorded.In(p.Location()).Format("2006-01-02 15:04"), Corrected: !u.Current, Sample: u.Sample}
		if u.Percent != nil {
			h.Percent = percentText(*u.Percent, w)
		}
		if u.NextMilestone != "" {
			h.Next = u.NextMilestone
			if !u.NextMilestoneDue.IsZero() {
				h.Next += " (" + fmtDay(u.NextMilestoneDue) + ")"
			}
		}
		out = append(out, h)
	}
	return out
}

// lookupStrategy finds the strategy of the :id parameter, written as the
// plan writes it or in other capitals.
func lookupStrategy(p *plan.Plan, id string) *plan.Strategy {
	if st := p.Strategy(id); st != nil {
		return st
	}
	if canon, ok := p.ResolveRef(plan.RefStrategy, id); ok {
		return p.Strategy(canon)
	}
	return nil
}

func (s *Server) strategyPage(c *fiber.Ctx) error {
	p := s.Plan()
	st := lookupStrategy(p, c.Params("id"))
	if st == nil {
		return fiber.ErrNotFound
	}
	w := s.words(c)
	public := s.public(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	book := s.loadStrategies(ctx, public)
	data := map[string]any{"S": st, "Objective": st.Objective, "Goal": st.Objective.Goal, "Tracked": book.Tracked}
	standing := book.get(st.ID)
	if standing != nil {
		vm := progressOf(standing, w)
		data["P"] = vm
		data["Cadence"] = w.T("strategy.cadence_value", map[string]any{"Cadence": w.T("grain."+string(standing.Cadence), nil), "Due": fmtDay(standing.UpdateDue)})
		if standing.PastDue {
			data["LateStrategy"] = w.T("strategy.late_strategy", map[string]any{"Days": plan.LateItems([]plan.Standing{*standing})[0].DaysLate, "Due": fmtDay(standing.Due())})
		}
		if n := len(standing.LateMilestones()); n > 0 {
			data["LateMilestones"] = w.T("strategy.late_milestones", map[string]any{"Count": n})
		}
		if standing.UpdateOverdue {
			data["OverdueDetail"] = w.T("strategy.overdue_detail", map[string]any{"Due": fmtDay(standing.UpdateDue)})
		}
		if len(standing.Milestones) > 0 {
			chart, err := dashboards.MilestoneChart("chart-milestones", *standing, w, false)
			if err != nil {
				return err
			}
			data["Chart"] = chart
			data["ChartSize"] = timelineSize(len(standing.Milestones))
			data["Milestones"] = dashboards.MilestoneTable(*standing)
		}
		data["MilestoneSummary"] = dashboards.MilestoneSummary(*standing, w)
		if u := standing.Latest; u != nil {
			data["DueISO"], data["NextISO"] = optDate(u.Due), optDate(u.NextMilestoneDue)
		}
		data["Summary"] = w.T("strategy.summary", map[string]any{"Text": st.Text, "Status": progressSummary(vm)})
	}
	ups, err := s.strategyUpdates(ctx, st.ID, public)
	if err != nil {
		s.Log.Error("strategy history", "strategy", st.ID, "err", err)
	}
	data["History"] = historyOf(ups[st.ID], p, w)
	ins := p.IndicatorsFor(st.ID)
	data["Indicators"] = s.computeIndicators(ins, w, public, false)
	sd, targets := s.sampleFlags(p, ins)
	if s.viewerOf(c) != nil {
		if id := c.QueryInt("saved"); id > 0 {
			c.Locals("flash", w.T("strategy.form.saved", map[string]any{"ID": id}))
		}
		if id := c.QueryInt("same"); id > 0 {
			c.Locals("flash", w.T("strategy.form.same", map[string]any{"ID": id}))
		}
		data["Statuses"] = statusOptions(standing, w)
	}
	return s.render(c, "strategy", pageData{Title: w.T("strategy.title", map[string]any{"ID": st.ID}), Plan: p, W: w,
		SampleData: sd || book.Sample, SampleTargs: targets, Data: data})
}

// progressSummary is the status in words, with its lateness.
func progressSummary(vm *progressVM) string {
	t := vm.Status.Text
	if vm.Percent != "" && vm.PercentValue < 100 {
		t += ", " + vm.Percent
	}
	if vm.Late {
		t += ", " + strings.ToLower(vm.LateBadge.Text)
	}
	return t
}

// timelineSize is the height class of a milestone timeline.
func timelineSize(n int) string {
	switch {
	case n <= 3:
		return "timeline-s"
	case n <= 7:
		return "timeline-m"
	}
	return "timeline-l"
}

type statusOption struct {
	Value, Text string
	Selected    bool
}

func statusOptions(st *plan.Standing, w *words) []statusOption {
	cur := plan.OnSchedule
	if st != nil && st.Status() != "" {
		cur = st.Status()
	}
	var out []statusOption
	for _, s := range plan.ProgressStatuses {
		out = append(out, statusOption{Value: string(s), Text: w.T("strategy.status."+s.Key(), nil), Selected: s == cur})
	}
	return out
}

func (s *Server) strategySave(c *fiber.Ctx) error {
	p := s.Plan()
	st := lookupStrategy(p, c.Params("id"))
	if st == nil {
		return fiber.ErrNotFound
	}
	status := plan.ProgressStatus(strings.TrimSpace(c.FormValue("status")))
	valid := false
	for _, ps := range plan.ProgressStatuses {
		valid = valid || ps == status
	}
	if !valid {
		return fiber.NewError(fiber.StatusBadRequest, "choose the strategy's status from the list")
	}
	text := strings.TrimSpace(c.FormValue("update"))
	if len(text) > 4000 {
		return fiber.NewError(fiber.StatusBadRequest, "an update can have at most 4,000 characters")
	}
	pct := strings.TrimSpace(c.FormValue("percent_complete"))
	if pct != "" && !strings.HasSuffix(pct, "%") {
		// The form asks for points: 1 means 1%, not a fraction.
		if _, err := strconv.ParseFloat(pct, 64); err == nil {
			pct += "%"
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	values := map[string]string{
		"strategy_id": st.ID, "as_of": s.today(p).Format("2006-01-02"), "status": string(status), "percent_complete": pct,
		"due_date": strings.TrimSpace(c.FormValue("due_date")), "next_milestone": strings.TrimSpace(c.FormValue("next_milestone")),
		"next_milestone_date": strings.TrimSpace(c.FormValue("next_milestone_date")), "update": text,
	}
	// The owner and lead carry over from the latest report.
	book := s.loadStrategies(ctx, false)
	if cur := book.get(st.ID); cur != nil {
		values["owner_department"] = cur.Department
		if cur.Latest != nil {
			values["lead"] = cur.Latest.Lead
		}
	} else if st.Owner != "" {
		values["owner_department"] = st.Owner
	}
	rep, err := s.Importer.StrategyUpdate(ctx, values, userName(c, s))
	var ref *imports.Refusal
	if errors.As(err, &ref) {
		return fiber.NewError(fiber.StatusBadRequest, ref.Message)
	}
	if err != nil {
		return err
	}
	if rep.Duplicate != 0 {
		return c.Redirect(fmt.Sprintf("/strategies/%s?same=%d#update", st.ID, rep.Duplicate), fiber.StatusSeeOther)
	}
	if !rep.OK() {
		return fiber.NewError(fiber.StatusUnprocessableEntity, rep.Message+" "+strings.Join(rep.Errors, "; "))
	}
	s.audit(c, userName(c, s), "strategy update", fmt.Sprintf("%s: import #%d", st.ID, rep.ID))
	return c.Redirect(fmt.Sprintf("/strategies/%s?saved=%d", st.ID, rep.ID), fiber.StatusSeeOther)
}

// lateRow is one line of the late page.
type lateRow struct {
	Strategy   *plan.Strategy
	Item       string
	Milestone  bool
	Department string
	Due        string
	Days       int
	Status     badge
}

func (s *Server) latePage(c *fiber.Ctx) error {
	p := s.Plan()
	w := s.words(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	book := s.loadStrategies(ctx, s.public(c))
	by := plan.SortByDays
	if c.Query("sort") == plan.SortByDepartment {
		by = plan.SortByDepartment
	}
	items := plan.LateItems(book.Standings)
	plan.SortLate(items, by)
	rows := make([]lateRow, 0, len(items))
	for _, it := range items {
		r := lateRow{Strategy: it.Strategy, Department: it.Department, Due: fmtDay(it.Due), Days: it.DaysLate, Status: progressBadge(it.Status, w),
			Item: w.T("late.strategy_itself", nil)}
		if it.Milestone != "" {
			r.Item, r.Milestone = w.T("late.milestone", map[string]any{"Name": it.Milestone}), true
		}
		if r.Department == "" {
			r.Department = w.T("late.no_department", nil)
		}
		rows = append(rows, r)
	}
	return s.render(c, "late", pageData{Title: w.T("late.title", nil), Plan: p, W: w, SampleData: book.Sample,
		Data: map[string]any{"Rows": rows, "By": by, "Date": fmtDate(s.today(p)), "Tracked": book.Tracked}})
}

func (s *Server) trackerTemplate(c *fiber.Ctx) error {
	var buf bytes.Buffer
	err := s.Importer.TrackerTemplate(&buf)
	var ref *imports.Refusal
	if errors.As(err, &ref) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Attachment("strategy-tracker.xlsx")
	return c.Send(buf.Bytes())
}

// apiStrategy is a strategy with its progress, lateness, updates and
// milestones, as /api/v1/strategies gives it.
type apiStrategy struct {
	ID                string         `json:"id"`
	Label             string         `json:"label,omitempty"`
	Text              string         `json:"text"`
	Objective         string         `json:"objective"`
	Goal              string         `json:"goal"`
	OwnerDepartment   *string        `json:"owner_department"`
	Lead              *string        `json:"lead"`
	Status            *string        `json:"status"`
	PercentComplete   *float64       `json:"percent_complete"`
	DueDate           *string        `json:"due_date"`
	AsOf              *string        `json:"as_of"`
	NextMilestone     *string        `json:"next_milestone"`
	NextMilestoneDate *string        `json:"next_milestone_date"`
	Late              bool           `json:"late"`
	DaysLate          int            `json:"days_late"`
	UpdateCadence     string         `json:"update_cadence"`
	UpdateDue         *string        `json:"update_due"`
	UpdateOverdue     bool           `json:"update_overdue"`
	Indicators        []string       `json:"indicators"`
	Sample            bool           `json:"sample"`
	Updates           []apiUpdate    `json:"updates"`
	Milestones        []apiMilestone `json:"milestones"`
}

type apiUpdate struct {
	AsOf              string    `json:"as_of"`
	Status            string    `json:"status"`
	PercentComplete   *float64  `json:"percent_complete"`
	OwnerDepartment   *string   `json:"owner_department"`
	Lead              *string   `json:"lead"`
	DueDate           *string   `json:"due_date"`
	NextMilestone     *string   `json:"next_milestone"`
	NextMilestoneDate *string   `json:"next_milestone_date"`
	Update            *string   `json:"update"`
	Author            string    `json:"author"`
	Recorded          time.Time `json:"recorded"`
	Current           bool      `json:"current"`
	Sample            bool      `json:"sample"`
}

type apiMilestone struct {
	Name     string  `json:"name"`
	DueDate  *string `json:"due_date"`
	DoneDate *string `json:"done_date"`
	Late     bool    `json:"late"`
	DaysLate int     `json:"days_late"`
}

func optText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format("2006-01-02")
	return &s
}

func apiStrategyOf(p *plan.Plan, st *plan.Standing, ups []plan.ProgressUpdate) apiStrategy {
	s := st.Strategy
	out := apiStrategy{ID: s.ID, Label: s.Label, Text: s.Text, Objective: s.Objective.ID, Goal: s.Objective.Goal.ID,
		OwnerDepartment: optText(st.Department), Late: st.Late, DaysLate: st.DaysLate, UpdateCadence: string(st.Cadence),
		UpdateDue: optDate(st.UpdateDue), UpdateOverdue: st.UpdateOverdue, Indicators: []string{}, Updates: []apiUpdate{}, Milestones: []apiMilestone{}}
	if u := st.Latest; u != nil {
		status := string(u.Status)
		out.Status, out.PercentComplete, out.DueDate, out.AsOf = &status, u.Percent, optDate(u.Due), optDate(u.AsOf)
		out.Lead, out.NextMilestone, out.NextMilestoneDate = optText(u.Lead), optText(u.NextMilestone), optDate(u.NextMilestoneDue)
	}
	for _, in := range p.IndicatorsFor(s.ID) {
		out.Indicators = append(out.Indicators, in.ID)
	}
	for _, u := range ups {
		if u.Current && u.Strategy == s.ID && st.Latest != nil && u.AsOf.Equal(st.Latest.AsOf) {
			out.Sample = u.Sample
		}
		out.Updates = append(out.Updates, apiUpdate{AsOf: u.AsOf.Format("2006-01-02"), Status: string(u.Status), PercentComplete: u.Percent,
			OwnerDepartment: optText(u.Department), Lead: optText(u.Lead), DueDate: optDate(u.Due), NextMilestone: optText(u.NextMilestone),
			NextMilestoneDate: optDate(u.NextMilestoneDue), Update: optText(u.Text), Author: u.Author, Recorded: u.Recorded, Current: u.Current, Sample: u.Sample})
	}
	for _, r := range st.Milestones {
		m := apiMilestone{Name: r.Name, DueDate: optDate(r.Due), DoneDate: optDate(r.Done)}
		if !st.Status().Closed() {
			m.DaysLate = r.DaysLate(st.Today)
			m.Late = m.DaysLate > 0
		}
		out.Milestones = append(out.Milestones, m)
	}
	return out
}

func (s *Server) apiStrategies(c *fiber.Ctx) error {
	p := s.Plan()
	public := s.public(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	book := s.loadStrategies(ctx, public)
	ups, err := s.strategyUpdates(ctx, "", public)
	if err != nil {
		s.Log.Error("strategy history", "err", err)
	}
	out := make([]apiStrategy, 0, len(book.Standings))
	for i := range book.Standings {
		st := &book.Standings[i]
		out = append(out, apiStrategyOf(p, st, ups[st.Strategy.ID]))
	}
	return c.JSON(fiber.Map{"as_of": s.today(p).Format("2006-01-02"), "strategies": out})
}

func (s *Server) apiStrategy(c *fiber.Ctx) error {
	p := s.Plan()
	st := lookupStrategy(p, c.Params("id"))
	if st == nil {
		return fiber.ErrNotFound
	}
	public := s.public(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	book := s.loadStrategies(ctx, public)
	standing := book.get(st.ID)
	if standing == nil {
		return fiber.ErrNotFound
	}
	ups, err := s.strategyUpdates(ctx, st.ID, public)
	if err != nil {
		s.Log.Error("strategy history", "strategy", st.ID, "err", err)
	}
	return c.JSON(apiStrategyOf(p, standing, ups[st.ID]))
}
