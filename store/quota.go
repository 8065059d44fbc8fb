package store

import (
	"context"
	"database/sql"
	"fmt"
)

// AccountSize is how many bytes an account's stored messages take, in
// every folder: what its maximum size (manual: Accounts → Maximum size
// (MB), 0 for no limit) is measured against.
func (s *Store) AccountSize(ctx context.Context, accountID int64) (int64, error) {
	var size sql.NullInt64
	err := s.queryRow(ctx, s.db, "SELECT SUM(size) FROM messages WHERE account_id = ? AND state = ?", accountID, MessageStored).Scan(&size)
	if err != nil {
		return 0, fmt.Errorf("store: the size of account %d: %w", accountID, err)
	}
	return size.Int64, nil
}

// MaxSizeBytes is the account's maximum size in bytes, 0 for no limit.
func (a Account) MaxSizeBytes() int64 {
	return int64(a.MaxSizeMB) << 20
}
