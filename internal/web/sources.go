package web

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// Sources is what the pages ask of the schedule; cmd wires the scheduler
// (the web package does not import it).
type Sources interface {
	// List reports every source of the plan in force.
	List(ctx context.Context) ([]imports.SourceStatus, error)
	// RunNow runs a source at once and waits for it (imports.ErrRunning
	// when it is running already, imports.ErrNoSource for a wrong name).
	RunNow(ctx context.Context, name, user string) (*imports.Run, error)
	// Reload reads the plan file again and, when it is valid, puts it in
	// force without a restart (an *plan.InvalidError lists its problems).
	Reload(ctx context.Context) error
}

// sourceRow is a source as /admin/sources shows it.
type sourceRow struct {
	S        imports.SourceStatus
	Kind     string
	Schedule string
	Next     string
	Last     *runRow
}

// runRow is a run as the pages show it.
type runRow struct {
	R       *imports.Run
	Trigger string
	Started string
	Result  string
	Badge   badge
}

func (s *Server) runRow(r *imports.Run, w *words, loc *time.Location) *runRow {
	row := &runRow{R: r, Started: r.Started.In(loc).Format("2006-01-02 15:04 MST"),
		Trigger: w.T("sources.trigger."+strings.ReplaceAll(r.Trigger, "-", "_"), map[string]any{"User": r.User})}
	counts := map[string]any{"Seen": r.Seen, "Imported": r.Imported, "Duplicates": r.Duplicates, "Failed": r.Failed, "Waiting": r.Waiting}
	switch r.Status {
	case imports.RunOK:
		row.Badge = badge{Class: "status-on-track", Icon: "✓", Text: w.T("sources.status.ok", nil)}
	case imports.RunFailed:
		row.Badge = badge{Class: "status-off-track", Icon: "✕", Text: w.T("sources.status.failed", nil)}
	case imports.RunRunning:
		row.Badge = badge{Class: "status-no-target", Icon: "…", Text: w.T("sources.status.running", nil)}
	default:
		row.Badge = badge{Class: "status-no-data", Icon: "?", Text: w.T("sources.status.interrupted", nil)}
	}
	if r.Seen == 0 && r.Error == "" {
		row.Result = w.T("sources.result.nothing", nil)
	} else {
		row.Result = w.T("sources.result.counts", counts)
	}
	return row
}

func (s *Server) sourcesPage(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	p := s.Plan()
	w := s.words(c)
	loc := p.Location()
	data := map[string]any{"TimeZone": loc.String(), "Enabled": s.Sources != nil}
	var rows []sourceRow
	var recent []*runRow
	if s.Sources != nil {
		sts, err := s.Sources.List(ctx)
		if err != nil {
			return err
		}
		for _, st := range sts {
			row := sourceRow{S: st, Kind: w.T("sources.kind."+st.Kind, nil), Schedule: describeSchedule(st.Schedule, w)}
			if !st.Next.IsZero() {
				row.Next = st.Next.In(loc).Format("2006-01-02 15:04 MST")
			}
			if st.Last != nil {
				row.Last = s.runRow(st.Last, w, loc)
			}
			for _, r := range st.Recent {
				recent = append(recent, s.runRow(r, w, loc))
			}
			rows = append(rows, row)
		}
	}
	sort.Slice(recent, func(i, j int) bool { return recent[i].R.ID > recent[j].R.ID })
	data["Rows"], data["Recent"] = rows, recent
	return s.render(c, "sources", pageData{Title: w.T("sources.title", nil), W: w, Data: data})
}

func (s *Server) sourceRunNow(c *fiber.Ctx) error {
	if s.Sources == nil {
		return fiber.ErrNotFound
	}
	name := c.Params("name")
	w := s.words(c)
	// A run may import several files; it goes on in the background if the
	// wait ends first.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	user := userName(c, s)
	run, err := s.Sources.RunNow(ctx, name, user)
	switch {
	case errors.Is(err, imports.ErrNoSource):
		return fiber.ErrNotFound
	case errors.Is(err, imports.ErrRunning):
		c.Status(fiber.StatusConflict)
		return s.flashSources(c, w.T("sources.already_running", map[string]any{"Name": name}), true)
	case errors.Is(err, imports.ErrStopping):
		c.Status(fiber.StatusServiceUnavailable)
		return s.flashSources(c, w.T("sources.stopping", nil), true)
	case err != nil:
		return err
	}
	row := s.runRow(run, w, s.Plan().Location())
	s.audit(c, user, "source run", fmt.Sprintf("%s: run #%d %s", name, run.ID, run.Status))
	msg := w.T("sources.ran", map[string]any{"Name": name, "ID": run.ID, "Status": row.Badge.Text, "Result": row.Result})
	if run.Error != "" {
		msg += " " + run.Error
	}
	return s.flashSources(c, msg, run.Status == imports.RunFailed)
}

