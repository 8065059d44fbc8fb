package admin

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/rpc"
	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func init() {
	Pages["settings/protocols/imap/publicfolders"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject {
		return newPublicFoldersPage(s, w).stack
	}
}

// folderRight is one RFC 4314 right as hMailServer Administrator's folder
// permissions dialog names it.
type folderRight struct {
	letter rune
	label  string
}

// folderRightColumns are the rights in the three columns of hMailServer
// Administrator's permissions dialog (formFolderPermissions), in its words.
// "Post" has no check box there; hMailServer's API calls it
// ePermissionPost, and RFC 4314 gives it the letter p.
var folderRightColumns = [][]folderRight{
	{{'l', "Lookup"}, {'r', "Read"}, {'k', "Create mailbox"}, {'x', "Delete mailbox"}},
	{{'a', "Administer"}, {'i', "Insert mail"}, {'p', "Post"}, {'e', "Expunge"}},
	{{'s', "Keep seen flag"}, {'t', "Keep deleted flag"}, {'w', "Keep other flags"}},
}

// allFolderRights are the RFC 4314 letters in the order the server keeps
// them (store.AllRights).
const allFolderRights = "lrswipkxtea"

// folderRightLabel returns the name of an RFC 4314 right, or the letter
// itself for one this page does not know.
func folderRightLabel(letter rune) string {
	for _, column := range folderRightColumns {
		for _, r := range column {
			if r.letter == letter {
				return r.label
			}
		}
	}
	return string(letter)
}

// folderRightsText names the rights of an RFC 4314 rights string, in the
// order of allFolderRights.
func folderRightsText(rights string) string {
	if rights == "" {
		return "No permissions"
	}
	var names []string
	for _, letter := range allFolderRights {
		if strings.ContainsRune(rights, letter) {
			names = append(names, folderRightLabel(letter))
		}
	}
	for _, letter := range rights {
		if !strings.ContainsRune(allFolderRights, letter) {
			names = append(names, string(letter))
		}
	}
	return strings.Join(names, ", ")
}

// Kinds of permission identifier, as the Who choice names them.
const (
	identifierAnyone  = "Anyone"
	identifierAccount = "Account"
	identifierGroup   = "Group"
)

// identifierKind splits an ACL identifier ("anyone", an address, "$" and a
// group's name) into the kind shown and the account or group it names.
func identifierKind(identifier string) (kind, object string) {
	switch {
	case strings.EqualFold(identifier, "anyone"):
		return identifierAnyone, ""
	case strings.HasPrefix(identifier, "$"):
		return identifierGroup, identifier[1:]
	}
	return identifierAccount, identifier
}

// topLevelOption is the folder choice meaning "no parent".
const topLevelOption = "(top level)"

// publicFoldersPage is Settings → Protocols → IMAP → Public folders: the
// tree of public folders with Add, Rename and Delete, and the permissions
// of the selected folder (manual: IMAP, Public Folders, Edit Folders).
type publicFoldersPage struct {
	session  *Session
	window   fyne.Window
	stack    *pageStack
	listView fyne.CanvasObject

	folders   map[int64]*adminv1.Folder
	children  map[int64][]int64 // by parent id, 0 for the top level; sorted by name
	selected  int64             // 0: no folder selected
	reverting bool              // the tree's selection is being put back

	tree    *widget.Tree
	status  *widget.Label
	message *widget.Label // why a folder action failed
	rename  *widget.Button
	remove  *widget.Button

	permissions *folderPermissions
	editor      *folderEditor
}

func newPublicFoldersPage(s *Session, w fyne.Window) *publicFoldersPage {
	p := &publicFoldersPage{session: s, window: w}
	p.tree = widget.NewTree(p.childUIDs, p.isBranch,
		func(bool) fyne.CanvasObject { return widget.NewLabel("") },
		func(uid widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(p.nodeTitle(uid))
		})
	p.tree.OnSelected = p.treeSelected
	p.status = widget.NewLabel("")
	p.message = newMessageLabel()
	add := widget.NewButton("Add folder...", func() { p.openEditor(0) })
	p.rename = widget.NewButton("Rename...", func() { p.openEditor(p.selected) })
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.permissions = newFolderPermissions(s, w)

	note := widget.NewLabel("IMAP clients see these folders under the public folder name of the IMAP settings.")
	note.Wrapping = fyne.TextWrapWord
	folders := container.NewBorder(
		p.status,
		container.NewVBox(p.message, container.NewHBox(layout.NewSpacer(), add, p.rename, p.remove)),
		nil, nil, p.tree)
	split := container.NewHSplit(folders, p.permissions.view)
	split.Offset = 0.35
	p.listView = container.NewBorder(container.NewVBox(pageHeading("Public folders"), note), nil, nil, nil, split)
	p.stack = newPageStack(p.listView, p.permissions.form)
	p.reload(0)
	return p
}

// reload lists the folders again and selects the folder id (0: none).
func (p *publicFoldersPage) reload(id int64) {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.PublicFolders.ListPublicFolders(ctx, connect.NewRequest(&adminv1.ListPublicFoldersRequest{}))
	if err != nil {
		p.status.SetText("Could not read the public folders: " + errorText(err))
		return
	}
	p.folders = map[int64]*adminv1.Folder{}
	p.children = map[int64][]int64{}
	for _, f := range resp.Msg.GetFolders() {
		p.folders[f.GetId()] = f
	}
	for _, f := range resp.Msg.GetFolders() {
		parent := f.GetParentId()
		if _, ok := p.folders[parent]; !ok {
			parent = 0
		}
		p.children[parent] = append(p.children[parent], f.GetId())
	}
	for _, ids := range p.children {
		sort.Slice(ids, func(i, j int) bool {
			return strings.ToLower(p.folders[ids[i]].GetName()) < strings.ToLower(p.folders[ids[j]].GetName())
		})
	}
	p.status.SetText(countText(len(p.folders), "public folder", "public folders"))
	p.tree.Refresh()
	p.tree.OpenAllBranches()
	if _, ok := p.folders[id]; !ok {
		id = 0
	}
	p.reverting = true
	if id == 0 {
		p.tree.UnselectAll()
	} else {
		p.tree.Select(folderUID(id))
	}
	p.reverting = false
	p.showFolder(id)
}

func folderUID(id int64) widget.TreeNodeID { return strconv.FormatInt(id, 10) }

func folderID(uid widget.TreeNodeID) int64 {
	id, _ := strconv.ParseInt(uid, 10, 64)
	return id
}

func (p *publicFoldersPage) childUIDs(uid widget.TreeNodeID) []widget.TreeNodeID {
	ids := p.children[folderID(uid)]
	uids := make([]widget.TreeNodeID, len(ids))
	for i, id := range ids {
		uids[i] = folderUID(id)
	}
	return uids
}

func (p *publicFoldersPage) isBranch(uid widget.TreeNodeID) bool {
	return uid == "" || len(p.children[folderID(uid)]) > 0
}

// nodeTitle is a folder's name and how many messages it holds.
func (p *publicFoldersPage) nodeTitle(uid widget.TreeNodeID) string {
	f, ok := p.folders[folderID(uid)]
	if !ok {
		return ""
	}
	return f.GetName() + " (" + countText(int(f.GetMessages()), "message", "messages") + ")"
}

// path is a folder's name below its ancestors', "Sales / Europe".
func (p *publicFoldersPage) path(id int64) string {
	var names []string
	for seen := 0; id != 0 && seen <= len(p.folders); seen++ {
		f, ok := p.folders[id]
		if !ok {
			break
		}
		names = append([]string{f.GetName()}, names...)
		id = f.GetParentId()
	}
	return strings.Join(names, " / ")
}

// within reports whether folder id is ancestor or one of its subfolders.
func (p *publicFoldersPage) within(id, ancestor int64) bool {
	for seen := 0; id != 0 && seen <= len(p.folders); seen++ {
		if id == ancestor {
			return true
		}
		id = p.folders[id].GetParentId()
	}
	return false
}

// treeSelected shows the permissions of the folder chosen in the tree,
// after asking when the permissions shown have unsaved changes.
func (p *publicFoldersPage) treeSelected(uid widget.TreeNodeID) {
	id := folderID(uid)
	if p.reverting || id == p.selected {
		return
	}
	previous := p.selected
	askDiscard(p.window, p.permissions.form.Changed(), func() { p.showFolder(id) }, func() {
		p.reverting = true
		defer func() { p.reverting = false }()
		if previous == 0 {
			p.tree.UnselectAll()
		} else {
			p.tree.Select(folderUID(previous))
		}
	})
}

// showFolder makes id the selected folder (0: none) and shows its
// permissions.
func (p *publicFoldersPage) showFolder(id int64) {
	p.selected = id
	p.hideMessage()
	if id == 0 {
		p.rename.Disable()
		p.remove.Disable()
		p.permissions.show(0, "")
		return
	}
	p.rename.Enable()
	p.remove.Enable()
	p.permissions.show(id, p.path(id))
}

func (p *publicFoldersPage) showMessage(text string) { showMessageLabel(p.message, text) }
func (p *publicFoldersPage) hideMessage()            { showMessageLabel(p.message, "") }

// newMessageLabel returns a hidden red label for what went wrong.
func newMessageLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// showMessageLabel shows text in l, or hides l when text is empty.
func showMessageLabel(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// hasSubfoldersText says why a folder cannot be deleted.
func hasSubfoldersText(path string) string {
	return "The folder " + path + " has subfolders: delete them first."
}

// confirmDelete deletes the selected folder and its messages after asking.
// A folder with subfolders is not deleted (the server refuses it too).
func (p *publicFoldersPage) confirmDelete() {
	f, ok := p.folders[p.selected]
	if !ok {
		return
	}
	path := p.path(f.GetId())
	p.hideMessage()
	if len(p.children[f.GetId()]) > 0 {
		p.showMessage(hasSubfoldersText(path))
		return
	}
	remove := func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		_, err := p.session.Client.PublicFolders.DeletePublicFolder(ctx, connect.NewRequest(&adminv1.DeletePublicFolderRequest{Id: f.GetId()}))
		switch {
		case connect.CodeOf(err) == connect.CodeFailedPrecondition:
			p.reload(f.GetId())
			p.showMessage(hasSubfoldersText(path))
		case err != nil:
			p.showMessage(errorText(err))
		default:
			p.reload(f.GetParentId())
		}
	}
	if p.window == nil {
		remove()
		return
	}
	what := "the public folder " + path
	if n := f.GetMessages(); n > 0 {
		what += " and its " + countText(int(n), "message", "messages")
	}
	confirmRemoval(p.window, what, remove)
}

// openEditor shows the editor of a new folder (id 0; it goes below the
// selected folder) or of folder id, to rename or move it.
func (p *publicFoldersPage) openEditor(id int64) {
	open := func() {
		p.permissions.form.Discard()
		p.editor = newFolderEditor(p, id)
		back := widget.NewButton("Back to the public folders", func() {
			confirmLeave(p.window, p.editor.form.Changed(), func() { p.showList(p.selected) })
		})
		p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
	}
	askDiscard(p.window, p.permissions.form.Changed(), open, nil)
}

// showList goes back from the editor to the tree, selecting folder id.
func (p *publicFoldersPage) showList(id int64) {
	p.editor = nil
	p.stack.ShowView(p.listView, p.permissions.form)
	p.reload(id)
}

// askDiscard runs leave at once when there are no unsaved changes, and
// otherwise after the user agrees to lose them; stay, if set, runs when
// the user does not.
func askDiscard(w fyne.Window, changed bool, leave, stay func()) {
	if !changed || w == nil {
		leave()
		return
	}
	dialog.ShowConfirm("Unsaved changes", "Discard the changes you have not saved?", func(ok bool) {
		if ok {
			leave()
		} else if stay != nil {
			stay()
		}
	}, w)
}

// renamedFields are the RPC's field names for what the folder editor
// calls "name" and "parent_id".
var renamedFields = map[string]string{"new_name": "name", "new_parent_id": "parent_id"}

// folderEditor creates a public folder, or renames and moves one.
type folderEditor struct {
	page   *publicFoldersPage
	folder *adminv1.Folder // nil for a new folder

	form    *Form
	name    *widget.Entry
	parent  *widget.Select
	parents map[string]int64 // the parent choices' folder ids
	view    fyne.CanvasObject
}

func newFolderEditor(p *publicFoldersPage, id int64) *folderEditor {
	e := &folderEditor{page: p, folder: p.folders[id], parents: map[string]int64{topLevelOption: 0}}
	e.form = NewForm(e.save, e.load)
	e.name = e.form.Entry("name", "Name")
	options := []string{topLevelOption}
	var ids []int64
	for fid := range p.folders {
		if e.folder == nil || !p.within(fid, id) {
			ids = append(ids, fid)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return strings.ToLower(p.path(ids[i])) < strings.ToLower(p.path(ids[j])) })
	for _, fid := range ids {
		options = append(options, p.path(fid))
		e.parents[p.path(fid)] = fid
	}
	title := "New public folder"
	parentLabel := "Create in"
	if e.folder != nil {
		title = "Rename " + p.path(id)
		parentLabel = "Parent folder"
	}
	e.parent = e.form.Select("parent_id", parentLabel, options)
	e.view = container.NewVBox(editorTitle(title), e.form.Rows("name", "parent_id"), e.form.Buttons())
	e.load()
	return e
}

// load puts the folder's name and parent in the fields; a new folder goes
// below the folder selected in the tree.
func (e *folderEditor) load() {
	e.form.Load(func() {
		parent := e.page.selected
		if e.folder != nil {
			e.name.SetText(e.folder.GetName())
			parent = e.folder.GetParentId()
		} else {
			e.name.SetText("")
		}
		choice := topLevelOption
		if parent != 0 {
			choice = e.page.path(parent)
		}
		e.parent.SetSelected(choice)
	})
}

func (e *folderEditor) save() error {
	name := strings.TrimSpace(e.name.Text)
	parent := e.parents[e.parent.Selected]
	ctx, cancel := pageCallContext()
	defer cancel()
	var saved *connect.Response[adminv1.Folder]
	var err error
	if e.folder == nil {
		saved, err = e.page.session.Client.PublicFolders.CreatePublicFolder(ctx, connect.NewRequest(&adminv1.CreatePublicFolderRequest{ParentId: parent, Name: name}))
	} else {
		saved, err = e.page.session.Client.PublicFolders.RenamePublicFolder(ctx, connect.NewRequest(&adminv1.RenamePublicFolderRequest{Id: e.folder.GetId(), NewParentId: parent, NewName: name}))
	}
	if err != nil {
		if fe, ok := rpc.FieldErrorOf(err); ok {
			if field, ok := renamedFields[fe.GetField()]; ok {
				return &inputError{field: field, message: fe.GetMessage()}
			}
		}
		return err
	}
	// The form is saved: Form.Save marks it unchanged after this returns,
	// and the tree shows the folder.
	e.form.Load(func() {})
	e.page.showList(saved.Msg.GetId())
	return nil
}

// folderPermissions is the Permissions part of the page: the entries of
// the selected folder, and the rights of the chosen entry as check boxes
// (hMailServer Administrator's folder permissions dialog).
type folderPermissions struct {
	session *Session
	window  fyne.Window
	folder  int64 // 0: no folder selected

	entries   []*adminv1.FolderPermission
	chosen    int  // index in entries, -1 for none
	adding    bool // the form holds a new entry
	reverting bool // the list's selection is being put back

	heading   *widget.Label
	list      *widget.List
	add       *widget.Button
	remove    *widget.Button
	message   *widget.Label
	entryFor  *widget.Label
	form      *Form
	kind      *widget.RadioGroup
	account   *widget.Entry
	group     *widget.Select
	checks    map[rune]*widget.Check
	selectAll *widget.Button
	clearAll  *widget.Button
	view      fyne.CanvasObject
}

func newFolderPermissions(s *Session, w fyne.Window) *folderPermissions {
	e := &folderPermissions{session: s, window: w, chosen: -1, checks: map[rune]*widget.Check{}}
	e.heading = widget.NewLabel("")
	e.heading.Wrapping = fyne.TextWrapWord
	e.list = widget.NewList(
		func() int { return len(e.entries) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(entryText(e.entries[i])) })
	e.list.OnSelected = e.listSelected
	e.add = widget.NewButton("Add...", e.startAdding)
	e.remove = widget.NewButton("Remove", e.confirmRemove)
	e.message = newMessageLabel()
	e.entryFor = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})

	e.form = NewForm(e.save, e.cancel)
	e.kind = widget.NewRadioGroup([]string{identifierAnyone, identifierAccount, identifierGroup}, func(string) {
		e.showKind()
		e.form.MarkChanged()
	})
	e.kind.Horizontal = true
	e.kind.Required = true
	e.account = widget.NewEntry()
	e.account.SetPlaceHolder("account address")
	e.account.OnChanged = func(string) { e.form.MarkChanged() }
	e.group = widget.NewSelect(nil, func(string) { e.form.MarkChanged() })
	e.group.PlaceHolder = "(choose a group)"
	e.form.add("identifier", "Who", container.NewVBox(e.kind, e.account, e.group))

	var columns []fyne.CanvasObject
	for _, column := range folderRightColumns {
		box := container.NewVBox()
		for _, r := range column {
			c := widget.NewCheck(r.label, func(bool) { e.form.MarkChanged() })
			e.checks[r.letter] = c
			box.Add(c)
		}
		columns = append(columns, box)
	}
	e.form.add("rights", "Permissions", container.NewGridWithColumns(len(columns), columns...))
	e.selectAll = widget.NewButton("Select all", func() { e.setAll(true) })
	e.clearAll = widget.NewButton("Select none", func() { e.setAll(false) })

	// Manual, IMAP → Public Folders: the order in which permissions apply.
	order := widget.NewLabel("An account's own permission is used first; otherwise that of its first group " +
		"that has one; otherwise Anyone's. A subfolder without permissions of its own has its parent's.")
	order.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(editorTitle("Permissions"), e.heading, order, e.message)
	editor := container.NewVBox(widget.NewSeparator(), e.entryFor, e.form.Rows("identifier", "rights"),
		container.NewHBox(e.selectAll, e.clearAll), e.form.Buttons())
	e.view = container.NewBorder(top, editor, nil, container.NewVBox(e.add, e.remove), e.list)
	e.show(0, "")
	return e
}

