package server

import (
	"context"
	"fmt"

	"github.com/mailwright/mailwright/rpc"
	"github.com/mailwright/mailwright/store"
)

// Status gives the figures of the Status page.
func (s *Server) Status(ctx context.Context) rpc.EngineStatus {
	s.mu.Lock()
	var accepted, smtpSessions, pop3Sessions, imapSessions int64
	for _, srv := range s.smtp {
		accepted += srv.Accepted()
		smtpSessions += srv.ActiveSessions()
	}
	for _, srv := range s.pop3 {
		pop3Sessions += srv.ActiveSessions()
	}
	for _, srv := range s.imap {
		imapSessions += srv.ActiveSessions()
	}
	s.mu.Unlock()
	return rpc.EngineStatus{
		Version:          Version,
		Started:          s.Started,
		DatabaseType:     s.Config.Database.Type,
		DatabaseLocation: DatabaseLocation(s.Config.Database),
		Counters:         map[string]int64{"accepted": accepted + s.acceptedBefore.Load()},
		Sessions:         map[string]int64{"smtp": smtpSessions, "pop3": pop3Sessions, "imap": imapSessions},
		Warnings:         s.SelfTest(ctx),
	}
}

// SelfTest looks for configuration mistakes an administrator should hear
// about: no host name, an IP range that makes the server an open relay, a
// TLS port without a certificate, a port that could not be opened.
func (s *Server) SelfTest(ctx context.Context) []string {
	var warnings []string
	settings, err := s.Store.AllSettings(ctx)
	if err != nil {
		return []string{"cannot read the settings: " + err.Error()}
	}
	if settings["HostName"] == "" {
		warnings = append(warnings, "No host name is set (SMTP → Host name): the server introduces itself with the machine's name, which other servers may not accept.")
	}
	ranges, err := s.Store.IPRanges(ctx)
	if err != nil {
		return append(warnings, "cannot read the IP ranges: "+err.Error())
	}
	for _, r := range ranges {
		if r.AllowSMTP && r.Allow.ExternalToExternal && !r.Require.ExternalToExternal && !r.Lower.IsLoopback() {
			warnings = append(warnings, fmt.Sprintf("The IP range %q (%s–%s) lets clients relay from external to external addresses without authentication: the server is an open relay for them.", r.Name, r.Lower, r.Upper))
		}
	}
	ports, err := s.Store.Ports(ctx)
	if err != nil {
		return append(warnings, "cannot read the TCP/IP ports: "+err.Error())
	}
	for _, p := range ports {
		if p.Security != store.SecurityNone && p.CertificateID == 0 {
			warnings = append(warnings, fmt.Sprintf("The %s port %s:%d uses TLS but has no SSL certificate, so it is not opened.", p.Protocol, p.Address, p.Port))
		}
	}
	s.mu.Lock()
	warnings = append(warnings, s.listenErrors...)
	s.mu.Unlock()
	return warnings
}
