package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/auth"
)

func TestExportsAreSafeAndObeyVisibility(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	tok := newToken(t, s, "ed", auth.RoleEditor)
	csvData := "Month,Mode,Type of service,Unlinked passenger trips\n2026-10,=1+1,PT,91000\n2026-10,-5 minus,PT,-3\n"
	if code, rep := postFile(t, base+"/api/v1/imports", tok, "f.csv", []byte(csvData), map[string]string{"dataset": "transit_ridership"}); code != 200 {
		t.Fatalf("import: %d %v", code, rep)
	}
	code, body := get(t, base+"/datasets/transit_ridership/data.csv")
	if code != 200 {
		t.Fatalf("dataset CSV: %d", code)
	}
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	var modes []string
	for _, rec := range recs {
		if strings.HasPrefix(rec[0], "#") {
			continue
		}
		if header == nil {
			header = rec
			continue
		}
		modes = append(modes, rec[1])
	}
	if !strings.Contains(body, "# As of: 2026-11-26") || header[4] != "unlinked_trips (trips)" {
		t.Errorf("the CSV does not say its date and units:\n%.300s", body)
	}
	found := false
	for _, m := range modes {
		if m == "'=1+1" {
			found = true
		}
		if m == "=1+1" {
			t.Fatal("a formula in a text cell is exported as a formula")
		}
	}
	if !found || !strings.Contains(body, ",-3,") && !strings.Contains(body, ",-3\n") {
		t.Errorf("text not neutralised or a negative number was: %v\n%s", modes, body)
	}
	// The same data as Excel: the formula text stays a string cell.
	resp, err := http.Get(base + "/datasets/transit_ridership/data.xlsx")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("xlsx: %v %v", resp, err)
	}
	f, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Data")
	if len(rows) != 3 {
		t.Fatalf("xlsx rows %v", rows)
	}
	for _, cell := range []string{"B2", "B3"} {
		v, _ := f.GetCellValue("Data", cell)
		formula, _ := f.GetCellFormula("Data", cell)
		typ, _ := f.GetCellType("Data", cell)
		if formula != "" || (v == "=1+1" && typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString) {
			t.Fatalf("text cell %s (%q) is a formula %q or not a string (type %v)", cell, v, formula, typ)
		}
	}
	// Indicator series.
	code, body = get(t, base+"/indicators/transit-boardings/data.csv")
	if code != 200 || !strings.Contains(body, "2026-10,Oct 2026,90997") {
		t.Fatalf("indicator CSV: %d\n%s", code, body)
	}
	// Non-public columns are not in anonymous exports; signed-in staff get them.
	_, body = get(t, base+"/datasets/shelter_beds/data.csv")
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "date,") && (strings.Contains(line, "site") || strings.Contains(line, "provider")) {
			t.Errorf("the anonymous shelter export has non-public columns: %s", line)
		}
	}
	if strings.Contains(body, "Site A") || strings.Contains(body, "Provider 1") {
		t.Error("the anonymous shelter export names sites or providers")
	}
	cl := newClient(t, base)
	cl.signIn("ed", "editor password!")
	if _, body, _ := cl.do("GET", "/datasets/shelter_beds/data.csv", nil, nil); !strings.Contains(body, "Site A") {
		t.Error("staff exports lack the sites")
	}
	// Rows API, paged.
	code, body = get(t, base+"/api/v1/datasets/shelter_beds/rows?limit=5")
	if code != 200 || strings.Contains(body, `"site"`) || !strings.Contains(body, `"next"`) {
		t.Fatalf("rows API: %d %.300s", code, body)
	}
}

func TestExportParquet(t *testing.T) {
	getenv := env(t, nil)
	// A first command creates the database with its sample data.
	s := func() {
		cfg, _, _ := flags("serve", []string{"--addr", "127.0.0.1:0"}, io.Discard, getenv, nil)
		p, _ := loadPlan(cfg.Plan, io.Discard)
		srv, err := startServer(context.Background(), cfg, p, newLogger(cfg, io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		srv.Shutdown(0)
	}
	s()
	dir := t.TempDir()
	code, out, errOut := runCmd(t, getenv, "export", "--parquet", dir)
	if code != 0 {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	var cols string
	if err := db.QueryRow("SELECT count(*) FROM read_parquet(?)", filepath.Join(dir, "shelter_beds.parquet")).Scan(&n); err != nil || n == 0 {
		t.Fatalf("parquet rows: %d %v", n, err)
	}
	if err := db.QueryRow("SELECT string_agg(name, ',') FROM parquet_schema(?)", filepath.Join(dir, "shelter_beds.parquet")).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cols, "site") || strings.Contains(cols, "provider") {
		t.Fatalf("the Parquet export has non-public columns: %s", cols)
	}
}
