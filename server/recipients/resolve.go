package recipients

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

// maxHops is how many aliases, distribution lists and catch-all addresses a
// recipient may pass through before it is refused as a configuration error
// (manual: "550 Mail server configuration error. Too many recursive
// forwards."). hMailServer stops at 25 levels; ten is plenty for real
// configurations and stops loops sooner.
const maxHops = 10

// Resolve expands one RCPT TO address into the targets that receive the
// message, following hMailServer's order for a local domain: account, alias,
// distribution list, the address without its plus-addressing tag, the
// domain's catch-all address, else "Unknown user". An address on another
// domain is one external target, checked against the route its domain
// matches. Replies the client should see are *smtpreply.Reply values
// returned as the error; database failures are plain errors.
func (r *Resolver) Resolve(ctx context.Context, rcpt string, from Sender) ([]Target, error) {
	x := &expansion{
		store:         r.store,
		from:          from,
		domains:       map[string]*store.Domain{},
		owners:        map[string]*store.LocalAddress{},
		expandedLists: map[int64]bool{},
	}
	targets, err := x.resolve(ctx, rcpt, path{})
	if err != nil {
		return nil, err
	}
	targets = withoutDuplicates(targets)
	if len(targets) == 0 {
		// A distribution list none of whose members can receive mail:
		// hMailServer answers "Unknown user" when it finds nobody to
		// deliver to.
		return nil, smtpreply.UnknownUser
	}
	return targets, nil
}

// expansion is one Resolve call. It remembers what it has read from the
// store (the domains and owners of addresses) for its own duration only, so
// a distribution list whose members share a domain reads it once.
type expansion struct {
	store *store.Store
	from  Sender

	domains       map[string]*store.Domain       // lower-cased name → domain; nil: not local
	owners        map[string]*store.LocalAddress // lower-cased primary-name address → owner; nil: nobody
	routes        []store.Route                  // all routes, read at the first external address
	routesRead    bool
	expandedLists map[int64]bool // lists whose members are already in (or being added)
}

// path is the way from the client's address to the one being resolved.
type path struct {
	hops      int
	aliases   []string // lower-cased addresses of the aliases followed
	catchAlls []int64  // domains whose catch-all address was followed
}

func (p path) throughAlias(address string) path {
	p.hops++
	p.aliases = append(slices.Clip(p.aliases), address)
	return p
}

func (p path) throughList() path {
	p.hops++
	return p
}

func (p path) throughCatchAll(domainID int64) path {
	p.hops++
	p.catchAlls = append(slices.Clip(p.catchAlls), domainID)
	return p
}

// resolve expands one address reached by p.
func (x *expansion) resolve(ctx context.Context, address string, p path) ([]Target, error) {
	if p.hops > maxHops {
		return nil, smtpreply.TooManyForwards
	}
	local, domainName, err := store.SplitAddress("address", address)
	if err != nil {
		if p.hops == 0 {
			return nil, smtpreply.ValidAddressRequired
		}
		// An alias target, list member or catch-all address the store would
		// no longer accept: there is nobody to deliver to.
		return nil, smtpreply.UnknownUser
	}
	d, err := x.domain(ctx, domainName)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return x.external(ctx, address, domainName)
	}
	if !d.Active {
		return nil, smtpreply.DomainDisabled
	}
	// Addresses on a domain alias name are the primary name's addresses.
	owner, err := x.owner(ctx, local+"@"+d.Name)
	if err != nil {
		return nil, err
	}
	if owner == nil {
		if base, ok := withoutPlusTag(local, d); ok {
			if owner, err = x.owner(ctx, base+"@"+d.Name); err != nil {
				return nil, err
			}
		}
	}
	if owner != nil {
		return x.resolveOwner(ctx, *owner, p)
	}
	// A catch-all address is followed once per domain on a path, so one
	// that names a missing address of its own domain (or two domains whose
	// catch-alls name each other's missing addresses) ends in "Unknown
	// user", not in a loop.
	if d.CatchAllAddress != "" && !slices.Contains(p.catchAlls, d.ID) {
		return x.resolve(ctx, d.CatchAllAddress, p.throughCatchAll(d.ID))
	}
	return nil, smtpreply.UnknownUser
}

// withoutPlusTag strips plus addressing's tag from a local part: "user+tag"
// becomes "user" (manual: Domains → Advanced → Plus addressing). Like
// hMailServer it cuts at the first separator; a local part that starts with
// the separator keeps it.
func withoutPlusTag(local string, d *store.Domain) (string, bool) {
	if !d.PlusAddressing || d.PlusAddressingChar == "" {
		return "", false
	}
	i := strings.Index(local, d.PlusAddressingChar)
	if i <= 0 {
		return "", false
	}
	return local[:i], true
}

