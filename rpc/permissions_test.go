package rpc

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// The permission matrix of the domain, account, alias, distribution list
// and group services: every procedure, called for real over HTTPS by each
// kind of caller, is either allowed (it succeeds) or refused with
// PERMISSION_DENIED and changes nothing.

// The callers of the matrix's columns.
type caller int

const (
	callerServer      caller = iota // the main administrator
	callerDomain                    // the domain administrator of example.com
	callerOtherDomain               // the domain administrator of other.example
	callerUserOwn                   // the user alice@example.com, on her own account
	callerUserOther                 // the user alice@example.com, on another account of example.com
)

var callerNames = [...]string{"server_admin", "domain_admin_of_example.com", "domain_admin_of_other.example", "user_on_own_account", "user_on_other_account"}

// matrixOrder is the order a row's cells run in: the server administrator
// last, since its allowed calls may delete what the others stand on
// (DeleteDomain deletes example.com with its administrator), and the user
// on her own account after the user on another's, since she may change her
// own password.
var matrixOrder = []caller{callerDomain, callerOtherDomain, callerUserOther, callerUserOwn, callerServer}

const (
	Y = true  // allowed
	N = false // PERMISSION_DENIED
)

// permissionMatrix is the rule. A procedure followed by words is a variant
// of its request; the calls are in matrixCalls under the same name.
var permissionMatrix = []struct {
	server, domain, otherDomain, userOwn, userOther bool
	procedure                                       string
}{
	// Columns: server admin | domain admin of example.com | domain admin of
	// other.example | user on her own account | user on another account of
	// example.com | the procedure.
	{Y, Y, Y, N, N, "DomainService.ListDomains"},
	{Y, Y, N, N, N, "DomainService.GetDomain"},
	{Y, Y, N, N, N, "DomainService.GetDomain by name"},
	{Y, N, N, N, N, "DomainService.CreateDomain"},
	{Y, N, N, N, N, "DomainService.UpdateDomain"},
	{Y, N, N, N, N, "DomainService.DeleteDomain"},
	{Y, Y, N, N, N, "DomainService.ListDomainAliases"},
	{Y, N, N, N, N, "DomainService.AddDomainAlias"},
	{Y, N, N, N, N, "DomainService.RemoveDomainAlias"},

	{Y, Y, N, N, N, "AccountService.ListAccounts"},
	{Y, Y, N, Y, N, "AccountService.GetAccount"},
	{Y, Y, N, Y, N, "AccountService.GetAccount by address"},
	{Y, Y, N, N, N, "AccountService.CreateAccount"},
	{Y, Y, N, N, N, "AccountService.CreateAccount of a domain admin"},
	{Y, N, N, N, N, "AccountService.CreateAccount of a server admin"},
	{Y, Y, N, Y, N, "AccountService.UpdateAccount of personal settings"},
	{Y, Y, N, N, N, "AccountService.UpdateAccount disabling it"},
	{Y, Y, N, N, N, "AccountService.UpdateAccount of max_size_mb"},
	{Y, Y, N, N, N, "AccountService.UpdateAccount to domain admin"},
	{Y, N, N, N, N, "AccountService.UpdateAccount to server admin"},
	{Y, N, N, N, N, "AccountService.UpdateAccount of a server admin"},
	{Y, Y, N, Y, N, "AccountService.SetAccountPassword"},
	{Y, N, N, N, N, "AccountService.SetAccountPassword of a server admin"},
	{Y, Y, N, N, N, "AccountService.DeleteAccount"},
	{Y, N, N, N, N, "AccountService.DeleteAccount of a server admin"},
	{Y, Y, N, N, N, "AccountService.UnlockAccount"},
	{Y, Y, N, N, N, "AccountService.EmptyAccount"},
	{Y, Y, N, Y, N, "AccountService.ListFolders"},

	{Y, Y, N, N, N, "AliasService.ListAliases"},
	{Y, Y, N, N, N, "AliasService.GetAlias"},
	{Y, Y, N, N, N, "AliasService.CreateAlias"},
	{Y, Y, N, N, N, "AliasService.UpdateAlias"},
	{Y, Y, N, N, N, "AliasService.DeleteAlias"},

	{Y, Y, N, N, N, "DistributionListService.ListLists"},
	{Y, Y, N, N, N, "DistributionListService.GetList"},
	{Y, Y, N, N, N, "DistributionListService.CreateList"},
	{Y, Y, N, N, N, "DistributionListService.UpdateList"},
	{Y, Y, N, N, N, "DistributionListService.DeleteList"},
	{Y, Y, N, N, N, "DistributionListService.ListMembers"},
	{Y, Y, N, N, N, "DistributionListService.AddMember"},
	{Y, Y, N, N, N, "DistributionListService.RemoveMember"},

	{Y, N, N, N, N, "GroupService.ListGroups"},
	{Y, N, N, N, N, "GroupService.CreateGroup"},
	{Y, N, N, N, N, "GroupService.DeleteGroup"},
	{Y, N, N, N, N, "GroupService.ListGroupMembers"},
	{Y, N, N, N, N, "GroupService.AddGroupMember"},
	{Y, N, N, N, N, "GroupService.RemoveGroupMember"},

	{Y, N, N, N, N, "PublicFolderService.ListPublicFolders"},
	{Y, N, N, N, N, "PublicFolderService.CreatePublicFolder"},
	{Y, N, N, N, N, "PublicFolderService.RenamePublicFolder"},
	{Y, N, N, N, N, "PublicFolderService.DeletePublicFolder"},
	{Y, N, N, N, N, "PublicFolderService.ListFolderPermissions"},
	{Y, N, N, N, N, "PublicFolderService.SetFolderPermission"},
}

