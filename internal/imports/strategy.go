package imports

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/plandash/plandash/ingest"
	"github.com/plandash/plandash/internal/plan"
)

// StrategyUpdate records a progress report on a strategy typed into its
// page's form (values by column of strategy_progress: status, percent,
// due date, next milestone, update text, as of a date). Like any entry
// typed into a form it is written as a small CSV file in the dataset's
// template form and imported through the dataset's own template (source
// form): checked like a file, recorded in the ledger, archived and
// undoable. A report with the same strategy and date as an earlier one
// corrects it; the earlier version stays in the history.
func (im *Importer) StrategyUpdate(ctx context.Context, values map[string]string, user string) (*Report, error) {
	p := im.Plan()
	ds := p.Datasets[plan.ProgressDataset]
	if ds == nil {
		return nil, &Refusal{Message: "the plan does not track strategy progress"}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := make([]string, len(ds.Columns))
	rec := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		header[i] = c.Name
		rec[i] = values[c.Name]
	}
	_ = w.Write(header)
	_ = w.Write(rec)
	w.Flush()
	name := fmt.Sprintf("form-%s-%s.csv", ds.Name, im.Now().UTC().Format("20060102-150405"))
	return im.Import(ctx, Request{Name: name, Data: buf.Bytes(), Dataset: ds.Name, Profile: ds.Name, Source: SourceForm, User: user})
}

// TrackerTemplate writes the strategy tracker workbook of the plan: a
// Progress sheet and a Milestones sheet with the plan's strategy ids and
// departments as drop-down lists. A filled copy imports in one go through
// the built-in profile strategy-tracker.
func (im *Importer) TrackerTemplate(w io.Writer) error {
	p := im.Plan()
	prog, ms := p.Datasets[plan.ProgressDataset], p.Datasets[plan.MilestonesDataset]
	if prog == nil || ms == nil {
		return &Refusal{Message: "the plan does not track strategy progress"}
	}
	allowed := map[string][]string{}
	for _, ds := range []*plan.Dataset{prog, ms} {
		for _, c := range ds.Columns {
			if c.Refers != "" {
				if vals := p.RefValues(c.Refers); len(vals) > 0 {
					allowed[c.Name] = vals
				}
			}
		}
	}
	return ingest.WriteTrackerTemplate(w, prog, ms, ingest.TemplateOptions{Place: p.Place, Title: p.Title, FYStartMonth: p.FYStart(), Allowed: allowed})
}

// StrategyReminders lists the progress updates due within lead days of now
// (in the plan's time zone) or overdue, each with the owner department's
// contact from the plan file, from the current reports and milestones (see
// plan.Reminders; lead < 0 means plan.DefaultReminderLead). It only reads:
// sending the reminders, and remembering which were sent (Reminder.Key), is
// the caller's.
func (im *Importer) StrategyReminders(ctx context.Context, now time.Time, lead int) ([]plan.Reminder, error) {
	p := im.Plan()
	prog, msd := p.Datasets[plan.ProgressDataset], p.Datasets[plan.MilestonesDataset]
	if prog == nil {
		return nil, nil
	}
	var ups []plan.ProgressUpdate
	var ms []plan.Milestone
	for _, ds := range []*plan.Dataset{prog, msd} {
		if ds == nil {
			continue
		}
		rs, err := im.Store.Rows(ctx, ds, false, 0, 0)
		if err != nil {
			return nil, fmt.Errorf("imports: reminders: %w", err)
		}
		for _, r := range rs.Rows {
			m := make(map[string]any, len(rs.Columns))
			for i, c := range rs.Columns {
				m[c.Name] = r[i]
			}
			if ds == prog {
				ups = append(ups, plan.ProgressFromValues(m))
			} else {
				ms = append(ms, plan.MilestoneFromValues(m))
			}
		}
	}
	today := plan.Day(now, p.Location())
	return plan.Reminders(p, plan.Standings(p, ups, ms, today), today, lead), nil
}
