package store

import (
	"context"
	"maps"
	"sync"
	"time"
)

// The store's cache of objects that hot paths read over and over — the
// delivery queue and the router read the settings and the routes for every
// message — as hMailServer's (manual: Settings → Advanced → Performance →
// Cache: "hMailServer can cache objects located in the database. If an
// object is cached hMailServer does not have to contact the database to
// access it"). It is on while "CacheEnabled" is 1; an object kind's TTL
// setting, in seconds, says how long a copy is used before the database is
// asked again, so that changes another node makes to a shared database
// show within that time. A change made through this store drops the copy
// at once (invalidate), so this node, its tests and the administration
// RPC see it on the next read.
//
// The 5.2 manual names the cache settings without their names or defaults
// ("Please see the user guide"); the names follow hMailServer's own
// (usecache, domaincachettl, accountcachettl, aliascachettl,
// distributionlistcachettl) and so do the defaults of its install scripts:
// the cache on, 60 seconds. Routes, the TCP/IP ports (which the router
// checks every target against, to refuse a loop to this server) and the
// settings themselves, which hMailServer reads once at start, are kept
// here for DomainCacheTTL: a route is where a domain's mail goes.
const (
	settingCacheEnabled             = "CacheEnabled"
	settingDomainCacheTTL           = "DomainCacheTTL"
	settingAccountCacheTTL          = "AccountCacheTTL"
	settingAliasCacheTTL            = "AliasCacheTTL"
	settingDistributionListCacheTTL = "DistributionListCacheTTL"
)

// cacheKind names what a cached copy holds.
type cacheKind int

const (
	cacheSettings cacheKind = iota
	cacheRoutes
	cachePorts
	cacheKinds
)

// ttlSetting is the setting that says how long a kind is kept.
var ttlSetting = [cacheKinds]string{
	cacheSettings: settingDomainCacheTTL,
	cacheRoutes:   settingDomainCacheTTL,
	cachePorts:    settingDomainCacheTTL,
}

// cache holds the copies. A load that began before an invalidation of its
// kind does not store what it read (generation), so a reader racing a
// writer cannot put the old value back after the writer dropped it.
type cache struct {
	mu      sync.Mutex
	entries [cacheKinds]cacheEntry
}

type cacheEntry struct {
	value      any
	loadedAt   time.Time
	valid      bool
	generation uint64
}

func newCache() *cache { return &cache{} }

// invalidate drops the copies of the kinds given, at once.
func (c *cache) invalidate(kinds ...cacheKind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range kinds {
		e := &c.entries[k]
		e.value, e.valid = nil, false
		e.generation++
	}
}

// lookup returns the copy of kind k if one is valid at now for ttl, and
// the generation a load must present to store its result.
func (c *cache) lookup(k cacheKind, now time.Time, ttl time.Duration) (value any, ok bool, generation uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &c.entries[k]
	if e.valid && ttl > 0 && now.Sub(e.loadedAt) < ttl && !now.Before(e.loadedAt) {
		return e.value, true, e.generation
	}
	return nil, false, e.generation
}

// store keeps value as the copy of kind k loaded at now, unless the kind
// was invalidated since the load began.
func (c *cache) store(k cacheKind, generation uint64, value any, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &c.entries[k]
	if e.generation != generation {
		return
	}
	e.value, e.loadedAt, e.valid = value, now, true
}

// cacheTTL is how long kind k is kept under the settings given; 0 when the
// cache is off.
func cacheTTL(settings Settings, k cacheKind) time.Duration {
	return settingTTL(settings, ttlSetting[k])
}

// settingTTL is the TTL the setting name gives under the settings; 0 when
// the cache is off.
func settingTTL(settings Settings, name string) time.Duration {
	if !settings.Bool(settingCacheEnabled) {
		return 0
	}
	return time.Duration(settings.Int(name)) * time.Second
}

// cachedSettings returns the settings, from the cache when it holds a copy
// young enough under its own cache settings. The map is shared: callers
// must not change it.
func (s *Store) cachedSettings(ctx context.Context) (Settings, error) {
	now := s.now()
	if v, ok, _ := s.cache.lookup(cacheSettings, now, s.cacheSettingsTTL()); ok {
		return v.(Settings), nil
	}
	_, _, generation := s.cache.lookup(cacheSettings, now, 0)
	settings, err := s.loadSettings(ctx)
	if err != nil {
		return nil, err
	}
	if cacheTTL(settings, cacheSettings) > 0 {
		s.cache.store(cacheSettings, generation, settings, now)
	}
	return settings, nil
}

// cacheSettingsTTL is the TTL of the settings copy, read from the copy
// itself: with the cache off there is none, and the settings are read
// from the database each time.
func (s *Store) cacheSettingsTTL() time.Duration {
	s.cache.mu.Lock()
	e := s.cache.entries[cacheSettings]
	s.cache.mu.Unlock()
	if !e.valid {
		return 0
	}
	return cacheTTL(e.value.(Settings), cacheSettings)
}

// CachedRoutes is RoutesWithoutAddresses through the cache: the routes
// ordered by domain, without their address lists, as route matching
// (MatchRoute) needs them. The slice is shared: callers must not change
// it. CreateRoute, UpdateRoute and DeleteRoute drop the copy.
func (s *Store) CachedRoutes(ctx context.Context) ([]Route, error) {
	settings, err := s.cachedSettings(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ttl := cacheTTL(settings, cacheRoutes)
	v, ok, generation := s.cache.lookup(cacheRoutes, now, ttl)
	if ok {
		return v.([]Route), nil
	}
	routes, err := s.RoutesWithoutAddresses(ctx)
	if err != nil {
		return nil, err
	}
	if ttl > 0 {
		s.cache.store(cacheRoutes, generation, routes, now)
	}
	return routes, nil
}

// CachedPorts is Ports through the cache. The slice is shared: callers
// must not change it. CreatePort and DeletePort drop the copy.
func (s *Store) CachedPorts(ctx context.Context) ([]Port, error) {
	settings, err := s.cachedSettings(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ttl := cacheTTL(settings, cachePorts)
	v, ok, generation := s.cache.lookup(cachePorts, now, ttl)
	if ok {
		return v.([]Port), nil
	}
	ports, err := s.Ports(ctx)
	if err != nil {
		return nil, err
	}
	if ttl > 0 {
		s.cache.store(cachePorts, generation, ports, now)
	}
	return ports, nil
}

// invalidatePorts drops the cached ports; the port writers call it after
// their write.
func (s *Store) invalidatePorts() { s.cache.invalidate(cachePorts) }

// invalidateRoutes drops the cached routes; the route writers call it
// after their commit.
func (s *Store) invalidateRoutes() { s.cache.invalidate(cacheRoutes) }

// cloneSettings copies a shared settings map for a caller that may keep or
// change it.
func cloneSettings(settings Settings) Settings { return maps.Clone(settings) }
