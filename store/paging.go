package store

import "context"

// AliasesPage lists a domain's aliases by address, a page at a time, and
// counts those matching; filter, when set, keeps the addresses containing
// it.
func (s *Store) AliasesPage(ctx context.Context, domainID int64, filter string, limit, offset int) ([]Alias, int, error) {
	where, args := "domain_id = ?", []any{domainID}
	if filter != "" {
		where += " AND address_lower LIKE ? ESCAPE '!'"
		args = append(args, "%"+likeEscape(Lower(filter))+"%")
	}
	total, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM aliases WHERE "+where, args...)
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.query(ctx, s.db, s.dialect.Page("SELECT "+aliasColumns+" FROM aliases WHERE "+where+" ORDER BY address_lower", limit, max(offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Alias
	for rows.Next() {
		a, err := scanAlias(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}
