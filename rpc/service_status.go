package rpc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"strings"
	"time"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// The Status page and the utilities: server status, start and stop of the
// mail server inside the process, MX query and the live log. Server
// administrators only.

const (
	// maxLogBacklog is the most recent lines FollowLog sends first.
	maxLogBacklog = 1000
	// mxQueryTimeout bounds one MX query with its address lookups.
	mxQueryTimeout = 20 * time.Second
)

var errNoEngine = connect.NewError(connect.CodeUnavailable, errors.New("the mail server is not attached to this API"))

func (s *statusService) GetStatus(ctx context.Context, _ *connect.Request[adminv1.GetStatusRequest]) (*connect.Response[adminv1.Status], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	return s.status(ctx)
}

// StartServer starts the listeners and delivery; it is a no-op when they
// run already.
func (s *statusService) StartServer(ctx context.Context, _ *connect.Request[adminv1.StartServerRequest]) (*connect.Response[adminv1.Status], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if s.opts.Engine == nil {
		return nil, errNoEngine
	}
	if !s.opts.Engine.Running() {
		if err := s.opts.Engine.StartServices(); err != nil {
			s.opts.Log.Error("admin: starting the mail server failed", "err", err)
			return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the mail server did not start: %w", err))
		}
		s.audit(ctx, "mail server started")
	}
	return s.status(ctx)
}

// StopServer stops the listeners and delivery, not the process; it is a
// no-op when they are stopped already.
func (s *statusService) StopServer(ctx context.Context, _ *connect.Request[adminv1.StopServerRequest]) (*connect.Response[adminv1.Status], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if s.opts.Engine == nil {
		return nil, errNoEngine
	}
	if s.opts.Engine.Running() {
		if err := s.opts.Engine.StopServices(); err != nil {
			s.opts.Log.Error("admin: stopping the mail server failed", "err", err)
			return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the mail server did not stop cleanly: %w", err))
		}
		s.audit(ctx, "mail server stopped")
	}
	return s.status(ctx)
}

// status is the Status page: the engine's figures and the queue length.
func (s *statusService) status(ctx context.Context) (*connect.Response[adminv1.Status], error) {
	queued, err := s.opts.Store.QueueLength(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.Status{QueueLength: int32(queued), DatabaseType: s.opts.Store.Dialect().Name}
	if e := s.opts.Engine; e != nil {
		st := e.Status(ctx)
		out.Version = st.Version
		if !st.Started.IsZero() {
			out.StartedAt = st.Started.Unix()
		}
		out.Running = e.Running()
		if st.DatabaseType != "" {
			out.DatabaseType = st.DatabaseType
		}
		out.DatabaseLocation = st.DatabaseLocation
		out.Counters = maps.Clone(st.Counters)
		out.Sessions = maps.Clone(st.Sessions)
		out.Warnings = st.Warnings
	}
	return connect.NewResponse(out), nil
}

// MXQuery lists the mail servers of an address's domain (or of a bare
// domain) with their addresses, as the delivery queue would find them:
// MX records by preference, or, when there are none, the domain itself
// (RFC 5321 5.1: the implicit MX). The DNS server is the DNSServer
// setting's, or the system's.
func (s *statusService) MXQuery(ctx context.Context, req *connect.Request[adminv1.MXQueryRequest]) (*connect.Response[adminv1.MXQueryResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	query := strings.TrimSpace(req.Msg.GetAddress())
	if err := checkFieldSizes(nameField("address", query)); err != nil {
		return nil, err
	}
	domain := query
	if strings.Contains(query, "@") {
		var err error
		if _, domain, err = store.SplitAddress("address", query); err != nil {
			return nil, toConnect(err)
		}
	} else if err := store.ValidateDomainName("address", query); err != nil {
		return nil, toConnect(err)
	}
	setting, err := s.opts.Store.Setting(ctx, "DNSServer")
	if err != nil {
		return nil, toConnect(err)
	}
	resolver, err := resolverFor(setting)
	if err != nil {
		return nil, toConnect(err)
	}
	ctx, cancel := context.WithTimeout(ctx, mxQueryTimeout)
	defer cancel()
	hosts, err := lookupMailHosts(ctx, resolver, domain)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.MXQueryResponse{Hosts: hosts}), nil
}

// resolverFor returns the resolver the DNSServer setting asks for: the
// system's when empty, else Go's own resolver talking to that server only.
func resolverFor(setting string) (*net.Resolver, error) {
	server, err := store.DNSServerAddress(setting)
	if err != nil {
		return nil, err
	}
	if server == "" {
		return net.DefaultResolver, nil
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}, nil
}

// lookupMailHosts finds domain's mail hosts and their addresses.
func lookupMailHosts(ctx context.Context, resolver *net.Resolver, domain string) ([]*adminv1.MXHost, error) {
	fqdn := strings.TrimSuffix(domain, ".") + "." // no search domains
	mxs, err := resolver.LookupMX(ctx, fqdn)
	if err != nil && len(mxs) == 0 {
		if !isNotFound(err) {
			return nil, dnsFailure(domain, err)
		}
		// RFC 5321 5.1: without MX records the domain is its own mail
		// host, with preference 0.
		addrs, aerr := lookupAddresses(ctx, resolver, fqdn)
		if aerr != nil {
			if isNotFound(aerr) {
				return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("%s has no MX records and no addresses", domain))
			}
			return nil, dnsFailure(domain, aerr)
		}
		return []*adminv1.MXHost{{Host: strings.TrimSuffix(fqdn, "."), Addresses: addrs}}, nil
	}
	var out []*adminv1.MXHost
	for _, mx := range mxs {
		host := &adminv1.MXHost{Host: strings.TrimSuffix(mx.Host, "."), Preference: uint32(mx.Pref)}
		if host.Host == "" {
			// RFC 7505: a null MX, "." — the domain accepts no mail.
			host.Host = "."
		} else {
			// A host whose addresses cannot be found is still listed, with none.
			host.Addresses, _ = lookupAddresses(ctx, resolver, mx.Host)
		}
		out = append(out, host)
	}
	return out, nil
}

