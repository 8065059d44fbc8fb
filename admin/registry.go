package admin

import (
	"sort"
	"strings"

	"fyne.io/fyne/v2"
)

// Page builds the page of one navigation tree node for a logged-in session.
// id is the node's id; w is the window the page lives in, for dialogs.
type Page func(s *Session, w fyne.Window, id string) fyne.CanvasObject

// Pages maps navigation tree node ids to the function building their page.
// Each page file registers its nodes from an init function, so the shell in
// package app shows every page this package has without naming them.
//
// A key is a node id ("status/queue"), or a prefix ending in "/"
// ("domains/") that matches every id below it; the exact id wins, then the
// longest prefix. Fixed node ids: "welcome", "status/server",
// "status/logging", "status/queue", "domains", "settings/...",
// "utilities/mxquery".
var Pages = map[string]Page{}

// PageFor returns the page registered for node id.
func PageFor(id string) (Page, bool) {
	if p, ok := Pages[id]; ok {
		return p, true
	}
	var best string
	for key := range Pages {
		if strings.HasSuffix(key, "/") && strings.HasPrefix(id, key) && len(key) > len(best) {
			best = key
		}
	}
	if best == "" {
		return nil, false
	}
	return Pages[best], true
}

// Node is one node of a subtree that a page file fills in at run time, such
// as the domains below "domains".
type Node struct {
	ID     string // unique in the whole tree, below the subtree's root: "domains/12"
	Title  string
	Icon   fyne.Resource // nil for the default
	Branch bool          // it has children (asked for with its ID)
}

// Subtrees maps the id of a fixed tree node ("domains") to the function
// listing the children of that node and of every node below it. The shell
// calls it with parent set to the root or to the ID of a Node it returned.
var Subtrees = map[string]func(s *Session, parent string) []Node{}

// SubtreeFor returns the subtree function that owns node id: the one
// registered for id itself or for the root id lies below.
func SubtreeFor(id string) (func(*Session, string) []Node, bool) {
	roots := make([]string, 0, len(Subtrees))
	for root := range Subtrees {
		roots = append(roots, root)
	}
	sort.Strings(roots)
	for _, root := range roots {
		if id == root || strings.HasPrefix(id, root+"/") {
			return Subtrees[root], true
		}
	}
	return nil, false
}

// Stopper is implemented by pages that keep something running while shown
// (a refresh timer, a log stream). The shell calls Stop when it replaces
// the page.
type Stopper interface {
	Stop()
}