// matrixCell is what one cell's call acts on. Everything but the domains
// and alice is made fresh for the cell, so that an allowed delete in one
// column leaves the next column a target of its own.
type matrixCell struct {
	n              int   // the cell's number, for fresh names
	example, other int64 // the domains
	// account is the account the call is about: alice herself in the
	// "user on own account" column, else a fresh user of example.com.
	account     store.Account
	serverAdmin store.Account // a fresh server administrator account of example.com
	domainAlias store.DomainAlias
	alias       store.Alias
	list        store.List // with the member m<n>@example.com
	group       store.Group
	member      store.Account // a fresh account in group
	folder      store.Folder  // a fresh public folder
}

type matrixCall func(ctx context.Context, c *Client, w matrixCell) error

// personal changes the settings a user may change on her own account.
func personal(a *adminv1.Account) {
	a.FirstName, a.LastName = "Changed", "Name"
	a.VacationEnabled, a.VacationSubject, a.VacationMessage = true, "Away", "Back soon."
	a.ForwardEnabled, a.ForwardAddress = true, "elsewhere@forward.example"
	a.SignatureEnabled, a.SignaturePlain = true, "-- me"
}

// updateAccount sends the account with one change.
func updateAccount(target func(matrixCell) store.Account, change func(*adminv1.Account)) matrixCall {
	return func(ctx context.Context, c *Client, w matrixCell) error {
		a := accountToProto(target(w))
		change(a)
		_, err := c.Accounts.UpdateAccount(ctx, connect.NewRequest(a))
		return err
	}
}

func theAccount(w matrixCell) store.Account     { return w.account }
func theServerAdmin(w matrixCell) store.Account { return w.serverAdmin }

func createAccount(level adminv1.AdminLevel) matrixCall {
	return func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.CreateAccount(ctx, connect.NewRequest(&adminv1.CreateAccountRequest{
			Account:  &adminv1.Account{Address: fmt.Sprintf("new%d@example.com", w.n), Active: true, AdminLevel: level},
			Password: "a-new-password-1",
		}))
		return err
	}
}

