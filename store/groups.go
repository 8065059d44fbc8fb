package store

import (
	"context"
	"database/sql"
	"strings"
)

// Group is a named set of accounts, used for public folder permissions
// (manual: Groups).
type Group struct {
	ID   int64
	Name string
}

// CreateGroup adds a group; names are unique case-insensitively.
func (s *Store) CreateGroup(ctx context.Context, name string) (Group, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 255 {
		return Group{}, invalid("name", "a group needs a name of 1 to 255 characters")
	}
	id, err := s.dialect.insert(ctx, s.db, "account_groups", []string{"name", "name_lower", "created_at"}, name, Lower(name), s.unix())
	if err != nil {
		return Group{}, s.duplicate(err, "name", "the group %q already exists", name)
	}
	return Group{ID: id, Name: name}, nil
}

// Groups lists all groups by name.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, name FROM account_groups ORDER BY name_lower")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.ID, &g.Name); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// DeleteGroup deletes a group and its memberships.
func (s *Store) DeleteGroup(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, "DELETE FROM account_group_members WHERE group_id = ?", id); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM imap_acl WHERE kind = ? AND subject_id = ?", aclGroup, id); err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, "DELETE FROM account_groups WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// AddGroupMember puts an account in a group.
func (s *Store) AddGroupMember(ctx context.Context, groupID, accountID int64) error {
	if _, err := s.Account(ctx, accountID); err != nil {
		return err
	}
	if n, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM account_groups WHERE id = ?", groupID); err != nil || n == 0 {
		if err == nil {
			err = ErrNotFound
		}
		return err
	}
	_, err := s.dialect.insert(ctx, s.db, "account_group_members", []string{"group_id", "account_id"}, groupID, accountID)
	return s.duplicate(err, "account_id", "the account is already a member of the group")
}

// RemoveGroupMember takes an account out of a group.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, accountID int64) error {
	return s.deleteOne(ctx, "DELETE FROM account_group_members WHERE group_id = ? AND account_id = ?", groupID, accountID)
}

// GroupMembers lists the ids of a group's accounts.
func (s *Store) GroupMembers(ctx context.Context, groupID int64) ([]int64, error) {
	rows, err := s.query(ctx, s.db, "SELECT account_id FROM account_group_members WHERE group_id = ? ORDER BY account_id", groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
