package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
)

// Domain is a local domain (manual: Domains).
type Domain struct {
	ID                 int64
	Name               string
	Active             bool
	CatchAllAddress    string
	PlusAddressing     bool
	PlusAddressingChar string
	// Limits; 0 means no limit.
	MaxSizeMB        int // total of the accounts' maximum sizes
	MaxMessageSizeKB int
	MaxAccountSizeMB int // largest maximum size an account may have
	MaxAccounts      int
	MaxAliases       int
	MaxLists         int
	CreatedAt        int64
}

const domainColumns = "id, name, active, catch_all_address, plus_addressing, plus_addressing_char, max_size_mb, max_message_size_kb, max_account_size_mb, max_accounts, max_aliases, max_lists, created_at"

func scanDomain(row interface{ Scan(...any) error }) (Domain, error) {
	var d Domain
	err := row.Scan(&d.ID, &d.Name, &d.Active, &d.CatchAllAddress, &d.PlusAddressing, &d.PlusAddressingChar,
		&d.MaxSizeMB, &d.MaxMessageSizeKB, &d.MaxAccountSizeMB, &d.MaxAccounts, &d.MaxAliases, &d.MaxLists, &d.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return d, err
}

func (d *Domain) validate() error {
	if err := ValidateDomainName("name", d.Name); err != nil {
		return err
	}
	if d.PlusAddressingChar == "" {
		d.PlusAddressingChar = "+"
	}
	if err := ValidatePlusCharacter(d.PlusAddressingChar); err != nil {
		return err
	}
	if d.CatchAllAddress != "" {
		if _, _, err := SplitAddress("catch_all_address", d.CatchAllAddress); err != nil {
			return err
		}
	}
	for _, limit := range []struct {
		field string
		value int
	}{
		{"max_size_mb", d.MaxSizeMB}, {"max_message_size_kb", d.MaxMessageSizeKB},
		{"max_account_size_mb", d.MaxAccountSizeMB}, {"max_accounts", d.MaxAccounts},
		{"max_aliases", d.MaxAliases}, {"max_lists", d.MaxLists},
	} {
		if err := nonNegative(limit.field, limit.value); err != nil {
			return err
		}
	}
	return nil
}

// CreateDomain adds a domain. Its name must contain a dot and must not be
// the name or an alias name of another domain.
func (s *Store) CreateDomain(ctx context.Context, d Domain) (Domain, error) {
	defer s.invalidateDomains() // after the commit (lookup_cache.go)
	if err := d.validate(); err != nil {
		return Domain{}, err
	}
	d.CreatedAt = s.unix()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkDomainNameFree(ctx, tx, "name", d.Name); err != nil {
			return err
		}
		id, err := s.dialect.insert(ctx, tx, "domains",
			[]string{"name", "name_lower", "active", "catch_all_address", "plus_addressing", "plus_addressing_char",
				"max_size_mb", "max_message_size_kb", "max_account_size_mb", "max_accounts", "max_aliases", "max_lists", "created_at"},
			d.Name, Lower(d.Name), boolInt(d.Active), d.CatchAllAddress, boolInt(d.PlusAddressing), d.PlusAddressingChar,
			d.MaxSizeMB, d.MaxMessageSizeKB, d.MaxAccountSizeMB, d.MaxAccounts, d.MaxAliases, d.MaxLists, d.CreatedAt)
		if err != nil {
			return s.duplicate(err, "name", "the domain %q already exists", d.Name)
		}
		d.ID = id
		_, err = s.dialect.insert(ctx, tx, "domain_names", []string{"domain_id", "name", "name_lower", "is_primary"},
			id, d.Name, Lower(d.Name), 1)
		return s.duplicate(err, "name", "%q is already the name of a domain", d.Name)
	})
	if err != nil {
		return Domain{}, err
	}
	return d, nil
}

