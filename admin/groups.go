package admin

import (
	"fmt"
	"sort"
	"strings"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func init() {
	Pages["settings/advanced/groups"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject {
		return newGroupsPage(s, w).stack
	}
}

// groupsPage is Advanced → Groups: the groups of accounts, with Add,
// Members and Delete (manual: Groups).
type groupsPage struct {
	session  *Session
	window   fyne.Window
	stack    *pageStack
	listView fyne.CanvasObject

	groups   []*adminv1.Group
	selected int
	list     *widget.List
	status   *widget.Label
	open     *widget.Button
	remove   *widget.Button
	editor   *groupEditor
}

func newGroupsPage(s *Session, w fyne.Window) *groupsPage {
	p := &groupsPage{session: s, window: w, selected: -1}
	p.list = widget.NewList(
		func() int { return len(p.groups) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.groups[i].GetName()) })
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.open.Enable(); p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.selected = -1; p.open.Disable(); p.remove.Disable() }
	p.status = widget.NewLabel("")
	add := widget.NewButton("Add...", func() { p.openEditor(nil) })
	p.open = widget.NewButton("Members...", func() {
		if p.selected >= 0 {
			p.openEditor(p.groups[p.selected])
		}
	})
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.open.Disable()
	p.remove.Disable()
	p.listView = container.NewBorder(
		container.NewVBox(editorTitle("Groups"), p.status),
		container.NewHBox(layout.NewSpacer(), add, p.open, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(p.listView)
	p.reload()
	return p
}

func (p *groupsPage) reload() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Groups.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{}))
	if err != nil {
		p.status.SetText("Could not read the groups: " + errorText(err))
		return
	}
	p.groups = resp.Msg.GetGroups()
	sort.SliceStable(p.groups, func(i, j int) bool {
		return strings.ToLower(p.groups[i].GetName()) < strings.ToLower(p.groups[j].GetName())
	})
	p.status.SetText(countText(len(p.groups), "group", "groups"))
	p.list.UnselectAll()
	p.list.Refresh()
}

func (p *groupsPage) openEditor(g *adminv1.Group) {
	p.editor = newGroupEditor(p.session, p.window, g)
	back := widget.NewButton("Back to the groups", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *groupsPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *groupsPage) confirmDelete() {
	if p.selected < 0 {
		return
	}
	g := p.groups[p.selected]
	confirmRemoval(p.window, "the group "+g.GetName(), func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		if _, err := p.session.Client.Groups.DeleteGroup(ctx, connect.NewRequest(&adminv1.DeleteGroupRequest{Id: g.GetId()})); err != nil {
			showPageError(p.window, err)
			return
		}
		p.reload()
	})
}

// groupMember is one account in a group.
type groupMember struct {
	id      int64
	address string
}

// groupEditor names a new group and edits the members of a saved one.
// A group keeps its name once saved; members are added by account address
// and removed at once.
type groupEditor struct {
	session *Session
	window  fyne.Window
	group   *adminv1.Group // nil until a new group is saved

	form  *Form
	name  *widget.Entry
	title *widget.Label

	members      []groupMember
	memberSel    int
	memberList   *widget.List
	newMember    *widget.Entry
	addMember    *widget.Button
	removeMember *widget.Button
	memberError  *widget.Label
	view         fyne.CanvasObject
}