var matrixCalls = map[string]matrixCall{
	"DomainService.ListDomains": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.ListDomains(ctx, connect.NewRequest(&adminv1.ListDomainsRequest{}))
		return err
	},
	"DomainService.GetDomain": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.GetDomain(ctx, connect.NewRequest(&adminv1.GetDomainRequest{Id: w.example}))
		return err
	},
	"DomainService.GetDomain by name": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.GetDomain(ctx, connect.NewRequest(&adminv1.GetDomainRequest{Name: "example.com"}))
		return err
	},
	"DomainService.CreateDomain": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.CreateDomain(ctx, connect.NewRequest(&adminv1.Domain{Name: fmt.Sprintf("new%d.example", w.n), Active: true}))
		return err
	},
	"DomainService.UpdateDomain": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.UpdateDomain(ctx, connect.NewRequest(&adminv1.Domain{Id: w.example, Name: "example.com", Active: true, MaxAccounts: 1000}))
		return err
	},
	"DomainService.DeleteDomain": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.DeleteDomain(ctx, connect.NewRequest(&adminv1.DeleteDomainRequest{Id: w.example}))
		return err
	},
	"DomainService.ListDomainAliases": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.ListDomainAliases(ctx, connect.NewRequest(&adminv1.ListDomainAliasesRequest{DomainId: w.example}))
		return err
	},
	"DomainService.AddDomainAlias": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.AddDomainAlias(ctx, connect.NewRequest(&adminv1.DomainAlias{DomainId: w.example, Name: fmt.Sprintf("added%d.example", w.n)}))
		return err
	},
	"DomainService.RemoveDomainAlias": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Domains.RemoveDomainAlias(ctx, connect.NewRequest(&adminv1.RemoveDomainAliasRequest{Id: w.domainAlias.ID}))
		return err
	},

	"AccountService.ListAccounts": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{DomainId: w.example}))
		return err
	},
	"AccountService.GetAccount": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.GetAccount(ctx, connect.NewRequest(&adminv1.GetAccountRequest{Id: w.account.ID}))
		return err
	},
	"AccountService.GetAccount by address": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.GetAccount(ctx, connect.NewRequest(&adminv1.GetAccountRequest{Address: w.account.Address}))
		return err
	},
	"AccountService.CreateAccount":                      createAccount(adminv1.AdminLevel_ADMIN_LEVEL_USER),
	"AccountService.CreateAccount of a domain admin":    createAccount(adminv1.AdminLevel_ADMIN_LEVEL_DOMAIN),
	"AccountService.CreateAccount of a server admin":    createAccount(adminv1.AdminLevel_ADMIN_LEVEL_SERVER),
	"AccountService.UpdateAccount of personal settings": updateAccount(theAccount, personal),
	"AccountService.UpdateAccount disabling it":         updateAccount(theAccount, func(a *adminv1.Account) { a.Active = false }),
	"AccountService.UpdateAccount of max_size_mb":       updateAccount(theAccount, func(a *adminv1.Account) { a.MaxSizeMb = 50 }),
	"AccountService.UpdateAccount to domain admin": updateAccount(theAccount, func(a *adminv1.Account) {
		a.AdminLevel = adminv1.AdminLevel_ADMIN_LEVEL_DOMAIN
	}),
	"AccountService.UpdateAccount to server admin": updateAccount(theAccount, func(a *adminv1.Account) {
		a.AdminLevel = adminv1.AdminLevel_ADMIN_LEVEL_SERVER
	}),
	"AccountService.UpdateAccount of a server admin": updateAccount(theServerAdmin, personal),
	"AccountService.SetAccountPassword": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.SetAccountPassword(ctx, connect.NewRequest(&adminv1.SetAccountPasswordRequest{Id: w.account.ID, Password: "a-new-password-2"}))
		return err
	},
	"AccountService.SetAccountPassword of a server admin": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.SetAccountPassword(ctx, connect.NewRequest(&adminv1.SetAccountPasswordRequest{Id: w.serverAdmin.ID, Password: "a-new-password-2"}))
		return err
	},
	"AccountService.DeleteAccount": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.DeleteAccount(ctx, connect.NewRequest(&adminv1.DeleteAccountRequest{Id: w.account.ID}))
		return err
	},
	"AccountService.DeleteAccount of a server admin": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.DeleteAccount(ctx, connect.NewRequest(&adminv1.DeleteAccountRequest{Id: w.serverAdmin.ID}))
		return err
	},
	"AccountService.UnlockAccount": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.UnlockAccount(ctx, connect.NewRequest(&adminv1.UnlockAccountRequest{Id: w.account.ID}))
		return err
	},
	"AccountService.EmptyAccount": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.EmptyAccount(ctx, connect.NewRequest(&adminv1.EmptyAccountRequest{Id: w.account.ID}))
		return err
	},
	"AccountService.ListFolders": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Accounts.ListFolders(ctx, connect.NewRequest(&adminv1.ListFoldersRequest{AccountId: w.account.ID}))
		return err
	},

	"AliasService.ListAliases": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Aliases.ListAliases(ctx, connect.NewRequest(&adminv1.ListAliasesRequest{DomainId: w.example}))
		return err
	},
	"AliasService.GetAlias": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Aliases.GetAlias(ctx, connect.NewRequest(&adminv1.GetAliasRequest{Id: w.alias.ID}))
		return err
	},
	"AliasService.CreateAlias": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Aliases.CreateAlias(ctx, connect.NewRequest(&adminv1.Alias{Address: fmt.Sprintf("new%d@example.com", w.n), Target: "alice@example.com", Active: true}))
		return err
	},
	"AliasService.UpdateAlias": func(ctx context.Context, c *Client, w matrixCell) error {
		a := aliasToProto(w.alias)
		a.Target = "someone@elsewhere.example"
		_, err := c.Aliases.UpdateAlias(ctx, connect.NewRequest(a))
		return err
	},
	"AliasService.DeleteAlias": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Aliases.DeleteAlias(ctx, connect.NewRequest(&adminv1.DeleteAliasRequest{Id: w.alias.ID}))
		return err
	},

	"DistributionListService.ListLists": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Lists.ListLists(ctx, connect.NewRequest(&adminv1.ListListsRequest{DomainId: w.example}))
		return err
	},
	"DistributionListService.GetList": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Lists.GetList(ctx, connect.NewRequest(&adminv1.GetListRequest{Id: w.list.ID}))
		return err
	},
	"DistributionListService.CreateList": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Lists.CreateList(ctx, connect.NewRequest(&adminv1.DistributionList{Address: fmt.Sprintf("new%d@example.com", w.n), Active: true}))
		return err
	},
	"DistributionListService.UpdateList": func(ctx context.Context, c *Client, w matrixCell) error {
		l := listToProto(w.list)
		l.RequireSmtpAuth = true
		_, err := c.Lists.UpdateList(ctx, connect.NewRequest(l))
		return err
	},
	"DistributionListService.DeleteList": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Lists.DeleteList(ctx, connect.NewRequest(&adminv1.DeleteListRequest{Id: w.list.ID}))
		return err
	},
	"DistributionListService.ListMembers": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Lists.ListMembers(ctx, connect.NewRequest(&adminv1.ListMembersRequest{ListId: w.list.ID}))
		return err
	},
	"DistributionListService.AddMember": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Lists.AddMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: w.list.ID, Address: "someone@elsewhere.example"}))
		return err
	},
	"DistributionListService.RemoveMember": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Lists.RemoveMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: w.list.ID, Address: fmt.Sprintf("m%d@example.com", w.n)}))
		return err
	},

	"GroupService.ListGroups": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Groups.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{}))
		return err
	},
	"GroupService.CreateGroup": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Groups.CreateGroup(ctx, connect.NewRequest(&adminv1.Group{Name: fmt.Sprintf("New group %d", w.n)}))
		return err
	},
	"GroupService.DeleteGroup": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Groups.DeleteGroup(ctx, connect.NewRequest(&adminv1.DeleteGroupRequest{Id: w.group.ID}))
		return err
	},
	"GroupService.ListGroupMembers": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Groups.ListGroupMembers(ctx, connect.NewRequest(&adminv1.ListGroupMembersRequest{GroupId: w.group.ID}))
		return err
	},
	"GroupService.AddGroupMember": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Groups.AddGroupMember(ctx, connect.NewRequest(&adminv1.GroupMemberRequest{GroupId: w.group.ID, AccountId: w.account.ID}))
		return err
	},
	"GroupService.RemoveGroupMember": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.Groups.RemoveGroupMember(ctx, connect.NewRequest(&adminv1.GroupMemberRequest{GroupId: w.group.ID, AccountId: w.member.ID}))
		return err
	},
	"PublicFolderService.ListPublicFolders": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.PublicFolders.ListPublicFolders(ctx, connect.NewRequest(&adminv1.ListPublicFoldersRequest{}))
		return err
	},
	"PublicFolderService.CreatePublicFolder": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.PublicFolders.CreatePublicFolder(ctx, connect.NewRequest(&adminv1.CreatePublicFolderRequest{ParentId: w.folder.ID, Name: "Sub"}))
		return err
	},
	"PublicFolderService.RenamePublicFolder": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.PublicFolders.RenamePublicFolder(ctx, connect.NewRequest(&adminv1.RenamePublicFolderRequest{Id: w.folder.ID, NewName: fmt.Sprintf("Renamed %d", w.n)}))
		return err
	},
	"PublicFolderService.DeletePublicFolder": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.PublicFolders.DeletePublicFolder(ctx, connect.NewRequest(&adminv1.DeletePublicFolderRequest{Id: w.folder.ID}))
		return err
	},
	"PublicFolderService.ListFolderPermissions": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.PublicFolders.ListFolderPermissions(ctx, connect.NewRequest(&adminv1.ListFolderPermissionsRequest{FolderId: w.folder.ID}))
		return err
	},
	"PublicFolderService.SetFolderPermission": func(ctx context.Context, c *Client, w matrixCell) error {
		_, err := c.PublicFolders.SetFolderPermission(ctx, connect.NewRequest(&adminv1.FolderPermissionRequest{FolderId: w.folder.ID,
			Permission: &adminv1.FolderPermission{Identifier: "$" + w.group.Name, Rights: "lr"}}))
		return err
	},
}

