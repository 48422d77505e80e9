package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Accessibility checks with axe-core (https://github.com/dequelabs/axe-core),
// run inside the test browser on a page already loaded in a tab:
//
//	tb := newTab(t, getBrowser(t))
//	visit(t, tb, base, "/late", "late")
//	checkAxe(t, tb, "/late")
//
// axe-core is not vendored: the first run fetches the pinned release from the
// npm registry with `npm pack` into testdata/axe/ (git-ignored), and later
// runs reuse it; `make axe` fetches it ahead (CI runs it through `make
// test`). PLANDASH_AXE may name an axe.min.js to use instead.

// axeVersion is the axe-core release the checks run.
const axeVersion = "4.10.3"

// axeTags are the rule sets checked: WCAG 2.0 and 2.1, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

// axeDir is where the fetched release is kept.
func axeDir() string { return filepath.Join("testdata", "axe", "axe-core-"+axeVersion) }

// axeScript returns the source of axe.min.js, fetching it when missing.
func axeScript(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		path := os.Getenv("PLANDASH_AXE")
		if path == "" {
			path = filepath.Join(axeDir(), "axe.min.js")
			if _, err := os.Stat(path); err != nil {
				if axeErr = fetchAxe(axeDir()); axeErr != nil {
					return
				}
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			axeErr = err
			return
		}
		if !strings.Contains(string(b[:min(len(b), 400)]), axeVersion) && os.Getenv("PLANDASH_AXE") == "" {
			axeErr = fmt.Errorf("%s is not axe-core %s; delete it and run the tests again", path, axeVersion)
			return
		}
		axeJS = string(b)
	})
	if axeErr != nil {
		t.Fatalf("axe-core: %v (fetch it with `make axe`, which needs npm and the npm registry, or set PLANDASH_AXE to an axe.min.js)", axeErr)
	}
	return axeJS
}

// fetchAxe downloads axe-core with npm pack and keeps its axe.min.js and
// licence in dir.
func fetchAxe(dir string) error {
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("npm is not installed")
	}
	tmp, err := os.MkdirTemp("", "plandash-axe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("npm", "pack", "--silent", "--ignore-scripts", "--pack-destination", tmp, "axe-core@"+axeVersion)
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm pack axe-core@%s: %v: %s", axeVersion, err, strings.TrimSpace(string(out)))
	}
	tgz := filepath.Join(tmp, "axe-core-"+axeVersion+".tgz")
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("npm pack left no %s: %w", filepath.Base(tgz), err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	want := map[string]string{"package/axe.min.js": "axe.min.js", "package/LICENSE": "LICENSE"}
	got := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if name, ok := want[h.Name]; ok {
			b, err := io.ReadAll(io.LimitReader(tr, 8<<20))
			if err != nil {
				return err
			}
			got[name] = b
		}
	}
	if len(got["axe.min.js"]) == 0 {
		return fmt.Errorf("the axe-core %s package has no axe.min.js", axeVersion)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range got {
		// Write beside, then rename: a test killed halfway leaves no half file.
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p+".tmp", b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			return err
		}
	}
	return nil
}

// axeViolation is one rule the page breaks, with the elements that break it.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target         []any  `json:"target"`
		HTML           string `json:"html"`
		FailureSummary string `json:"failureSummary"`
	} `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s, %d element(s)", v.ID, v.Impact, v.Help, len(v.Nodes))
	for i, n := range v.Nodes {
		if i == 3 {
			fmt.Fprintf(&b, "\n    ... and %d more", len(v.Nodes)-3)
			break
		}
		html := n.HTML
		if len(html) > 160 {
			html = html[:160] + "…"
		}
		fmt.Fprintf(&b, "\n    %v %s\n      %s", n.Target, html, strings.ReplaceAll(n.FailureSummary, "\n", " "))
	}
	return b.String()
}

// runAxe runs axe-core on the page open in the tab (after its charts are
// drawn, if it has any, so that they are checked too) and returns every
// violation of the WCAG 2.1 A and AA rules.
func runAxe(t *testing.T, tb *tab) []axeViolation {
	t.Helper()
	ready := `document.readyState === "complete" && (document.documentElement.dataset.chartsReady === "1" || !document.querySelector("[data-options]"))`
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("axe: the page's charts never said they were drawn: %v", err)
	}
	// The script is evaluated through the DevTools protocol, which the
	// page's Content-Security-Policy does not govern.
	if err := chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](axeScript(t)+"\n;void 0")); err != nil {
		t.Fatalf("axe: injecting axe-core: %v", err)
	}
	tags, _ := json.Marshal(axeTags)
	expr := fmt.Sprintf(`axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']}).then(function (r) { return JSON.stringify(r.violations); })`, tags)
	out, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe: running axe-core: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe: reading its result: %v", err)
	}
	return vs
}

// checkAxe fails the test for every violation of the given impacts (default
// serious and critical) on the page open in the tab, and logs the others.
func checkAxe(t *testing.T, tb *tab, page string, impacts ...string) {
	t.Helper()
	if len(impacts) == 0 {
		impacts = []string{"serious", "critical"}
	}
	for _, v := range runAxe(t, tb) {
		fail := false
		for _, im := range impacts {
			fail = fail || v.Impact == im
		}
		if fail {
			t.Errorf("%s: accessibility: %s", page, v)
		} else {
			t.Logf("%s: accessibility (%s, not failing): %s", page, v.Impact, v.ID)
		}
	}
}

// TestAxeFindsViolations makes sure the checks can fail: a page with an
// image without a text alternative and an unlabelled input breaks two rules.
func TestAxeFindsViolations(t *testing.T) {
	tb := newTab(t, getBrowser(t))
	page := `<!doctype html><html lang="en"><head><title>t</title></head><body><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>`
	if err := chromedp.Do(tb.ctx, chromedp.Navigate("data:text/html,"+url.PathEscape(page))); err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, v := range runAxe(t, tb) {
		found[v.ID] = v.Impact
	}
	if found["image-alt"] != "critical" || found["label"] != "critical" {
		t.Errorf("axe found %v; want image-alt and label, critical", found)
	}
}
