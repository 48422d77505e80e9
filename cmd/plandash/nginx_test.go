package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/auth"
)

// nginxPath finds Debian's nginx, which lives in /usr/sbin (often not on
// the PATH of an unprivileged user).
func nginxPath() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("nginx not found: run `make nginx` (installs Debian's nginx) or `make test-short` to run the tests without it")
}

// deployNginx returns the two parts of the nginx configuration in
// docs/deploy.md ("nginx in front") that decide caching: the
// proxy_cache_path line, with its folder replaced by cacheDir, and the
// `location / { ... }` block, proxying to upstream instead of
// 127.0.0.1:8080. Taking them from the document keeps it and this test
// from drifting apart.
func deployNginx(t *testing.T, upstream, cacheDir string) (cachePath, location string) {
	t.Helper()
	doc, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## nginx in front\n")
	if !ok {
		t.Fatal(`docs/deploy.md has no section "## nginx in front"`)
	}
	_, block, ok := strings.Cut(section, "```nginx\n")
	if !ok {
		t.Fatal("docs/deploy.md: no ```nginx block under \"nginx in front\"")
	}
	block, _, ok = strings.Cut(block, "\n```")
	if !ok {
		t.Fatal("docs/deploy.md: the ```nginx block is not closed")
	}
	lines := strings.Split(block, "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 2 && f[0] == "proxy_cache_path" {
			f[1] = cacheDir
			cachePath = strings.Join(f, " ")
		}
	}
	if cachePath == "" {
		t.Fatal("docs/deploy.md: the nginx block has no proxy_cache_path")
	}
	// The location block: from its opening line to the brace closing it.
	depth, start := 0, -1
	var loc []string
	for i, l := range lines {
		if start < 0 {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "location" && f[1] == "/" && f[2] == "{" {
				start = i
			} else {
				continue
			}
		}
		loc = append(loc, l)
		code, _, _ := strings.Cut(l, "#")
		depth += strings.Count(code, "{") - strings.Count(code, "}")
		if depth == 0 {
			break
		}
	}
	if start < 0 || depth != 0 {
		t.Fatalf("docs/deploy.md: no complete `location / { ... }` block in:\n%s", block)
	}
	location = strings.Join(loc, "\n")
	const docUpstream = "http://127.0.0.1:8080"
	if n := strings.Count(location, docUpstream); n != 1 {
		t.Fatalf("docs/deploy.md: the location block names %s %d times, want once:\n%s", docUpstream, n, location)
	}
	return cachePath, strings.Replace(location, docUpstream, "http://"+upstream, 1)
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNginx runs nginx in the foreground, as one process, with every file
// it writes in a temporary folder, so it runs as root or as any user. It
// listens on a free loopback port in front of upstream with the deploy
// guide's caching configuration, and adds an X-Cache-Status header. It
// returns nginx's base URL and its cache folder; nginx is stopped when the
// test ends.
func startNginx(t *testing.T, bin, upstream string) (base, cacheDir string) {
	t.Helper()
	dir := t.TempDir()
	cacheDir = filepath.Join(dir, "cache")
	cachePath, location := deployNginx(t, upstream, cacheDir)
	port := freePort(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
lock_file %[1]s/nginx.lock;
error_log %[1]s/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;

    # From docs/deploy.md, with the cache in the test's folder.
    %[2]s

    server {
        listen 127.0.0.1:%[3]d;
        server_name localhost;
        # Inherited by the location below, which sets no add_header itself.
        add_header X-Cache-Status $upstream_cache_status always;

        # From docs/deploy.md, proxying to the test server.
%[4]s
    }
}
`, dir, cachePath, port, location)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	errorLog := filepath.Join(dir, "error.log")
	cmd := exec.Command(bin, "-p", dir, "-c", confFile, "-e", errorLog)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	logs := func() string {
		b, _ := os.ReadFile(errorLog)
		return out.String() + string(b)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT) // graceful shutdown
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("nginx configuration:\n%s\nnginx output and error log:\n%s", conf, logs())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("nginx exited at start (%v):\n%s", err, logs())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr, cacheDir
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %s after 5 s:\n%s", addr, logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// upstreamCount reads plandash's own request counter from /metrics and
// returns how many requests it answered, by route, leaving out /metrics.
func upstreamCount(t *testing.T, base, token string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	routeRe := regexp.MustCompile(`route="([^"]*)"`)
	byRoute := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "plandash_http_requests_total{") {
			continue
		}
		labels, value, ok := strings.Cut(l, "} ")
		m := routeRe.FindStringSubmatch(labels)
		n, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if !ok || m == nil || err != nil {
			t.Fatalf("/metrics: cannot read %q", l)
		}
		if m[1] != "/metrics" {
			byRoute[m[1]] += n
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(byRoute) == 0 {
		t.Fatal("/metrics has no plandash_http_requests_total")
	}
	return byRoute
}