// lookupAddresses returns host's IPv4 and IPv6 addresses as text.
func lookupAddresses(ctx context.Context, resolver *net.Resolver, host string) ([]string, error) {
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.Unmap().String())
	}
	return out, nil
}

func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// dnsFailure reports a lookup that failed for another reason than a
// missing name: a timeout, a refusal, an unreachable server.
func dnsFailure(domain string, err error) error {
	return connect.NewError(connect.CodeUnavailable, fmt.Errorf("looking up %s: %w", domain, err))
}

// FollowLog streams the live log: up to the request's backlog of recent
// lines (at most 1000), then each new line, those containing the filter
// text (any case) only, until the client goes away. The hub never waits
// for this stream: when the client reads too slowly it drops lines and
// sends a marker line saying how many, which passes any filter.
func (s *statusService) FollowLog(ctx context.Context, req *connect.Request[adminv1.FollowLogRequest], stream *connect.ServerStream[adminv1.LogLine]) error {
	if _, err := requireServer(ctx); err != nil {
		return err
	}
	if err := checkFieldSizes(nameField("filter", req.Msg.GetFilter())); err != nil {
		return err
	}
	filter := strings.ToLower(req.Msg.GetFilter())
	backlog := min(max(int(req.Msg.GetBacklog()), 0), maxLogBacklog)
	lines, cancel := s.opts.LogHub.Subscribe(backlog)
	defer cancel()
	// Send the response headers now: a client's FollowLog call returns
	// only then, and a quiet server may log nothing for a long time.
	if err := stream.Send(nil); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if filter != "" && line.Dropped == 0 && !strings.Contains(strings.ToLower(line.Text), filter) {
				continue
			}
			if err := stream.Send(logLineToProto(line)); err != nil {
				return err
			}
		}
	}
}

func logLineToProto(line LogLine) *adminv1.LogLine {
	return &adminv1.LogLine{
		TimeUnixNano: line.Time.UnixNano(),
		Level:        line.Level,
		Message:      validUTF8(line.Message),
		Text:         validUTF8(line.Text),
	}
}
