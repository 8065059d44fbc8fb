package admin

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/icons"
)

// NoRPCNotice says what this version of the Administrator cannot do yet.
const NoRPCNotice = "The administration RPC is not built yet, so this version " +
	"of the Administrator cannot connect to a Mailwright server. " +
	"The other pages stay empty until it can."

// Welcome returns the Welcome page: the product's name and icon, the
// Administrator's version, and the notice that it cannot connect yet.
func Welcome(version string) fyne.CanvasObject {
	logo := canvas.NewImageFromResource(icons.AppIcon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSquareSize(96))

	title := widget.NewLabelWithStyle("Welcome to Mailwright Administrator",
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText

	notice := widget.NewLabel(NoRPCNotice)
	notice.Wrapping = fyne.TextWrapWord

	header := container.NewBorder(nil, nil, logo, nil,
		container.NewVBox(title, widget.NewLabel("Version "+version)))
	return container.NewVScroll(container.NewPadded(
		container.NewVBox(header, widget.NewSeparator(), notice)))
}
