package store

import (
	"context"
	"database/sql"
	"iter"
	"strings"
)

// The read queries of recipient resolution (server/recipients): who owns a
// set of local addresses, which domains a set of names belong to, and which
// route a domain matches. They answer many addresses in one query so that
// expanding a distribution list costs a few queries, not a few per member.

// AddressKind says what owns a local address.
type AddressKind int

const (
	AddressAccount AddressKind = kindAccount
	AddressAlias   AddressKind = kindAlias
	AddressList    AddressKind = kindList
)

// LocalAddress is the account, alias or distribution list owning a local
// address, with the fields recipient resolution needs.
type LocalAddress struct {
	Kind    AddressKind
	ID      int64
	Address string
	Active  bool
	// Target is an alias's target.
	Target string
	// RequireSMTPAuth, Mode and AnnouncerAddress are a distribution list's.
	RequireSMTPAuth  bool
	Mode             ListMode
	AnnouncerAddress string
}

// lookupChunk bounds the values of one IN (...) list. LocalAddresses passes
// each address three times, which stays under SQL Server's 2,100 parameters.
const lookupChunk = 300

// LocalAddresses finds the accounts, aliases and distribution lists owning
// addresses, in one query per 300 addresses. The addresses must already use
// their domain's primary name (a domain alias name holds no addresses). The
// result is keyed by the lower-cased address and leaves out the addresses
// nothing owns.
//
// The owners are kept in the lookup cache (lookup_cache.go).
func (s *Store) LocalAddresses(ctx context.Context, addresses []string) (map[string]LocalAddress, error) {
	keys := distinctLower(addresses)
	ttls, err := s.lookupTTLs(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	hits, misses, generation := s.cachedOwners(keys, now, ttls)
	out, err := s.localAddresses(ctx, misses)
	if err != nil {
		return nil, err
	}
	if ttls != (lookupTTLs{}) && len(misses) > 0 {
		s.storeOwners(generation, misses, out, now)
	}
	for k, h := range hits {
		if h.found {
			out[k] = h.owner
		}
	}
	return out, nil
}

// localAddresses is LocalAddresses without the cache, for lower-cased,
// distinct addresses.
func (s *Store) localAddresses(ctx context.Context, keys []string) (map[string]LocalAddress, error) {
	out := make(map[string]LocalAddress, len(keys))
	for chunk := range chunked(keys, lookupChunk) {
		in := inPlaceholders(len(chunk))
		// The same projection from the three tables: kind, id, address,
		// active, then the alias's and the list's own fields.
		query := "SELECT 1, id, address, active, '', 0, 0, '' FROM accounts WHERE address_lower IN (" + in + ")" +
			" UNION ALL SELECT 2, id, address, active, target, 0, 0, '' FROM aliases WHERE address_lower IN (" + in + ")" +
			" UNION ALL SELECT 3, id, address, active, '', require_smtp_auth, mode, announcer_address FROM distribution_lists WHERE address_lower IN (" + in + ")"
		args := make([]any, 0, 3*len(chunk))
		for range 3 {
			for _, k := range chunk {
				args = append(args, k)
			}
		}
		err := s.forEachRow(ctx, query, args, func(rows *sql.Rows) error {
			var a LocalAddress
			if err := rows.Scan(&a.Kind, &a.ID, &a.Address, &a.Active, &a.Target, &a.RequireSMTPAuth, &a.Mode, &a.AnnouncerAddress); err != nil {
				return err
			}
			out[Lower(a.Address)] = a
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DomainsByNames finds the domains that names belong to, as primary names or
// domain alias names, in one query per 300 names. The result is keyed by the
// lower-cased name asked for and leaves out names that are not local.
//
// The domains are kept in the lookup cache (lookup_cache.go).
func (s *Store) DomainsByNames(ctx context.Context, names []string) (map[string]Domain, error) {
	keys := distinctLower(names)
	ttls, err := s.lookupTTLs(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	hits, misses, generation := s.cachedDomains(keys, now, ttls.domain)
	out, err := s.domainsByNames(ctx, misses)
	if err != nil {
		return nil, err
	}
	if ttls.domain > 0 && len(misses) > 0 {
		s.storeDomains(generation, misses, out, now)
	}
	for k, h := range hits {
		if h.found {
			out[k] = h.domain
		}
	}
	return out, nil
}

// domainsByNames is DomainsByNames without the cache, for lower-cased,
// distinct names.
func (s *Store) domainsByNames(ctx context.Context, keys []string) (map[string]Domain, error) {
	out := make(map[string]Domain, len(keys))
	for chunk := range chunked(keys, lookupChunk) {
		query := "SELECT n.name_lower, " + prefixedDomainColumns + " FROM domain_names n JOIN domains d ON d.id = n.domain_id" +
			" WHERE n.name_lower IN (" + inPlaceholders(len(chunk)) + ")"
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		err := s.forEachRow(ctx, query, args, func(rows *sql.Rows) error {
			var name string
			d, err := scanDomain(leadingColumn{rows, &name})
			if err != nil {
				return err
			}
			out[name] = d
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// prefixedDomainColumns is domainColumns qualified with the alias "d".
var prefixedDomainColumns = "d." + strings.ReplaceAll(domainColumns, ", ", ", d.")

// leadingColumn scans one extra column in front of those a scan function
// expects.
type leadingColumn struct {
	rows  *sql.Rows
	first any
}

func (l leadingColumn) Scan(dest ...any) error {
	return l.rows.Scan(append([]any{l.first}, dest...)...)
}

// RoutesWithoutAddresses lists all routes ordered by domain, without their
// address lists: what route matching needs, in one query.
func (s *Store) RoutesWithoutAddresses(ctx context.Context) ([]Route, error) {
	var out []Route
	err := s.forEachRow(ctx, "SELECT "+routeColumns+" FROM routes ORDER BY domain_name_lower", nil, func(rows *sql.Rows) error {
		var r Route
		if err := rows.Scan(&r.ID, &r.Domain, &r.Description, &r.TargetHost, &r.TargetPort, &r.Security, &r.Tries, &r.MinutesBetween,
			&r.TreatSenderAsLocal, &r.TreatRecipientAsLocal, &r.RequiresAuth, &r.Username, &r.Password, &r.AllAddresses); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// RouteForDomain returns the route a domain matches (see MatchRoute),
// without its address list, or ErrNotFound. The routes come through the
// cache (CachedRoutes): the relay rules ask for every MAIL FROM and RCPT.
func (s *Store) RouteForDomain(ctx context.Context, domain string) (Route, error) {
	routes, err := s.CachedRoutes(ctx)
	if err != nil {
		return Route{}, err
	}
	if r, ok := MatchRoute(routes, domain); ok {
		return r, nil
	}
	return Route{}, ErrNotFound
}

// RouteHasAddress reports whether address is in a route's address list.
func (s *Store) RouteHasAddress(ctx context.Context, routeID int64, address string) (bool, error) {
	n, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM route_addresses WHERE route_id = ? AND address_lower = ?", routeID, Lower(address))
	return n > 0, err
}

// MatchRoute picks the route for a domain from routes: the route named
// exactly so, else the first (in the order given) whose domain matches as a
// wildcard pattern. hMailServer takes the first wildcard match in domain
// order; preferring the exact name keeps "*.example.com" from shadowing
// "mail.example.com".
func MatchRoute(routes []Route, domain string) (Route, bool) {
	domain = Lower(domain)
	found := -1
	for i, r := range routes {
		if Lower(r.Domain) == domain {
			return r, true
		}
		if found < 0 && MatchWildcard(r.Domain, domain) {
			found = i
		}
	}
	if found < 0 {
		return Route{}, false
	}
	return routes[found], true
}

// MatchWildcard matches s against pattern, ignoring case: "*" stands for any
// run of characters, "?" for exactly one (manual: Routes, "wildcards").
// It runs in time proportional to len(pattern)*len(s) at worst, never
// exponentially.
func MatchWildcard(pattern, s string) bool {
	p, t := []rune(Lower(pattern)), []rune(Lower(s))
	pi, ti := 0, 0
	star, mark := -1, 0 // the last "*" seen and where in t it started matching
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			// Let the last "*" swallow one more character and retry.
			mark++
			pi, ti = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// forEachRow runs a portable query on the pool and calls f for every row.
func (s *Store) forEachRow(ctx context.Context, query string, args []any, f func(*sql.Rows) error) error {
	rows, err := s.query(ctx, s.db, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// distinctLower lower-cases values and drops repeats, keeping their order.
func distinctLower(values []string) []string {
	seen := make(map[string]bool, len(values))
	out := make([]string, 0, len(values))
	for _, v := range values {
		k := Lower(v)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// chunked yields values in slices of at most n.
func chunked(values []string, n int) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		for len(values) > 0 {
			end := min(n, len(values))
			if !yield(values[:end]) {
				return
			}
			values = values[end:]
		}
	}
}

// inPlaceholders renders "?, ?, ?" for n values.
func inPlaceholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
