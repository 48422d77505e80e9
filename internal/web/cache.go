package web

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// pageCache keeps rendered anonymous responses. Its key is what decides
// their content (DESIGN: the data version, the plan file's hash, the date,
// since status and freshness change with it, and the viewer's role), plus
// the path; a new import or undo changes the data version, so nothing stale
// is ever served. Signed-in staff are never served from it: their pages may
// hold non-public data and their own CSRF token.
type pageCache struct {
	mu sync.Mutex
	m  map[string]*encodedBody
}

// maxCachedPages bounds the cache; when full it starts afresh.
const maxCachedPages = 1000

func (pc *pageCache) get(k string) (*encodedBody, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	p, ok := pc.m[k]
	return p, ok
}

func (pc *pageCache) put(k string, p *encodedBody) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.m == nil || len(pc.m) >= maxCachedPages {
		pc.m = map[string]*encodedBody{}
	}
	pc.m[k] = p
}

// AnonMaxAge is how long a proxy or CDN in front may serve an anonymous page.
const AnonMaxAge = 60

// anonCacheControl lets shared caches keep an anonymous page AnonMaxAge
// seconds and has browsers ask again each time.
var anonCacheControl = "public, max-age=0, s-maxage=" + strconv.Itoa(AnonMaxAge)

// cached serves anonymous GET (and HEAD) requests of the public pages and
// API from the cache, with an ETag and 304 Not Modified, and tells proxies
// they may keep them for a minute. A HEAD request gets the headers its GET
// would; the server leaves the body out.
func (s *Server) cached(c *fiber.Ctx) error {
	if (c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead) || s.viewerOf(c) != nil || !s.Public {
		return c.Next()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ver, err := s.Backend.DataVersion(ctx)
	if err != nil {
		return c.Next()
	}
	p := s.Plan()
	day := s.Now().In(p.Location()).Format("2006-01-02")
	// The language the page is written in, not the header that chose it:
	// browsers send many spellings of the same choice.
	key := strings.Join([]string{ver, p.Hash, day, "anonymous", s.language(c).String(), c.OriginalURL()}, "|")
	if pg, ok := s.cache.get(key); ok {
		s.metrics.pages.WithLabelValues("hit").Inc()
		return s.sendCached(c, pg)
	}
	// Requests for a page nobody has rendered since the data changed wait
	// for one render instead of each running its queries: after an import
	// a surge of visitors costs one render per page.
	leader := false
	v, err, _ := s.flight.Do(key, func() (any, error) {
		leader = true
		if err := c.Next(); err != nil {
			return nil, err
		}
		if c.Response().StatusCode() != fiber.StatusOK || len(c.Response().Header.Peek(fiber.HeaderSetCookie)) > 0 {
			return nil, nil
		}
		pg := newEncodedBody(append([]byte(nil), c.Response().Body()...), string(c.Response().Header.ContentType()))
		s.cache.put(key, pg)
		return pg, nil
	})
	pg, _ := v.(*encodedBody)
	switch {
	case leader && err != nil:
		return err
	case leader && pg == nil:
		return nil // answered as rendered, not kept
	case leader:
		s.metrics.pages.WithLabelValues("render").Inc()
	case err != nil || pg == nil:
		// The render this request waited for failed or was not kept:
		// this request renders for itself.
		return c.Next()
	default:
		s.metrics.pages.WithLabelValues("shared").Inc()
	}
	return s.sendCached(c, pg)
}

// sendCached answers with an anonymous page. Shared caches (nginx, a CDN)
// may keep it a minute; browsers ask again every time and get 304 while it
// is unchanged. It varies with the encoding, and with the language only when
// pages come in more than one; not with cookies: a visitor's other cookies,
// such as a city site's analytics, must not give every visitor a proxy
// cache entry of their own. A browser that has since signed in asks again
// with its session cookie and gets its own page, and a proxy passes on
// requests with the session cookie or a token without caching them
// (docs/deploy.md).
func (s *Server) sendCached(c *fiber.Ctx, pg *encodedBody) error {
	c.Set(fiber.HeaderCacheControl, anonCacheControl)
	if s.multilingual() {
		c.Set(fiber.HeaderVary, "Accept-Language, Authorization")
	} else {
		c.Set(fiber.HeaderVary, "Authorization")
	}
	return pg.send(c)
}

// asset is the URL of a static file with its content hash.
func (s *Server) asset(name string) string {
	if f, ok := s.static[name]; ok {
		return "/static/" + name + "?v=" + f.hash()
	}
	return "/static/" + name
}
