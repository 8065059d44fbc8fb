package policy

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

// cell names one square of the relay matrix.
type cell struct {
	name                        string
	senderLocal, recipientLocal bool
}

var cells = []cell{
	{"local_to_local", true, true},
	{"local_to_external", true, false},
	{"external_to_local", false, true},
	{"external_to_external", false, false},
}

// TestCheckRelayDefaultRanges runs the whole matrix against the ranges a
// first start creates, read back from the store: "My computer" needs
// authentication only to relay external to external; "Internet" needs it
// for everything but external to local, so a new server is no open relay.
func TestCheckRelayDefaultRanges(t *testing.T) {
	ctx := context.Background()
	ranges := newRanges(openStore(t), newFakeClock())

	myComputer := map[string]error{
		"local_to_local": nil, "local_to_external": nil, "external_to_local": nil,
		"external_to_external": smtpreply.AuthRequired,
	}
	internet := map[string]error{
		"local_to_local": smtpreply.AuthRequired, "local_to_external": smtpreply.AuthRequired,
		"external_to_local": nil, "external_to_external": smtpreply.AuthRequired,
	}
	for _, client := range []struct {
		ip, rangeName   string
		unauthenticated map[string]error
	}{
		{"127.0.0.1", "My computer", myComputer},
		{"::1", "My computer (IPv6)", myComputer},
		{"192.0.2.1", "Internet", internet},
		{"2001:db8::1", "Internet (IPv6)", internet},
	} {
		r, ok, err := ranges.Match(ctx, netip.MustParseAddr(client.ip))
		if err != nil || !ok || r.Name != client.rangeName {
			t.Fatalf("Match(%s) = %q, %v, %v; want %q", client.ip, r.Name, ok, err, client.rangeName)
		}
		for _, c := range cells {
			for _, authenticated := range []bool{false, true} {
				want := client.unauthenticated[c.name]
				name := client.rangeName + "/" + c.name + "/unauthenticated"
				if authenticated {
					// Every default range allows every delivery: authenticating
					// always suffices.
					want = nil
					name = client.rangeName + "/" + c.name + "/authenticated"
				}
				t.Run(name, func(t *testing.T) {
					got := CheckRelay(r, c.senderLocal, c.recipientLocal, authenticated)
					if got != want {
						t.Errorf("CheckRelay = %v, want %v", got, want)
					}
				})
			}
		}
	}
}

func TestCheckRelayDisallowedCell(t *testing.T) {
	onlyInbound := store.IPRange{Name: "Inbound only", Allow: store.Deliveries{ExternalToLocal: true},
		Require: store.Deliveries{LocalToLocal: true, LocalToExternal: true, ExternalToExternal: true}}
	for _, c := range cells {
		for _, authenticated := range []bool{false, true} {
			want := error(smtpreply.DeliveryNotAllowed)
			if c.name == "external_to_local" {
				want = nil
			}
			name := c.name + "_unauthenticated"
			if authenticated {
				name = c.name + "_authenticated"
			}
			t.Run(name, func(t *testing.T) {
				if got := CheckRelay(onlyInbound, c.senderLocal, c.recipientLocal, authenticated); got != want {
					t.Errorf("CheckRelay = %v, want %v", got, want)
				}
			})
		}
	}
	t.Run("replies_are_the_catalogue_texts", func(t *testing.T) {
		err := CheckRelay(onlyInbound, false, false, true)
		if r, ok := smtpreply.As(err); !ok || r.String() != "550 5.7.1 Delivery is not allowed to this address." {
			t.Errorf("not allowed: %v", err)
		}
		err = CheckRelay(store.DefaultIPRanges()[2], true, false, false)
		if !errors.Is(err, smtpreply.AuthRequired) || err.Error() != "530 5.7.0 SMTP authentication is required." {
			t.Errorf("auth required: %v", err)
		}
	})
}

func TestAllows(t *testing.T) {
	defaults := store.DefaultIPRanges()
	smtpOnly := store.IPRange{AllowSMTP: true}
	for _, tc := range []struct {
		name     string
		r        store.IPRange
		protocol string
		want     bool
	}{
		{"my_computer_allows_smtp", defaults[0], store.ProtocolSMTP, true},
		{"my_computer_allows_pop3", defaults[0], store.ProtocolPOP3, true},
		{"my_computer_allows_imap", defaults[0], store.ProtocolIMAP, true},
		{"internet_allows_smtp", defaults[2], store.ProtocolSMTP, true},
		{"internet_allows_pop3", defaults[2], store.ProtocolPOP3, true},
		{"internet_allows_imap", defaults[2], store.ProtocolIMAP, true},
		{"smtp_only_range_allows_smtp", smtpOnly, store.ProtocolSMTP, true},
		{"smtp_only_range_refuses_pop3", smtpOnly, store.ProtocolPOP3, false},
		{"smtp_only_range_refuses_imap", smtpOnly, store.ProtocolIMAP, false},
		{"no_matching_range_refuses_smtp", store.IPRange{}, store.ProtocolSMTP, false},
		{"unknown_protocol_is_refused", defaults[0], "ftp", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Allows(tc.r, tc.protocol); got != tc.want {
				t.Errorf("Allows(%q, %q) = %v, want %v", tc.r.Name, tc.protocol, got, tc.want)
			}
		})
	}
}
