package admin

import (
	"strings"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// listsPage is a domain's Distribution lists node: the lists with Add,
// Edit and Delete (manual: Distribution lists).
type listsPage struct {
	session  *Session
	window   fyne.Window
	domainID int64
	stack    *pageStack
	listView fyne.CanvasObject

	lists    []*adminv1.DistributionList
	selected int
	list     *widget.List
	status   *widget.Label
	edit     *widget.Button
	remove   *widget.Button
	editor   *listEditor // the editor shown, if any
}

func newListsPage(s *Session, w fyne.Window, domainID int64) *listsPage {
	p := &listsPage{session: s, window: w, domainID: domainID, selected: -1}
	p.list = widget.NewList(
		func() int { return len(p.lists) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			l := p.lists[i]
			text := l.GetAddress()
			if !l.GetActive() {
				text += " - inactive"
			}
			o.(*widget.Label).SetText(text)
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.edit.Enable(); p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.selected = -1; p.edit.Disable(); p.remove.Disable() }
	p.status = widget.NewLabel("")
	add := widget.NewButton("Add...", func() { p.openEditor(nil) })
	p.edit = widget.NewButton("Edit...", func() {
		if p.selected >= 0 {
			p.openEditor(p.lists[p.selected])
		}
	})
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.edit.Disable()
	p.remove.Disable()
	p.listView = container.NewBorder(
		container.NewVBox(editorTitle("Distribution lists"), p.status),
		container.NewHBox(layout.NewSpacer(), add, p.edit, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(p.listView)
	p.reload()
	return p
}

func (p *listsPage) reload() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Lists.ListLists(ctx, connect.NewRequest(&adminv1.ListListsRequest{DomainId: p.domainID}))
	if err != nil {
		p.status.SetText("Could not read the distribution lists: " + errorText(err))
		return
	}
	p.lists = resp.Msg.GetLists()
	p.status.SetText(countText(len(p.lists), "distribution list", "distribution lists"))
	p.list.UnselectAll()
	p.list.Refresh()
}

func (p *listsPage) openEditor(l *adminv1.DistributionList) {
	p.editor = newListEditor(p.session, p.window, p.domainID, l)
	back := widget.NewButton("Back to the distribution lists", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *listsPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *listsPage) confirmDelete() {
	if p.selected < 0 {
		return
	}
	l := p.lists[p.selected]
	confirmRemoval(p.window, "the distribution list "+l.GetAddress(), func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		if _, err := p.session.Client.Lists.DeleteList(ctx, connect.NewRequest(&adminv1.DeleteListRequest{Id: l.GetId()})); err != nil {
			showPageError(p.window, err)
			return
		}
		p.reload()
	})
}

// listModes are the choices of the list's Mode, in the order of the
// ListMode values (manual: Distribution list → General → Mode).
var listModes = []string{"Public - anyone can send to the list", "Membership - only members can send", "Announcements - only the announcer can send"}

// listEditor edits a distribution list: General and Members tabs.
type listEditor struct {
	session  *Session
	window   fyne.Window
	domainID int64
	list     *adminv1.DistributionList // nil until a new list is saved

	form                    *Form
	address, announcer      *widget.Entry
	active, requireSMTPAuth *widget.Check
	mode                    *widget.Select
	members                 *listMembers
	view                    fyne.CanvasObject
}

func newListEditor(s *Session, w fyne.Window, domainID int64, l *adminv1.DistributionList) *listEditor {
	e := &listEditor{session: s, window: w, domainID: domainID, list: l}
	f := NewForm(e.save, e.load)
	e.form = f
	e.address = f.Entry("address", "Address")
	e.active = f.Check("active", "Enabled")
	e.requireSMTPAuth = f.Check("require_smtp_auth", "Require SMTP authentication")
	e.mode = f.Select("mode", "Mode", listModes)
	e.announcer = f.Entry("announcer_address", "Announcer address")
	e.members = newListMembers(s, w)
	general := container.NewTabItem("General", f.Rows("address", "active", "require_smtp_auth", "mode", "announcer_address"))
	tabs := container.NewAppTabs(general, container.NewTabItem("Members", e.members.view))
	f.Reveal = func(string) { tabs.Select(general) }
	title := "New distribution list"
	if l != nil {
		title = l.GetAddress()
	}
	e.view = container.NewBorder(editorTitle(title), f.Buttons(), nil, nil, tabs)
	e.load()
	return e
}

func (e *listEditor) load() {
	l := e.list
	if l == nil {
		l = &adminv1.DistributionList{Active: true}
	}
	e.form.Load(func() {
		e.address.SetText(l.GetAddress())
		e.active.SetChecked(l.GetActive())
		e.requireSMTPAuth.SetChecked(l.GetRequireSmtpAuth())
		e.mode.SetSelectedIndex(int(l.GetMode()))
		e.announcer.SetText(l.GetAnnouncerAddress())
	})
	e.members.setList(e.list)
}

func (e *listEditor) save() error {
	l := &adminv1.DistributionList{DomainId: e.domainID, Address: strings.TrimSpace(e.address.Text),
		Active: e.active.Checked, RequireSmtpAuth: e.requireSMTPAuth.Checked,
		Mode: adminv1.ListMode(max(e.mode.SelectedIndex(), 0)), AnnouncerAddress: strings.TrimSpace(e.announcer.Text)}
	ctx, cancel := pageCallContext()
	defer cancel()
	var resp *connect.Response[adminv1.DistributionList]
	var err error
	if e.list == nil {
		resp, err = e.session.Client.Lists.CreateList(ctx, connect.NewRequest(l))
	} else {
		l.Id = e.list.GetId()
		resp, err = e.session.Client.Lists.UpdateList(ctx, connect.NewRequest(l))
	}
	if err != nil {
		return err
	}
	e.list = resp.Msg
	e.load()
	return nil
}

// listMembers is the Members tab: the list's recipients, added and
// removed at once.
type listMembers struct {
	session  *Session
	window   fyne.Window
	list     *adminv1.DistributionList
	members  []string
	selected int

	view   *fyne.Container
	rows   *widget.List
	entry  *widget.Entry
	error  *widget.Label
	add    *widget.Button
	remove *widget.Button
}

func newListMembers(s *Session, w fyne.Window) *listMembers {
	m := &listMembers{session: s, window: w, selected: -1}
	m.rows = widget.NewList(
		func() int { return len(m.members) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(m.members[i]) })
	m.rows.OnSelected = func(i widget.ListItemID) { m.selected = i; m.remove.Enable() }
	m.rows.OnUnselected = func(widget.ListItemID) { m.selected = -1; m.remove.Disable() }
	m.entry = widget.NewEntry()
	m.entry.OnSubmitted = func(string) { m.addMember() }
	m.error = widget.NewLabel("")
	m.error.Importance = widget.DangerImportance
	m.error.Wrapping = fyne.TextWrapWord
	m.error.Hide()
	m.add = widget.NewButton("Add", m.addMember)
	m.remove = widget.NewButton("Remove", m.confirmRemove)
	m.remove.Disable()
	m.view = container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, nil, m.add, m.entry), m.error),
		container.NewHBox(layout.NewSpacer(), m.remove), nil, nil, m.rows)
	return m
}

