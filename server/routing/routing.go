// Package routing owns deciding where mail for a remote recipient's domain
// goes: to the host of a matching route, to the SMTP relayer, or to the
// domain's MX hosts — each resolved to the addresses to connect to, in the
// order to try them — and refusing to send mail to the server itself
// (manual: Troubleshooting, "The mail server software tried to deliver
// e-mail to the local machine").
//
// It does not hold the SMTP conversation (server/smtpclient), batch
// recipients or schedule retries (the delivery queue).
package routing

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mailwright/mailwright/server/dns"
	"github.com/mailwright/mailwright/store"
)

// The kinds of target.
const (
	KindRoute   = "route"   // a route's target host (manual: Routes)
	KindRelayer = "relayer" // the "SMTP relayer" setting
	KindMX      = "mx"      // the domain's MX hosts, or its own addresses
)

// Host is one address to connect to.
type Host struct {
	Name         string         // the host name it was resolved from, or the address itself
	Addr         netip.AddrPort // where to connect
	MXPreference uint16         // the MX record's preference; 0 for routes and the relayer
}

// Target is where mail for a domain goes.
type Target struct {
	Kind  string // KindRoute, KindRelayer or KindMX
	Hosts []Host // in the order to try them
	// RouteID is the matching route's, for KindRoute.
	RouteID int64
	// Security is the route's, the relayer's ("SMTPRelayerSecurity") or,
	// for MX hosts, "SMTPDeliverySecurity".
	Security store.ConnectionSecurity
	// Username and Password are set when the route or the relayer
	// requires authentication.
	Username, Password string
	// Tries and MinutesBetween are a route's own retry policy (0 = use the
	// global settings); always 0 for the relayer and MX hosts.
	Tries, MinutesBetween int
}

// LocalAddrs returns the server's own IP addresses: those of its network
// interfaces (InterfaceAddrs) and any other it is known by. The router adds
// the "BindToLocalIP" setting's address itself.
type LocalAddrs func() []netip.Addr

// InterfaceAddrs lists the addresses of the machine's network interfaces,
// loopback included; it is the LocalAddrs a running server uses.
func InterfaceAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if prefix, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, prefix.Addr().Unmap())
		}
	}
	return out
}

// Option adjusts a Router.
type Option func(*Router)

// WithMXPort makes MX hosts and address-literal domains be reached on port
// instead of 25, for tests whose peers listen on a free port.
func WithMXPort(port uint16) Option {
	return func(r *Router) { r.mxPort = port }
}

// WithListeners adds the addresses the server's SMTP listeners are
// actually bound to (a listener configured on port 0 gets its port only
// when it opens) to the SMTP ports configured in the store, for loop
// protection.
func WithListeners(listeners func() []netip.AddrPort) Option {
	return func(r *Router) { r.listeners = listeners }
}

// Router finds targets. It reads routes, ports and settings through the
// store's cache (store.CachedRoutes, store.CachedPorts): a change made
// through the store applies to the next delivery, one another node makes
// within the cache's TTL. It is safe for concurrent use.
type Router struct {
	store     *store.Store
	resolver  *dns.Resolver
	local     LocalAddrs
	mxPort    uint16
	listeners func() []netip.AddrPort
}

// NewRouter returns a router reading routes and settings from st, asking
// res for MX records and addresses, and treating local's addresses as the
// server's own. local may be nil.
func NewRouter(st *store.Store, res *dns.Resolver, local LocalAddrs, opts ...Option) *Router {
	r := &Router{store: st, resolver: res, local: local, mxPort: 25}
	for _, o := range opts {
		o(r)
	}
	return r
}

