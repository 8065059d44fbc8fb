package admin

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/mailwright/mailwright/store"
)

func TestGroupsPageAddsAGroupAndAMember(t *testing.T) {
	srv := startPagesServer(t)
	d := srv.createDomain(t, "example.com")
	if _, err := srv.Store.CreateAccount(context.Background(), store.Account{DomainID: d.ID, Address: "carol@example.com", Active: true}, "carol-secret-1"); err != nil {
		t.Fatal(err)
	}
	p := newGroupsPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	requireShown(t, w, "0 groups")

	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	test.Type(e.name, "Sales")
	test.Tap(e.form.SaveButton)
	if e.form.Changed() || e.group == nil {
		t.Fatalf("saving failed: %q %q", e.form.Message.Text, e.form.FieldError("name"))
	}

	test.Type(e.newMember, "nobody@example.com")
	test.Tap(e.addMember)
	requireShown(t, w, "There is no account nobody@example.com")

	e.newMember.SetText("carol@example.com")
	test.Tap(e.addMember)
	if len(e.members) != 1 || e.members[0].address != "carol@example.com" {
		t.Fatalf("members: %v; error %q", e.members, e.memberError.Text)
	}
	requireShown(t, w, "carol@example.com")

	test.Tap(findButton(t, w, "Back to the groups"))
	requireShown(t, w, "Sales")
	p.list.Select(0)
	test.Tap(p.open)
	if len(p.editor.members) != 1 {
		t.Fatalf("the group shows %d members when opened again", len(p.editor.members))
	}
	p.editor.memberList.Select(0)
	test.Tap(p.editor.removeMember)
	tapDialogButton(t, w, "Yes")
	if len(p.editor.members) != 0 {
		t.Fatalf("the member is still listed: %v", p.editor.members)
	}

	test.Tap(findButton(t, w, "Back to the groups"))
	p.list.Select(0)
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	requireShown(t, w, "0 groups")
}
