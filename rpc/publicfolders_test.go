package rpc

import (
	"testing"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// The public folders through the RPC: a tree is created, renamed and
// deleted; a folder with subfolders is not deleted; permissions for a
// group, an account and anyone are set, read back, resolved by the store as
// the manual says, and removed; bad identifiers and rights name the field.
func TestPublicFoldersAndTheirPermissions(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	alice := api.CreateAccount(t, "alice@example.com", "alice-password-1", store.AdminUser)
	bob := api.CreateAccount(t, "bob@example.com", "bob-password-1", store.AdminUser)
	group, err := api.Store.CreateGroup(ctx, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	if err := api.Store.AddGroupMember(ctx, group.ID, bob.ID); err != nil {
		t.Fatal(err)
	}

	create := func(parent int64, name string) *adminv1.Folder {
		t.Helper()
		f, err := c.PublicFolders.CreatePublicFolder(ctx, connect.NewRequest(&adminv1.CreatePublicFolderRequest{ParentId: parent, Name: name}))
		if err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
		return f.Msg
	}
	projects := create(0, "Projects")
	y2026 := create(projects.Id, "2026")
	if y2026.ParentId != projects.Id {
		t.Fatalf("the subfolder's parent is %d, want %d", y2026.ParentId, projects.Id)
	}
	if _, err := c.PublicFolders.CreatePublicFolder(ctx, connect.NewRequest(&adminv1.CreatePublicFolderRequest{Name: "Projects"})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("a second top-level Projects: %v, want INVALID_ARGUMENT", err)
	}

	list, err := c.PublicFolders.ListPublicFolders(ctx, connect.NewRequest(&adminv1.ListPublicFoldersRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Msg.Folders) != 2 {
		t.Fatalf("ListPublicFolders = %v, want Projects and 2026", list.Msg.Folders)
	}

	_, err = c.PublicFolders.DeletePublicFolder(ctx, connect.NewRequest(&adminv1.DeletePublicFolderRequest{Id: projects.Id}))
	if connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Fatalf("deleting a folder with a subfolder: %v, want FAILED_PRECONDITION", err)
	}

	set := func(id int64, identifier, rights string) []*adminv1.FolderPermission {
		t.Helper()
		resp, err := c.PublicFolders.SetFolderPermission(ctx, connect.NewRequest(&adminv1.FolderPermissionRequest{FolderId: id,
			Permission: &adminv1.FolderPermission{Identifier: identifier, Rights: rights}}))
		if err != nil {
			t.Fatalf("set %s %q: %v", identifier, rights, err)
		}
		return resp.Msg.Permissions
	}
	set(projects.Id, "anyone", "lr")
	set(projects.Id, "$Sales", "lrswi")
	perms := set(projects.Id, "alice@example.com", "lrswipkxtea")
	if len(perms) != 3 {
		t.Fatalf("permissions %v, want three entries", perms)
	}
	rights := func(a store.Account, folderID int64) string {
		t.Helper()
		r, err := api.Store.FolderRights(ctx, folderID, a)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	carol := api.CreateAccount(t, "carol@example.com", "carol-password-1", store.AdminUser)
	if got := rights(alice, projects.Id); got != "lrswipkxtea" {
		t.Errorf("alice's own entry gives %q", got)
	}
	if got := rights(bob, projects.Id); got != "lrswi" {
		t.Errorf("bob's group gives %q, want lrswi", got)
	}
	if got := rights(carol, projects.Id); got != "lr" {
		t.Errorf("anyone gives carol %q, want lr", got)
	}

	for _, bad := range []struct{ identifier, rights, field string }{
		{"nobody@example.com", "lr", "identifier"},
		{"$NoSuchGroup", "lr", "identifier"},
		{"anyone", "lrZ", "rights"},
	} {
		_, err := c.PublicFolders.SetFolderPermission(ctx, connect.NewRequest(&adminv1.FolderPermissionRequest{FolderId: projects.Id,
			Permission: &adminv1.FolderPermission{Identifier: bad.identifier, Rights: bad.rights}}))
		fe, ok := FieldErrorOf(err)
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !ok || fe.Field != bad.field {
			t.Errorf("set %s %q: %v, want INVALID_ARGUMENT on %s", bad.identifier, bad.rights, err, bad.field)
		}
	}

	if perms := set(projects.Id, "anyone", ""); len(perms) != 2 {
		t.Errorf("after removing anyone: %v", perms)
	}
	if got := rights(carol, projects.Id); got != "" {
		t.Errorf("with no entry for anyone carol has %q", got)
	}

	renamed, err := c.PublicFolders.RenamePublicFolder(ctx, connect.NewRequest(&adminv1.RenamePublicFolderRequest{Id: y2026.Id, NewName: "Archive 2026"}))
	if err != nil {
		t.Fatal(err)
	}
	if renamed.Msg.Name != "Archive 2026" || renamed.Msg.ParentId != 0 {
		t.Errorf("renamed to %v, want top-level Archive 2026", renamed.Msg)
	}
	if _, err := c.PublicFolders.RenamePublicFolder(ctx, connect.NewRequest(&adminv1.RenamePublicFolderRequest{Id: projects.Id, NewParentId: projects.Id, NewName: "Loop"})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("moving a folder under itself: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := c.PublicFolders.DeletePublicFolder(ctx, connect.NewRequest(&adminv1.DeletePublicFolderRequest{Id: projects.Id})); err != nil {
		t.Fatalf("deleting Projects once it has no subfolders: %v", err)
	}

	// An account's own folder is not a public folder.
	inbox, err := api.Store.Inbox(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublicFolders.ListFolderPermissions(ctx, connect.NewRequest(&adminv1.ListFolderPermissionsRequest{FolderId: inbox.ID})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("permissions of an account's INBOX: %v, want NOT_FOUND", err)
	}
}