// For returns where mail for recipientDomain goes: the target of the route
// matching the domain (store.MatchRoute) if any; else the SMTP relayer
// ("SMTPRelayer", as host or host:port, on "SMTPRelayerPort" when it has
// no port) if one is set; else the domain's MX hosts in preference order,
// at most "MaxMXHosts" of them (0 = all), or the domain's own addresses
// when it has no MX records. Every host is resolved to its addresses, IPv4
// first. A domain written as an address literal, "[192.0.2.1]" or
// "[IPv6:2001:db8::1]" (RFC 5321 4.1.3), goes to that address when no
// relayer is set.
//
// Addresses that are the server's own SMTP listeners are left out (see
// isOwn); when nothing else is left, For fails with a *LocalLoopError
// (errors.Is(err, ErrLocalLoop)).
//
// Errors say whether a later try may succeed (dns.IsTemporary): DNS
// server failures and timeouts, and a route's or the relayer's host that
// cannot be resolved (an administrator's mistake to fix; hMailServer
// retries too), are temporary. A domain that does not exist, has a null
// MX, or whose mail servers have no addresses, and a loop, are permanent.
func (r *Router) For(ctx context.Context, recipientDomain string) (Target, error) {
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(recipientDomain)), ".")
	literal, isLiteral, err := parseAddressLiteral(domain)
	if err != nil {
		return Target{}, err
	}
	settings, err := r.store.AllSettings(ctx)
	if err != nil {
		return Target{}, err
	}
	target, err := r.find(ctx, domain, literal, isLiteral, settings)
	if err != nil {
		return Target{}, err
	}
	return r.withoutOwnAddresses(ctx, domain, target, settings)
}

// find picks the target and resolves its hosts.
func (r *Router) find(ctx context.Context, domain string, literal netip.Addr, isLiteral bool, settings store.Settings) (Target, error) {
	if !isLiteral {
		route, found, err := r.route(ctx, domain)
		if err != nil {
			return Target{}, err
		}
		if found {
			return r.routeTarget(ctx, route)
		}
	}
	if relayer := strings.TrimSpace(settings["SMTPRelayer"]); relayer != "" {
		return r.relayerTarget(ctx, relayer, settings)
	}
	security := store.ConnectionSecurity(settings.Int("SMTPDeliverySecurity"))
	if isLiteral {
		hosts := []Host{{Name: "[" + literal.String() + "]", Addr: netip.AddrPortFrom(literal, r.mxPort)}}
		return Target{Kind: KindMX, Hosts: hosts, Security: security}, nil
	}
	hosts, err := r.mxHosts(ctx, domain, settings.Int("MaxMXHosts"))
	if err != nil {
		return Target{}, err
	}
	return Target{Kind: KindMX, Hosts: hosts, Security: security}, nil
}

// route finds the route for domain, trying its ASCII (punycode) form too
// when that differs, since a route may be written either way.
func (r *Router) route(ctx context.Context, domain string) (store.Route, bool, error) {
	routes, err := r.store.CachedRoutes(ctx)
	if err != nil || len(routes) == 0 {
		return store.Route{}, false, err
	}
	if route, ok := store.MatchRoute(routes, domain); ok {
		return route, true, nil
	}
	if ascii, err := dns.CanonicalName(domain); err == nil && ascii != domain {
		if route, ok := store.MatchRoute(routes, ascii); ok {
			return route, true, nil
		}
	}
	return store.Route{}, false, nil
}

func (r *Router) routeTarget(ctx context.Context, route store.Route) (Target, error) {
	hosts, err := r.fixedHosts(ctx, "the route's target host", route.TargetHost, route.TargetPort)
	if err != nil {
		return Target{}, err
	}
	t := Target{Kind: KindRoute, Hosts: hosts, RouteID: route.ID, Security: route.Security,
		Tries: route.Tries, MinutesBetween: route.MinutesBetween}
	if route.RequiresAuth {
		t.Username, t.Password = route.Username, route.Password
	}
	return t, nil
}

func (r *Router) relayerTarget(ctx context.Context, relayer string, settings store.Settings) (Target, error) {
	host, port, err := splitRelayer(relayer, settings.Int("SMTPRelayerPort"))
	if err != nil {
		return Target{}, &temporaryError{err}
	}
	hosts, err := r.fixedHosts(ctx, "the SMTP relayer", host, port)
	if err != nil {
		return Target{}, err
	}
	t := Target{Kind: KindRelayer, Hosts: hosts, Security: store.ConnectionSecurity(settings.Int("SMTPRelayerSecurity"))}
	if settings.Bool("SMTPRelayerRequiresAuth") {
		t.Username, t.Password = settings["SMTPRelayerUsername"], settings["SMTPRelayerPassword"]
	}
	return t, nil
}

