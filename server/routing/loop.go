package routing

import (
	"context"
	"net/netip"
	"strings"

	"github.com/mailwright/mailwright/store"
)

// LocalLoopMessage is the manual's name for the failure (Troubleshooting →
// SMTP error messages → Error messages in bounce messages), what the bounce
// tells the sender.
const LocalLoopMessage = "The mail server software tried to deliver e-mail to the local machine"

// LocalLoopError is For's failure when every address found for a domain is
// one of the server's own SMTP listeners: delivering there would hand the
// message back to this server, which would send it out again. It is
// permanent. Its text is LocalLoopMessage; Domain and Refused say what was
// refused, for the log.
type LocalLoopError struct {
	Domain  string
	Refused []netip.AddrPort
}

func (e *LocalLoopError) Error() string { return LocalLoopMessage }

// Is makes every *LocalLoopError match ErrLocalLoop.
func (e *LocalLoopError) Is(target error) bool { return target == ErrLocalLoop }

// ErrLocalLoop matches, with errors.Is, the error For returns when it would
// deliver to the server itself.
var ErrLocalLoop error = &LocalLoopError{}

// withoutOwnAddresses drops the target's hosts that are the server itself,
// failing with a *LocalLoopError when none is left.
func (r *Router) withoutOwnAddresses(ctx context.Context, domain string, t Target, settings store.Settings) (Target, error) {
	self, err := r.self(ctx, settings)
	if err != nil {
		return Target{}, err
	}
	kept := t.Hosts[:0:0]
	var refused []netip.AddrPort
	for _, h := range t.Hosts {
		if self.isOwn(h.Addr) {
			refused = append(refused, h.Addr)
			continue
		}
		kept = append(kept, h)
	}
	if len(kept) == 0 && len(refused) > 0 {
		return Target{}, &LocalLoopError{Domain: domain, Refused: refused}
	}
	t.Hosts = kept
	return t, nil
}

// self is what the server answers on: its addresses and its SMTP
// listeners.
type self struct {
	addrs     map[netip.Addr]bool
	listeners []netip.AddrPort
}

// self gathers the server's addresses (LocalAddrs and "BindToLocalIP") and
// its SMTP listeners: those configured in the store and those WithListeners
// reports as bound.
func (r *Router) self(ctx context.Context, settings store.Settings) (self, error) {
	s := self{addrs: map[netip.Addr]bool{}}
	if r.local != nil {
		for _, a := range r.local() {
			s.addrs[a.Unmap()] = true
		}
	}
	if bind, err := netip.ParseAddr(strings.TrimSpace(settings["BindToLocalIP"])); err == nil {
		s.addrs[bind.Unmap()] = true
	}
	ports, err := r.store.CachedPorts(ctx)
	if err != nil {
		return self{}, err
	}
	for _, p := range ports {
		if p.Protocol == store.ProtocolSMTP {
			s.listeners = append(s.listeners, netip.AddrPortFrom(p.Address.Unmap(), uint16(p.Port)))
		}
	}
	if r.listeners != nil {
		for _, l := range r.listeners() {
			s.listeners = append(s.listeners, netip.AddrPortFrom(l.Addr().Unmap(), l.Port()))
		}
	}
	return s, nil
}

// isOwn reports whether connecting to target would reach one of the
// server's own SMTP listeners. The rule is hMailServer's
// (LocalIPAddresses::IsLocalPort), for SMTP listeners only: the port must
// be a listener's, and the address either the listener's own or — for a
// listener on all addresses (0.0.0.0 or ::) — any address of this machine:
// loopback (127.0.0.0/8, ::1), unspecified, or one of the server's
// addresses. So a peer on 127.0.0.1 at a port the server does not listen
// on is not a loop, and tests can deliver to one.
func (s self) isOwn(target netip.AddrPort) bool {
	addr := target.Addr().Unmap()
	machine := addr.IsLoopback() || addr.IsUnspecified() || s.addrs[addr]
	for _, l := range s.listeners {
		if l.Port() != target.Port() {
			continue
		}
		if l.Addr() == addr || (l.Addr().IsUnspecified() && machine) {
			return true
		}
		// Connecting to 0.0.0.0 or :: reaches the loopback interface.
		if addr.IsUnspecified() && l.Addr().IsLoopback() {
			return true
		}
	}
	return false
}
