package admin

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// NotConnected returns the page shown for a tree node whose page needs a
// server while none is connected: its title and the reason there is
// nothing to show.
func NotConnected(title string) fyne.CanvasObject {
	return notice(title, NotConnectedNotice)
}

// NotBuilt returns the placeholder of a settings page this version of the
// Administrator does not have yet.
func NotBuilt(title string) fyne.CanvasObject {
	return notice(title, "This page is not built yet. Until it is, change these settings with "+
		"\"mailwrightd ctl\" on the server (\"mailwrightd ctl help\" lists the commands).")
}

func notice(title, text string) fyne.CanvasObject {
	reason := widget.NewLabel(text)
	reason.Wrapping = fyne.TextWrapWord
	return container.NewVScroll(container.NewPadded(
		container.NewVBox(pageHeading(title), widget.NewSeparator(), reason)))
}

// Overview returns the page of a tree node that only groups others: its
// title and the pages below it.
func Overview(title string, children []string) fyne.CanvasObject {
	text := "Choose a page below " + title + " in the tree."
	if len(children) > 0 {
		text = "Choose a page below " + title + " in the tree: " + joinList(children) + "."
	}
	return notice(title, text)
}

// joinList joins items as "a, b and c".
func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := items[0]
	for _, it := range items[1 : len(items)-1] {
		out += ", " + it
	}
	return out + " and " + items[len(items)-1]
}
