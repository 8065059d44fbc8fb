package recipients

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

func TestResolve(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *store.Store) {
		w := buildWorld(t, s)
		r := New(s)
		stranger := Sender{Address: "stranger@external.org"}
		external := func(address string) Target { return Target{Address: address} }
		routed := func(address, route string) Target { return Target{Address: address, Route: w.routes[route]} }

		type testCase struct {
			name    string
			rcpt    string
			from    Sender
			want    []Target
			wantErr *smtpreply.Reply
		}
		cases := []testCase{
			// Accounts.
			{name: "account_receives", rcpt: "alice@example.com", want: []Target{w.local("alice@example.com")}},
			{name: "account_address_ignores_case", rcpt: "ALICE@Example.COM", want: []Target{w.local("alice@example.com")}},
			{name: "domain_alias_name_reaches_the_primary_domains_account", rcpt: "Alice@EXAMPLE.NET", want: []Target{w.local("alice@example.com")}},
			{name: "disabled_account_gives_550_account_not_active", rcpt: "dave@example.com", wantErr: smtpreply.AccountNotActive},
			{name: "unknown_user_without_catch_all_gives_550_unknown_user", rcpt: "ghost@example.com", wantErr: smtpreply.UnknownUser},
			{name: "disabled_domain_gives_550_domain_disabled", rcpt: "x@disabled.test", wantErr: smtpreply.DomainDisabled},
			{name: "unknown_user_on_disabled_domain_gives_550_domain_disabled", rcpt: "nobody@disabled.test", wantErr: smtpreply.DomainDisabled},

			// Syntax.
			{name: "address_without_at_gives_550_valid_address_required", rcpt: "alice", wantErr: smtpreply.ValidAddressRequired},
			{name: "empty_address_gives_550_valid_address_required", rcpt: "", wantErr: smtpreply.ValidAddressRequired},
			{name: "empty_local_part_gives_550_valid_address_required", rcpt: "@example.com", wantErr: smtpreply.ValidAddressRequired},
			{name: "domain_without_dot_gives_550_valid_address_required", rcpt: "alice@localhost", wantErr: smtpreply.ValidAddressRequired},
			{name: "double_dot_gives_550_valid_address_required", rcpt: "al..ice@example.com", wantErr: smtpreply.ValidAddressRequired},
			{name: "angle_brackets_give_550_valid_address_required", rcpt: "<alice@example.com>", wantErr: smtpreply.ValidAddressRequired},
			{name: "invalid_utf8_gives_550_valid_address_required", rcpt: "al\xffice@example.com", wantErr: smtpreply.ValidAddressRequired},

			// Plus addressing.
			{name: "plus_tag_is_stripped_when_the_domain_uses_plus_addressing", rcpt: "user+newsletter@example.com", want: []Target{w.local("user@example.com")}},
			{name: "account_named_with_the_separator_wins_over_stripping", rcpt: "user+tag@example.com", want: []Target{w.local("user+tag@example.com")}},
			{name: "plus_tag_is_cut_at_the_first_separator", rcpt: "user+a+b@example.com", want: []Target{w.local("user@example.com")}},
			{name: "plus_tag_on_an_alias_follows_the_alias", rcpt: "info+x@example.com", want: []Target{w.local("alice@example.com")}},
			{name: "plus_tag_on_a_domain_alias_name", rcpt: "user+x@example.net", want: []Target{w.local("user@example.com")}},
			{name: "plus_tag_of_unknown_user_gives_550_unknown_user", rcpt: "ghost+x@example.com", wantErr: smtpreply.UnknownUser},
			{name: "leading_separator_is_not_a_tag", rcpt: "+user@example.com", wantErr: smtpreply.UnknownUser},
			{name: "plus_addressing_off_keeps_the_tag", rcpt: "user+x@plus-off.test", wantErr: smtpreply.UnknownUser},
			{name: "other_separator_than_the_domains_is_not_a_tag", rcpt: "user+x@plus-dash.test", wantErr: smtpreply.UnknownUser},

			// Aliases.
			{name: "alias_delivers_to_its_account", rcpt: "info@example.com", want: []Target{w.local("alice@example.com")}},
			{name: "alias_chain_delivers_to_the_end_account", rcpt: "sales@example.com", want: []Target{w.local("alice@example.com")}},
			{name: "alias_to_external_address_gives_an_external_target", rcpt: "partners@example.com", want: []Target{external("friend@external.org")}},
			{name: "alias_target_on_domain_alias_name", rcpt: "via-net@example.com", want: []Target{w.local("carol@example.com")}},
			{name: "alias_to_list_expands_the_list", rcpt: "crew@example.com", want: teamTargets(w)},
			{name: "disabled_alias_gives_550_alias_not_active", rcpt: "old@example.com", wantErr: smtpreply.AliasNotActive},
			{name: "alias_to_disabled_account_gives_550_account_not_active", rcpt: "to-dave@example.com", wantErr: smtpreply.AccountNotActive},
			{name: "alias_to_unknown_address_gives_550_unknown_user", rcpt: "to-ghost@example.com", wantErr: smtpreply.UnknownUser},
			{name: "alias_to_address_not_in_route_gives_550_not_in_route_list", rcpt: "to-unrouted@example.com", wantErr: smtpreply.RecipientNotInRoute},
			{name: "alias_loop_gives_550_too_many_recursive_forwards", rcpt: "loop-a@example.com", wantErr: smtpreply.TooManyForwards},
			{name: "ten_hop_alias_chain_is_delivered", rcpt: hop(2), want: []Target{w.local("alice@example.com")}},
			{name: "eleven_hop_alias_chain_gives_550_too_many_recursive_forwards", rcpt: hop(1), wantErr: smtpreply.TooManyForwards},

			// Distribution lists.
			{name: "public_list_expands_nested_lists_skipping_failures_loops_and_duplicates", rcpt: "team@example.com", from: stranger, want: teamTargets(w)},
			{name: "public_list_takes_bounces", rcpt: "team@example.com", from: Sender{}, want: teamTargets(w)},
			{name: "nested_list_reached_first_still_expands_its_parent", rcpt: "staff@example.com", from: stranger, want: []Target{
				w.local("bob@example.com"), w.local("carol@example.com"), w.local("alice@example.com"), external("partner@external.org"),
			}},
			{name: "membership_list_takes_a_member", rcpt: "members-only@example.com", from: Sender{Address: "alice@example.com"}, want: membersOnlyTargets(w)},
			{name: "membership_list_takes_a_member_written_with_the_other_domain_name", rcpt: "members-only@example.com", from: Sender{Address: "BOB@example.com"}, want: membersOnlyTargets(w)},
			{name: "membership_list_takes_an_external_member", rcpt: "members-only@example.com", from: Sender{Address: "Outsider@External.org"}, want: membersOnlyTargets(w)},
			{name: "membership_list_takes_a_member_by_its_authenticated_account", rcpt: "members-only@example.com",
				from: Sender{Address: "alias-of-alice@elsewhere.org", Authenticated: true, AuthAddress: "alice@example.com"}, want: membersOnlyTargets(w)},
			{name: "membership_list_refuses_a_stranger_with_550_not_authorized", rcpt: "members-only@example.com", from: stranger, wantErr: smtpreply.NotAuthorized},
			{name: "membership_list_refuses_a_bounce_with_550_not_authorized", rcpt: "members-only@example.com", from: Sender{}, wantErr: smtpreply.NotAuthorized},
			{name: "membership_list_ignores_an_unauthenticated_auth_address", rcpt: "members-only@example.com",
				from: Sender{Address: "stranger@external.org", AuthAddress: "alice@example.com"}, wantErr: smtpreply.NotAuthorized},
			{name: "announcement_list_takes_the_announcer", rcpt: "news@example.com", from: Sender{Address: "boss@example.com"}, want: newsTargets(w)},
			{name: "announcement_list_takes_the_announcer_authenticated", rcpt: "news@example.com",
				from: Sender{Address: "noreply@example.org", Authenticated: true, AuthAddress: "BOSS@example.com"}, want: newsTargets(w)},
			{name: "announcement_list_refuses_a_member_with_550_not_authorized", rcpt: "news@example.com", from: Sender{Address: "alice@example.com"}, wantErr: smtpreply.NotAuthorized},
			{name: "announcement_list_refuses_a_bounce_with_550_not_authorized", rcpt: "news@example.com", from: Sender{}, wantErr: smtpreply.NotAuthorized},
			{name: "auth_list_refuses_an_unauthenticated_sender_with_550_not_authorized", rcpt: "auth-only@example.com", from: Sender{Address: "carol@example.com"}, wantErr: smtpreply.NotAuthorized},
			{name: "auth_list_takes_an_authenticated_sender", rcpt: "auth-only@example.com",
				from: Sender{Address: "bob@example.com", Authenticated: true, AuthAddress: "bob@example.com"}, want: []Target{w.local("carol@example.com")}},
			{name: "disabled_list_gives_550_list_not_active", rcpt: "closed@example.com", from: stranger, wantErr: smtpreply.ListNotActive},
			{name: "list_without_a_deliverable_member_gives_550_unknown_user", rcpt: "hollow@example.com", from: stranger, wantErr: smtpreply.UnknownUser},

			// Catch-all.
			{name: "catch_all_takes_unknown_users", rcpt: "anyone@catchall.test", want: []Target{w.local("alice@example.com")}},
			{name: "catch_all_leaves_existing_accounts_alone", rcpt: "real@catchall.test", want: []Target{w.local("real@catchall.test")}},
			{name: "catch_all_to_missing_address_gives_550_unknown_user", rcpt: "anyone@lost.test", wantErr: smtpreply.UnknownUser},
			{name: "catch_alls_naming_each_other_give_550_unknown_user", rcpt: "anyone@ping.test", wantErr: smtpreply.UnknownUser},
			{name: "catch_all_counts_as_a_hop", rcpt: "anyone@deep.test", wantErr: smtpreply.TooManyForwards},

			// External addresses and routes.
			{name: "external_address_is_sent_out", rcpt: "Friend@External.org", want: []Target{external("Friend@External.org")}},
			{name: "routed_address_in_the_route_list_carries_the_route", rcpt: "ok@routed.test", want: []Target{routed("ok@routed.test", "routed.test")}},
			{name: "route_list_ignores_case", rcpt: "OK@Routed.TEST", want: []Target{routed("OK@Routed.TEST", "routed.test")}},
			{name: "routed_address_not_in_the_route_list_gives_550_not_in_route_list", rcpt: "no@routed.test", wantErr: smtpreply.RecipientNotInRoute},
			{name: "wildcard_route_for_all_addresses_carries_the_route", rcpt: "x@mail.wild.test", want: []Target{routed("x@mail.wild.test", "*.wild.test")}},
			{name: "question_mark_route_matches_one_character", rcpt: "x@mx7.q.test", want: []Target{routed("x@mx7.q.test", "mx?.q.test")}},
			{name: "question_mark_route_does_not_match_two_characters", rcpt: "x@mx77.q.test", want: []Target{external("x@mx77.q.test")}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := r.Resolve(context.Background(), tc.rcpt, tc.from)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) || got != nil {
						t.Fatalf("Resolve(%q) = %v, %v; want the reply %q", tc.rcpt, got, err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("Resolve(%q): %v", tc.rcpt, err)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("Resolve(%q) =\n  %v\nwant\n  %v", tc.rcpt, got, tc.want)
				}
			})
		}
	})
}

