// Package pop3 is Mailwright's POP3 server (RFC 1939 with CAPA of RFC
// 2449, STLS of RFC 2595 and AUTH PLAIN of RFC 5034) over each account's
// INBOX, as hMailServer's POP3 serves it: listeners with their connection
// security, the session with one handler per command, and the rules of the
// manual that belong to the conversation (IP range at connect, maximum
// connections, welcome message, auto-ban on failed logins, STARTTLS-required
// ports, the conversation log, the invalid-command count).
//
// It does not own the mailbox: the store keeps the messages, the POP3 lock
// that lets one session at a time into an account (store.LockPOP3) and the
// deletion that QUIT commits (store.CommitPOP3). The command parser
// (parse.go) is pure and fuzzed; the session never slices raw lines.
package pop3

import (
	"bufio"
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
	// CommandTimeout is how long the server waits for a command before it
	// closes the connection without committing deletions: RFC 1939 3's
	// autologout timer, at least 10 minutes, which is the default.
	CommandTimeout time.Duration
	// LockStaleAfter is how long a POP3 lock nobody refreshed stays valid,
	// so a node that died holding one does not lock the mailbox forever.
	// Default: 30 minutes or twice CommandTimeout, whichever is longer.
	LockStaleAfter time.Duration
	// LockRefreshInterval is how often a logged-in session tells the store
	// its lock is alive, and notices when it was cleared. Default: a minute.
	LockRefreshInterval time.Duration
	// OnConnect, when set, is called for every accepted connection (tests).
	OnConnect func(netip.Addr)
}

// Server serves POP3 on any number of listeners.
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

// Deps are the parts of the running server the POP3 server uses.
type Deps struct {
	Store     *store.Store
	Ranges    *policy.Ranges
	AutoBan   *policy.AutoBan // nil: failed logins are not counted
	Log       *slog.Logger
	ConvLog   *slog.Logger // the POP3 conversation log; used when "LogPOP3Conversations" is on
	TLSConfig *tls.Config  // nil: no STLS and no implicit TLS
}

// New makes a server.
func New(d Deps, opts Options) *Server {
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 10 * time.Minute
	}
	if opts.LockStaleAfter <= 0 {
		opts.LockStaleAfter = max(30*time.Minute, 2*opts.CommandTimeout)
	}
	if opts.LockRefreshInterval <= 0 {
		opts.LockRefreshInterval = time.Minute
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
		return errors.New("pop3: a TLS port needs a certificate")
	}
	return listener.Serve(ctx, l, &srv.wg, srv.log, func(ctx context.Context, conn net.Conn) {
		srv.handleConn(ctx, conn, security)
	})
}

// handleConn applies the connect-time rules, then runs a session.
func (srv *Server) handleConn(ctx context.Context, conn net.Conn, security store.ConnectionSecurity) {
	srv.active.Add(1)
	defer srv.active.Add(-1)

	start := listener.Start{Store: srv.store, Ranges: srv.ranges, Log: srv.log, Protocol: store.ProtocolPOP3,
		Security: security, TLSConfig: srv.tlsConfig, Active: srv.active.Load(), MaxSetting: "MaxPOP3Connections",
		Busy: replyTooManyConnections, HandshakeTimeout: srv.opts.CommandTimeout}
	ls, ok := start.Begin(ctx, conn)
	if !ok {
		return
	}
	s := &session{srv: srv, conn: ls.Conn, tls: ls.TLS, id: ls.ID, remote: ls.Remote, settings: ls.Settings, security: security}
	if ls.Settings.Bool("LogPOP3Conversations") && srv.convLog != nil {
		s.log = srv.convLog.With("session", ls.ID, "remote", ls.Remote.String())
	}
	s.r = bufio.NewReaderSize(s.conn, 4096)
	s.w = bufio.NewWriterSize(listener.DeadlineWriter{Conn: s.conn, Timeout: srv.opts.CommandTimeout}, 32*1024)
	stop := context.AfterFunc(ctx, func() { s.conn.SetReadDeadline(time.Now()) })
	defer stop()
	s.serve(ctx)
}

// ActiveSessions is the number of open POP3 connections.
func (srv *Server) ActiveSessions() int64 { return srv.active.Load() }