func (s *Server) sourcesReload(c *fiber.Ctx) error {
	if s.Sources == nil {
		return fiber.ErrNotFound
	}
	w := s.words(c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.Sources.Reload(ctx)
	var inv *plan.InvalidError
	switch {
	case errors.As(err, &inv):
		var lines []string
		for _, pr := range inv.Problems {
			if !pr.Warning {
				lines = append(lines, pr.String())
			}
		}
		c.Status(fiber.StatusUnprocessableEntity)
		s.audit(c, userName(c, s), "plan reload refused", fmt.Sprintf("%d error(s)", inv.Problems.Errors()))
		return s.flashSources(c, w.T("sources.reload_invalid", map[string]any{"Count": inv.Problems.Errors(), "Problems": strings.Join(lines, "; ")}), true)
	case err != nil:
		s.Log.Error("plan reload", "err", err)
		c.Status(fiber.StatusInternalServerError)
		return s.flashSources(c, w.T("sources.reload_failed", nil), true)
	}
	p := s.Plan()
	s.audit(c, userName(c, s), "plan reloaded", p.File+" "+shortHash(p.Hash))
	return s.flashSources(c, w.T("sources.reloaded", map[string]any{"Hash": shortHash(p.Hash), "Sources": len(p.Sources)}), false)
}

func (s *Server) flashSources(c *fiber.Ctx, msg string, isErr bool) error {
	c.Locals("flash", msg)
	c.Locals("flash_error", isErr)
	return s.sourcesPage(c)
}

func (s *Server) apiSources(c *fiber.Ctx) error {
	out := []imports.SourceStatus{}
	if s.Sources != nil {
		ctx, cancel := s.ctx(c)
		defer cancel()
		sts, err := s.Sources.List(ctx)
		if err != nil {
			return err
		}
		out = append(out, sts...)
	}
	w := s.words(c)
	type item struct {
		imports.SourceStatus
		ScheduleText string `json:"schedule_text"`
	}
	items := make([]item, 0, len(out))
	for _, st := range out {
		items = append(items, item{SourceStatus: st, ScheduleText: describeSchedule(st.Schedule, w)})
	}
	return c.JSON(fiber.Map{"time_zone": s.Plan().Location().String(), "sources": items})
}

// sourceHealth lists the sources that failed their last runs, for /healthz.
func (s *Server) sourceHealth(ctx context.Context) []string {
	if s.Sources == nil {
		return nil
	}
	sts, err := s.Sources.List(ctx)
	if err != nil {
		return []string{"the run ledger does not answer"}
	}
	var out []string
	for _, st := range sts {
		if st.Failing >= imports.FailingAfter {
			msg := fmt.Sprintf("source %s has failed its last %d runs", st.Name, st.Failing)
			if st.Last != nil && st.Last.Error != "" {
				msg += ": " + st.Last.Error
			}
			out = append(out, msg)
		}
	}
	return out
}

// describeSchedule says a cron expression in words ("every day at 03:15"),
// for the common shapes; others are shown as written.
func describeSchedule(expr string, w *words) string {
	c, err := plan.ParseCron(expr)
	if err != nil {
		return expr
	}
	if c.Every > 0 {
		return w.T("schedule.every", map[string]any{"Duration": c.Every.String()})
	}
	mins, hours := plan.CronValues(c.Minute), plan.CronValues(c.Hour)
	var times string
	clock := false
	switch {
	case c.MinuteStar && c.HourStar:
		times = w.T("schedule.every_minute", nil)
	case c.HourStar && len(mins) == 1:
		times = w.T("schedule.hourly", map[string]any{"Minute": mins[0]})
	case c.HourStar && isStep(mins, 60):
		times = w.T("schedule.every_n_minutes", map[string]any{"N": mins[1] - mins[0]})
	case len(hours)*len(mins) <= 6:
		var ts []string
		for _, h := range hours {
			for _, m := range mins {
				ts = append(ts, fmt.Sprintf("%02d:%02d", h, m))
			}
		}
		times, clock = w.T("schedule.at", map[string]any{"Times": strings.Join(ts, ", ")}), true
	default:
		return w.T("schedule.cron", map[string]any{"Expr": expr})
	}
	var days string
	switch {
	case c.DomStar && c.DowStar:
		days = w.T("schedule.every_day", nil)
	case c.DomStar:
		days = w.T("schedule.on_weekdays", map[string]any{"Days": nameList(plan.CronValues(c.Dow), "weekday", w)})
	case c.DowStar:
		days = w.T("schedule.on_days", map[string]any{"Days": numList(plan.CronValues(c.Dom))})
	default:
		days = w.T("schedule.on_days_or_weekdays", map[string]any{"Days": numList(plan.CronValues(c.Dom)),
			"Weekdays": nameList(plan.CronValues(c.Dow), "weekday", w)})
	}
	out := days + " " + times
	switch {
	case !clock && c.DomStar && c.DowStar:
		out = times
	case !clock:
		out = days + ", " + times
	}
	if !c.MonthStar {
		out += " " + w.T("schedule.in_months", map[string]any{"Months": nameList(plan.CronValues(c.Month), "month", w)})
	}
	return out
}

// isStep reports whether vs is 0, k, 2k, ... covering 0..n-1 with k > 1.
func isStep(vs []int, n int) bool {
	if len(vs) < 2 || vs[0] != 0 {
		return false
	}
	k := vs[1]
	if k < 2 || n%k != 0 || len(vs) != n/k {
		return false
	}
	for i, v := range vs {
		if v != i*k {
			return false
		}
	}
	return true
}

func nameList(vs []int, kind string, w *words) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = w.T(fmt.Sprintf("%s.%d", kind, v), nil)
	}
	return joinWords(out, w)
}

func numList(vs []int) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprint(v)
	}
	return strings.Join(out, ", ")
}

func joinWords(items []string, w *words) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + w.T("schedule.and", nil) + " " + items[len(items)-1]
}
