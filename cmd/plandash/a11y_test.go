package main

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/plandash/plandash/internal/auth"
)

// TestBrowserAccessibility runs axe-core (WCAG 2.1 A and AA rules) on every
// page type, anonymous and signed in, and fails on any serious or critical
// violation; it also checks that keyboard focus is visible.
func TestBrowserAccessibility(t *testing.T) {
	b := getBrowser(t)
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ed", auth.RoleAdmin, "an admin password")
	tb := newTab(t, b)
	public := map[string]string{
		"scorecard": "/", "goal": "/goals/G2", "indicator": "/indicators/transit-boardings", "finance": "/finance",
		"packet": "/goals/G3/report", "embed": "/embed/indicators/gf-revenue-vs-budget", "signin": "/signin", "not found": "/no/such/page",
	}
	for name, path := range public {
		if err := chromedp.Do(tb.ctx, chromedp.Navigate(base+path)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, tb, name)
	}
	// Keyboard: the first Tab reaches the skip link, and focus shows.
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(base+"/"), chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	focus, err := chromedp.Run(tb.ctx, chromedp.Evaluate[map[string]string](`(function () {
	  var el = document.activeElement, st = getComputedStyle(el);
	  return {tag: el.tagName, cls: el.className, outline: st.outlineStyle + ' ' + st.outlineWidth, shadow: st.boxShadow};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if focus["cls"] != "skip-link" {
		t.Errorf("the first Tab focuses %v, want the skip link", focus)
	}
	if (focus["outline"] == "none 0px" || focus["outline"] == "") && (focus["shadow"] == "none" || focus["shadow"] == "") {
		t.Errorf("keyboard focus is invisible: %v", focus)
	}
	// Staff pages, signed in.
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "ed"), chromedp.SendKeys(chromedp.CSS("#password"), "an admin password"),
		chromedp.Click(chromedp.CSS("form.form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("form.signout"))); err != nil {
		t.Fatal(err)
	}
	staff := map[string]string{
		"imports": "/imports", "import": "/imports/1", "upload": "/datasets/revenue/upload", "entry": "/datasets/transit_ridership/entry?indicator=transit-boardings",
		"audit": "/admin/audit", "indicator (staff)": "/indicators/gf-revenue-vs-budget", "packets": "/packets",
	}
	for name, path := range staff {
		if err := chromedp.Do(tb.ctx, chromedp.Navigate(base+path)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, tb, name)
	}
}
