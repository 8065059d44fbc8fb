package policy

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailwright/mailwright/store"
)

// autoBanFixture is an auto-ban on a fresh store with a hand-moved clock.
type autoBanFixture struct {
	st     *store.Store
	clock  *fakeClock
	ranges *Ranges
	ban    *AutoBan
}

func newAutoBanFixture(t *testing.T, settings map[string]string) autoBanFixture {
	t.Helper()
	st, clock := openStore(t), newFakeClock()
	for name, value := range settings {
		if err := st.SetSetting(context.Background(), name, value); err != nil {
			t.Fatalf("set %s: %v", name, err)
		}
	}
	ranges := newRanges(st, clock)
	ban := NewAutoBan(st, ranges, nil)
	ban.now = clock.Now
	return autoBanFixture{st: st, clock: clock, ranges: ranges, ban: ban}
}

// fail records one failed login and checks whether it banned.
func (f autoBanFixture) fail(t *testing.T, ip, username string, wantBanned bool) {
	t.Helper()
	banned, err := f.ban.Failed(context.Background(), netip.MustParseAddr(ip), username)
	if err != nil {
		t.Fatalf("Failed(%s): %v", ip, err)
	}
	if banned != wantBanned {
		t.Fatalf("Failed(%s) banned = %v, want %v", ip, banned, wantBanned)
	}
}

