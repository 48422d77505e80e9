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

// note is a narrative as pages and the API show it.
type note struct {
	Indicator string    `json:"indicator"`
	Period    string    `json:"period"`
	Label     string    `json:"label"`
	Happened  string    `json:"what_happened"`
	Next      string    `json:"what_next"`
	Author    string    `json:"author"`
	Created   time.Time `json:"created"`
	Current   bool      `json:"current"`
	When      string    `json:"-"`
}

// notes lists an indicator's narratives, newest first; with current only,
// the note in force for each period.
func (s *Server) notes(ctx context.Context, in *plan.Indicator, public, currentOnly bool) ([]note, error) {
	p := s.Plan()
	ds := p.Datasets[plan.NotesDataset]
	if ds == nil {
		return nil, nil
	}
	hist, err := s.Backend.History(ctx, ds, map[string]string{"indicator": in.ID}, public)
	if err != nil {
		return nil, err
	}
	str := func(v any) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	var out []note
	for _, h := range hist {
		if currentOnly && !h.Current {
			continue
		}
		n := note{Indicator: in.ID, Period: str(h.Values["period"]), Happened: str(h.Values["what_happened"]), Next: str(h.Values["what_next"]),
			Author: h.User, Created: h.At, Current: h.Current, When: h.At.In(p.Location()).Format("2006-01-02 15:04")}
		n.Label = n.Period
		if per, err := plan.ParsePeriod(n.Period, p.FYStart()); err == nil {
			n.Label = per.Label()
		}
		out = append(out, n)
	}
	return out, nil
}

func (s *Server) noteSave(c *fiber.Ctx) error {
	p := s.Plan()
	in := p.Indicator(c.Params("id"))
	if in == nil {
		return fiber.ErrNotFound
	}
	period := strings.TrimSpace(c.FormValue("period"))
	if _, err := plan.ParsePeriod(period, p.FYStart()); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "choose the period the note is about")
	}
	happened, next := strings.TrimSpace(c.FormValue("what_happened")), strings.TrimSpace(c.FormValue("what_next"))
	if happened == "" && next == "" {
		return fiber.NewError(fiber.StatusBadRequest, "write what happened, what is being done, or both")
	}
	if len(happened) > 4000 || len(next) > 4000 {
		return fiber.NewError(fiber.StatusBadRequest, "a note can have at most 4,000 characters in each field")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := s.Importer.Note(ctx, in.ID, period, happened, next, userName(c, s))
	var ref *imports.Refusal
	if errors.As(err, &ref) {
		return fiber.NewError(fiber.StatusBadRequest, ref.Message)
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fiber.NewError(fiber.StatusUnprocessableEntity, rep.Message+" "+strings.Join(rep.Errors, "; "))
	}
	s.audit(c, userName(c, s), "narrative", fmt.Sprintf("%s %s: import #%d", in.ID, period, rep.ID))
	return c.Redirect(fmt.Sprintf("/indicators/%s?saved=%d#notes", in.ID, rep.ID), fiber.StatusSeeOther)
}
