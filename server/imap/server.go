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
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
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

// handleConn applies the connect-time rules, then runs a session.
func (srv *Server) handleConn(ctx context.Context, conn net.Conn, security store.ConnectionSecurity) {
	srv.active.Add(1)
	defer srv.active.Add(-1)

	_, remote, ok := listener.Admit(ctx, srv.ranges, conn, store.ProtocolIMAP, srv.log)
	if !ok {
		return
	}
	settings, err := srv.store.AllSettings(ctx)
	if err != nil {
		srv.log.Error("reading settings", "error", err)
		conn.Close()
		return
	}
	id := listener.NewSessionID()
	s := &session{srv: srv, conn: conn, id: id, remote: remote, settings: settings, security: security,
		enabled: map[string]bool{}}
	if settings.Bool("LogIMAPConversations") && srv.convLog != nil {
		s.log = srv.convLog.With("session", id, "remote", remote.String())
	}
	if max := int64(settings.Int("MaxIMAPConnections")); max > 0 && srv.active.Load() > max {
		// Said in the clear, before any handshake: an implicit-TLS client
		// could not read it, so it is only closed.
		if security != store.SecurityTLS {
			conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(conn, "* "+replyTooManyConnections+"\r\n")
		}
		conn.Close()
		return
	}
	if security == store.SecurityTLS {
		tc := tls.Server(conn, srv.tlsConfig)
		tc.SetDeadline(time.Now().Add(srv.opts.IdleTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			srv.log.Info("TLS handshake failed", "remote", remote, "error", err)
			conn.Close()
			return
		}
		tc.SetDeadline(time.Time{})
		s.conn, s.tls = tc, true
	}
	s.r = bufio.NewReaderSize(s.conn, 16*1024)
	s.w = bufio.NewWriterSize(deadlineWriter{s.conn, srv.opts.IdleTimeout}, 32*1024)
	// The TCP connection itself, not s.conn, which STARTTLS replaces: a
	// deadline on it ends a read through TLS too.
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	s.serve(ctx)
}

// ActiveSessions is the number of open IMAP connections.
func (srv *Server) ActiveSessions() int64 { return srv.active.Load() }
