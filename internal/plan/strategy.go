package plan

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Strategy progress: most of a plan's strategies are projects, not numbers.
// Their owners report a status, a percent complete, a due date and
// milestones in the built-in datasets strategy_progress and
// strategy_milestones; this file turns those rows into each strategy's
// standing as of a day. Everything here is a pure function of the plan, the
// rows and the day.

// Names of the built-in datasets that track strategies. Every plan with
// strategies has them (see addStrategyDatasets).
const (
	ProgressDataset   = "strategy_progress"
	MilestonesDataset = "strategy_milestones"
)

// ProgressStatus is what a strategy's owner reports. The words are the
// values of the status column of strategy_progress.
type ProgressStatus string

// Progress statuses, as stored.
const (
	NotStarted ProgressStatus = "not started"
	OnSchedule ProgressStatus = "on schedule"
	Behind     ProgressStatus = "behind"
	Complete   ProgressStatus = "complete"
	OnHold     ProgressStatus = "on hold"
	Cancelled  ProgressStatus = "cancelled"
)

// ProgressStatuses lists every status, in the order forms offer them.
var ProgressStatuses = []ProgressStatus{NotStarted, OnSchedule, Behind, Complete, OnHold, Cancelled}

// Closed reports whether the strategy needs no more work: it is complete or
// cancelled, so it is never late and needs no more updates.
func (s ProgressStatus) Closed() bool { return s == Complete || s == Cancelled }

// Key is the status as a catalog key: "on_schedule".
func (s ProgressStatus) Key() string { return strings.ReplaceAll(string(s), " ", "_") }

// DefaultUpdateCadence is how often owners report when the plan file does
// not say.
const DefaultUpdateCadence = Quarter

// DefaultReminderLead is how many days before an update is due its owner
// is reminded.
const DefaultReminderLead = 14

// ProgressUpdate is one row of strategy_progress: a report on a strategy as
// of a day.
type ProgressUpdate struct {
	Strategy         string
	AsOf             time.Time
	Status           ProgressStatus
	Percent          *float64 // percentage points, 0 to 100
	Department       string
	Lead             string
	Due              time.Time // zero when none
	NextMilestone    string
	NextMilestoneDue time.Time
	Text             string
	// Author and Recorded say who recorded the row and when (the import's
	// user and time); Current is false for a version that a correction
	// with the same strategy and date replaced.
	Author   string
	Recorded time.Time
	Current  bool
	Sample   bool
}

// Milestone is one row of strategy_milestones.
type Milestone struct {
	Strategy string
	Name     string
	Due      time.Time // zero when none
	Done     time.Time // zero while not done
}

// DaysLate is how many days the milestone is past its due date without
// being done, as of today (0 when it is not late). A milestone due today is
// not late; it is one day late tomorrow.
func (m Milestone) DaysLate(today time.Time) int {
	if m.Due.IsZero() || !m.Done.IsZero() {
		return 0
	}
	return daysAfter(today, m.Due)
}

// daysAfter counts whole days from b to a (0 when a is not after b); both
// are calendar days at midnight UTC, as stored dates are.
func daysAfter(a, b time.Time) int {
	a, b = Day(a, time.UTC), Day(b, time.UTC)
	if !a.After(b) {
		return 0
	}
	return int(a.Sub(b).Hours()/24 + 0.5)
}

