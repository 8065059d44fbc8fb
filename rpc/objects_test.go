package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// The domain, account, alias, distribution list and group services driven
// through the real client over HTTPS: each object's life from create to
// delete, and bad requests that must fail with a clear error and change
// nothing.

func TestDomainsCreateListGetUpdateDelete(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)

	created, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: "example.com", Active: true, MaxAccounts: 5}))
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	d := created.Msg
	if d.Id == 0 || d.Name != "example.com" || !d.Active || d.MaxAccounts != 5 || d.CreatedAt == 0 || d.PlusAddressingChar != "+" {
		t.Fatalf("CreateDomain returned %v, want the stored domain with an id, creation time and the default plus character", d)
	}
	if _, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: "b.example"})); err != nil {
		t.Fatal(err)
	}

	t.Run("list_gives_every_domain_by_name", func(t *testing.T) {
		list, err := c.Domains.ListDomains(ctx, connect.NewRequest(&adminv1.ListDomainsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range list.Msg.Domains {
			names = append(names, d.Name)
		}
		if strings.Join(names, ",") != "b.example,example.com" {
			t.Fatalf("ListDomains = %v, want b.example,example.com", names)
		}
	})

	t.Run("get_finds_by_id_by_name_and_by_alias_name", func(t *testing.T) {
		if _, err := c.Domains.AddDomainAlias(ctx, connect.NewRequest(&adminv1.DomainAlias{DomainId: d.Id, Name: "example.net"})); err != nil {
			t.Fatal(err)
		}
		for _, req := range []*adminv1.GetDomainRequest{{Id: d.Id}, {Name: "EXAMPLE.com"}, {Name: "example.net"}} {
			got, err := c.Domains.GetDomain(ctx, connect.NewRequest(req))
			if err != nil {
				t.Fatalf("GetDomain(%v): %v", req, err)
			}
			if got.Msg.Id != d.Id {
				t.Errorf("GetDomain(%v) = domain %d, want %d", req, got.Msg.Id, d.Id)
			}
		}
	})

	t.Run("update_saves_the_settings", func(t *testing.T) {
		change := &adminv1.Domain{Id: d.Id, Name: "Example.com", Active: false, PlusAddressing: true, PlusAddressingChar: "-",
			CatchAllAddress: "postmaster@example.com", MaxMessageSizeKb: 2048}
		got, err := c.Domains.UpdateDomain(ctx, connect.NewRequest(change))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := api.Store.Domain(ctx, d.Id)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Name != "Example.com" || stored.Active || !stored.PlusAddressing || stored.PlusAddressingChar != "-" ||
			stored.CatchAllAddress != "postmaster@example.com" || stored.MaxMessageSizeKB != 2048 || stored.MaxAccounts != 0 {
			t.Errorf("stored after update = %+v", stored)
		}
		if got.Msg.CreatedAt != d.CreatedAt {
			t.Errorf("update changed the creation time: %d, want %d", got.Msg.CreatedAt, d.CreatedAt)
		}
		if !api.LogContains("update domain", "Example.com") {
			t.Error("the update is not in the application log")
		}
	})

	t.Run("domain_aliases_list_and_remove", func(t *testing.T) {
		list, err := c.Domains.ListDomainAliases(ctx, connect.NewRequest(&adminv1.ListDomainAliasesRequest{DomainId: d.Id}))
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Msg.Aliases) != 1 || list.Msg.Aliases[0].Name != "example.net" {
			t.Fatalf("ListDomainAliases = %v, want example.net", list.Msg.Aliases)
		}
		if _, err := c.Domains.RemoveDomainAlias(ctx, connect.NewRequest(&adminv1.RemoveDomainAliasRequest{Id: list.Msg.Aliases[0].Id})); err != nil {
			t.Fatal(err)
		}
		if _, err := api.Store.DomainByName(ctx, "example.net"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("example.net after removal: %v, want not found", err)
		}
	})

	t.Run("delete_removes_the_domain_with_its_objects", func(t *testing.T) {
		api.CreateAccount(t, "alice@example.com", "alice-password-1", store.AdminUser)
		if _, err := c.Domains.DeleteDomain(ctx, connect.NewRequest(&adminv1.DeleteDomainRequest{Id: d.Id})); err != nil {
			t.Fatal(err)
		}
		if _, err := api.Store.Domain(ctx, d.Id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("domain after delete: %v, want not found", err)
		}
		if _, err := api.Store.AccountByAddress(ctx, "alice@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account after its domain's delete: %v, want not found", err)
		}
		if !api.LogContains("delete domain", "Example.com") {
			t.Error("the delete is not in the application log")
		}
	})
}

