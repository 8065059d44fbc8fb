package recipients

import (
	"context"
	"testing"

	"github.com/mailwright/mailwright/store"
)

func TestLocality(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *store.Store) {
		buildWorld(t, s)
		r := New(s)
		ctx := context.Background()

		for _, tc := range []struct {
			name                   string
			address                string
			senderLocal, rcptLocal bool
		}{
			{"primary_domain_is_local_both_ways", "alice@example.com", true, true},
			{"unknown_user_on_local_domain_is_still_local", "ghost@example.com", true, true},
			{"domain_alias_name_is_local", "x@EXAMPLE.NET", true, true},
			{"disabled_domain_is_still_local", "x@disabled.test", true, true},
			{"external_domain_is_external_both_ways", "x@external.org", false, false},
			{"empty_sender_is_external", "", false, false},
			{"address_without_at_is_external", "example.com", false, false},
			{"address_with_an_invalid_domain_is_external", "x@example.com\xff", false, false},
			{"route_treating_recipients_as_local_makes_only_recipients_local", "x@routed.test", false, true},
			{"route_domain_ignores_case", "x@ROUTED.Test", false, true},
			{"wildcard_route_treating_senders_as_local_makes_only_senders_local", "x@a.b.wild.test", true, false},
			{"wildcard_star_needs_its_dot", "x@wild.test", false, false},
			{"question_mark_route_matches_one_character", "x@mx1.q.test", true, true},
			{"question_mark_route_does_not_match_two_characters", "x@mx12.q.test", false, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				sender, err := r.SenderIsLocal(ctx, tc.address)
				if err != nil || sender != tc.senderLocal {
					t.Errorf("SenderIsLocal(%q) = %v, %v; want %v", tc.address, sender, err, tc.senderLocal)
				}
				rcpt, err := r.RecipientIsLocal(ctx, tc.address)
				if err != nil || rcpt != tc.rcptLocal {
					t.Errorf("RecipientIsLocal(%q) = %v, %v; want %v", tc.address, rcpt, err, tc.rcptLocal)
				}
			})
		}

		for _, tc := range []struct {
			name, domain string
			want         bool
		}{
			{"primary_name_is_a_local_domain", "example.com", true},
			{"alias_name_is_a_local_domain_ignoring_case", "Example.NET", true},
			{"disabled_domain_is_a_local_domain", "disabled.test", true},
			{"routed_domain_is_not_a_local_domain", "routed.test", false},
			{"unknown_domain_is_not_a_local_domain", "external.org", false},
			{"name_without_dot_is_not_a_local_domain", "localhost", false},
			{"empty_name_is_not_a_local_domain", "", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := r.IsLocalDomain(ctx, tc.domain)
				if err != nil || got != tc.want {
					t.Fatalf("IsLocalDomain(%q) = %v, %v; want %v", tc.domain, got, err, tc.want)
				}
			})
		}
	})
}