// entryText is one line of the permissions list.
func entryText(p *adminv1.FolderPermission) string {
	kind, object := identifierKind(p.GetIdentifier())
	if object != "" {
		kind += " " + object
	}
	return kind + ": " + folderRightsText(p.GetRights())
}

// show lists the permissions of folder id (0: none selected), called path.
func (e *folderPermissions) show(id int64, path string) {
	e.folder = id
	e.entries = nil
	e.hideMessage()
	if id == 0 {
		e.heading.SetText("Select a folder to see its permissions.")
		e.add.Disable()
		e.list.Refresh()
		e.choose(-1)
		return
	}
	e.heading.SetText("Permissions of " + path)
	e.add.Enable()
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := e.session.Client.PublicFolders.ListFolderPermissions(ctx, connect.NewRequest(&adminv1.ListFolderPermissionsRequest{FolderId: id}))
	if err != nil {
		e.showMessage("Could not read the permissions: " + errorText(err))
	} else {
		e.entries = resp.Msg.GetPermissions()
	}
	e.list.Refresh()
	e.choose(-1)
}

// listSelected shows the rights of the entry chosen in the list, after
// asking when the form has unsaved changes.
func (e *folderPermissions) listSelected(i widget.ListItemID) {
	if e.reverting || (i == e.chosen && !e.adding) {
		return
	}
	previous := e.chosen
	askDiscard(e.window, e.form.Changed(), func() { e.choose(i) }, func() {
		e.reverting = true
		defer func() { e.reverting = false }()
		if previous < 0 {
			e.list.UnselectAll()
		} else {
			e.list.Select(previous)
		}
	})
}

