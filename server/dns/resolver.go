// Package dns owns the DNS lookups the mail server makes to deliver mail:
// MX records and host addresses (A and AAAA), asked of the DNS server the
// "DNSServer" setting names or, when it is empty, of the system's. Because
// the server can be named, tests run their own DNS server (see dnstest)
// and never ask the internet.
//
// It does not own DNS-based policy: SPF, DKIM keys, DNS blacklists and
// SURBL belong to the anti-spam packages.
package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// Errors a lookup can end with; test them with errors.Is. They arrive
// wrapped in an *Error that names the query.
var (
	// ErrNoSuchDomain: the name does not exist (NXDOMAIN). Permanent.
	ErrNoSuchDomain = errors.New("no such domain")
	// ErrNoRecords: the name exists but has no records of the kind asked
	// for (for LookupMX: no MX records and no addresses). Permanent.
	ErrNoRecords = errors.New("the name has no records of that type")
	// ErrNullMX: the domain publishes a "null MX" and accepts no mail
	// (RFC 7505). Permanent.
	ErrNullMX = errors.New("the domain accepts no mail (null MX, RFC 7505)")
	// ErrInvalidName: the name is not a valid host or domain name.
	ErrInvalidName = errors.New("not a valid domain name")
)

// TemporaryError is implemented by errors that may go away if the lookup
// is tried again later: server failures, refusals and timeouts.
type TemporaryError interface {
	error
	Temporary() bool
}

// IsTemporary reports whether err, or an error it wraps, is temporary.
func IsTemporary(err error) bool {
	var t TemporaryError
	return errors.As(err, &t) && t.Temporary()
}

// Error is a failed lookup: which name and record type were asked for,
// and why it failed.
type Error struct {
	Name      string // the name asked about, without the trailing dot
	Type      string // "MX", "A", "AAAA"
	Err       error  // ErrNoSuchDomain, ErrNoRecords, ErrNullMX, ErrInvalidName or the cause of a temporary failure
	temporary bool
}

