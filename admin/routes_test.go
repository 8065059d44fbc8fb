package admin

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestRoutesPageAddsARouteWithAddressesAndNeverShowsThePassword(t *testing.T) {
	srv := startPagesServer(t)
	p := newRoutesPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	requireShown(t, w, "0 routes")

	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	e.domain.SetText("partner.example")
	e.description.SetText("Partner relay")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("target_host") == "" {
		t.Fatalf("a route without a target host gave no error beside it; message %q", e.form.Message.Text)
	}
	e.host.SetText("relay.partner.example")
	e.auth.SetChecked(true)
	e.username.SetText("relay-user")
	e.password.SetText("relay-secret")
	e.deliver.SetSelected(routeDeliverListed)
	test.Type(e.newAddress, "alice@partner.example")
	e.addAddress()
	test.Type(e.newAddress, "bob@partner.example")
	e.addAddress()
	test.Tap(e.form.SaveButton)
	if e.form.Changed() || e.route == nil {
		t.Fatalf("saving failed: %q %q", e.form.Message.Text, e.form.FieldError("target_host"))
	}
	if e.password.Text != "" {
		t.Fatalf("the password is shown back after saving: %q", e.password.Text)
	}

	test.Tap(findButton(t, w, "Back to the routes"))
	requireShown(t, w, "partner.example → relay.partner.example:25")
	if got := p.routes[0].GetPassword(); got != "" {
		t.Fatalf("the server listed the password %q", got)
	}
	p.list.Select(0)
	test.Tap(p.edit)
	e = p.editor
	if e.password.Text != "" {
		t.Fatalf("the editor shows the password %q", e.password.Text)
	}
	if e.deliver.Selected != routeDeliverListed || len(e.addresses) != 2 {
		t.Fatalf("the route delivers to %q %v", e.deliver.Selected, e.addresses)
	}
	requireShown(t, w, "alice@partner.example")

	// Saving with the password left empty keeps the stored one.
	e.description.SetText("Partner relay (changed)")
	test.Tap(e.form.SaveButton)
	if e.form.Changed() {
		t.Fatalf("saving failed: %q", e.form.Message.Text)
	}
	stored, err := srv.Store.Route(t.Context(), e.route.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if stored.Password != "relay-secret" || stored.Description != "Partner relay (changed)" {
		t.Fatalf("stored route: password %q, description %q", stored.Password, stored.Description)
	}
}
