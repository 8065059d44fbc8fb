package store

import (
	"context"
	"database/sql"
	"errors"
)

// Alias redirects one address to another (manual: Aliases). Its address can
// be no account's or list's address; its target may be any address.
type Alias struct {
	ID       int64
	DomainID int64
	Address  string
	Target   string
	Active   bool
}

const aliasColumns = "id, domain_id, address, target, active"

func scanAlias(row interface{ Scan(...any) error }) (Alias, error) {
	var a Alias
	err := row.Scan(&a.ID, &a.DomainID, &a.Address, &a.Target, &a.Active)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return a, err
}

func (a *Alias) validate() error {
	if _, _, err := SplitAddress("target", a.Target); err != nil {
		return err
	}
	if Lower(a.Target) == Lower(a.Address) {
		return invalid("target", "an alias cannot redirect to itself")
	}
	return nil
}

// CreateAlias adds an alias in the domain its address names.
func (s *Store) CreateAlias(ctx context.Context, a Alias) (Alias, error) {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	if _, _, err := SplitAddress("address", a.Address); err != nil {
		return Alias{}, err
	}
	if err := a.validate(); err != nil {
		return Alias{}, err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		d, err := s.domainForAddress(ctx, tx, "address", a.Address)
		if err != nil {
			return err
		}
		a.DomainID = d.ID
		if err := s.checkDomainCount(ctx, tx, "address", "aliases", d, d.MaxAliases, "aliases"); err != nil {
			return err
		}
		if err := s.claimAddress(ctx, tx, "address", a.Address, kindAlias, d.ID); err != nil {
			return err
		}
		a.ID, err = s.dialect.insert(ctx, tx, "aliases", []string{"domain_id", "address", "address_lower", "target", "active", "created_at"},
			a.DomainID, a.Address, Lower(a.Address), a.Target, boolInt(a.Active), s.unix())
		return s.duplicate(err, "address", "%s is already in use", a.Address)
	})
	if err != nil {
		return Alias{}, err
	}
	return a, nil
}

// Alias returns an alias by id.
func (s *Store) Alias(ctx context.Context, id int64) (Alias, error) {
	return scanAlias(s.queryRow(ctx, s.db, "SELECT "+aliasColumns+" FROM aliases WHERE id = ?", id))
}

// AliasByAddress finds an alias by its address.
func (s *Store) AliasByAddress(ctx context.Context, address string) (Alias, error) {
	return scanAlias(s.queryRow(ctx, s.db, "SELECT "+aliasColumns+" FROM aliases WHERE address_lower = ?", Lower(address)))
}

// Aliases lists a domain's aliases by address.
func (s *Store) Aliases(ctx context.Context, domainID int64) ([]Alias, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+aliasColumns+" FROM aliases WHERE domain_id = ? ORDER BY address_lower", domainID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alias
	for rows.Next() {
		a, err := scanAlias(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAlias changes an alias's target and state (not its address).
func (s *Store) UpdateAlias(ctx context.Context, a Alias) error {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	current, err := s.Alias(ctx, a.ID)
	if err != nil {
		return err
	}
	if Lower(current.Address) != Lower(a.Address) {
		return invalid("address", "an alias's address cannot be changed; delete it and add a new one")
	}
	if err := a.validate(); err != nil {
		return err
	}
	_, err = s.exec(ctx, s.db, "UPDATE aliases SET target = ?, active = ? WHERE id = ?", a.Target, boolInt(a.Active), a.ID)
	return err
}

// DeleteAlias deletes an alias and frees its address.
func (s *Store) DeleteAlias(ctx context.Context, id int64) error {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	a, err := s.Alias(ctx, id)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, "DELETE FROM aliases WHERE id = ?", id); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, "DELETE FROM addresses WHERE address_lower = ?", Lower(a.Address))
		return err
	})
}
