package rpc

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Bad requests to the domain, account, alias, distribution list and group
// services: unknown ids, invalid or duplicate names and addresses,
// oversized strings. Each gets a clear error and changes nothing.

// TestBadRequestsGetClearErrorsAndChangeNothing sends requests with unknown
// ids, invalid or duplicate names and addresses and oversized strings: each
// must fail with its code, an INVALID_ARGUMENT must name the field at fault,
// and the store must be as it was.
func TestBadRequestsGetClearErrorsAndChangeNothing(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	f := seedObjects(t, api)
	if _, err := api.Store.CreateDomain(ctx, store.Domain{Name: "limited.example", Active: true, MaxAccounts: 1}); err != nil {
		t.Fatal(err)
	}
	api.CreateAccount(t, "only@limited.example", "only-password-1", store.AdminUser)

	long := strings.Repeat("x", 256)
	longDomain := strings.Repeat("a", 250) + ".example"
	const unknown = 987654
	user := func(a *adminv1.Account) *adminv1.CreateAccountRequest {
		return &adminv1.CreateAccountRequest{Account: a, Password: "a-good-password-1"}
	}
	aliceUpdate := func(change func(a *adminv1.Account)) *adminv1.Account {
		a := accountToProto(f.alice)
		change(a)
		return a
	}

	tests := []struct {
		name  string
		call  func(context.Context) error
		code  connect.Code
		field string // for CodeInvalidArgument
	}{
		// Domains.
		{"domain_without_a_dot_names_the_name", func(ctx context.Context) error {
			_, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: "localhost"}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"duplicate_domain_names_the_name", func(ctx context.Context) error {
			_, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: "EXAMPLE.COM"}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"domain_named_like_a_domain_alias_names_the_name", func(ctx context.Context) error {
			_, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: "example.net"}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"oversized_domain_name_names_the_name", func(ctx context.Context) error {
			_, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: longDomain}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"bad_plus_character_names_it", func(ctx context.Context) error {
			_, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: "new.example", PlusAddressingChar: "#"}))
			return err
		}, connect.CodeInvalidArgument, "plus_addressing_char"},
		{"negative_limit_names_it", func(ctx context.Context) error {
			_, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: "new.example", MaxAccounts: -1}))
			return err
		}, connect.CodeInvalidArgument, "max_accounts"},
		{"renaming_a_domain_names_the_name", func(ctx context.Context) error {
			_, err := c.Domains.UpdateDomain(ctx, connect.NewRequest(&adminv1.Domain{Id: f.example.ID, Name: "renamed.example", Active: true}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"get_unknown_domain_is_not_found", func(ctx context.Context) error {
			_, err := c.Domains.GetDomain(ctx, connect.NewRequest(&adminv1.GetDomainRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"get_unknown_domain_name_is_not_found", func(ctx context.Context) error {
			_, err := c.Domains.GetDomain(ctx, connect.NewRequest(&adminv1.GetDomainRequest{Name: "nowhere.example"}))
			return err
		}, connect.CodeNotFound, ""},
		{"update_unknown_domain_is_not_found", func(ctx context.Context) error {
			_, err := c.Domains.UpdateDomain(ctx, connect.NewRequest(&adminv1.Domain{Id: unknown, Name: "nowhere.example"}))
			return err
		}, connect.CodeNotFound, ""},
		{"delete_unknown_domain_is_not_found", func(ctx context.Context) error {
			_, err := c.Domains.DeleteDomain(ctx, connect.NewRequest(&adminv1.DeleteDomainRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"domain_alias_equal_to_a_domain_names_the_name", func(ctx context.Context) error {
			_, err := c.Domains.AddDomainAlias(ctx, connect.NewRequest(&adminv1.DomainAlias{DomainId: f.example.ID, Name: "other.example"}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"domain_alias_of_unknown_domain_is_not_found", func(ctx context.Context) error {
			_, err := c.Domains.AddDomainAlias(ctx, connect.NewRequest(&adminv1.DomainAlias{DomainId: unknown, Name: "fresh.example"}))
			return err
		}, connect.CodeNotFound, ""},
		{"remove_unknown_domain_alias_is_not_found", func(ctx context.Context) error {
			_, err := c.Domains.RemoveDomainAlias(ctx, connect.NewRequest(&adminv1.RemoveDomainAliasRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"domain_aliases_of_unknown_domain_are_not_found", func(ctx context.Context) error {
			_, err := c.Domains.ListDomainAliases(ctx, connect.NewRequest(&adminv1.ListDomainAliasesRequest{DomainId: unknown}))
			return err
		}, connect.CodeNotFound, ""},

		// Accounts.
		{"account_without_an_at_names_the_address", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(user(&adminv1.Account{Address: "alice.example.com"})))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"account_in_an_unknown_domain_names_the_address", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(user(&adminv1.Account{Address: "x@nowhere.example"})))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"duplicate_account_names_the_address", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(user(&adminv1.Account{Address: "Alice@Example.com"})))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"account_colliding_with_an_alias_names_the_address", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(user(&adminv1.Account{Address: "info@example.com"})))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"account_over_the_domain_limit_names_the_address", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(user(&adminv1.Account{Address: "second@limited.example"})))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"account_without_a_password_names_the_password", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(&adminv1.CreateAccountRequest{Account: &adminv1.Account{Address: "new@example.com"}}))
			return err
		}, connect.CodeInvalidArgument, "password"},
		{"create_without_an_account_names_the_account", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(&adminv1.CreateAccountRequest{Password: "a-good-password-1"}))
			return err
		}, connect.CodeInvalidArgument, "account"},
		{"oversized_address_names_the_address", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(user(&adminv1.Account{Address: long + "@example.com"})))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"oversized_first_name_names_it", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(user(&adminv1.Account{Address: "new@example.com", FirstName: long})))
			return err
		}, connect.CodeInvalidArgument, "first_name"},
		{"oversized_password_names_it", func(ctx context.Context) error {
			_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(&adminv1.CreateAccountRequest{Account: &adminv1.Account{Address: "new@example.com"}, Password: long}))
			return err
		}, connect.CodeInvalidArgument, "password"},
		{"oversized_auto_reply_names_it", func(ctx context.Context) error {
			_, err := c.Accounts.UpdateAccount(ctx, connect.NewRequest(aliceUpdate(func(a *adminv1.Account) {
				a.VacationMessage = strings.Repeat("y", 64<<10+1)
			})))
			return err
		}, connect.CodeInvalidArgument, "vacation_message"},
		{"oversized_signature_names_it", func(ctx context.Context) error {
			_, err := c.Accounts.UpdateAccount(ctx, connect.NewRequest(aliceUpdate(func(a *adminv1.Account) {
				a.SignatureHtml = strings.Repeat("y", 64<<10+1)
			})))
			return err
		}, connect.CodeInvalidArgument, "signature_html"},
		{"invalid_forward_address_names_it", func(ctx context.Context) error {
			_, err := c.Accounts.UpdateAccount(ctx, connect.NewRequest(aliceUpdate(func(a *adminv1.Account) {
				a.ForwardEnabled, a.ForwardAddress = true, "not an address"
			})))
			return err
		}, connect.CodeInvalidArgument, "forward_address"},
		{"unknown_admin_level_names_it", func(ctx context.Context) error {
			_, err := c.Accounts.UpdateAccount(ctx, connect.NewRequest(aliceUpdate(func(a *adminv1.Account) { a.AdminLevel = 7 })))
			return err
		}, connect.CodeInvalidArgument, "admin_level"},
		{"changing_an_account_address_names_the_address", func(ctx context.Context) error {
			_, err := c.Accounts.UpdateAccount(ctx, connect.NewRequest(aliceUpdate(func(a *adminv1.Account) { a.Address = "alicia@example.com" })))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"empty_password_names_the_password", func(ctx context.Context) error {
			_, err := c.Accounts.SetAccountPassword(ctx, connect.NewRequest(&adminv1.SetAccountPasswordRequest{Id: f.alice.ID}))
			return err
		}, connect.CodeInvalidArgument, "password"},
		{"get_unknown_account_is_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.GetAccount(ctx, connect.NewRequest(&adminv1.GetAccountRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"get_unknown_address_is_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.GetAccount(ctx, connect.NewRequest(&adminv1.GetAccountRequest{Address: "nobody@example.com"}))
			return err
		}, connect.CodeNotFound, ""},
		{"update_unknown_account_is_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.UpdateAccount(ctx, connect.NewRequest(&adminv1.Account{Id: unknown, Address: "nobody@example.com"}))
			return err
		}, connect.CodeNotFound, ""},
		{"password_of_unknown_account_is_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.SetAccountPassword(ctx, connect.NewRequest(&adminv1.SetAccountPasswordRequest{Id: unknown, Password: "a-good-password-1"}))
			return err
		}, connect.CodeNotFound, ""},
		{"delete_unknown_account_is_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.DeleteAccount(ctx, connect.NewRequest(&adminv1.DeleteAccountRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"unlock_unknown_account_is_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.UnlockAccount(ctx, connect.NewRequest(&adminv1.UnlockAccountRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"empty_unknown_account_is_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.EmptyAccount(ctx, connect.NewRequest(&adminv1.EmptyAccountRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"folders_of_unknown_account_are_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.ListFolders(ctx, connect.NewRequest(&adminv1.ListFoldersRequest{AccountId: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"accounts_of_unknown_domain_are_not_found", func(ctx context.Context) error {
			_, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{DomainId: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"accounts_without_a_domain_name_the_domain_id", func(ctx context.Context) error {
			_, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{}))
			return err
		}, connect.CodeInvalidArgument, "domain_id"},
		{"negative_offset_names_it", func(ctx context.Context) error {
			_, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{DomainId: f.example.ID, Offset: -1}))
			return err
		}, connect.CodeInvalidArgument, "offset"},
		{"oversized_filter_names_it", func(ctx context.Context) error {
			_, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{DomainId: f.example.ID, Filter: long}))
			return err
		}, connect.CodeInvalidArgument, "filter"},

		// Aliases.
		{"alias_colliding_with_an_account_names_the_address", func(ctx context.Context) error {
			_, err := c.Aliases.CreateAlias(ctx, connect.NewRequest(&adminv1.Alias{Address: "alice@example.com", Target: "bob@example.com"}))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"alias_colliding_with_a_list_names_the_address", func(ctx context.Context) error {
			_, err := c.Aliases.CreateAlias(ctx, connect.NewRequest(&adminv1.Alias{Address: "team@example.com", Target: "bob@example.com"}))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"alias_with_an_invalid_target_names_the_target", func(ctx context.Context) error {
			_, err := c.Aliases.CreateAlias(ctx, connect.NewRequest(&adminv1.Alias{Address: "sales@example.com", Target: "nobody"}))
			return err
		}, connect.CodeInvalidArgument, "target"},
		{"alias_to_itself_names_the_target", func(ctx context.Context) error {
			_, err := c.Aliases.CreateAlias(ctx, connect.NewRequest(&adminv1.Alias{Address: "sales@example.com", Target: "SALES@example.com"}))
			return err
		}, connect.CodeInvalidArgument, "target"},
		{"oversized_alias_target_names_it", func(ctx context.Context) error {
			_, err := c.Aliases.CreateAlias(ctx, connect.NewRequest(&adminv1.Alias{Address: "sales@example.com", Target: long + "@example.com"}))
			return err
		}, connect.CodeInvalidArgument, "target"},
		{"get_unknown_alias_is_not_found", func(ctx context.Context) error {
			_, err := c.Aliases.GetAlias(ctx, connect.NewRequest(&adminv1.GetAliasRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"update_unknown_alias_is_not_found", func(ctx context.Context) error {
			_, err := c.Aliases.UpdateAlias(ctx, connect.NewRequest(&adminv1.Alias{Id: unknown, Address: "x@example.com", Target: "y@example.com"}))
			return err
		}, connect.CodeNotFound, ""},
		{"delete_unknown_alias_is_not_found", func(ctx context.Context) error {
			_, err := c.Aliases.DeleteAlias(ctx, connect.NewRequest(&adminv1.DeleteAliasRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},

		// Distribution lists.
		{"list_colliding_with_an_alias_names_the_address", func(ctx context.Context) error {
			_, err := c.Lists.CreateList(ctx, connect.NewRequest(&adminv1.DistributionList{Address: "info@example.com"}))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"announcement_list_without_announcer_names_it", func(ctx context.Context) error {
			_, err := c.Lists.CreateList(ctx, connect.NewRequest(&adminv1.DistributionList{Address: "news@example.com", Mode: adminv1.ListMode_LIST_MODE_ANNOUNCEMENTS}))
			return err
		}, connect.CodeInvalidArgument, "announcer_address"},
		{"unknown_list_mode_names_it", func(ctx context.Context) error {
			_, err := c.Lists.CreateList(ctx, connect.NewRequest(&adminv1.DistributionList{Address: "news@example.com", Mode: 7}))
			return err
		}, connect.CodeInvalidArgument, "mode"},
		{"invalid_member_names_the_address", func(ctx context.Context) error {
			_, err := c.Lists.AddMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: f.list.ID, Address: "not-an-address"}))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"duplicate_member_names_the_address", func(ctx context.Context) error {
			_, err := c.Lists.AddMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: f.list.ID, Address: "ALICE@example.com"}))
			return err
		}, connect.CodeInvalidArgument, "address"},
		{"member_of_unknown_list_is_not_found", func(ctx context.Context) error {
			_, err := c.Lists.AddMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: unknown, Address: "x@example.com"}))
			return err
		}, connect.CodeNotFound, ""},
		{"removing_a_non_member_is_not_found", func(ctx context.Context) error {
			_, err := c.Lists.RemoveMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: f.list.ID, Address: "stranger@example.com"}))
			return err
		}, connect.CodeNotFound, ""},
		{"get_unknown_list_is_not_found", func(ctx context.Context) error {
			_, err := c.Lists.GetList(ctx, connect.NewRequest(&adminv1.GetListRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"delete_unknown_list_is_not_found", func(ctx context.Context) error {
			_, err := c.Lists.DeleteList(ctx, connect.NewRequest(&adminv1.DeleteListRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},

		// Groups.
		{"group_without_a_name_names_the_name", func(ctx context.Context) error {
			_, err := c.Groups.CreateGroup(ctx, connect.NewRequest(&adminv1.Group{Name: "  "}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"duplicate_group_names_the_name", func(ctx context.Context) error {
			_, err := c.Groups.CreateGroup(ctx, connect.NewRequest(&adminv1.Group{Name: "staff"}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"oversized_group_name_names_it", func(ctx context.Context) error {
			_, err := c.Groups.CreateGroup(ctx, connect.NewRequest(&adminv1.Group{Name: long}))
			return err
		}, connect.CodeInvalidArgument, "name"},
		{"duplicate_group_member_names_the_account", func(ctx context.Context) error {
			_, err := c.Groups.AddGroupMember(ctx, connect.NewRequest(&adminv1.GroupMemberRequest{GroupId: f.group.ID, AccountId: f.alice.ID}))
			return err
		}, connect.CodeInvalidArgument, "account_id"},
		{"unknown_account_as_group_member_is_not_found", func(ctx context.Context) error {
			_, err := c.Groups.AddGroupMember(ctx, connect.NewRequest(&adminv1.GroupMemberRequest{GroupId: f.group.ID, AccountId: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"members_of_unknown_group_are_not_found", func(ctx context.Context) error {
			_, err := c.Groups.ListGroupMembers(ctx, connect.NewRequest(&adminv1.ListGroupMembersRequest{GroupId: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"delete_unknown_group_is_not_found", func(ctx context.Context) error {
			_, err := c.Groups.DeleteGroup(ctx, connect.NewRequest(&adminv1.DeleteGroupRequest{Id: unknown}))
			return err
		}, connect.CodeNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			before := objectsSnapshot(t, api.Store)
			err := tt.call(ctx)
			if got := connect.CodeOf(err); err == nil || got != tt.code {
				t.Fatalf("got %v (code %v), want code %v", err, got, tt.code)
			}
			if tt.code == connect.CodeInvalidArgument {
				fe, ok := FieldErrorOf(err)
				if !ok {
					t.Fatalf("%v carries no FieldError", err)
				}
				if fe.Field != tt.field || fe.Message == "" {
					t.Errorf("FieldError = %q: %q, want field %q with a message", fe.Field, fe.Message, tt.field)
				}
			}
			if after := objectsSnapshot(t, api.Store); after != before {
				t.Errorf("the store changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}