func TestAccountsCreateListGetUpdateDelete(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	domain, err := api.Store.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true})
	if err != nil {
		t.Fatal(err)
	}

	const password = "Alice-Pa55word-not-in-logs"
	created, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(&adminv1.CreateAccountRequest{
		Account:  &adminv1.Account{Address: "alice@example.com", Active: true, MaxSizeMb: 100, FirstName: "Alice"},
		Password: password,
	}))
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	alice := created.Msg
	if alice.Id == 0 || alice.DomainId != domain.ID || alice.Address != "alice@example.com" || !alice.Active || alice.MaxSizeMb != 100 || alice.FirstName != "Alice" {
		t.Fatalf("CreateAccount returned %v", alice)
	}

	t.Run("create_is_logged_without_the_password", func(t *testing.T) {
		if !api.LogContains("create account", "alice@example.com") {
			t.Error("the creation is not in the application log")
		}
		if api.LogContains(password) {
			t.Error("the password is in the application log")
		}
	})

	t.Run("the_new_account_can_log_in", func(t *testing.T) {
		api.As(t, "alice@example.com", password)
	})

	t.Run("get_by_id_and_by_address_gives_size_and_last_logon", func(t *testing.T) {
		deliverTestMessage(t, api.Store, alice.Id, "alice@example.com", "Subject: one\r\n\r\nhello\r\n")
		for _, req := range []*adminv1.GetAccountRequest{{Id: alice.Id}, {Address: "ALICE@example.com"}} {
			got, err := c.Accounts.GetAccount(ctx, connect.NewRequest(req))
			if err != nil {
				t.Fatalf("GetAccount(%v): %v", req, err)
			}
			if got.Msg.Id != alice.Id || got.Msg.SizeBytes == 0 || got.Msg.LastLogonAt == 0 || got.Msg.LastLogonIp == "" {
				t.Errorf("GetAccount(%v) = %v, want alice with a size and a last logon", req, got.Msg)
			}
		}
	})

	t.Run("list_pages_and_filters", func(t *testing.T) {
		for _, local := range []string{"bob", "carol", "dave"} {
			api.CreateAccount(t, local+"@example.com", "pw-"+local+"-12345", store.AdminUser)
		}
		page, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{DomainId: domain.ID, Limit: 2, Offset: 1}))
		if err != nil {
			t.Fatal(err)
		}
		if page.Msg.Total != 4 || len(page.Msg.Accounts) != 2 || page.Msg.Accounts[0].Address != "bob@example.com" || page.Msg.Accounts[1].Address != "carol@example.com" {
			t.Errorf("page 2 of 2 = total %d %v, want total 4: bob, carol", page.Msg.Total, page.Msg.Accounts)
		}
		filtered, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{DomainId: domain.ID, Filter: "ali"}))
		if err != nil {
			t.Fatal(err)
		}
		if filtered.Msg.Total != 1 || len(filtered.Msg.Accounts) != 1 || filtered.Msg.Accounts[0].SizeBytes == 0 {
			t.Errorf("filter ali = %v, want alice with her size", filtered.Msg.Accounts)
		}
		all, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{DomainId: domain.ID, Limit: 5000}))
		if err != nil {
			t.Fatalf("a limit over 1000 is capped, not refused: %v", err)
		}
		if len(all.Msg.Accounts) != 4 {
			t.Errorf("all accounts = %d, want 4", len(all.Msg.Accounts))
		}
	})

	t.Run("update_saves_every_setting_but_the_address", func(t *testing.T) {
		change := &adminv1.Account{
			Id: alice.Id, Address: "alice@example.com", Active: true, AdminLevel: adminv1.AdminLevel_ADMIN_LEVEL_DOMAIN, MaxSizeMb: 200,
			FirstName: "Alice", LastName: "Liddell",
			VacationEnabled: true, VacationSubject: "Away", VacationMessage: "Back on Monday.",
			ForwardEnabled: true, ForwardAddress: "alice@elsewhere.example", ForwardKeepOriginal: true,
			SignatureEnabled: true, SignaturePlain: "-- Alice", SignatureHtml: "<p>Alice</p>",
		}
		got, err := c.Accounts.UpdateAccount(ctx, connect.NewRequest(change))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := api.Store.Account(ctx, alice.Id)
		if err != nil {
			t.Fatal(err)
		}
		want := store.Account{AdminLevel: store.AdminDomain, MaxSizeMB: 200, LastName: "Liddell",
			Vacation:  store.Vacation{Enabled: true, Subject: "Away", Message: "Back on Monday."},
			Forward:   store.Forward{Enabled: true, Address: "alice@elsewhere.example", KeepOriginal: true},
			Signature: store.Signature{Enabled: true, Plain: "-- Alice", HTML: "<p>Alice</p>"}}
		if stored.AdminLevel != want.AdminLevel || stored.MaxSizeMB != want.MaxSizeMB || stored.LastName != want.LastName ||
			stored.Vacation != want.Vacation || stored.Forward != want.Forward || stored.Signature != want.Signature {
			t.Errorf("stored after update = %+v", stored)
		}
		if got.Msg.LastName != "Liddell" || got.Msg.SizeBytes == 0 {
			t.Errorf("UpdateAccount returned %v, want the stored account with its size", got.Msg)
		}
	})

	t.Run("set_password_lets_the_new_one_log_in", func(t *testing.T) {
		if _, err := c.Accounts.SetAccountPassword(ctx, connect.NewRequest(&adminv1.SetAccountPasswordRequest{Id: alice.Id, Password: "New-Alice-Pa55"})); err != nil {
			t.Fatal(err)
		}
		api.As(t, "alice@example.com", "New-Alice-Pa55")
		if err := api.Dial(t, DialOptions{}).Login(ctx, "alice@example.com", password); err == nil {
			t.Error("the old password still logs in")
		}
		if api.LogContains("New-Alice-Pa55") {
			t.Error("the new password is in the application log")
		}
	})

	t.Run("list_folders_counts_messages", func(t *testing.T) {
		folders, err := c.Accounts.ListFolders(ctx, connect.NewRequest(&adminv1.ListFoldersRequest{AccountId: alice.Id}))
		if err != nil {
			t.Fatal(err)
		}
		// A new account has INBOX and the special-use folders (RFC 6154).
		got := map[string]*adminv1.Folder{}
		for _, f := range folders.Msg.Folders {
			got[f.Name] = f
		}
		if in := got["INBOX"]; len(got) != 5 || in == nil || in.Messages != 1 || in.UidNext != 2 {
			t.Errorf("ListFolders = %v, want INBOX with 1 message and next UID 2, and four more", folders.Msg.Folders)
		}
		for _, name := range []string{"Sent", "Drafts", "Trash", "Junk"} {
			if f := got[name]; f == nil || f.Messages != 0 {
				t.Errorf("ListFolders has %s = %v, want it empty", name, f)
			}
		}
	})

	t.Run("unlock_succeeds", func(t *testing.T) {
		if _, err := c.Accounts.UnlockAccount(ctx, connect.NewRequest(&adminv1.UnlockAccountRequest{Id: alice.Id})); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("empty_deletes_the_messages_and_keeps_the_folders", func(t *testing.T) {
		deliverTestMessage(t, api.Store, alice.Id, "alice@example.com", "Subject: two\r\n\r\nhello\r\n")
		got, err := c.Accounts.EmptyAccount(ctx, connect.NewRequest(&adminv1.EmptyAccountRequest{Id: alice.Id}))
		if err != nil {
			t.Fatal(err)
		}
		if got.Msg.DeletedMessages != 2 {
			t.Errorf("EmptyAccount deleted %d, want 2", got.Msg.DeletedMessages)
		}
		if size, _ := api.Store.AccountSize(ctx, alice.Id); size != 0 {
			t.Errorf("size after emptying = %d, want 0", size)
		}
		if _, err := api.Store.Inbox(ctx, alice.Id); err != nil {
			t.Errorf("INBOX after emptying: %v", err)
		}
	})

	t.Run("delete_removes_the_account", func(t *testing.T) {
		if _, err := c.Accounts.DeleteAccount(ctx, connect.NewRequest(&adminv1.DeleteAccountRequest{Id: alice.Id})); err != nil {
			t.Fatal(err)
		}
		if _, err := api.Store.Account(ctx, alice.Id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account after delete: %v, want not found", err)
		}
		if !api.LogContains("delete account", "alice@example.com") {
			t.Error("the delete is not in the application log")
		}
	})
}

func TestAliasesCreateListGetUpdateDelete(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	domain, err := api.Store.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true})
	if err != nil {
		t.Fatal(err)
	}

	created, err := c.Aliases.CreateAlias(ctx, connect.NewRequest(&adminv1.Alias{Address: "info@example.com", Target: "alice@example.com", Active: true}))
	if err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	a := created.Msg
	if a.Id == 0 || a.DomainId != domain.ID || a.Target != "alice@example.com" || !a.Active {
		t.Fatalf("CreateAlias returned %v", a)
	}

	t.Run("list_and_get_give_the_alias", func(t *testing.T) {
		list, err := c.Aliases.ListAliases(ctx, connect.NewRequest(&adminv1.ListAliasesRequest{DomainId: domain.ID}))
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Msg.Aliases) != 1 || list.Msg.Aliases[0].Address != "info@example.com" {
			t.Errorf("ListAliases = %v", list.Msg.Aliases)
		}
		got, err := c.Aliases.GetAlias(ctx, connect.NewRequest(&adminv1.GetAliasRequest{Id: a.Id}))
		if err != nil || got.Msg.Address != "info@example.com" {
			t.Errorf("GetAlias = %v, %v", got, err)
		}
	})

	t.Run("update_changes_target_and_state", func(t *testing.T) {
		got, err := c.Aliases.UpdateAlias(ctx, connect.NewRequest(&adminv1.Alias{Id: a.Id, Address: "info@example.com", Target: "bob@elsewhere.example"}))
		if err != nil {
			t.Fatal(err)
		}
		if got.Msg.Target != "bob@elsewhere.example" || got.Msg.Active {
			t.Errorf("UpdateAlias returned %v", got.Msg)
		}
	})

	t.Run("delete_frees_the_address", func(t *testing.T) {
		if _, err := c.Aliases.DeleteAlias(ctx, connect.NewRequest(&adminv1.DeleteAliasRequest{Id: a.Id})); err != nil {
			t.Fatal(err)
		}
		api.CreateAccount(t, "info@example.com", "info-password-1", store.AdminUser)
	})
}

