package admin

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestAliasesPageCreatesEditsAndDeletesAnAlias(t *testing.T) {
	srv := startPagesServer(t)
	d := srv.createDomain(t, "example.com")
	p := newAliasesPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)
	p.window = w
	requireShown(t, w, "0 aliases")

	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	test.Type(e.address, "sales@example.com")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("target") == "" {
		t.Fatalf("an alias without a target gave no error under it; message %q", e.form.Message.Text)
	}
	requireShown(t, w, e.form.FieldError("target"))
	test.Type(e.target, "boss@elsewhere.example")
	test.Tap(e.form.SaveButton)
	if e.form.Changed() || e.alias == nil {
		t.Fatalf("saving failed: %q %q", e.form.Message.Text, e.form.FieldError("target"))
	}

	test.Tap(findButton(t, w, "Back to the aliases"))
	requireShown(t, w, "sales@example.com → boss@elsewhere.example")

	p.list.Select(0)
	test.Tap(p.edit)
	e = p.editor
	e.active.SetChecked(false)
	if !p.stack.HasUnsavedChanges() {
		t.Fatal("unchecking Enabled is not an unsaved change")
	}
	test.Tap(e.form.SaveButton)
	p.showList()
	requireShown(t, w, "sales@example.com → boss@elsewhere.example - inactive")

	p.list.Select(0)
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	requireShown(t, w, "0 aliases")
	if _, err := srv.Store.AccountByAddress(context.Background(), "sales@example.com"); err == nil {
		t.Fatal("sales@example.com is an account")
	}
}
