package ingest

import (
	"fmt"
	"io"
	"strings"

	"github.com/plandash/plandash/internal/plan"
	"github.com/xuri/excelize/v2"
)

// Sheets of the strategy tracker workbook: the built-in profile
// strategy-tracker reads them by these names.
const (
	TrackerProgressSheet   = "Progress"
	TrackerMilestonesSheet = "Milestones"
)

// WriteTrackerTemplate writes the strategy tracker workbook: a Progress
// sheet for the progress dataset and a Milestones sheet for the milestones
// dataset, each laid out as WriteTemplate lays out a dataset (header notes,
// number formats, drop-down lists and input messages), and one Instructions
// sheet for both. opt.Allowed gives, by column name, the drop-down values of
// either sheet (the plan's strategy ids, its departments); a column that
// lists its own values (the status words) offers them. A filled copy
// imports in one go, without naming a profile: both sheets load in one
// import. The same datasets and options give the same bytes.
func WriteTrackerTemplate(w io.Writer, progress, milestones *plan.Dataset, opt TemplateOptions) error {
	for _, ds := range []*plan.Dataset{progress, milestones} {
		if err := checkDataset(ds); err != nil {
			return err
		}
	}
	f := excelize.NewFile()
	defer f.Close()
	gp := &tmplGen{ds: progress, opt: optionsFor(progress, opt), f: f, sheet: TrackerProgressSheet}
	gm := &tmplGen{ds: milestones, opt: optionsFor(milestones, opt), f: f, sheet: TrackerMilestonesSheet}
	if err := gp.prepare(); err != nil {
		return err
	}
	if err := gm.prepare(); err != nil {
		return err
	}
	err := func() error {
		// The visible sheets first, in reading order; the hidden Lists
		// sheet, when a list is long, comes after them.
		if err := f.SetSheetName("Sheet1", gp.sheet); err != nil {
			return err
		}
		for _, name := range []string{gm.sheet, TemplateInstructionsSheet} {
			if _, err := f.NewSheet(name); err != nil {
				return err
			}
		}
		if err := gp.dataSheet(); err != nil {
			return err
		}
		gm.lists = gp.lists
		if err := gm.dataSheet(); err != nil {
			return err
		}
		if err := trackerInstructions(f, gp, gm, opt); err != nil {
			return err
		}
		if gm.lists > 0 {
			if err := f.SetSheetVisible(TemplateListsSheet, false); err != nil {
				return err
			}
		}
		f.SetActiveSheet(0)
		return f.SetDocProps(&excelize.DocProperties{
			Title:          "Strategy tracker",
			Subject:        "plandash strategy tracker: " + progress.Name + " and " + milestones.Name,
			Description:    "Progress reports and milestones of the plan's strategies, to be imported with plandash.",
			Creator:        "plandash",
			LastModifiedBy: "plandash",
			Created:        templateTime,
			Modified:       templateTime,
			Language:       "en-US",
		})
	}()
	if err != nil {
		return fmt.Errorf("ingest: tracker template: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("ingest: tracker template: write: %w", err)
	}
	return nil
}

// optionsFor keeps the allowed values of the dataset's own columns.
func optionsFor(ds *plan.Dataset, opt TemplateOptions) TemplateOptions {
	out := opt
	out.Allowed = map[string][]string{}
	for k, v := range opt.Allowed {
		if ds.Column(k) != nil {
			out.Allowed[k] = v
		}
	}
	return out
}

// trackerInstructions writes the Instructions sheet of the tracker: how to
// fill each sheet, then a table of each sheet's columns.
func trackerInstructions(f *excelize.File, gp, gm *tmplGen, opt TemplateOptions) error {
	sh := TemplateInstructionsSheet
	title, bold, head, wrap, err := instructionsLayout(f, sh)
	if err != nil {
		return err
	}
	row := 1
	line := func(text string, style int) error {
		if text == "" {
			row++
			return nil
		}
		cell := fmt.Sprintf("A%d", row)
		if err := f.SetCellStr(sh, cell, text); err != nil {
			return err
		}
		if err := f.MergeCell(sh, cell, fmt.Sprintf("E%d", row)); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell, cell, style); err != nil {
			return err
		}
		if n := len([]rune(text)); n > 140 {
			if err := f.SetRowHeight(sh, row, float64(15*((n+139)/140)+2)); err != nil {
				return err
			}
		}
		row++
		return nil
	}
	var status, pct *tmplCol
	for _, tc := range gp.cols {
		if len(tc.c.Values) > 0 && status == nil {
			status = tc
		}
		if tc.c.Percent == plan.PercentPoints && pct == nil {
			pct = tc
		}
	}
	intro := "This workbook is for reporting progress on the strategies of the plan, to be imported with plandash."
	if opt.Title != "" {
		intro = fmt.Sprintf("This workbook is for reporting progress on the strategies of %s, to be imported with plandash.", opt.Title)
	}
	paras := []struct {
		text  string
		style int
	}{
		{"Strategy tracker: template for plandash", title},
		{intro, wrap},
		{"", 0},
		{"How to fill it in", bold},
		{fmt.Sprintf("• Sheet %q: one row per strategy and report date. A row with a new date adds to the strategy's history; a row with the same strategy and date as one imported before corrects it.", gp.sheet), wrap},
		{fmt.Sprintf("• Sheet %q: one row per milestone of a strategy, with the date it is due and, once done, the date it was done. A row with the same strategy and milestone as one imported before replaces it.", gm.sheet), wrap},
		{"• Leave the headers (row 1) as they are: plandash finds each column by its header. Pick strategy ids and departments from the drop-down lists.", wrap},
		{"• Dates: type them as Excel dates, such as 3/31/2025 or 2025-03-31.", wrap},
	}
	if status != nil {
		paras = append(paras, struct {
			text  string
			style int
		}{fmt.Sprintf("• %s: one of %s. The words people use are understood too (In progress or On track is on schedule; Done or Completed is complete; Delayed, Late or Behind schedule is behind; Not yet started is not started; Paused is on hold), in any capitals.", status.header, strings.Join(status.c.Values, ", ")), wrap})
	}
	if pct != nil {
		paras = append(paras, struct {
			text  string
			style int
		}{fmt.Sprintf("• %s: from 0 to 100. 45%%, 45 and 0.45 (a cell formatted as a percentage) all mean 45; write 1%% for one percent.", pct.header), wrap})
	}
	paras = append(paras, []struct {
		text  string
		style int
	}{
		{"• Lateness is not typed in: plandash computes it from the due dates and the milestones not yet done.", wrap},
		{"", 0},
		{"How to import it", bold},
		{"• Save the file as an Excel workbook (.xlsx), and upload it or import it on the command line: plandash import FILE. Both sheets load in one import.", wrap},
		{fmt.Sprintf("• plandash reports every value it cannot read, by sheet, row and column (such as %s!C5), and loads nothing from a file with errors: fix them and import the file again.", gp.sheet), wrap},
	}...)
	for _, p := range paras {
		if err := line(p.text, p.style); err != nil {
			return err
		}
	}
	for _, g := range []*tmplGen{gp, gm} {
		row++
		if err := line(fmt.Sprintf("The columns of the sheet %q", g.sheet), bold); err != nil {
			return err
		}
		var err error
		if row, err = g.columnTable(f, sh, row, head, wrap); err != nil {
			return err
		}
	}
	return nil
}