// teamTargets is what team@example.com expands to: its members in address
// order, staff@example.com's after them; dave (disabled) and ghost (unknown)
// are left out, info (alice again), BOB@example.net (bob again) and team
// itself (through staff) add nothing.
func teamTargets(w *world) []Target {
	return []Target{
		w.local("alice@example.com"), w.local("bob@example.com"), {Address: "partner@external.org"}, w.local("carol@example.com"),
	}
}

func membersOnlyTargets(w *world) []Target {
	return []Target{w.local("alice@example.com"), w.local("bob@example.com"), {Address: "outsider@external.org"}}
}

func newsTargets(w *world) []Target {
	return []Target{w.local("alice@example.com"), w.local("bob@example.com")}
}

func TestResolvePlusAddressingSeparators(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *store.Store) {
		w := buildWorld(t, s)
		r := New(s)
		for _, p := range plusDomains {
			t.Run("separator_"+map[string]string{"+": "plus", "-": "dash", "_": "underscore", "%": "percent"}[p.char]+"_strips_the_tag", func(t *testing.T) {
				got, err := r.Resolve(context.Background(), "user"+p.char+"tag@"+p.domain, Sender{})
				want := []Target{w.local("user@" + p.domain)}
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("got %v, %v; want %v", got, err, want)
				}
			})
		}
	})
}

func TestResolveDatabaseFailureIsNotAReply(t *testing.T) {
	s := openSQLite(t)
	r := New(s)
	s.Close()
	_, err := r.Resolve(context.Background(), "alice@example.com", Sender{})
	if err == nil {
		t.Fatal("got no error from a closed store")
	}
	if reply, ok := smtpreply.As(err); ok {
		t.Fatalf("a database failure came back as the reply %q", reply)
	}
}
