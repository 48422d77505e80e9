package plan

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kinds of source.
const (
	SourceFolder = "folder" // a drop folder: each new file is imported, then moved aside
	SourceURL    = "url"    // a download, fetched again when it changes
	SourceFile   = "file"   // a fixed path, read again when it changes
)

// Defaults of a source.
const (
	DefaultSourceTimeout  = 60 * time.Second
	DefaultSourceMaxBytes = 100 << 20
	DefaultSourceRetries  = 3
)

// SourceDef is a source as the plan file declares it: a place checked on a
// schedule for new data, a drop folder, a URL or a file. Relative paths are resolved against the folder that holds
// the database (where the archive is kept too).
type SourceDef struct {
	Pos  `yaml:"-"`
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// Path is a drop folder; Glob the names taken from it (default: all).
	Path string `yaml:"path"`
	Glob Texts  `yaml:"glob"`
	// URL is fetched with conditional GET; Timeout bounds one attempt and
	// MaxBytes the download.
	URL      string   `yaml:"url"`
	Timeout  string   `yaml:"timeout"`
	MaxBytes ByteSize `yaml:"max_bytes"`
	// File is a fixed path read again whenever it changes.
	File string `yaml:"file"`
	// Dataset and Profile say how files are read, as on upload; Set gives
	// the values a profile asks for at import time.
	Dataset string            `yaml:"dataset"`
	Profile string            `yaml:"profile"`
	Set     map[string]string `yaml:"set"`
	// Schedule is a cron expression in the plan's time zone.
	Schedule string `yaml:"schedule"`
	// Headers are sent with a URL's request; secrets come from the
	// environment as {env.NAME}.
	Headers map[string]string `yaml:"headers"`
	// Retries is how often a transient failure (a timeout, a 5xx answer) is
	// tried again within one run.
	Retries *int `yaml:"retries"`

	// Spec is the parsed schedule (set by validation).
	Spec    *CronSpec     `yaml:"-"`
	timeout time.Duration // resolved Timeout
}

// UnmarshalYAML records the source's position.
func (s *SourceDef) UnmarshalYAML(n *yaml.Node) error {
	type raw SourceDef
	return decodeWithPos(n, (*raw)(s), &s.Pos)
}

// TimeoutOrDefault is the time one URL attempt may take.
func (s *SourceDef) TimeoutOrDefault() time.Duration {
	if s.timeout > 0 {
		return s.timeout
	}
	if d, err := time.ParseDuration(s.Timeout); err == nil && d > 0 {
		return d
	}
	return DefaultSourceTimeout
}

// MaxBytesOrDefault is the largest file the source takes.
func (s *SourceDef) MaxBytesOrDefault() int64 {
	if s.MaxBytes > 0 {
		return int64(s.MaxBytes)
	}
	return DefaultSourceMaxBytes
}

// RetriesOrDefault is how often a transient failure is tried again.
func (s *SourceDef) RetriesOrDefault() int {
	if s.Retries != nil {
		return *s.Retries
	}
	return DefaultSourceRetries
}

// ScheduleOrDefault is the source's cron expression.
func (s *SourceDef) ScheduleOrDefault() string {
	if strings.TrimSpace(s.Schedule) == "" {
		return DefaultSchedule
	}
	return s.Schedule
}

// Globs are the name patterns a folder source takes.
func (s *SourceDef) Globs() []string {
	if len(s.Glob) == 0 {
		return []string{"*"}
	}
	return s.Glob
}

// Where says where the source looks, as written in the plan file (a URL
// keeps its {env.NAME} placeholders, never the secrets).
func (s *SourceDef) Where() string {
	switch s.Kind {
	case SourceFolder:
		return strings.TrimSuffix(s.Path, "/") + "/" + strings.Join(s.Globs(), ",")
	case SourceURL:
		return s.URL
	}
	return s.File
}