// TestPermissionMatrix runs every cell of permissionMatrix. Each row gets
// its own server; each cell its own objects.
func TestPermissionMatrix(t *testing.T) {
	for _, row := range permissionMatrix {
		call := matrixCalls[row.procedure]
		if call == nil {
			t.Fatalf("no call for %q in matrixCalls", row.procedure)
		}
		allowed := [...]bool{callerServer: row.server, callerDomain: row.domain, callerOtherDomain: row.otherDomain,
			callerUserOwn: row.userOwn, callerUserOther: row.userOther}
		t.Run(strings.ReplaceAll(row.procedure, " ", "_"), func(t *testing.T) {
			t.Parallel()
			api := newTestAPI(t)
			clients := matrixClients(t, api)
			for n, who := range matrixOrder {
				verdict := "is_denied"
				if allowed[who] {
					verdict = "is_allowed"
				}
				t.Run(callerNames[who]+"_"+verdict, func(t *testing.T) {
					ctx := testContext(t)
					w := newMatrixCell(t, api, n, who)
					before := objectsSnapshot(t, api.Store)
					err := call(ctx, clients[who], w)
					switch {
					case allowed[who] && err != nil:
						t.Fatalf("%s as %s: %v, want it allowed and done", row.procedure, callerNames[who], err)
					case !allowed[who] && connect.CodeOf(err) != connect.CodePermissionDenied:
						t.Fatalf("%s as %s: %v, want PermissionDenied", row.procedure, callerNames[who], err)
					case !allowed[who]:
						if after := objectsSnapshot(t, api.Store); after != before {
							t.Errorf("the refused call changed the store:\nbefore:\n%s\nafter:\n%s", before, after)
						}
					}
				})
			}
		})
	}
}

