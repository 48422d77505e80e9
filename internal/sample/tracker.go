package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
)

// TrackerProfile is the built-in profile that reads the tracker sample: a
// workbook with a Progress sheet and a Milestones sheet, loaded in one
// import.
const TrackerProfile = "strategy-tracker"

// Sheets of the tracker sample, as the profile names them.
const (
	trackerProgressSheet   = "Progress"
	trackerMilestonesSheet = "Milestones"
)

// Kinds of sample strategy, so that the sample shows every case: finished
// on time, long and on schedule, finished late, past due and unfinished,
// paused for a while, no longer reported on, cancelled, started late.
type trackKind int

const (
	kindOnTime trackKind = iota
	kindOngoing
	kindLateFinish
	kindOverdue
	kindHold
	kindStale
	kindCancelled
	kindLateStart
)

// trackShares is the share of strategies of each kind (of 40: 10, 6, 5, 6,
// 5, 3, 2, 3).
var trackShares = []struct {
	kind  trackKind
	share float64
}{
	{kindOnTime, 0.25}, {kindOngoing, 0.15}, {kindLateFinish, 0.125}, {kindOverdue, 0.15},
	{kindHold, 0.125}, {kindStale, 0.075}, {kindCancelled, 0.05}, {kindLateStart, 0.075},
}

// track is one strategy's invented history, decided once from its own
// random stream, so a later as-of date only reveals more of it.
type track struct {
	s          *plan.Strategy
	kind       trackKind
	dept, lead string
	start, due time.Time // first day of the start month; due date
	finish     time.Time // when it is complete; zero if never
	stop       time.Time // no report after this quarter end (stale, cancelled); zero if none
	holdFrom   time.Time
	holdTo     time.Time // zero: the pause has not ended
	ceiling    int       // the percent stalled work does not pass (0: none)
	milestones []trackMilestone
}

type trackMilestone struct {
	name      string
	due, done time.Time // done is zero if never
}

// Tracker generates the sample strategy tracker of the plan: a workbook of
// quarterly progress reports on every strategy, from the plan's start to
// the last quarter end before asOf, and each strategy's milestones, marked
// as sample data in its properties. Like Generate, it depends only on the
// month of asOf and extends its history as asOf moves on. The statuses,
// dates, percentages, departments (the plan's own) and milestones are
// invented but plausible: some strategies are late, some complete, some on
// hold, one or two cancelled or no longer reported on.
func Tracker(asOf time.Time, p *plan.Plan) (File, error) {
	prog, ms := p.Datasets[plan.ProgressDataset], p.Datasets[plan.MilestonesDataset]
	if prog == nil || ms == nil {
		return File{}, fmt.Errorf("sample: the plan has no %s and %s datasets", plan.ProgressDataset, plan.MilestonesDataset)
	}
	w := newWindow(asOf, p.Place, p.FYStart())
	strategies := p.Strategies()
	kinds := trackKinds(len(strategies))
	start := p.Start.Time
	if start.IsZero() {
		start = time.Date(w.asOf.Year()-2, time.January, 1, 0, 0, 0, 0, time.UTC)
	}
	start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	var progRows, msRows []row
	for i, s := range strategies {
		tr := newTrack(p, s, kinds[i], start)
		progRows = append(progRows, tr.reports(start, w.last)...)
		msRows = append(msRows, tr.milestoneRows(w.last)...)
	}
	data, err := writeTracker(prog, ms, progRows, msRows, w.asOf)
	if err != nil {
		return File{}, fmt.Errorf("sample: tracker: %w", err)
	}
	return File{Dataset: plan.ProgressDataset, Profile: TrackerProfile,
		Name: fmt.Sprintf("sample-strategy-tracker-%s.xlsx", w.month.Format("2006-01")), Data: data}, nil
}

