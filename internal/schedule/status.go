package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// checkIndicators computes every indicator's status, as the pages do, and
// compares it with the last status seen: an indicator that goes off track
// or overdue, or comes back, raises an alert. The first check only records.
func (s *Scheduler) checkIndicators(ctx context.Context) {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	p := s.Plan()
	if p.Alerts == nil {
		return
	}
	now := s.opt.Now().In(p.Location())
	ctx = context.WithoutCancel(ctx)
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	prev, err := s.opt.Store.IndicatorStates(qctx)
	cancel()
	if err != nil {
		s.log.Error("indicator status check", "err", err)
		return
	}
	var changed []imports.IndicatorState
	for _, in := range p.Indicators {
		ds := p.Datasets[in.Dataset]
		if ds == nil {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		series, err := plan.Compute(qctx, p, in, s.opt.Store, now, false)
		cancel()
		if err != nil {
			s.log.Error("indicator status check", "indicator", in.ID, "err", err)
			continue
		}
		a := plan.Assess(series, now, ds.LagDays)
		cur := imports.IndicatorState{Indicator: in.ID, Status: string(a.Status), Overdue: a.Overdue, Changed: s.opt.Now(), Checked: s.opt.Now()}
		old, seen := prev[in.ID]
		if seen && old.Status == cur.Status && old.Overdue == cur.Overdue {
			continue
		}
		changed = append(changed, cur)
		if !seen {
			continue
		}
		off := string(plan.OffTrack)
		if (old.Status == off) != (cur.Status == off) {
			verb := "is now off track"
			if cur.Status != off {
				verb = "is no longer off track (now " + words(cur.Status) + ")"
			}
			s.alerts.send(p.Alerts, s.statusAlert(p, in, old, cur, verb))
		}
		if old.Overdue != cur.Overdue {
			verb := "is overdue: newer data should have arrived"
			if !cur.Overdue {
				verb = "is no longer overdue"
			}
			s.alerts.send(p.Alerts, s.statusAlert(p, in, old, cur, verb))
		}
	}
	qctx, cancel = context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.opt.Store.SaveIndicatorStates(qctx, changed); err != nil {
		s.log.Error("indicator status check", "err", err)
	}
}

func (s *Scheduler) statusAlert(p *plan.Plan, in *plan.Indicator, old, cur imports.IndicatorState, verb string) Alert {
	overdue := cur.Overdue
	return Alert{Event: EventIndicatorStatus, Time: s.opt.Now(), Plan: p.Title, Indicator: in.ID, Status: cur.Status, Overdue: &overdue,
		Previous: old.Status,
		Subject:  fmt.Sprintf("plandash: %s %s", in.Title, verb),
		Text: fmt.Sprintf("The indicator %q (%s) %s. It was %s; it is %s.", in.Title, in.ID, verb,
			describe(old), describe(cur))}
}

func describe(st imports.IndicatorState) string {
	d := words(st.Status)
	if st.Overdue {
		d += " and overdue"
	}
	return d
}

func words(status string) string {
	switch status {
	case string(plan.OnTrack):
		return "on track"
	case string(plan.AtRisk):
		return "at risk"
	case string(plan.OffTrack):
		return "off track"
	case string(plan.NoTarget):
		return "without a target"
	case string(plan.NoData):
		return "without data"
	}
	return status
}

// ReminderLead is how many days before an update is due its reminder goes.
const ReminderLead = 14

// EventReminder is the event of a strategy update reminder.
const EventReminder = "strategy_reminder"

// reminderSource lists the strategy update reminders due as of a date;
// the importer offers it.
type reminderSource interface {
	StrategyReminders(ctx context.Context, now time.Time, lead int) ([]plan.Reminder, error)
}

// checkReminders sends each strategy update reminder once, before an update
// is due and once it is overdue, to the owner department's contact (the
// plan's alert recipients when the department has none).
func (s *Scheduler) checkReminders(ctx context.Context) {
	p := s.Plan()
	rs, ok := s.opt.Importer.(reminderSource)
	if p.Alerts == nil || !ok {
		return
	}
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	now := s.opt.Now().In(p.Location())
	ctx = context.WithoutCancel(ctx)
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	list, err := rs.StrategyReminders(qctx, now, ReminderLead)
	if err != nil {
		s.log.Error("strategy reminders", "err", err)
		return
	}
	sent, err := s.opt.Store.IndicatorStates(qctx)
	if err != nil {
		s.log.Error("strategy reminders", "err", err)
		return
	}
	var done []imports.IndicatorState
	for _, r := range list {
		key := "reminder " + r.Key()
		if _, ok := sent[key]; ok {
			continue
		}
		subject := fmt.Sprintf("Update due for strategy %s by %s", r.Strategy, r.Due.Format("January 2, 2006"))
		if r.Overdue {
			subject = fmt.Sprintf("Update overdue for strategy %s (%d days)", r.Strategy, r.Days)
		}
		a := Alert{Event: EventReminder, Subject: subject, Time: s.opt.Now(), Plan: p.Title, Strategy: r.Strategy,
			Text: fmt.Sprintf("%s\n\nStrategy %s: %s\nDepartment: %s\nPlease report its status, percent complete and next milestone.",
				subject, r.Strategy, r.Text, r.Department)}
		if r.Contact != "" {
			a.To = []string{r.Contact}
		}
		s.alerts.send(p.Alerts, a)
		done = append(done, imports.IndicatorState{Indicator: key, Status: "sent", Changed: s.opt.Now(), Checked: s.opt.Now()})
	}
	if err := s.opt.Store.SaveIndicatorStates(qctx, done); err != nil {
		s.log.Error("strategy reminders", "err", err)
	}
}