// cachedFiles counts the answers nginx keeps on disk.
func cachedFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return n
}

// gunzip decodes a gzip body, or returns it as it is when not compressed.
func gunzip(t *testing.T, r through) []byte {
	t.Helper()
	if r.header.Get("Content-Encoding") != "gzip" {
		return r.body
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func total(m map[string]float64) float64 {
	var n float64
	for _, v := range m {
		n += v
	}
	return n
}

// grown lists the routes whose count rose between two readings.
func grown(before, after map[string]float64) string {
	var b strings.Builder
	for r, n := range after {
		if d := n - before[r]; d != 0 {
			fmt.Fprintf(&b, " %s:+%g", r, d)
		}
	}
	return b.String()
}

// through is one answer from nginx, its body as sent (still compressed).
type through struct {
	status int
	header http.Header
	body   []byte
}

func (r through) cache() string { return r.header.Get("X-Cache-Status") }

// nginxGet asks nginx for path with the given request headers. It returns
// an error rather than failing the test, so that it can run in goroutines.
func nginxGet(hc *http.Client, url string, header map[string]string) (through, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return through{}, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return through{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return through{resp.StatusCode, resp.Header, b}, err
}

// TestNginxInFrontAbsorbsPublicSurge runs nginx from Debian in front of
// plandash with the configuration docs/deploy.md recommends, and counts
// with plandash's own request counter who answered: after the first
// request of each page, a surge of anonymous requests is served by nginx
// from its cache, while requests with a session cookie or a token, and
// pages that must not be kept, always reach plandash.
func TestNginxInFrontAbsorbsPublicSurge(t *testing.T) {
	if testing.Short() {
		t.Skip("the nginx test does not run with -short")
	}
	bin, err := nginxPath()
	if err != nil {
		t.Fatal(err)
	}
	s := startTestServer(t)
	direct := "http://" + s.Addr()
	addUser(t, s, "prom", auth.RoleViewer, "viewer password 1")
	metricsToken := newToken(t, s, "prom", auth.RoleViewer)
	addUser(t, s, "ana", auth.RoleAdmin, "correct horse battery")
	staffToken := newToken(t, s, "ana", auth.RoleAdmin)
	front, cacheDir := startNginx(t, bin, s.Addr())

	// Keep-alive connections, as browsers use; Accept-Encoding is set by
	// hand, so bodies arrive as nginx sends them.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}}
	t.Cleanup(hc.CloseIdleConnections)
	count := func() map[string]float64 { return upstreamCount(t, direct, metricsToken) }

	_, home := get(t, direct+"/")
	css := regexp.MustCompile(`/static/app\.css\?v=[0-9a-f]+`).FindString(home)
	js := regexp.MustCompile(`/static/app\.js\?v=[0-9a-f]+`).FindString(home)
	if css == "" || js == "" {
		t.Fatal("the home page links app.css or app.js without its hash")
	}
	pages := []string{"/", "/goals/G3", "/indicators/transit-boardings", "/finance",
		"/api/v1/indicators/transit-boardings", "/embed/indicators/transit-boardings", "/report", css, js}
	// What browsers send (Chrome, then Firefox), and a client asking for gzip alone.
	encodings := []string{"gzip, deflate, br, zstd", "gzip, deflate, br", "gzip"}
	const lang = "en-US,en;q=0.9"
	visitorLangs := []string{lang, "en-GB,en;q=0.8", "es-MX,es;q=0.9,en;q=0.5", "fr-CA", "en"}

	// The first request of each page and encoding reaches plandash once,
	// and nginx keeps the answer. They are made one at a time: without
	// proxy_cache_lock, requests arriving together before the first answer
	// is stored would each reach plandash.
	type variant struct{ path, enc string }
	first := map[variant]through{}
	before := count()
	for _, p := range pages {
		for _, enc := range encodings {
			r, err := nginxGet(hc, front+p, map[string]string{"Accept-Encoding": enc, "Accept-Language": lang})
			if err != nil {
				t.Fatal(err)
			}
			if r.status != 200 || r.cache() != "MISS" {
				t.Fatalf("%s (%s) through nginx, first time: %d, X-Cache-Status %q, want 200 MISS", p, enc, r.status, r.cache())
			}
			cc := r.header.Get("Cache-Control")
			if !strings.Contains(cc, "public") || r.header.Get("ETag") == "" {
				t.Fatalf("%s through nginx: Cache-Control %q, ETag %q", p, cc, r.header.Get("ETag"))
			}
			if strings.HasPrefix(p, "/static/") != strings.Contains(cc, "immutable") {
				t.Fatalf("%s through nginx: Cache-Control %q", p, cc)
			}
			if ce := r.header.Get("Content-Encoding"); ce != "gzip" && ce != "br" {
				t.Fatalf("%s (%s) through nginx: Content-Encoding %q, want plandash's gzip or br", p, enc, ce)
			}
			first[variant{p, enc}] = r
		}
	}
	after := count()
	if d, want := total(after)-total(before), float64(len(first)); d != want {
		t.Fatalf("plandash answered %g requests for the first %g through nginx (%s), want one each", d, want, grown(before, after))
	}
	if n := cachedFiles(t, cacheDir); n < len(pages) {
		t.Fatalf("nginx keeps %d files in its cache after the first requests of %d pages", n, len(pages))
	}
	// The gzip answer decodes to the page itself, the anonymous one.
	if b := gunzip(t, first[variant{"/", "gzip"}]); !bytes.Contains(b, []byte("</html>")) || bytes.Contains(b, []byte(`action="/signout"`)) {
		t.Fatal("the cached home page is not the anonymous HTML page")
	}

	// The surge: 50 requests of each page and encoding, 16 at a time.
	const repeat = 50
	before = count()
	start := time.Now()
	type job struct {
		v variant
		i int
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var problems []string
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				// Every visitor has cookies of their own (a city site's
				// analytics) and their browser's spelling of a language:
				// neither may split nginx's cache (pages are in English only).
				r, err := nginxGet(hc, front+j.v.path, map[string]string{"Accept-Encoding": j.v.enc, "Accept-Language": visitorLangs[j.i%len(visitorLangs)],
					"Cookie": fmt.Sprintf("_ga=GA1.1.%d.%d; theme=dark", j.i, len(j.v.path)*7+len(j.v.enc))})
				want := first[j.v]
				var problem string
				switch {
				case err != nil:
					problem = err.Error()
				case r.status != 200 || r.cache() != "HIT":
					problem = fmt.Sprintf("%d, X-Cache-Status %q, want 200 HIT", r.status, r.cache())
				case !bytes.Equal(r.body, want.body) || r.header.Get("ETag") != want.header.Get("ETag"):
					problem = fmt.Sprintf("a different body (%d bytes, ETag %s) from the first (%d bytes, ETag %s)",
						len(r.body), r.header.Get("ETag"), len(want.body), want.header.Get("ETag"))
				}
				if problem != "" {
					mu.Lock()
					problems = append(problems, fmt.Sprintf("%s (%s) #%d: %s", j.v.path, j.v.enc, j.i, problem))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range repeat {
		for v := range first {
			jobs <- job{v, i}
		}
	}
	close(jobs)
	wg.Wait()
	after = count()
	t.Logf("%d anonymous requests through nginx in %v; plandash answered %g of them",
		repeat*len(first), time.Since(start).Round(time.Millisecond), total(after)-total(before))
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("... and %d more", len(problems)-10))
		}
		t.Errorf("anonymous requests not served from nginx's cache:\n%s", strings.Join(problems, "\n"))
	}
	if d := total(after) - total(before); d != 0 {
		t.Fatalf("plandash answered %g of the %d repeated anonymous requests (%s), want none: nginx did not serve them from its cache",
			d, repeat*len(first), grown(before, after))
	}

	// Staff with a token or a session cookie always reach plandash, and
	// what they get is not stored for the public.
	const page = "/indicators/transit-boardings"
	staff := newClient(t, front)
	if code := staff.signIn("ana", "correct horse battery"); code != http.StatusSeeOther {
		t.Fatalf("sign-in through nginx: %d", code)
	}
	session := staff.sessionID()
	if session == "" {
		t.Fatal("no plandash_session cookie after signing in through nginx")
	}
	for _, who := range []struct {
		name   string
		header map[string]string
	}{
		{"a bearer token", map[string]string{"Authorization": "Bearer " + staffToken}},
		{"a session cookie", map[string]string{"Cookie": "plandash_session=" + session}},
	} {
		for _, p := range []string{page, "/api/v1/indicators/transit-boardings"} {
			header := map[string]string{"Accept-Encoding": "gzip", "Accept-Language": lang}
			for k, v := range who.header {
				header[k] = v
			}
			const n = 5
			before, files := count(), cachedFiles(t, cacheDir)
			for i := range n {
				r, err := nginxGet(hc, front+p, header)
				if err != nil {
					t.Fatal(err)
				}
				if r.status != 200 || r.cache() != "BYPASS" {
					t.Fatalf("%s with %s through nginx, #%d: %d, X-Cache-Status %q, want 200 BYPASS", p, who.name, i, r.status, r.cache())
				}
				if strings.Contains(r.header.Get("Cache-Control"), "public") {
					t.Errorf("%s with %s: Cache-Control %q", p, who.name, r.header.Get("Cache-Control"))
				}
			}
			after := count()
			if d := total(after) - total(before); d != n {
				t.Fatalf("%s with %s: plandash answered %g of %d requests through nginx (%s), want all", p, who.name, d, n, grown(before, after))
			}
			if now := cachedFiles(t, cacheDir); now != files {
				t.Fatalf("%s with %s: nginx's cache went from %d to %d files: it stored a staff answer", p, who.name, files, now)
			}
			// The public still gets the anonymous answer from the cache.
			r, err := nginxGet(hc, front+p, map[string]string{"Accept-Encoding": "gzip", "Accept-Language": lang})
			if err != nil {
				t.Fatal(err)
			}
			if want := first[variant{p, "gzip"}]; r.cache() != "HIT" || !bytes.Equal(r.body, want.body) {
				t.Fatalf("%s anonymously after requests with %s: X-Cache-Status %q, %d bytes (want a HIT with the anonymous %d bytes)",
					p, who.name, r.cache(), len(r.body), len(want.body))
			}
			if bytes.Contains(gunzip(t, r), []byte(`action="/signout"`)) {
				t.Fatalf("%s anonymously after requests with %s: the public got a signed-in page", p, who.name)
			}
		}
	}
	// A signed-in page says "private, no-store": sent with the cookie, it
	// was never kept, so the signed-in page never reaches the public.
	code, body, h := staff.do("GET", page, nil, map[string]string{"Accept-Language": lang})
	if code != 200 || h.Get("X-Cache-Status") != "BYPASS" || !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Fatalf("signed-in %s through nginx: %d, X-Cache-Status %q, Cache-Control %q", page, code, h.Get("X-Cache-Status"), h.Get("Cache-Control"))
	}
	if !strings.Contains(body, `action="/signout"`) {
		t.Fatalf("signed-in %s through nginx is not the signed-in page", page)
	}

	// The sign-in page holds a CSRF token and sets its cookie: without a
	// session it is still asked of plandash every time, and never stored.
	before, files := count(), cachedFiles(t, cacheDir)
	for i := range 3 {
		r, err := nginxGet(hc, front+"/signin", map[string]string{"Accept-Encoding": "gzip"})
		if err != nil {
			t.Fatal(err)
		}
		if r.status != 200 || r.cache() == "HIT" {
			t.Fatalf("/signin through nginx, #%d: %d, X-Cache-Status %q: a page with a CSRF token came from the cache", i, r.status, r.cache())
		}
	}
	if after := count(); total(after)-total(before) != 3 {
		t.Fatalf("/signin: plandash answered %g of 3 requests through nginx (%s), want all", total(after)-total(before), grown(before, after))
	}
	if now := cachedFiles(t, cacheDir); now != files {
		t.Fatalf("/signin: nginx's cache went from %d to %d files", files, now)
	}
}
