package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/dns/dnstest"
)

// testZone is what the test DNS server holds.
var testZone = []string{
	// Three MX hosts, given out of order.
	"multi.test. MX 20 mx2.multi.test.",
	"multi.test. MX 10 mx1.multi.test.",
	"multi.test. MX 30 mx3.multi.test.",
	"mx1.multi.test. A 192.0.2.1",
	"mx2.multi.test. A 192.0.2.2",
	"mx3.multi.test. A 192.0.2.3",
	// Two hosts of equal preference after a preferred one.
	"equal.test. MX 10 a.equal.test.",
	"equal.test. MX 10 b.equal.test.",
	"equal.test. MX 5 first.equal.test.",
	// The same host twice.
	"twice.test. MX 10 mx.twice.test.",
	"twice.test. MX 20 MX.Twice.Test.",
	// No MX records, but addresses: the implicit MX.
	"plain.test. A 192.0.2.10",
	"plain.test. AAAA 2001:db8::10",
	// Neither MX records nor addresses.
	`empty.test. TXT "v=spf1 -all"`,
	// A null MX (RFC 7505).
	"nullmx.test. MX 0 .",
	// Addresses of both families, IPv6 listed first.
	"dual.test. AAAA 2001:db8::1",
	"dual.test. A 192.0.2.21",
	"dual.test. A 192.0.2.22",
	"v6only.test. AAAA 2001:db8::6",
	// An alias.
	"alias.test. CNAME plain.test.",
	// An answer too long for UDP, as the server pretends.
	"big.test. MX 10 mx.big.test.",
	// An internationalized domain, stored in its ASCII form.
	"xn--bcher-kva.test. MX 10 mx.xn--bcher-kva.test.",
}

func newTestResolver(t *testing.T) (*Resolver, *dnstest.Server) {
	t.Helper()
	srv := dnstest.NewServer(t, testZone...)
	srv.ServFail("broken.test")
	srv.Silent("silent.test")
	srv.Truncate("big.test")
	return NewResolver(srv.Addr, 300*time.Millisecond), srv
}

func TestLookupMX(t *testing.T) {
	r, _ := newTestResolver(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		domain string
		want   []MX
	}{
		{"sorted_by_preference", "multi.test", []MX{{"mx1.multi.test", 10}, {"mx2.multi.test", 20}, {"mx3.multi.test", 30}}},
		{"case_and_trailing_dot_ignored", "MULTI.Test.", []MX{{"mx1.multi.test", 10}, {"mx2.multi.test", 20}, {"mx3.multi.test", 30}}},
		{"repeated_host_kept_once_at_best_preference", "twice.test", []MX{{"mx.twice.test", 10}}},
		{"no_mx_but_addresses_is_implicit_mx", "plain.test", []MX{{"plain.test", 0}}},
		{"truncated_udp_answer_asked_again_over_tcp", "big.test", []MX{{"mx.big.test", 10}}},
		{"internationalized_domain_asked_in_ascii", "Bücher.test", []MX{{"mx.xn--bcher-kva.test", 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.LookupMX(ctx, tt.domain)
			if err != nil {
				t.Fatalf("LookupMX(%q): %v", tt.domain, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LookupMX(%q) = %v, want %v", tt.domain, got, tt.want)
			}
		})
	}
}

func TestLookupMX_truncated_answer_uses_tcp(t *testing.T) {
	r, srv := newTestResolver(t)
	if _, err := r.LookupMX(context.Background(), "big.test"); err != nil {
		t.Fatal(err)
	}
	if udp, tcp := srv.Queries("udp", "big.test"), srv.Queries("tcp", "big.test"); udp != 1 || tcp != 1 {
		t.Errorf("queries: %d over UDP, %d over TCP; want 1 and 1", udp, tcp)
	}
}

func TestLookupMX_equal_preferences_are_shuffled(t *testing.T) {
	r, _ := newTestResolver(t)
	orders := map[string]int{}
	for range 64 {
		got, err := r.LookupMX(context.Background(), "equal.test")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0] != (MX{"first.equal.test", 5}) {
			t.Fatalf("got %v, want first.equal.test (5) first, then the two of preference 10", got)
		}
		orders[got[1].Host+" "+got[2].Host]++
	}
	if len(orders) != 2 {
		t.Errorf("hosts of equal preference came in %d order(s) in 64 lookups, want both orders: %v", len(orders), orders)
	}
}

func TestLookupMX_failures(t *testing.T) {
	r, _ := newTestResolver(t)
	tests := []struct {
		name      string
		domain    string
		want      error // nil: only temporary
		temporary bool
	}{
		{"null_mx_accepts_no_mail", "nullmx.test", ErrNullMX, false},
		{"nxdomain_is_permanent", "missing.test", ErrNoSuchDomain, false},
		{"no_mx_and_no_addresses_is_permanent", "empty.test", ErrNoRecords, false},
		{"invalid_name_is_refused", "bad_name.test", ErrInvalidName, false},
		{"leading_hyphen_is_refused", "-x.test", ErrInvalidName, false},
		{"servfail_is_temporary", "broken.test", nil, true},
		{"timeout_is_temporary", "silent.test", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.LookupMX(context.Background(), tt.domain)
			if err == nil {
				t.Fatalf("LookupMX(%q) = %v, want an error", tt.domain, got)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("LookupMX(%q) error %v, want %v", tt.domain, err, tt.want)
			}
			if IsTemporary(err) != tt.temporary {
				t.Errorf("LookupMX(%q) error %v: temporary %v, want %v", tt.domain, err, IsTemporary(err), tt.temporary)
			}
			var dnsErr *Error
			if !errors.As(err, &dnsErr) {
				t.Errorf("error %T is not a *dns.Error", err)
			}
		})
	}
}