func TestDistributionListsCreateListGetUpdateDeleteAndMembers(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	domain, err := api.Store.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true})
	if err != nil {
		t.Fatal(err)
	}

	created, err := c.Lists.CreateList(ctx, connect.NewRequest(&adminv1.DistributionList{Address: "team@example.com", Active: true,
		Mode: adminv1.ListMode_LIST_MODE_MEMBERSHIP}))
	if err != nil {
		t.Fatalf("CreateList: %v", err)
	}
	l := created.Msg
	if l.Id == 0 || l.DomainId != domain.ID || l.Mode != adminv1.ListMode_LIST_MODE_MEMBERSHIP {
		t.Fatalf("CreateList returned %v", l)
	}

	t.Run("list_and_get_give_the_list", func(t *testing.T) {
		lists, err := c.Lists.ListLists(ctx, connect.NewRequest(&adminv1.ListListsRequest{DomainId: domain.ID}))
		if err != nil || len(lists.Msg.Lists) != 1 {
			t.Fatalf("ListLists = %v, %v", lists, err)
		}
		got, err := c.Lists.GetList(ctx, connect.NewRequest(&adminv1.GetListRequest{Id: l.Id}))
		if err != nil || got.Msg.Address != "team@example.com" {
			t.Errorf("GetList = %v, %v", got, err)
		}
	})

	t.Run("update_saves_mode_and_announcer", func(t *testing.T) {
		got, err := c.Lists.UpdateList(ctx, connect.NewRequest(&adminv1.DistributionList{Id: l.Id, Address: "team@example.com", Active: true,
			RequireSmtpAuth: true, Mode: adminv1.ListMode_LIST_MODE_ANNOUNCEMENTS, AnnouncerAddress: "boss@example.com"}))
		if err != nil {
			t.Fatal(err)
		}
		if got.Msg.Mode != adminv1.ListMode_LIST_MODE_ANNOUNCEMENTS || got.Msg.AnnouncerAddress != "boss@example.com" || !got.Msg.RequireSmtpAuth {
			t.Errorf("UpdateList returned %v", got.Msg)
		}
	})

	t.Run("members_are_added_listed_and_removed", func(t *testing.T) {
		for _, m := range []string{"bob@example.com", "alice@elsewhere.example"} {
			if _, err := c.Lists.AddMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: l.Id, Address: m})); err != nil {
				t.Fatalf("AddMember(%s): %v", m, err)
			}
		}
		got, err := c.Lists.ListMembers(ctx, connect.NewRequest(&adminv1.ListMembersRequest{ListId: l.Id}))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got.Msg.Addresses, ",") != "alice@elsewhere.example,bob@example.com" {
			t.Errorf("ListMembers = %v", got.Msg.Addresses)
		}
		after, err := c.Lists.RemoveMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: l.Id, Address: "BOB@example.com"}))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(after.Msg.Addresses, ",") != "alice@elsewhere.example" {
			t.Errorf("members after removal = %v", after.Msg.Addresses)
		}
	})

	t.Run("delete_removes_the_list", func(t *testing.T) {
		if _, err := c.Lists.DeleteList(ctx, connect.NewRequest(&adminv1.DeleteListRequest{Id: l.Id})); err != nil {
			t.Fatal(err)
		}
		if _, err := api.Store.List(ctx, l.Id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("list after delete: %v, want not found", err)
		}
	})
}

