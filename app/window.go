package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/mailwright/mailwright/icons"
)

// Preference keys for the remembered window size.
const (
	prefWidth  = "window.width"
	prefHeight = "window.height"
)

// defaultSize is the main window's size on first start.
var defaultSize = fyne.NewSize(1024, 700)

// newMainWindow builds the main window: the navigation tree on the left and
// the selected node's page on the right, at the size it had when the
// Administrator last stopped.
func newMainWindow(a fyne.App) fyne.Window {
	w := a.NewWindow("Mailwright Administrator")
	w.SetIcon(icons.AppIcon)
	w.SetMaster()

	page := container.NewStack()
	tree := newNavTree(func(n node) {
		page.Objects = []fyne.CanvasObject{n.page()}
		page.Refresh()
	})
	split := container.NewHSplit(tree, page)
	split.Offset = 0.22
	w.SetContent(split)
	tree.Select(nodes[0].id)

	w.Resize(savedSize(a.Preferences()))
	a.Lifecycle().SetOnStopped(func() { saveSize(a.Preferences(), w.Canvas().Size()) })
	return w
}

// savedSize returns the window size stored in p, or defaultSize if none is.
func savedSize(p fyne.Preferences) fyne.Size {
	width := float32(p.FloatWithFallback(prefWidth, 0))
	height := float32(p.FloatWithFallback(prefHeight, 0))
	if width <= 0 || height <= 0 {
		return defaultSize
	}
	return fyne.NewSize(width, height)
}

// saveSize stores size in p, unless it is empty (a window never shown).
func saveSize(p fyne.Preferences, size fyne.Size) {
	if size.Width <= 0 || size.Height <= 0 {
		return
	}
	p.SetFloat(prefWidth, float64(size.Width))
	p.SetFloat(prefHeight, float64(size.Height))
}
