package dns

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"
)

// MX is one mail exchanger of a domain.
type MX struct {
	Host       string // lower case ASCII, without the trailing dot
	Preference uint16
}

// LookupMX returns domain's mail exchangers, the most preferred first and
// those of equal preference in random order (RFC 5321 5.1). A domain
// without MX records that has addresses is its own mail exchanger, with
// preference 0 (RFC 5321 5.1, the implicit MX).
//
// It fails with ErrNullMX when the domain publishes a null MX (RFC 7505),
// ErrNoSuchDomain when the domain does not exist (NXDOMAIN), ErrNoRecords
// when it has neither MX records nor addresses, ErrInvalidName for a name
// that cannot be a domain; all of them permanent. Server failures and
// timeouts give a temporary error (see IsTemporary).
func (r *Resolver) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	name, err := CanonicalName(domain)
	if err != nil {
		return nil, &Error{Name: domain, Type: "MX", Err: err}
	}
	found, err := r.mxRecords(ctx, name)
	if errors.Is(err, ErrNoRecords) {
		return r.implicitMX(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	return orderMX(name, found)
}

// mxRecords returns the MX records the DNS holds for name, as they come.
func (r *Resolver) mxRecords(ctx context.Context, name string) ([]MX, error) {
	if r.fallback != nil {
		records, err := r.fallback.LookupMX(ctx, mdns.Fqdn(name))
		if err != nil && len(records) == 0 {
			err = fromNetError(name, "MX", err)
			if errors.Is(err, ErrNoSuchDomain) {
				// Go's "not found" may only mean "no MX records": look
				// for the implicit MX, which tells the two apart.
				err = &Error{Name: name, Type: "MX", Err: ErrNoRecords}
			}
			return nil, err
		}
		out := make([]MX, 0, len(records))
		for _, mx := range records {
			out = append(out, MX{Host: mx.Host, Preference: mx.Pref})
		}
		if len(out) == 0 {
			return nil, &Error{Name: name, Type: "MX", Err: ErrNoRecords}
		}
		return out, nil
	}
	records, err := r.records(ctx, name, mdns.TypeMX)
	if err != nil {
		return nil, err
	}
	out := make([]MX, 0, len(records))
	for _, rr := range records {
		mx := rr.(*mdns.MX)
		out = append(out, MX{Host: mx.Mx, Preference: mx.Preference})
	}
	return out, nil
}

// implicitMX is the domain itself as its mail exchanger, when it has
// addresses (RFC 5321 5.1).
func (r *Resolver) implicitMX(ctx context.Context, name string) ([]MX, error) {
	_, err := r.LookupIP(ctx, name)
	var dnsErr *Error
	switch {
	case err == nil:
		return []MX{{Host: name, Preference: 0}}, nil
	case errors.As(err, &dnsErr) && !dnsErr.Temporary():
		if errors.Is(err, ErrNoSuchDomain) {
			return nil, &Error{Name: name, Type: "MX", Err: ErrNoSuchDomain}
		}
		return nil, &Error{Name: name, Type: "MX", Err: ErrNoRecords}
	default:
		return nil, err
	}
}

// orderMX validates, deduplicates and sorts a domain's MX records.
func orderMX(domain string, records []MX) ([]MX, error) {
	var out []MX
	seen := map[string]int{} // host → index in out
	nullMX := false
	for _, mx := range records {
		if mx.Host == "." || mx.Host == "" {
			// RFC 7505 3: a null MX, "." — the domain accepts no mail.
			nullMX = true
			continue
		}
		host, err := CanonicalName(mx.Host)
		if err != nil {
			continue // a host that cannot be looked up cannot take mail
		}
		if i, ok := seen[host]; ok {
			out[i].Preference = min(out[i].Preference, mx.Preference)
			continue
		}
		seen[host] = len(out)
		out = append(out, MX{Host: host, Preference: mx.Preference})
	}
	if len(out) == 0 {
		if nullMX {
			return nil, &Error{Name: domain, Type: "MX", Err: ErrNullMX}
		}
		return nil, &Error{Name: domain, Type: "MX", Err: fmt.Errorf("%w: the MX records name no valid host", ErrInvalidName)}
	}
	// RFC 5321 5.1: equal preferences in random order, so that senders
	// spread their load over the hosts a domain lists alike.
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	slices.SortStableFunc(out, func(a, b MX) int { return cmp.Compare(a.Preference, b.Preference) })
	return out, nil
}

// LookupIP returns host's addresses, IPv4 before IPv6. An IP address is
// returned as it is; "localhost" and names under it are the loopback
// addresses (RFC 6761 6.3) without asking any server. Errors are as for
// LookupMX: ErrNoSuchDomain, ErrNoRecords (the name has no A or AAAA
// records), ErrInvalidName, or a temporary failure.
func (r *Resolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if addr, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{addr.Unmap()}, nil
	}
	name, err := CanonicalName(host)
	if err != nil {
		return nil, &Error{Name: host, Type: "A", Err: err}
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}, nil
	}
	if r.fallback != nil {
		addrs, err := r.fallback.LookupNetIP(ctx, "ip", mdns.Fqdn(name))
		if err != nil {
			return nil, fromNetError(name, "A", err)
		}
		return sortAddrs(addrs), nil
	}

	// A and AAAA are asked at once.
	var wg sync.WaitGroup
	var v4, v6 []mdns.RR
	var err4, err6 error
	wg.Go(func() { v4, err4 = r.records(ctx, name, mdns.TypeA) })
	wg.Go(func() { v6, err6 = r.records(ctx, name, mdns.TypeAAAA) })
	wg.Wait()
	var addrs []netip.Addr
	for _, rr := range append(v4, v6...) {
		if a, ok := addrOf(rr); ok {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) > 0 {
		// One family is enough to deliver; the other's failure is not
		// this lookup's.
		return sortAddrs(addrs), nil
	}
	switch {
	case IsTemporary(err4):
		return nil, err4
	case IsTemporary(err6):
		return nil, err6
	case errors.Is(err4, ErrNoSuchDomain) || errors.Is(err6, ErrNoSuchDomain):
		return nil, &Error{Name: name, Type: "A", Err: ErrNoSuchDomain}
	default:
		return nil, &Error{Name: name, Type: "A", Err: ErrNoRecords}
	}
}

// sortAddrs puts IPv4 addresses before IPv6 ones, keeping the order within
// each family, and drops repeats.
func sortAddrs(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b netip.Addr) int {
		return cmp.Compare(boolRank(a.Is6()), boolRank(b.Is6()))
	})
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
