package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

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
	// An import changes the data version: the same request now gets the new page.
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	tok := newToken(t, s, "ed", auth.RoleEditor)
	if code, _ := postFile(t, base+"/api/v1/imports", tok, "r.csv", []byte(ridershipCSV), nil); code != 200 {
		t.Fatalf("import: %d", code)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag {
		t.Fatalf("after an import: %d with ETag %s (was %s)", resp.StatusCode, resp.Header.Get("ETag"), etag)
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
}
