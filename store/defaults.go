package store

import (
	"context"
	"database/sql"
	"net/netip"
)

// createDefaults fills a new database with what a fresh hMailServer install
// has: the IP ranges "My computer" and "Internet", the TCP/IP ports and the
// server messages. It runs once, in the transaction of the first migration,
// so deleting a default later does not bring it back.
func (s *Store) createDefaults(ctx context.Context, tx *sql.Tx) error {
	for _, r := range DefaultIPRanges() {
		if err := s.createIPRange(ctx, tx, &r); err != nil {
			return err
		}
	}
	all := netip.IPv4Unspecified()
	for _, p := range []Port{
		{Protocol: ProtocolSMTP, Address: all, Port: 25},
		{Protocol: ProtocolSMTP, Address: all, Port: 587},
		{Protocol: ProtocolPOP3, Address: all, Port: 110},
		{Protocol: ProtocolIMAP, Address: all, Port: 143},
	} {
		if err := s.createPort(ctx, tx, &p); err != nil {
			return err
		}
	}
	for _, m := range defaultServerMessages {
		if _, err := s.dialect.insert(ctx, tx, "server_messages", []string{"name", "body"}, m.Name, m.Text); err != nil {
			return err
		}
	}
	return nil
}

// DefaultIPRanges are hMailServer's default ranges. "My computer" may do
// everything and needs authentication only to relay external-to-external;
// "Internet" needs it for every delivery except external-to-local, so a new
// server is no open relay. IPv6 gets the same two ranges.
func DefaultIPRanges() []IPRange {
	everything := Deliveries{true, true, true, true}
	myComputer := IPRange{Priority: 30, AllowSMTP: true, AllowPOP3: true, AllowIMAP: true, Allow: everything,
		Require: Deliveries{ExternalToExternal: true}, AntiSpam: true, AntiVirus: true}
	internet := IPRange{Priority: 10, AllowSMTP: true, AllowPOP3: true, AllowIMAP: true, Allow: everything,
		Require: Deliveries{LocalToLocal: true, LocalToExternal: true, ExternalToExternal: true}, AntiSpam: true, AntiVirus: true}

	v4loop, v6loop := netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()
	myComputer4, myComputer6 := myComputer, myComputer
	myComputer4.Name, myComputer4.Lower, myComputer4.Upper = "My computer", v4loop, v4loop
	myComputer6.Name, myComputer6.Lower, myComputer6.Upper = "My computer (IPv6)", v6loop, v6loop
	internet4, internet6 := internet, internet
	internet4.Name, internet4.Lower, internet4.Upper = "Internet", netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255")
	internet6.Name, internet6.Lower, internet6.Upper = "Internet (IPv6)", netip.IPv6Unspecified(), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	return []IPRange{myComputer4, myComputer6, internet4, internet6}
}