// TestPermissionMatrixCoversEveryProcedure fails when one of the five
// services has a procedure without a row.
func TestPermissionMatrixCoversEveryProcedure(t *testing.T) {
	rows := map[string]bool{}
	for _, row := range permissionMatrix {
		name, _, _ := strings.Cut(row.procedure, " ")
		rows[name] = true
	}
	services := adminv1.File_mailwright_admin_v1_admin_proto.Services()
	for _, service := range []string{"DomainService", "AccountService", "AliasService", "DistributionListService", "GroupService", "PublicFolderService"} {
		methods := services.ByName(protoreflect.Name(service)).Methods()
		for i := range methods.Len() {
			if name := service + "." + string(methods.Get(i).Name()); !rows[name] {
				t.Errorf("%s has no row in permissionMatrix", name)
			}
		}
	}
}

// matrixClients creates the principals of the matrix in example.com and
// other.example and logs each in. Alice's account doubles as the "user on
// other account" column's caller.
func matrixClients(t *testing.T, api *testAPI) map[caller]*Client {
	t.Helper()
	example := quickAccount(t, api.Store, "domainadmin@example.com", store.AdminDomain)
	quickAccount(t, api.Store, "domainadmin@other.example", store.AdminDomain)
	alice := quickAccount(t, api.Store, "alice@example.com", store.AdminUser)
	aliceClient := api.As(t, alice.Address, alice.Address)
	return map[caller]*Client{
		callerServer:      api.AsAdmin(t),
		callerDomain:      api.As(t, example.Address, example.Address),
		callerOtherDomain: api.As(t, "domainadmin@other.example", "domainadmin@other.example"),
		callerUserOwn:     aliceClient,
		callerUserOther:   aliceClient,
	}
}