func (e *Error) Error() string {
	if e.temporary {
		return fmt.Sprintf("DNS %s lookup of %s failed temporarily: %v", e.Type, e.Name, e.Err)
	}
	return fmt.Sprintf("DNS %s lookup of %s: %v", e.Type, e.Name, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed.
func (e *Error) Temporary() bool { return e.temporary }

// errRcode is a server's answer that is neither an answer nor NXDOMAIN.
type errRcode struct {
	server string
	rcode  int
}

func (e errRcode) Error() string {
	return fmt.Sprintf("the DNS server %s answered %s", e.server, mdns.RcodeToString[e.rcode])
}

// Resolver asks one configured DNS server, or the system's servers, for
// MX and address records. It is safe for concurrent use.
type Resolver struct {
	// servers are host:port addresses asked in turn; when empty, the
	// lookups go through fallback.
	servers  []string
	attempts int
	timeout  time.Duration
	// fallback is the Go resolver, used where no resolv.conf can be read
	// (Windows).
	fallback *net.Resolver
}

// DefaultTimeout bounds one query to one server when NewResolver is given
// no timeout.
const DefaultTimeout = 5 * time.Second

// udpBufferSize is the EDNS0 buffer size advertised, the value DNS Flag
// Day 2020 recommends; longer answers come truncated and are asked again
// over TCP.
const udpBufferSize = 1232

// NewResolver returns a resolver asking server — "host", "host:port" or
// "[IPv6]:port", port 53 when none is given — or, when server is empty,
// the name servers of the system's resolv.conf (read once, here). Where
// there is no resolv.conf, as on Windows, it uses Go's resolver, which
// asks the system's configured servers. timeout bounds each query to one
// server; zero means DefaultTimeout.
func NewResolver(server string, timeout time.Duration) *Resolver {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	r := &Resolver{timeout: timeout, attempts: 2}
	server = strings.TrimSpace(server)
	if server != "" {
		r.servers = []string{withDefaultPort(server)}
		return r
	}
	servers, attempts, err := systemServers()
	if err != nil || len(servers) == 0 {
		r.fallback = net.DefaultResolver
		return r
	}
	r.servers, r.attempts = servers, max(attempts, 1)
	return r
}

// newNetResolver returns a resolver that goes through a Go resolver, the
// path Windows takes.
func newNetResolver(fallback *net.Resolver, timeout time.Duration) *Resolver {
	return &Resolver{timeout: timeout, attempts: 1, fallback: fallback}
}

// withDefaultPort adds port 53 to a server given without one.
func withDefaultPort(server string) string {
	if _, _, err := net.SplitHostPort(server); err == nil {
		return server
	}
	return net.JoinHostPort(strings.Trim(server, "[]"), "53")
}

// Servers lists the servers the resolver asks, in order; empty when it
// goes through the operating system's resolver.
func (r *Resolver) Servers() []string { return append([]string(nil), r.servers...) }

// query asks for name's records of type qtype, trying each server in turn
// and each again up to the resolver's attempts. It returns the first
// answer that is NOERROR or NXDOMAIN; anything else is temporary.
func (r *Resolver) query(ctx context.Context, fqdn string, qtype uint16) (*mdns.Msg, error) {
	req := new(mdns.Msg)
	req.SetQuestion(fqdn, qtype)
	req.RecursionDesired = true
	req.SetEdns0(udpBufferSize, false)
	var last error
	for range r.attempts {
		for _, server := range r.servers {
			resp, err := r.exchange(ctx, req, server)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				last = err
				continue
			}
			if resp.Rcode == mdns.RcodeSuccess || resp.Rcode == mdns.RcodeNameError {
				return resp, nil
			}
			last = errRcode{server, resp.Rcode}
		}
	}
	return nil, last
}

// exchange sends one query to one server over UDP and, when the answer
// comes back truncated, again over TCP (RFC 7766).
func (r *Resolver) exchange(ctx context.Context, req *mdns.Msg, server string) (*mdns.Msg, error) {
	resp, err := r.exchangeOver(ctx, "udp", req, server)
	if err == nil && resp.Truncated {
		resp, err = r.exchangeOver(ctx, "tcp", req, server)
	}
	if err != nil {
		return nil, err
	}
	if len(resp.Question) != 1 || !strings.EqualFold(resp.Question[0].Name, req.Question[0].Name) ||
		resp.Question[0].Qtype != req.Question[0].Qtype {
		return nil, fmt.Errorf("the DNS server %s answered a different question", server)
	}
	return resp, nil
}

func (r *Resolver) exchangeOver(ctx context.Context, network string, req *mdns.Msg, server string) (*mdns.Msg, error) {
	// The client takes the earlier of its timeout and the context's
	// deadline; a per-query deadline keeps one silent server from using
	// up the caller's whole budget.
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	c := &mdns.Client{Net: network, Timeout: r.timeout, UDPSize: udpBufferSize}
	resp, _, err := c.ExchangeContext(ctx, req, server)
	if err != nil {
		return nil, fmt.Errorf("asking %s over %s: %w", server, strings.ToUpper(network), err)
	}
	return resp, nil
}

// records asks for name's records of one type and returns those the
// answer holds for the name itself or for the names its CNAME chain leads
// to. A NOERROR answer without any gives ErrNoRecords.
func (r *Resolver) records(ctx context.Context, name string, qtype uint16) ([]mdns.RR, error) {
	typ := mdns.TypeToString[qtype]
	resp, err := r.query(ctx, mdns.Fqdn(name), qtype)
	if err != nil {
		return nil, &Error{Name: name, Type: typ, Err: err, temporary: true}
	}
	if resp.Rcode == mdns.RcodeNameError {
		return nil, &Error{Name: name, Type: typ, Err: ErrNoSuchDomain}
	}
	out := answersFor(resp.Answer, mdns.Fqdn(name), qtype)
	if len(out) == 0 {
		return nil, &Error{Name: name, Type: typ, Err: ErrNoRecords}
	}
	return out, nil
}

// maxCNAMEChain bounds how many aliases answersFor follows.
const maxCNAMEChain = 8

// answersFor picks from an answer section the records of type qtype owned
// by name or by the names a chain of CNAME records starting at it leads to.
func answersFor(answer []mdns.RR, name string, qtype uint16) []mdns.RR {
	owners := map[string]bool{mdns.CanonicalName(name): true}
	current := mdns.CanonicalName(name)
	for range maxCNAMEChain {
		next := ""
		for _, rr := range answer {
			if c, ok := rr.(*mdns.CNAME); ok && mdns.CanonicalName(c.Hdr.Name) == current {
				next = mdns.CanonicalName(c.Target)
				break
			}
		}
		if next == "" || owners[next] {
			break
		}
		owners[next] = true
		current = next
	}
	var out []mdns.RR
	for _, rr := range answer {
		if rr.Header().Rrtype == qtype && owners[mdns.CanonicalName(rr.Header().Name)] {
			out = append(out, rr)
		}
	}
	return out
}

// fromNetError turns the Go resolver's error into this package's.
func fromNetError(name, typ string, err error) error {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		// Go's resolver does not tell a missing name from a name without
		// records of the type; both are permanent.
		return &Error{Name: name, Type: typ, Err: ErrNoSuchDomain}
	}
	// Timeouts, server failures and anything unexpected may pass.
	return &Error{Name: name, Type: typ, Err: err, temporary: true}
}

// addrOf returns an A or AAAA record's address.
func addrOf(rr mdns.RR) (netip.Addr, bool) {
	switch rr := rr.(type) {
	case *mdns.A:
		a, ok := netip.AddrFromSlice(rr.A.To4())
		return a, ok
	case *mdns.AAAA:
		a, ok := netip.AddrFromSlice(rr.AAAA.To16())
		return a.Unmap(), ok
	}
	return netip.Addr{}, false
}
