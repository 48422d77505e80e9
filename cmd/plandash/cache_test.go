package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/plandash/plandash/internal/auth"
)

func TestAnonymousPagesCachedUntilDataChanges(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	first, err := http.Get(base + "/indicators/transit-boardings")
	if err != nil {
		t.Fatal(err)
	}
	first.Body.Close()
	etag := first.Header.Get("ETag")
	if etag == "" || !strings.Contains(first.Header.Get("Cache-Control"), "public") {
		t.Fatalf("no ETag or public caching: %v", first.Header)
	}
	// Proxies keep it a minute, browsers ask again; neither cookies nor the
	// language header (pages are in English only) split it.
	if cc, vary := first.Header.Get("Cache-Control"), strings.Join(first.Header.Values("Vary"), ","); cc != "public, max-age=0, s-maxage=60" ||
		!strings.Contains(vary, "Accept-Encoding") || strings.Contains(vary, "Accept-Language") || strings.Contains(vary, "Cookie") {
		t.Fatalf("Cache-Control %q, Vary %q: want shared caching for a minute, varying with the encoding only", cc, vary)
	}
	req, _ := http.NewRequest("GET", base+"/indicators/transit-boardings", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match with the current ETag: %d, want 304", resp.StatusCode)
	}
	// HEAD gets the headers of GET, from the cache too; a HEAD that renders
	// a page first leaves the whole page in the cache for GET.
	for _, path := range []string{"/indicators/transit-boardings", "/goals/G3"} {
		hr := mustRequest(t, base+path)
		hr.Method = http.MethodHead
		hr.Header.Set("Accept-Encoding", "gzip") // as Go's client asks for GET
		head, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(head.Body)
		head.Body.Close()
		got, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if head.StatusCode != 200 || len(b) != 0 || head.Header.Get("ETag") == "" || head.Header.Get("ETag") != got.Header.Get("ETag") ||
			head.Header.Get("Cache-Control") != got.Header.Get("Cache-Control") {
			t.Fatalf("HEAD %s: %d, %d bytes, ETag %q, Cache-Control %q; GET: ETag %q, Cache-Control %q", path, head.StatusCode, len(b),
				head.Header.Get("ETag"), head.Header.Get("Cache-Control"), got.Header.Get("ETag"), got.Header.Get("Cache-Control"))
		}
		if !strings.Contains(string(page), "</html>") {
			t.Fatalf("GET %s after a HEAD: %d bytes without the page", path, len(page))
		}
	}
	// An import changes the data version: the same request now gets the new page.
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	tok := newToken(t, s, "ed", auth.RoleEditor)
	code, rep := postFile(t, base+"/api/v1/imports", tok, "r.csv", []byte(ridershipCSV), nil)
	if code != 200 {
		t.Fatalf("import: %d", code)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	imported := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || imported == etag {
		t.Fatalf("after an import: %d with ETag %s (was %s)", resp.StatusCode, imported, etag)
	}
	// Undoing it changes the data version again: the page is rendered anew,
	// from the data as it was before the import.
	undo, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/imports/%v/undo", base, rep["id"]), nil)
	undo.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(undo); err != nil || resp.StatusCode != 200 {
		t.Fatalf("undo: %v %v", resp, err)
	}
	req.Header.Set("If-None-Match", imported)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != etag {
		t.Fatalf("after the undo: %d with ETag %s, want the first page's %s back", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}
	// Static assets are linked by content hash and cached for a year.
	_, body := get(t, base+"/")
	m := regexp.MustCompile(`/static/app\.css\?v=[0-9a-f]+`).FindString(body)
	if m == "" {
		t.Fatal("the page links app.css without its hash")
	}
	resp, err = http.Get(base + m)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("hashed asset Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	// An old or wrong hash gets today's file, but not for a year.
	resp, err = http.Get(base + "/static/app.css?v=0123456789ab")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); resp.StatusCode != 200 || strings.Contains(cc, "immutable") {
		t.Fatalf("asset with a stale hash: %d, Cache-Control %q", resp.StatusCode, cc)
	}
	// What staff see, forms and everything else uncached is never stored.
	api, _ := http.NewRequest("GET", base+"/api/v1/indicators/transit-boardings", nil)
	api.Header.Set("Authorization", "Bearer "+tok)
	for _, r := range []struct {
		req  *http.Request
		want string
	}{{api, "private, no-store"}, {mustRequest(t, base+"/signin"), "no-store"}, {mustRequest(t, base+"/healthz"), "no-store"}} {
		resp, err := http.DefaultClient.Do(r.req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if cc := resp.Header.Get("Cache-Control"); cc != r.want {
			t.Errorf("%s: Cache-Control %q, want %q", r.req.URL.Path, cc, r.want)
		}
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// fetch asks for path with the given Accept-Encoding and returns the
// response and its body decoded.
func fetch(t *testing.T, method, url, encoding string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	// Setting the header by hand turns off the client's own gzip handling.
	req.Header.Set("Accept-Encoding", encoding)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(raw)
	switch resp.Header.Get("Content-Encoding") {
	case "gzip":
		if r, err = gzip.NewReader(r); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	case "br":
		r = brotli.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s (%s): %v", url, resp.Header.Get("Content-Encoding"), err)
	}
	return resp, b
}

func TestResponsesCompressedOnceAndRevalidated(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	_, home := get(t, base+"/")
	js := regexp.MustCompile(`/static/app\.js\?v=[0-9a-f]+`).FindString(home)
	if js == "" {
		t.Fatal("the page links app.js without its hash")
	}
	for _, path := range []string{"/", "/goals/G3", "/api/v1/indicators/transit-boardings", js, "/static/vendor/echarts.min.js"} {
		plain, want := fetch(t, "GET", base+path, "identity")
		if plain.StatusCode != 200 || plain.Header.Get("Content-Encoding") != "" || len(want) < 1000 {
			t.Fatalf("%s without compression: %d %q, %d bytes", path, plain.StatusCode, plain.Header.Get("Content-Encoding"), len(want))
		}
		etags := map[string]bool{plain.Header.Get("ETag"): true}
		for _, enc := range []string{"gzip", "br"} {
			for range 2 { // the second answer comes from the compressed copy
				resp, got := fetch(t, "GET", base+path, "br;q=0.5, "+enc)
				if resp.Header.Get("Content-Encoding") != enc || !bytes.Equal(got, want) {
					t.Fatalf("%s accepting %s: encoding %q, %d bytes decoded (want %d identical)", path, enc, resp.Header.Get("Content-Encoding"), len(got), len(want))
				}
				if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
					t.Fatalf("%s: Vary %q", path, resp.Header.Get("Vary"))
				}
				etags[resp.Header.Get("ETag")] = true
				if resp.ContentLength >= int64(len(want)) {
					t.Fatalf("%s: %s body of %d bytes is no smaller than %d", path, enc, resp.ContentLength, len(want))
				}
				// Revalidating with the ETag of this encoding gets 304.
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set("Accept-Encoding", enc)
				req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
				r2, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				r2.Body.Close()
				if r2.StatusCode != http.StatusNotModified {
					t.Fatalf("%s (%s) with If-None-Match: %d", path, enc, r2.StatusCode)
				}
			}
		}
		if len(etags) != 3 {
			t.Fatalf("%s: identity, gzip and br share ETags %v; each encoding needs its own", path, etags)
		}
	}
	// A client that names no encoding (wget, scripts) gets the bytes as
	// they are.
	for _, path := range []string{"/", js} {
		cl := &http.Client{Transport: &http.Transport{DisableCompression: true}}
		resp, err := cl.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, want := fetch(t, "GET", base+path, "identity")
		if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(b, want) {
			t.Fatalf("%s without Accept-Encoding: Content-Encoding %q, %d bytes (want %d as they are)", path, resp.Header.Get("Content-Encoding"), len(b), len(want))
		}
	}
	// HEAD says the size without a body; an unknown file is a 404 page.
	head, b := fetch(t, "HEAD", base+js, "identity")
	if head.StatusCode != 200 || len(b) != 0 || head.ContentLength < 1000 {
		t.Fatalf("HEAD %s: %d, Content-Length %d, %d body bytes", js, head.StatusCode, head.ContentLength, len(b))
	}
	if code, _ := get(t, base+"/static/nope.js"); code != 404 {
		t.Fatalf("missing static file: %d", code)
	}
	// Each file says what it is; the licences read as text in a browser.
	for path, want := range map[string]string{js: "text/javascript", "/static/app.css": "text/css", "/static/favicon.svg": "image/svg+xml",
		"/static/vendor/ECHARTS-LICENSE": "text/plain"} {
		resp, _ := fetch(t, "GET", base+path, "identity")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("%s: Content-Type %q, want %s", path, ct, want)
		}
	}
}

// pageCacheCounts reads plandash_page_cache_total from /metrics by result.
func pageCacheCounts(t *testing.T, base, token string) map[string]float64 {
	t.Helper()
	req := mustRequest(t, base+"/metrics")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, m := range regexp.MustCompile(`(?m)^plandash_page_cache_total\{result="(\w+)"\} (\S+)$`).FindAllStringSubmatch(string(b), -1) {
		var v float64
		fmt.Sscan(m[2], &v)
		out[m[1]] = v
	}
	return out
}

// After the data changes, a surge of requests for a page runs its queries
// once: the others wait for that render and share it, whatever spelling of
// their language choice browsers send (pages are in English only).
func TestSurgeAfterAnImportRendersEachPageOnce(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	tok := newToken(t, s, "ed", auth.RoleEditor)
	if code, _ := postFile(t, base+"/api/v1/imports", tok, "r.csv", []byte(ridershipCSV), nil); code != 200 {
		t.Fatalf("import: %d", code)
	}
	before := pageCacheCounts(t, base, tok)
	const n = 32
	var wg sync.WaitGroup
	bodies := make([]string, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := mustRequest(t, base+"/finance")
			langs := []string{"", "en-US,en;q=0.9", "en-GB,en;q=0.8", "es-MX,es;q=0.9,en;q=0.5", "fr-CA", "en"}
			if l := langs[i%len(langs)]; l != "" {
				req.Header.Set("Accept-Language", l)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Errorf("request %d: %d", i, resp.StatusCode)
			}
			bodies[i] = string(b)
		}()
	}
	close(start)
	wg.Wait()
	after := pageCacheCounts(t, base, tok)
	renders := after["render"] - before["render"]
	others := after["shared"] + after["hit"] - before["shared"] - before["hit"]
	if renders != 1 || others != n-1 {
		t.Fatalf("%d requests for a page not yet rendered: %v renders, %v shared or from the cache; want 1 and %d", n, renders, others, n-1)
	}
	for i, b := range bodies {
		if b != bodies[0] || !strings.Contains(b, "</html>") {
			t.Fatalf("request %d got another page (%d bytes, first %d)", i, len(b), len(bodies[0]))
		}
	}
}