func newGroupEditor(s *Session, w fyne.Window, g *adminv1.Group) *groupEditor {
	e := &groupEditor{session: s, window: w, group: g, memberSel: -1}
	e.form = NewForm(e.save, e.load)
	e.name = e.form.Entry("name", "Name")
	e.title = editorTitle("New group")

	e.memberList = widget.NewList(
		func() int { return len(e.members) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(e.members[i].address) })
	e.memberList.OnSelected = func(i widget.ListItemID) { e.memberSel = i; e.removeMember.Enable() }
	e.memberList.OnUnselected = func(widget.ListItemID) { e.memberSel = -1; e.removeMember.Disable() }
	e.newMember = widget.NewEntry()
	e.newMember.SetPlaceHolder("account address")
	e.newMember.OnSubmitted = func(string) { e.add() }
	e.addMember = widget.NewButton("Add", e.add)
	e.removeMember = widget.NewButton("Remove", e.confirmRemove)
	e.removeMember.Disable()
	e.memberError = widget.NewLabel("")
	e.memberError.Importance = widget.DangerImportance
	e.memberError.Wrapping = fyne.TextWrapWord
	e.memberError.Hide()

	members := container.NewBorder(
		container.NewVBox(widget.NewLabelWithStyle("Members", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewBorder(nil, nil, nil, container.NewHBox(e.addMember, e.removeMember), e.newMember),
			e.memberError),
		nil, nil, nil, e.memberList)
	e.view = container.NewBorder(
		container.NewVBox(e.title, e.form.Rows("name"), e.form.Buttons()),
		nil, nil, nil, members)
	e.load()
	return e
}

func (e *groupEditor) load() {
	e.form.Load(func() { e.name.SetText(e.group.GetName()) })
	if e.group == nil {
		e.newMember.Disable()
		e.addMember.Disable()
		e.memberError.SetText("Save the group before adding members.")
		e.memberError.Importance = widget.MediumImportance
		e.memberError.Show()
		return
	}
	e.title.SetText(e.group.GetName())
	e.name.Disable()
	e.newMember.Enable()
	e.addMember.Enable()
	e.memberError.Importance = widget.DangerImportance
	e.hideError()
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := e.session.Client.Groups.ListGroupMembers(ctx, connect.NewRequest(&adminv1.ListGroupMembersRequest{GroupId: e.group.GetId()}))
	if err != nil {
		e.showError(err)
		return
	}
	e.show(resp.Msg)
}

// show lists the members' addresses, asking the server for each account.
func (e *groupEditor) show(resp *adminv1.ListGroupMembersResponse) {
	ctx, cancel := pageCallContext()
	defer cancel()
	e.members = e.members[:0]
	for _, id := range resp.GetAccountIds() {
		address := fmt.Sprintf("account %d", id)
		if a, err := e.session.Client.Accounts.GetAccount(ctx, connect.NewRequest(&adminv1.GetAccountRequest{Id: id})); err == nil {
			address = a.Msg.GetAddress()
		}
		e.members = append(e.members, groupMember{id: id, address: address})
	}
	sort.Slice(e.members, func(i, j int) bool { return e.members[i].address < e.members[j].address })
	e.memberList.UnselectAll()
	e.memberList.Refresh()
}

func (e *groupEditor) showError(err error) {
	e.memberError.SetText(errorText(err))
	e.memberError.Show()
}

func (e *groupEditor) hideError() {
	e.memberError.SetText("")
	e.memberError.Hide()
}

func (e *groupEditor) save() error {
	name := strings.TrimSpace(e.name.Text)
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := e.session.Client.Groups.CreateGroup(ctx, connect.NewRequest(&adminv1.Group{Name: name}))
	if err != nil {
		return err
	}
	e.group = resp.Msg
	e.load()
	return nil
}

// add adds the account typed in as a member.
func (e *groupEditor) add() {
	address := strings.TrimSpace(e.newMember.Text)
	if e.group == nil || address == "" {
		return
	}
	e.hideError()
	ctx, cancel := pageCallContext()
	defer cancel()
	a, err := e.session.Client.Accounts.GetAccount(ctx, connect.NewRequest(&adminv1.GetAccountRequest{Address: address}))
	if err != nil {
		if connect.CodeOf(err) == connect.CodeNotFound {
			e.memberError.SetText("There is no account " + address + ".")
			e.memberError.Show()
			return
		}
		e.showError(err)
		return
	}
	resp, err := e.session.Client.Groups.AddGroupMember(ctx, connect.NewRequest(&adminv1.GroupMemberRequest{GroupId: e.group.GetId(), AccountId: a.Msg.GetId()}))
	if err != nil {
		e.showError(err)
		return
	}
	e.newMember.SetText("")
	e.show(resp.Msg)
}

func (e *groupEditor) confirmRemove() {
	if e.group == nil || e.memberSel < 0 || e.memberSel >= len(e.members) {
		return
	}
	m := e.members[e.memberSel]
	remove := func() {
		e.hideError()
		ctx, cancel := pageCallContext()
		defer cancel()
		resp, err := e.session.Client.Groups.RemoveGroupMember(ctx, connect.NewRequest(&adminv1.GroupMemberRequest{GroupId: e.group.GetId(), AccountId: m.id}))
		if err != nil {
			e.showError(err)
			return
		}
		e.show(resp.Msg)
	}
	if e.window == nil {
		remove()
		return
	}
	confirmRemoval(e.window, m.address+" from the group "+e.group.GetName(), remove)
}
