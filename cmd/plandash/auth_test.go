package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/auth"
)

// client is a browser-like HTTP client: it keeps cookies and does not
// follow redirects, so tests see them.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (cl *client) do(method, path string, form url.Values, header map[string]string) (int, string, http.Header) {
	cl.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, cl.base+path, body)
	if err != nil {
		cl.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		cl.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf fetches a page and returns the CSRF token of its first form.
func (cl *client) csrf(path string) string {
	cl.t.Helper()
	code, body, _ := cl.do("GET", path, nil, nil)
	m := csrfRe.FindStringSubmatch(body)
	if code != 200 || m == nil {
		cl.t.Fatalf("GET %s: %d, no CSRF token in the page", path, code)
	}
	return m[1]
}

func (cl *client) signIn(name, pw string) int {
	cl.t.Helper()
	tok := cl.csrf("/signin")
	code, _, _ := cl.do("POST", "/signin", url.Values{"_csrf": {tok}, "name": {name}, "password": {pw}, "next": {"/"}}, nil)
	return code
}

func (cl *client) sessionID() string {
	u, _ := url.Parse(cl.base)
	for _, c := range cl.http.Jar.Cookies(u) {
		if c.Name == "plandash_session" {
			return c.Value
		}
	}
	return ""
}

func addUser(t *testing.T, s *server, name, role, pw string) {
	t.Helper()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.AddUser(context.Background(), name, role, hash, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestSignInSessionsAndRoles(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ana", auth.RoleAdmin, "correct horse battery")
	addUser(t, s, "vic", auth.RoleViewer, "viewer password 1")

	anon := newClient(t, base)
	if code, _, h := anon.do("GET", "/admin/audit", nil, nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
		t.Fatalf("anonymous /admin/audit: %d %s, want a redirect to sign in", code, h.Get("Location"))
	}
	// Public pages set no session or CSRF cookie.
	if _, _, h := anon.do("GET", "/", nil, nil); h.Get("Set-Cookie") != "" {
		t.Errorf("the public scorecard sets a cookie: %s", h.Get("Set-Cookie"))
	}

	admin := newClient(t, base)
	admin.csrf("/signin")
	before := admin.sessionID()
	if code := admin.signIn("ana", "correct horse battery"); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	after := admin.sessionID()
	if after == "" || after == before {
		t.Fatalf("sign-in kept the session id (%q -> %q)", before, after)
	}
	code, body, h := admin.do("GET", "/admin/audit", nil, nil)
	if code != 200 || !strings.Contains(body, "signed in") {
		t.Fatalf("admin audit page: %d", code)
	}
	if !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Errorf("a signed-in page may be cached: %q", h.Get("Cache-Control"))
	}
	// A form post without the CSRF token is refused.
	if code, _, _ := admin.do("POST", "/signout", url.Values{}, nil); code != http.StatusForbidden {
		t.Fatalf("sign-out without CSRF token: %d, want 403", code)
	}
	tok := admin.csrf("/")
	if code, _, _ := admin.do("POST", "/signout", url.Values{"_csrf": {tok}}, nil); code != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", code)
	}
	if code, _, _ := admin.do("GET", "/admin/audit", nil, nil); code != http.StatusSeeOther {
		t.Fatalf("after sign-out the audit page answers %d", code)
	}

	viewer := newClient(t, base)
	if code := viewer.signIn("vic", "viewer password 1"); code != http.StatusSeeOther {
		t.Fatalf("viewer sign-in: %d", code)
	}
	if code, _, _ := viewer.do("GET", "/admin/audit", nil, nil); code != http.StatusForbidden {
		t.Fatalf("viewer on the audit page: %d, want 403", code)
	}
}

func TestRepeatedWrongPasswordsLockTheAccount(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ed", auth.RoleEditor, "the right password")
	var last int
	for i := 0; i < 10; i++ {
		last = newClient(t, base).signIn("ed", "a wrong password")
		if last != http.StatusUnauthorized && last != http.StatusTooManyRequests {
			t.Fatalf("wrong password %d: %d", i+1, last)
		}
	}
	// Even the right password is refused while the account is locked.
	cl := newClient(t, base)
	code := cl.signIn("ed", "the right password")
	if code == http.StatusSeeOther {
		t.Fatal("the account was not locked after ten wrong passwords")
	}
	u, err := s.store.UserByName(context.Background(), "ed")
	if err != nil || !u.LockedUntil.After(s.cfg.Clock()()) {
		t.Fatalf("account not locked: %+v %v", u, err)
	}
}

func TestAPITokensAndPrivateScorecard(t *testing.T) {
	getenv := env(t, map[string]string{"PLANDASH_PUBLIC": "false"})
	// Create an account and a token with the command line, as an admin would.
	code, out, errOut := runCmd(t, getenv, "users", "add", "fin", "--role", "editor", "--password", "finance password")
	if code != 0 {
		t.Fatalf("users add: %d %s %s", code, out, errOut)
	}
	code, out, _ = runCmd(t, getenv, "users", "token", "fin", "--role", "viewer")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(token, auth.TokenPrefix) {
		t.Fatalf("users token: %d %q", code, out)
	}
	if code, _, _ := runCmd(t, getenv, "users", "token", "fin", "--role", "admin"); code == 0 {
		t.Fatal("an editor got an admin token")
	}
	code, out, _ = runCmd(t, getenv, "users", "list")
	if code != 0 || !strings.Contains(out, "fin") || !strings.Contains(out, "editor") {
		t.Fatalf("users list: %s", out)
	}

	cfg, _, err := flags("serve", []string{"--addr", "127.0.0.1:0"}, io.Discard, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := loadPlan(cfg.Plan, io.Discard)
	srv, err := startServer(context.Background(), cfg, p, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(5 * time.Second)
	cl := newClient(t, "http://"+srv.Addr())
	if code, _, h := cl.do("GET", "/", nil, nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
		t.Fatalf("sign-in-only scorecard, anonymous: %d", code)
	}
	if code, _, _ := cl.do("GET", "/api/v1/indicators", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("sign-in-only API, anonymous: %d, want 401", code)
	}
	if code, _, _ := cl.do("GET", "/api/v1/indicators", nil, map[string]string{"Authorization": "Bearer pd_not-a-token"}); code != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %d, want 401", code)
	}
	code, body, _ := cl.do("GET", "/api/v1/indicators", nil, map[string]string{"Authorization": "Bearer " + token})
	if code != 200 || !strings.Contains(body, "transit-boardings") {
		t.Fatalf("API with a token: %d %.200s", code, body)
	}
}

// Staff stay signed in when the server restarts (an upgrade, a reboot):
// the session lives in the database. Form tokens do not: a form loaded
// before the restart asks to be reloaded, and one loaded after works.
func TestSessionsSurviveARestart(t *testing.T) {
	s := startTestServer(t)
	addUser(t, s, "ana", auth.RoleAdmin, "correct horse battery")
	cl := newClient(t, "http://"+s.Addr())
	if code := cl.signIn("ana", "correct horse battery"); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	stale := cl.csrf("/")
	if err := s.Shutdown(5 * time.Second); err != nil {
		t.Fatal(err)
	}

	s2, err := startServer(context.Background(), s.cfg, s.plan, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Shutdown(5 * time.Second) })
	cl.base = "http://" + s2.Addr() // cookies are the host's, whatever the port
	code, body, _ := cl.do("GET", "/admin/audit", nil, nil)
	if code != 200 || !strings.Contains(body, `action="/signout"`) {
		t.Fatalf("after the restart the audit page answers %d: the session did not survive", code)
	}
	if code, body, _ := cl.do("POST", "/signout", url.Values{"_csrf": {stale}}, nil); code != http.StatusForbidden || !strings.Contains(body, "reload the page") {
		t.Fatalf("sign-out with a form from before the restart: %d, want 403 asking to reload", code)
	}
	if code, _, _ := cl.do("POST", "/signout", url.Values{"_csrf": {cl.csrf("/")}}, nil); code != http.StatusSeeOther {
		t.Fatalf("sign-out with a form loaded after the restart: %d", code)
	}
	if code, _, _ := cl.do("GET", "/admin/audit", nil, nil); code != http.StatusSeeOther {
		t.Fatalf("after signing out the audit page answers %d", code)
	}
}
