// Package app is the Administrator's shell: the main window, the connect
// dialog, the host list, the navigation tree and the bundled-server launcher.
// The pages shown in the window live in package admin.
//
// The administration RPC is not built yet, so today the shell has only the
// window and the navigation tree: there is no connect dialog, host list or
// launcher, and the Administrator cannot reach a server.
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

// Run opens the Administrator's main window and returns when it is closed.
// It must be called from the main goroutine.
func Run() {
	a := fyneapp.NewWithID(ID)
	a.SetIcon(icons.AppIcon)
	newMainWindow(a).ShowAndRun()
}
