package store

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
)

// Permissions of public folders (RFC 4314). Each entry gives one
// identifier — an account, a group or anyone — a set of rights on one
// folder. A public folder without entries of its own has the entries of
// its nearest ancestor that has some: its rights are inherited until an
// entry is set on it (SetFolderACL then copies the inherited entries
// first, so only the one identifier changes).

// Kinds of ACL identifiers in imap_acl.kind.
const (
	aclAccount = 1
	aclGroup   = 2
	aclAnyone  = 3
)

// aclRow is one imap_acl row.
type aclRow struct {
	kind    int
	subject int64
	rights  string
}

// NormalizeRights checks RFC 4314 rights letters and returns them in the
// order of AllRights. RFC 4314 2.1.1: the obsolete "c" (RFC 2086's create)
// stands for "kx" and "d" (delete) for "te", as the IMAP session expands
// them.
func NormalizeRights(rights string) (string, error) {
	has := map[rune]bool{}
	for _, r := range rights {
		switch {
		case r == 'c':
			has['k'], has['x'] = true, true
		case r == 'd':
			has['t'], has['e'] = true, true
		case strings.ContainsRune(AllRights, r):
			has[r] = true
		default:
			return "", invalid("rights", "%q is not an RFC 4314 right (want letters of %s)", r, AllRights)
		}
	}
	var b strings.Builder
	for _, r := range AllRights {
		if has[r] {
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// resolveIdentifier turns an ACL identifier into its kind and subject.
func (s *Store) resolveIdentifier(ctx context.Context, q queryer, identifier string) (int, int64, error) {
	switch {
	case strings.EqualFold(identifier, "anyone"):
		return aclAnyone, 0, nil
	case strings.HasPrefix(identifier, "$"):
		var id int64
		err := s.queryRow(ctx, q, "SELECT id FROM account_groups WHERE name_lower = ?", Lower(identifier[1:])).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, 0, invalid("identifier", "there is no group %q", identifier[1:])
		}
		return aclGroup, id, err
	}
	a, err := s.AccountByAddress(ctx, identifier)
	if errors.Is(err, ErrNotFound) {
		return 0, 0, invalid("identifier", "there is no account %q (an identifier is anyone, an account's address or $ and a group's name)", identifier)
	}
	return aclAccount, a.ID, err
}

// publicFolder returns a public folder, or a validation error for an
// account's folder.
func (s *Store) publicFolder(ctx context.Context, q queryer, id int64) (Folder, error) {
	f, err := s.folderIn(ctx, q, id)
	if err != nil {
		return Folder{}, err
	}
	if f.AccountID != 0 {
		return Folder{}, invalid("folder", "only public folders have permissions")
	}
	return f, nil
}

// effectiveACL returns the entries that govern a public folder: its own,
// or else its nearest ancestor's with entries. holder is the folder they
// belong to, 0 when no folder up to the top has any.
func (s *Store) effectiveACL(ctx context.Context, q queryer, f Folder) (holder int64, rows []aclRow, err error) {
	for depth := 0; depth <= maxFolderDepth+1; depth++ {
		if rows, err = s.aclRows(ctx, q, f.ID); err != nil || len(rows) > 0 {
			return f.ID, rows, err
		}
		if f.ParentID == 0 {
			return 0, nil, nil
		}
		if f, err = s.folderIn(ctx, q, f.ParentID); err != nil {
			return 0, nil, err
		}
	}
	return 0, nil, nil
}

func (s *Store) aclRows(ctx context.Context, q queryer, folderID int64) ([]aclRow, error) {
	rows, err := s.query(ctx, q, "SELECT kind, subject_id, rights FROM imap_acl WHERE folder_id = ? ORDER BY kind, subject_id", folderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []aclRow
	for rows.Next() {
		var r aclRow
		if err := rows.Scan(&r.kind, &r.subject, &r.rights); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FolderACL lists a public folder's permissions: its own entries, or the
// ones it inherits. Entries of deleted accounts and groups are left out.
func (s *Store) FolderACL(ctx context.Context, folderID int64) ([]ACLEntry, error) {
	f, err := s.publicFolder(ctx, s.db, folderID)
	if err != nil {
		return nil, err
	}
	_, rows, err := s.effectiveACL(ctx, s.db, f)
	if err != nil {
		return nil, err
	}
	out := make([]ACLEntry, 0, len(rows))
	for _, r := range rows {
		var identifier string
		switch r.kind {
		case aclAnyone:
			identifier = "anyone"
		case aclAccount:
			err = s.queryRow(ctx, s.db, "SELECT address FROM accounts WHERE id = ?", r.subject).Scan(&identifier)
		case aclGroup:
			err = s.queryRow(ctx, s.db, "SELECT name FROM account_groups WHERE id = ?", r.subject).Scan(&identifier)
			identifier = "$" + identifier
		}
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ACLEntry{Identifier: identifier, Rights: r.rights})
	}
	sort.SliceStable(out, func(i, j int) bool { return Lower(out[i].Identifier) < Lower(out[j].Identifier) })
	return out, nil
}

// SetFolderACL sets an identifier's rights on a public folder; empty rights
// remove its entry.
func (s *Store) SetFolderACL(ctx context.Context, folderID int64, identifier, rights string) error {
	rights, err := NormalizeRights(rights)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		f, err := s.publicFolder(ctx, tx, folderID)
		if err != nil {
			return err
		}
		kind, subject, err := s.resolveIdentifier(ctx, tx, identifier)
		if err != nil {
			return err
		}
		holder, inherited, err := s.effectiveACL(ctx, tx, f)
		if err != nil {
			return err
		}
		if holder != f.ID {
			// The folder takes its inherited entries as its own first.
			for _, r := range inherited {
				if _, err := s.dialect.insert(ctx, tx, "imap_acl", []string{"folder_id", "kind", "subject_id", "rights"}, f.ID, r.kind, r.subject, r.rights); err != nil {
					return err
				}
			}
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM imap_acl WHERE folder_id = ? AND kind = ? AND subject_id = ?", f.ID, kind, subject); err != nil {
			return err
		}
		if rights == "" {
			return nil
		}
		_, err = s.dialect.insert(ctx, tx, "imap_acl", []string{"folder_id", "kind", "subject_id", "rights"}, f.ID, kind, subject, rights)
		return err
	})
}

// FolderRights are an account's rights on a folder: all of them on its own
// folders; on a public folder, the account's own entry, else its first
// group's, else anyone's, else none. folderID 0 with public is the public
// root.
//
// The first group is the one with the lowest id among the account's
// groups that have an entry. A public folder without entries inherits
// its parent's (effectiveACL). On the public root everyone may list, and
// server administrators may create folders (RFC 4314 "l" and "k").
func (s *Store) FolderRights(ctx context.Context, folderID int64, a Account) (string, error) {
	if folderID == 0 {
		if a.AdminLevel == AdminServer {
			return "lk", nil
		}
		return "l", nil
	}
	f, err := s.Folder(ctx, folderID)
	if err != nil {
		return "", err
	}
	switch f.AccountID {
	case a.ID:
		return AllRights, nil
	case 0:
	default:
		return "", nil // another account's folder
	}
	_, rows, err := s.effectiveACL(ctx, s.db, f)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	groups := map[int64]string{}
	anyone, anyoneSet := "", false
	for _, r := range rows {
		switch r.kind {
		case aclAccount:
			if r.subject == a.ID {
				return r.rights, nil
			}
		case aclGroup:
			groups[r.subject] = r.rights
		case aclAnyone:
			anyone, anyoneSet = r.rights, true
		}
	}
	if len(groups) > 0 {
		mine, err := s.int64Column(ctx, s.db, "SELECT group_id FROM account_group_members WHERE account_id = ? ORDER BY group_id", a.ID)
		if err != nil {
			return "", err
		}
		for _, g := range mine {
			if rights, ok := groups[g]; ok {
				return rights, nil
			}
		}
	}
	if anyoneSet {
		return anyone, nil
	}
	return "", nil
}
