package web

import (
	"testing"

	"golang.org/x/text/language"
)

func TestDescribeSchedule(t *testing.T) {
	b, err := newBundle()
	if err != nil {
		t.Fatal(err)
	}
	w := newWords(b, language.English)
	for expr, want := range map[string]string{
		"15 3 * * *":     "every day at 03:15",
		"0 6 * * 1-5":    "every Monday, Tuesday, Wednesday, Thursday and Friday at 06:00",
		"30 4 1 * *":     "on day 1 of the month at 04:30",
		"0 5,17 * * *":   "every day at 05:00, 17:00",
		"15 * * * *":     "every hour at minute 15",
		"*/15 * * * *":   "every 15 minutes",
		"0 4 * 1,7 *":    "every day at 04:00 in January and July",
		"0 4 1 * 1":      "on day 1 of the month and every Monday at 04:00",
		"15 * * * 0":     "every Sunday, every hour at minute 15",
		"@daily":         "every day at 00:00",
		"@every 6h":      "every 6h0m0s",
		"*/7 1-20 * * *": "on the cron schedule */7 1-20 * * *",
		"not cron":       "not cron",
	} {
		if got := describeSchedule(expr, w); got != want {
			t.Errorf("%q: %q, want %q", expr, got, want)
		}
	}
}
