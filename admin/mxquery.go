package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func init() {
	Pages["utilities/mxquery"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject { return newMXQueryPage(s) }
}

// newMXQueryPage is Utilities → MX query: the mail servers the server's
// delivery would use for an address or domain, asked through the server
// so its DNS settings apply.
func newMXQueryPage(s *Session) fyne.CanvasObject {
	address := widget.NewEntry()
	address.SetPlaceHolder("example.com or someone@example.com")
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	result.TextStyle = fyne.TextStyle{Monospace: true}
	var query func()
	button := widget.NewButtonWithIcon("Search", theme.SearchIcon(), func() { query() })
	query = func() {
		text := strings.TrimSpace(address.Text)
		if text == "" {
			return
		}
		button.Disable()
		result.SetText("Asking " + s.Server + " for the mail servers of " + text + "…")
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := s.Client.Status.MXQuery(ctx, connect.NewRequest(&adminv1.MXQueryRequest{Address: text}))
			runOnUI(func() {
				button.Enable()
				if err != nil {
					result.SetText("The query failed: " + serverMessage(err))
					return
				}
				result.SetText(formatMXHosts(resp.Msg.GetHosts()))
			})
		}()
	}
	address.OnSubmitted = func(string) { query() }
	return container.NewBorder(
		container.NewVBox(pageHeading("MX query"),
			container.NewBorder(nil, nil, widget.NewLabel("Address or domain"), button, address)),
		nil, nil, nil, container.NewVScroll(result))
}

// formatMXHosts lists the hosts with their preference and addresses.
func formatMXHosts(hosts []*adminv1.MXHost) string {
	if len(hosts) == 0 {
		return "No mail server found."
	}
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "%5d  %s  %s\n", h.GetPreference(), h.GetHost(), strings.Join(h.GetAddresses(), ", "))
	}
	return b.String()
}