// choose loads entry i (-1: none) into the form.
func (e *folderPermissions) choose(i int) {
	if i >= len(e.entries) {
		i = -1
	}
	e.chosen = i
	e.adding = false
	e.reverting = true
	if i < 0 {
		e.list.UnselectAll()
	} else {
		e.list.Select(i)
	}
	e.reverting = false
	e.discard()
}

// startAdding clears the form for a new entry of the selected folder.
func (e *folderPermissions) startAdding() {
	if e.folder == 0 {
		return
	}
	askDiscard(e.window, e.form.Changed(), func() {
		e.choose(-1)
		e.adding = true
		e.loadGroups()
		e.discard()
	}, nil)
}

// cancel is the form's Discard: a new entry is dropped, a chosen entry's
// rights are put back.
func (e *folderPermissions) cancel() {
	e.adding = false
	e.discard()
}

// loadGroups offers the server's groups for a new group entry.
func (e *folderPermissions) loadGroups() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := e.session.Client.Groups.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{}))
	if err != nil {
		e.showMessage("Could not read the groups: " + errorText(err))
		return
	}
	var names []string
	for _, g := range resp.Msg.GetGroups() {
		names = append(names, g.GetName())
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	e.group.SetOptions(names)
}

// discard puts the chosen entry (or an empty new one) back in the fields
// and enables what can be edited.
func (e *folderPermissions) discard() {
	e.form.Load(func() {
		rights := ""
		kind, object := identifierAccount, ""
		switch {
		case e.chosen >= 0:
			rights = e.entries[e.chosen].GetRights()
			kind, object = identifierKind(e.entries[e.chosen].GetIdentifier())
		case !e.adding:
			kind = ""
		}
		e.kind.SetSelected(kind)
		e.account.SetText("")
		e.group.ClearSelected()
		switch kind {
		case identifierAccount:
			e.account.SetText(object)
		case identifierGroup:
			e.group.SetOptions([]string{object})
			e.group.SetSelected(object)
		}
		for letter, c := range e.checks {
			c.SetChecked(strings.ContainsRune(rights, letter))
		}
	})
	editable := e.chosen >= 0 || e.adding
	setEnabled(editable, e.selectAll, e.clearAll)
	for _, c := range e.checks {
		setEnabled(editable, c)
	}
	setEnabled(e.adding, e.kind, e.account, e.group)
	setEnabled(e.chosen >= 0, e.remove)
	switch {
	case e.adding:
		e.entryFor.SetText("New permission")
	case e.chosen >= 0:
		e.entryFor.SetText("Permissions for " + entryName(e.entries[e.chosen].GetIdentifier()))
	default:
		e.entryFor.SetText("Choose an entry, or Add... one.")
	}
	e.showKind()
}