// resolveOwner expands the account, alias or list owning an address.
func (x *expansion) resolveOwner(ctx context.Context, owner store.LocalAddress, p path) ([]Target, error) {
	switch owner.Kind {
	case store.AddressAccount:
		if !owner.Active {
			return nil, smtpreply.AccountNotActive
		}
		return []Target{{Address: owner.Address, AccountID: owner.ID}}, nil
	case store.AddressAlias:
		if !owner.Active {
			return nil, smtpreply.AliasNotActive
		}
		key := store.Lower(owner.Address)
		if slices.Contains(p.aliases, key) {
			// A loop (a → b → a) would only end at the hop limit; the
			// manual gives the same reply for both.
			return nil, smtpreply.TooManyForwards
		}
		return x.resolve(ctx, owner.Target, p.throughAlias(key))
	case store.AddressList:
		return x.expandList(ctx, owner, p)
	}
	return nil, fmt.Errorf("recipients: %s belongs to an object of unknown kind %d", owner.Address, owner.Kind)
}

// external is an address on a domain that is not local. If the domain
// matches a route, the route must take all addresses or list this one
// (manual: "550 Recipient not in route list").
func (x *expansion) external(ctx context.Context, address, domain string) ([]Target, error) {
	if !x.routesRead {
		routes, err := x.store.CachedRoutes(ctx)
		if err != nil {
			return nil, err
		}
		x.routes, x.routesRead = routes, true
	}
	route, ok := store.MatchRoute(x.routes, domain)
	if !ok {
		return []Target{{Address: address}}, nil
	}
	if !route.AllAddresses {
		listed, err := x.store.RouteHasAddress(ctx, route.ID, address)
		if err != nil {
			return nil, err
		}
		if !listed {
			return nil, smtpreply.RecipientNotInRoute
		}
	}
	return []Target{{Address: address, Route: route.ID}}, nil
}

// domain returns the local domain a name belongs to, or nil.
func (x *expansion) domain(ctx context.Context, name string) (*store.Domain, error) {
	key := store.Lower(name)
	if d, ok := x.domains[key]; ok {
		return d, nil
	}
	d, err := x.store.DomainByName(ctx, name)
	switch {
	case err == nil:
		x.domains[key] = &d
		return &d, nil
	case errors.Is(err, store.ErrNotFound):
		x.domains[key] = nil
		return nil, nil
	}
	return nil, err
}

// owner returns what owns a local address written with its domain's
// primary name, or nil.
func (x *expansion) owner(ctx context.Context, address string) (*store.LocalAddress, error) {
	key := store.Lower(address)
	if o, ok := x.owners[key]; ok {
		return o, nil
	}
	if err := x.readOwners(ctx, []string{key}); err != nil {
		return nil, err
	}
	return x.owners[key], nil
}

// readOwners reads the owners of local addresses (lower-cased, primary
// names) in one query and remembers the ones nothing owns too.
func (x *expansion) readOwners(ctx context.Context, keys []string) error {
	found, err := x.store.LocalAddresses(ctx, keys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if o, ok := found[k]; ok {
			x.owners[k] = &o
		} else {
			x.owners[k] = nil
		}
	}
	return nil
}

// prefetch reads, in two queries, the domains of addresses and the owners of
// those on local domains, so that resolving a list's members one by one
// finds them remembered instead of asking the database for each.
func (x *expansion) prefetch(ctx context.Context, addresses []string) error {
	var names []string
	askedNames := map[string]bool{}
	for _, a := range addresses {
		domain, ok := domainOf(a)
		if !ok {
			continue
		}
		key := store.Lower(domain)
		if _, known := x.domains[key]; !known && !askedNames[key] {
			askedNames[key] = true
			names = append(names, key)
		}
	}
	if len(names) > 0 {
		found, err := x.store.DomainsByNames(ctx, names)
		if err != nil {
			return err
		}
		for _, n := range names {
			if d, ok := found[n]; ok {
				x.domains[n] = &d
			} else {
				x.domains[n] = nil
			}
		}
	}
	var keys []string
	askedKeys := map[string]bool{}
	for _, a := range addresses {
		at := strings.LastIndexByte(a, '@')
		if at <= 0 {
			continue
		}
		d := x.domains[store.Lower(a[at+1:])]
		if d == nil || !d.Active {
			continue
		}
		key := store.Lower(a[:at+1] + d.Name)
		if _, known := x.owners[key]; !known && !askedKeys[key] {
			askedKeys[key] = true
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return x.readOwners(ctx, keys)
}

// canonical lower-cases an address and writes a local domain's alias name as
// its primary name, so that "bob@example.net" and "BOB@example.com" compare
// equal when example.net is a name of example.com.
func (x *expansion) canonical(ctx context.Context, address string) (string, error) {
	domain, ok := domainOf(address)
	if !ok {
		return store.Lower(address), nil
	}
	d, err := x.domain(ctx, domain)
	if err != nil || d == nil {
		return store.Lower(address), err
	}
	return store.Lower(address[:len(address)-len(domain)] + d.Name), nil
}

// withoutDuplicates keeps the first target of each address, ignoring case.
func withoutDuplicates(targets []Target) []Target {
	seen := make(map[string]bool, len(targets))
	out := targets[:0]
	for _, t := range targets {
		key := store.Lower(t.Address)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, t)
	}
	return out
}
