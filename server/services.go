package server

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/mailwright/mailwright/server/dns"
	"github.com/mailwright/mailwright/server/queue"
	"github.com/mailwright/mailwright/server/routing"
	"github.com/mailwright/mailwright/store"
)

// StartServices starts the mail services inside the running process: the
// delivery queue (delivering to other servers through a Router), the
// auto-ban sweep and a listener for every SMTP port.
// It is what the Status page's "Start" does; Run calls it at start.
func (s *Server) StartServices() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	if s.base == nil {
		return errors.New("server: the server is not running")
	}
	ctx, stop := context.WithCancel(s.base)
	router, err := s.router(ctx)
	if err != nil {
		stop()
		return err
	}
	opts := queue.Options{Workers: s.workers, Worker: s.worker, Log: s.Log, Router: router}
	if s.sqlite {
		// The embedded store has one node: a queue file without a row at
		// start was never acknowledged and can go at once.
		opts.OrphanGrace = time.Nanosecond
	}
	q := queue.New(s.Store, opts)
	s.Queue, s.stop, s.smtp, s.pop3, s.imap, s.addrs, s.listenErrors = q, stop, nil, nil, nil, map[string][]net.Addr{}, nil
	wg := &s.services
	wg.Go(func() { s.AutoBan.Run(ctx) })
	wg.Go(func() {
		if err := q.Run(ctx); err != nil {
			s.Log.Error("delivery queue stopped", "error", err)
		}
	})
	if err := s.startListeners(ctx, wg, q); err != nil {
		s.Log.Error("listeners", "error", err)
	}
	s.running = true
	s.Log.Info("mail services started")
	return nil
}

// router is where the queue asks where mail for other domains goes:
// routes, the SMTP relayer or MX records, looked up on the "DNSServer"
// setting's server (the system's when it is empty, as read now: a change
// applies when the services next start), never to this machine's own SMTP
// listeners.
func (s *Server) router(ctx context.Context) (*routing.Router, error) {
	setting, err := s.Store.Setting(ctx, "DNSServer")
	if err != nil {
		return nil, err
	}
	server, err := store.DNSServerAddress(setting)
	if err != nil {
		s.Log.Error("the DNS server setting is not valid; using the system's", "setting", setting, "error", err)
		server = ""
	}
	listeners := func() []netip.AddrPort {
		var out []netip.AddrPort
		for _, a := range s.Addrs(store.ProtocolSMTP) {
			if ap, err := netip.ParseAddrPort(a.String()); err == nil {
				out = append(out, ap)
			}
		}
		return out
	}
	return routing.NewRouter(s.Store, dns.NewResolver(server, 0), routing.InterfaceAddrs, routing.WithListeners(listeners)), nil
}

// StopServices stops the listeners and delivery and waits for them; open
// sessions end, the process and the administration RPC go on.
func (s *Server) StopServices() error {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return nil
	}
	s.stop()
	s.running = false
	s.mu.Unlock()
	s.services.Wait()
	s.mu.Lock()
	for _, srv := range s.smtp {
		s.acceptedBefore.Add(srv.Accepted())
	}
	s.Queue, s.smtp, s.pop3, s.imap, s.addrs = nil, nil, nil, nil, map[string][]net.Addr{}
	s.mu.Unlock()
	s.Log.Info("mail services stopped")
	return nil
}

// Running reports whether the mail services are up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// WakeQueue makes the delivery queue look for due messages now.
func (s *Server) WakeQueue() {
	s.mu.Lock()
	q := s.Queue
	s.mu.Unlock()
	if q != nil {
		q.Wake()
	}
}