// entryName is who an identifier stands for, in words.
func entryName(identifier string) string {
	kind, object := identifierKind(identifier)
	if kind == identifierAnyone {
		return "anyone"
	}
	return strings.ToLower(kind) + " " + object
}

// showKind shows the address entry or the group choice the kind needs.
func (e *folderPermissions) showKind() {
	e.account.Hide()
	e.group.Hide()
	switch e.kind.Selected {
	case identifierAccount:
		e.account.Show()
	case identifierGroup:
		e.group.Show()
	}
	e.form.relayout()
}

func (e *folderPermissions) setAll(on bool) {
	for _, c := range e.checks {
		c.SetChecked(on)
	}
}

// rights are the letters of the rights ticked, in the server's order.
func (e *folderPermissions) rights() string {
	var b strings.Builder
	for _, letter := range allFolderRights {
		if c, ok := e.checks[letter]; ok && c.Checked {
			b.WriteRune(letter)
		}
	}
	return b.String()
}

// identifier is the ACL identifier the form is about.
func (e *folderPermissions) identifier() (string, error) {
	if !e.adding {
		if e.chosen < 0 {
			return "", errors.New("choose an entry first")
		}
		return e.entries[e.chosen].GetIdentifier(), nil
	}
	switch e.kind.Selected {
	case identifierAnyone:
		return "anyone", nil
	case identifierAccount:
		address := strings.TrimSpace(e.account.Text)
		if address == "" {
			return "", &inputError{field: "identifier", message: "Type the account's address."}
		}
		return address, nil
	case identifierGroup:
		if e.group.Selected == "" {
			return "", &inputError{field: "identifier", message: "Choose a group."}
		}
		return "$" + e.group.Selected, nil
	}
	return "", &inputError{field: "identifier", message: "Choose Anyone, an account or a group."}
}

