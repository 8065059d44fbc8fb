package admin

import (
	"context"
	"strings"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// aliasesPage is a domain's Aliases node: the aliases, paged through the
// RPC, with a search box, Add, Edit and Delete (manual: Aliases).
type aliasesPage struct {
	session  *Session
	window   fyne.Window
	domainID int64
	stack    *pageStack
	listView fyne.CanvasObject

	pager    *pager[*adminv1.Alias]
	selected int
	list     *widget.List
	search   *widget.Entry
	status   *widget.Label
	edit     *widget.Button
	remove   *widget.Button
	editor   *aliasEditor // the editor shown, if any
}

func newAliasesPage(s *Session, w fyne.Window, domainID int64) *aliasesPage {
	p := &aliasesPage{session: s, window: w, domainID: domainID, selected: -1}
	p.pager = newPager(func(ctx context.Context, filter string, limit, offset int) ([]*adminv1.Alias, int, error) {
		resp, err := s.Client.Aliases.ListAliases(ctx, connect.NewRequest(&adminv1.ListAliasesRequest{
			DomainId: domainID, Filter: filter, Limit: int32(limit), Offset: int32(offset)}))
		if err != nil {
			return nil, 0, err
		}
		return resp.Msg.GetAliases(), int(resp.Msg.GetTotal()), nil
	}, func() { p.refresh() })
	p.list = widget.NewList(
		p.pager.Len,
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			label := o.(*widget.Label)
			a, ok := p.pager.Row(i)
			if !ok {
				label.SetText("Loading...")
				return
			}
			text := a.GetAddress() + " → " + a.GetTarget()
			if !a.GetActive() {
				text += " - inactive"
			}
			label.SetText(text)
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.edit.Enable(); p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.unselect() }
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search addresses")
	p.search.OnChanged = func(string) { p.reload() }
	p.status = widget.NewLabel("")
	add := widget.NewButton("Add...", func() { p.openEditor(nil) })
	p.edit = widget.NewButton("Edit...", func() {
		if a, ok := p.selectedAlias(); ok {
			p.openEditor(a)
		}
	})
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.unselect()
	p.listView = container.NewBorder(
		container.NewVBox(editorTitle("Aliases"), p.search, p.status),
		container.NewHBox(layout.NewSpacer(), add, p.edit, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(p.listView)
	p.reload()
	return p
}

// selectedAlias is the alias selected in the list, if its page is at hand.
func (p *aliasesPage) selectedAlias() (*adminv1.Alias, bool) {
	if p.selected < 0 {
		return nil, false
	}
	return p.pager.Row(p.selected)
}

func (p *aliasesPage) unselect() {
	p.selected = -1
	p.edit.Disable()
	p.remove.Disable()
}

// reload drops the cached pages and reads the list again for the search
// box's text.
func (p *aliasesPage) reload() {
	p.list.UnselectAll()
	p.unselect()
	p.pager.Reset(strings.TrimSpace(p.search.Text))
	p.refresh()
}

// refresh shows the rows fetched so far and the count.
func (p *aliasesPage) refresh() {
	if err := p.pager.Err(); err != nil {
		p.status.SetText("Could not read the aliases: " + errorText(err))
	} else {
		p.status.SetText(countText(p.pager.Len(), "alias", "aliases"))
	}
	p.list.Refresh()
}

func (p *aliasesPage) openEditor(a *adminv1.Alias) {
	p.editor = newAliasEditor(p.session, p.domainID, a)
	back := widget.NewButton("Back to the aliases", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *aliasesPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *aliasesPage) confirmDelete() {
	a, ok := p.selectedAlias()
	if !ok {
		return
	}
	confirmRemoval(p.window, "the alias "+a.GetAddress(), func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		if _, err := p.session.Client.Aliases.DeleteAlias(ctx, connect.NewRequest(&adminv1.DeleteAliasRequest{Id: a.GetId()})); err != nil {
			showPageError(p.window, err)
			return
		}
		p.reload()
	})
}

// aliasEditor edits one alias: its address, where it points, and whether
// it is enabled.
type aliasEditor struct {
	session  *Session
	domainID int64
	alias    *adminv1.Alias // nil until a new alias is saved

	form            *Form
	address, target *widget.Entry
	active          *widget.Check
	view            fyne.CanvasObject
}

func newAliasEditor(s *Session, domainID int64, a *adminv1.Alias) *aliasEditor {
	e := &aliasEditor{session: s, domainID: domainID, alias: a}
	e.form = NewForm(e.save, e.load)
	e.address = e.form.Entry("address", "Redirect from")
	e.target = e.form.Entry("target", "To")
	e.active = e.form.Check("active", "Enabled")
	title := "New alias"
	if a != nil {
		title = a.GetAddress()
	}
	e.view = container.NewBorder(editorTitle(title), e.form.Buttons(), nil, nil,
		container.NewVScroll(e.form.Rows("address", "target", "active")))
	e.load()
	return e
}

func (e *aliasEditor) load() {
	a := e.alias
	if a == nil {
		a = &adminv1.Alias{Active: true}
	}
	e.form.Load(func() {
		e.address.SetText(a.GetAddress())
		e.target.SetText(a.GetTarget())
		e.active.SetChecked(a.GetActive())
	})
}

func (e *aliasEditor) save() error {
	a := &adminv1.Alias{DomainId: e.domainID, Address: strings.TrimSpace(e.address.Text),
		Target: strings.TrimSpace(e.target.Text), Active: e.active.Checked}
	ctx, cancel := pageCallContext()
	defer cancel()
	var resp *connect.Response[adminv1.Alias]
	var err error
	if e.alias == nil {
		resp, err = e.session.Client.Aliases.CreateAlias(ctx, connect.NewRequest(a))
	} else {
		a.Id = e.alias.GetId()
		resp, err = e.session.Client.Aliases.UpdateAlias(ctx, connect.NewRequest(a))
	}
	if err != nil {
		return err
	}
	e.alias = resp.Msg
	e.load()
	return nil
}
