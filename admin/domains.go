package admin

import (
	"context"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// The Domains subtree's node ids: "domains", "domains/<id>" for a domain,
// and "domains/<id>/accounts", ".../aliases", ".../lists" under it.
const domainsNode = "domains"

// OnDomainsChanged, when set by the shell, is called after a domain is
// added, renamed or deleted, so the tree can rebuild the Domains subtree.
var OnDomainsChanged func()

func init() {
	Pages[domainsNode] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject { return newDomainsPage(s, w).stack }
	Pages[domainsNode+"/"] = domainNodePage
	Subtrees[domainsNode] = domainSubtree
}

// domainSubtree lists the children of a node of the Domains subtree: the
// domains, and under each its Accounts, Aliases and Distribution lists.
func domainSubtree(s *Session, parent string) []Node {
	if parent == domainsNode {
		ctx, cancel := pageCallContext()
		defer cancel()
		resp, err := s.Client.Domains.ListDomains(ctx, connect.NewRequest(&adminv1.ListDomainsRequest{}))
		if err != nil {
			return nil
		}
		var nodes []Node
		for _, d := range resp.Msg.GetDomains() {
			nodes = append(nodes, Node{ID: domainsNode + "/" + numberText(d.GetId()), Title: d.GetName(), Branch: true})
		}
		return nodes
	}
	if _, kind, ok := parseDomainNode(parent); !ok || kind != "" {
		return nil
	}
	return []Node{
		{ID: parent + "/accounts", Title: "Accounts"},
		{ID: parent + "/aliases", Title: "Aliases"},
		{ID: parent + "/lists", Title: "Distribution lists"},
	}
}

// parseDomainNode splits "domains/<id>" and "domains/<id>/<kind>".
func parseDomainNode(id string) (domainID int64, kind string, ok bool) {
	rest, ok := strings.CutPrefix(id, domainsNode+"/")
	if !ok {
		return 0, "", false
	}
	number, kind, _ := strings.Cut(rest, "/")
	domainID, err := strconv.ParseInt(number, 10, 64)
	if err != nil || domainID <= 0 {
		return 0, "", false
	}
	return domainID, kind, true
}

// domainNodePage builds the page of a node below "domains".
func domainNodePage(s *Session, w fyne.Window, id string) fyne.CanvasObject {
	domainID, kind, ok := parseDomainNode(id)
	if !ok {
		return widget.NewLabel("No such domain node: " + id)
	}
	switch kind {
	case "":
		return newDomainPage(s, w, domainID)
	case "accounts":
		return newAccountsPage(s, w, domainID).stack
	case "aliases":
		return newAliasesPage(s, w, domainID).stack
	case "lists":
		return newListsPage(s, w, domainID).stack
	}
	return widget.NewLabel("No such domain node: " + id)
}

func domainsChanged() {
	if OnDomainsChanged != nil {
		OnDomainsChanged()
	}
}

// domainsPage is the Domains node's page: the list of domains with Add,
// Edit and Delete, as hMailServer Administrator's Domains page.
type domainsPage struct {
	session *Session
	window  fyne.Window
	stack   *pageStack

	domains  []*adminv1.Domain
	selected int
	list     *widget.List
	status   *widget.Label
	edit     *widget.Button
	remove   *widget.Button
	editor   *domainEditor // the editor shown, if any
	listView fyne.CanvasObject
}

func newDomainsPage(s *Session, w fyne.Window) *domainsPage {
	p := &domainsPage{session: s, window: w, selected: -1}
	p.list = widget.NewList(
		func() int { return len(p.domains) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			d := p.domains[i]
			text := d.GetName()
			if !d.GetActive() {
				text += " (inactive)"
			}
			o.(*widget.Label).SetText(text)
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.edit.Enable(); p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.selected = -1; p.edit.Disable(); p.remove.Disable() }
	p.status = widget.NewLabel("")
	add := widget.NewButton("Add...", func() { p.openEditor(nil) })
	p.edit = widget.NewButton("Edit...", func() {
		if p.selected >= 0 {
			p.openEditor(p.domains[p.selected])
		}
	})
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.edit.Disable()
	p.remove.Disable()

	view := container.NewBorder(
		container.NewVBox(editorTitle("Domains"), p.status),
		container.NewHBox(layout.NewSpacer(), add, p.edit, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(view)
	p.listView = view
	p.reload()
	return p
}

// reload reads the domains from the server.
func (p *domainsPage) reload() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Domains.ListDomains(ctx, connect.NewRequest(&adminv1.ListDomainsRequest{}))
	if err != nil {
		p.status.SetText("Could not read the domains: " + errorText(err))
		return
	}
	p.domains = resp.Msg.GetDomains()
	p.status.SetText(countText(len(p.domains), "domain", "domains"))
	p.list.UnselectAll()
	p.list.Refresh()
}

// openEditor shows the domain editor in place of the list; d nil adds a
// domain.
func (p *domainsPage) openEditor(d *adminv1.Domain) {
	p.editor = newDomainEditor(p.session, p.window, d)
	back := widget.NewButton("Back to the domains", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.editor.onSaved = func(*adminv1.Domain) { domainsChanged() }
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *domainsPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *domainsPage) confirmDelete() {
	if p.selected < 0 {
		return
	}
	d := p.domains[p.selected]
	confirmRemoval(p.window, "the domain "+d.GetName()+" with all its accounts, aliases and lists", func() { p.deleteDomain(d) })
}

// deleteDomain deletes the domain behind a progress dialog: the server
// deletes every account's files, which may take long.
func (p *domainsPage) deleteDomain(d *adminv1.Domain) {
	runLong(p.window, "Deleting the domain "+d.GetName()+"…", func(ctx context.Context) error {
		_, err := p.session.Client.Domains.DeleteDomain(ctx, connect.NewRequest(&adminv1.DeleteDomainRequest{Id: d.GetId()}))
		return err
	}, func(err error) {
		showLongResult(p.window, err)
		p.reload()
		domainsChanged()
	})
}

// newDomainPage is the page of one domain's tree node: its editor.
func newDomainPage(s *Session, w fyne.Window, domainID int64) fyne.CanvasObject {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := s.Client.Domains.GetDomain(ctx, connect.NewRequest(&adminv1.GetDomainRequest{Id: domainID}))
	if err != nil {
		return widget.NewLabel("Could not read the domain: " + errorText(err))
	}
	e := newDomainEditor(s, w, resp.Msg)
	e.onSaved = func(*adminv1.Domain) { domainsChanged() }
	return newPageStack(e.view, e.form)
}

// plusCharacters are the characters plus addressing may use (manual:
// Domain → Advanced → Plus addressing).
var plusCharacters = []string{"+", "-", "_", "%"}

// domainEditor edits one domain in the tabs of hMailServer's domain page:
// General, Names, Limits and Advanced.
type domainEditor struct {
	session *Session
	window  fyne.Window
	domain  *adminv1.Domain // nil until a new domain is saved
	onSaved func(*adminv1.Domain)

	form                                    *Form
	name, catchAll                          *widget.Entry
	maxSize, maxMessageSize, maxAccountSize *widget.Entry
	maxAccounts, maxAliases, maxLists       *widget.Entry
	active, plusAddressing                  *widget.Check
	plusCharacter                           *widget.Select
	tabs                                    *container.AppTabs
	names                                   *domainNames
	namesTab                                *container.TabItem
	view                                    fyne.CanvasObject
}

func newDomainEditor(s *Session, w fyne.Window, d *adminv1.Domain) *domainEditor {
	e := &domainEditor{session: s, window: w, domain: d}
	f := NewForm(e.save, e.load)
	e.form = f
	e.name = f.Entry("name", "Domain name")
	e.active = f.Check("active", "Enabled")
	e.maxSize = f.Entry("max_size_mb", "Maximum size (MB)")
	e.maxMessageSize = f.Entry("max_message_size_kb", "Maximum message size (KB)")
	e.maxAccountSize = f.Entry("max_account_size_mb", "Maximum size of accounts (MB)")
	e.maxAccounts = f.Entry("max_accounts", "Maximum number of accounts")
	e.maxAliases = f.Entry("max_aliases", "Maximum number of aliases")
	e.maxLists = f.Entry("max_lists", "Maximum number of distribution lists")
	e.catchAll = f.Entry("catch_all_address", "Catch-all address")
	e.plusAddressing = f.Check("plus_addressing", "Plus addressing")
	e.plusCharacter = f.Select("plus_addressing_char", "Character", plusCharacters)

	e.names = newDomainNames(s, w)
	e.namesTab = container.NewTabItem("Names", e.names.view)
	general := container.NewTabItem("General", f.Rows("name", "active"))
	limits := container.NewTabItem("Limits", container.NewBorder(nil, widget.NewLabel("0 means no limit."), nil, nil,
		f.Rows("max_size_mb", "max_message_size_kb", "max_account_size_mb", "max_accounts", "max_aliases", "max_lists")))
	advanced := container.NewTabItem("Advanced", f.Rows("catch_all_address", "plus_addressing", "plus_addressing_char"))
	e.tabs = container.NewAppTabs(general, e.namesTab, limits, advanced)
	tabOf := map[string]*container.TabItem{
		"name": general, "active": general,
		"max_size_mb": limits, "max_message_size_kb": limits, "max_account_size_mb": limits,
		"max_accounts": limits, "max_aliases": limits, "max_lists": limits,
		"catch_all_address": advanced, "plus_addressing": advanced, "plus_addressing_char": advanced,
	}
	f.Reveal = func(field string) {
		if tab, ok := tabOf[field]; ok {
			e.tabs.Select(tab)
		}
	}
	title := "New domain"
	if d != nil {
		title = d.GetName()
	}
	e.view = container.NewBorder(editorTitle(title), f.Buttons(), nil, nil, e.tabs)
	e.load()
	return e
}

// load shows the domain's saved values (a new domain's defaults).
func (e *domainEditor) load() {
	d := e.domain
	if d == nil {
		d = &adminv1.Domain{Active: true, PlusAddressingChar: "+"}
	}
	e.form.Load(func() {
		e.name.SetText(d.GetName())
		e.active.SetChecked(d.GetActive())
		e.maxSize.SetText(numberText(d.GetMaxSizeMb()))
		e.maxMessageSize.SetText(numberText(d.GetMaxMessageSizeKb()))
		e.maxAccountSize.SetText(numberText(d.GetMaxAccountSizeMb()))
		e.maxAccounts.SetText(numberText(d.GetMaxAccounts()))
		e.maxAliases.SetText(numberText(d.GetMaxAliases()))
		e.maxLists.SetText(numberText(d.GetMaxLists()))
		e.catchAll.SetText(d.GetCatchAllAddress())
		e.plusAddressing.SetChecked(d.GetPlusAddressing())
		char := d.GetPlusAddressingChar()
		if char == "" {
			char = "+"
		}
		e.plusCharacter.SetSelected(char)
	})
	e.names.setDomain(e.domain)
}

// save creates or updates the domain.
func (e *domainEditor) save() error {
	d := &adminv1.Domain{
		Name:               strings.TrimSpace(e.name.Text),
		Active:             e.active.Checked,
		CatchAllAddress:    strings.TrimSpace(e.catchAll.Text),
		PlusAddressing:     e.plusAddressing.Checked,
		PlusAddressingChar: e.plusCharacter.Selected,
	}
	if e.domain != nil {
		d.Id = e.domain.GetId()
	}
	var err error
	for _, limit := range []struct {
		entry *widget.Entry
		field string
		value *int32
	}{
		{e.maxSize, "max_size_mb", &d.MaxSizeMb},
		{e.maxMessageSize, "max_message_size_kb", &d.MaxMessageSizeKb},
		{e.maxAccountSize, "max_account_size_mb", &d.MaxAccountSizeMb},
		{e.maxAccounts, "max_accounts", &d.MaxAccounts},
		{e.maxAliases, "max_aliases", &d.MaxAliases},
		{e.maxLists, "max_lists", &d.MaxLists},
	} {
		if *limit.value, err = wholeNumber(limit.entry, limit.field); err != nil {
			return err
		}
	}
	ctx, cancel := pageCallContext()
	defer cancel()
	var resp *connect.Response[adminv1.Domain]
	if e.domain == nil {
		resp, err = e.session.Client.Domains.CreateDomain(ctx, connect.NewRequest(d))
	} else {
		resp, err = e.session.Client.Domains.UpdateDomain(ctx, connect.NewRequest(d))
	}
	if err != nil {
		return err
	}
	e.domain = resp.Msg
	e.load()
	if e.onSaved != nil {
		e.onSaved(e.domain)
	}
	return nil
}

// domainNames is the Names tab: the domain's alias names, added and
// removed at once (manual: Domain → Names).
type domainNames struct {
	session  *Session
	window   fyne.Window
	domain   *adminv1.Domain
	aliases  []*adminv1.DomainAlias
	selected int

	list   *widget.List
	entry  *widget.Entry
	error  *widget.Label
	add    *widget.Button
	remove *widget.Button
	view   *fyne.Container
}

func newDomainNames(s *Session, w fyne.Window) *domainNames {
	n := &domainNames{session: s, window: w, selected: -1}
	n.list = widget.NewList(
		func() int { return len(n.aliases) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(n.aliases[i].GetName()) })
	n.list.OnSelected = func(i widget.ListItemID) { n.selected = i; n.remove.Enable() }
	n.list.OnUnselected = func(widget.ListItemID) { n.selected = -1; n.remove.Disable() }
	n.entry = widget.NewEntry()
	n.entry.SetPlaceHolder("another name of the domain, e.g. example.net")
	n.entry.OnSubmitted = func(string) { n.addName() }
	n.error = widget.NewLabel("")
	n.error.Importance = widget.DangerImportance
	n.error.Wrapping = fyne.TextWrapWord
	n.error.Hide()
	n.add = widget.NewButton("Add", n.addName)
	n.remove = widget.NewButton("Remove", n.confirmRemove)
	n.remove.Disable()
	n.view = container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, nil, n.add, n.entry), n.error),
		container.NewHBox(layout.NewSpacer(), n.remove), nil, nil, n.list)
	return n
}

// setDomain shows d's names; a domain not yet saved has none and cannot
// get any.
func (n *domainNames) setDomain(d *adminv1.Domain) {
	n.domain = d
	n.aliases = nil
	if d == nil {
		n.entry.Disable()
		n.add.Disable()
		n.entry.SetPlaceHolder("save the domain first")
		n.list.Refresh()
		return
	}
	n.entry.Enable()
	n.add.Enable()
	n.reload()
}

func (n *domainNames) reload() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := n.session.Client.Domains.ListDomainAliases(ctx, connect.NewRequest(&adminv1.ListDomainAliasesRequest{DomainId: n.domain.GetId()}))
	if err != nil {
		n.showError(err)
		return
	}
	n.aliases = resp.Msg.GetAliases()
	n.list.UnselectAll()
	n.list.Refresh()
}

