package admin

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// NotConnected returns the page shown for a tree node whose page needs a
// server: its title and the reason there is nothing to show.
func NotConnected(title string) fyne.CanvasObject {
	heading := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameHeadingText

	reason := widget.NewLabel("Not connected to a server. " + NoRPCNotice)
	reason.Wrapping = fyne.TextWrapWord

	return container.NewVScroll(container.NewPadded(
		container.NewVBox(heading, widget.NewSeparator(), reason)))
}
