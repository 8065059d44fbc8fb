package routing

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/dns"
	"github.com/mailwright/mailwright/server/dns/dnstest"
	"github.com/mailwright/mailwright/store"
)

// serverAddr stands for one of the server's own public addresses.
const serverAddr = "198.51.100.25"

// zone is what the test DNS server holds.
var zone = []string{
	// Three MX hosts; the second has two addresses.
	"multi.test. MX 10 mx1.multi.test.",
	"multi.test. MX 20 mx2.multi.test.",
	"multi.test. MX 30 mx3.multi.test.",
	"mx1.multi.test. A 192.0.2.1",
	"mx2.multi.test. A 192.0.2.2",
	"mx2.multi.test. AAAA 2001:db8::2",
	"mx3.multi.test. A 192.0.2.3",
	// No MX records: the domain's own addresses.
	"plain.test. A 192.0.2.10",
	"plain.test. AAAA 2001:db8::10",
	"nullmx.test. MX 0 .",
	// MX hosts that do not all resolve.
	"halfbroken.test. MX 10 gone.halfbroken.test.",
	"halfbroken.test. MX 20 ok.halfbroken.test.",
	"ok.halfbroken.test. A 192.0.2.40",
	"allgone.test. MX 10 gone1.allgone.test.",
	"allgone.test. MX 20 gone2.allgone.test.",
	"flaky.test. MX 10 gone.flaky.test.",
	"flaky.test. MX 20 failing.flaky.test.",
	// Domains that routes and the relayer take over; they have MX records
	// too, to show that those lose.
	"sub.routed.test. MX 10 mx.elsewhere.test.",
	"mx.elsewhere.test. A 192.0.2.99",
	"backend.routed.test. A 10.0.0.50",
	"smtp.isp.test. A 192.0.2.80",
	"smtp.isp.test. AAAA 2001:db8::80",
	// Mail servers that are this server.
	"self.test. MX 10 mail.self.test.",
	"mail.self.test. A " + serverAddr,
	"loopback.test. MX 10 lo.loopback.test.",
	"lo.loopback.test. A 127.0.0.1",
	"mixed.test. MX 10 mail.self.test.",
	"mixed.test. MX 20 mx1.multi.test.",
	"bound.test. MX 10 bound.bound.test.",
	"bound.bound.test. A 203.0.113.9",
}

