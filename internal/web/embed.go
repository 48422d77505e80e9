package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/dashboards"
	"github.com/plandash/plandash/internal/plan"
)

// embedCSP is the page policy of embeddable pages: like every page's, but
// the city's own sites may frame them.
func (s *Server) embedCSP() string {
	ancestors := "'self'"
	if len(s.EmbedOrigins) > 0 {
		ancestors += " " + strings.Join(s.EmbedOrigins, " ")
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
		"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors " + ancestors
}

// embedIndicator is a minimal page of one indicator for a city website to
// put in an iframe: title, value, status, chart, summary and a link.
func (s *Server) embedIndicator(c *fiber.Ctx) error {
	p := s.Plan()
	in := p.Indicator(c.Params("id"))
	if in == nil {
		return fiber.ErrNotFound
	}
	w := s.words(c)
	vm := s.computeIndicators([]*plan.Indicator{in}, w, true, false)[0]
	data := map[string]any{"VM": vm}
	if vm.Err == nil {
		chart, err := dashboards.IndicatorChart("embed-"+in.ID, vm.View, w, false)
		if err != nil {
			return err
		}
		data["Chart"] = chart
	}
	c.Set(fiber.HeaderContentSecurityPolicy, s.embedCSP())
	c.Response().Header.Del(fiber.HeaderXFrameOptions)
	return s.render(c, "embed", pageData{Title: in.Title, Plan: p, W: w, Data: data, Frozen: true})
}
