package store

import (
	"context"
	"database/sql"
	"errors"
)

// ListMode says who may send to a distribution list (manual: Distribution lists → Mode).
type ListMode int

const (
	ListPublic        ListMode = 0 // anyone
	ListMembership    ListMode = 1 // members only
	ListAnnouncements ListMode = 2 // only the announcer address
)

// List is a distribution list.
type List struct {
	ID               int64
	DomainID         int64
	Address          string
	Active           bool
	RequireSMTPAuth  bool
	Mode             ListMode
	AnnouncerAddress string
}

const listColumns = "id, domain_id, address, active, require_smtp_auth, mode, announcer_address"

func scanList(row interface{ Scan(...any) error }) (List, error) {
	var l List
	err := row.Scan(&l.ID, &l.DomainID, &l.Address, &l.Active, &l.RequireSMTPAuth, &l.Mode, &l.AnnouncerAddress)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return l, err
}

func (l *List) validate() error {
	switch l.Mode {
	case ListPublic, ListMembership:
	case ListAnnouncements:
		if _, _, err := SplitAddress("announcer_address", l.AnnouncerAddress); err != nil {
			return err
		}
	default:
		return invalid("mode", "must be 0 (public), 1 (membership) or 2 (announcements), not %d", l.Mode)
	}
	return nil
}

// CreateList adds a distribution list in the domain its address names.
func (s *Store) CreateList(ctx context.Context, l List) (List, error) {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	if _, _, err := SplitAddress("address", l.Address); err != nil {
		return List{}, err
	}
	if err := l.validate(); err != nil {
		return List{}, err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		d, err := s.domainForAddress(ctx, tx, "address", l.Address)
		if err != nil {
			return err
		}
		l.DomainID = d.ID
		if err := s.checkDomainCount(ctx, tx, "address", "distribution_lists", d, d.MaxLists, "distribution lists"); err != nil {
			return err
		}
		if err := s.claimAddress(ctx, tx, "address", l.Address, kindList, d.ID); err != nil {
			return err
		}
		l.ID, err = s.dialect.insert(ctx, tx, "distribution_lists",
			[]string{"domain_id", "address", "address_lower", "active", "require_smtp_auth", "mode", "announcer_address", "created_at"},
			l.DomainID, l.Address, Lower(l.Address), boolInt(l.Active), boolInt(l.RequireSMTPAuth), int(l.Mode), l.AnnouncerAddress, s.unix())
		return s.duplicate(err, "address", "%s is already in use", l.Address)
	})
	if err != nil {
		return List{}, err
	}
	return l, nil
}

// List returns a distribution list by id.
func (s *Store) List(ctx context.Context, id int64) (List, error) {
	return scanList(s.queryRow(ctx, s.db, "SELECT "+listColumns+" FROM distribution_lists WHERE id = ?", id))
}

// ListByAddress finds a distribution list by its address.
func (s *Store) ListByAddress(ctx context.Context, address string) (List, error) {
	return scanList(s.queryRow(ctx, s.db, "SELECT "+listColumns+" FROM distribution_lists WHERE address_lower = ?", Lower(address)))
}

// Lists lists a domain's distribution lists by address.
func (s *Store) Lists(ctx context.Context, domainID int64) ([]List, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+listColumns+" FROM distribution_lists WHERE domain_id = ? ORDER BY address_lower", domainID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []List
	for rows.Next() {
		l, err := scanList(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// UpdateList saves a list's settings (not its address).
func (s *Store) UpdateList(ctx context.Context, l List) error {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	current, err := s.List(ctx, l.ID)
	if err != nil {
		return err
	}
	if Lower(current.Address) != Lower(l.Address) {
		return invalid("address", "a list's address cannot be changed; delete it and add a new one")
	}
	if err := l.validate(); err != nil {
		return err
	}
	_, err = s.exec(ctx, s.db, "UPDATE distribution_lists SET active = ?, require_smtp_auth = ?, mode = ?, announcer_address = ? WHERE id = ?",
		boolInt(l.Active), boolInt(l.RequireSMTPAuth), int(l.Mode), l.AnnouncerAddress, l.ID)
	return err
}

// DeleteList deletes a distribution list with its members.
func (s *Store) DeleteList(ctx context.Context, id int64) error {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	l, err := s.List(ctx, id)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, stmt := range []string{"DELETE FROM distribution_list_members WHERE list_id = ?", "DELETE FROM distribution_lists WHERE id = ?"} {
			if _, err := s.exec(ctx, tx, stmt, id); err != nil {
				return err
			}
		}
		_, err := s.exec(ctx, tx, "DELETE FROM addresses WHERE address_lower = ?", Lower(l.Address))
		return err
	})
}

// AddListMember adds an address (local or external, or another list) to a list.
func (s *Store) AddListMember(ctx context.Context, listID int64, address string) error {
	if _, _, err := SplitAddress("address", address); err != nil {
		return err
	}
	l, err := s.List(ctx, listID)
	if err != nil {
		return err
	}
	if Lower(l.Address) == Lower(address) {
		return invalid("address", "a list cannot be a member of itself")
	}
	_, err = s.dialect.insert(ctx, s.db, "distribution_list_members", []string{"list_id", "address", "address_lower"}, listID, address, Lower(address))
	return s.duplicate(err, "address", "%s is already a member of %s", address, l.Address)
}

// RemoveListMember removes an address from a list.
func (s *Store) RemoveListMember(ctx context.Context, listID int64, address string) error {
	return s.deleteOne(ctx, "DELETE FROM distribution_list_members WHERE list_id = ? AND address_lower = ?", listID, Lower(address))
}

// ListMembers returns a list's member addresses in order.
func (s *Store) ListMembers(ctx context.Context, listID int64) ([]string, error) {
	return s.stringColumn(ctx, s.db, "SELECT address FROM distribution_list_members WHERE list_id = ? ORDER BY address_lower", listID)
}
