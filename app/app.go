// Package app is the Administrator's shell: the main window, the navigation
// tree and the bundled-server launcher. It shows admin's connect dialog at
// start and builds the tree from the pages package admin registers.
package app

import (
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/mailwright/mailwright/icons"
)

// ID is the Administrator's application ID, the same as in FyneApp.toml. Fyne
// keys the stored preferences by it.
const ID = "dev.mailwright.administrator"

// Version is the Administrator's version, the same as in FyneApp.toml.
const Version = "0.1.0"

// Run opens the Administrator's main window with the connect dialog and
// returns when it is closed. It must be called from the main goroutine.
func Run() {
	a := fyneapp.NewWithID(ID)
	a.SetIcon(icons.AppIcon)
	m := newMainWindow(a)
	m.start()
	m.window.ShowAndRun()
}
