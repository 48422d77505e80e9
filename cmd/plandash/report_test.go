package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/plandash/plandash/internal/auth"
)

func TestPublishedPacketKeepsItsNumbers(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "clerk", auth.RoleEditor, "city clerk password")
	cl := newClient(t, base)
	if cl.signIn("clerk", "city clerk password") != http.StatusSeeOther {
		t.Fatal("sign-in")
	}
	tok := cl.csrf("/report")
	code, _, h := cl.do("POST", "/report/publish", url.Values{"_csrf": {tok}, "scope": {"G4"}}, nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/packets/") {
		t.Fatalf("publish: %d %s", code, h.Get("Location"))
	}
	packetURL := base + h.Get("Location")
	_, frozen := get(t, packetURL)
	if strings.Contains(frozen, "_csrf") || strings.Contains(frozen, "Signed in as") {
		t.Fatal("the published packet carries a form token or the publisher's session")
	}
	if !strings.Contains(frozen, "As of November 26, 2026") {
		t.Fatal("the packet does not say its date")
	}
	latest := regexp.MustCompile(`(?s)Monthly transit boardings</h4>\s*<p>.*?<strong>([0-9,]+)</strong>`)
	m := latest.FindStringSubmatch(frozen)
	if m == nil {
		t.Fatal("the packet does not show the latest boardings")
	}
	// New data arrives: today's packet changes, the published one does not.
	tokAPI := newToken(t, s, "clerk", auth.RoleEditor)
	if code, rep := postFile(t, base+"/api/v1/imports", tokAPI, "r.csv", []byte(ridershipCSV), nil); code != 200 {
		t.Fatalf("import: %d %v", code, rep)
	}
	_, today := get(t, base+"/goals/G4/report")
	if n := latest.FindStringSubmatch(today); n == nil || n[1] != "93,100" {
		t.Fatalf("today's packet shows %v, want the new 93,100", n)
	}
	_, again := get(t, packetURL)
	if again != frozen {
		t.Fatal("the published packet changed after an import")
	}
	if _, list := get(t, base+"/packets"); !strings.Contains(list, "Goal 4") {
		t.Fatal("the list of packets lacks the published one")
	}
}

// TestBrowserPacketPrints prints the council packet to PDF once its charts
// are drawn, and checks that no indicator block, chart or table is taller
// than a printed page (each is kept whole by the print stylesheet).
func TestBrowserPacketPrints(t *testing.T) {
	b := getBrowser(t)
	s := startTestServer(t)
	base := "http://" + s.Addr()
	tb := newTab(t, b)
	charts := visit(t, tb, base, "/report", "packet")
	if len(charts) < len(s.plan.Indicators) {
		t.Fatalf("the packet drew %d charts for %d indicators", len(charts), len(s.plan.Indicators))
	}
	// Lay the page out as it prints on US Letter (8.5in wide, 96 px/in).
	if err := chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}), chromedp.EmulateViewport(816, 1056)); err != nil {
		t.Fatal(err)
	}
	type block struct {
		Cls    string  `json:"cls"`
		Height float64 `json:"height"`
		Avoid  string  `json:"avoid"`
		SVG    bool    `json:"svg"`
	}
	blocks, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]block](`Array.from(document.querySelectorAll('.report-indicator, .report-indicator .chart, .report-table')).map(function (el) {
	  var st = getComputedStyle(el);
	  return {cls: el.className, height: el.getBoundingClientRect().height, avoid: st.breakInside, svg: !!el.querySelector('svg')};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	// The printable height of a Letter page with the default margins.
	const printable = 1056 - 2*38
	if len(blocks) == 0 {
		t.Fatal("no report blocks")
	}
	for _, bl := range blocks {
		if bl.Avoid != "avoid" {
			t.Errorf("%s may be cut across pages (break-inside %q)", bl.Cls, bl.Avoid)
		}
		if bl.Height > printable {
			t.Errorf("%s is %.0f px tall, more than a printed page", bl.Cls, bl.Height)
		}
		if strings.Contains(bl.Cls, "chart") && !bl.SVG {
			t.Errorf("a packet chart is not drawn as SVG")
		}
	}
	pdf, err := chromedp.Run(tb.ctx, chromedp.PrintToPDF(func(p *page.PrintToPDFParams) {
		p.PrintBackground = ptr(true)
		p.GenerateTaggedPDF = ptr(true)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(pdf) < 10000 || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("the PDF is %d bytes", len(pdf))
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t), "packet.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pdf), "StructTreeRoot") {
		t.Error("the PDF is not tagged")
	}
}

func ptr[T any](v T) *T { return &v }
