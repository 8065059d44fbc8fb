package admin

import (
	"fyne.io/fyne/v2"

	"github.com/mailwright/mailwright/rpc"
)

// Session is a logged-in connection to one Mailwright server: the pages read
// and change the server only through Client.
type Session struct {
	// Client is the logged-in RPC client; its service clients (Domains,
	// Accounts, Queue, Status, …) are what the pages call.
	Client *rpc.Client
	// Server is the address the session is connected to, host:port.
	Server string
	// User is the name logged in with; empty means the administrator.
	User string
	// Refresh, set by the shell, reloads the children of navigation tree
	// node id (after a page created or deleted a domain, say). It is nil
	// outside the shell, so call it through RefreshNode.
	Refresh func(id string)
}

// UserName returns the name to show for the logged-in user.
func (s *Session) UserName() string {
	if s.User == "" {
		return "Administrator"
	}
	return s.User
}

// RefreshNode asks the shell to reload the children of tree node id, if a
// shell is listening.
func (s *Session) RefreshNode(id string) {
	if s.Refresh != nil {
		s.Refresh(id)
	}
}

// runOnUI runs f on the UI goroutine; the pages call it from their RPC
// goroutines. Tests replace it to serialise those calls with their own.
var runOnUI = fyne.Do
