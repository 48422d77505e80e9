package web

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/session"

	"github.com/plandash/plandash/internal/auth"
	"github.com/plandash/plandash/internal/imports"
)

// Accounts is what sign-in and tokens need; the store satisfies it.
type Accounts interface {
	UserByName(ctx context.Context, name string) (*imports.User, error)
	UserByID(ctx context.Context, id int64) (*imports.User, error)
	RecordSignIn(ctx context.Context, id int64, now time.Time) error
	RecordFailure(ctx context.Context, id int64, failures int, lockedUntil time.Time) error
	TokenUser(ctx context.Context, hash string) (*imports.User, *imports.Token, error)
	Audit(ctx context.Context, e imports.AuditEntry) error
	AuditLog(ctx context.Context, limit int) ([]imports.AuditEntry, error)
}

// Session lifetimes: a session ends after IdleTimeout without a request,
// and AbsoluteTimeout after sign-in whatever happens.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
)

// viewer is who makes a request: nil for an anonymous visitor.
type viewer struct {
	User *imports.User
	// Role is the account's role, or the token's when signed in by token.
	Role string
	// Token is true for API-token requests (no cookies, no CSRF).
	Token bool
}

const localViewer = "plandash.viewer"

func (s *Server) viewerOf(c *fiber.Ctx) *viewer {
	v, _ := c.Locals(localViewer).(*viewer)
	return v
}

// public reports whether the request must see public data only.
func (s *Server) public(c *fiber.Ctx) bool { return s.viewerOf(c) == nil }

func newSessionStore(secure bool, storage fiber.Storage) *session.Store {
	return session.New(session.Config{
		Storage:        storage,
		Expiration:     IdleTimeout,
		KeyLookup:      "cookie:plandash_session",
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		CookieSecure:   secure,
	})
}

// identify finds the viewer from an API token or the session cookie.
func (s *Server) identify(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		plain, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return fiber.NewError(fiber.StatusUnauthorized, "use Authorization: Bearer TOKEN")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		u, t, err := s.Accounts.TokenUser(ctx, auth.HashToken(plain))
		if err != nil {
			return fiber.NewError(fiber.StatusUnauthorized, "the API token is not valid")
		}
		c.Locals(localViewer, &viewer{User: u, Role: t.Role, Token: true})
		return c.Next()
	}
	if c.Cookies("plandash_session") == "" {
		return c.Next()
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return c.Next()
	}
	uid, _ := sess.Get("uid").(int64)
	since, _ := sess.Get("since").(int64)
	if uid == 0 {
		return c.Next()
	}
	if s.Now().Sub(time.Unix(since, 0)) > AbsoluteTimeout {
		_ = sess.Destroy()
		return c.Next()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := s.Accounts.UserByID(ctx, uid)
	if err != nil || u.Disabled {
		_ = sess.Destroy()
		return c.Next()
	}
	c.Locals(localViewer, &viewer{User: u, Role: u.Role})
	// Touch the session so the idle timeout counts from this request, at
	// most once a minute: the session is a write to the database. The
	// storage's clock is the real one, whatever --now says.
	if now := time.Now().Unix(); now-sessionTouched(sess) >= touchEvery {
		sess.Set("seen", now)
		_ = sess.Save()
	}
	return c.Next()
}

// touchEvery is how many seconds a session goes between writes that renew
// it; the idle timeout is that much shorter at worst.
const touchEvery = 60

// sessionTouched is when the session was last written (Unix seconds).
func sessionTouched(sess *session.Session) int64 {
	t, _ := sess.Get("seen").(int64)
	return t
}

// requireSignIn keeps a sign-in-only scorecard from anonymous visitors.
func (s *Server) requireSignIn(c *fiber.Ctx) error {
	if s.Public || s.viewerOf(c) != nil {
		return c.Next()
	}
	p := c.Path()
	if p == "/signin" || p == "/healthz" || strings.HasPrefix(p, "/static/") {
		return c.Next()
	}
	if strings.HasPrefix(p, "/api/") {
		return fiber.NewError(fiber.StatusUnauthorized, "sign in or send an API token")
	}
	return c.Redirect("/signin?next="+urlQueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

// role guards a route: anonymous callers must sign in (401 for the API, a
// redirect for pages), signed-in callers need at least the role (403).
func (s *Server) role(need string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := s.viewerOf(c)
		if v == nil {
			if strings.HasPrefix(c.Path(), "/api/") || c.Method() != fiber.MethodGet {
				return fiber.NewError(fiber.StatusUnauthorized, "sign in or send an API token")
			}
			return c.Redirect("/signin?next="+urlQueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		if !auth.Allows(v.Role, need) {
			return fiber.NewError(fiber.StatusForbidden, "your account ("+v.Role+") may not do this; it needs the "+need+" role")
		}
		return c.Next()
	}
}

// newCSRF protects forms and state-changing requests made with the session
// cookie: the token travels in the form field _csrf or the X-Csrf-Token
// header. Requests signed with an API token carry no cookie and skip it.
func (s *Server) newCSRF() fiber.Handler {
	return csrf.New(csrf.Config{
		// Anonymous visitors get no token (public pages stay cacheable) except
		// on the sign-in form; API-token requests carry no cookie to forge.
		Next: func(c *fiber.Ctx) bool {
			v := s.viewerOf(c)
			if v == nil {
				return c.Path() != "/signin"
			}
			return v.Token
		},
		CookieName:     "plandash_csrf",
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		CookieSecure:   s.Secure,
		Expiration:     AbsoluteTimeout,
		ContextKey:     "csrf",
		Extractor: func(c *fiber.Ctx) (string, error) {
			if t := c.Get(csrf.HeaderName); t != "" {
				return t, nil
			}
			if t := c.FormValue("_csrf"); t != "" {
				return t, nil
			}
			return "", errors.New("missing CSRF token")
		},
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return fiber.NewError(fiber.StatusForbidden, "the form has expired or did not come from this site; reload the page and try again")
		},
	})
}

// signInLimiter slows repeated sign-in attempts from one address (the
// trusted-proxy settings decide what the address is).
func (s *Server) signInLimiter() fiber.Handler {
	return limiter.New(limiter.Config{
		Max:        10,
		Expiration: time.Minute,
		Next:       func(c *fiber.Ctx) bool { return c.Method() != fiber.MethodPost },
		KeyGenerator: func(c *fiber.Ctx) string {
			return c.IP()
		},
		LimitReached: func(c *fiber.Ctx) error {
			return fiber.NewError(fiber.StatusTooManyRequests, "too many sign-in attempts from your address; wait a minute and try again")
		},
	})
}

func csrfToken(c *fiber.Ctx) string {
	t, _ := c.Locals("csrf").(string)
	return t
}

func (s *Server) audit(c *fiber.Ctx, actor, action, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Accounts.Audit(ctx, imports.AuditEntry{At: s.Now(), Actor: actor, Action: action, Detail: detail, Address: c.IP()}); err != nil {
		s.Log.Error("audit", "action", action, "err", err)
	}
}