// save sets the entry's rights on the server.
func (e *folderPermissions) save() error {
	identifier, err := e.identifier()
	if err != nil {
		return err
	}
	rights := e.rights()
	if rights == "" {
		// An entry without rights is no entry (RFC 4314 DELETEACL).
		return &inputError{field: "rights", message: "Tick at least one permission; to take the entry away, use Remove."}
	}
	resp, err := e.set(identifier, rights)
	if err != nil {
		return err
	}
	e.entries = resp
	e.list.Refresh()
	e.choose(e.indexOf(identifier))
	return nil
}

// set sends one entry to the server and returns the folder's entries.
func (e *folderPermissions) set(identifier, rights string) ([]*adminv1.FolderPermission, error) {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := e.session.Client.PublicFolders.SetFolderPermission(ctx, connect.NewRequest(&adminv1.FolderPermissionRequest{
		FolderId: e.folder, Permission: &adminv1.FolderPermission{Identifier: identifier, Rights: rights}}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetPermissions(), nil
}

// indexOf finds an identifier among the entries (-1: not there).
func (e *folderPermissions) indexOf(identifier string) int {
	for i, p := range e.entries {
		if strings.EqualFold(p.GetIdentifier(), identifier) {
			return i
		}
	}
	return -1
}

// confirmRemove takes the chosen entry away after asking.
func (e *folderPermissions) confirmRemove() {
	if e.chosen < 0 || e.adding {
		return
	}
	identifier := e.entries[e.chosen].GetIdentifier()
	remove := func() {
		e.hideMessage()
		entries, err := e.set(identifier, "")
		if err != nil {
			e.showMessage(errorText(err))
			return
		}
		e.entries = entries
		e.list.Refresh()
		e.choose(-1)
	}
	if e.window == nil {
		remove()
		return
	}
	dialog.ShowConfirm("Remove", "Remove the permissions of "+entryName(identifier)+"?", func(ok bool) {
		if ok {
			remove()
		}
	}, e.window)
}

func (e *folderPermissions) showMessage(text string) { showMessageLabel(e.message, text) }
func (e *folderPermissions) hideMessage()            { showMessageLabel(e.message, "") }

// setEnabled enables or disables widgets.
func setEnabled(enabled bool, widgets ...fyne.Disableable) {
	for _, w := range widgets {
		if enabled {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}
