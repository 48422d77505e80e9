package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
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
	m  map[string]cachedPage
}

type cachedPage struct {
	body  []byte
	ctype string
	etag  string
}

// maxCachedPages bounds the cache; when full it starts afresh.
const maxCachedPages = 1000

func (pc *pageCache) get(k string) (cachedPage, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	p, ok := pc.m[k]
	return p, ok
}

func (pc *pageCache) put(k string, p cachedPage) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.m == nil || len(pc.m) >= maxCachedPages {
		pc.m = map[string]cachedPage{}
	}
	pc.m[k] = p
}

// AnonMaxAge is how long a proxy or CDN in front may serve an anonymous page.
const AnonMaxAge = 60

// cached serves anonymous GET requests of the public pages and API from the
// cache, with an ETag and 304 Not Modified, and tells proxies they may keep
// them for a minute.
func (s *Server) cached(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet || s.viewerOf(c) != nil || !s.Public {
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
	key := strings.Join([]string{ver, p.Hash, day, "anonymous", c.Get(fiber.HeaderAcceptLanguage), c.OriginalURL()}, "|")
	if pg, ok := s.cache.get(key); ok {
		return s.sendCached(c, pg)
	}
	if err := c.Next(); err != nil {
		return err
	}
	if c.Response().StatusCode() != fiber.StatusOK || len(c.Response().Header.Peek(fiber.HeaderSetCookie)) > 0 {
		return nil
	}
	body := append([]byte(nil), c.Response().Body()...)
	sum := sha256.Sum256(body)
	pg := cachedPage{body: body, ctype: string(c.Response().Header.ContentType()), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	s.cache.put(key, pg)
	return s.sendCached(c, pg)
}

func (s *Server) sendCached(c *fiber.Ctx, pg cachedPage) error {
	c.Set(fiber.HeaderETag, pg.etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	c.Set(fiber.HeaderVary, "Accept-Language, Accept-Encoding, Cookie, Authorization")
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, pg.etag) {
		c.Response().ResetBody()
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, pg.ctype)
	c.Status(fiber.StatusOK)
	return c.Send(pg.body)
}

// assetHashes maps each static file to a short hash of its content, so its
// URL changes whenever it does and browsers may keep it for a year.
func assetHashes(static fs.FS) (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out, err
}

// asset is the URL of a static file with its content hash.
func (s *Server) asset(name string) string {
	if h, ok := s.assets[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}
