package admin

import (
	"context"
	"sort"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// serverPublicFolders returns the server's public folders as
// "parent/name" paths, sorted.
func serverPublicFolders(t *testing.T, s *Session) []string {
	t.Helper()
	resp, err := s.Client.PublicFolders.ListPublicFolders(context.Background(), connect.NewRequest(&adminv1.ListPublicFoldersRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	names := map[int64]*adminv1.Folder{}
	for _, f := range resp.Msg.GetFolders() {
		names[f.GetId()] = f
	}
	var paths []string
	for _, f := range resp.Msg.GetFolders() {
		path := f.GetName()
		for parent := f.GetParentId(); parent != 0; parent = names[parent].GetParentId() {
			path = names[parent].GetName() + "/" + path
		}
		paths = append(paths, path)
	}
	sort.Strings(paths)
	return paths
}

// serverFolderPermissions returns a folder's entries as "identifier=rights".
func serverFolderPermissions(t *testing.T, s *Session, folder int64) string {
	t.Helper()
	resp, err := s.Client.PublicFolders.ListFolderPermissions(context.Background(), connect.NewRequest(&adminv1.ListFolderPermissionsRequest{FolderId: folder}))
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, p := range resp.Msg.GetPermissions() {
		entries = append(entries, p.GetIdentifier()+"="+p.GetRights())
	}
	return strings.Join(entries, " ")
}

// folderNamed returns the id of the page's folder with the given path.
func folderNamed(t *testing.T, p *publicFoldersPage, path string) int64 {
	t.Helper()
	for id := range p.folders {
		if p.path(id) == path {
			return id
		}
	}
	t.Fatalf("the page lists no folder %s", path)
	return 0
}

func TestFolderRightsAreNamedAsHMailServerAdministratorNamesThem(t *testing.T) {
	for _, tc := range []struct{ rights, want string }{
		{"", "No permissions"},
		{"lr", "Lookup, Read"},
		{"rl", "Lookup, Read"},
		{"lrswipkxtea", "Lookup, Read, Keep seen flag, Keep other flags, Insert mail, Post, Create mailbox, " +
			"Delete mailbox, Keep deleted flag, Expunge, Administer"},
		{"lz", "Lookup, z"},
	} {
		if got := folderRightsText(tc.rights); got != tc.want {
			t.Errorf("folderRightsText(%q) = %q, want %q", tc.rights, got, tc.want)
		}
	}
	var letters []rune
	for _, column := range folderRightColumns {
		for _, r := range column {
			letters = append(letters, r.letter)
		}
	}
	sort.Slice(letters, func(i, j int) bool { return letters[i] < letters[j] })
	want := []rune(allFolderRights)
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	if string(letters) != string(want) {
		t.Errorf("the check boxes stand for %q, want every right of %q once", string(letters), allFolderRights)
	}
}

func TestPublicFoldersPageCreatesRenamesAndDeletesFolders(t *testing.T) {
	srv := startPagesServer(t)
	p := newPublicFoldersPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	requireShown(t, w, "Public folders")
	requireShown(t, w, "0 public folders")
	requireShown(t, w, "Select a folder to see its permissions.")

	// A top-level folder, and one below it: Add creates below the
	// selected folder.
	test.Tap(findButton(t, w, "Add folder..."))
	e := p.editor
	if e == nil || e.parent.Selected != topLevelOption {
		t.Fatal("Add folder did not open the editor for a top-level folder")
	}
	test.Type(e.name, "Sales")
	if !p.stack.HasUnsavedChanges() {
		t.Fatal("typing a name left the page without unsaved changes")
	}
	test.Tap(e.form.SaveButton)
	if p.editor != nil {
		t.Fatalf("saving failed: %q %q", e.form.Message.Text, e.form.FieldError("name"))
	}
	requireShown(t, w, "1 public folder")
	requireShown(t, w, "Sales (0 messages)")
	requireShown(t, w, "Permissions of Sales")

	test.Tap(findButton(t, w, "Add folder..."))
	e = p.editor
	if e.parent.Selected != "Sales" {
		t.Fatalf("a new folder goes in %q, want the selected Sales", e.parent.Selected)
	}
	test.Type(e.name, "x")
	e.name.SetText("")
	test.Tap(e.form.SaveButton)
	if got := e.form.FieldError("name"); got == "" {
		t.Fatalf("saving a folder without a name shows no error beside the name; message %q", e.form.Message.Text)
	}
	test.Type(e.name, "Europe")
	test.Tap(e.form.SaveButton)
	if p.editor != nil {
		t.Fatalf("saving failed: %q %q", e.form.Message.Text, e.form.FieldError("name"))
	}
	if got := strings.Join(serverPublicFolders(t, srv.Session), " "); got != "Sales Sales/Europe" {
		t.Fatalf("the server holds %s", got)
	}
	requireShown(t, w, "Permissions of Sales / Europe")

	// Rename the subfolder.
	test.Tap(findButton(t, w, "Rename..."))
	e = p.editor
	if e.name.Text != "Europe" || e.parent.Selected != "Sales" {
		t.Fatalf("the rename editor shows %q in %q", e.name.Text, e.parent.Selected)
	}
	for _, option := range e.parent.Options {
		if strings.HasPrefix(option, "Sales / Europe") {
			t.Errorf("the folder may be moved into itself: %q", option)
		}
	}
	e.name.SetText("EMEA")
	test.Tap(e.form.SaveButton)
	if p.editor != nil {
		t.Fatalf("renaming failed: %q %q", e.form.Message.Text, e.form.FieldError("name"))
	}
	if got := strings.Join(serverPublicFolders(t, srv.Session), " "); got != "Sales Sales/EMEA" {
		t.Fatalf("after renaming the server holds %s", got)
	}
	requireShown(t, w, "EMEA (0 messages)")

	// A folder with subfolders is not deleted: the page says why, at once
	// when it knows of them, and after the server refuses when it does not.
	sales := folderNamed(t, p, "Sales")
	p.tree.Select(folderUID(sales))
	test.Tap(p.remove)
	requireShown(t, w, "The folder Sales has subfolders: delete them first.")
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("deleting a folder with subfolders asks to confirm")
	}

	test.Tap(findButton(t, w, "Add folder..."))
	test.Type(p.editor.name, "Lonely")
	p.editor.parent.SetSelected(topLevelOption)
	test.Tap(p.editor.form.SaveButton)
	lonely := folderNamed(t, p, "Lonely")
	if _, err := srv.Session.Client.PublicFolders.CreatePublicFolder(context.Background(),
		connect.NewRequest(&adminv1.CreatePublicFolderRequest{ParentId: lonely, Name: "Added elsewhere"})); err != nil {
		t.Fatal(err)
	}
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	requireShown(t, w, "The folder Lonely has subfolders: delete them first.")
	requireShown(t, w, "Added elsewhere") // the page lists what the server has now

	// A folder without subfolders is deleted after confirming.
	p.tree.Select(folderUID(folderNamed(t, p, "Sales / EMEA")))
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	if got := strings.Join(serverPublicFolders(t, srv.Session), " "); got != "Lonely Lonely/Added elsewhere Sales" {
		t.Fatalf("after deleting EMEA the server holds %s", got)
	}
	requireShown(t, w, "3 public folders")
	if p.selected != sales {
		t.Errorf("after deleting EMEA folder %d is selected, want its parent Sales %d", p.selected, sales)
	}
}

func TestPublicFoldersPageSetsAndRemovesPermissions(t *testing.T) {
	srv := startPagesServer(t)
	ctx := context.Background()
	d := srv.createDomain(t, "example.com")
	if _, err := srv.Store.CreateAccount(ctx, store.Account{DomainID: d.ID, Address: "carol@example.com", Active: true}, "carol-secret-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.CreateGroup(ctx, "Staff"); err != nil {
		t.Fatal(err)
	}
	created, err := srv.Session.Client.PublicFolders.CreatePublicFolder(ctx, connect.NewRequest(&adminv1.CreatePublicFolderRequest{Name: "Shared"}))
	if err != nil {
		t.Fatal(err)
	}
	folder := created.Msg.GetId()

	p := newPublicFoldersPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	pe := p.permissions
	pe.window = w
	if !pe.add.Disabled() {
		t.Error("Add permission is enabled with no folder selected")
	}
	p.tree.Select(folderUID(folder))
	requireShown(t, w, "Permissions of Shared")

	// A group's rights.
	test.Tap(pe.add)
	if !pe.adding || pe.kind.Disabled() {
		t.Fatal("Add... did not start a new entry")
	}
	pe.kind.SetSelected(identifierGroup)
	if len(pe.group.Options) != 1 || pe.group.Options[0] != "Staff" {
		t.Fatalf("the group choice offers %q", pe.group.Options)
	}
	pe.group.SetSelected("Staff")
	for _, label := range []string{"Lookup", "Read", "Insert mail"} {
		test.Tap(checkLabelled(t, pe, label))
	}
	if !p.stack.HasUnsavedChanges() {
		t.Fatal("ticking permissions left the page without unsaved changes")
	}
	test.Tap(pe.form.SaveButton)
	if pe.form.Changed() {
		t.Fatalf("saving failed: %q %q %q", pe.form.Message.Text, pe.form.FieldError("identifier"), pe.form.FieldError("rights"))
	}
	if got := serverFolderPermissions(t, srv.Session, folder); got != "$Staff=lri" {
		t.Fatalf("the server holds %q", got)
	}
	requireShown(t, w, "Group Staff: Lookup, Read, Insert mail")
	requireShown(t, w, "Permissions for group Staff")

	// Anyone's rights.
	test.Tap(pe.add)
	pe.kind.SetSelected(identifierAnyone)
	test.Tap(pe.form.SaveButton)
	if got := pe.form.FieldError("rights"); !strings.Contains(got, "Tick at least one permission") {
		t.Fatalf("saving an entry without rights shows %q beside the permissions", got)
	}
	test.Tap(checkLabelled(t, pe, "Lookup"))
	test.Tap(pe.form.SaveButton)
	if got := serverFolderPermissions(t, srv.Session, folder); got != "$Staff=lri anyone=l" {
		t.Fatalf("the server holds %q", got)
	}

	// An account the server does not have: the server's error is shown
	// beside Who.
	test.Tap(pe.add)
	pe.kind.SetSelected(identifierAccount)
	test.Type(pe.account, "nobody@example.com")
	test.Tap(checkLabelled(t, pe, "Read"))
	test.Tap(pe.form.SaveButton)
	if got := pe.form.FieldError("identifier"); !strings.Contains(got, "nobody@example.com") {
		t.Fatalf("an unknown account shows %q beside Who; message %q", got, pe.form.Message.Text)
	}
	pe.account.SetText("carol@example.com")
	test.Tap(pe.form.SaveButton)
	if got := serverFolderPermissions(t, srv.Session, folder); got != "$Staff=lri anyone=l carol@example.com=r" {
		t.Fatalf("the server holds %q", got)
	}

	// Change the group's rights: choose its entry, untick, Save.
	pe.list.Select(pe.indexOf("$Staff"))
	if !checkLabelled(t, pe, "Insert mail").Checked || checkLabelled(t, pe, "Expunge").Checked {
		t.Fatal("the group's check boxes do not show its rights")
	}
	if !pe.kind.Disabled() {
		t.Error("who an entry is for can be changed once saved")
	}
	test.Tap(checkLabelled(t, pe, "Insert mail"))
	test.Tap(checkLabelled(t, pe, "Keep seen flag"))
	test.Tap(pe.form.SaveButton)
	if got := serverFolderPermissions(t, srv.Session, folder); got != "$Staff=lrs anyone=l carol@example.com=r" {
		t.Fatalf("the server holds %q", got)
	}

	// Remove anyone's entry.
	pe.list.Select(pe.indexOf("anyone"))
	test.Tap(pe.remove)
	tapDialogButton(t, w, "Yes")
	if got := serverFolderPermissions(t, srv.Session, folder); got != "$Staff=lrs carol@example.com=r" {
		t.Fatalf("after Remove the server holds %q", got)
	}
	if pe.indexOf("anyone") >= 0 {
		t.Error("the removed entry is still listed")
	}

	// Unsaved ticks are put back by Discard.
	pe.list.Select(pe.indexOf("carol@example.com"))
	test.Tap(pe.selectAll)
	if !p.stack.HasUnsavedChanges() {
		t.Fatal("Select all left the page without unsaved changes")
	}
	test.Tap(pe.form.DiscardButton)
	if p.stack.HasUnsavedChanges() || pe.rights() != "r" {
		t.Fatalf("after Discard the boxes say %q", pe.rights())
	}

	// Choosing another folder with unsaved ticks asks first.
	other, err := srv.Session.Client.PublicFolders.CreatePublicFolder(ctx, connect.NewRequest(&adminv1.CreatePublicFolderRequest{Name: "Other"}))
	if err != nil {
		t.Fatal(err)
	}
	p.reload(folder)
	pe.list.Select(pe.indexOf("carol@example.com"))
	test.Tap(checkLabelled(t, pe, "Lookup"))
	p.tree.Select(folderUID(other.Msg.GetId()))
	tapDialogButton(t, w, "No")
	if p.selected != folder || !p.stack.HasUnsavedChanges() {
		t.Fatalf("after No folder %d is shown, unsaved %v", p.selected, p.stack.HasUnsavedChanges())
	}
	p.tree.Select(folderUID(other.Msg.GetId()))
	tapDialogButton(t, w, "Yes")
	if p.selected != other.Msg.GetId() || p.stack.HasUnsavedChanges() {
		t.Fatalf("after Yes folder %d is shown, unsaved %v", p.selected, p.stack.HasUnsavedChanges())
	}
	requireShown(t, w, "Permissions of Other")
}

// checkLabelled returns the permission check box with the given label.
func checkLabelled(t *testing.T, e *folderPermissions, label string) *widget.Check {
	t.Helper()
	for _, c := range e.checks {
		if c.Text == label {
			return c
		}
	}
	t.Fatalf("there is no %q check box", label)
	return nil
}