// quickAccount makes an active account whose password is its address,
// creating its domain if needed. It is imported with an hMailServer
// plain-text password, which costs no argon2id hashing (the first login
// re-hashes it), so the matrix's many fixtures stay fast.
func quickAccount(t *testing.T, st *store.Store, address string, level store.AdminLevel) store.Account {
	t.Helper()
	ctx := context.Background()
	domain := domainPart(address)
	if _, err := st.DomainByName(ctx, domain); err != nil {
		if _, err := st.CreateDomain(ctx, store.Domain{Name: domain, Active: true}); err != nil {
			t.Fatalf("creating %s: %v", domain, err)
		}
	}
	a, err := st.ImportAccount(ctx, store.Account{Address: address, Active: true, AdminLevel: level}, 0, address)
	if err != nil {
		t.Fatalf("creating %s: %v", address, err)
	}
	return a
}

// newMatrixCell makes the fresh objects of cell n.
func newMatrixCell(t *testing.T, api *testAPI, n int, who caller) matrixCell {
	t.Helper()
	ctx := testContext(t)
	st := api.Store
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	example, err := st.DomainByName(ctx, "example.com")
	must(err)
	other, err := st.DomainByName(ctx, "other.example")
	must(err)
	w := matrixCell{n: n, example: example.ID, other: other.ID}
	if who == callerUserOwn {
		w.account, err = st.AccountByAddress(ctx, "alice@example.com")
		must(err)
	} else {
		w.account = quickAccount(t, st, fmt.Sprintf("target%d@example.com", n), store.AdminUser)
	}
	w.serverAdmin = quickAccount(t, st, fmt.Sprintf("root%d@example.com", n), store.AdminServer)
	w.member = quickAccount(t, st, fmt.Sprintf("member%d@example.com", n), store.AdminUser)
	w.domainAlias, err = st.AddDomainAlias(ctx, example.ID, fmt.Sprintf("alias%d.example", n))
	must(err)
	w.alias, err = st.CreateAlias(ctx, store.Alias{Address: fmt.Sprintf("alias%d@example.com", n), Target: "alice@example.com", Active: true})
	must(err)
	w.list, err = st.CreateList(ctx, store.List{Address: fmt.Sprintf("list%d@example.com", n), Active: true})
	must(err)
	must(st.AddListMember(ctx, w.list.ID, fmt.Sprintf("m%d@example.com", n)))
	w.group, err = st.CreateGroup(ctx, fmt.Sprintf("Group %d", n))
	must(err)
	must(st.AddGroupMember(ctx, w.group.ID, w.member.ID))
	w.folder, err = st.CreateFolder(ctx, 0, 0, fmt.Sprintf("Shared %d", n))
	must(err)
	deliverTestMessage(t, st, w.account.ID, w.account.Address, "Subject: for EmptyAccount\r\n\r\nhello\r\n")
	return w
}

