package admin

import (
	"testing"

	"fyne.io/fyne/v2/test"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func TestListsPageCreatesAListWithMembers(t *testing.T) {
	srv := startPagesServer(t)
	d := srv.createDomain(t, "example.com")
	p := newListsPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)
	p.window = w
	requireShown(t, w, "0 distribution lists")

	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	if !e.members.entry.Disabled() {
		t.Fatal("members can be added to a list not yet saved")
	}
	test.Type(e.address, "team@other.example")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("address") == "" {
		t.Fatalf("a list outside the domain gave no error under the address; message %q", e.form.Message.Text)
	}
	e.address.SetText("team@example.com")
	e.mode.SetSelectedIndex(int(adminv1.ListMode_LIST_MODE_MEMBERSHIP))
	test.Tap(e.form.SaveButton)
	if e.form.Changed() || e.list == nil || e.list.GetMode() != adminv1.ListMode_LIST_MODE_MEMBERSHIP {
		t.Fatalf("saving failed: %q %q %v", e.form.Message.Text, e.form.FieldError("address"), e.list)
	}

	m := e.members
	for _, address := range []string{"ann@example.com", "bob@elsewhere.example"} {
		test.Type(m.entry, address)
		test.Tap(m.add)
		if m.error.Visible() {
			t.Fatalf("adding %s: %q", address, m.error.Text)
		}
	}
	if len(m.members) != 2 {
		t.Fatalf("the members are %v", m.members)
	}
	test.Type(m.entry, "not an address")
	test.Tap(m.add)
	if !m.error.Visible() {
		t.Fatal("a bad member address gave no error")
	}
	m.rows.Select(0)
	test.Tap(m.remove)
	tapDialogButton(t, w, "Yes")
	if len(m.members) != 1 {
		t.Fatalf("after Remove the members are %v", m.members)
	}

	test.Tap(findButton(t, w, "Back to the distribution lists"))
	requireShown(t, w, "team@example.com")
	p.list.Select(0)
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	requireShown(t, w, "0 distribution lists")
}