func TestGroupsCreateListDeleteAndMembers(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	alice := api.CreateAccount(t, "alice@example.com", "alice-password-1", store.AdminUser)

	created, err := c.Groups.CreateGroup(ctx, connect.NewRequest(&adminv1.Group{Name: "Staff"}))
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	g := created.Msg

	t.Run("list_gives_the_group", func(t *testing.T) {
		list, err := c.Groups.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{}))
		if err != nil || len(list.Msg.Groups) != 1 || list.Msg.Groups[0].Name != "Staff" || list.Msg.Groups[0].Id != g.Id {
			t.Fatalf("ListGroups = %v, %v", list, err)
		}
	})

	t.Run("members_are_added_listed_and_removed", func(t *testing.T) {
		added, err := c.Groups.AddGroupMember(ctx, connect.NewRequest(&adminv1.GroupMemberRequest{GroupId: g.Id, AccountId: alice.ID}))
		if err != nil {
			t.Fatal(err)
		}
		if len(added.Msg.AccountIds) != 1 || added.Msg.AccountIds[0] != alice.ID {
			t.Errorf("members after adding = %v", added.Msg.AccountIds)
		}
		listed, err := c.Groups.ListGroupMembers(ctx, connect.NewRequest(&adminv1.ListGroupMembersRequest{GroupId: g.Id}))
		if err != nil || len(listed.Msg.AccountIds) != 1 {
			t.Errorf("ListGroupMembers = %v, %v", listed, err)
		}
		removed, err := c.Groups.RemoveGroupMember(ctx, connect.NewRequest(&adminv1.GroupMemberRequest{GroupId: g.Id, AccountId: alice.ID}))
		if err != nil {
			t.Fatal(err)
		}
		if len(removed.Msg.AccountIds) != 0 {
			t.Errorf("members after removal = %v", removed.Msg.AccountIds)
		}
	})

	t.Run("delete_removes_the_group", func(t *testing.T) {
		if _, err := c.Groups.DeleteGroup(ctx, connect.NewRequest(&adminv1.DeleteGroupRequest{Id: g.Id})); err != nil {
			t.Fatal(err)
		}
		groups, _ := api.Store.Groups(ctx)
		if len(groups) != 0 {
			t.Errorf("groups after delete = %v", groups)
		}
	})
}