// checkDomainNameFree explains, before an insert, why a name is taken: by a
// domain or as another domain's alias. The unique key on domain_names is the
// guard that holds under concurrency; this only words the error.
func (s *Store) checkDomainNameFree(ctx context.Context, tx *sql.Tx, field, name string) error {
	var owner string
	err := s.queryRow(ctx, tx, "SELECT d.name FROM domain_names n JOIN domains d ON d.id = n.domain_id WHERE n.name_lower = ?", Lower(name)).Scan(&owner)
	switch {
	case err == nil && Lower(owner) == Lower(name):
		return invalid(field, "the domain %q already exists", name)
	case err == nil:
		return invalid(field, "%q is already a name (domain alias) of the domain %s", name, owner)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

// duplicate turns a unique-key violation into a validation error.
func (s *Store) duplicate(err error, field, format string, args ...any) error {
	if s.dialect.IsDuplicate(err) {
		return invalid(field, format, args...)
	}
	return err
}

// Domain returns a domain by id.
func (s *Store) Domain(ctx context.Context, id int64) (Domain, error) {
	return scanDomain(s.queryRow(ctx, s.db, "SELECT "+domainColumns+" FROM domains WHERE id = ?", id))
}

// DomainByName finds the domain a name belongs to: its primary name or one
// of its domain aliases.
func (s *Store) DomainByName(ctx context.Context, name string) (Domain, error) {
	found, err := s.DomainsByNames(ctx, []string{name})
	if err != nil {
		return Domain{}, err
	}
	d, ok := found[Lower(name)]
	if !ok {
		return Domain{}, ErrNotFound
	}
	return d, nil
}

// Domains lists all domains by name.
func (s *Store) Domains(ctx context.Context) ([]Domain, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+domainColumns+" FROM domains ORDER BY name_lower")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Domain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// UpdateDomain saves a domain's settings. The name can change only in case:
// the accounts' addresses and their message directories are named after it.
func (s *Store) UpdateDomain(ctx context.Context, d Domain) error {
	defer s.invalidateDomains() // after the commit (lookup_cache.go)
	if err := d.validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var current string
		if err := s.queryRow(ctx, tx, "SELECT name FROM domains WHERE id = ?", d.ID).Scan(&current); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if Lower(current) != Lower(d.Name) {
			return invalid("name", "a domain cannot be renamed from %s to %s: create the new domain and move the accounts", current, d.Name)
		}
		_, err := s.exec(ctx, tx, `UPDATE domains SET name = ?, active = ?, catch_all_address = ?, plus_addressing = ?, plus_addressing_char = ?,
			max_size_mb = ?, max_message_size_kb = ?, max_account_size_mb = ?, max_accounts = ?, max_aliases = ?, max_lists = ? WHERE id = ?`,
			d.Name, boolInt(d.Active), d.CatchAllAddress, boolInt(d.PlusAddressing), d.PlusAddressingChar,
			d.MaxSizeMB, d.MaxMessageSizeKB, d.MaxAccountSizeMB, d.MaxAccounts, d.MaxAliases, d.MaxLists, d.ID)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, "UPDATE domain_names SET name = ? WHERE domain_id = ? AND is_primary = 1", d.Name, d.ID)
		return err
	})
}