type fixture struct {
	store  *store.Store
	dns    *dnstest.Server
	router *Router
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Options{
		Type:    "sqlite",
		DSN:     "file:" + dir + "/mw.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate",
		DataDir: dir + "/data",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := dnstest.NewServer(t, zone...)
	srv.ServFail("broken.test")
	srv.ServFail("failing.flaky.test")
	res := dns.NewResolver(srv.Addr, time.Second)
	local := func() []netip.Addr {
		return []netip.Addr{netip.MustParseAddr(serverAddr), netip.MustParseAddr("127.0.0.1")}
	}
	return &fixture{store: st, dns: srv, router: NewRouter(st, res, local, opts...)}
}

func (f *fixture) set(t *testing.T, settings map[string]string) {
	t.Helper()
	for name, value := range settings {
		if err := f.store.SetSetting(context.Background(), name, value); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) route(t *testing.T, r store.Route) store.Route {
	t.Helper()
	r, err := f.store.CreateRoute(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hosts(t *testing.T, specs ...string) []Host {
	t.Helper()
	// Each spec is "name addr:port preference".
	if len(specs)%3 != 0 {
		t.Fatalf("hosts: %d specs, want name, address and preference for each", len(specs))
	}
	var out []Host
	for i := 0; i < len(specs); i += 3 {
		pref, err := strconv.ParseUint(specs[i+2], 10, 16)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Host{Name: specs[i], Addr: netip.MustParseAddrPort(specs[i+1]), MXPreference: uint16(pref)})
	}
	return out
}

func TestFor_mx(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		domain   string
		want     []Host
	}{
		{"mx_hosts_in_preference_order_ipv4_first", nil, "multi.test", hosts(t,
			"mx1.multi.test", "192.0.2.1:25", "10",
			"mx2.multi.test", "192.0.2.2:25", "20",
			"mx2.multi.test", "[2001:db8::2]:25", "20",
			"mx3.multi.test", "192.0.2.3:25", "30")},
		{"max_mx_hosts_limits_the_hosts_not_their_addresses", map[string]string{"MaxMXHosts": "2"}, "multi.test", hosts(t,
			"mx1.multi.test", "192.0.2.1:25", "10",
			"mx2.multi.test", "192.0.2.2:25", "20",
			"mx2.multi.test", "[2001:db8::2]:25", "20")},
		{"max_mx_hosts_0_means_all", map[string]string{"MaxMXHosts": "0"}, "Multi.Test.", hosts(t,
			"mx1.multi.test", "192.0.2.1:25", "10",
			"mx2.multi.test", "192.0.2.2:25", "20",
			"mx2.multi.test", "[2001:db8::2]:25", "20",
			"mx3.multi.test", "192.0.2.3:25", "30")},
		{"no_mx_falls_back_to_the_domains_addresses", nil, "plain.test", hosts(t,
			"plain.test", "192.0.2.10:25", "0",
			"plain.test", "[2001:db8::10]:25", "0")},
		{"mx_host_that_does_not_resolve_is_skipped", nil, "halfbroken.test", hosts(t,
			"ok.halfbroken.test", "192.0.2.40:25", "20")},
		{"ipv4_address_literal", nil, "[192.0.2.77]", hosts(t, "[192.0.2.77]", "192.0.2.77:25", "0")},
		{"ipv6_address_literal", nil, "[IPv6:2001:db8::77]", hosts(t, "[2001:db8::77]", "[2001:db8::77]:25", "0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.set(t, tt.settings)
			got, err := f.router.For(context.Background(), tt.domain)
			if err != nil {
				t.Fatalf("For(%q): %v", tt.domain, err)
			}
			if got.Kind != KindMX || got.Security != store.SecuritySTARTTLSOptional || got.Username != "" || got.Tries != 0 {
				t.Errorf("For(%q) = %+v, want kind mx, STARTTLS optional, no authentication, global retries", tt.domain, got)
			}
			if !slices.Equal(got.Hosts, tt.want) {
				t.Errorf("For(%q) hosts\n got %v\nwant %v", tt.domain, got.Hosts, tt.want)
			}
		})
	}
}

func TestFor_mx_failures(t *testing.T) {
	tests := []struct {
		name      string
		domain    string
		want      error // nil: only check temporary
		temporary bool
	}{
		{"null_mx", "nullmx.test", dns.ErrNullMX, false},
		{"nxdomain", "missing.test", dns.ErrNoSuchDomain, false},
		{"servfail", "broken.test", nil, true},
		{"no_mx_host_resolves", "allgone.test", dns.ErrNoSuchDomain, false},
		{"no_mx_host_resolves_and_one_failed_temporarily", "flaky.test", nil, true},
		{"invalid_domain", "bad_domain.test", dns.ErrInvalidName, false},
		{"invalid_address_literal", "[192.0.2.300]", dns.ErrInvalidName, false},
		{"ipv6_literal_without_tag", "[2001:db8::1]", dns.ErrInvalidName, false},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.router.For(context.Background(), tt.domain)
			if err == nil {
				t.Fatalf("For(%q) = %+v, want an error", tt.domain, got)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("For(%q) error %v, want %v", tt.domain, err, tt.want)
			}
			if dns.IsTemporary(err) != tt.temporary {
				t.Errorf("For(%q) error %v: temporary %v, want %v", tt.domain, err, dns.IsTemporary(err), tt.temporary)
			}
		})
	}
}

func TestFor_route_beats_relayer_and_mx(t *testing.T) {
	f := newFixture(t)
	f.set(t, map[string]string{"SMTPRelayer": "smtp.isp.test"})
	route := f.route(t, store.Route{Domain: "*.routed.test", TargetHost: "backend.routed.test", TargetPort: 2525,
		Security: store.SecuritySTARTTLSRequired, Tries: 7, MinutesBetween: 15,
		RequiresAuth: true, Username: "relay-user", Password: "secret", AllAddresses: true})

	got, err := f.router.For(context.Background(), "sub.routed.test")
	if err != nil {
		t.Fatal(err)
	}
	want := Target{Kind: KindRoute, Hosts: hosts(t, "backend.routed.test", "10.0.0.50:2525", "0"), RouteID: route.ID,
		Security: store.SecuritySTARTTLSRequired, Username: "relay-user", Password: "secret", Tries: 7, MinutesBetween: 15}
	if !equalTargets(got, want) {
		t.Errorf("For(sub.routed.test)\n got %+v\nwant %+v", got, want)
	}
}

