package store

import (
	"context"
	"database/sql"
	"strings"
	"unicode/utf8"
)

// Folder names, special-use folders and message keywords.

// settingHierarchyDelimiter is the IMAP hierarchy delimiter: one of ".",
// "/" and "\". The session splits mailbox names at it; the store keeps
// one level per folder row, so no level may contain it.
const settingHierarchyDelimiter = "IMAPHierarchyDelimiter"

// HierarchyDelimiters are the delimiters the setting may take.
const HierarchyDelimiters = `./\`

// validateFolderLevel checks one level of a folder name for a folder of
// accountID (0: public) under parentID.
func (s *Store) validateFolderLevel(ctx context.Context, accountID, parentID int64, name string) error {
	switch {
	case name == "":
		return invalid("name", "a folder needs a name")
	case len(name) > 255:
		return invalid("name", "a folder name is at most 255 bytes long")
	case !utf8.ValidString(name):
		return invalid("name", "the folder name is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return invalid("name", "the folder name %q contains a control character", name)
		}
	}
	delimiter, err := s.Setting(ctx, settingHierarchyDelimiter)
	if err != nil {
		return err
	}
	if delimiter != "" && strings.Contains(name, delimiter) {
		return invalid("name", "the folder name %q contains the hierarchy delimiter %q", name, delimiter)
	}
	// RFC 3501 5.1: INBOX is case-insensitive, so no other top-level
	// folder of an account may be called so in any case.
	if accountID != 0 && parentID == 0 && strings.EqualFold(name, "INBOX") {
		return invalid("name", "the folder %q already exists", "INBOX")
	}
	return nil
}

// checkHierarchyDelimiter refuses a new hierarchy delimiter that an
// existing folder's name contains: that folder would split in two levels.
func (s *Store) checkHierarchyDelimiter(ctx context.Context, q queryer, delimiter string) error {
	if len(delimiter) != 1 || !strings.Contains(HierarchyDelimiters, delimiter) {
		return invalid(settingHierarchyDelimiter, "must be one of . / \\, not %q", delimiter)
	}
	rows, err := s.query(ctx, q, "SELECT f.name, COALESCE(a.address, '') FROM imap_folders f LEFT JOIN accounts a ON a.id = f.account_id WHERE f.name LIKE ? ESCAPE '!' ORDER BY f.id",
		"%"+likeEscape(delimiter)+"%")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, owner string
		if err := rows.Scan(&name, &owner); err != nil {
			return err
		}
		if !strings.Contains(name, delimiter) {
			continue // a LIKE that folds case or width
		}
		if owner == "" {
			owner = "the public folders"
		}
		return invalid(settingHierarchyDelimiter, "the folder %q of %s contains %q: rename it before making %q the hierarchy delimiter", name, owner, delimiter, delimiter)
	}
	return rows.Err()
}

// SpecialFolderNames are the top-level folders every account gets besides
// INBOX, and their RFC 6154 special use.
var SpecialFolderNames = []struct{ Name, Use string }{
	{"Sent", `\Sent`},
	{"Drafts", `\Drafts`},
	{"Trash", `\Trash`},
	{"Junk", `\Junk`},
}

// SpecialUse is the RFC 6154 attribute of an account's folder ("\Sent"
// ...), or "" for a folder without one.
func SpecialUse(f Folder) string {
	if f.AccountID == 0 || f.ParentID != 0 {
		return ""
	}
	for _, sf := range SpecialFolderNames {
		if f.Name == sf.Name {
			return sf.Use
		}
	}
	return ""
}

// createSpecialFolders gives an account the special folders it lacks.
func (s *Store) createSpecialFolders(ctx context.Context, q queryer, accountID int64) error {
	for _, sf := range SpecialFolderNames {
		n, err := s.count(ctx, q, "SELECT COUNT(*) FROM imap_folders WHERE account_id = ? AND parent_id = 0 AND name = ?", accountID, sf.Name)
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := s.createFolder(ctx, q, accountID, 0, sf.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// Accounts that exist when migration 2 runs get their special folders
// then; new accounts get them with their INBOX (insertAccount).
func init() {
	afterMigration[2] = func(s *Store, ctx context.Context, tx *sql.Tx) error {
		ids, err := s.int64Column(ctx, tx, "SELECT id FROM accounts ORDER BY id")
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.createSpecialFolders(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	}
}

// Keywords are stored space-separated in messages.keywords.
const (
	maxKeywordLen  = 250
	maxKeywordsLen = 4000 // the column's size on MySQL (0002_imap.mysql.sql)
)

// normalizeKeywords checks keywords (RFC 3501 9: flag-keyword is an atom)
// and drops duplicates, which compare case-insensitively.
func normalizeKeywords(keywords []string) ([]string, error) {
	var out []string
	for _, k := range keywords {
		if k == "" || len(k) > maxKeywordLen {
			return nil, invalid("keywords", "a keyword has 1 to %d characters", maxKeywordLen)
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
				return nil, invalid("keywords", "the keyword %q contains %q, which a keyword cannot", k, c)
			}
		}
		if !containsFold(out, k) {
			out = append(out, k)
		}
	}
	if len(strings.Join(out, " ")) > maxKeywordsLen {
		return nil, invalid("keywords", "a message's keywords take at most %d characters together", maxKeywordsLen)
	}
	return out, nil
}

func containsFold(list []string, k string) bool {
	for _, v := range list {
		if strings.EqualFold(v, k) {
			return true
		}
	}
	return false
}

func splitKeywords(stored string) []string { return strings.Fields(stored) }

func joinKeywords(keywords []string) string { return strings.Join(keywords, " ") }

// inList renders "(?, ?, ...)" for n values.
func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// int64Column runs a query returning one integer column.
func (s *Store) int64Column(ctx context.Context, q queryer, query string, args ...any) ([]int64, error) {
	rows, err := s.query(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
