// Package smtp is Mailwright's SMTP server: listeners with their connection
// security, the session with one handler per verb, and the checks of the
// manual that belong to the conversation (IP range at connect, HELO,
// authentication, relay rules, size and line-ending limits, the error
// catalogue). It hands accepted messages to server/queue and answers 250
// only when the queue has them on disk and committed.
//
// It does not use go-smtp's server: that one fixes its greeting, its reply
// texts (VRFY, HELO-first, timeouts, long lines) and has no hook for the
// invalid-command count, all of which the hMailServer manual specifies. The
// command parser (parse.go) is pure and fuzzed; the session never slices
// raw lines.
package smtp

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
	"github.com/mailwright/mailwright/server/queue"
	"github.com/mailwright/mailwright/server/recipients"
	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

// Options are the server's tunables that are not database settings.
type Options struct {
	// CommandTimeout is how long the server waits for a command: hMailServer
	// waits 10 minutes before "421 Connection timeout." (RFC 5321 4.5.3.2.7
	// asks for at least 5).
	CommandTimeout time.Duration
	// DataTimeout is how long one read of a DATA section may wait.
	DataTimeout time.Duration
	// OnConnect, when set, is called for every accepted connection (tests).
	OnConnect func(netip.Addr)
}

// Server serves SMTP on any number of listeners.
type Server struct {
	store     *store.Store
	ranges    *policy.Ranges
	autoBan   *policy.AutoBan
	resolver  *recipients.Resolver
	queue     *queue.Queue
	log       *slog.Logger
	convLog   *slog.Logger
	opts      Options
	tlsConfig *tls.Config

	active   atomic.Int64
	accepted atomic.Int64
	wg       sync.WaitGroup
}

// Deps are the parts of the running server the SMTP server uses.
type Deps struct {
	Store     *store.Store
	Ranges    *policy.Ranges
	AutoBan   *policy.AutoBan
	Resolver  *recipients.Resolver
	Queue     *queue.Queue
	Log       *slog.Logger
	ConvLog   *slog.Logger // the SMTP conversation log; used when "LogSMTPConversations" is on
	TLSConfig *tls.Config  // nil: no STARTTLS and no implicit TLS
}

// New makes a server.
func New(d Deps, opts Options) *Server {
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 10 * time.Minute
	}
	if opts.DataTimeout <= 0 {
		opts.DataTimeout = 10 * time.Minute
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{store: d.Store, ranges: d.Ranges, autoBan: d.AutoBan, resolver: d.Resolver, queue: d.Queue,
		log: d.Log, convLog: d.ConvLog, opts: opts, tlsConfig: d.TLSConfig}
}

// Serve accepts connections on l until ctx is done or l fails, then waits
// for the sessions to end. security is the port's connection security.
func (srv *Server) Serve(ctx context.Context, l net.Listener, security store.ConnectionSecurity) error {
	if security != store.SecurityNone && srv.tlsConfig == nil {
		return errors.New("smtp: a TLS port needs a certificate")
	}
	return listener.Serve(ctx, l, &srv.wg, srv.log, func(ctx context.Context, conn net.Conn) {
		srv.handleConn(ctx, conn, security)
	})
}

// handleConn applies the connect-time rules, then runs a session.
func (srv *Server) handleConn(ctx context.Context, conn net.Conn, security store.ConnectionSecurity) {
	srv.active.Add(1)
	defer srv.active.Add(-1)

	start := listener.Start{Store: srv.store, Ranges: srv.ranges, Log: srv.log, Protocol: store.ProtocolSMTP,
		Security: security, TLSConfig: srv.tlsConfig, Active: srv.active.Load(), MaxSetting: "MaxSMTPConnections",
		Busy: smtpreply.ServerBusy.String(), HandshakeTimeout: srv.opts.CommandTimeout}
	ls, ok := start.Begin(ctx, conn)
	if !ok {
		return
	}
	s := &session{srv: srv, conn: ls.Conn, tls: ls.TLS, id: ls.ID, remote: ls.Remote, ipRange: ls.Range, settings: ls.Settings, security: security}
	if ls.Settings.Bool("LogSMTPConversations") && srv.convLog != nil {
		s.log = srv.convLog.With("session", ls.ID, "remote", ls.Remote.String())
	}
	s.r = bufio.NewReaderSize(s.conn, 4096)
	s.w = bufio.NewWriterSize(s.conn, 4096)
	stop := context.AfterFunc(ctx, func() { s.conn.SetReadDeadline(time.Now()) })
	defer stop()
	s.serve(ctx)
}

// checkRelay is the IP range's relay matrix (policy.CheckRelay).
func checkRelay(r store.IPRange, senderLocal, recipientLocal, authenticated bool) error {
	return policy.CheckRelay(r, senderLocal, recipientLocal, authenticated)
}

// ActiveSessions is the number of open SMTP connections.
func (srv *Server) ActiveSessions() int64 { return srv.active.Load() }

// Accepted is the number of messages this server has queued.
func (srv *Server) Accepted() int64 { return srv.accepted.Load() }
