package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Packet is a council packet as published.
type Packet struct {
	ID          int64
	Title       string
	Scope       string
	AsOf        time.Time
	PublishedBy string
	PublishedAt time.Time
	HTML        string
}

// SavePacket stores a published packet and returns its id.
func (s *Store) SavePacket(ctx context.Context, p *Packet) (int64, error) {
	defer s.lockWrite()()
	err := s.db.QueryRowContext(ctx, `INSERT INTO packets (title, scope, as_of, published_by, published_at, html) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		p.Title, p.Scope, p.AsOf, p.PublishedBy, p.PublishedAt, p.HTML).Scan(&p.ID)
	if err != nil {
		return 0, fmt.Errorf("store: save packet: %w", err)
	}
	return p.ID, nil
}

// Packets lists the published packets, newest first, without their HTML.
func (s *Store) Packets(ctx context.Context) ([]*Packet, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, title, scope, as_of, COALESCE(published_by, ''), published_at FROM packets ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: packets: %w", err)
	}
	defer rows.Close()
	var out []*Packet
	for rows.Next() {
		var p Packet
		if err := rows.Scan(&p.ID, &p.Title, &p.Scope, &p.AsOf, &p.PublishedBy, &p.PublishedAt); err != nil {
			return nil, err
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}

// PacketByID returns a published packet with its HTML, or nil.
func (s *Store) PacketByID(ctx context.Context, id int64) (*Packet, error) {
	var p Packet
	err := s.db.QueryRowContext(ctx, `SELECT id, title, scope, as_of, COALESCE(published_by, ''), published_at, html FROM packets WHERE id = ?`, id).
		Scan(&p.ID, &p.Title, &p.Scope, &p.AsOf, &p.PublishedBy, &p.PublishedAt, &p.HTML)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: packet %d: %w", id, err)
	}
	return &p, nil
}