// splitRelayer reads the "SMTPRelayer" setting: host, host:port,
// [IPv6]:port or a bare IPv6 address; defaultPort when it names none.
func splitRelayer(relayer string, defaultPort int) (string, int, error) {
	if host, portText, err := net.SplitHostPort(relayer); err == nil {
		port, err := strconv.Atoi(portText)
		if err != nil || port < 1 || port > 65535 {
			return "", 0, fmt.Errorf("the SMTP relayer %q has an invalid port", relayer)
		}
		return host, port, nil
	}
	if defaultPort < 1 || defaultPort > 65535 {
		defaultPort = 25
	}
	return strings.Trim(relayer, "[]"), defaultPort, nil
}

// fixedHosts resolves a route's or the relayer's host. Failing to is
// temporary: the administrator can correct the name or its DNS.
func (r *Router) fixedHosts(ctx context.Context, what, host string, port int) ([]Host, error) {
	addrs, err := r.resolver.LookupIP(ctx, host)
	if err != nil {
		return nil, &temporaryError{fmt.Errorf("%s %s could not be resolved: %w", what, host, err)}
	}
	hosts := make([]Host, len(addrs))
	for i, a := range addrs {
		hosts[i] = Host{Name: host, Addr: netip.AddrPortFrom(a, uint16(port))}
	}
	return hosts, nil
}

// mxHosts resolves the domain's MX hosts, the first maxHosts of them (0 =
// all), to their addresses, keeping the preference order. A host that
// cannot be resolved is skipped; when none can, the error is temporary if
// any failure was.
func (r *Router) mxHosts(ctx context.Context, domain string, maxHosts int) ([]Host, error) {
	mxs, err := r.resolver.LookupMX(ctx, domain)
	if err != nil {
		return nil, err
	}
	if maxHosts > 0 && len(mxs) > maxHosts {
		mxs = mxs[:maxHosts] // "Maximum number of MX hosts"
	}
	addrs := make([][]netip.Addr, len(mxs))
	errs := make([]error, len(mxs))
	var wg sync.WaitGroup
	for i, mx := range mxs {
		wg.Go(func() { addrs[i], errs[i] = r.resolver.LookupIP(ctx, mx.Host) })
	}
	wg.Wait()
	var hosts []Host
	for i, mx := range mxs {
		for _, a := range addrs[i] {
			hosts = append(hosts, Host{Name: mx.Host, Addr: netip.AddrPortFrom(a, r.mxPort), MXPreference: mx.Preference})
		}
	}
	if len(hosts) > 0 {
		return hosts, nil
	}
	// Report a temporary failure before a permanent one: it may pass.
	slices.SortStableFunc(errs, func(a, b error) int { return boolRank(!dns.IsTemporary(a)) - boolRank(!dns.IsTemporary(b)) })
	return nil, fmt.Errorf("no mail server of %s could be resolved to an address: %w", domain, errs[0])
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseAddressLiteral reads "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC
// 5321 4.1.3). Other domains are checked to be valid names.
func parseAddressLiteral(domain string) (netip.Addr, bool, error) {
	if !strings.HasPrefix(domain, "[") {
		if _, err := dns.CanonicalName(domain); err != nil {
			return netip.Addr{}, false, err
		}
		return netip.Addr{}, false, nil
	}
	inner, ok := strings.CutSuffix(domain[1:], "]")
	if !ok {
		return netip.Addr{}, false, fmt.Errorf("%w: %q", dns.ErrInvalidName, domain)
	}
	v6, isV6 := strings.CutPrefix(inner, "ipv6:") // the domain is lower-cased
	addr, err := netip.ParseAddr(v6)
	if err != nil || addr.Zone() != "" || addr.Is4() == isV6 {
		return netip.Addr{}, false, fmt.Errorf("%w: %q is not an address literal", dns.ErrInvalidName, domain)
	}
	return addr, true, nil
}

// temporaryError marks a failure a later try may not meet.
type temporaryError struct{ err error }

func (e *temporaryError) Error() string   { return e.err.Error() }
func (e *temporaryError) Unwrap() error   { return e.err }
func (e *temporaryError) Temporary() bool { return true }

var _ dns.TemporaryError = (*temporaryError)(nil)
