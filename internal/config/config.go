// Package config reads plandash's configuration from command-line flags with
// environment-variable fallbacks, the same for every subcommand. It returns a
// value; nothing is kept in package state.
package config

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration of one run.
type Config struct {
	Plan string
	DB   string
	Addr string
	// Now fixes the clock (for tests, demos and reproducible status); zero
	// means the real clock.
	Now time.Time
	// Archive is where every imported file is kept by hash.
	Archive string
	// Threads and MemoryLimit cap DuckDB.
	Threads     int
	MemoryLimit string
	// LogFormat is text or json.
	LogFormat string
	// Public makes the scorecard readable without signing in.
	Public bool
	// TrustedProxies lists the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// UploadLimit caps uploaded files, in bytes.
	UploadLimit int64
	// Secure marks cookies Secure, for a server reached over TLS.
	Secure bool
	// EmbedOrigins are the sites allowed to frame /embed pages.
	EmbedOrigins []string
	// TLSCert and TLSKey make the server speak https itself (and mark
	// cookies Secure).
	TLSCert, TLSKey string
	// Settle is how long a file in a drop folder must stay unchanged before
	// it is taken; Backoff the first wait before a failed download is tried
	// again (doubling). Zero means the schedule's defaults (2s, 30s).
	Settle, Backoff time.Duration
}

// Defaults as documented in the README.
const (
	DefaultPlan = "data/norwalk-2023-2025.yaml"
	DefaultDB   = "data/plandash.duckdb"
	DefaultAddr = ":8080"
)