// DeleteDomain deletes a domain with everything in it: names, accounts and
// their folders and messages, aliases, distribution lists, and the message
// files on disk.
func (s *Store) DeleteDomain(ctx context.Context, id int64) error {
	defer s.invalidateDomains() // after the commit (lookup_cache.go)
	d, err := s.Domain(ctx, id)
	if err != nil {
		return err
	}
	var paths []string
	err = s.tx(ctx, func(tx *sql.Tx) error {
		accounts := "SELECT id FROM accounts WHERE domain_id = ?"
		paths, err = s.stringColumn(ctx, tx, "SELECT path FROM messages WHERE account_id IN ("+accounts+")", id)
		if err != nil {
			return err
		}
		for _, stmt := range []string{
			"DELETE FROM message_recipients WHERE message_id IN (SELECT id FROM messages WHERE account_id IN (" + accounts + "))",
			"DELETE FROM messages WHERE account_id IN (" + accounts + ")",
			"DELETE FROM imap_folders WHERE account_id IN (" + accounts + ")",
			"DELETE FROM account_group_members WHERE account_id IN (" + accounts + ")",
			"DELETE FROM imap_acl WHERE kind = 1 AND subject_id IN (" + accounts + ")", // 1: aclAccount
			"DELETE FROM accounts WHERE domain_id = ?",
			"DELETE FROM aliases WHERE domain_id = ?",
			"DELETE FROM distribution_list_members WHERE list_id IN (SELECT id FROM distribution_lists WHERE domain_id = ?)",
			"DELETE FROM distribution_lists WHERE domain_id = ?",
			"DELETE FROM addresses WHERE domain_id = ?",
			"DELETE FROM domain_names WHERE domain_id = ?",
			"DELETE FROM domains WHERE id = ?",
		} {
			if _, err := s.exec(ctx, tx, stmt, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	tree := ""
	if dir, err := accountDir("x@" + d.Name); err == nil {
		tree = path.Dir(dir) // "<domain>"
	}
	return s.removeFiles(paths, tree)
}

// removeFiles deletes message files after their rows are gone, then the
// directory tree named, if any. A file that cannot be removed is reported;
// the rows are already gone, so the start-up reconciliation cleans it later.
func (s *Store) removeFiles(paths []string, tree string) error {
	var errs []error
	for _, p := range paths {
		if err := s.files.Remove(p); err != nil {
			errs = append(errs, err)
		}
	}
	if tree != "" && tree != "." {
		if err := s.files.RemoveTree(tree); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: the rows are deleted but some message files are left: %w", err)
	}
	return nil
}

// stringColumn runs a query returning one text column.
func (s *Store) stringColumn(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// DomainAlias is another name of a domain (the manual's "Names" tab).
type DomainAlias struct {
	ID       int64
	DomainID int64
	Name     string
}

// AddDomainAlias gives a domain another name. A name belongs to one domain
// only and never equals a domain's primary name.
func (s *Store) AddDomainAlias(ctx context.Context, domainID int64, name string) (DomainAlias, error) {
	defer s.invalidateDomains() // after the commit (lookup_cache.go)
	if err := ValidateDomainName("name", name); err != nil {
		return DomainAlias{}, err
	}
	a := DomainAlias{DomainID: domainID, Name: name}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if n, err := s.count(ctx, tx, "SELECT COUNT(*) FROM domains WHERE id = ?", domainID); err != nil || n == 0 {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		if err := s.checkDomainNameFree(ctx, tx, "name", name); err != nil {
			return err
		}
		id, err := s.dialect.insert(ctx, tx, "domain_names", []string{"domain_id", "name", "name_lower", "is_primary"},
			domainID, name, Lower(name), 0)
		if err != nil {
			return s.duplicate(err, "name", "%q is already the name of a domain", name)
		}
		a.ID = id
		return nil
	})
	return a, err
}

// DomainAliases lists a domain's other names.
func (s *Store) DomainAliases(ctx context.Context, domainID int64) ([]DomainAlias, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, domain_id, name FROM domain_names WHERE domain_id = ? AND is_primary = 0 ORDER BY name_lower", domainID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DomainAlias
	for rows.Next() {
		var a DomainAlias
		if err := rows.Scan(&a.ID, &a.DomainID, &a.Name); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RemoveDomainAlias removes one of a domain's other names.
func (s *Store) RemoveDomainAlias(ctx context.Context, id int64) error {
	defer s.invalidateDomains() // after the commit (lookup_cache.go)
	return s.deleteOne(ctx, "DELETE FROM domain_names WHERE id = ? AND is_primary = 0", id)
}

// deleteOne runs a DELETE that must remove exactly one row.
func (s *Store) deleteOne(ctx context.Context, query string, args ...any) error {
	res, err := s.exec(ctx, s.db, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}
