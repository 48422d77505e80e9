package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// entryField is one input of the manual-entry form.
type entryField struct {
	Col       *plan.Column
	InputType string
	Value     string
}

func inputType(c *plan.Column) string {
	switch c.Type {
	case plan.TypeDate:
		return "date"
	case plan.TypeMonth:
		return "month"
	}
	return "text"
}

// entryFields lays out the form, prefilled from the indicator's filters
// (a General Fund indicator's form starts with fund = General Fund).
func entryFields(ds *plan.Dataset, in *plan.Indicator, form func(string) string) []entryField {
	pre := map[string]string{}
	if in != nil {
		for _, f := range in.Filters {
			if f.Equals != nil {
				pre[f.Column] = *f.Equals
			}
		}
	}
	var out []entryField
	for _, c := range ds.Columns {
		v := pre[c.Name]
		if form != nil {
			if fv := form(c.Name); fv != "" {
				v = fv
			}
		}
		out = append(out, entryField{Col: c, InputType: inputType(c), Value: v})
	}
	return out
}

func (s *Server) entryPage(c *fiber.Ctx) error {
	p := s.Plan()
	ds := p.Datasets[c.Params("name")]
	if ds == nil {
		return fiber.ErrNotFound
	}
	in := p.Indicator(c.Query("indicator"))
	return s.renderEntry(c, ds, in, entryFields(ds, in, nil), nil)
}

func (s *Server) renderEntry(c *fiber.Ctx, ds *plan.Dataset, in *plan.Indicator, fields []entryField, rep *imports.Report) error {
	w := s.words(c)
	data := map[string]any{"Dataset": ds, "Fields": fields, "Report": rep}
	if in != nil {
		data["Indicator"] = in
	}
	return s.render(c, "entry", pageData{Title: w.T("entry.title", map[string]any{"Dataset": ds.Title}), W: w, Data: data})
}

func (s *Server) entrySave(c *fiber.Ctx) error {
	p := s.Plan()
	ds := p.Datasets[c.Params("name")]
	if ds == nil {
		return fiber.ErrNotFound
	}
	in := p.Indicator(c.FormValue("indicator"))
	row := map[string]string{}
	for _, col := range ds.Columns {
		v := strings.TrimSpace(c.FormValue(col.Name))
		// A month input sends 2024-07; the reader takes it as is.
		row[col.Name] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := s.Importer.ManualEntry(ctx, ds.Name, []map[string]string{row}, userName(c, s), false)
	var ref *imports.Refusal
	if errors.As(err, &ref) {
		return fiber.NewError(fiber.StatusBadRequest, ref.Message)
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderEntry(c, ds, in, entryFields(ds, in, func(k string) string { return row[k] }), rep)
	}
	s.audit(c, userName(c, s), "manual entry", fmt.Sprintf("%s: import #%d", ds.Name, rep.ID))
	if in != nil {
		return c.Redirect("/indicators/"+in.ID+"?saved="+fmt.Sprint(rep.ID), fiber.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/imports/%d", rep.ID), fiber.StatusSeeOther)
}