// setList shows l's members; a list not yet saved has none and cannot get
// any.
func (m *listMembers) setList(l *adminv1.DistributionList) {
	m.list = l
	m.members = nil
	if l == nil {
		m.entry.SetPlaceHolder("save the list first")
		m.entry.Disable()
		m.add.Disable()
		m.rows.Refresh()
		return
	}
	m.entry.SetPlaceHolder("recipient address")
	m.entry.Enable()
	m.add.Enable()
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := m.session.Client.Lists.ListMembers(ctx, connect.NewRequest(&adminv1.ListMembersRequest{ListId: l.GetId()}))
	if err != nil {
		m.showError(err)
		return
	}
	m.show(resp.Msg)
}

func (m *listMembers) show(resp *adminv1.ListMembersResponse) {
	m.members = resp.GetAddresses()
	m.rows.UnselectAll()
	m.rows.Refresh()
}

func (m *listMembers) showError(err error) {
	m.error.SetText(errorText(err))
	m.error.Show()
	m.view.Refresh()
}

func (m *listMembers) hideError() {
	if m.error.Visible() {
		m.error.Hide()
		m.view.Refresh()
	}
}

func (m *listMembers) addMember() {
	if m.list == nil {
		return
	}
	m.hideError()
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := m.session.Client.Lists.AddMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{
		ListId: m.list.GetId(), Address: strings.TrimSpace(m.entry.Text)}))
	if err != nil {
		m.showError(err)
		return
	}
	m.entry.SetText("")
	m.show(resp.Msg)
}

func (m *listMembers) confirmRemove() {
	if m.selected < 0 || m.list == nil {
		return
	}
	address := m.members[m.selected]
	confirmRemoval(m.window, "the member "+address, func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		resp, err := m.session.Client.Lists.RemoveMember(ctx, connect.NewRequest(&adminv1.ListMemberRequest{ListId: m.list.GetId(), Address: address}))
		if err != nil {
			m.showError(err)
			return
		}
		m.show(resp.Msg)
	})
}