// SourceNamed returns the source with the name, or nil.
func (p *Plan) SourceNamed(name string) *SourceDef {
	for _, s := range p.Sources {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// ByteSize is a size in bytes, written as a number or with a unit (100MB).
type ByteSize int64

var byteSizeRe = regexp.MustCompile(`^(?i)\s*([0-9]+)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$`)

// UnmarshalYAML reads 1048576, "512KB", "100 MB" or "1GB" (units of 1024).
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	m := byteSizeRe.FindStringSubmatch(n.Value)
	if n.Kind != yaml.ScalarNode || m == nil {
		return typeErr(n, "a size such as 100MB")
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return typeErr(n, "a size such as 100MB")
	}
	switch strings.ToLower(m[2]) {
	case "kb", "kib":
		v <<= 10
	case "mb", "mib":
		v <<= 20
	case "gb", "gib":
		v <<= 30
	}
	*b = ByteSize(v)
	return nil
}

// Alerts say where plandash reports failed scheduled runs, sources that keep
// failing, and indicators that go off track or overdue (and back).
type Alerts struct {
	Pos     `yaml:"-"`
	Webhook *WebhookAlert `yaml:"webhook"`
	Email   *EmailAlert   `yaml:"email"`
}

// UnmarshalYAML records the position.
func (a *Alerts) UnmarshalYAML(n *yaml.Node) error {
	type raw Alerts
	return decodeWithPos(n, (*raw)(a), &a.Pos)
}

// WebhookAlert is a URL that receives each alert as a JSON POST.
type WebhookAlert struct {
	Pos `yaml:"-"`
	URL string `yaml:"url"`
	// Token is sent as Authorization: Bearer TOKEN; write it as {env.NAME}.
	Token   string            `yaml:"token"`
	Headers map[string]string `yaml:"headers"`
}

// UnmarshalYAML records the position.
func (w *WebhookAlert) UnmarshalYAML(n *yaml.Node) error {
	type raw WebhookAlert
	return decodeWithPos(n, (*raw)(w), &w.Pos)
}

// EmailAlert sends each alert as a plain-text email over SMTP.
type EmailAlert struct {
	Pos  `yaml:"-"`
	To   Texts  `yaml:"to"`
	From string `yaml:"from"`
	// SMTP is host:port. Port 465 speaks TLS from the start; others use
	// STARTTLS when the server offers it. A user name and password are
	// sent (PLAIN) only over TLS or to localhost.
	SMTP     string `yaml:"smtp"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// UnmarshalYAML records the position.
func (e *EmailAlert) UnmarshalYAML(n *yaml.Node) error {
	type raw EmailAlert
	return decodeWithPos(n, (*raw)(e), &e.Pos)
}

var (
	envRe        = regexp.MustCompile(`\{env\.([A-Za-z_][A-Za-z0-9_]*)\}`)
	sourceNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	headerNameRe = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
	secretNameRe = regexp.MustCompile(`(?i)authorization|token|secret|password|passwd|api[-_]?key|^key$`)
)

// ExpandEnv replaces each {env.NAME} in s with the environment variable's
// value; a variable that is not set is an error naming it.
func ExpandEnv(s string, getenv func(string) string) (string, error) {
	var missing []string
	out := envRe.ReplaceAllStringFunc(s, func(m string) string {
		name := envRe.FindStringSubmatch(m)[1]
		v := getenv(name)
		if v == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("the environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}

// hasLiteral reports whether v has text besides {env.NAME} placeholders.
func hasLiteral(v string) bool { return strings.TrimSpace(envRe.ReplaceAllString(v, "")) != "" }

// checkEnvRefs reports placeholders written wrong ({env.} with a bad name).
func (c *checker) checkEnvRefs(line int, where, v string) {
	if strings.Contains(envRe.ReplaceAllString(v, ""), "{env") {
		c.errf(line, "%s: write environment variables as {env.NAME} (letters, digits and underscores)", where)
	}
}

// checkSecret warns about a secret written into the plan file.
func (c *checker) checkSecret(line int, where, name, v string) {
	if secretNameRe.MatchString(name) && hasLiteral(v) && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "bearer {env.") {
		c.warnf(line, "%s: %s looks like a secret written into the plan file; write {env.NAME} and set the variable in the server's environment", where, name)
	}
}

// checkHTTPURL checks that u is an http or https URL.
func (c *checker) checkHTTPURL(line int, where, u string) {
	c.checkEnvRefs(line, where, u)
	parsed, err := url.Parse(envRe.ReplaceAllString(u, "x"))
	if err != nil || parsed.Host == "" || (parsed.Scheme != "http" && parsed.Scheme != "https") {
		c.errf(line, "%s: %q is not an http or https URL", where, u)
		return
	}
	for k, vs := range parsed.Query() {
		for _, v := range vs {
			if v != "x" {
				c.checkSecret(line, where, k, v)
			}
		}
	}
}

// checkSources validates the sources and the alerts.
func (p *Plan) checkSources(c *checker) {
	p.Sources = dropNil(c, p.Sources, p.KeyLine("sources"), "the sources")
	names := map[string]bool{}
	for _, s := range p.Sources {
		p.checkSource(c, s)
		if names[s.Name] {
			c.errf(s.KeyLine("name"), "source %q is declared twice", s.Name)
		}
		names[s.Name] = true
	}
	if p.Alerts != nil {
		p.checkAlerts(c, p.Alerts)
	}
}

func (p *Plan) checkSource(c *checker, s *SourceDef) {
	where := "source " + s.Name
	c.unknown(s.Pos, where)
	if !sourceNameRe.MatchString(s.Name) {
		c.errf(s.KeyLine("name"), "source name %q must be lower-case letters, digits, hyphens and underscores", s.Name)
	}
	if s.Kind == "" {
		// The one place given says the kind.
		switch {
		case s.Path != "" && s.URL == "" && s.File == "":
			s.Kind = SourceFolder
		case s.URL != "" && s.Path == "" && s.File == "":
			s.Kind = SourceURL
		case s.File != "" && s.Path == "" && s.URL == "":
			s.Kind = SourceFile
		}
	}
	switch s.Kind {
	case SourceFolder:
		if strings.TrimSpace(s.Path) == "" {
			c.errf(s.Line, "%s: a folder source needs path: (the drop folder)", where)
		}
		for _, g := range s.Glob {
			if _, err := filepath.Match(g, "x"); err != nil || strings.ContainsRune(g, '/') {
				c.errf(s.KeyLine("glob"), "%s: glob %q is not a file name pattern such as *.xlsx", where, g)
			}
		}
	case SourceURL:
		if s.URL == "" {
			c.errf(s.Line, "%s: a url source needs url:", where)
		} else {
			c.checkHTTPURL(s.KeyLine("url"), where, s.URL)
		}
		for k, v := range s.Headers {
			if !headerNameRe.MatchString(k) {
				c.errf(s.KeyLine("headers"), "%s: %q is not a header name", where, k)
			}
			c.checkEnvRefs(s.KeyLine("headers"), where, v)
			c.checkSecret(s.KeyLine("headers"), where, "header "+k, v)
		}
	case SourceFile:
		if strings.TrimSpace(s.File) == "" {
			c.errf(s.Line, "%s: a file source needs file: (the path to read)", where)
		}
	default:
		c.errf(s.KeyLine("kind"), "%s: kind %q must be folder, url or file", where, s.Kind)
	}
	for key, kinds := range map[string]string{"path": SourceFolder, "glob": SourceFolder, "url": SourceURL, "headers": SourceURL,
		"timeout": SourceURL, "file": SourceFile} {
		known := s.Kind == SourceFolder || s.Kind == SourceURL || s.Kind == SourceFile
		if _, ok := s.keys[key]; ok && known && s.Kind != kinds {
			c.errf(s.KeyLine(key), "%s: %s applies to %s sources, not %s sources", where, key, kinds, s.Kind)
		}
	}
	if s.Timeout != "" {
		d, err := time.ParseDuration(s.Timeout)
		if err != nil || d <= 0 {
			c.errf(s.KeyLine("timeout"), "%s: timeout %q is not a duration such as 60s or 5m", where, s.Timeout)
		} else {
			s.timeout = d
		}
	}
	if s.MaxBytes < 0 {
		c.errf(s.KeyLine("max_bytes"), "%s: max_bytes must be positive", where)
	}
	if s.Retries != nil && (*s.Retries < 0 || *s.Retries > 10) {
		c.errf(s.KeyLine("retries"), "%s: retries must be 0 to 10, not %d", where, *s.Retries)
	}
	var ds *Dataset
	if s.Dataset != "" {
		if ds = p.Datasets[s.Dataset]; ds == nil {
			c.errf(s.KeyLine("dataset"), "%s: unknown dataset %q (the plan lists: %s)", where, s.Dataset, strings.Join(sortedKeys(p.Datasets), ", "))
		}
	}
	if s.Profile != "" {
		pr := p.Profile(s.Profile)
		switch {
		case pr == nil:
			names := []string{}
			for _, pr := range p.AllProfiles() {
				names = append(names, pr.Name)
			}
			c.errf(s.KeyLine("profile"), "%s: unknown profile %q (profiles: %s)", where, s.Profile, strings.Join(names, ", "))
		case ds != nil && !pr.Fills(ds.Name):
			c.errf(s.KeyLine("profile"), "%s: profile %s fills %s, not %s", where, pr.Name, strings.Join(pr.TargetDatasets(), ", "), ds.Name)
		case len(s.Set) > 0:
			known := map[string]bool{}
			for _, k := range pr.SetKeys() {
				known[k] = true
			}
			for k := range s.Set {
				if !known[k] {
					c.warnf(s.KeyLine("set"), "%s: profile %s does not use the value %q", where, pr.Name, k)
				}
			}
		}
	}
	spec, err := ParseCron(s.ScheduleOrDefault())
	if err != nil {
		c.errf(s.KeyLine("schedule"), "%s: bad schedule: %v", where, err)
		return
	}
	s.Spec = spec
	if spec.RunsInChangeover() {
		c.warnf(s.KeyLine("schedule"), "%s: schedule %q runs between 01:00 and 03:00, which a change of clocks skips or repeats; prefer a time such as 03:15", where, s.Schedule)
	}
}

func (p *Plan) checkAlerts(c *checker, a *Alerts) {
	c.unknown(a.Pos, "alerts")
	if a.Webhook == nil && a.Email == nil {
		c.errf(a.Line, "alerts: give a webhook: or an email:")
	}
	if w := a.Webhook; w != nil {
		c.unknown(w.Pos, "the alerts webhook")
		if w.URL == "" {
			c.errf(w.Line, "alerts webhook: url is missing")
		} else {
			c.checkHTTPURL(w.KeyLine("url"), "alerts webhook", w.URL)
		}
		c.checkEnvRefs(w.KeyLine("token"), "alerts webhook", w.Token)
		c.checkSecret(w.KeyLine("token"), "alerts webhook", "token", w.Token)
		for k, v := range w.Headers {
			if !headerNameRe.MatchString(k) {
				c.errf(w.KeyLine("headers"), "alerts webhook: %q is not a header name", k)
			}
			c.checkEnvRefs(w.KeyLine("headers"), "alerts webhook", v)
			c.checkSecret(w.KeyLine("headers"), "alerts webhook", "header "+k, v)
		}
	}
	if e := a.Email; e != nil {
		c.unknown(e.Pos, "the alerts email")
		if len(e.To) == 0 {
			c.errf(e.Line, "alerts email: to is missing (one address or a list)")
		}
		for _, to := range e.To {
			if _, err := mail.ParseAddress(to); err != nil {
				c.errf(e.KeyLine("to"), "alerts email: %q is not an email address", to)
			}
		}
		if _, err := mail.ParseAddress(e.From); err != nil {
			c.errf(e.KeyLine("from"), "alerts email: from %q is not an email address", e.From)
		}
		if host, port, err := net.SplitHostPort(e.SMTP); err != nil || host == "" || port == "" {
			c.errf(e.KeyLine("smtp"), "alerts email: smtp %q must be host:port (e.g. mail.example.org:587)", e.SMTP)
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			c.errf(e.KeyLine("smtp"), "alerts email: smtp port %q is not a port number", port)
		}
		c.checkEnvRefs(e.KeyLine("password"), "alerts email", e.Password)
		c.checkSecret(e.KeyLine("password"), "alerts email", "password", e.Password)
		if e.Password != "" && e.Username == "" {
			c.errf(e.KeyLine("password"), "alerts email: a password needs a username")
		}
	}
}