// Day is the calendar day of t in loc, as midnight UTC: the form of the
// dates stored in datasets, so days compare and subtract exactly.
func Day(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Lateness says whether a strategy is late as of today, and by how many
// days: it is late when its due date has passed and it is not complete (or
// cancelled), or when one of its milestones is past due and not done. Days
// late is the most of the strategy's own and its milestones'. A strategy on
// hold past its due date is late too.
func Lateness(status ProgressStatus, due time.Time, milestones []Milestone, today time.Time) (late bool, days int) {
	if status.Closed() {
		return false, 0
	}
	if !due.IsZero() {
		days = daysAfter(today, due)
	}
	for _, m := range milestones {
		days = max(days, m.DaysLate(today))
	}
	return days > 0, days
}

// Standing is a strategy as of a day: its latest report, its milestones,
// whether it is late and whether an update is overdue.
type Standing struct {
	Strategy *Strategy
	// Latest is the newest update (by as-of date), nil when none.
	Latest *ProgressUpdate
	// Milestones are sorted by due date (undated last), then name.
	Milestones []Milestone
	// Department owns the strategy: the latest update's, else the plan's
	// owner of the strategy.
	Department string
	Today      time.Time
	// Late and DaysLate: see Lateness. PastDue is true when the strategy's
	// own due date has passed (not only a milestone's).
	Late     bool
	DaysLate int
	PastDue  bool
	// Cadence is how often updates are due; UpdateDue is when the next one
	// is due (one cadence after the latest update's date, or after the
	// plan's start without any), and UpdateOverdue is true from the day
	// after it, for a strategy that is not closed.
	Cadence       Grain
	UpdateDue     time.Time
	UpdateOverdue bool
}

// Status is the reported status, or "" when there is no update.
func (st *Standing) Status() ProgressStatus {
	if st.Latest == nil {
		return ""
	}
	return st.Latest.Status
}

// Due is the latest update's due date (zero when none).
func (st *Standing) Due() time.Time {
	if st.Latest == nil {
		return time.Time{}
	}
	return st.Latest.Due
}

// LateMilestones lists the milestones past due and not done.
func (st *Standing) LateMilestones() []Milestone {
	if st.Status().Closed() {
		return nil
	}
	var out []Milestone
	for _, m := range st.Milestones {
		if m.DaysLate(st.Today) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// Cadence is how often the strategy's owner reports: its own
// update_cadence, else the plan's, else quarterly.
func (p *Plan) Cadence(s *Strategy) Grain {
	switch {
	case s != nil && s.UpdateCadence != "":
		return s.UpdateCadence
	case p.UpdateCadence != "":
		return p.UpdateCadence
	}
	return DefaultUpdateCadence
}

// Strategies lists the plan's strategies in plan order.
func (p *Plan) Strategies() []*Strategy {
	var out []*Strategy
	for _, g := range p.Goals {
		for _, o := range g.Objectives {
			out = append(out, o.Strategies...)
		}
	}
	return out
}

// StandingOf is one strategy's standing as of today (a day: see Day), from
// its updates and milestones (rows of other strategies are ignored).
func StandingOf(p *Plan, s *Strategy, updates []ProgressUpdate, milestones []Milestone, today time.Time) Standing {
	today = Day(today, time.UTC)
	st := Standing{Strategy: s, Today: today, Department: s.Owner, Cadence: p.Cadence(s)}
	for i := range updates {
		u := &updates[i]
		if u.Strategy != s.ID || !u.Current {
			continue
		}
		if st.Latest == nil || u.AsOf.After(st.Latest.AsOf) || (u.AsOf.Equal(st.Latest.AsOf) && u.Recorded.After(st.Latest.Recorded)) {
			st.Latest = u
		}
	}
	for _, m := range milestones {
		if m.Strategy == s.ID {
			st.Milestones = append(st.Milestones, m)
		}
	}
	sort.SliceStable(st.Milestones, func(i, j int) bool {
		a, b := st.Milestones[i], st.Milestones[j]
		if a.Due.IsZero() != b.Due.IsZero() {
			return b.Due.IsZero()
		}
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		return a.Name < b.Name
	})
	status, due := st.Status(), st.Due()
	if st.Latest != nil && strings.TrimSpace(st.Latest.Department) != "" {
		st.Department = st.Latest.Department
	}
	st.Late, st.DaysLate = Lateness(status, due, st.Milestones, today)
	st.PastDue = !status.Closed() && !due.IsZero() && today.After(due)
	base := p.Start.Time
	if st.Latest != nil {
		base = st.Latest.AsOf
	}
	if !base.IsZero() {
		st.UpdateDue = addMonths(Day(base, time.UTC), st.Cadence.Months())
		st.UpdateOverdue = !status.Closed() && today.After(st.UpdateDue)
	}
	return st
}

// addMonths adds n months to a day, keeping it within the month reached:
// May 31 and one month is June 30, not July 1.
func addMonths(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(t.Day(), last)-1)
}

// Standings is every strategy's standing as of today, in plan order.
func Standings(p *Plan, updates []ProgressUpdate, milestones []Milestone, today time.Time) []Standing {
	byS := map[string][]ProgressUpdate{}
	for _, u := range updates {
		byS[u.Strategy] = append(byS[u.Strategy], u)
	}
	msByS := map[string][]Milestone{}
	for _, m := range milestones {
		msByS[m.Strategy] = append(msByS[m.Strategy], m)
	}
	var out []Standing
	for _, s := range p.Strategies() {
		out = append(out, StandingOf(p, s, byS[s.ID], msByS[s.ID], today))
	}
	return out
}

// ProgressFromValues reads a row of strategy_progress given as column
// name -> value (strings, float64, int64, time.Time, as the store returns
// them); columns the row lacks stay empty.
func ProgressFromValues(v map[string]any) ProgressUpdate {
	u := ProgressUpdate{Current: true}
	u.Strategy = textOf(v["strategy_id"])
	u.AsOf = dateOf(v["as_of"])
	u.Status = ProgressStatus(textOf(v["status"]))
	if f, ok := numberOf(v["percent_complete"]); ok {
		u.Percent = &f
	}
	u.Department = textOf(v["owner_department"])
	u.Lead = textOf(v["lead"])
	u.Due = dateOf(v["due_date"])
	u.NextMilestone = textOf(v["next_milestone"])
	u.NextMilestoneDue = dateOf(v["next_milestone_date"])
	u.Text = textOf(v["update"])
	return u
}

// MilestoneFromValues reads a row of strategy_milestones (see
// ProgressFromValues).
func MilestoneFromValues(v map[string]any) Milestone {
	return Milestone{Strategy: textOf(v["strategy_id"]), Name: textOf(v["name"]), Due: dateOf(v["due_date"]), Done: dateOf(v["done_date"])}
}

func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func dateOf(v any) time.Time {
	if t, ok := v.(time.Time); ok {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return time.Time{}
}

func numberOf(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

// RollupStatus is how a strategy counts in the roll-up of its objective and
// goal (the rule StrategyRollupRule states): late is off track; behind or
// on hold is at risk; on schedule or complete is on track. Not started,
// cancelled and a strategy without any update do not count (""), so they
// neither raise nor lower the roll-up.
func (st *Standing) RollupStatus() Status {
	switch s := st.Status(); {
	case s == "" || s == Cancelled:
		return ""
	case st.Late:
		return OffTrack
	case s == Behind || s == OnHold:
		return AtRisk
	case s == OnSchedule || s == Complete:
		return OnTrack
	}
	return ""
}

// RollUpAll combines the assessments of an objective's or goal's indicators
// and the standings of its strategies: the overall status is the weakest
// of the indicators that have a target and data and of the strategies that
// count (see RollupStatus): off track before at risk before on track.
// Without any, it is no target when some indicator has data, else no data.
// The indicator counts are those of RollUp; the strategy counts are added.
func RollUpAll(as []Assessment, sts []Standing) Rollup {
	r := RollUp(as)
	r.StrategyCounts = map[ProgressStatus]int{}
	worst := 0
	rank := map[Status]int{OnTrack: 1, AtRisk: 2, OffTrack: 3}
	for _, st := range []Status{OnTrack, AtRisk, OffTrack} {
		if r.Counts[st] > 0 {
			worst = max(worst, rank[st])
		}
	}
	for i := range sts {
		st := &sts[i]
		r.Strategies++
		if s := st.Status(); s == "" {
			r.NoUpdate++
		} else {
			r.StrategyCounts[s]++
		}
		if st.Late {
			r.Late++
		}
		if st.UpdateOverdue {
			r.UpdateOverdue++
		}
		worst = max(worst, rank[st.RollupStatus()])
	}
	switch worst {
	case 3:
		r.Status = OffTrack
	case 2:
		r.Status = AtRisk
	case 1:
		r.Status = OnTrack
	}
	return r
}

// LateItem is a late strategy, or a late milestone of one.
type LateItem struct {
	Strategy *Strategy
	// Milestone is the milestone's name; "" for the strategy itself.
	Milestone  string
	Department string
	Status     ProgressStatus
	Due        time.Time
	DaysLate   int
}

// LateItems lists every strategy past its own due date and every milestone
// past due and not done, of strategies that are not closed.
func LateItems(sts []Standing) []LateItem {
	var out []LateItem
	for i := range sts {
		st := &sts[i]
		if st.PastDue {
			out = append(out, LateItem{Strategy: st.Strategy, Department: st.Department, Status: st.Status(), Due: st.Due(),
				DaysLate: daysAfter(st.Today, st.Due())})
		}
		for _, m := range st.LateMilestones() {
			out = append(out, LateItem{Strategy: st.Strategy, Milestone: m.Name, Department: st.Department, Status: st.Status(),
				Due: m.Due, DaysLate: m.DaysLate(st.Today)})
		}
	}
	SortLate(out, "")
	return out
}

// Orders of SortLate.
const (
	SortByDays       = "days"
	SortByDepartment = "department"
)

// SortLate orders late items: by days late, most first (the default), or
// by department (A to Z, no department last), then most days late; ties go
// by strategy id and milestone.
func SortLate(items []LateItem, by string) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if by == SortByDepartment {
			da, db := strings.ToLower(a.Department), strings.ToLower(b.Department)
			if (da == "") != (db == "") {
				return db == ""
			}
			if da != db {
				return da < db
			}
		}
		if a.DaysLate != b.DaysLate {
			return a.DaysLate > b.DaysLate
		}
		if a.Strategy.ID != b.Strategy.ID {
			return idLess(a.Strategy.ID, b.Strategy.ID)
		}
		if (a.Milestone == "") != (b.Milestone == "") {
			return a.Milestone == ""
		}
		return a.Milestone < b.Milestone
	})
}

// idLess orders plan ids by their numbers: G1.O2.S10 after G1.O2.S9.
func idLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, nb := idNumber(pa[i]), idNumber(pb[i])
		if na != nb {
			return na < nb
		}
	}
	return len(pa) < len(pb)
}

