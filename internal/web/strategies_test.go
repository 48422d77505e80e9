package web

import (
	"regexp"
	"testing"

	"golang.org/x/text/language"

	"github.com/plandash/plandash/internal/plan"
)

// TestStrategyMessagesLoad checks that the strategies catalog
// (locales/strategies.en.yaml) loads as English, and that every message the
// strategy templates and code ask for is in a catalog.
func TestStrategyMessagesLoad(t *testing.T) {
	b, err := newBundle()
	if err != nil {
		t.Fatal(err)
	}
	w := newWords(b, language.English)
	if got := w.T("strategy.status.on_schedule", nil); got != "On schedule" {
		t.Fatalf("strategy.status.on_schedule = %q: the strategies catalog did not load as English", got)
	}
	ids := map[string]bool{}
	tre := regexp.MustCompile(`\bt \$?\.W "([a-z0-9_.]+)"`)
	for _, name := range []string{"templates/strategy.html", "templates/late.html", "templates/_strategy.html"} {
		src, err := templateFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tre.FindAllStringSubmatch(string(src), -1) {
			ids[m[1]] = true
		}
	}
	for _, s := range plan.ProgressStatuses {
		ids["strategy.status."+s.Key()] = true
		ids["rollup.strategies.part."+s.Key()] = true
	}
	for _, id := range []string{"strategy.status.none", "strategy.late_days", "strategy.update_overdue", "strategy.percent", "strategy.cadence_value",
		"strategy.late_strategy", "strategy.late_milestones", "strategy.overdue_detail", "strategy.summary", "strategy.form.saved", "strategy.form.same",
		"rollup.strategies", "rollup.strategies.part.none", "rollup.strategies.late", "rollup.strategies.update_overdue", "late.strategy_itself",
		"late.milestone", "late.no_department", "late.sorted_by_days", "late.sorted_by_department", "strategy.milestones.summary",
		"strategy.milestones.summary_late", "strategy.milestones.none", "strategy.chart.today", "strategy.chart.strategy_due", "strategy.chart.due",
		"strategy.chart.done", "strategy.chart.late", "scorecard.rollup_rule_strategies", "grain.quarter"} {
		ids[id] = true
	}
	if len(ids) < 40 {
		t.Fatalf("found only %d message ids; the patterns are out of date", len(ids))
	}
	for id := range ids {
		if got := w.T(id, map[string]any{}); got == id {
			t.Errorf("message %s is missing from the catalogs", id)
		}
	}
}
