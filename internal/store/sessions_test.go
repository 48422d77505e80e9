package store

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSessionStorage(t *testing.T) {
	s, path := openTemp(t)
	st := s.SessionStorage()
	get := func(key string) []byte {
		t.Helper()
		v, err := st.Get(key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get("nobody"); v != nil {
		t.Fatalf("a key never set: %q", v)
	}
	if err := st.Set("session-1", []byte("uid=7"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.Set("token-1", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if err := st.Set("short", []byte("soon gone"), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if v := get("session-1"); string(v) != "uid=7" {
		t.Fatalf("session-1 = %q", v)
	}
	if v := get("short"); string(v) != "soon gone" {
		t.Fatalf("short = %q before it expires", v)
	}
	time.Sleep(100 * time.Millisecond)
	if v := get("short"); v != nil {
		t.Fatalf("short = %q after it expired", v)
	}

	// The database holds hashes of the keys, never the keys.
	var keys string
	if err := s.db.QueryRow(`SELECT string_agg(key, ' ') FROM web_sessions`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(keys, "session-1") || strings.Contains(keys, "token-1") {
		t.Fatalf("the keys are stored as they are: %s", keys)
	}

	if err := st.Set("session-1", []byte("uid=7;seen=1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v := get("session-1"); string(v) != "uid=7;seen=1" {
		t.Fatalf("a changed value was not written: %q", v)
	}

	// Sessions outlive the process; backups leave them out.
	s.Close()
	s2, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	st2 := s2.SessionStorage()
	if v, err := st2.Get("session-1"); err != nil || string(v) != "uid=7;seen=1" {
		t.Fatalf("after reopening: %q %v", v, err)
	}
	backup := filepath.Join(t.TempDir(), "b.duckdb")
	if err := s2.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), backup, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.db.QueryRow(`SELECT count(*) FROM web_sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the backup holds %d sessions (%v), want none", n, err)
	}
	b.Close()

	if err := st2.Delete("session-1"); err != nil {
		t.Fatal(err)
	}
	if v, _ := st2.Get("session-1"); v != nil {
		t.Fatal("a deleted session is still there")
	}
	if err := st2.Set("session-1", []byte("uid=7;seen=1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, _ := st2.Get("session-1"); !bytes.Equal(v, []byte("uid=7;seen=1")) {
		t.Fatal("a session set again after its deletion was not written")
	}
	if err := st2.Reset(); err != nil {
		t.Fatal(err)
	}
	if v, _ := st2.Get("token-1"); v != nil {
		t.Fatal("Reset left a token")
	}
}
