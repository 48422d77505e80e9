package main

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSmallScreens opens every page type at 360 px wide (a small
// phone) and at 1280 px, checks that nothing is wider than the screen, and
// keeps screenshots of both.
func TestBrowserSmallScreens(t *testing.T) {
	b := getBrowser(t)
	s := startTestServer(t)
	base := "http://" + s.Addr()
	tb := newTab(t, b)
	pages := map[string]string{
		"scorecard": "/", "goal": "/goals/G3", "indicator": "/indicators/gf-revenue-vs-budget", "finance": "/finance",
		"packet": "/goals/G4/report", "embed": "/embed/indicators/transit-boardings", "signin": "/signin",
	}
	for _, width := range []int64{360, 1280} {
		if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(width, 800)); err != nil {
			t.Fatal(err)
		}
		for name, path := range pages {
			visit(t, tb, base, path, name+"-"+strconv.FormatInt(width, 10))
			type over struct {
				Page  int      `json:"page"`
				Wider []string `json:"wider"`
			}
			o, err := chromedp.Run(tb.ctx, chromedp.Evaluate[over](`(function () {
			  var w = document.documentElement.clientWidth, wider = [];
			  document.querySelectorAll('body *').forEach(function (el) {
			    var r = el.getBoundingClientRect();
			    if (r.width > 0 && r.right > w + 1 && !el.closest('.table-wrap')) {
			      wider.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : '') + ' ' + Math.round(r.right));
			    }
			  });
			  return {page: document.documentElement.scrollWidth, wider: wider.slice(0, 5)};
			})()`))
			if err != nil {
				t.Fatal(err)
			}
			if o.Page > int(width) {
				t.Errorf("%s at %d px: the page is %d px wide; wider elements: %v", path, width, o.Page, o.Wider)
			}
		}
	}
}