func idNumber(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n = n*10 + int(r-'0')
		}
	}
	return n
}

// Reminder asks a strategy's owner for an update: before it is due (Overdue
// false, Days until it is due) or after (Overdue true, Days overdue).
type Reminder struct {
	Strategy   string `json:"strategy"`
	Text       string `json:"text"`
	Department string `json:"department"`
	// Contact is the department's contact in the plan file; "" when the
	// plan gives none (or the strategy has no department).
	Contact string    `json:"contact"`
	Due     time.Time `json:"due"`
	Overdue bool      `json:"overdue"`
	Days    int       `json:"days"`
}

// Key identifies the reminder for one due date and kind, so that a sender
// can send each once: "G1.O1.S1 2026-12-31 due" or "... overdue".
func (r Reminder) Key() string {
	k := "due"
	if r.Overdue {
		k = "overdue"
	}
	return r.Strategy + " " + r.Due.Format("2006-01-02") + " " + k
}

// Reminders lists the updates that are due within lead days of today
// (today included) or overdue, for strategies that are not closed, with
// who to remind: the owner department's contact in the plan file. Overdue
// ones come first, most overdue first, then by due date. lead < 0 means
// DefaultReminderLead.
func Reminders(p *Plan, sts []Standing, today time.Time, lead int) []Reminder {
	if lead < 0 {
		lead = DefaultReminderLead
	}
	today = Day(today, time.UTC)
	var out []Reminder
	for i := range sts {
		st := &sts[i]
		if st.Status().Closed() || st.UpdateDue.IsZero() {
			continue
		}
		r := Reminder{Strategy: st.Strategy.ID, Text: st.Strategy.Text, Department: st.Department, Due: st.UpdateDue}
		if d := p.Department(st.Department); d != nil {
			r.Department, r.Contact = d.Name, strings.TrimSpace(d.Contact)
		}
		switch {
		case today.After(st.UpdateDue):
			r.Overdue, r.Days = true, daysAfter(today, st.UpdateDue)
		case !st.UpdateDue.After(today.AddDate(0, 0, lead)):
			r.Days = daysAfter(st.UpdateDue, today)
		default:
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Overdue != b.Overdue {
			return a.Overdue
		}
		if a.Overdue && a.Days != b.Days {
			return a.Days > b.Days
		}
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		return idLess(a.Strategy, b.Strategy)
	})
	return out
}

// addStrategyDatasets gives every plan with strategies the built-in
// datasets that track them, unless the plan lists (or declares) them itself.
func (p *Plan) addStrategyDatasets(builtin map[string]*Dataset) {
	if len(p.Strategies()) == 0 {
		return
	}
	for _, name := range []string{ProgressDataset, MilestonesDataset} {
		if p.Datasets[name] == nil && builtin[name] != nil {
			p.Datasets[name] = builtin[name]
		}
	}
}

// checkStrategyTracking checks the update cadences of the plan and its
// strategies.
func (p *Plan) checkStrategyTracking(c *checker) {
	if p.UpdateCadence != "" && !p.UpdateCadence.Valid() {
		c.errf(p.KeyLine("update_cadence"), "update_cadence %q must be month, quarter, year or fiscal_year", p.UpdateCadence)
	}
	for _, s := range p.Strategies() {
		if s.UpdateCadence != "" && !s.UpdateCadence.Valid() {
			c.errf(s.KeyLine("update_cadence"), "strategy %s: update_cadence %q must be month, quarter, year or fiscal_year", s.ID, s.UpdateCadence)
		}
	}
}