// TestDeniedCallsDoNotRevealWhetherTheObjectExists: a caller without the
// right gets the same PERMISSION_DENIED for an id that exists in another
// domain and for one that exists nowhere; only a server administrator
// learns NOT_FOUND.
func TestDeniedCallsDoNotRevealWhetherTheObjectExists(t *testing.T) {
	api := newTestAPI(t)
	clients := matrixClients(t, api)
	w := newMatrixCell(t, api, 0, callerDomain)
	const unknown = 987654

	calls := []struct {
		name     string
		existing int64 // an id in example.com
		call     func(ctx context.Context, c *Client, id int64) error
	}{
		{"GetAccount", w.account.ID, func(ctx context.Context, c *Client, id int64) error {
			_, err := c.Accounts.GetAccount(ctx, connect.NewRequest(&adminv1.GetAccountRequest{Id: id}))
			return err
		}},
		{"DeleteAccount", w.account.ID, func(ctx context.Context, c *Client, id int64) error {
			_, err := c.Accounts.DeleteAccount(ctx, connect.NewRequest(&adminv1.DeleteAccountRequest{Id: id}))
			return err
		}},
		{"GetAlias", w.alias.ID, func(ctx context.Context, c *Client, id int64) error {
			_, err := c.Aliases.GetAlias(ctx, connect.NewRequest(&adminv1.GetAliasRequest{Id: id}))
			return err
		}},
		{"GetList", w.list.ID, func(ctx context.Context, c *Client, id int64) error {
			_, err := c.Lists.GetList(ctx, connect.NewRequest(&adminv1.GetListRequest{Id: id}))
			return err
		}},
		{"GetDomain", w.example, func(ctx context.Context, c *Client, id int64) error {
			_, err := c.Domains.GetDomain(ctx, connect.NewRequest(&adminv1.GetDomainRequest{Id: id}))
			return err
		}},
		{"ListAccounts", w.example, func(ctx context.Context, c *Client, id int64) error {
			_, err := c.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{DomainId: id}))
			return err
		}},
	}

	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			for _, who := range []caller{callerOtherDomain, callerUserOther} {
				for _, id := range []int64{tt.existing, unknown} {
					if err := tt.call(ctx, clients[who], id); connect.CodeOf(err) != connect.CodePermissionDenied {
						t.Errorf("%s(%d) as %s: %v, want PermissionDenied", tt.name, id, callerNames[who], err)
					}
				}
			}
			if err := tt.call(ctx, clients[callerServer], unknown); connect.CodeOf(err) != connect.CodeNotFound {
				t.Errorf("%s(unknown) as the server admin: %v, want NotFound", tt.name, err)
			}
		})
	}
}

func TestDomainAdminListsOnlyItsOwnDomain(t *testing.T) {
	api := newTestAPI(t)
	clients := matrixClients(t, api)
	ctx := testContext(t)
	other, err := api.Store.DomainByName(ctx, "other.example")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("list_domains_gives_its_domain", func(t *testing.T) {
		got, err := clients[callerOtherDomain].Domains.ListDomains(ctx, connect.NewRequest(&adminv1.ListDomainsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Msg.Domains) != 1 || got.Msg.Domains[0].Id != other.ID {
			t.Errorf("ListDomains = %v, want other.example only", got.Msg.Domains)
		}
	})

	t.Run("listing_without_a_domain_id_lists_its_domain", func(t *testing.T) {
		got, err := clients[callerOtherDomain].Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if got.Msg.Total != 1 || got.Msg.Accounts[0].Address != "domainadmin@other.example" {
			t.Errorf("ListAccounts = %v, want other.example's one account", got.Msg.Accounts)
		}
	})
}

func TestUserUpdatingOwnAccountSavesPersonalSettingsOnly(t *testing.T) {
	api := newTestAPI(t)
	clients := matrixClients(t, api)
	ctx := testContext(t)
	alice, err := api.Store.AccountByAddress(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	change := accountToProto(alice)
	personal(change)
	got, err := clients[callerUserOwn].Accounts.UpdateAccount(ctx, connect.NewRequest(change))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := api.Store.Account(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.FirstName != "Changed" || stored.Vacation.Message != "Back soon." || stored.Forward.Address != "elsewhere@forward.example" ||
		stored.Signature.Plain != "-- me" || got.Msg.FirstName != "Changed" {
		t.Errorf("stored after the user's update = %+v", stored)
	}
	if stored.Active != alice.Active || stored.AdminLevel != alice.AdminLevel || stored.MaxSizeMB != alice.MaxSizeMB {
		t.Errorf("the user's update changed what only administrators may: %+v", stored)
	}
	if !api.LogContains("update account", "alice@example.com", "by=alice@example.com") {
		t.Error("the change is not logged with who made it")
	}
}
