package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// SessionStorage keeps the web server's sign-in sessions in the database,
// so that a restart or an upgrade does not sign staff out. It is Fiber's
// storage interface (Get, Set, Delete, Reset, Close). A key is stored as
// its SHA-256, so a copy of the database hands out no live session, and
// backups leave the sessions out. These writes are not data: they do not
// change the data version that page caches follow.
type SessionStorage struct {
	s    *Store
	sets atomic.Int64
}

// SessionStorage returns the store's session storage.
func (s *Store) SessionStorage() *SessionStorage { return &SessionStorage{s: s} }

// sweepEvery is how many sets pass between removals of expired sessions.
const sweepEvery = 100

func sessionKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Get returns the value of key, or nil when there is none or it expired.
func (st *SessionStorage) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	var v []byte
	err := st.s.db.QueryRow(`SELECT value FROM web_sessions WHERE key = ? AND (expires IS NULL OR expires > ?)`,
		sessionKey(key), time.Now()).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	return v, nil
}

// Set stores val under key for exp (0: no expiry).
func (st *SessionStorage) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	now := time.Now()
	var expires any
	if exp > 0 {
		expires = now.Add(exp)
	}
	if _, err := st.s.db.Exec(`INSERT OR REPLACE INTO web_sessions VALUES (?, ?, ?)`, sessionKey(key), val, expires); err != nil {
		return fmt.Errorf("store: session: %w", err)
	}
	if st.sets.Add(1)%sweepEvery == 0 {
		if _, err := st.s.db.Exec(`DELETE FROM web_sessions WHERE expires <= ?`, now); err != nil {
			return fmt.Errorf("store: session: %w", err)
		}
	}
	return nil
}

// Delete removes key.
func (st *SessionStorage) Delete(key string) error {
	if key == "" {
		return nil
	}
	if _, err := st.s.db.Exec(`DELETE FROM web_sessions WHERE key = ?`, sessionKey(key)); err != nil {
		return fmt.Errorf("store: session: %w", err)
	}
	return nil
}

// Reset removes every session.
func (st *SessionStorage) Reset() error {
	if _, err := st.s.db.Exec(`DELETE FROM web_sessions`); err != nil {
		return fmt.Errorf("store: session: %w", err)
	}
	return nil
}

// Close does nothing: the store closes the database.
func (st *SessionStorage) Close() error { return nil }
