package store

import (
	"context"
	"sync"
	"time"
)

// The cache of recipient resolution's lookups (lookup.go): the domains
// names belong to (DomainByName, DomainsByNames) and the accounts, aliases
// and distribution lists owning local addresses (LocalAddresses). Every
// RCPT asks both, and parsing and running those queries was a seventh of
// an SMTP session's CPU. The settings are cache.go's: CacheEnabled, and
// DomainCacheTTL for domains; an address's owner is kept for the TTL of its
// kind (AccountCacheTTL, AliasCacheTTL, DistributionListCacheTTL), and an
// address nothing owns for the shortest of the three, since any of the
// three kinds could come to own it.
//
// A change through this store drops the copies at once: a domain or domain
// alias change every domain copy and every owner copy (a domain's deletion
// takes its addresses with it), an account, alias or list change every
// owner copy. Distribution list members are not cached (they are read when
// a list is expanded), so a change to them has nothing to drop.

// maxLookupEntries bounds each map of the lookup cache: RCPTs to made-up
// addresses would otherwise grow it without end. A full map is emptied.
const maxLookupEntries = 10000

// lookupCache holds the copies. As in cache.go, a load that began before
// an invalidation does not store what it read (the generations).
type lookupCache struct {
	mu               sync.Mutex
	domains          map[string]cachedDomain // lower-cased name
	domainGeneration uint64
	owners           map[string]cachedOwner // lower-cased address
	ownerGeneration  uint64
}

type cachedDomain struct {
	domain   Domain
	found    bool
	loadedAt time.Time
}

type cachedOwner struct {
	owner    LocalAddress
	found    bool
	loadedAt time.Time
}

// fresh reports whether a copy loaded at loadedAt is still good at now.
func fresh(loadedAt, now time.Time, ttl time.Duration) bool {
	return ttl > 0 && now.Sub(loadedAt) < ttl && !now.Before(loadedAt)
}

// invalidateDomains drops every domain copy and every owner copy; the
// writers of domains and domain aliases call it after their commit.
func (s *Store) invalidateDomains() {
	c := &s.lookups
	c.mu.Lock()
	defer c.mu.Unlock()
	c.domains, c.owners = nil, nil
	c.domainGeneration++
	c.ownerGeneration++
}

// invalidateOwners drops every owner copy; the writers of accounts,
// aliases and distribution lists call it after their commit.
func (s *Store) invalidateOwners() {
	c := &s.lookups
	c.mu.Lock()
	defer c.mu.Unlock()
	c.owners = nil
	c.ownerGeneration++
}

// lookupTTLs are the TTLs of the lookup cache under the current settings:
// all 0 when the cache is off.
type lookupTTLs struct {
	domain, account, alias, list time.Duration
}

func (s *Store) lookupTTLs(ctx context.Context) (lookupTTLs, error) {
	settings, err := s.cachedSettings(ctx)
	if err != nil {
		return lookupTTLs{}, err
	}
	return lookupTTLs{
		domain:  settingTTL(settings, settingDomainCacheTTL),
		account: settingTTL(settings, settingAccountCacheTTL),
		alias:   settingTTL(settings, settingAliasCacheTTL),
		list:    settingTTL(settings, settingDistributionListCacheTTL),
	}, nil
}

// owner is the TTL of an owner copy.
func (t lookupTTLs) owner(o cachedOwner) time.Duration {
	if !o.found {
		return min(t.account, t.alias, t.list)
	}
	switch o.owner.Kind {
	case AddressAccount:
		return t.account
	case AddressAlias:
		return t.alias
	case AddressList:
		return t.list
	}
	return 0
}

// cachedDomains returns the fresh copies of the domains of keys
// (lower-cased names), the keys it has none for, and the generation a load
// of those must present to store them.
func (s *Store) cachedDomains(keys []string, now time.Time, ttl time.Duration) (hits map[string]cachedDomain, misses []string, generation uint64) {
	c := &s.lookups
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e, ok := c.domains[k]; ok && fresh(e.loadedAt, now, ttl) {
			if hits == nil {
				hits = map[string]cachedDomain{}
			}
			hits[k] = e
			continue
		}
		misses = append(misses, k)
	}
	return hits, misses, c.domainGeneration
}

// storeDomains keeps what a load read for keys (found, keyed by name;
// the others are kept as not local), unless the domains were invalidated
// since the load began.
func (s *Store) storeDomains(generation uint64, keys []string, found map[string]Domain, now time.Time) {
	c := &s.lookups
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.domainGeneration != generation {
		return
	}
	if c.domains == nil || len(c.domains)+len(keys) > maxLookupEntries {
		c.domains = map[string]cachedDomain{}
	}
	for _, k := range keys {
		d, ok := found[k]
		c.domains[k] = cachedDomain{domain: d, found: ok, loadedAt: now}
	}
}

// cachedOwners is cachedDomains for the owners of addresses.
func (s *Store) cachedOwners(keys []string, now time.Time, ttls lookupTTLs) (hits map[string]cachedOwner, misses []string, generation uint64) {
	c := &s.lookups
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e, ok := c.owners[k]; ok && fresh(e.loadedAt, now, ttls.owner(e)) {
			if hits == nil {
				hits = map[string]cachedOwner{}
			}
			hits[k] = e
			continue
		}
		misses = append(misses, k)
	}
	return hits, misses, c.ownerGeneration
}

// storeOwners is storeDomains for the owners of addresses.
func (s *Store) storeOwners(generation uint64, keys []string, found map[string]LocalAddress, now time.Time) {
	c := &s.lookups
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ownerGeneration != generation {
		return
	}
	if c.owners == nil || len(c.owners)+len(keys) > maxLookupEntries {
		c.owners = map[string]cachedOwner{}
	}
	for _, k := range keys {
		o, ok := found[k]
		c.owners[k] = cachedOwner{owner: o, found: ok, loadedAt: now}
	}
}
