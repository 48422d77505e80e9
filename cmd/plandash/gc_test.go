package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// The server collects at GOGC 50 without a heap ceiling; an import or a
// rebuild at Go's pace under a 64 MiB ceiling; the environment wins over
// either.
func TestTuneGC(t *testing.T) {
	pct := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	})
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tt := range []struct {
		args    []string
		getenv  func(string) string
		percent int
		limit   int64
	}{
		{[]string{"serve"}, env(), 50, math.MaxInt64},
		{nil, env(), 50, math.MaxInt64},
		{[]string{"import", "f.xlsx"}, env(), 100, 64 << 20},
		{[]string{"rebuild"}, env(), 100, 64 << 20},
		{[]string{"serve"}, env("GOGC", "200"), 100, math.MaxInt64},
		{[]string{"import", "f.xlsx"}, env("GOMEMLIMIT", "1GiB"), 100, math.MaxInt64},
	} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		tuneGC(tt.args, tt.getenv)
		if got := debug.SetGCPercent(100); got != tt.percent {
			t.Errorf("%v: GOGC %d, want %d", tt.args, got, tt.percent)
		}
		if got := debug.SetMemoryLimit(-1); got != tt.limit {
			t.Errorf("%v: memory limit %d, want %d", tt.args, got, tt.limit)
		}
	}
}