// seededObjects is one of each object, in example.com and other.example.
type seededObjects struct {
	example, other store.Domain
	alice, bob     store.Account // users of example.com
	carol          store.Account // a user of other.example
	alias          store.Alias   // info@example.com -> alice
	list           store.List    // team@example.com, members alice and bob
	group          store.Group   // Staff, member alice
	domainAlias    store.DomainAlias
}

// seedObjects fills a test API's store through the store (not the API).
func seedObjects(t *testing.T, api *testAPI) seededObjects {
	t.Helper()
	ctx := testContext(t)
	var f seededObjects
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.example, err = api.Store.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true})
	must(err)
	f.other, err = api.Store.CreateDomain(ctx, store.Domain{Name: "other.example", Active: true})
	must(err)
	f.domainAlias, err = api.Store.AddDomainAlias(ctx, f.example.ID, "example.net")
	must(err)
	f.alice = api.CreateAccount(t, "alice@example.com", "alice-password-1", store.AdminUser)
	f.bob = api.CreateAccount(t, "bob@example.com", "bob-password-1", store.AdminUser)
	f.carol = api.CreateAccount(t, "carol@other.example", "carol-password-1", store.AdminUser)
	f.alias, err = api.Store.CreateAlias(ctx, store.Alias{Address: "info@example.com", Target: "alice@example.com", Active: true})
	must(err)
	f.list, err = api.Store.CreateList(ctx, store.List{Address: "team@example.com", Active: true})
	must(err)
	must(api.Store.AddListMember(ctx, f.list.ID, "alice@example.com"))
	must(api.Store.AddListMember(ctx, f.list.ID, "bob@example.com"))
	f.group, err = api.Store.CreateGroup(ctx, "Staff")
	must(err)
	must(api.Store.AddGroupMember(ctx, f.group.ID, f.alice.ID))
	return f
}

