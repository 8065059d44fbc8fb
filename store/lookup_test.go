package store

import (
	"context"
	"fmt"
	"testing"
)

func TestLocalAddresses(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		acct := mustAccount(t, s, "Alice@example.com", 0)
		alias, err := s.CreateAlias(ctx, Alias{Address: "Info@example.com", Target: "alice@example.com", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.CreateList(ctx, List{Address: "Team@example.com", Active: false, RequireSMTPAuth: true,
			Mode: ListAnnouncements, AnnouncerAddress: "boss@example.com"})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("finds_accounts_aliases_and_lists_in_one_call_ignoring_case", func(t *testing.T) {
			got, err := s.LocalAddresses(ctx, []string{"ALICE@example.com", "info@EXAMPLE.com", "team@example.com", "nobody@example.com", "alice@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]LocalAddress{
				"alice@example.com": {Kind: AddressAccount, ID: acct.ID, Address: "Alice@example.com", Active: true},
				"info@example.com":  {Kind: AddressAlias, ID: alias.ID, Address: "Info@example.com", Active: true, Target: "alice@example.com"},
				"team@example.com": {Kind: AddressList, ID: list.ID, Address: "Team@example.com", Active: false, RequireSMTPAuth: true,
					Mode: ListAnnouncements, AnnouncerAddress: "boss@example.com"},
			}
			if len(got) != len(want) {
				t.Fatalf("got %d owners %v, want %d", len(got), got, len(want))
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: got %+v, want %+v", k, got[k], w)
				}
			}
		})
		t.Run("many_addresses_span_several_queries", func(t *testing.T) {
			var many []string
			for i := range 2*lookupChunk + 50 {
				many = append(many, fmt.Sprintf("missing%d@example.com", i))
			}
			many = append(many, "info@example.com")
			got, err := s.LocalAddresses(ctx, many)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got["info@example.com"].ID != alias.ID {
				t.Fatalf("got %v, want only the alias", got)
			}
		})
		t.Run("no_addresses_give_an_empty_map", func(t *testing.T) {
			got, err := s.LocalAddresses(ctx, nil)
			if err != nil || len(got) != 0 {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	})
}

func TestDomainsByNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := mustDomain(t, s, Domain{Name: "Example.com", CatchAllAddress: "all@example.com", PlusAddressing: true, PlusAddressingChar: "-"})
		if _, err := s.AddDomainAlias(ctx, d.ID, "example.net"); err != nil {
			t.Fatal(err)
		}
		other := mustDomain(t, s, Domain{Name: "other.org"})

		got, err := s.DomainsByNames(ctx, []string{"example.com", "EXAMPLE.NET", "other.org", "external.org", "example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("got %d domains %v, want 3", len(got), got)
		}
		for _, name := range []string{"example.com", "example.net"} {
			if g := got[name]; g.ID != d.ID || g.Name != "Example.com" || g.CatchAllAddress != "all@example.com" || !g.PlusAddressing || g.PlusAddressingChar != "-" || !g.Active {
				t.Errorf("%s: got %+v, want the domain Example.com with its settings", name, g)
			}
		}
		if got["other.org"].ID != other.ID {
			t.Errorf("other.org: got %+v", got["other.org"])
		}
		if _, ok := got["external.org"]; ok {
			t.Errorf("external.org is not local but was found")
		}
	})
}

func TestRouteForDomain(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mk := func(domain string, all bool, addresses ...string) Route {
			t.Helper()
			r, err := s.CreateRoute(ctx, Route{Domain: domain, TargetHost: "smtp.example.org", TargetPort: 25, AllAddresses: all, Addresses: addresses,
				TreatRecipientAsLocal: true})
			if err != nil {
				t.Fatalf("create route %s: %v", domain, err)
			}
			return r
		}
		wild := mk("*.example.com", true)
		exact := mk("mail.example.com", false, "Ok@mail.example.com")
		single := mk("mx?.example.org", true)

		for _, tc := range []struct {
			name, domain string
			want         int64 // 0: none
		}{
			{"exact_name_wins_over_an_earlier_wildcard", "MAIL.example.com", exact.ID},
			{"star_matches_any_subdomain", "a.b.example.com", wild.ID},
			{"star_needs_at_least_the_dot", "example.com", 0},
			{"question_mark_matches_one_character", "mx1.example.org", single.ID},
			{"question_mark_does_not_match_two", "mx12.example.org", 0},
			{"unrelated_domain_has_no_route", "external.net", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r, err := s.RouteForDomain(ctx, tc.domain)
				if tc.want == 0 {
					if err != ErrNotFound {
						t.Fatalf("got %+v, %v, want ErrNotFound", r, err)
					}
					return
				}
				if err != nil || r.ID != tc.want {
					t.Fatalf("got route %d (%v), want %d", r.ID, err, tc.want)
				}
				if !r.TreatRecipientAsLocal || r.TargetHost != "smtp.example.org" {
					t.Errorf("route fields not loaded: %+v", r)
				}
			})
		}
		t.Run("address_list_is_matched_ignoring_case", func(t *testing.T) {
			for addr, want := range map[string]bool{"ok@MAIL.example.com": true, "other@mail.example.com": false} {
				got, err := s.RouteHasAddress(ctx, exact.ID, addr)
				if err != nil || got != want {
					t.Errorf("%s: got %v, %v, want %v", addr, got, err, want)
				}
			}
		})
	})
}

func TestMatchWildcard(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"example.com", "EXAMPLE.COM", true},
		{"example.com", "example.org", false},
		{"*", "", true},
		{"*", "anything.at.all", true},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "example.com", false},
		{"*example.com", "example.com", true},
		{"mail.*.com", "mail.x.y.com", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"?.com", "a.com", true},
		{"?.com", ".com", false},
		{"??.com", "a.com", false},
		{"ä?.de", "ÄÖ.de", true},
		{"*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"", "", true},
		{"", "a", false},
	} {
		if got := MatchWildcard(tc.pattern, tc.s); got != tc.want {
			t.Errorf("MatchWildcard(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
