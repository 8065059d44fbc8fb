package store

import (
	"context"
	"net/netip"
	"slices"
	"testing"
)

func TestDeleteExpiredIPRanges(t *testing.T) {
	const now = int64(1_700_000_000)
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, r := range []struct {
			name      string
			expiresAt int64 // 0: never expires
		}{
			{"expired an hour ago", now - 3600},
			{"expires this second", now},
			{"expires in a minute", now + 60},
			{"never expires", 0},
		} {
			ip := netip.MustParseAddr("192.0.2.1")
			_, err := s.CreateIPRange(ctx, IPRange{Name: r.name, Priority: 20, Lower: ip, Upper: ip,
				Expires: r.expiresAt != 0, ExpiresAt: r.expiresAt})
			if err != nil {
				t.Fatalf("create %q: %v", r.name, err)
			}
		}

		n, err := s.DeleteExpiredIPRanges(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("deleted %d ranges, want 2 (the one expired an hour ago and the one expiring this second)", n)
		}
		ranges, err := s.IPRanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range ranges {
			names = append(names, r.Name)
		}
		slices.Sort(names)
		want := []string{"Internet", "Internet (IPv6)", "My computer", "My computer (IPv6)", "expires in a minute", "never expires"}
		if !slices.Equal(names, want) {
			t.Errorf("ranges left: %q, want %q", names, want)
		}

		if n, err := s.DeleteExpiredIPRanges(ctx, now); err != nil || n != 0 {
			t.Errorf("second sweep deleted %d (err %v), want 0", n, err)
		}
	})
}

func TestAutoBanSettings(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	t.Run("defaults_are_on_3_attempts_within_30_minutes_banned_for_60", func(t *testing.T) {
		for name, want := range map[string]int{
			"AutoBanOnLogonFailure": 1, "MaxInvalidLogonAttempts": 3, "LogonAttemptsWithinMinutes": 30, "AutoBanMinutes": 60,
		} {
			got, err := s.SettingInt(ctx, name)
			if err != nil || got != want {
				t.Errorf("%s = %d (err %v), want %d", name, got, err, want)
			}
		}
	})
	t.Run("zero_minutes_and_zero_attempts_are_refused", func(t *testing.T) {
		for _, name := range []string{"MaxInvalidLogonAttempts", "LogonAttemptsWithinMinutes", "AutoBanMinutes"} {
			wantValidation(t, s.SetSetting(ctx, name, "0"), name)
		}
	})
}