func TestFor_route_details(t *testing.T) {
	f := newFixture(t)
	exact := f.route(t, store.Route{Domain: "exact.routed.test", TargetHost: "192.0.2.60", TargetPort: 25, AllAddresses: true,
		Username: "unused", Password: "unused"})
	f.route(t, store.Route{Domain: "*.routed.test", TargetHost: "backend.routed.test", TargetPort: 25, AllAddresses: true})
	f.route(t, store.Route{Domain: "lost.test", TargetHost: "nowhere.test", TargetPort: 25, AllAddresses: true})
	f.route(t, store.Route{Domain: "xn--bcher-kva.test", TargetHost: "192.0.2.61", TargetPort: 25, AllAddresses: true})
	ctx := context.Background()

	t.Run("exact_name_beats_wildcard_and_ip_target_needs_no_dns", func(t *testing.T) {
		got, err := f.router.For(ctx, "EXACT.routed.test")
		if err != nil {
			t.Fatal(err)
		}
		want := Target{Kind: KindRoute, RouteID: exact.ID, Hosts: hosts(t, "192.0.2.60", "192.0.2.60:25", "0")}
		if !equalTargets(got, want) {
			t.Errorf("got %+v, want %+v (no credentials without authentication)", got, want)
		}
	})
	t.Run("internationalized_domain_matches_route_in_ascii", func(t *testing.T) {
		got, err := f.router.For(ctx, "bücher.test")
		if err != nil || got.Kind != KindRoute || got.Hosts[0].Addr != netip.MustParseAddrPort("192.0.2.61:25") {
			t.Errorf("got %+v, %v; want the route to 192.0.2.61", got, err)
		}
	})
	t.Run("unresolvable_route_host_is_temporary", func(t *testing.T) {
		_, err := f.router.For(ctx, "lost.test")
		if !dns.IsTemporary(err) || !errors.Is(err, dns.ErrNoSuchDomain) {
			t.Errorf("err = %v, want a temporary error wrapping ErrNoSuchDomain", err)
		}
	})
}

func TestFor_relayer(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		want     Target
	}{
		{"relayer_beats_mx_with_auth_and_security",
			map[string]string{"SMTPRelayer": "smtp.isp.test", "SMTPRelayerPort": "587", "SMTPRelayerSecurity": "1",
				"SMTPRelayerRequiresAuth": "1", "SMTPRelayerUsername": "me@isp.test", "SMTPRelayerPassword": "pw"},
			Target{Kind: KindRelayer, Security: store.SecurityTLS, Username: "me@isp.test", Password: "pw",
				Hosts: hosts(t, "smtp.isp.test", "192.0.2.80:587", "0", "smtp.isp.test", "[2001:db8::80]:587", "0")}},
		{"port_in_relayer_beats_port_setting_and_no_auth_sends_no_credentials",
			map[string]string{"SMTPRelayer": "smtp.isp.test:2525", "SMTPRelayerPort": "587", "SMTPRelayerUsername": "me", "SMTPRelayerPassword": "pw"},
			Target{Kind: KindRelayer,
				Hosts: hosts(t, "smtp.isp.test", "192.0.2.80:2525", "0", "smtp.isp.test", "[2001:db8::80]:2525", "0")}},
		{"ipv6_relayer_with_port",
			map[string]string{"SMTPRelayer": "[2001:db8::81]:26"},
			Target{Kind: KindRelayer, Hosts: hosts(t, "2001:db8::81", "[2001:db8::81]:26", "0")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.set(t, tt.settings)
			for _, domain := range []string{"multi.test", "[192.0.2.77]"} {
				got, err := f.router.For(context.Background(), domain)
				if err != nil {
					t.Fatalf("For(%q): %v", domain, err)
				}
				if !equalTargets(got, tt.want) {
					t.Errorf("For(%q)\n got %+v\nwant %+v", domain, got, tt.want)
				}
			}
		})
	}
}

func TestFor_unresolvable_relayer_is_temporary(t *testing.T) {
	f := newFixture(t)
	f.set(t, map[string]string{"SMTPRelayer": "nowhere.test"})
	_, err := f.router.For(context.Background(), "multi.test")
	if !dns.IsTemporary(err) {
		t.Errorf("err = %v, want temporary", err)
	}
}

