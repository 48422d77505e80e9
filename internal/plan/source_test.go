package plan

import (
	"os"
	"strings"
	"testing"
	"time"
)

// withSources is the valid test plan with a sources (and alerts) section.
func withSources(t *testing.T, extra string) []byte {
	t.Helper()
	base, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return append(append(base, '\n'), []byte(extra)...)
}

func TestSourcesValid(t *testing.T) {
	src := withSources(t, `sources:
  - name: revenue-inbox
    path: inbox/revenue/
    glob: ["*.xlsx", "*.csv"]
    dataset: revenue
  - name: ntd
    kind: url
    url: https://example.org/ntd.xlsx?api_key={env.NTD_KEY}
    timeout: 30s
    max_bytes: 20MB
    headers: {Authorization: "Bearer {env.NTD_TOKEN}"}
    profile: ntd-monthly-ridership
    schedule: "15 4 * * 1"
    retries: 5
  - name: budget
    kind: file
    file: /srv/finance/budget.xlsx
    dataset: revenue
alerts:
  webhook: {url: "https://hooks.example.org/x", token: "{env.HOOK_TOKEN}"}
  email: {to: [it@example.org], from: plandash@example.org, smtp: "mail.example.org:587", username: plandash, password: "{env.SMTP_PASSWORD}"}
`)
	p, probs, err := Parse("plan.yaml", src)
	if err != nil {
		t.Fatalf("%v", err)
	}
	for _, pr := range probs {
		if strings.Contains(pr.Message, "source") || strings.Contains(pr.Message, "alerts") {
			t.Errorf("unexpected problem: %s", pr)
		}
	}
	in := p.SourceNamed("revenue-inbox")
	if in == nil || in.Kind != SourceFolder || in.ScheduleOrDefault() != DefaultSchedule || in.RetriesOrDefault() != 3 || in.MaxBytesOrDefault() != 100<<20 {
		t.Fatalf("defaults of a folder source: %+v", in)
	}
	if in.Where() != "inbox/revenue/*.xlsx,*.csv" {
		t.Errorf("Where = %q", in.Where())
	}
	ntd := p.SourceNamed("ntd")
	if ntd.TimeoutOrDefault() != 30*time.Second || ntd.MaxBytesOrDefault() != 20<<20 || ntd.RetriesOrDefault() != 5 || ntd.Spec == nil {
		t.Fatalf("url source: %+v", ntd)
	}
	if p.Alerts == nil || p.Alerts.Email == nil || p.Alerts.Email.To[0] != "it@example.org" {
		t.Fatalf("alerts: %+v", p.Alerts)
	}
}