// Register adds the common flags to fs, with defaults taken from the
// environment (getenv) where set.
func Register(fs *flag.FlagSet, getenv func(string) string) *Raw {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	r := &Raw{}
	fs.StringVar(&r.Plan, "plan", env("PLANDASH_PLAN", DefaultPlan), "plan file (env PLANDASH_PLAN)")
	fs.StringVar(&r.DB, "db", env("PLANDASH_DB", DefaultDB), "database file (env PLANDASH_DB)")
	fs.StringVar(&r.Addr, "addr", env("PLANDASH_ADDR", DefaultAddr), "address to listen on (env PLANDASH_ADDR)")
	fs.StringVar(&r.Now, "now", env("PLANDASH_NOW", ""), "fixed clock, YYYY-MM-DD or RFC 3339 (env PLANDASH_NOW; default: the real clock)")
	fs.StringVar(&r.Archive, "archive", env("PLANDASH_ARCHIVE", ""), "archive folder (env PLANDASH_ARCHIVE; default: archive/ beside the database)")
	fs.IntVar(&r.Threads, "threads", envInt(getenv, "PLANDASH_THREADS", 2), "DuckDB threads (env PLANDASH_THREADS)")
	fs.StringVar(&r.MemoryLimit, "memory-limit", env("PLANDASH_MEMORY_LIMIT", "256MB"), "DuckDB memory limit (env PLANDASH_MEMORY_LIMIT)")
	fs.StringVar(&r.LogFormat, "log-format", env("PLANDASH_LOG_FORMAT", "text"), "log format: text or json (env PLANDASH_LOG_FORMAT)")
	fs.StringVar(&r.Public, "public", env("PLANDASH_PUBLIC", "true"), "scorecard readable without signing in: true or false (env PLANDASH_PUBLIC)")
	fs.StringVar(&r.TrustedProxies, "trusted-proxies", env("PLANDASH_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of reverse proxies (env PLANDASH_TRUSTED_PROXIES)")
	fs.IntVar(&r.UploadMB, "upload-limit-mb", envInt(getenv, "PLANDASH_UPLOAD_LIMIT_MB", 100), "largest upload in MB (env PLANDASH_UPLOAD_LIMIT_MB)")
	fs.StringVar(&r.Embed, "embed-origins", env("PLANDASH_EMBED_ORIGINS", ""), "space- or comma-separated origins allowed to frame /embed pages, e.g. https://www.norwalk.org (env PLANDASH_EMBED_ORIGINS)")
	fs.StringVar(&r.TLSCert, "tls-cert", env("PLANDASH_TLS_CERT", ""), "TLS certificate file (PEM, with its chain): serve https (env PLANDASH_TLS_CERT)")
	fs.StringVar(&r.TLSKey, "tls-key", env("PLANDASH_TLS_KEY", ""), "TLS private key file (PEM) of --tls-cert (env PLANDASH_TLS_KEY)")
	fs.DurationVar(&r.Settle, "settle-interval", envDuration(getenv, "PLANDASH_SETTLE_INTERVAL", 2*time.Second), "how long a file in a drop folder must stay unchanged before it is taken (env PLANDASH_SETTLE_INTERVAL)")
	fs.DurationVar(&r.Backoff, "retry-backoff", envDuration(getenv, "PLANDASH_RETRY_BACKOFF", 30*time.Second), "first wait before a failed download or alert is tried again, doubling (env PLANDASH_RETRY_BACKOFF)")
	fs.StringVar(&r.Secure, "secure-cookies", env("PLANDASH_SECURE_COOKIES", "false"), "mark cookies Secure, for a server reached over https (env PLANDASH_SECURE_COOKIES)")
	return r
}

// Raw holds flag values before they are checked.
type Raw struct {
	Plan, DB, Addr, Now, Archive, MemoryLimit, LogFormat string
	Public, TrustedProxies, Secure, Embed                string
	Threads, UploadMB                                    int
	TLSCert, TLSKey                                      string
	Settle, Backoff                                      time.Duration
}

func envDuration(getenv func(string) string, k string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

func envInt(getenv func(string) string, k string, def int) int {
	if v, err := strconv.Atoi(getenv(k)); err == nil {
		return v
	}
	return def
}

func parseBool(name, v string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, fmt.Errorf("config: --%s must be true or false, not %q", name, v)
	}
	return b, nil
}

// Resolve checks the raw values and returns the configuration.
func (r *Raw) Resolve() (Config, error) {
	c := Config{Plan: r.Plan, DB: r.DB, Addr: r.Addr, Archive: r.Archive, Threads: r.Threads, MemoryLimit: r.MemoryLimit, LogFormat: r.LogFormat}
	if r.Now != "" {
		t, err := ParseNow(r.Now)
		if err != nil {
			return c, err
		}
		c.Now = t
	}
	if c.Archive == "" {
		c.Archive = filepath.Join(filepath.Dir(c.DB), "archive")
	}
	var err error
	if c.Public, err = parseBool("public", r.Public); err != nil {
		return c, err
	}
	if c.Secure, err = parseBool("secure-cookies", r.Secure); err != nil {
		return c, err
	}
	if (r.TLSCert == "") != (r.TLSKey == "") {
		return c, fmt.Errorf("config: --tls-cert and --tls-key go together: give both, or neither")
	}
	c.TLSCert, c.TLSKey, c.Settle, c.Backoff = r.TLSCert, r.TLSKey, r.Settle, r.Backoff
	if c.TLSCert != "" {
		c.Secure = true // cookies sent over https only
	}
	for _, p := range strings.Split(r.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	for _, o := range strings.FieldsFunc(r.Embed, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.HasPrefix(o, "https://") && !strings.HasPrefix(o, "http://") {
			return c, fmt.Errorf("config: --embed-origins: %q must start with https:// or http://", o)
		}
		c.EmbedOrigins = append(c.EmbedOrigins, o)
	}
	if r.UploadMB < 1 {
		return c, fmt.Errorf("config: --upload-limit-mb must be at least 1")
	}
	c.UploadLimit = int64(r.UploadMB) << 20
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("config: --log-format must be text or json, not %q", c.LogFormat)
	}
	return c, nil
}

// ParseNow reads a fixed clock: a date (noon UTC, so every time zone agrees
// on the day) or an RFC 3339 time.
func ParseNow(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(12 * time.Hour), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("config: --now %q is not YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t, nil
}

// Clock returns the time now: the fixed clock when set, else the real one.
func (c Config) Clock() func() time.Time {
	if !c.Now.IsZero() {
		fixed := c.Now
		return func() time.Time { return fixed }
	}
	return time.Now
}
