package listener

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/store"
)

// Start describes what a protocol does between accept and its greeting.
type Start struct {
	Store     *store.Store
	Ranges    *policy.Ranges
	Log       *slog.Logger
	Protocol  string                   // store.ProtocolSMTP, ...
	Security  store.ConnectionSecurity // the port's
	TLSConfig *tls.Config              // for implicit-TLS ports
	// Active is the number of the server's open connections, this one
	// included; MaxSetting names the setting that caps it (0: no cap).
	Active     int64
	MaxSetting string
	// Busy is the protocol's reply to a connection over the cap, without
	// its CRLF.
	Busy string
	// HandshakeTimeout bounds the implicit-TLS handshake.
	HandshakeTimeout time.Duration
}

// Session is an admitted connection, ready for its greeting.
type Session struct {
	Conn     net.Conn // the TLS connection on implicit-TLS ports
	TLS      bool
	Raw      net.Conn // the TCP connection: a read deadline on it ends a read through TLS too
	Remote   netip.Addr
	Range    store.IPRange
	ID       string
	Settings store.Settings // a snapshot, read at connect, shared: read it, never change it
}

// Begin applies the connect-time rules in order: the IP range (Admit), the
// settings snapshot, the maximum number of connections (refused with Busy,
// said in the clear except on implicit-TLS ports, whose clients could not
// read it), then the implicit-TLS handshake. It returns ok false when the
// connection was refused and closed.
func (p Start) Begin(ctx context.Context, conn net.Conn) (Session, bool) {
	r, remote, ok := Admit(ctx, p.Ranges, conn, p.Protocol, p.Log)
	if !ok {
		return Session{}, false
	}
	// Shared and read-only: the sessions only read their settings.
	settings, err := p.Store.SettingsSnapshot(ctx)
	if err != nil {
		p.Log.Error("reading settings", "protocol", p.Protocol, "error", err)
		conn.Close()
		return Session{}, false
	}
	s := Session{Conn: conn, Raw: conn, Remote: remote, Range: r, ID: NewSessionID(), Settings: settings}
	if max := int64(settings.Int(p.MaxSetting)); max > 0 && p.Active > max {
		p.Log.Info("connection refused: too many connections", "protocol", p.Protocol, "remote", remote, "max", max)
		if p.Security != store.SecurityTLS {
			conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(conn, p.Busy+"\r\n")
		}
		conn.Close()
		return Session{}, false
	}
	if p.Security == store.SecurityTLS {
		tc := tls.Server(conn, p.TLSConfig)
		tc.SetDeadline(time.Now().Add(p.HandshakeTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			p.Log.Info("TLS handshake failed", "protocol", p.Protocol, "remote", remote, "error", err)
			conn.Close()
			return Session{}, false
		}
		tc.SetDeadline(time.Time{})
		s.Conn, s.TLS = tc, true
	}
	return s, true
}

// DeadlineWriter gives each write to the client its own deadline, so a long
// response that keeps moving is not cut off, but a stalled client is.
type DeadlineWriter struct {
	Conn    net.Conn
	Timeout time.Duration
}

func (d DeadlineWriter) Write(p []byte) (int, error) {
	d.Conn.SetWriteDeadline(time.Now().Add(d.Timeout))
	return d.Conn.Write(p)
}
