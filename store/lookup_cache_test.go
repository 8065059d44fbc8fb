package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// ownerOf is what LocalAddresses says owns address, or nil.
func ownerOf(t *testing.T, s *Store, address string) *LocalAddress {
	t.Helper()
	found, err := s.LocalAddresses(context.Background(), []string{address})
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := found[Lower(address)]; ok {
		return &o
	}
	return nil
}

// domainNamed is what DomainByName says name belongs to, or nil.
func domainNamed(t *testing.T, s *Store, name string) *Domain {
	t.Helper()
	d, err := s.DomainByName(context.Background(), name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return &d
}

// behindTheStore runs a statement as another node sharing the database
// would: without this store knowing.
func behindTheStore(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	if _, err := s.exec(context.Background(), s.db, query, args...); err != nil {
		t.Fatal(err)
	}
}

func TestLookupCacheDropsCopiesAtEachChangeThroughTheStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		fakeClock(s) // the copies never expire by themselves here
		d := mustDomain(t, s, Domain{Name: "example.com"})

		t.Run("domain_created_updated_and_aliased", func(t *testing.T) {
			if domainNamed(t, s, "new.example") != nil {
				t.Fatal("new.example is local before it is created")
			}
			nd, err := s.CreateDomain(ctx, Domain{Name: "new.example", Active: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := domainNamed(t, s, "New.Example"); got == nil || got.ID != nd.ID {
				t.Fatalf("after CreateDomain DomainByName = %+v", got)
			}
			nd.Active = false
			if err := s.UpdateDomain(ctx, nd); err != nil {
				t.Fatal(err)
			}
			if got := domainNamed(t, s, "new.example"); got == nil || got.Active {
				t.Errorf("after UpdateDomain to inactive DomainByName = %+v", got)
			}
			if domainNamed(t, s, "alias.example") != nil {
				t.Fatal("alias.example is local before it is added")
			}
			alias, err := s.AddDomainAlias(ctx, nd.ID, "alias.example")
			if err != nil {
				t.Fatal(err)
			}
			found, err := s.DomainsByNames(ctx, []string{"alias.example"})
			if err != nil || found["alias.example"].ID != nd.ID {
				t.Errorf("after AddDomainAlias DomainsByNames = %v, %v", found, err)
			}
			if err := s.RemoveDomainAlias(ctx, alias.ID); err != nil {
				t.Fatal(err)
			}
			if got := domainNamed(t, s, "alias.example"); got != nil {
				t.Errorf("after RemoveDomainAlias DomainByName = %+v", got)
			}
		})
		t.Run("account_created_updated_and_deleted", func(t *testing.T) {
			if ownerOf(t, s, "user@example.com") != nil {
				t.Fatal("user@example.com has an owner before it is created")
			}
			a := mustAccount(t, s, "user@example.com", 0)
			if got := ownerOf(t, s, "User@Example.com"); got == nil || got.Kind != AddressAccount || got.ID != a.ID || !got.Active {
				t.Fatalf("after CreateAccount the owner is %+v", got)
			}
			a.Active = false
			if err := s.UpdateAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
			if got := ownerOf(t, s, "user@example.com"); got == nil || got.Active {
				t.Errorf("after UpdateAccount to inactive the owner is %+v", got)
			}
			if err := s.DeleteAccount(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if got := ownerOf(t, s, "user@example.com"); got != nil {
				t.Errorf("after DeleteAccount the owner is %+v", got)
			}
		})
		t.Run("alias_created_updated_and_deleted", func(t *testing.T) {
			if ownerOf(t, s, "info@example.com") != nil {
				t.Fatal("info@example.com has an owner before it is created")
			}
			a, err := s.CreateAlias(ctx, Alias{Address: "info@example.com", Target: "one@example.net", Active: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := ownerOf(t, s, "info@example.com"); got == nil || got.Kind != AddressAlias || got.Target != "one@example.net" {
				t.Fatalf("after CreateAlias the owner is %+v", got)
			}
			a.Target = "two@example.net"
			if err := s.UpdateAlias(ctx, a); err != nil {
				t.Fatal(err)
			}
			if got := ownerOf(t, s, "info@example.com"); got == nil || got.Target != "two@example.net" {
				t.Errorf("after UpdateAlias the owner is %+v", got)
			}
			if err := s.DeleteAlias(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if got := ownerOf(t, s, "info@example.com"); got != nil {
				t.Errorf("after DeleteAlias the owner is %+v", got)
			}
		})
		t.Run("list_created_updated_and_deleted", func(t *testing.T) {
			if ownerOf(t, s, "team@example.com") != nil {
				t.Fatal("team@example.com has an owner before it is created")
			}
			l, err := s.CreateList(ctx, List{Address: "team@example.com", Active: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := ownerOf(t, s, "team@example.com"); got == nil || got.Kind != AddressList || got.RequireSMTPAuth {
				t.Fatalf("after CreateList the owner is %+v", got)
			}
			l.RequireSMTPAuth = true
			if err := s.UpdateList(ctx, l); err != nil {
				t.Fatal(err)
			}
			if got := ownerOf(t, s, "team@example.com"); got == nil || !got.RequireSMTPAuth {
				t.Errorf("after UpdateList the owner is %+v", got)
			}
			if err := s.DeleteList(ctx, l.ID); err != nil {
				t.Fatal(err)
			}
			if got := ownerOf(t, s, "team@example.com"); got != nil {
				t.Errorf("after DeleteList the owner is %+v", got)
			}
		})
		t.Run("domain_deleted_with_its_addresses", func(t *testing.T) {
			mustAccount(t, s, "last@example.com", 0)
			if ownerOf(t, s, "last@example.com") == nil || domainNamed(t, s, "example.com") == nil {
				t.Fatal("last@example.com or example.com not found")
			}
			if err := s.DeleteDomain(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
			if got := domainNamed(t, s, "example.com"); got != nil {
				t.Errorf("after DeleteDomain DomainByName = %+v", got)
			}
			if got := ownerOf(t, s, "last@example.com"); got != nil {
				t.Errorf("after DeleteDomain the owner is %+v", got)
			}
		})
	})
}

func TestLookupCacheKeepsCopiesForTheirKindsTTL(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := fakeClock(s)
		if err := s.SetSettings(ctx, map[string]string{"DomainCacheTTL": "60", "AccountCacheTTL": "30", "AliasCacheTTL": "20", "DistributionListCacheTTL": "10"}); err != nil {
			t.Fatal(err)
		}
		mustDomain(t, s, Domain{Name: "example.com"})
		mustAccount(t, s, "user@example.com", 0)
		if _, err := s.CreateAlias(ctx, Alias{Address: "info@example.com", Target: "one@example.net", Active: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateList(ctx, List{Address: "team@example.com", Active: true}); err != nil {
			t.Fatal(err)
		}
		// Cached now: the domain, the three owners, and an address nothing
		// owns.
		domainNamed(t, s, "example.com")
		for _, a := range []string{"user@example.com", "info@example.com", "team@example.com", "nobody@example.com"} {
			ownerOf(t, s, a)
		}
		// Changes another node makes, which this store does not hear of.
		behindTheStore(t, s, "UPDATE domains SET active = 0")
		behindTheStore(t, s, "UPDATE accounts SET active = 0")
		behindTheStore(t, s, "UPDATE aliases SET target = 'two@example.net'")
		behindTheStore(t, s, "UPDATE distribution_lists SET require_smtp_auth = 1")
		behindTheStore(t, s, "UPDATE aliases SET address = 'nobody@example.com', address_lower = 'nobody@example.com'")

		type check struct {
			name  string
			after time.Duration // the kind's TTL
			stale func() bool   // the cached copy is still used
		}
		checks := []check{
			{"list", 10 * time.Second, func() bool { return !ownerOf(t, s, "team@example.com").RequireSMTPAuth }},
			{"address_nothing_owned", 10 * time.Second, func() bool { return ownerOf(t, s, "nobody@example.com") == nil }},
			{"alias", 20 * time.Second, func() bool { return ownerOf(t, s, "info@example.com") != nil }},
			{"account", 30 * time.Second, func() bool { return ownerOf(t, s, "user@example.com").Active }},
			{"domain", 60 * time.Second, func() bool { return domainNamed(t, s, "example.com").Active }},
		}
		start := *clock
		for _, c := range checks {
			*clock = start.Add(c.after - time.Second)
			if !c.stale() {
				t.Errorf("%s: the change is seen within its TTL (%v)", c.name, c.after)
			}
			*clock = start.Add(c.after)
			if c.stale() {
				t.Errorf("%s: the change is not seen when its TTL (%v) has passed", c.name, c.after)
			}
		}
	})
}

func TestLookupCacheOffReadsTheDatabaseEachTime(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		fakeClock(s)
		if err := s.SetSetting(ctx, "CacheEnabled", "0"); err != nil {
			t.Fatal(err)
		}
		mustDomain(t, s, Domain{Name: "example.com"})
		mustAccount(t, s, "user@example.com", 0)
		if !ownerOf(t, s, "user@example.com").Active || !domainNamed(t, s, "example.com").Active {
			t.Fatal("the account or the domain is not active")
		}
		behindTheStore(t, s, "UPDATE accounts SET active = 0")
		behindTheStore(t, s, "UPDATE domains SET active = 0")
		if ownerOf(t, s, "user@example.com").Active {
			t.Error("with the cache off, a change behind the store is not seen at once for an account")
		}
		if domainNamed(t, s, "example.com").Active {
			t.Error("with the cache off, a change behind the store is not seen at once for a domain")
		}
	})
}

func TestLookupCacheKeepsNoLoadThatRacedAnInvalidation(t *testing.T) {
	s := &Store{}
	now := time.Unix(1_700_000_000, 0)
	_, _, generation := s.cachedOwners([]string{"user@example.com"}, now, lookupTTLs{account: time.Minute})
	s.invalidateOwners()
	s.storeOwners(generation, []string{"user@example.com"}, map[string]LocalAddress{"user@example.com": {Kind: AddressAccount, ID: 1}}, now)
	if hits, _, _ := s.cachedOwners([]string{"user@example.com"}, now, lookupTTLs{account: time.Minute}); len(hits) != 0 {
		t.Errorf("a load begun before the invalidation was kept: %v", hits)
	}
	_, _, generation = s.cachedDomains([]string{"example.com"}, now, time.Minute)
	s.invalidateDomains()
	s.storeDomains(generation, []string{"example.com"}, nil, now)
	if hits, _, _ := s.cachedDomains([]string{"example.com"}, now, time.Minute); len(hits) != 0 {
		t.Errorf("a domain load begun before the invalidation was kept: %v", hits)
	}
}
