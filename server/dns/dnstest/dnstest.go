// Package dnstest runs a DNS server inside a test, on 127.0.0.1 over UDP
// and TCP, answering from records the test gives in zone-file syntax. Tests
// point the resolver (or the "DNSServer" setting) at it so that no lookup
// leaves the machine. It can also fail on purpose: answer SERVFAIL, stay
// silent, or truncate UDP answers so that clients must ask over TCP.
package dnstest

import (
	"net"
	"sync"
	"testing"

	mdns "github.com/miekg/dns"
)

// Server is a running test DNS server. It answers authoritatively and with
// recursion available, follows CNAME records within its own data, and gives
// NXDOMAIN for names it holds no records for.
type Server struct {
	// Addr is where it listens, "127.0.0.1:port", the same port for UDP
	// and TCP.
	Addr string

	t       testing.TB
	mu      sync.Mutex
	records map[string][]mdns.RR // by canonical owner name
	faults  map[string]fault
	queries map[string]int // "udp name" / "tcp name" → count
}

type fault int

const (
	faultServFail fault = iota + 1
	faultSilent
	faultTruncate
)

// NewServer starts a server holding records, each one line of zone-file
// syntax such as "example.com. 300 IN MX 10 mx.example.com." (the TTL and
// class may be left out). It stops when the test ends.
func NewServer(t testing.TB, records ...string) *Server {
	t.Helper()
	s := &Server{t: t, records: map[string][]mdns.RR{}, faults: map[string]fault{}, queries: map[string]int{}}
	s.Add(records...)
	pc, l := listenPair(t)
	s.Addr = pc.LocalAddr().String()
	for _, srv := range []*mdns.Server{
		{PacketConn: pc, Handler: mdns.HandlerFunc(s.answer)},
		{Listener: l, Handler: mdns.HandlerFunc(s.answer)},
	} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
}

// listenPair opens a UDP socket and a TCP listener on the same loopback
// port, trying again when the TCP side of a free UDP port is taken.
func listenPair(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dnstest: %v", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		lastErr = err
		pc.Close()
	}
	t.Fatalf("dnstest: no port free for both UDP and TCP: %v", lastErr)
	return nil, nil
}

// Add adds records, in zone-file syntax, to those the server holds.
func (s *Server) Add(records ...string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, text := range records {
		rr, err := mdns.NewRR(text)
		if err != nil || rr == nil {
			s.t.Fatalf("dnstest: record %q: %v", text, err)
		}
		owner := mdns.CanonicalName(rr.Header().Name)
		s.records[owner] = append(s.records[owner], rr)
	}
}

// ServFail makes every question about name answered with SERVFAIL.
func (s *Server) ServFail(name string) { s.setFault(name, faultServFail) }

// Silent makes questions about name go unanswered, so clients time out.
func (s *Server) Silent(name string) { s.setFault(name, faultSilent) }

// Truncate makes UDP answers about name come back empty with the TC flag
// set, so that clients must ask again over TCP, where the full answer is.
func (s *Server) Truncate(name string) { s.setFault(name, faultTruncate) }

func (s *Server) setFault(name string, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[mdns.CanonicalName(name)] = f
}

// Queries counts the questions about name received over network ("udp" or
// "tcp").
func (s *Server) Queries(network, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[network+" "+mdns.CanonicalName(name)]
}

func (s *Server) answer(w mdns.ResponseWriter, req *mdns.Msg) {
	if len(req.Question) != 1 {
		reply := new(mdns.Msg)
		reply.SetRcode(req, mdns.RcodeFormatError)
		w.WriteMsg(reply)
		return
	}
	q := req.Question[0]
	name := mdns.CanonicalName(q.Name)
	network := "udp"
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		network = "tcp"
	}

	s.mu.Lock()
	s.queries[network+" "+name]++
	f := s.faults[name]
	reply := new(mdns.Msg)
	reply.SetReply(req)
	reply.Authoritative = true
	reply.RecursionAvailable = true
	switch {
	case f == faultSilent:
		s.mu.Unlock()
		return
	case f == faultServFail:
		reply.Rcode = mdns.RcodeServerFailure
	case f == faultTruncate && network == "udp":
		reply.Truncated = true
	default:
		reply.Answer, reply.Rcode = s.lookup(name, q.Qtype)
	}
	s.mu.Unlock()
	if opt := req.IsEdns0(); opt != nil {
		reply.SetEdns0(opt.UDPSize(), false)
	}
	w.WriteMsg(reply)
}

// lookup finds name's records of type qtype, following CNAME records the
// server holds; the caller holds s.mu.
func (s *Server) lookup(name string, qtype uint16) ([]mdns.RR, int) {
	if _, ok := s.records[name]; !ok {
		return nil, mdns.RcodeNameError
	}
	var answer []mdns.RR
	for range 8 {
		rrs := s.records[name]
		var cname *mdns.CNAME
		for _, rr := range rrs {
			if rr.Header().Rrtype == qtype || qtype == mdns.TypeANY {
				answer = append(answer, mdns.Copy(rr))
			}
			if c, ok := rr.(*mdns.CNAME); ok {
				cname = c
			}
		}
		if cname == nil || qtype == mdns.TypeCNAME {
			break
		}
		answer = append(answer, mdns.Copy(cname))
		name = mdns.CanonicalName(cname.Target)
	}
	return answer, mdns.RcodeSuccess
}
