package web

import (
	"embed"
	"fmt"
	"math"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/plandash/plandash/internal/plan"
)

//go:embed locales/*.yaml
var localeFS embed.FS

// newBundle loads the message catalogs.
func newBundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	entries, err := localeFS.ReadDir("locales")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if _, err := b.LoadMessageFileFS(localeFS, "locales/"+e.Name()); err != nil {
			return nil, fmt.Errorf("web: catalog %s: %w", e.Name(), err)
		}
	}
	return b, nil
}

// words formats messages, numbers and periods for one locale.
type words struct {
	loc     *i18n.Localizer
	printer *message.Printer
	lang    language.Tag
}

func newWords(b *i18n.Bundle, lang language.Tag) *words {
	return &words{loc: i18n.NewLocalizer(b, lang.String()), printer: message.NewPrinter(lang), lang: lang}
}

// T returns the message with the id, or the id itself when the catalog lacks
// it (so a missing message shows, and a test can find it).
func (w *words) T(id string, data map[string]any) string {
	s, err := w.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

// Value formats a number by its format: grouped digits, money in dollars,
// percent from a fraction.
func (w *words) Value(v float64, format string) string {
	switch format {
	case plan.FormatMoney:
		neg := v < 0
		var s string
		if math.Abs(v) >= 1000 {
			s = w.printer.Sprintf("$%d", int64(math.Round(math.Abs(v))))
		} else {
			s = w.printer.Sprintf("$%.2f", math.Abs(v))
		}
		if neg {
			s = "−" + s
		}
		return s
	case plan.FormatPercent:
		return w.printer.Sprintf("%.1f%%", v*100)
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return w.printer.Sprintf("%d", int64(v))
	}
	if math.Abs(v) >= 100 {
		return w.printer.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(w.printer.Sprintf("%.2f", v), "0"), ".")
}

// Period labels a period.
func (w *words) Period(p plan.Period) string { return p.Label() }