func TestFor_loop_protection(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		route    *store.Route
		ports    []store.Port
		domain   string
	}{
		{"mx_resolving_to_own_address", nil, nil, nil, "self.test"},
		{"mx_resolving_to_loopback", nil, nil, nil, "loopback.test"},
		{"relayer_localhost_on_own_port", map[string]string{"SMTPRelayer": "localhost", "SMTPRelayerPort": "587"}, nil, nil, "multi.test"},
		{"route_to_own_address", nil, &store.Route{Domain: "routed.test", TargetHost: serverAddr, TargetPort: 25, AllAddresses: true}, nil, "routed.test"},
		{"mx_resolving_to_bind_address", map[string]string{"BindToLocalIP": "203.0.113.9"}, nil, nil, "bound.test"},
		{"route_to_listener_on_one_address",
			nil, &store.Route{Domain: "routed.test", TargetHost: "10.0.0.50", TargetPort: 2525, AllAddresses: true},
			[]store.Port{{Protocol: store.ProtocolSMTP, Address: netip.MustParseAddr("10.0.0.50"), Port: 2525}}, "routed.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.set(t, tt.settings)
			if tt.route != nil {
				f.route(t, *tt.route)
			}
			for _, p := range tt.ports {
				if _, err := f.store.CreatePort(context.Background(), p); err != nil {
					t.Fatal(err)
				}
			}
			got, err := f.router.For(context.Background(), tt.domain)
			if !errors.Is(err, ErrLocalLoop) {
				t.Fatalf("For(%q) = %+v, %v; want ErrLocalLoop", tt.domain, got, err)
			}
			if err.Error() != "The mail server software tried to deliver e-mail to the local machine" {
				t.Errorf("error text %q is not the manual's", err.Error())
			}
			var loop *LocalLoopError
			if !errors.As(err, &loop) || loop.Domain == "" || len(loop.Refused) == 0 || dns.IsTemporary(err) {
				t.Errorf("error %#v: want a permanent *LocalLoopError naming the domain and the refused addresses", err)
			}
		})
	}
}

func TestFor_loop_protection_drops_only_own_addresses(t *testing.T) {
	f := newFixture(t)
	got, err := f.router.For(context.Background(), "mixed.test")
	if err != nil {
		t.Fatal(err)
	}
	if want := hosts(t, "mx1.multi.test", "192.0.2.1:25", "20"); !slices.Equal(got.Hosts, want) {
		t.Errorf("hosts %v, want only %v", got.Hosts, want)
	}
}

func TestFor_loop_protection_needs_an_own_port(t *testing.T) {
	f := newFixture(t, WithListeners(func() []netip.AddrPort {
		return []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:40001")}
	}))
	tests := []struct {
		name   string
		target string
		loop   bool
	}{
		// A peer on loopback at a port the server does not listen on, as
		// tests run them, is someone else.
		{"loopback_other_port_is_a_peer", "127.0.0.1:40002", false},
		{"own_address_other_port_is_a_peer", serverAddr + ":2526", false},
		{"remote_address_on_port_25_is_a_peer", "192.0.2.5:25", false},
		{"bound_listener_port_is_self", "127.0.0.1:40001", true},
		{"configured_listener_on_all_addresses_is_self_on_loopback", "127.0.0.2:587", true},
		{"unspecified_address_reaches_loopback_listener", "0.0.0.0:40001", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := netip.MustParseAddrPort(tt.target)
			domain := "r" + string(rune('a'+i)) + ".test"
			f.route(t, store.Route{Domain: domain, TargetHost: target.Addr().String(), TargetPort: int(target.Port()), AllAddresses: true})
			_, err := f.router.For(context.Background(), domain)
			if errors.Is(err, ErrLocalLoop) != tt.loop || (err != nil && !errors.Is(err, ErrLocalLoop)) {
				t.Errorf("route to %s: err = %v, want loop %v", target, err, tt.loop)
			}
		})
	}
}

func TestWithMXPort(t *testing.T) {
	f := newFixture(t, WithMXPort(2525))
	got, err := f.router.For(context.Background(), "plain.test")
	if err != nil {
		t.Fatal(err)
	}
	if want := hosts(t, "plain.test", "192.0.2.10:2525", "0", "plain.test", "[2001:db8::10]:2525", "0"); !slices.Equal(got.Hosts, want) {
		t.Errorf("hosts %v, want %v", got.Hosts, want)
	}
}

func TestInterfaceAddrs_include_loopback(t *testing.T) {
	addrs := InterfaceAddrs()
	if !slices.ContainsFunc(addrs, netip.Addr.IsLoopback) {
		t.Skipf("no loopback interface address among %v", addrs)
	}
}

func equalTargets(a, b Target) bool {
	return a.Kind == b.Kind && slices.Equal(a.Hosts, b.Hosts) && a.RouteID == b.RouteID && a.Security == b.Security &&
		a.Username == b.Username && a.Password == b.Password && a.Tries == b.Tries && a.MinutesBetween == b.MinutesBetween
}
