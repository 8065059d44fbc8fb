package policy

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

func TestMatch(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	clock := newFakeClock()
	addr := netip.MustParseAddr
	mustCreateRange(t, st, store.IPRange{Name: "LAN", Priority: 25, Lower: addr("10.0.0.0"), Upper: addr("10.255.255.255")})
	mustCreateRange(t, st, store.IPRange{Name: "Expired ban", Priority: 50, Lower: addr("10.1.2.3"), Upper: addr("10.1.2.3"),
		Expires: true, ExpiresAt: clock.Now().Unix()})
	mustCreateRange(t, st, store.IPRange{Name: "Ban until tomorrow", Priority: 50, Lower: addr("10.9.9.9"), Upper: addr("10.9.9.9"),
		Expires: true, ExpiresAt: clock.Now().Add(24 * time.Hour).Unix()})
	mustCreateRange(t, st, store.IPRange{Name: "IPv6 LAN", Priority: 25, Lower: addr("2001:db8:1::"), Upper: addr("2001:db8:1::ffff")})
	mustCreateRange(t, st, store.IPRange{Name: "Link-local host", Priority: 25, Lower: addr("fe80::1"), Upper: addr("fe80::1")})
	ranges := newRanges(st, clock)

	for _, tc := range []struct {
		name, ip, want string
	}{
		{"loopback_gets_my_computer_priority_30_over_internet_10", "127.0.0.1", "My computer"},
		{"other_loopback_address_gets_internet", "127.0.0.2", "Internet"},
		{"public_ipv4_gets_internet", "192.0.2.7", "Internet"},
		{"higher_priority_lan_wins_over_internet", "10.1.2.4", "LAN"},
		{"expired_range_is_ignored", "10.1.2.3", "LAN"},
		{"range_expiring_later_applies", "10.9.9.9", "Ban until tomorrow"},
		{"ipv6_loopback_gets_my_computer_ipv6", "::1", "My computer (IPv6)"},
		{"public_ipv6_gets_internet_ipv6", "2001:db8::1", "Internet (IPv6)"},
		{"ipv6_lan_wins_over_internet_ipv6", "2001:db8:1::42", "IPv6 LAN"},
		{"ipv6_just_past_the_lan_gets_internet_ipv6", "2001:db8:1::1:0", "Internet (IPv6)"},
		{"ipv4_mapped_loopback_matches_as_ipv4", "::ffff:127.0.0.1", "My computer"},
		{"ipv4_mapped_lan_address_matches_as_ipv4", "::ffff:10.1.2.4", "LAN"},
		{"zone_is_ignored", "fe80::1%eth0", "Link-local host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := ranges.Match(ctx, addr(tc.ip))
			if err != nil {
				t.Fatal(err)
			}
			if !ok || got.Name != tc.want {
				t.Errorf("Match(%s) = %q, %v; want %q", tc.ip, got.Name, ok, tc.want)
			}
		})
	}

	t.Run("no_range_means_no_match", func(t *testing.T) {
		st := openStore(t)
		all, err := st.IPRanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			if r.Name != "My computer" {
				if err := st.DeleteIPRange(ctx, r.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, ok, err := newRanges(st, clock).Match(ctx, addr("192.0.2.7"))
		if err != nil || ok {
			t.Errorf("Match = %q, %v, %v; want no match", got.Name, ok, err)
		}
	})
}

func TestRangesCache(t *testing.T) {
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.50")
	lan := store.IPRange{Name: "Partner", Priority: 25, Lower: ip, Upper: ip, AllowSMTP: true}

	matchName := func(t *testing.T, r *Ranges) string {
		t.Helper()
		got, _, err := r.Match(ctx, ip)
		if err != nil {
			t.Fatal(err)
		}
		return got.Name
	}

	t.Run("new_range_is_seen_after_invalidate", func(t *testing.T) {
		st, clock := openStore(t), newFakeClock()
		r := newRanges(st, clock)
		if got := matchName(t, r); got != "Internet" {
			t.Fatalf("before: %q, want Internet", got)
		}
		mustCreateRange(t, st, lan)
		if got := matchName(t, r); got != "Internet" {
			t.Errorf("within 30 s and without Invalidate: %q, want the cached Internet", got)
		}
		r.Invalidate()
		if got := matchName(t, r); got != "Partner" {
			t.Errorf("after Invalidate: %q, want Partner", got)
		}
	})

	t.Run("range_added_elsewhere_is_seen_after_30_seconds", func(t *testing.T) {
		st, clock := openStore(t), newFakeClock()
		r := newRanges(st, clock)
		matchName(t, r)
		mustCreateRange(t, st, lan)
		clock.Advance(29 * time.Second)
		if got := matchName(t, r); got != "Internet" {
			t.Errorf("after 29 s: %q, want the cached Internet", got)
		}
		clock.Advance(time.Second)
		if got := matchName(t, r); got != "Partner" {
			t.Errorf("after 30 s: %q, want Partner", got)
		}
	})

	t.Run("cached_range_stops_matching_when_it_expires", func(t *testing.T) {
		st, clock := openStore(t), newFakeClock()
		ban := lan
		ban.Expires, ban.ExpiresAt = true, clock.Now().Add(10*time.Second).Unix()
		mustCreateRange(t, st, ban)
		r := newRanges(st, clock)
		if got := matchName(t, r); got != "Partner" {
			t.Fatalf("before expiry: %q, want Partner", got)
		}
		clock.Advance(10 * time.Second)
		if got := matchName(t, r); got != "Internet" {
			t.Errorf("at expiry: %q, want Internet", got)
		}
	})

	t.Run("cancelled_context_is_an_error_when_loading", func(t *testing.T) {
		r := newRanges(openStore(t), newFakeClock())
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := r.Match(cancelled, ip); err == nil {
			t.Error("Match with a cancelled context and nothing cached gave no error")
		}
	})
}
