package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/auth"
	"github.com/plandash/plandash/internal/plan"
)

// pageData is what every page template receives.
type pageData struct {
	Title string
	Plan  *plan.Plan
	W     *words
	// Print renders charts as SVG without animation.
	Print       bool
	SampleData  bool
	SampleTargs bool
	PlanOver    bool
	AsOf        string
	Data        map[string]any
	Viewer      *viewer
	CSRF        string
	Admin       bool
	Editor      bool
	Flash       string
	FlashError  bool
	// Frozen renders for publication: as an anonymous reader sees it, with
	// no forms and no token in it.
	Frozen bool
}

func (s *Server) parseTemplates() error {
	s.tmpl = map[string]*template.Template{}
	pages, err := templateFS.ReadDir("templates")
	if err != nil {
		return err
	}
	funcs := template.FuncMap{
		"t": func(w *words, id string, kv ...any) string {
			data := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				data[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return w.T(id, data)
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"add":   func(a, b int) int { return a + b },
		"sub":   func(a, b int) int { return a - b },
		"asset": s.asset,
	}
	for _, e := range pages {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", path.Join("templates", e.Name()))
		if err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
		s.tmpl[name] = t
	}
	return nil
}

func (s *Server) render(c *fiber.Ctx, name string, d pageData) error {
	t := s.tmpl[name]
	if t == nil {
		return fmt.Errorf("web: no template %s", name)
	}
	if d.W == nil {
		d.W = s.words(c)
	}
	if d.Plan == nil {
		d.Plan = s.Plan()
	}
	if !d.Frozen {
		d.Viewer, d.CSRF = s.viewerOf(c), csrfToken(c)
	}
	d.Flash, _ = c.Locals("flash").(string)
	d.FlashError, _ = c.Locals("flash_error").(bool)
	if d.Viewer != nil {
		d.Admin, d.Editor = auth.Allows(d.Viewer.Role, auth.RoleAdmin), auth.Allows(d.Viewer.Role, auth.RoleEditor)
	}
	now := s.Now()
	d.PlanOver = d.Plan.Over(now)
	d.AsOf = fmtDate(now.In(d.Plan.Location()))
	var buf bytes.Buffer
	exec := t.Execute
	if name == "embed" {
		// The embeddable page has no site chrome.
		exec = func(w io.Writer, data any) error { return t.ExecuteTemplate(w, "embed", data) }
	}
	if err := exec(&buf, d); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	if d.Frozen && name != "embed" {
		c.Locals("rendered", buf.Bytes())
		return nil
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}
