package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is an account.
type User struct {
	ID             int64
	Name           string
	Role           string
	PasswordHash   string
	Disabled       bool
	Created        time.Time
	FailedAttempts int
	LockedUntil    time.Time
	LastSignIn     time.Time
}

// Token is an API token's stored form (its hash, never the token).
type Token struct {
	ID     int64
	UserID int64
	Hash   string
	Role   string
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string
	Detail  string
	Address string
}

// ErrNoUser is returned when an account does not exist.
var ErrNoUser = errors.New("store: no such user")

const userCols = `id, name, role, password_hash, disabled, created, failed_attempts, locked_until, last_sign_in`

func scanUser(sc interface{ Scan(...any) error }) (*User, error) {
	var u User
	var hash sql.NullString
	var locked, last sql.NullTime
	if err := sc.Scan(&u.ID, &u.Name, &u.Role, &hash, &u.Disabled, &u.Created, &u.FailedAttempts, &locked, &last); err != nil {
		return nil, err
	}
	u.PasswordHash, u.LockedUntil, u.LastSignIn = hash.String, locked.Time, last.Time
	return &u, nil
}

// AddUser creates an account; names are unique, ignoring case.
func (s *Store) AddUser(ctx context.Context, name, role, hash string, now time.Time) (*User, error) {
	defer s.lockWrite()()
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE lower(name) = lower(?)`, name).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: add user: %w", err)
	}
	if n > 0 {
		return nil, fmt.Errorf("a user named %q already exists", name)
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, `INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?) RETURNING `+userCols, name, role, hash, now))
	if err != nil {
		return nil, fmt.Errorf("store: add user: %w", err)
	}
	return u, nil
}

// UserByName finds an account by name, ignoring case.
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE lower(name) = lower(?)`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoUser
	}
	if err != nil {
		return nil, fmt.Errorf("store: user %s: %w", name, err)
	}
	return u, nil
}

// UserByID finds an account by id.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoUser
	}
	if err != nil {
		return nil, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// Users lists every account by name.
func (s *Store) Users(ctx context.Context) ([]*User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY lower(name)`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *Store) updateUser(ctx context.Context, q string, args ...any) error {
	defer s.lockWrite()()
	r, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: update user: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return ErrNoUser
	}
	return nil
}

// SetPassword replaces an account's password hash and clears its lock.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) error {
	return s.updateUser(ctx, `UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?`, hash, id)
}

// SetDisabled disables or enables an account; disabling revokes its tokens.
func (s *Store) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	if err := s.updateUser(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, id); err != nil {
		return err
	}
	if disabled {
		defer s.lockWrite()()
		if _, err := s.db.ExecContext(ctx, `UPDATE tokens SET revoked = true WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("store: revoke tokens: %w", err)
		}
	}
	return nil
}

// RecordSignIn notes a successful sign-in and clears failures.
func (s *Store) RecordSignIn(ctx context.Context, id int64, now time.Time) error {
	return s.updateUser(ctx, `UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in = ? WHERE id = ?`, now, id)
}

// RecordFailure notes a failed sign-in and locks the account until lockedUntil (zero: no lock).
func (s *Store) RecordFailure(ctx context.Context, id int64, failures int, lockedUntil time.Time) error {
	return s.updateUser(ctx, `UPDATE users SET failed_attempts = ?, locked_until = ? WHERE id = ?`, failures, nullTime(lockedUntil), id)
}

// AddToken stores a token's hash for an account, with the role it carries.
func (s *Store) AddToken(ctx context.Context, userID int64, hash, role string, now time.Time) (int64, error) {
	defer s.lockWrite()()
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO tokens (user_id, hash, role, created) VALUES (?, ?, ?, ?) RETURNING id`, userID, hash, role, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: add token: %w", err)
	}
	return id, nil
}

// TokenUser finds the enabled account of an unrevoked token by its hash.
func (s *Store) TokenUser(ctx context.Context, hash string) (*User, *Token, error) {
	var t Token
	err := s.db.QueryRowContext(ctx, `SELECT id, user_id, hash, role FROM tokens WHERE hash = ? AND NOT revoked`, hash).Scan(&t.ID, &t.UserID, &t.Hash, &t.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNoUser
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: token: %w", err)
	}
	u, err := s.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, ErrNoUser
	}
	return u, &t, nil
}

// Audit appends to the audit log.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	defer s.lockWrite()()
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit (occurred, actor, action, detail, address) VALUES (?, ?, ?, ?, ?)`, e.At, e.Actor, e.Action, e.Detail, e.Address)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditLog lists the newest entries first.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, occurred, COALESCE(actor, ''), action, COALESCE(detail, ''), COALESCE(address, '') FROM audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Detail, &e.Address); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
