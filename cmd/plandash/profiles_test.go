package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plandash/plandash/internal/plan"
)

func realFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("../../ingest/testdata/real", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// sumBeds adds the current beds of the given geography and bed types.
func sumBeds(t *testing.T, getenv func(string) string, geo string, types ...string) float64 {
	t.Helper()
	cfg, _, err := flags("check", nil, nil, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := plan.LoadFile(cfg.Plan)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := geo
	cells, err := st.Aggregate(context.Background(), plan.Query{Dataset: p.Datasets["shelter_beds"], Measure: plan.Measure{Agg: "sum", Column: "beds"},
		Time: "date", Grain: plan.Year, Filters: []plan.Filter{{Column: "geography", Equals: &g}, {Column: "bed_type", In: types}}})
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, c := range cells {
		total += c.Value
	}
	return total
}

func TestImportRealFilesWithoutNamingAProfile(t *testing.T) {
	getenv := env(t, nil)
	code, out, errOut := runCmd(t, getenv, "import", realFile(t, "2024-HIC-Counts-by-CoC.csv"))
	if code != 0 {
		t.Fatalf("HIC import: %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"profile:   hud-hic-by-coc (detected", "kept:      1 of 385 rows where CoC is CA-600", "skipped:   1 total row"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if got := sumBeds(t, getenv, "CA-600", "ES", "TH", "SH"); got != 26609 {
		t.Fatalf("CA-600 year-round ES+TH+SH beds: %v, want 26,609", got)
	}

	// The AFDC download is for Washington: no row is Norwalk's, so it is
	// refused with the numbers, unless forced.
	afdc := realFile(t, "afdc_alt_fuel_stations_WA_ELEC_sample.csv")
	code, out, _ = runCmd(t, getenv, "import", afdc)
	if code != 1 || !strings.Contains(out, "0 of 2,252 rows matched State is CA") {
		t.Fatalf("AFDC for another state: %d\n%s", code, out)
	}
}

func TestReplaceRemovingMostRowsNeedsForce(t *testing.T) {
	getenv := env(t, nil)
	dir := t.TempDir()
	write := func(name string, ids ...string) string {
		var b strings.Builder
		b.WriteString("Station ID,Open date,City,Level 2 ports\n")
		for _, id := range ids {
			b.WriteString(id + ",2024-05-01,Norwalk,2\n")
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	full := write("stations.csv", "1", "2", "3", "4", "5", "6")
	if code, out, _ := runCmd(t, getenv, "import", "--dataset", "ev_chargers", full); code != 0 {
		t.Fatalf("first import: %s", out)
	}
	short := write("stations-short.csv", "1", "2")
	code, out, _ := runCmd(t, getenv, "import", "--dataset", "ev_chargers", short)
	if code != 1 || !strings.Contains(out, "would remove 4 of the 6 current rows of ev_chargers") {
		t.Fatalf("a replace removing 4 of 6 rows: %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, getenv, "import", "--dataset", "ev_chargers", "--force", short)
	if code != 0 || !strings.Contains(out, "2 loaded") {
		t.Fatalf("forced: %d\n%s", code, out)
	}
}
