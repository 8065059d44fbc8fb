package admin

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/icons"
)

// NotConnectedNotice is what the Welcome page says before a connection.
const NotConnectedNotice = "Not connected to a Mailwright server. " +
	"Choose File → Connect… (Ctrl+O) to pick a server and log in."

// Welcome returns the Welcome page: the product's name and icon, the
// Administrator's version, and which server it is connected to (s is nil
// before a connection).
func Welcome(version string, s *Session) fyne.CanvasObject {
	logo := canvas.NewImageFromResource(icons.AppIcon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSquareSize(96))

	title := widget.NewLabelWithStyle("Welcome to Mailwright Administrator",
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText

	text := NotConnectedNotice
	if s != nil {
		text = "Connected to the Mailwright server at " + s.Server + " as " + s.UserName() + ". " +
			"Choose a page in the tree: Status shows the server, its live log and the delivery queue; " +
			"Domains holds the domains and their accounts, aliases and distribution lists; " +
			"Settings holds the protocols and the advanced settings; Utilities holds the MX query."
	}
	notice := widget.NewLabel(text)
	notice.Wrapping = fyne.TextWrapWord

	header := container.NewBorder(nil, nil, logo, nil,
		container.NewVBox(title, widget.NewLabel("Version "+version)))
	return container.NewVScroll(container.NewPadded(
		container.NewVBox(header, widget.NewSeparator(), notice)))
}
