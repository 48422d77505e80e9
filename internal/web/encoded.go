package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
)

// encodedBody is a response body that is sent many times: a cached page or
// a static file. It is compressed once per encoding, on the first request
// that asks for it, instead of on every response; under load compressing
// the same bytes again was most of the server's work.
type encodedBody struct {
	raw   []byte
	ctype string
	etag  string

	gzOnce, brOnce sync.Once
	gz, br         []byte
}

func newEncodedBody(raw []byte, ctype string) *encodedBody {
	sum := sha256.Sum256(raw)
	return &encodedBody{raw: raw, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// minCompress is the size under which compressing is not worth a header.
const minCompress = 512

// compressible says whether the content type is text that shrinks.
func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "json") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "svg") || strings.Contains(ctype, "xml")
}

// body returns the bytes for the encoding a client accepts ("br", "gzip"
// or "" for none) and the encoding actually used.
func (e *encodedBody) body(accept string) ([]byte, string) {
	if len(e.raw) < minCompress || !compressible(e.ctype) {
		return e.raw, ""
	}
	switch accept {
	case "br":
		e.brOnce.Do(func() {
			var b bytes.Buffer
			w := brotli.NewWriterLevel(&b, 6)
			_, _ = w.Write(e.raw)
			if w.Close() == nil && b.Len() < len(e.raw) {
				e.br = b.Bytes()
			}
		})
		if e.br != nil {
			return e.br, "br"
		}
	case "gzip":
		e.gzOnce.Do(func() {
			var b bytes.Buffer
			w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			_, _ = w.Write(e.raw)
			if w.Close() == nil && b.Len() < len(e.raw) {
				e.gz = b.Bytes()
			}
		})
		if e.gz != nil {
			return e.gz, "gzip"
		}
	}
	return e.raw, ""
}

// send writes the body with its ETag, answering 304 Not Modified when the
// client already has it, in the best encoding the client accepts. The
// compression middleware leaves a response alone once it has a
// Content-Encoding.
func (e *encodedBody) send(c *fiber.Ctx) error {
	accept := ""
	if c.Get(fiber.HeaderAcceptEncoding) != "" {
		// Fiber offers its first choice when the header is absent; a
		// client that says nothing gets the body as it is.
		accept = c.AcceptsEncodings("br", "gzip")
	}
	b, enc := e.body(accept)
	// Each encoding is its own representation with its own validator.
	etag := e.etag
	if enc != "" {
		etag = strings.TrimSuffix(etag, `"`) + "-" + enc + `"`
	}
	c.Set(fiber.HeaderETag, etag)
	c.Append(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, etag) {
		c.Response().ResetBody()
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, e.ctype)
	if enc != "" {
		c.Set(fiber.HeaderContentEncoding, enc)
	}
	c.Status(fiber.StatusOK)
	if c.Method() == fiber.MethodHead {
		c.Response().Header.SetContentLength(len(b))
		c.Response().SkipBody = true
		return nil
	}
	return c.Send(b)
}

// staticFiles serves the files embedded in the binary from memory.
type staticFiles map[string]*encodedBody

func loadStatic(static fs.FS) (staticFiles, error) {
	out := staticFiles{}
	err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			// The vendored licences and checksums are plain text.
			ctype = fiber.MIMEOctetStream
			if utf8.Valid(b) {
				ctype = fiber.MIMETextPlainCharsetUTF8
			}
		}
		out[p] = newEncodedBody(b, ctype)
		return nil
	})
	return out, err
}

// hash is the short content hash that static URLs carry.
func (e *encodedBody) hash() string { return strings.Trim(e.etag, `"`)[:12] }

// handler serves GET and HEAD under the prefix it is mounted at. A URL
// carrying the file's content hash (?v=) never changes meaning, so
// browsers and proxies may keep it for a year; an old or wrong hash gets
// today's file for an hour only.
func (sf staticFiles) handler(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return c.Next()
	}
	name := strings.TrimPrefix(c.Path(), "/static/")
	f, ok := sf[name]
	if !ok {
		return c.Next()
	}
	if c.Query("v") == f.hash() {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	}
	return f.send(c)
}
