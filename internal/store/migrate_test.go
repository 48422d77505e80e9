package store

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

// Pending migrations run in order in one transaction: when one fails none
// is kept; once they pass they are not run again; one numbered below an
// applied one still runs.
func TestMigrationsAllOrNothing(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	exists := func(table string) bool {
		t.Helper()
		var n int
		if err := s.db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	applied := func() string {
		t.Helper()
		var v string
		if err := s.db.QueryRow(`SELECT coalesce(string_agg(version::VARCHAR, ' ' ORDER BY version), '') FROM schema_migrations WHERE version >= 900`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	bad := fstest.MapFS{
		"migrations/901_one.sql": {Data: []byte("CREATE TABLE mig_one (x INTEGER);")},
		"migrations/902_two.sql": {Data: []byte("CREATE TABLE mig_two (x INTEGER;")},
	}
	err := s.migrate(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "902_two.sql") {
		t.Fatalf("a broken migration: %v, want an error naming it", err)
	}
	if exists("mig_one") || applied() != "" {
		t.Fatalf("after a failed migration: mig_one kept %v, applied %q; want nothing kept", exists("mig_one"), applied())
	}

	good := fstest.MapFS{
		"migrations/901_one.sql": bad["migrations/901_one.sql"],
		"migrations/902_two.sql": {Data: []byte("CREATE TABLE mig_two (x INTEGER); INSERT INTO mig_two VALUES (1);")},
	}
	for range 2 { // the second time there is nothing to do
		if err := s.migrate(ctx, good); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM mig_two`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("mig_two has %d rows (%v): a migration ran again", n, err)
	}
	if !exists("mig_one") || applied() != "901 902" {
		t.Fatalf("applied %q", applied())
	}
	good["migrations/900_before.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE mig_before (x INTEGER);")}
	if err := s.migrate(ctx, good); err != nil {
		t.Fatal(err)
	}
	if !exists("mig_before") || applied() != "900 901 902" {
		t.Fatalf("a migration numbered below applied ones: applied %q", applied())
	}
}
