package rpc

import (
	"log/slog"
	"time"
)

// defaultSessionTTL is how long a login lasts without use when
// Options.SessionTTL is not set.
const defaultSessionTTL = 30 * time.Minute

// NewServer returns the API over opts. Unset options get defaults: a
// SessionTTL of 30 minutes, a Log that discards, an AdministratorPassword
// that is never right (no password set), and an empty LogHub (it only
// holds what is logged through it: tee the server's logger into it with
// slog.NewMultiHandler). Ranges and AutoBan may be nil: then no address is
// refused as banned and failed logins are only logged.
func NewServer(opts Options) *Server {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = defaultSessionTTL
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.AdministratorPassword == nil {
		opts.AdministratorPassword = func() string { return "" }
	}
	if opts.LogHub == nil {
		opts.LogHub = NewLogHub(defaultLogHubSize)
	}
	return &Server{opts: opts, sessions: newSessions(opts.SessionTTL, maxSessions)}
}