// banRanges lists the ranges auto-ban created.
func (f autoBanFixture) banRanges(t *testing.T) []store.IPRange {
	t.Helper()
	all, err := f.st.IPRanges(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []store.IPRange
	for _, r := range all {
		if strings.HasPrefix(r.Name, "Auto-ban: ") {
			out = append(out, r)
		}
	}
	return out
}

// matchName is the name of the range ip gets now.
func (f autoBanFixture) matchName(t *testing.T, ip string) string {
	t.Helper()
	r, _, err := f.ranges.Match(context.Background(), netip.MustParseAddr(ip))
	if err != nil {
		t.Fatal(err)
	}
	return r.Name
}

func TestAutoBan(t *testing.T) {
	t.Run("three_failures_within_30_minutes_ban_the_address_for_60_minutes", func(t *testing.T) {
		f := newAutoBanFixture(t, nil)
		if got := f.matchName(t, "127.0.0.2"); got != "Internet" {
			t.Fatalf("before: %q, want Internet", got)
		}
		f.fail(t, "127.0.0.2", "alice@example.com", false)
		f.clock.Advance(10 * time.Minute)
		f.fail(t, "127.0.0.2", "alice@example.com", false)
		f.clock.Advance(10 * time.Minute)
		bannedAt := f.clock.Now()
		f.fail(t, "127.0.0.2", "alice@example.com", true)

		bans := f.banRanges(t)
		if len(bans) != 1 {
			t.Fatalf("%d auto-ban ranges, want 1", len(bans))
		}
		b := bans[0]
		ip := netip.MustParseAddr("127.0.0.2")
		if !strings.HasPrefix(b.Name, "Auto-ban: alice@example.com ") || utf8.RuneCountInString(b.Name) != len("Auto-ban: alice@example.com ")+9 {
			t.Errorf("name %q, want \"Auto-ban: alice@example.com \" and 9 random characters", b.Name)
		}
		if b.Priority != 20 || b.Lower != ip || b.Upper != ip {
			t.Errorf("range %d %s-%s, want priority 20 covering exactly %s", b.Priority, b.Lower, b.Upper, ip)
		}
		if b.AllowSMTP || b.AllowPOP3 || b.AllowIMAP || b.Allow != (store.Deliveries{}) {
			t.Errorf("ban allows something: %+v", b)
		}
		if want := bannedAt.Add(60 * time.Minute).Unix(); !b.Expires || b.ExpiresAt != want {
			t.Errorf("expires %v at %d, want at %d (60 minutes after the ban)", b.Expires, b.ExpiresAt, want)
		}
		// Failed invalidated the cache: the ban applies at once.
		if got := f.matchName(t, "127.0.0.2"); got != b.Name {
			t.Errorf("banned address matches %q, want the ban", got)
		}
		for _, protocol := range []string{store.ProtocolSMTP, store.ProtocolPOP3, store.ProtocolIMAP} {
			if Allows(b, protocol) {
				t.Errorf("ban allows %s", protocol)
			}
		}
		if got := f.matchName(t, "127.0.0.3"); got != "Internet" {
			t.Errorf("neighbouring address matches %q, want Internet", got)
		}
		// The count started over.
		f.fail(t, "127.0.0.2", "alice@example.com", false)
	})

	t.Run("two_failures_then_the_window_passes_do_not_ban", func(t *testing.T) {
		f := newAutoBanFixture(t, nil)
		f.fail(t, "127.0.0.2", "bob", false)
		f.fail(t, "127.0.0.2", "bob", false)
		f.clock.Advance(30 * time.Minute)
		f.fail(t, "127.0.0.2", "bob", false)
		f.clock.Advance(time.Minute)
		f.fail(t, "127.0.0.2", "bob", false)
		if bans := f.banRanges(t); len(bans) != 0 {
			t.Errorf("bans %v, want none", bans)
		}
	})

	t.Run("successful_login_resets_the_count", func(t *testing.T) {
		f := newAutoBanFixture(t, nil)
		f.fail(t, "127.0.0.2", "carol", false)
		f.fail(t, "127.0.0.2", "carol", false)
		f.ban.Succeeded(netip.MustParseAddr("127.0.0.2"))
		f.fail(t, "127.0.0.2", "carol", false)
		f.fail(t, "127.0.0.2", "carol", false)
		f.fail(t, "127.0.0.2", "carol", true)
	})

	t.Run("disabled_auto_ban_never_bans", func(t *testing.T) {
		f := newAutoBanFixture(t, map[string]string{"AutoBanOnLogonFailure": "0"})
		for range 10 {
			f.fail(t, "127.0.0.2", "dave", false)
		}
		if bans := f.banRanges(t); len(bans) != 0 {
			t.Errorf("bans %v, want none", bans)
		}
	})

	t.Run("settings_set_the_attempts_and_the_ban_length", func(t *testing.T) {
		f := newAutoBanFixture(t, map[string]string{"MaxInvalidLogonAttempts": "1", "AutoBanMinutes": "5"})
		f.fail(t, "192.0.2.9", "erin", true)
		bans := f.banRanges(t)
		if len(bans) != 1 || bans[0].ExpiresAt != f.clock.Now().Add(5*time.Minute).Unix() {
			t.Errorf("bans %+v, want one expiring in 5 minutes", bans)
		}
	})

	t.Run("addresses_are_counted_apart", func(t *testing.T) {
		f := newAutoBanFixture(t, nil)
		f.fail(t, "127.0.0.2", "frank", false)
		f.fail(t, "127.0.0.3", "frank", false)
		f.fail(t, "2001:db8::5", "frank", false)
		f.fail(t, "127.0.0.2", "frank", false)
		f.fail(t, "127.0.0.3", "frank", false)
		f.fail(t, "127.0.0.2", "frank", true)
	})

	t.Run("ipv4_mapped_address_counts_and_is_banned_as_ipv4", func(t *testing.T) {
		f := newAutoBanFixture(t, nil)
		f.fail(t, "::ffff:192.0.2.9", "gina", false)
		f.fail(t, "192.0.2.9", "gina", false)
		f.fail(t, "::ffff:192.0.2.9", "gina", true)
		bans := f.banRanges(t)
		if want := netip.MustParseAddr("192.0.2.9"); len(bans) != 1 || bans[0].Lower != want || bans[0].Upper != want {
			t.Errorf("bans %+v, want one covering exactly %s", bans, want)
		}
	})

	t.Run("ipv6_address_is_banned", func(t *testing.T) {
		f := newAutoBanFixture(t, map[string]string{"MaxInvalidLogonAttempts": "1"})
		f.fail(t, "2001:db8::77", "hank", true)
		if got := f.matchName(t, "2001:db8::77"); !strings.HasPrefix(got, "Auto-ban: hank ") {
			t.Errorf("banned address matches %q", got)
		}
		if got := f.matchName(t, "2001:db8::78"); got != "Internet (IPv6)" {
			t.Errorf("neighbouring address matches %q", got)
		}
	})

	t.Run("loopback_127_0_0_1_is_banned_but_my_computer_priority_30_still_wins", func(t *testing.T) {
		f := newAutoBanFixture(t, map[string]string{"MaxInvalidLogonAttempts": "1"})
		f.fail(t, "127.0.0.1", "ivan", true)
		if got := f.matchName(t, "127.0.0.1"); got != "My computer" {
			t.Errorf("127.0.0.1 matches %q, want My computer (manual: a range above 20 takes precedence)", got)
		}
	})

	t.Run("names_fit_40_characters_and_stay_unique", func(t *testing.T) {
		f := newAutoBanFixture(t, map[string]string{"MaxInvalidLogonAttempts": "1"})
		for i, username := range []string{
			"a-very-long-username-indeed@an-even-longer-domain.example.com",
			"",
			"tab\tnew\nline \x00 and \xff bytes",
			strings.Repeat("ü", 50),
		} {
			f.fail(t, fmt.Sprintf("192.0.2.%d", i+1), username, true)
		}
		f.fail(t, "192.0.2.100", "same", true)
		f.fail(t, "192.0.2.101", "same", true)
		seen := map[string]bool{}
		for _, b := range f.banRanges(t) {
			if n := utf8.RuneCountInString(b.Name); n > 40 || !utf8.ValidString(b.Name) || strings.ContainsAny(b.Name, "\t\n\x00") {
				t.Errorf("name %q (%d characters) is not a valid range name", b.Name, n)
			}
			if seen[b.Name] {
				t.Errorf("name %q used twice", b.Name)
			}
			seen[b.Name] = true
		}
		if len(seen) != 6 {
			t.Errorf("%d bans, want 6", len(seen))
		}
	})

	t.Run("no_client_address_is_not_counted", func(t *testing.T) {
		f := newAutoBanFixture(t, map[string]string{"MaxInvalidLogonAttempts": "1"})
		banned, err := f.ban.Failed(context.Background(), netip.Addr{}, "x")
		if banned || err != nil {
			t.Errorf("Failed(invalid) = %v, %v; want false, nil", banned, err)
		}
	})

	t.Run("oldest_address_is_forgotten_when_the_counters_are_full", func(t *testing.T) {
		f := newAutoBanFixture(t, nil)
		f.ban.maxTracked = 2
		f.fail(t, "192.0.2.1", "a", false)
		f.fail(t, "192.0.2.1", "a", false)
		f.fail(t, "192.0.2.2", "b", false)
		f.fail(t, "192.0.2.2", "b", false)
		f.fail(t, "192.0.2.3", "c", false) // forgets 192.0.2.1
		f.fail(t, "192.0.2.2", "b", true)
		f.fail(t, "192.0.2.1", "a", false) // counts from 1 again
	})
}

func TestAutoBanSweep(t *testing.T) {
	ctx := context.Background()
	t.Run("expired_ban_is_removed_and_the_cache_invalidated", func(t *testing.T) {
		f := newAutoBanFixture(t, map[string]string{"MaxInvalidLogonAttempts": "1"})
		f.fail(t, "127.0.0.2", "alice", true)
		generation := f.ranges.generation.Load()

		f.clock.Advance(59 * time.Minute)
		if n, err := f.ban.sweep(ctx); err != nil || n != 0 {
			t.Fatalf("sweep after 59 minutes removed %d (err %v), want 0", n, err)
		}
		if len(f.banRanges(t)) != 1 || f.ranges.generation.Load() != generation {
			t.Fatal("the ban is gone or the cache invalidated before the ban expired")
		}

		f.clock.Advance(time.Minute)
		if n, err := f.ban.sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep after 60 minutes removed %d (err %v), want 1", n, err)
		}
		if bans := f.banRanges(t); len(bans) != 0 {
			t.Errorf("bans left: %+v", bans)
		}
		if f.ranges.generation.Load() == generation {
			t.Error("sweep removed a range but did not invalidate the cache")
		}
		if got := f.matchName(t, "127.0.0.2"); got != "Internet" {
			t.Errorf("after the ban: %q, want Internet", got)
		}
	})

	t.Run("sweep_forgets_failures_older_than_the_window", func(t *testing.T) {
		f := newAutoBanFixture(t, nil)
		f.fail(t, "192.0.2.1", "a", false)
		f.clock.Advance(20 * time.Minute)
		f.fail(t, "192.0.2.2", "b", false)
		f.clock.Advance(10 * time.Minute)
		if _, err := f.ban.sweep(ctx); err != nil {
			t.Fatal(err)
		}
		f.ban.mu.Lock()
		_, kept1 := f.ban.failures[netip.MustParseAddr("192.0.2.1")]
		_, kept2 := f.ban.failures[netip.MustParseAddr("192.0.2.2")]
		f.ban.mu.Unlock()
		if kept1 || !kept2 {
			t.Errorf("kept 192.0.2.1 = %v (30 minutes old), 192.0.2.2 = %v (10 minutes old); want false, true", kept1, kept2)
		}
	})

	t.Run("run_sweeps_at_start_and_stops_with_its_context", func(t *testing.T) {
		f := newAutoBanFixture(t, nil)
		ip := netip.MustParseAddr("192.0.2.1")
		mustCreateRange(t, f.st, store.IPRange{Name: "Auto-ban: old", Priority: 20, Lower: ip, Upper: ip,
			Expires: true, ExpiresAt: f.clock.Now().Unix() - 1})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			f.ban.Run(runCtx)
			close(done)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for len(f.banRanges(t)) != 0 {
			if time.Now().After(deadline) {
				t.Fatal("Run did not remove the expired range")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
	})
}

func TestAutoBanConcurrentUse(t *testing.T) {
	f := newAutoBanFixture(t, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ip := netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
			for range 6 {
				if _, err := f.ban.Failed(ctx, ip, "user"); err != nil {
					t.Error(err)
				}
				if _, _, err := f.ranges.Match(ctx, ip); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if bans := f.banRanges(t); len(bans) != 16 {
		t.Errorf("%d bans, want 16 (two per address)", len(bans))
	}
}
