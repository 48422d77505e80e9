package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestEmbedPageMayBeFramedByTheCitySite(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	resp, err := http.Get(base + "/embed/indicators/transit-boardings")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(csp, "frame-ancestors 'self'") || resp.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("embed: %d CSP %q XFO %q", resp.StatusCode, csp, resp.Header.Get("X-Frame-Options"))
	}
	if !strings.Contains(csp, "script-src 'self'") {
		t.Fatal("the embed page lost the script policy")
	}
	// Ordinary pages still refuse to be framed.
	resp, err = http.Get(base + "/indicators/transit-boardings")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("the indicator page may be framed: %q", resp.Header.Get("Content-Security-Policy"))
	}
	_, body := get(t, base+"/embed/indicators/transit-boardings")
	if strings.Contains(body, "site-nav") || !strings.Contains(body, `data-options="embed-transit-boardings-options"`) {
		t.Fatal("the embed page has the site chrome or no chart")
	}
}
