package store

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
)

// Folder is an IMAP folder of an account, or a public folder (AccountID 0).
type Folder struct {
	ID          int64
	AccountID   int64
	ParentID    int64 // 0: top level
	Name        string
	Subscribed  bool
	UIDValidity uint32
	UIDNext     uint32
}

// createFolder adds a folder with a fresh UIDVALIDITY (RFC 3501 2.3.1.1: it
// must change when a folder of the same name is created again).
func (s *Store) createFolder(ctx context.Context, q queryer, accountID, parentID int64, name string) (Folder, error) {
	f := Folder{AccountID: accountID, ParentID: parentID, Name: name, Subscribed: true,
		UIDValidity: uint32(s.unix()) ^ rand.Uint32N(1<<16), UIDNext: 1}
	if f.UIDValidity == 0 {
		f.UIDValidity = 1
	}
	id, err := s.dialect.insert(ctx, q, "imap_folders",
		[]string{"account_id", "parent_id", "name", "subscribed", "uid_validity", "uid_next", "created_at"},
		accountID, parentID, name, 1, int64(f.UIDValidity), int64(f.UIDNext), s.unix())
	if err != nil {
		return Folder{}, s.duplicate(err, "name", "the folder %q already exists", name)
	}
	f.ID = id
	return f, nil
}

// Folders lists an account's folders (0: the public folders).
func (s *Store) Folders(ctx context.Context, accountID int64) ([]Folder, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, account_id, parent_id, name, subscribed, uid_validity, uid_next FROM imap_folders WHERE account_id = ? ORDER BY parent_id, name", accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Folder
	for rows.Next() {
		var f Folder
		var validity, next int64
		if err := rows.Scan(&f.ID, &f.AccountID, &f.ParentID, &f.Name, &f.Subscribed, &validity, &next); err != nil {
			return nil, err
		}
		f.UIDValidity, f.UIDNext = uint32(validity), uint32(next)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Inbox returns an account's INBOX.
func (s *Store) Inbox(ctx context.Context, accountID int64) (Folder, error) {
	var f Folder
	var validity, next int64
	err := s.queryRow(ctx, s.db, "SELECT id, account_id, parent_id, name, subscribed, uid_validity, uid_next FROM imap_folders WHERE account_id = ? AND parent_id = 0 AND name = 'INBOX'", accountID).
		Scan(&f.ID, &f.AccountID, &f.ParentID, &f.Name, &f.Subscribed, &validity, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return f, ErrNotFound
	}
	f.UIDValidity, f.UIDNext = uint32(validity), uint32(next)
	return f, err
}