func (n *domainNames) showError(err error) {
	n.error.SetText(errorText(err))
	n.error.Show()
	n.view.Refresh()
}

func (n *domainNames) hideError() {
	if n.error.Visible() {
		n.error.Hide()
		n.view.Refresh()
	}
}

func (n *domainNames) addName() {
	if n.domain == nil {
		return
	}
	n.hideError()
	ctx, cancel := pageCallContext()
	defer cancel()
	_, err := n.session.Client.Domains.AddDomainAlias(ctx, connect.NewRequest(&adminv1.DomainAlias{
		DomainId: n.domain.GetId(), Name: strings.TrimSpace(n.entry.Text)}))
	if err != nil {
		n.showError(err)
		return
	}
	n.entry.SetText("")
	n.reload()
}

func (n *domainNames) confirmRemove() {
	if n.selected < 0 {
		return
	}
	alias := n.aliases[n.selected]
	confirmRemoval(n.window, "the name "+alias.GetName(), func() { n.removeName(alias) })
}

func (n *domainNames) removeName(alias *adminv1.DomainAlias) {
	ctx, cancel := pageCallContext()
	defer cancel()
	if _, err := n.session.Client.Domains.RemoveDomainAlias(ctx, connect.NewRequest(&adminv1.RemoveDomainAliasRequest{Id: alias.GetId()})); err != nil {
		n.showError(err)
		return
	}
	n.reload()
}

// countText is "1 domain" or "3 domains".
func countText(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return numberText(n) + " " + many
}
