package admin

import (
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func init() {
	Pages["settings/protocols/smtp/routes"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject {
		return newRoutesPage(s, w).stack
	}
}

// routeDeliverAll and routeDeliverListed are the choices of which
// recipients a route delivers to.
const (
	routeDeliverAll    = "Deliver to all addresses"
	routeDeliverListed = "Deliver to the addresses listed below"
)

// routesPage is SMTP → Routes: the routes with Add, Edit and Delete
// (manual: Routes).
type routesPage struct {
	session  *Session
	window   fyne.Window
	stack    *pageStack
	listView fyne.CanvasObject

	routes   []*adminv1.Route
	selected int
	list     *widget.List
	status   *widget.Label
	edit     *widget.Button
	remove   *widget.Button
	editor   *routeEditor
}

func newRoutesPage(s *Session, w fyne.Window) *routesPage {
	p := &routesPage{session: s, window: w, selected: -1}
	p.list = widget.NewList(
		func() int { return len(p.routes) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := p.routes[i]
			text := fmt.Sprintf("%s → %s:%d", r.GetDomain(), r.GetTargetHost(), r.GetTargetPort())
			if d := r.GetDescription(); d != "" {
				text += "  " + d
			}
			o.(*widget.Label).SetText(text)
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.edit.Enable(); p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.selected = -1; p.edit.Disable(); p.remove.Disable() }
	p.status = widget.NewLabel("")
	add := widget.NewButton("Add...", func() { p.openEditor(nil) })
	p.edit = widget.NewButton("Edit...", func() {
		if p.selected >= 0 {
			p.openEditor(p.routes[p.selected])
		}
	})
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.edit.Disable()
	p.remove.Disable()
	p.listView = container.NewBorder(
		container.NewVBox(editorTitle("Routes"), p.status),
		container.NewHBox(layout.NewSpacer(), add, p.edit, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(p.listView)
	p.reload()
	return p
}

func (p *routesPage) reload() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Routes.ListRoutes(ctx, connect.NewRequest(&adminv1.ListRoutesRequest{}))
	if err != nil {
		p.status.SetText("Could not read the routes: " + errorText(err))
		return
	}
	p.routes = resp.Msg.GetRoutes()
	p.status.SetText(countText(len(p.routes), "route", "routes"))
	p.list.UnselectAll()
	p.list.Refresh()
}

func (p *routesPage) openEditor(r *adminv1.Route) {
	p.editor = newRouteEditor(p.session, p.window, r)
	back := widget.NewButton("Back to the routes", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *routesPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *routesPage) confirmDelete() {
	if p.selected < 0 {
		return
	}
	r := p.routes[p.selected]
	confirmRemoval(p.window, "the route for "+r.GetDomain(), func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		if _, err := p.session.Client.Routes.DeleteRoute(ctx, connect.NewRequest(&adminv1.DeleteRouteRequest{Id: r.GetId()})); err != nil {
			showPageError(p.window, err)
			return
		}
		p.reload()
	})
}

// routeEditor edits one route. The password is write-only: the server
// never gives it back, and an empty password field keeps the stored one.
type routeEditor struct {
	session *Session
	window  fyne.Window
	route   *adminv1.Route // nil until a new route is saved

	form                               *Form
	domain, description, host, port    *widget.Entry
	tries, minutes, username, password *widget.Entry
	security, deliver                  *widget.Select
	senderLocal, recipientLocal, auth  *widget.Check

	addresses  []string
	addressSel int
	addressBox *widget.List
	newAddress *widget.Entry
	removeAddr *widget.Button
	view       fyne.CanvasObject
}

func newRouteEditor(s *Session, w fyne.Window, r *adminv1.Route) *routeEditor {
	e := &routeEditor{session: s, window: w, route: r, addressSel: -1}
	f := NewForm(e.save, e.load)
	e.form = f
	e.domain = f.Entry("domain", "Domain")
	e.description = f.Entry("description", "Description")
	e.host = f.Entry("target_host", "Target SMTP host")
	e.port = f.Entry("target_port", "TCP/IP port")
	e.security = f.Select("security", "Connection security", securityNames)
	e.tries = f.Entry("tries", "Number of retries")
	e.minutes = f.Entry("minutes_between", "Minutes between every retry")
	e.senderLocal = f.Check("treat_sender_as_local", "When sender matches route, treat sender as a local domain")
	e.recipientLocal = f.Check("treat_recipient_as_local", "When recipient matches route, treat recipient as a local domain")
	e.auth = f.Check("requires_auth", "Server requires authentication")
	e.username = f.Entry("username", "User name")
	e.password = f.Password("password", "Password")
	e.deliver = f.Select("all_addresses", "Deliver", []string{routeDeliverAll, routeDeliverListed})

	e.addressBox = widget.NewList(
		func() int { return len(e.addresses) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(e.addresses[i]) })
	e.addressBox.OnSelected = func(i widget.ListItemID) { e.addressSel = i; e.removeAddr.Enable() }
	e.addressBox.OnUnselected = func(widget.ListItemID) { e.addressSel = -1; e.removeAddr.Disable() }
	e.newAddress = widget.NewEntry()
	e.newAddress.SetPlaceHolder("user@" + "example.com")
	e.newAddress.OnSubmitted = func(string) { e.addAddress() }
	addAddr := widget.NewButton("Add", e.addAddress)
	e.removeAddr = widget.NewButton("Remove", e.removeAddress)
	e.removeAddr.Disable()
	// The address list goes under the field it belongs to, so an error
	// naming "addresses" shows there.
	e.form.add("addresses", "Addresses", container.NewBorder(nil,
		container.NewBorder(nil, nil, nil, container.NewHBox(addAddr, e.removeAddr), e.newAddress),
		nil, nil, container.NewGridWrap(fyne.NewSize(360, 140), e.addressBox)))

	title := "New route"
	if r != nil {
		title = r.GetDomain()
	}
	general := container.NewVBox(
		f.Rows("domain", "description", "target_host", "target_port", "security", "tries", "minutes_between",
			"treat_sender_as_local", "treat_recipient_as_local"),
		widget.NewLabelWithStyle("Authentication", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		f.Rows("requires_auth", "username", "password"),
		widget.NewLabelWithStyle("Addresses", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		f.Rows("all_addresses", "addresses"),
	)
	e.view = container.NewBorder(editorTitle(title), f.Buttons(), nil, nil, container.NewVScroll(general))
	e.load()
	return e
}

func (e *routeEditor) addAddress() {
	a := strings.TrimSpace(e.newAddress.Text)
	if a == "" {
		return
	}
	for _, have := range e.addresses {
		if strings.EqualFold(have, a) {
			e.newAddress.SetText("")
			return
		}
	}
	e.addresses = append(e.addresses, a)
	e.newAddress.SetText("")
	e.addressBox.Refresh()
	e.form.MarkChanged()
}

func (e *routeEditor) removeAddress() {
	if e.addressSel < 0 || e.addressSel >= len(e.addresses) {
		return
	}
	e.addresses = append(e.addresses[:e.addressSel:e.addressSel], e.addresses[e.addressSel+1:]...)
	e.addressBox.UnselectAll()
	e.addressBox.Refresh()
	e.form.MarkChanged()
}

func (e *routeEditor) load() {
	r := e.route
	if r == nil {
		r = &adminv1.Route{TargetPort: 25, Tries: 4, MinutesBetween: 60, AllAddresses: true}
	}
	e.form.Load(func() {
		e.domain.SetText(r.GetDomain())
		e.description.SetText(r.GetDescription())
		e.host.SetText(r.GetTargetHost())
		e.port.SetText(numberText(r.GetTargetPort()))
		e.security.SetSelectedIndex(int(r.GetSecurity()))
		e.tries.SetText(numberText(r.GetTries()))
		e.minutes.SetText(numberText(r.GetMinutesBetween()))
		e.senderLocal.SetChecked(r.GetTreatSenderAsLocal())
		e.recipientLocal.SetChecked(r.GetTreatRecipientAsLocal())
		e.auth.SetChecked(r.GetRequiresAuth())
		e.username.SetText(r.GetUsername())
		e.password.SetText("") // write-only: never shown back
		if e.route != nil {
			e.password.SetPlaceHolder("(unchanged)")
		}
		if r.GetAllAddresses() {
			e.deliver.SetSelected(routeDeliverAll)
		} else {
			e.deliver.SetSelected(routeDeliverListed)
		}
		e.addresses = append([]string(nil), r.GetAddresses()...)
		e.addressBox.UnselectAll()
		e.addressBox.Refresh()
		e.newAddress.SetText("")
	})
}

func (e *routeEditor) save() error {
	port, err := wholeNumber(e.port, "target_port")
	if err != nil {
		return err
	}
	tries, err := wholeNumber(e.tries, "tries")
	if err != nil {
		return err
	}
	minutes, err := wholeNumber(e.minutes, "minutes_between")
	if err != nil {
		return err
	}
	r := &adminv1.Route{
		Domain: strings.TrimSpace(e.domain.Text), Description: e.description.Text,
		TargetHost: strings.TrimSpace(e.host.Text), TargetPort: port, Security: securityOf(e.security),
		Tries: tries, MinutesBetween: minutes,
		TreatSenderAsLocal: e.senderLocal.Checked, TreatRecipientAsLocal: e.recipientLocal.Checked,
		RequiresAuth: e.auth.Checked, Username: strings.TrimSpace(e.username.Text), Password: e.password.Text,
		AllAddresses: e.deliver.Selected != routeDeliverListed,
		Addresses:    append([]string(nil), e.addresses...),
	}
	ctx, cancel := pageCallContext()
	defer cancel()
	var resp *connect.Response[adminv1.Route]
	if e.route == nil {
		resp, err = e.session.Client.Routes.CreateRoute(ctx, connect.NewRequest(r))
	} else {
		r.Id = e.route.GetId()
		resp, err = e.session.Client.Routes.UpdateRoute(ctx, connect.NewRequest(r))
	}
	if err != nil {
		return err
	}
	e.route = resp.Msg
	e.route.Password = "" // never kept, never shown
	e.load()
	return nil
}
