package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/admin"
)

// node is one top-level node of the navigation tree.
type node struct {
	id    widget.TreeNodeID
	title string
	icon  fyne.ThemeIconName
	page  func() fyne.CanvasObject
}

// nodes are the tree's top-level nodes, in hMailServer Administrator's order.
// Every node but Welcome needs a server, so shows admin.NotConnected.
var nodes = []node{
	{"welcome", "Welcome", theme.IconNameHome, func() fyne.CanvasObject { return admin.Welcome(Version) }},
	{"status", "Status", theme.IconNameInfo, notConnected("Status")},
	{"domains", "Domains", theme.IconNameMailCompose, notConnected("Domains")},
	{"rules", "Rules", theme.IconNameList, notConnected("Rules")},
	{"settings", "Settings", theme.IconNameSettings, notConnected("Settings")},
	{"utilities", "Utilities", theme.IconNameComputer, notConnected("Utilities")},
}

func notConnected(title string) func() fyne.CanvasObject {
	return func() fyne.CanvasObject { return admin.NotConnected(title) }
}

// nodeByID returns the node with the given id.
func nodeByID(id widget.TreeNodeID) (node, bool) {
	for _, n := range nodes {
		if n.id == id {
			return n, true
		}
	}
	return node{}, false
}

// newNavTree returns the navigation tree; selecting a node calls show with it.
func newNavTree(show func(node)) *widget.Tree {
	tree := widget.NewTree(
		func(id widget.TreeNodeID) []widget.TreeNodeID {
			if id != "" {
				return nil
			}
			ids := make([]widget.TreeNodeID, len(nodes))
			for i, n := range nodes {
				ids[i] = n.id
			}
			return ids
		},
		func(id widget.TreeNodeID) bool { return id == "" },
		func(bool) fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(nil), widget.NewLabel(""))
		},
		func(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
			n, _ := nodeByID(id)
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Icon).SetResource(theme.Icon(n.icon))
			row.Objects[1].(*widget.Label).SetText(n.title)
		},
	)
	tree.OnSelected = func(id widget.TreeNodeID) {
		if n, ok := nodeByID(id); ok {
			show(n)
		}
	}
	return tree
}
