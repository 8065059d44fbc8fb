package admin

import (
	"context"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2/test"

	"github.com/mailwright/mailwright/rpc"
	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func TestDomainsPageCreatesADomainAndListsIt(t *testing.T) {
	srv := startPagesServer(t)
	p := newDomainsPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	changes := 0
	OnDomainsChanged = func() { changes++ }
	t.Cleanup(func() { OnDomainsChanged = nil })

	requireShown(t, w, "0 domains")
	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	if e == nil {
		t.Fatal("Add did not open the domain editor")
	}
	test.Type(e.name, "example.com")
	if !p.stack.HasUnsavedChanges() {
		t.Fatal("typing a name left the page without unsaved changes")
	}
	e.tabs.SelectIndex(3) // Advanced
	e.plusAddressing.SetChecked(true)
	e.plusCharacter.SetSelected("-")
	test.Tap(e.form.SaveButton)
	if e.form.Message.Visible() || e.form.FieldError("name") != "" {
		t.Fatalf("saving failed: %q %q", e.form.Message.Text, e.form.FieldError("name"))
	}
	if p.stack.HasUnsavedChanges() || changes != 1 {
		t.Fatalf("after Save: unsaved %v, OnDomainsChanged called %d times", p.stack.HasUnsavedChanges(), changes)
	}

	test.Tap(findButton(t, w, "Back to the domains"))
	requireShown(t, w, "example.com")
	requireShown(t, w, "1 domain")
	resp, err := srv.Session.Client.Domains.GetDomain(context.Background(), connect.NewRequest(&adminv1.GetDomainRequest{Name: "example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if d := resp.Msg; !d.GetActive() || !d.GetPlusAddressing() || d.GetPlusAddressingChar() != "-" {
		t.Fatalf("the server holds %v", d)
	}

	nodes := domainSubtree(srv.Session, "domains")
	if len(nodes) != 1 || nodes[0].Title != "example.com" || !nodes[0].Branch {
		t.Fatalf("the Domains subtree is %v", nodes)
	}
	children := domainSubtree(srv.Session, nodes[0].ID)
	if len(children) != 3 || children[0].Title != "Accounts" || children[2].ID != nodes[0].ID+"/lists" {
		t.Fatalf("the domain's subtree is %v", children)
	}
	for _, id := range []string{"domains", nodes[0].ID, children[0].ID, children[1].ID, children[2].ID} {
		page, ok := PageFor(id)
		if !ok || page(srv.Session, w, id) == nil {
			t.Errorf("no page for %s", id)
		}
	}
}

func TestDomainEditorShowsTheServerErrorUnderTheNameEntry(t *testing.T) {
	srv := startPagesServer(t)
	// The message the server gives for the name, asked directly.
	_, err := srv.Session.Client.Domains.CreateDomain(context.Background(), connect.NewRequest(&adminv1.Domain{Name: "nodot"}))
	fieldError, ok := rpc.FieldErrorOf(err)
	if !ok || fieldError.GetMessage() == "" {
		t.Fatalf("the server gave no field error for the domain nodot: %v", err)
	}

	p := newDomainsPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	e.tabs.SelectIndex(2) // Limits: the error must bring General back
	test.Type(e.name, "nodot")
	test.Tap(e.form.SaveButton)

	if fieldError.GetField() != "name" {
		t.Fatalf("the server's error names %q, not name", fieldError.GetField())
	}
	if got := e.form.FieldError("name"); got != fieldError.GetMessage() {
		t.Fatalf("the error under the name entry is %q, want %q", got, fieldError.GetMessage())
	}
	if e.tabs.SelectedIndex() != 0 {
		t.Fatal("the General tab holding the name is not shown")
	}
	requireShown(t, w, fieldError.GetMessage())
	if field := e.form.fields["name"]; field.error.Position().Y < field.input.Position().Y+field.input.Size().Height {
		t.Fatalf("the error label at %v overlaps the name entry at %v, %v", field.error.Position(), field.input.Position(), field.input.Size())
	}
	if !e.form.Changed() {
		t.Fatal("the refused edit was dropped")
	}
}

func TestDomainEditorChecksNumbersBeforeSaving(t *testing.T) {
	srv := startPagesServer(t)
	p := newDomainsPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	test.Type(e.name, "limits.example")
	e.maxAccounts.SetText("many")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("max_accounts") == "" || e.tabs.SelectedIndex() != 2 {
		t.Fatalf("error %q, tab %d", e.form.FieldError("max_accounts"), e.tabs.SelectedIndex())
	}
	e.maxAccounts.SetText("7")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("max_accounts") != "" || e.domain.GetMaxAccounts() != 7 {
		t.Fatalf("after a good number: error %q, saved %v", e.form.FieldError("max_accounts"), e.domain)
	}
}

func TestDomainNamesTabAddsAndRemovesNames(t *testing.T) {
	srv := startPagesServer(t)
	srv.createDomain(t, "example.com")
	p := newDomainsPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	p.openEditor(p.domains[0])
	n := p.editor.names
	n.window = w
	test.Type(n.entry, "example.net")
	test.Tap(n.add)
	if n.error.Visible() || len(n.aliases) != 1 || n.aliases[0].GetName() != "example.net" {
		t.Fatalf("after Add: error %q, names %v", n.error.Text, n.aliases)
	}
	test.Type(n.entry, "nodot")
	test.Tap(n.add)
	if !n.error.Visible() {
		t.Fatal("a bad name gave no error")
	}
	n.list.Select(0)
	test.Tap(n.remove)
	tapDialogButton(t, w, "Yes")
	if len(n.aliases) != 0 {
		t.Fatalf("after Remove: names %v", n.aliases)
	}
}

func TestDomainsPageDeletesAfterConfirmation(t *testing.T) {
	srv := startPagesServer(t)
	srv.createDomain(t, "keep.example")
	srv.createDomain(t, "gone.example")
	p := newDomainsPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	i := slices.IndexFunc(p.domains, func(d *adminv1.Domain) bool { return d.GetName() == "gone.example" })
	p.list.Select(i)

	test.Tap(p.remove)
	tapDialogButton(t, w, "No")
	if len(p.domains) != 2 {
		t.Fatal("the domain was deleted without confirmation")
	}
	p.list.Select(i)
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	eventually(t, "the domain is deleted", func() bool {
		return len(p.domains) == 1 && p.domains[0].GetName() == "keep.example"
	})
}