// objectsSnapshot describes every object the five services manage, down
// to password hashes, message counts and sizes, so that a refused call can
// be shown to have changed nothing.
func objectsSnapshot(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	}
	public, err := st.Folders(ctx, 0)
	check(err)
	fmt.Fprintf(&b, "public folders %+v\n", public)
	for _, f := range public {
		acl, err := st.FolderACL(ctx, f.ID)
		check(err)
		fmt.Fprintf(&b, "  %d permissions %+v\n", f.ID, acl)
	}
	domains, err := st.Domains(ctx)
	check(err)
	for _, d := range domains {
		fmt.Fprintf(&b, "domain %+v\n", d)
		names, err := st.DomainAliases(ctx, d.ID)
		check(err)
		fmt.Fprintf(&b, "  names %+v\n", names)
		page, err := st.Accounts(ctx, d.ID, "", 1000, 0)
		check(err)
		for _, a := range page.Accounts {
			size, err := st.AccountSize(ctx, a.ID)
			check(err)
			folders, err := st.Folders(ctx, a.ID)
			check(err)
			fmt.Fprintf(&b, "  account %+v size %d folders %+v\n", a, size, folders)
		}
		aliases, err := st.Aliases(ctx, d.ID)
		check(err)
		fmt.Fprintf(&b, "  aliases %+v\n", aliases)
		lists, err := st.Lists(ctx, d.ID)
		check(err)
		for _, l := range lists {
			members, err := st.ListMembers(ctx, l.ID)
			check(err)
			fmt.Fprintf(&b, "  list %+v members %v\n", l, members)
		}
	}
	groups, err := st.Groups(ctx)
	check(err)
	for _, g := range groups {
		members, err := st.GroupMembers(ctx, g.ID)
		check(err)
		fmt.Fprintf(&b, "group %+v members %v\n", g, members)
	}
	return b.String()
}

// deliverTestMessage puts a message in an account's INBOX as delivery does:
// the file first, then its row.
func deliverTestMessage(t *testing.T, st *store.Store, accountID int64, address, message string) {
	t.Helper()
	ctx := context.Background()
	inbox, err := st.Inbox(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := store.AccountMessagePath(address, messagefile.NewID())
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.Files().Write(rel, strings.NewReader(message))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddToFolder(ctx, store.StoredMessage{AccountID: accountID, FolderID: inbox.ID, Path: rel, Size: n}); err != nil {
		t.Fatal(err)
	}
}
