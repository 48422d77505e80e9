package config

import (
	"flag"
	"io"
	"testing"
)

// DuckDB's threads and memory come from the environment unless a flag
// says otherwise, with defaults when neither does.
func TestDuckDBSettingsFromEnvironmentAndFlags(t *testing.T) {
	parse := func(env map[string]string, args ...string) *Raw {
		t.Helper()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		r := Register(fs, func(k string) string { return env[k] })
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := parse(nil); r.Threads != 2 || r.MemoryLimit != "256MB" {
		t.Errorf("defaults: %d threads, %s", r.Threads, r.MemoryLimit)
	}
	env := map[string]string{"PLANDASH_THREADS": "4", "PLANDASH_MEMORY_LIMIT": "1GB"}
	if r := parse(env); r.Threads != 4 || r.MemoryLimit != "1GB" {
		t.Errorf("from the environment: %d threads, %s", r.Threads, r.MemoryLimit)
	}
	if r := parse(env, "--threads", "1", "--memory-limit", "128MB"); r.Threads != 1 || r.MemoryLimit != "128MB" {
		t.Errorf("flags over the environment: %d threads, %s", r.Threads, r.MemoryLimit)
	}
}
