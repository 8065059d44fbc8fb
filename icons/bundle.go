// Package icons holds Mailwright's icon sources and the Fyne resources built
// from them. mailwright.svg is the hand-drawn source; mailwright.png is
// rendered from it at 512x512 by the go:generate line below (rsvg-convert is in
// Debian's librsvg2-bin). The PNG is committed, so building needs no renderer.
package icons

//go:generate rsvg-convert -w 512 -h 512 -o mailwright.png mailwright.svg

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed mailwright.png
var appIconPNG []byte

// AppIcon is the Mailwright icon: the Administrator's window and application
// icon, also shown on its Welcome page.
var AppIcon fyne.Resource = fyne.NewStaticResource("mailwright.png", appIconPNG)
