package store

import "context"

// The auto-ban settings (manual: Auto-ban). "If Max invalid logon attempts
// are made from a specific IP address within Minutes before reset, the
// connecting client's IP address will be auto-banned for Minutes to auto-ban
// minutes." The ban itself is an expiring IP range; server/policy counts the
// failures and creates it.
func init() {
	register(
		SettingInfo{Name: "AutoBanOnLogonFailure", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "MaxInvalidLogonAttempts", Kind: SettingInt, Default: "3", Min: 1, Max: 1000},
		SettingInfo{Name: "LogonAttemptsWithinMinutes", Kind: SettingInt, Default: "30", Min: 1, Max: 525600},
		SettingInfo{Name: "AutoBanMinutes", Kind: SettingInt, Default: "60", Min: 1, Max: 5256000},
	)
}

// DeleteExpiredIPRanges deletes the IP ranges set to expire whose expiry time
// (Unix seconds) is at or before now, and reports how many it deleted. The
// manual: "the internal task which removes expired IP ranges runs once every
// minute"; server/policy runs that task.
func (s *Store) DeleteExpiredIPRanges(ctx context.Context, now int64) (int, error) {
	res, err := s.exec(ctx, s.db, "DELETE FROM ip_ranges WHERE expires = ? AND expires_at <= ?", boolInt(true), now)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
