package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/auth"
	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// planWithSources writes the default plan with its sources: section
// replaced by block (empty: kept as it is), plus extra at the end.
func planWithSources(t *testing.T, block, extra string) string {
	t.Helper()
	src, err := os.ReadFile(defaultPlanPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if block != "" {
		i := bytes.Index(src, []byte("\nsources:\n"))
		if i < 0 {
			t.Fatal("the default plan has no sources: section")
		}
		j := bytes.Index(src[i+1:], []byte("\n\n"))
		src = append(append(append([]byte{}, src[:i+1]...), block...), src[i+1+j:]...)
	}
	src = append(src, extra...)
	file := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// startOpsServer starts plandash like startTestServer, on a plan file of
// the test's, with short intervals; edit changes the configuration.
func startOpsServer(t *testing.T, planFile string, edit func(*config.Config)) *server {
	t.Helper()
	cfg := config.Config{Plan: planFile, DB: filepath.Join(t.TempDir(), "plandash.duckdb"), Addr: "127.0.0.1:0", Threads: 2, MemoryLimit: "512MB",
		LogFormat: "text", Public: true, UploadLimit: 100 << 20, Settle: 150 * time.Millisecond, Backoff: 10 * time.Millisecond}
	cfg.Now, _ = config.ParseNow(testNow)
	if edit != nil {
		edit(&cfg)
	}
	cfg.Archive = filepath.Join(filepath.Dir(cfg.DB), "archive")
	p, probs, err := plan.LoadFile(cfg.Plan)
	if err != nil {
		t.Fatal(err, probs)
	}
	s, err := startServer(context.Background(), cfg, p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(5 * time.Second) })
	return s
}

func waitCaughtUp(t *testing.T, s *server) {
	t.Helper()
	select {
	case <-s.ops.sched.CaughtUp():
	case <-time.After(30 * time.Second):
		t.Fatal("the catch-up runs did not finish")
	}
}

func lastRun(t *testing.T, s *server, source string) *imports.Run {
	t.Helper()
	runs, err := s.store.Runs(context.Background(), source, 1)
	if err != nil || len(runs) == 0 {
		t.Fatalf("no run of %s: %v", source, err)
	}
	return runs[0]
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// Files waiting in a drop folder when the server starts are taken by the
// catch-up run: a valid file is imported and moved to processed/, a copy of
// it set aside as a duplicate, a broken file moved to failed/ with a report,
// a file still being written left until it is complete; temporary and
// hidden files are left alone. The run ledger and /admin/sources say so,
// and "run now" takes the completed file.
func TestDropFolderCatchUpAtStart(t *testing.T) {
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox", "transit_ridership")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	writeRidership(t, filepath.Join(inbox, "a-ridership.xlsx"), false)
	good, _ := os.ReadFile(filepath.Join(inbox, "a-ridership.xlsx"))
	os.WriteFile(filepath.Join(inbox, "b-ridership-copy.xlsx"), good, 0o644)
	writeRidership(t, filepath.Join(inbox, "c-broken.xlsx"), true)
	for _, name := range []string{"~$a-ridership.xlsx", ".hidden.csv", "e-download.csv.part"} {
		os.WriteFile(filepath.Join(inbox, name), []byte("not yet"), 0o644)
	}
	// d-growing.csv is being written, a row every 10 ms, until told to stop.
	growing := filepath.Join(inbox, "d-growing.csv")
	f, err := os.Create(growing)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "Month,Mode,Type of service,Unlinked passenger trips")
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		defer f.Close()
		for i := 0; ; i++ {
			month := time.Date(2010, time.Month(1+i%12), 1, 0, 0, 0, 0, time.UTC).AddDate(i/12, 0, 0)
			fmt.Fprintf(f, "%s,MB,DO,%d\n", month.Format("2006-01"), 80000+i)
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-stopped
	}()

	s := startOpsServer(t, defaultPlanPath(t), func(c *config.Config) { c.DB = filepath.Join(dir, "plandash.duckdb") })
	waitCaughtUp(t, s)
	close(stop)
	<-stopped

	r := lastRun(t, s, "transit-ridership-inbox")
	if r.Trigger != imports.TriggerCatchUp || r.Seen != 4 || r.Imported != 1 || r.Duplicates != 1 || r.Failed != 1 || r.Waiting != 1 ||
		r.Status != imports.RunFailed || len(r.ImportIDs) != 2 {
		t.Fatalf("catch-up run: %+v", r)
	}
	if !strings.Contains(r.Error, "c-broken.xlsx") {
		t.Errorf("the run's error does not name the broken file: %q", r.Error)
	}
	id := r.ImportIDs[0]
	processed := listDir(t, filepath.Join(inbox, "processed"))
	want := []string{fmt.Sprintf("%d-a-ridership.xlsx", id), fmt.Sprintf("duplicate-of-%d-b-ridership-copy.xlsx", id)}
	if strings.Join(processed, " ") != strings.Join(want, " ") {
		t.Errorf("processed/ = %v, want %v", processed, want)
	}
	failed := listDir(t, filepath.Join(inbox, "failed"))
	if strings.Join(failed, " ") != "c-broken.xlsx c-broken.xlsx.txt" {
		t.Errorf("failed/ = %v", failed)
	}
	report, _ := os.ReadFile(filepath.Join(inbox, "failed", "c-broken.xlsx.txt"))
	if !bytes.Contains(report, []byte(`Ridership!D7: "abc" is not a number`)) || !bytes.Contains(report, []byte("transit-ridership-inbox")) {
		t.Errorf("the report beside the broken file:\n%s", report)
	}
	left := strings.Join(listDir(t, inbox), " ")
	for _, name := range []string{"d-growing.csv", "~$a-ridership.xlsx", ".hidden.csv", "e-download.csv.part"} {
		if !strings.Contains(left, name) {
			t.Errorf("%s was taken from the drop folder (left: %s)", name, left)
		}
	}
	im, _ := s.store.GetImport(context.Background(), id)
	if im == nil || im.Status != "loaded" || im.Source != "source:transit-ridership-inbox" || im.User != "plandash" {
		t.Fatalf("import #%d: %+v", id, im)
	}
	// The other drop folders were created and checked too.
	for _, ds := range []string{"revenue", "shelter_beds", "ev_chargers"} {
		if _, err := os.Stat(filepath.Join(dir, "inbox", ds, "processed")); err != nil {
			t.Errorf("drop folder of %s: %v", ds, err)
		}
	}

	base := "http://" + s.Addr()
	addUser(t, s, "ana", auth.RoleAdmin, "admin password 1")
	admin := newClient(t, base)
	if admin.signIn("ana", "admin password 1") != http.StatusSeeOther {
		t.Fatal("sign-in failed")
	}
	code, body, _ := admin.do("GET", "/admin/sources", nil, nil)
	for _, want := range []string{"transit-ridership-inbox", "every day at 03:15", "America/Los_Angeles", "4 file(s) seen: 1 imported, 1 duplicate(s), 1 failed, 1 still being written",
		"a catch-up at start-up", "c-broken.xlsx", "Run now", "Reload the plan file"} {
		if !strings.Contains(body, want) {
			t.Errorf("/admin/sources lacks %q", want)
		}
	}
	if code != 200 {
		t.Fatalf("/admin/sources: %d", code)
	}
	// Run now: the completed file is taken.
	tok := admin.csrf("/admin/sources")
	code, body, _ = admin.do("POST", "/admin/sources/transit-ridership-inbox/run", url.Values{"_csrf": {tok}}, nil)
	if code != 200 || !strings.Contains(body, "of transit-ridership-inbox: OK, 1 file(s) seen: 1 imported") {
		t.Fatalf("run now: %d %s", code, flash(body))
	}
	r = lastRun(t, s, "transit-ridership-inbox")
	if r.Trigger != imports.TriggerManual || r.User != "ana" || r.Imported != 1 {
		t.Fatalf("manual run: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(inbox, "processed", fmt.Sprintf("%d-d-growing.csv", r.ImportIDs[0]))); err != nil {
		t.Fatalf("the completed file was not moved to processed/: %v", err)
	}
	// Without the CSRF token, or as an editor, nothing runs.
	if code, _, _ := admin.do("POST", "/admin/sources/transit-ridership-inbox/run", url.Values{}, nil); code != http.StatusForbidden {
		t.Errorf("run now without CSRF token: %d", code)
	}
	addUser(t, s, "ed", auth.RoleEditor, "editor password 1")
	editor := newClient(t, base)
	editor.signIn("ed", "editor password 1")
	if code, _, _ := editor.do("GET", "/admin/sources", nil, nil); code != http.StatusForbidden {
		t.Errorf("an editor on /admin/sources: %d", code)
	}
	// The API gives the same to an editor's token.
	edTok := newToken(t, s, "ed", auth.RoleEditor)
	code, body, _ = newClient(t, base).do("GET", "/api/v1/sources", nil, map[string]string{"Authorization": "Bearer " + edTok})
	var api struct {
		Sources []struct {
			Name         string        `json:"name"`
			ScheduleText string        `json:"schedule_text"`
			Next         time.Time     `json:"next_run"`
			Last         *imports.Run  `json:"last_run"`
			Recent       []imports.Run `json:"recent_runs"`
		} `json:"sources"`
	}
	if err := json.Unmarshal([]byte(body), &api); code != 200 || err != nil || len(api.Sources) != 4 {
		t.Fatalf("/api/v1/sources: %d %v %.300s", code, err, body)
	}
	for _, src := range api.Sources {
		if src.Name == "transit-ridership-inbox" && (src.Last == nil || src.Last.Trigger != "manual" || len(src.Recent) != 2 || src.ScheduleText != "every day at 03:15" || src.Next.IsZero()) {
			t.Errorf("API entry: %+v", src)
		}
	}
	if code, _, _ := newClient(t, base).do("GET", "/api/v1/sources", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous /api/v1/sources: %d", code)
	}
}

var flashRe = strings.NewReplacer("\n", " ")

// flash is the banner of a page, for messages.
func flash(body string) string {
	i := strings.Index(body, `role="status"`)
	if i < 0 {
		return "(no banner)"
	}
	end := strings.Index(body[i:], "</p>")
	return flashRe.Replace(body[i : i+end])
}

// feed is a URL source's server: it serves version v (ETag "vN"), answers
// 304 to a request that has it, and 500 while failing.
type feed struct {
	mu       sync.Mutex
	version  int
	failing  bool
	gone     bool
	requests atomic.Int32
	lastINM  string
}

func (f *feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastINM = r.Header.Get("If-None-Match")
	if r.Header.Get("X-Api-Key") != "feed-key" {
		http.Error(w, "no key", http.StatusUnauthorized)
		return
	}
	if f.failing {
		http.Error(w, "upstream trouble", http.StatusInternalServerError)
		return
	}
	if f.gone {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"v%d"`, f.version)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "text/csv")
	fmt.Fprintf(w, "Month,Mode,Type of service,Unlinked passenger trips\n2026-0%d,MB,PT,%d\n", f.version, 90000+f.version)
}

func (f *feed) set(version int, failing bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version, f.failing = version, failing
}

// A URL source: 200 is imported, 304 imports nothing, 500 is tried again
// and then recorded as failed (three failed runs make /healthz degraded),
// and a changed file is imported.
func TestURLSourceConditionalGetAndRetries(t *testing.T) {
	t.Setenv("PLANDASH_TEST_FEED_KEY", "feed-key")
	fd := &feed{version: 1}
	srv := httptest.NewServer(fd)
	defer srv.Close()
	file := planWithSources(t, `sources:
  - name: ridership-feed
    url: `+srv.URL+`/ridership.csv
    headers: {X-Api-Key: "{env.PLANDASH_TEST_FEED_KEY}"}
    dataset: transit_ridership
    retries: 2
`, "")
	s := startOpsServer(t, file, nil)
	waitCaughtUp(t, s)
	base := "http://" + s.Addr()
	ctx := context.Background()

	r := lastRun(t, s, "ridership-feed")
	if r.Trigger != imports.TriggerCatchUp || r.Status != imports.RunOK || r.Imported != 1 || len(r.ImportIDs) != 1 {
		t.Fatalf("first run (200): %+v", r)
	}
	im, _ := s.store.GetImport(ctx, r.ImportIDs[0])
	if im == nil || im.FileName != "ridership.csv" || im.RowsLoaded != 1 {
		t.Fatalf("the import of the download: %+v", im)
	}
	imports0 := countImports(t, s)

	r, err := s.ops.RunNow(ctx, "ridership-feed", "ana")
	if err != nil || r.Status != imports.RunOK || r.Seen != 0 || r.Imported != 0 || fd.lastINM != `"v1"` {
		t.Fatalf("second run (304): %+v %v, If-None-Match %q", r, err, fd.lastINM)
	}
	if n := countImports(t, s); n != imports0 {
		t.Fatalf("a 304 made an import (%d -> %d)", imports0, n)
	}

	fd.set(1, true)
	for i := 1; i <= 3; i++ {
		before := fd.requests.Load()
		r, err = s.ops.RunNow(ctx, "ridership-feed", "ana")
		if err != nil || r.Status != imports.RunFailed || r.Attempts != 3 || !strings.Contains(r.Error, "500") || !strings.Contains(r.Error, "tried 3 times") {
			t.Fatalf("run %d against a 500: %+v %v", i, r, err)
		}
		if n := fd.requests.Load() - before; n != 3 {
			t.Fatalf("%d requests, want 3 (one and two retries)", n)
		}
		if strings.Contains(r.Error, "feed-key") {
			t.Fatalf("the secret leaks into the ledger: %s", r.Error)
		}
	}
	code, body := get(t, base+"/healthz")
	if code != 200 || !strings.Contains(body, `"status":"degraded"`) || !strings.Contains(body, "source ridership-feed has failed its last 3 runs") {
		t.Fatalf("healthz after three failed runs: %d %s", code, body)
	}

	fd.set(2, false)
	r, err = s.ops.RunNow(ctx, "ridership-feed", "ana")
	if err != nil || r.Status != imports.RunOK || r.Imported != 1 || fd.lastINM != `"v1"` {
		t.Fatalf("run after the file changed: %+v %v (If-None-Match %q)", r, err, fd.lastINM)
	}
	if n := countImports(t, s); n != imports0+1 {
		t.Fatalf("imports %d, want %d", n, imports0+1)
	}
	if code, body := get(t, base+"/healthz"); !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("healthz after a good run: %d %s", code, body)
	}
	// A permanent failure (404) is not retried.
	fd.mu.Lock()
	fd.gone = true
	fd.mu.Unlock()
	before := fd.requests.Load()
	r, _ = s.ops.RunNow(ctx, "ridership-feed", "ana")
	if r.Status != imports.RunFailed || r.Attempts != 1 || !strings.Contains(r.Error, "404") || fd.requests.Load() != before+1 {
		t.Fatalf("run against a 404: %+v", r)
	}
}

func countImports(t *testing.T, s *server) int {
	t.Helper()
	ims, err := s.store.Imports(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(ims)
}

// /metrics counts requests by route pattern and status, and reads the
// ledger; it needs an account or a token.
func TestMetricsByRoute(t *testing.T) {
	s := startOpsServer(t, defaultPlanPath(t), nil)
	waitCaughtUp(t, s)
	base := "http://" + s.Addr()
	get(t, base+"/indicators/transit-boardings")
	get(t, base+"/indicators/shelter-beds")
	get(t, base+"/no/such/page")
	get(t, base+"/healthz")
	addUser(t, s, "prom", auth.RoleViewer, "viewer password 1")
	tok := newToken(t, s, "prom", auth.RoleViewer)
	code, body, _ := newClient(t, base).do("GET", "/metrics", nil, map[string]string{"Authorization": "Bearer " + tok})
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`plandash_http_requests_total{method="GET",route="/indicators/:id",status="200"} 2`,
		`plandash_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`plandash_http_requests_total{method="GET",route="/healthz",status="200"}`,
		`plandash_http_request_duration_seconds_bucket{method="GET",route="/indicators/:id"`,
		`plandash_imports{status="loaded"}`,
		`plandash_import_rows_loaded`,
		`plandash_source_last_success_timestamp_seconds{source="revenue-inbox"}`,
		`plandash_source_consecutive_failures{source="revenue-inbox"} 0`,
		`plandash_source_run_duration_seconds_count{source="revenue-inbox",status="ok"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "/indicators/transit-boardings") {
		t.Error("/metrics labels a raw path")
	}
	if code, _, _ := newClient(t, base).do("GET", "/metrics", nil, nil); code == 200 {
		t.Error("/metrics answers anonymous callers")
	}
}

// The admin button reloads the plan file when it is valid (new sources
// appear, their folders are made) and keeps the plan in force when not.
func TestReloadPlanFromAdminPage(t *testing.T) {
	file := planWithSources(t, "", "")
	s := startOpsServer(t, file, nil)
	waitCaughtUp(t, s)
	base := "http://" + s.Addr()
	addUser(t, s, "ana", auth.RoleAdmin, "admin password 1")
	admin := newClient(t, base)
	admin.signIn("ana", "admin password 1")

	src, _ := os.ReadFile(file)
	added := bytes.Replace(src, []byte("\nsources:\n"), []byte("\nsources:\n  - {name: budget-drop, path: inbox/budget/, dataset: revenue, schedule: \"0 6 * * 1-5\"}\n"), 1)
	os.WriteFile(file, added, 0o644)
	tok := admin.csrf("/admin/sources")
	code, body, _ := admin.do("POST", "/admin/sources/reload", url.Values{"_csrf": {tok}}, nil)
	if code != 200 || !strings.Contains(body, "The plan file was reloaded") || !strings.Contains(body, "budget-drop") ||
		!strings.Contains(body, "every Monday, Tuesday, Wednesday, Thursday and Friday at 06:00") {
		t.Fatalf("reload: %d %s", code, flash(body))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.cfg.DB), "inbox", "budget", "failed")); err != nil {
		t.Errorf("the new drop folder: %v", err)
	}
	if s.currentPlan().SourceNamed("budget-drop") == nil || s.importer.Plan().SourceNamed("budget-drop") == nil {
		t.Error("the importer and the pages still use the old plan")
	}

	os.WriteFile(file, bytes.Replace(added, []byte(`schedule: "0 6 * * 1-5"`), []byte(`schedule: "0 6 * *"`), 1), 0o644)
	code, body, _ = admin.do("POST", "/admin/sources/reload", url.Values{"_csrf": {tok}}, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "was not reloaded") || !strings.Contains(body, "has 4 field(s)") {
		t.Fatalf("reload of an invalid plan: %d %s", code, flash(body))
	}
	if s.currentPlan().SourceNamed("budget-drop") == nil {
		t.Error("an invalid plan file replaced the plan in force")
	}
}

// With --tls-cert and --tls-key the server speaks https and marks its
// cookies Secure.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	getenv := env(t, map[string]string{"PLANDASH_TLS_CERT": certFile, "PLANDASH_TLS_KEY": keyFile})
	cfg, _, err := flags("serve", []string{"--addr", "127.0.0.1:0"}, io.Discard, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Secure {
		t.Error("TLS does not mark cookies Secure")
	}
	p, _ := loadPlan(cfg.Plan, io.Discard)
	s, err := startServer(context.Background(), cfg, p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(5 * time.Second)
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := cl.Get("https://" + s.Addr() + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Set-Cookie"), "secure") {
		t.Fatalf("https /signin: %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	if _, err := http.Get("http://" + s.Addr() + "/healthz"); err == nil {
		// A plain-http request to a TLS port gets a TLS alert or a 400, never the page.
		t.Log("plain http got an answer (expected a TLS error)")
	}
	if _, _, err := flags("serve", []string{"--tls-cert", certFile}, io.Discard, env(t, nil), nil); err == nil {
		t.Error("--tls-cert without --tls-key accepted")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "plandash test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