func TestLookupIP(t *testing.T) {
	r, _ := newTestResolver(t)
	tests := []struct {
		name string
		host string
		want []string
	}{
		{"ipv4_before_ipv6", "dual.test", []string{"192.0.2.21", "192.0.2.22", "2001:db8::1"}},
		{"aaaa_only", "v6only.test", []string{"2001:db8::6"}},
		{"cname_followed", "alias.test", []string{"192.0.2.10", "2001:db8::10"}},
		{"ip_literal_returned_as_is", "192.0.2.99", []string{"192.0.2.99"}},
		{"bracketed_ipv6_literal", "[2001:db8::99]", []string{"2001:db8::99"}},
		{"localhost_is_loopback_without_asking", "localhost", []string{"127.0.0.1", "::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.LookupIP(context.Background(), tt.host)
			if err != nil {
				t.Fatalf("LookupIP(%q): %v", tt.host, err)
			}
			if !slices.Equal(got, parseAddrs(tt.want)) {
				t.Errorf("LookupIP(%q) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}

func TestLookupIP_failures(t *testing.T) {
	r, _ := newTestResolver(t)
	tests := []struct {
		name      string
		host      string
		want      error
		temporary bool
	}{
		{"nxdomain_is_permanent", "missing.test", ErrNoSuchDomain, false},
		{"no_addresses_is_permanent", "empty.test", ErrNoRecords, false},
		{"servfail_is_temporary", "broken.test", nil, true},
		{"timeout_is_temporary", "silent.test", nil, true},
		{"invalid_name_is_refused", "a..test", ErrInvalidName, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.LookupIP(context.Background(), tt.host)
			if err == nil {
				t.Fatalf("LookupIP(%q) = %v, want an error", tt.host, got)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("LookupIP(%q) error %v, want %v", tt.host, err, tt.want)
			}
			if IsTemporary(err) != tt.temporary {
				t.Errorf("LookupIP(%q) error %v: temporary %v, want %v", tt.host, err, IsTemporary(err), tt.temporary)
			}
		})
	}
}

func TestLookup_cancelled_context_stops_waiting(t *testing.T) {
	srv := dnstest.NewServer(t)
	srv.Silent("silent.test")
	r := NewResolver(srv.Addr, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := r.LookupMX(ctx, "silent.test")
	if !IsTemporary(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a temporary error ending with the context", err)
	}
}

// TestGoResolverFallback runs the lookups through Go's resolver, the path
// Windows takes, against the same test server.
func TestGoResolverFallback(t *testing.T) {
	srv := dnstest.NewServer(t, testZone...)
	srv.ServFail("broken.test")
	goResolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Addr)
	}}
	r := newNetResolver(goResolver, time.Second)
	ctx := context.Background()

	mx, err := r.LookupMX(ctx, "multi.test")
	if want := []MX{{"mx1.multi.test", 10}, {"mx2.multi.test", 20}, {"mx3.multi.test", 30}}; err != nil || !slices.Equal(mx, want) {
		t.Errorf("LookupMX(multi.test) = %v, %v; want %v", mx, err, want)
	}
	mx, err = r.LookupMX(ctx, "plain.test")
	if want := []MX{{"plain.test", 0}}; err != nil || !slices.Equal(mx, want) {
		t.Errorf("LookupMX(plain.test) = %v, %v; want the implicit MX %v", mx, err, want)
	}
	if _, err := r.LookupMX(ctx, "nullmx.test"); !errors.Is(err, ErrNullMX) {
		t.Errorf("LookupMX(nullmx.test) error %v, want ErrNullMX", err)
	}
	if _, err := r.LookupMX(ctx, "missing.test"); !errors.Is(err, ErrNoSuchDomain) || IsTemporary(err) {
		t.Errorf("LookupMX(missing.test) error %v, want permanent ErrNoSuchDomain", err)
	}
	if _, err := r.LookupMX(ctx, "broken.test"); !IsTemporary(err) {
		t.Errorf("LookupMX(broken.test) error %v, want a temporary error", err)
	}
	ips, err := r.LookupIP(ctx, "dual.test")
	if want := parseAddrs([]string{"192.0.2.21", "192.0.2.22", "2001:db8::1"}); err != nil || !slices.Equal(ips, want) {
		t.Errorf("LookupIP(dual.test) = %v, %v; want %v", ips, err, want)
	}
}

func TestNewResolver_server_address(t *testing.T) {
	tests := map[string]string{
		"192.0.2.53":        "192.0.2.53:53",
		"192.0.2.53:5353":   "192.0.2.53:5353",
		"2001:db8::53":      "[2001:db8::53]:53",
		"[2001:db8::53]":    "[2001:db8::53]:53",
		"[2001:db8::53]:54": "[2001:db8::53]:54",
		" ns.example.com ":  "ns.example.com:53",
	}
	for in, want := range tests {
		if got := NewResolver(in, 0).Servers(); !slices.Equal(got, []string{want}) {
			t.Errorf("NewResolver(%q) asks %v, want %v", in, got, want)
		}
	}
}

func TestNewResolver_system_reads_resolv_conf(t *testing.T) {
	if _, err := os.Stat("/etc/resolv.conf"); err != nil {
		t.Skip("no /etc/resolv.conf here")
	}
	r := NewResolver("", 0)
	if len(r.Servers()) == 0 {
		t.Skip("resolv.conf lists no name server")
	}
	for _, s := range r.Servers() {
		if _, _, err := net.SplitHostPort(s); err != nil {
			t.Errorf("server %q has no port: %v", s, err)
		}
	}
}

func parseAddrs(texts []string) []netip.Addr {
	out := make([]netip.Addr, len(texts))
	for i, s := range texts {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}
