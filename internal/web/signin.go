package web

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/auth"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) signinForm(c *fiber.Ctx) error {
	w := s.words(c)
	return s.render(c, "signin", pageData{Title: w.T("signin.title", nil), W: w, Data: map[string]any{"Next": safeNext(c.Query("next"))}})
}

func (s *Server) signin(c *fiber.Ctx) error {
	w := s.words(c)
	name := strings.TrimSpace(c.FormValue("name"))
	pw := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	fail := func(msgID string, data map[string]any) error {
		c.Status(fiber.StatusUnauthorized)
		return s.render(c, "signin", pageData{Title: w.T("signin.title", nil), W: w,
			Data: map[string]any{"Next": next, "Name": name, "Error": w.T(msgID, data)}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := s.Now()
	u, err := s.Accounts.UserByName(ctx, name)
	if err != nil || u.Disabled {
		auth.CheckPassword("", pw)
		s.audit(c, name, "sign-in failed", "unknown or disabled account")
		return fail("signin.failed", nil)
	}
	if now.Before(u.LockedUntil) {
		s.audit(c, u.Name, "sign-in refused", "account locked")
		mins := int(u.LockedUntil.Sub(now).Minutes()) + 1
		return fail("signin.locked", map[string]any{"Minutes": mins})
	}
	if !auth.CheckPassword(u.PasswordHash, pw) {
		failures := u.FailedAttempts + 1
		var until time.Time
		if d := auth.LockFor(failures); d > 0 {
			until = now.Add(d)
		}
		if err := s.Accounts.RecordFailure(ctx, u.ID, failures, until); err != nil {
			return err
		}
		s.audit(c, u.Name, "sign-in failed", "wrong password")
		return fail("signin.failed", nil)
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	// A new session id at sign-in, so a session fixed before it is worthless.
	if err := sess.Regenerate(); err != nil {
		return err
	}
	sess.Set("uid", u.ID)
	sess.Set("since", now.Unix())
	sess.Set("seen", time.Now().Unix())
	if err := sess.Save(); err != nil {
		return err
	}
	if err := s.Accounts.RecordSignIn(ctx, u.ID, now); err != nil {
		return err
	}
	s.audit(c, u.Name, "signed in", u.Role)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) signout(c *fiber.Ctx) error {
	sess, err := s.sessions.Get(c)
	if err == nil {
		if v := s.viewerOf(c); v != nil {
			s.audit(c, v.User.Name, "signed out", "")
		}
		if err := sess.Destroy(); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	w := s.words(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	entries, err := s.Accounts.AuditLog(ctx, 500)
	if err != nil {
		return err
	}
	loc := s.Plan().Location()
	type row struct{ At, Actor, Action, Detail, Address string }
	var rows []row
	for _, e := range entries {
		rows = append(rows, row{At: e.At.In(loc).Format("2006-01-02 15:04:05"), Actor: e.Actor, Action: e.Action, Detail: e.Detail, Address: e.Address})
	}
	return s.render(c, "audit", pageData{Title: w.T("audit.title", nil), W: w, Data: map[string]any{"Rows": rows}})
}