// trackKinds deals the kinds out to n strategies by their shares, in an
// order shuffled once for n.
func trackKinds(n int) []trackKind {
	var out []trackKind
	for _, ts := range trackShares {
		for range int(math.Round(ts.share * float64(n))) {
			if len(out) < n {
				out = append(out, ts.kind)
			}
		}
	}
	for len(out) < n {
		out = append(out, kindOngoing)
	}
	r := stream(fmt.Sprintf("tracker:kinds:%d", n))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// monthEnd is the last day of the month months after t's.
func monthEnd(t time.Time, months int) time.Time {
	return time.Date(t.Year(), t.Month()+time.Month(months)+1, 0, 0, 0, 0, 0, time.UTC)
}

func intn(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func newTrack(p *plan.Plan, s *plan.Strategy, kind trackKind, planStart time.Time) *track {
	r := stream("tracker:" + s.ID)
	tr := &track{s: s, kind: kind, dept: ownerFor(p, s), lead: leads[r.IntN(len(leads))]}
	startOff := intn(r, 0, 9)
	if kind == kindLateStart {
		startOff = intn(r, 12, 20)
	}
	tr.start = time.Date(planStart.Year(), planStart.Month()+time.Month(startOff), 1, 0, 0, 0, 0, time.UTC)
	dur := intn(r, 12, 30)
	if kind == kindOngoing {
		dur = intn(r, 36, 48)
	}
	tr.due = monthEnd(tr.start, dur-1)
	shift := 0 // months the work runs past (or before) its due date
	switch kind {
	case kindOnTime, kindLateStart:
		shift = -intn(r, 0, 3)
	case kindOngoing:
		shift = 0
	case kindLateFinish:
		shift = intn(r, 3, 8)
	case kindHold:
		// Some pauses end and the work finishes late; others last.
		from := dur * intn(r, 30, 50) / 100
		hold := intn(r, 4, 9)
		tr.holdFrom = monthEnd(tr.start, from)
		if r.IntN(2) == 0 {
			tr.holdTo = monthEnd(tr.start, from+hold)
		}
		shift = hold
	case kindOverdue:
		tr.ceiling = 5 * intn(r, 11, 17)
	case kindStale:
		tr.stop = quarterEnd(monthEnd(tr.start, dur*intn(r, 40, 60)/100))
	case kindCancelled:
		tr.stop = quarterEnd(monthEnd(tr.start, intn(r, 6, 12)))
	}
	if kind != kindOverdue && kind != kindStale && kind != kindCancelled && !(kind == kindHold && tr.holdTo.IsZero()) {
		tr.finish = monthEnd(tr.start, dur-1+shift).AddDate(0, 0, -intn(r, 0, 20))
	}
	names := milestoneNames(s.Text)
	n := intn(r, 3, len(names))
	for k := 1; k <= n; k++ {
		planned := monthEnd(tr.start, dur*k/n-1)
		if k == n {
			planned = tr.due
		}
		m := trackMilestone{name: names[len(names)-n+k-1], due: planned}
		slip := 0
		switch kind {
		case kindLateFinish:
			slip = shift * k / n
		case kindHold:
			if planned.After(tr.holdFrom) {
				slip = shift
			}
		}
		paused := kind == kindHold && tr.holdTo.IsZero() && planned.After(tr.holdFrom)
		done := monthEnd(planned, slip-1).AddDate(0, 0, intn(r, 1, 27)-28+intn(r, 0, 1)*28)
		switch {
		case kind == kindOverdue && k*10 > n*6, paused:
			done = time.Time{} // the work stalled before the later milestones
		case !tr.stop.IsZero() && done.After(tr.stop):
			done = time.Time{}
		case !tr.finish.IsZero() && k == n:
			done = tr.finish
		}
		m.done = done
		tr.milestones = append(tr.milestones, m)
	}
	return tr
}

// quarterEnd is the last day of t's calendar quarter.
func quarterEnd(t time.Time) time.Time {
	q := (int(t.Month())-1)/3*3 + 3
	return time.Date(t.Year(), time.Month(q)+1, 0, 0, 0, 0, 0, time.UTC)
}

// leads are the roles that lead strategies (never invented people).
var leads = []string{"Project manager", "Division manager", "Deputy director", "Senior management analyst", "Program coordinator", "Assistant director"}

// ownerFor is the department that owns the strategy: the plan's owner,
// else the department whose name matches the topic of the strategy's text,
// else one chosen by the strategy's id.
func ownerFor(p *plan.Plan, s *plan.Strategy) string {
	if s.Owner != "" {
		if d := p.Department(s.Owner); d != nil {
			return d.Name
		}
	}
	if len(p.Departments) == 0 {
		return ""
	}
	text := strings.ToLower(s.Text)
	for _, t := range ownerTopics {
		hit := false
		for _, w := range t.words {
			if strings.Contains(text, w) {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		for _, d := range p.Departments {
			n := strings.ToLower(d.Name)
			for _, part := range t.dept {
				if strings.Contains(n, part) {
					return d.Name
				}
			}
		}
	}
	return p.Departments[stream("tracker:owner:"+s.ID).IntN(len(p.Departments))].Name
}

// ownerTopics maps words of a strategy's text to words of department names,
// in order: the first topic that matches a department wins.
var ownerTopics = []struct {
	words, dept []string
}{
	{[]string{"transit", "bus", "passenger", "bike", "pedestrian"}, []string{"transport", "transit"}},
	{[]string{"revenue", "financial", "budget", "legislation"}, []string{"financ", "budget"}},
	{[]string{"homeless", "shelter", "supportive housing", "mental health"}, []string{"social", "human services", "housing"}},
	{[]string{"website", "digital", "technology", "wi-fi", "cloud", "dashboard"}, []string{"communication", "information", "technology"}},
	{[]string{"police", "cop", "emergency", "neighborhood watch"}, []string{"safety", "police", "fire"}},
	{[]string{"maintenance", "street", "asset", "charging", "infrastructure"}, []string{"public services", "public works"}},
	{[]string{"staff", "training", "leadership", "career"}, []string{"human resources", "personnel"}},
	{[]string{"park", "youth", "forest", "heat"}, []string{"recreation", "park"}},
	{[]string{"specific plan", "business", "investment", "development", "climate", "environmental", "solar"}, []string{"community development", "planning", "economic"}},
	{[]string{"customer service", "process"}, []string{"clerk", "city manager", "administration"}},
}

// milestoneNames are the steps of a strategy, by what it is: a plan or
// program to develop, or a project to build or expand. Shorter lists take
// the last steps.
func milestoneNames(text string) []string {
	t := strings.ToLower(text)
	switch {
	case strings.HasPrefix(t, "develop") || strings.HasPrefix(t, "update") || strings.Contains(t, " plan"):
		return []string{"Scope and budget approved", "Consultant selected", "Community engagement complete", "Draft published for comment", "Adopted by council"}
	case strings.HasPrefix(t, "implement") || strings.HasPrefix(t, "expand") || strings.HasPrefix(t, "increase") || strings.HasPrefix(t, "complete"):
		return []string{"Funding secured", "Design complete", "Contract awarded", "First phase in service", "Project closed out"}
	}
	return []string{"Work plan approved", "Partners engaged", "Pilot launched", "Results reviewed", "Program in place"}
}

// reports are the strategy's quarterly progress reports from the first
// quarter end of the plan up to last.
func (tr *track) reports(planStart, last time.Time) []row {
	var out []row
	for q := quarterEnd(planStart); !q.After(last); q = quarterEnd(q.AddDate(0, 0, 1)) {
		if !tr.stop.IsZero() && q.After(tr.stop) {
			break
		}
		status, pct := tr.statusAt(q)
		r := row{
			"strategy_id":      text(tr.s.ID),
			"as_of":            text(dateKey(q)),
			"status":           text(string(status)),
			"percent_complete": integer(pct),
			"owner_department": text(tr.dept),
			"lead":             text(tr.lead),
			"due_date":         text(dateKey(tr.due)),
		}
		next := tr.nextMilestone(q)
		if next != nil && !status.Closed() {
			r["next_milestone"] = text(next.name)
			r["next_milestone_date"] = text(dateKey(next.due))
		}
		r["update"] = text(tr.updateText(q, status, pct, next))
		out = append(out, r)
		if status.Closed() {
			break
		}
	}
	return out
}

// statusAt is the status and percent complete reported at quarter end q.
func (tr *track) statusAt(q time.Time) (plan.ProgressStatus, int) {
	switch {
	case q.Before(tr.start):
		return plan.NotStarted, 0
	case tr.kind == kindCancelled && !q.Before(tr.stop):
		return plan.Cancelled, tr.percent(tr.stop.AddDate(0, -3, 0))
	case !tr.finish.IsZero() && !q.Before(tr.finish):
		return plan.Complete, 100
	case !tr.holdFrom.IsZero() && q.After(tr.holdFrom) && (tr.holdTo.IsZero() || !q.After(tr.holdTo)):
		return plan.OnHold, tr.percent(tr.holdFrom)
	}
	pct := tr.percent(q)
	half := tr.start.Add(tr.due.Sub(tr.start) / 2)
	if (tr.kind == kindLateFinish || tr.kind == kindOverdue) && q.After(half) {
		return plan.Behind, pct
	}
	return plan.OnSchedule, pct
}

// percent is the share of the work done by t, rounded to 5 points: the time
// spent over the time it takes (or would take, for work never finished),
// held still during a pause.
func (tr *track) percent(t time.Time) int {
	end := tr.finish
	if end.IsZero() {
		end = tr.due.AddDate(1, 0, 0)
	}
	spent := t.Sub(tr.start)
	total := end.Sub(tr.start)
	if !tr.holdFrom.IsZero() && t.After(tr.holdFrom) {
		until := tr.holdTo
		if until.IsZero() || t.Before(until) {
			until = t
		}
		spent -= until.Sub(tr.holdFrom)
		if !tr.holdTo.IsZero() {
			total -= tr.holdTo.Sub(tr.holdFrom)
		}
	}
	if spent <= 0 || total <= 0 {
		return 0
	}
	f := float64(spent) / float64(total)
	pct := max(0, min(int(math.Round(f*20))*5, 95))
	if tr.ceiling > 0 {
		pct = min(pct, tr.ceiling)
	}
	return pct
}

// nextMilestone is the first milestone not done by q.
func (tr *track) nextMilestone(q time.Time) *trackMilestone {
	for i := range tr.milestones {
		m := &tr.milestones[i]
		if m.done.IsZero() || m.done.After(q) {
			return m
		}
	}
	return nil
}

// lastDone is the milestone done most recently by q.
func (tr *track) lastDone(q time.Time) *trackMilestone {
	var out *trackMilestone
	for i := range tr.milestones {
		m := &tr.milestones[i]
		if !m.done.IsZero() && !m.done.After(q) && (out == nil || m.done.After(out.done)) {
			out = m
		}
	}
	return out
}

var (
	behindReasons = []string{"a contractor's delay", "staff vacancies", "a longer review by the state", "bids over budget", "supply delays"}
	holdReasons   = []string{"funding is confirmed in the next budget", "a grant decision is pending", "council reviews its priorities", "a related project finishes first"}
)

// updateText is the short update written with a report.
func (tr *track) updateText(q time.Time, status plan.ProgressStatus, pct int, next *trackMilestone) string {
	r := stream("tracker:" + tr.s.ID + ":" + dateKey(q))
	nextText := ""
	if next != nil {
		nextText = fmt.Sprintf(" Next: %s, due %s.", strings.ToLower(next.name[:1])+next.name[1:], next.due.Format("Jan 2, 2006"))
	}
	done := tr.lastDone(q)
	switch status {
	case plan.NotStarted:
		return fmt.Sprintf("Not started yet; work is scheduled to begin in %s.", tr.start.Format("January 2006"))
	case plan.Complete:
		return fmt.Sprintf("Complete: %s on %s. The strategy is closed out.", strings.ToLower(tr.milestones[len(tr.milestones)-1].name), tr.finish.Format("Jan 2, 2006"))
	case plan.Cancelled:
		return "Cancelled: the work was folded into another strategy of the plan."
	case plan.OnHold:
		return fmt.Sprintf("On hold at %d%% while %s.", pct, holdReasons[r.IntN(len(holdReasons))])
	case plan.Behind:
		return fmt.Sprintf("Behind schedule at %d%% because of %s; a revised schedule is being prepared.%s", pct, behindReasons[r.IntN(len(behindReasons))], nextText)
	}
	if done != nil && q.Sub(done.done) < 92*24*time.Hour {
		return fmt.Sprintf("%d%% complete. %s on %s.%s", pct, done.name, done.done.Format("Jan 2, 2006"), nextText)
	}
	return fmt.Sprintf("%d%% complete and on schedule.%s", pct, nextText)
}

// milestoneRows are the milestones as known at last: a done date only once
// it has passed.
func (tr *track) milestoneRows(last time.Time) []row {
	var out []row
	for _, m := range tr.milestones {
		r := row{"strategy_id": text(tr.s.ID), "name": text(m.name), "due_date": text(dateKey(m.due))}
		if !m.done.IsZero() && !m.done.After(last) {
			r["done_date"] = text(dateKey(m.done))
		}
		out = append(out, r)
	}
	return out
}

// writeTracker writes the two sheets, headed by the columns' titles as the
// tracker template heads them, with fixed document times.
func writeTracker(prog, ms *plan.Dataset, progRows, msRows []row, stamp time.Time) ([]byte, error) {
	if err := checkColumns(prog, progRows); err != nil {
		return nil, err
	}
	if err := checkColumns(ms, msRows); err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", trackerProgressSheet); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(trackerMilestonesSheet); err != nil {
		return nil, err
	}
	ts := stamp.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:          "Sample data: strategy tracker",
		Subject:        "Sample data",
		Description:    "Invented sample data for plandash. These are not the City's reports.",
		Creator:        "plandash",
		LastModifiedBy: "plandash",
		Created:        ts,
		Modified:       ts,
	}); err != nil {
		return nil, err
	}
	for _, sh := range []struct {
		name string
		ds   *plan.Dataset
		rows []row
	}{{trackerProgressSheet, prog, progRows}, {trackerMilestonesSheet, ms, msRows}} {
		for i, c := range sh.ds.Columns {
			cell, _ := excelize.CoordinatesToCellName(i+1, 1)
			if err := f.SetCellStr(sh.name, cell, c.DisplayTitle()); err != nil {
				return nil, err
			}
		}
		for r, rw := range sh.rows {
			for i, c := range sh.ds.Columns {
				v := rw[c.Name]
				if !v.set {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(i+1, r+2)
				var err error
				if v.isNum {
					err = f.SetCellFloat(sh.name, cell, v.num, v.prec, 64)
				} else {
					err = f.SetCellStr(sh.name, cell, v.text)
				}
				if err != nil {
					return nil, err
				}
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
