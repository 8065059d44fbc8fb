// Package imap is Mailwright's IMAP server: IMAP4rev1 (RFC 3501) with
// IDLE, NAMESPACE, UIDPLUS, MOVE, CHILDREN, SPECIAL-USE, LITERAL+, ENABLE,
// ID, SORT, QUOTA, ACL and SASL-IR, over each account's folder tree and the
// public folders, as hMailServer's IMAP serves it: listeners with their
// connection security, the session with one handler per command, and the
// manual's rules that belong to the conversation (IP range at connect,
// maximum connections, welcome message, auto-ban on failed logins,
// STARTTLS-required ports, the conversation log, the invalid-command count,
// the public folder name, the hierarchy delimiter and the extension
// switches).
//
// It does not own the mailboxes: the store keeps folders, messages, flags,
// UIDs, quota and permissions, and tells sessions when a folder changed.
// The command parser (parse.go) is pure and fuzzed; the session never
// slices raw lines. Message rendering (message.go) and SEARCH/SORT
// (search.go) are pure too.
package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/server/listener"
	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/store"
)

// Options are the server's tunables that are not database settings.
type Options struct {
	// IdleTimeout is how long the server waits for a command (or for DONE
	// during IDLE) before it says goodbye: RFC 3501 5.4's autologout timer,
	// at least 30 minutes, which is the default.
	IdleTimeout time.Duration
	// Version is the server's version, as ID (RFC 2971) tells clients.
	// Default: "dev".
	Version string
	// OnConnect, when set, is called for every accepted connection (tests).
	OnConnect func(netip.Addr)
}

// Server serves IMAP on any number of listeners.
type Server struct {
	store     *store.Store
	ranges    *policy.Ranges
	autoBan   *policy.AutoBan
	log       *slog.Logger
	convLog   *slog.Logger
	opts      Options
	tlsConfig *tls.Config

	active atomic.Int64
	wg     sync.WaitGroup
}

// Deps are the parts of the running server the IMAP server uses.
type Deps struct {
	Store     *store.Store
	Ranges    *policy.Ranges
	AutoBan   *policy.AutoBan // nil: failed logins are not counted
	Log       *slog.Logger
	ConvLog   *slog.Logger // the IMAP conversation log; used when "LogIMAPConversations" is on
	TLSConfig *tls.Config  // nil: no STARTTLS and no implicit TLS
}

// New makes a server.
func New(d Deps, opts Options) *Server {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Minute
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Server{store: d.Store, ranges: d.Ranges, autoBan: d.AutoBan, log: d.Log, convLog: d.ConvLog,
		opts: opts, tlsConfig: d.TLSConfig}
}

// Serve accepts connections on l until ctx is done or l fails, then waits
// for the sessions to end. security is the port's connection security.
func (srv *Server) Serve(ctx context.Context, l net.Listener, security store.ConnectionSecurity) error {
	if security != store.SecurityNone && srv.tlsConfig == nil {
		return errors.New("imap: a TLS port needs a certificate")
	}
	return listener.Serve(ctx, l, &srv.wg, srv.log, func(ctx context.Context, conn net.Conn) {
		srv.handleConn(ctx, conn, security)
	})
}

// handleConn applies the connect-time rules, then runs a session. It stays
// on the stack of the session's goroutine for the whole session, so its
// frame is kept small (newSession does the rest).
func (srv *Server) handleConn(ctx context.Context, conn net.Conn, security store.ConnectionSecurity) {
	srv.active.Add(1)
	defer srv.active.Add(-1)
	s := srv.newSession(ctx, conn, security)
	if s == nil {
		return
	}
	// The TCP connection itself, not s.conn, which STARTTLS replaces: a
	// deadline on it ends a read through TLS too.
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	s.serve(ctx)
}

// newSession applies the connect-time rules (listener.Start) and makes the
// session, or returns nil when the connection was refused and closed. Not
// inlined: its frame (the Start and the listener's Session) would
// otherwise stay on the stack of every idle connection.
//
//go:noinline
func (srv *Server) newSession(ctx context.Context, conn net.Conn, security store.ConnectionSecurity) *session {
	start := listener.Start{Store: srv.store, Ranges: srv.ranges, Log: srv.log, Protocol: store.ProtocolIMAP,
		Security: security, TLSConfig: srv.tlsConfig, Active: srv.active.Load(), MaxSetting: "MaxIMAPConnections",
		Busy: "* " + replyTooManyConnections, HandshakeTimeout: srv.opts.IdleTimeout}
	ls, ok := start.Begin(ctx, conn)
	if !ok {
		return nil
	}
	s := &session{srv: srv, conn: ls.Conn, tls: ls.TLS, id: ls.ID, remote: ls.Remote, settings: ls.Settings, security: security}
	if ls.Settings.Bool("LogIMAPConversations") && srv.convLog != nil {
		s.log = srv.convLog.With("session", ls.ID, "remote", ls.Remote.String())
	}
	// The greeting needs a writer; the reader comes with the first bytes.
	s.takeWriter()
	return s
}

// ActiveSessions is the number of open IMAP connections.
func (srv *Server) ActiveSessions() int64 { return srv.active.Load() }
