// Package listener owns what every protocol server does before its own
// conversation starts: the accept loop (with back-off on temporary errors
// and a clean stop), the connect-time IP range check (an address no range
// lets in, or a banned one, is closed without a greeting), the client's
// address, the session id, the maximum number of connections and the
// implicit-TLS handshake (Start.Begin). The protocols (smtp, pop3, imap) own
// the rest.
package listener

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/store"
)

// Serve accepts connections on l until ctx is done or l fails, runs handle
// for each in its own goroutine tracked by wg, and waits for them before it
// returns. A panic in handle is logged and closes that connection only.
func Serve(ctx context.Context, l net.Listener, wg *sync.WaitGroup, log *slog.Logger, handle func(context.Context, net.Conn)) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var tempDelay time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				time.Sleep(tempDelay)
				continue
			}
			wg.Wait()
			return err
		}
		tempDelay = 0
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					log.Error("session panicked", "remote", conn.RemoteAddr().String(), "panic", p)
					conn.Close()
				}
			}()
			handle(ctx, conn)
		})
	}
}

// Admit applies the IP range of highest priority to a new connection: it
// returns the range, or closes the connection and returns ok false when no
// range lets the protocol in (or the address is banned) or the lookup
// failed.
func Admit(ctx context.Context, ranges *policy.Ranges, conn net.Conn, protocol string, log *slog.Logger) (r store.IPRange, remote netip.Addr, ok bool) {
	remote = RemoteAddr(conn)
	r, ok, err := ranges.Match(ctx, remote)
	if err != nil {
		log.Error("IP range lookup failed", "protocol", protocol, "remote", remote, "error", err)
		conn.Close()
		return r, remote, false
	}
	if !ok || !policy.Allows(r, protocol) {
		log.Info("connection refused by IP range", "protocol", protocol, "remote", remote, "range", r.Name)
		conn.Close()
		return r, remote, false
	}
	return r, remote, true
}

// RemoteAddr is the client's address, IPv4-mapped addresses unmapped.
func RemoteAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// NewSessionID names a session in the logs.
func NewSessionID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