func TestSourceProblemsNameTheLine(t *testing.T) {
	cases := []struct {
		name, yaml, want, at string
		warning              bool
	}{
		{"bad kind", "  - name: x\n    kind: ftp\n    path: a/\n", `kind "ftp" must be folder, url or file`, "kind: ftp", false},
		{"bad cron", "  - name: x\n    path: a/\n    schedule: \"61 3 * * *\"\n", "bad schedule", "schedule:", false},
		{"four fields", "  - name: x\n    path: a/\n    schedule: \"15 3 * *\"\n", "has 4 field(s)", "schedule:", false},
		{"unknown dataset", "  - name: x\n    path: a/\n    dataset: nope\n", `unknown dataset "nope"`, "dataset: nope", false},
		{"unknown profile", "  - name: x\n    path: a/\n    profile: nope\n", `unknown profile "nope"`, "profile: nope", false},
		{"ftp url", "  - name: x\n    url: ftp://example.org/f.csv\n", "is not an http or https URL", "url:", false},
		{"bad placeholder", "  - name: x\n    url: https://example.org/f.csv?k={env.}\n", "{env.NAME}", "url:", false},
		{"url key on a folder", "  - name: x\n    kind: folder\n    path: a/\n    url: https://example.org/\n", "url applies to url sources", "url:", false},
		{"literal secret", "  - name: x\n    url: https://example.org/f.csv\n    headers: {Authorization: Bearer abc123}\n", "looks like a secret", "headers:", true},
		{"changeover hours", "  - name: x\n    path: a/\n    schedule: \"0 2 * * *\"\n", "between 01:00 and 03:00", "schedule:", true},
		{"unknown key", "  - name: x\n    path: a/\n    folder: b/\n", `unknown key "folder"`, "folder:", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := withSources(t, "sources:\n"+tc.yaml)
			_, probs, _ := Parse("plan.yaml", src)
			lines := strings.Split(string(src), "\n")
			found := false
			for _, pr := range probs {
				if !strings.Contains(pr.Message, tc.want) {
					continue
				}
				found = true
				if pr.Warning != tc.warning {
					t.Errorf("warning = %v, want %v: %s", pr.Warning, tc.warning, pr)
				}
				if pr.Line < 1 || pr.Line > len(lines) || !strings.Contains(lines[pr.Line-1], tc.at) {
					t.Errorf("problem on line %d, not on the line with %q: %s", pr.Line, tc.at, pr)
				}
				if !strings.HasPrefix(pr.String(), "plan.yaml:") {
					t.Errorf("problem without file:line: %s", pr)
				}
			}
			if !found {
				t.Fatalf("no problem %q in %v", tc.want, probs)
			}
		})
	}
}

func TestAlertProblems(t *testing.T) {
	src := withSources(t, "alerts:\n  email: {to: [not-an-address], from: x@example.org, smtp: mail.example.org, password: hunter2}\n")
	_, probs, err := Parse("plan.yaml", src)
	if err == nil {
		t.Fatal("bad alerts accepted")
	}
	for _, want := range []string{`"not-an-address" is not an email address`, "must be host:port", "looks like a secret", "a password needs a username"} {
		found := false
		for _, pr := range probs {
			found = found || strings.Contains(pr.Message, want)
		}
		if !found {
			t.Errorf("no problem %q in %v", want, probs)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"A": "1", "B_2": "two"}
	got, err := ExpandEnv("x={env.A}&y={env.B_2}", func(k string) string { return env[k] })
	if err != nil || got != "x=1&y=two" {
		t.Fatalf("ExpandEnv = %q, %v", got, err)
	}
	if _, err := ExpandEnv("{env.MISSING}", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "MISSING") {
		t.Fatalf("a missing variable: %v", err)
	}
}

func TestParseCron(t *testing.T) {
	c, err := ParseCron(DefaultSchedule)
	if err != nil {
		t.Fatal(err)
	}
	if got := CronValues(c.Minute); len(got) != 1 || got[0] != 15 {
		t.Errorf("minutes %v", got)
	}
	if got := CronValues(c.Hour); len(got) != 1 || got[0] != 3 {
		t.Errorf("hours %v", got)
	}
	if !c.DomStar || !c.DowStar || !c.MonthStar || c.RunsInChangeover() {
		t.Errorf("default schedule: %+v", c)
	}
	c, err = ParseCron("*/15 8-17 * JAN,jul mon-fri")
	if err != nil {
		t.Fatal(err)
	}
	if got := CronValues(c.Minute); len(got) != 4 || got[3] != 45 {
		t.Errorf("*/15: %v", got)
	}
	if got := CronValues(c.Dow); len(got) != 5 || got[0] != 1 {
		t.Errorf("mon-fri: %v", got)
	}
	if got := CronValues(c.Month); len(got) != 2 || got[1] != 7 {
		t.Errorf("JAN,jul: %v", got)
	}
	for _, bad := range []string{"", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 7", "5-1 * * * *",
		"*/0 * * * *", "@often", "@every 5s", "TZ=UTC 15 3 * * *", "a * * * *"} {
		if _, err := ParseCron(bad); err == nil {
			t.Errorf("ParseCron(%q) accepted", bad)
		}
	}
}
