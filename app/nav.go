package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/admin"
)

// node is one fixed node of the navigation tree.
type node struct {
	id       widget.TreeNodeID
	title    string
	icon     fyne.ThemeIconName
	children []widget.TreeNodeID
}

// fixedNodes are the tree's nodes that do not depend on the server, in
// hMailServer Administrator's order. The Domains node's children come from
// admin.Subtrees.
var fixedNodes = []node{
	{"welcome", "Welcome", theme.IconNameHome, nil},
	{"status", "Status", theme.IconNameInfo, []string{"status/server", "status/logging", "status/queue"}},
	{"status/server", "Server", theme.IconNameComputer, nil},
	{"status/logging", "Logging", theme.IconNameList, nil},
	{"status/queue", "Delivery queue", theme.IconNameMailSend, nil},
	{"domains", "Domains", theme.IconNameMailCompose, nil},
	{"settings", "Settings", theme.IconNameSettings, []string{"settings/protocols", "settings/advanced"}},
	{"settings/protocols", "Protocols", theme.IconNameFolder, []string{"settings/protocols/smtp", "settings/protocols/pop3", "settings/protocols/imap"}},
	{"settings/protocols/smtp", "SMTP", theme.IconNameMailSend, []string{"settings/protocols/smtp/delivery", "settings/protocols/smtp/routes"}},
	{"settings/protocols/smtp/delivery", "Delivery of e-mail", theme.IconNameMailForward, nil},
	{"settings/protocols/smtp/routes", "Routes", theme.IconNameNavigateNext, nil},
	{"settings/protocols/pop3", "POP3", theme.IconNameMailReply, nil},
	{"settings/protocols/imap", "IMAP", theme.IconNameMailReplyAll, []string{"settings/protocols/imap/publicfolders"}},
	{"settings/protocols/imap/publicfolders", "Public folders", theme.IconNameFolderOpen, nil},
	{"settings/advanced", "Advanced", theme.IconNameFolder, []string{
		"settings/advanced/autoban", "settings/advanced/ipranges", "settings/advanced/mirror",
		"settings/advanced/servermessages", "settings/advanced/sslcertificates",
		"settings/advanced/tcpipports", "settings/advanced/groups"}},
	{"settings/advanced/autoban", "Auto-ban", theme.IconNameWarning, nil},
	{"settings/advanced/ipranges", "IP ranges", theme.IconNameComputer, nil},
	{"settings/advanced/mirror", "Mirror", theme.IconNameContentCopy, nil},
	{"settings/advanced/servermessages", "Server messages", theme.IconNameDocument, nil},
	{"settings/advanced/sslcertificates", "SSL certificates", theme.IconNameConfirm, nil},
	{"settings/advanced/tcpipports", "TCP/IP ports", theme.IconNameStorage, nil},
	{"settings/advanced/groups", "Groups", theme.IconNameAccount, nil},
	{"utilities", "Utilities", theme.IconNameComputer, []string{"utilities/mxquery"}},
	{"utilities/mxquery", "MX query", theme.IconNameSearch, nil},
}

// topLevel are the ids of the tree's roots.
var topLevel = []widget.TreeNodeID{"welcome", "status", "domains", "settings", "utilities"}

func fixedNode(id widget.TreeNodeID) (node, bool) {
	for _, n := range fixedNodes {
		if n.id == id {
			return n, true
		}
	}
	return node{}, false
}

// navigation is the tree's model: the fixed nodes, and the subtrees the
// admin pages list for the connected server, asked for once per parent
// until reload.
type navigation struct {
	session *admin.Session // nil when not connected
	cache   map[string][]admin.Node
	known   map[string]admin.Node // every subtree node listed so far
}

func newNavigation() *navigation {
	return &navigation{cache: map[string][]admin.Node{}, known: map[string]admin.Node{}}
}

// reload forgets the listed children of id and of every node below it.
func (n *navigation) reload(id string) {
	for parent := range n.cache {
		if parent == id || strings.HasPrefix(parent, id+"/") {
			delete(n.cache, parent)
		}
	}
}

// subtree lists the children of a node owned by an admin subtree.
func (n *navigation) subtree(id string) ([]admin.Node, bool) {
	list, ok := admin.SubtreeFor(id)
	if !ok {
		return nil, false
	}
	if n.session == nil {
		return nil, true
	}
	if children, ok := n.cache[id]; ok {
		return children, true
	}
	children := list(n.session, id)
	n.cache[id] = children
	for _, c := range children {
		n.known[c.ID] = c
	}
	return children, true
}

func (n *navigation) childIDs(id widget.TreeNodeID) []widget.TreeNodeID {
	if id == "" {
		return topLevel
	}
	if children, ok := n.subtree(id); ok {
		ids := make([]widget.TreeNodeID, len(children))
		for i, c := range children {
			ids[i] = c.ID
		}
		return ids
	}
	fixed, _ := fixedNode(id)
	return fixed.children
}

func (n *navigation) isBranch(id widget.TreeNodeID) bool {
	if id == "" {
		return true
	}
	if fixed, ok := fixedNode(id); ok {
		_, owned := admin.SubtreeFor(id)
		return len(fixed.children) > 0 || owned
	}
	return n.known[id].Branch
}

// title and icon of any node.
func (n *navigation) title(id widget.TreeNodeID) (string, fyne.Resource) {
	if fixed, ok := fixedNode(id); ok {
		return fixed.title, theme.Icon(fixed.icon)
	}
	if sub, ok := n.known[id]; ok {
		icon := sub.Icon
		if icon == nil {
			icon = theme.FolderIcon()
			if !sub.Branch {
				icon = theme.DocumentIcon()
			}
		}
		return sub.Title, icon
	}
	return id, theme.QuestionIcon()
}

// newNavTree returns the navigation tree over nav; selecting a node calls
// show with its id.
func newNavTree(nav *navigation, show func(widget.TreeNodeID)) *widget.Tree {
	tree := widget.NewTree(
		nav.childIDs,
		nav.isBranch,
		func(bool) fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(nil), widget.NewLabel(""))
		},
		func(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
			title, icon := nav.title(id)
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Icon).SetResource(icon)
			row.Objects[1].(*widget.Label).SetText(title)
		},
	)
	tree.OnSelected = show
	return tree
}
