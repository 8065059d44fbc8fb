package store

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// changeBehindTheStore writes a setting as another node sharing the
// database would: without this store knowing.
func changeBehindTheStore(t *testing.T, s *Store, name, value string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.exec(ctx, s.db, "DELETE FROM settings WHERE name = ?", name); err != nil {
		t.Fatal(err)
	}
	if _, err := s.exec(ctx, s.db, "INSERT INTO settings (name, value) VALUES (?, ?)", name, value); err != nil {
		t.Fatal(err)
	}
}

func mustSetting(t *testing.T, s *Store, name string) string {
	t.Helper()
	v, err := s.Setting(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCacheSettingsAreRegisteredWithHMailServersDefaults(t *testing.T) {
	want := map[string]string{"CacheEnabled": "1", "DomainCacheTTL": "60", "AccountCacheTTL": "60", "AliasCacheTTL": "60", "DistributionListCacheTTL": "60"}
	for name, def := range want {
		info, ok := knownSettings[name]
		if !ok || info.Default != def {
			t.Errorf("setting %s: %+v (registered %v), want default %q", name, info, ok, def)
		}
	}
}

func TestSettingsCache(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := fakeClock(s)
		t.Run("a_change_through_the_store_is_seen_at_once", func(t *testing.T) {
			if got := mustSetting(t, s, "HostName"); got != "" {
				t.Fatalf("HostName = %q before any change", got)
			}
			if err := s.SetSetting(ctx, "HostName", "one.example.com"); err != nil {
				t.Fatal(err)
			}
			if got := mustSetting(t, s, "HostName"); got != "one.example.com" {
				t.Errorf("after SetSetting HostName = %q", got)
			}
			if err := s.SetSettings(ctx, map[string]string{"HostName": "two.example.com"}); err != nil {
				t.Fatal(err)
			}
			all, err := s.AllSettings(ctx)
			if err != nil || all["HostName"] != "two.example.com" {
				t.Errorf("after SetSettings AllSettings()[HostName] = %q, %v", all["HostName"], err)
			}
		})
		t.Run("another_nodes_change_is_seen_when_the_ttl_has_passed", func(t *testing.T) {
			mustSetting(t, s, "HostName") // cached now
			changeBehindTheStore(t, s, "HostName", "three.example.com")
			*clock = clock.Add(59 * time.Second)
			if got := mustSetting(t, s, "HostName"); got != "two.example.com" {
				t.Errorf("within DomainCacheTTL HostName = %q, want the cached two.example.com", got)
			}
			*clock = clock.Add(time.Second)
			if got := mustSetting(t, s, "HostName"); got != "three.example.com" {
				t.Errorf("after DomainCacheTTL HostName = %q, want three.example.com", got)
			}
		})
		t.Run("a_shorter_ttl_applies_at_once", func(t *testing.T) {
			if err := s.SetSetting(ctx, "DomainCacheTTL", "5"); err != nil {
				t.Fatal(err)
			}
			mustSetting(t, s, "HostName")
			changeBehindTheStore(t, s, "HostName", "four.example.com")
			*clock = clock.Add(5 * time.Second)
			if got := mustSetting(t, s, "HostName"); got != "four.example.com" {
				t.Errorf("after a TTL of 5 s HostName = %q, want four.example.com", got)
			}
		})
		t.Run("with_the_cache_off_every_read_goes_to_the_database", func(t *testing.T) {
			if err := s.SetSetting(ctx, "CacheEnabled", "0"); err != nil {
				t.Fatal(err)
			}
			mustSetting(t, s, "HostName")
			changeBehindTheStore(t, s, "HostName", "five.example.com")
			if got := mustSetting(t, s, "HostName"); got != "five.example.com" {
				t.Errorf("with the cache off HostName = %q, want five.example.com", got)
			}
		})
		t.Run("a_caller_changing_its_copy_changes_nothing_else", func(t *testing.T) {
			if err := s.SetSetting(ctx, "CacheEnabled", "1"); err != nil {
				t.Fatal(err)
			}
			all, err := s.AllSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			all["HostName"] = "mine.example.com"
			if got := mustSetting(t, s, "HostName"); got == "mine.example.com" {
				t.Error("changing AllSettings' map changed the cached settings")
			}
		})
	})
}

func TestCachedRoutes(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := fakeClock(s)
		routes := func() []Route {
			t.Helper()
			rs, err := s.CachedRoutes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rs
		}
		r, err := s.CreateRoute(ctx, Route{Domain: "example.org", TargetHost: "mx1.example.org", TargetPort: 25, AllAddresses: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("created_updated_and_deleted_routes_are_seen_at_once", func(t *testing.T) {
			if rs := routes(); len(rs) != 1 || rs[0].TargetHost != "mx1.example.org" {
				t.Fatalf("routes after CreateRoute: %+v", rs)
			}
			r.TargetHost = "mx2.example.org"
			if err := s.UpdateRoute(ctx, r); err != nil {
				t.Fatal(err)
			}
			if rs := routes(); len(rs) != 1 || rs[0].TargetHost != "mx2.example.org" {
				t.Errorf("routes after UpdateRoute: %+v", rs)
			}
			if err := s.DeleteRoute(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			if rs := routes(); len(rs) != 0 {
				t.Errorf("routes after DeleteRoute: %+v", rs)
			}
		})
		t.Run("another_nodes_route_is_seen_when_the_ttl_has_passed", func(t *testing.T) {
			routes() // cached now: none
			other := Route{Domain: "example.net", TargetHost: "mx.example.net", TargetPort: 25, AllAddresses: true}
			if _, err := s.dialect.insert(ctx, s.db, "routes", routeWritable, other.values()...); err != nil {
				t.Fatal(err)
			}
			*clock = clock.Add(30 * time.Second)
			if rs := routes(); len(rs) != 0 {
				t.Errorf("within DomainCacheTTL: %+v, want the cached none", rs)
			}
			*clock = clock.Add(30 * time.Second)
			if rs := routes(); len(rs) != 1 || rs[0].Domain != "example.net" {
				t.Errorf("after DomainCacheTTL: %+v, want the route for example.net", rs)
			}
		})
	})
}

func TestCacheKeepsNoLoadThatRacedAnInvalidation(t *testing.T) {
	c := newCache()
	now := time.Unix(1_700_000_000, 0)
	_, _, generation := c.lookup(cacheRoutes, now, time.Minute)
	c.invalidate(cacheRoutes) // a writer committed while the load ran
	c.store(cacheRoutes, generation, []Route{{Domain: "old.example"}}, now)
	if v, ok, _ := c.lookup(cacheRoutes, now, time.Minute); ok {
		t.Errorf("the cache kept %v, read before the invalidation", v)
	}
}

func TestCachedPortsSeeCreatedAndDeletedPortsAtOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		before, err := s.CachedPorts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.CreatePort(ctx, Port{Protocol: ProtocolSMTP, Address: netip.MustParseAddr("127.0.0.1"), Port: 2525})
		if err != nil {
			t.Fatal(err)
		}
		if after, err := s.CachedPorts(ctx); err != nil || len(after) != len(before)+1 {
			t.Errorf("after CreatePort %d ports (%v), want %d", len(after), err, len(before)+1)
		}
		if err := s.DeletePort(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if after, err := s.CachedPorts(ctx); err != nil || len(after) != len(before) {
			t.Errorf("after DeletePort %d ports (%v), want %d", len(after), err, len(before))
		}
	})
}
