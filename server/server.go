// Package server assembles the mail server: it opens the store that
// mailwright.ini names, prepares the directories, reconciles what a crash
// left behind, and runs the services until it is told to stop. Each
// protocol and service lives in its own package below server/; this one
// only wires them together.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/rpc"
	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/server/imap"
	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/server/pop3"
	"github.com/mailwright/mailwright/server/queue"
	"github.com/mailwright/mailwright/server/recipients"
	"github.com/mailwright/mailwright/server/smtp"
	"github.com/mailwright/mailwright/store"
)

// Version is the program version, set at build time with
// -ldflags "-X github.com/mailwright/mailwright/server.Version=...".
var Version = "0.1.0-dev"

// Server is a running Mailwright instance.
type Server struct {
	Config   *config.Config
	Store    *store.Store
	Log      *slog.Logger
	Started  time.Time
	Ranges   *policy.Ranges
	AutoBan  *policy.AutoBan
	Resolver *recipients.Resolver
	Queue    *queue.Queue // the running services' queue; nil while stopped
	// LogHub carries the live log to the administration RPC; the caller
	// tees the logger into it.
	LogHub *rpc.LogHub
	// AdminAddr is where the administration RPC listens once Run has
	// started it.
	AdminAddr net.Addr
	// AdminFingerprint is the SHA-256 fingerprint of its certificate.
	AdminFingerprint string

	worker  string // this node's name in queue leases
	sqlite  bool   // one node only: no other node can be mid-accept
	workers int    // "DeliveryThreads"

	base     context.Context // the process's context, set by Run
	mu       sync.Mutex
	addrs    map[string][]net.Addr // protocol → bound listener addresses
	running  bool
	stop     context.CancelFunc
	services sync.WaitGroup
	smtp     []*smtp.Server
	pop3     []*pop3.Server
	imap     []*imap.Server

	acceptedBefore atomic.Int64 // messages accepted by services since stopped
	listenErrors   []string     // ports that could not be opened
}

// Open validates the configuration, creates the directories, opens (or
// creates) the database and brings its schema up to date.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, dir := range []string{cfg.Directories.Data, cfg.Directories.Logs, cfg.Directories.Temp, cfg.Directories.Events} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	_, dsn, err := cfg.Database.DSN()
	if err != nil {
		return nil, err
	}
	log.Info("opening database", "type", cfg.Database.Type, "location", DatabaseLocation(cfg.Database))
	st, err := store.Open(ctx, store.Options{
		Type:                    cfg.Database.Type,
		DSN:                     dsn,
		DataDir:                 cfg.Directories.Data,
		Connections:             cfg.Database.Connections,
		ConnectionAttempts:      cfg.Database.ConnectionAttempts,
		ConnectionAttemptsDelay: cfg.Database.ConnectionAttemptsDelay,
	})
	if err != nil {
		return nil, err
	}
	// Writes interrupted by a crash leave temporary files; no write runs yet.
	swept, err := st.Files().SweepTemporary()
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("server: cleaning temporary message files: %w", err)
	}
	if swept > 0 {
		log.Warn("removed temporary message files left by an interrupted run", "count", swept)
	}
	version, err := st.SchemaVersion(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	log.Info("database ready", "type", cfg.Database.Type, "location", DatabaseLocation(cfg.Database), "schema_version", version)
	settings, err := st.AllSettings(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	ranges := policy.NewRanges(st)
	hostname, _ := os.Hostname()
	return &Server{
		Config: cfg, Store: st, Log: log, Started: time.Now(),
		Ranges:   ranges,
		AutoBan:  policy.NewAutoBan(st, ranges, log),
		Resolver: recipients.New(st),
		// The node's name in queue leases must survive a restart: at start
		// the queue ends the leases held under it, which a crash left behind.
		worker:  hostname,
		sqlite:  cfg.Database.Type == config.SQLite,
		workers: settings.Int("DeliveryThreads"),
		addrs:   map[string][]net.Addr{},
	}, nil
}

// DatabaseLocation names the database without its password: the SQLite
// file, or server:port/database.
func DatabaseLocation(db config.Database) string {
	if db.Type == config.SQLite {
		return db.File
	}
	port := ""
	if db.Port != 0 {
		port = strconv.Itoa(db.Port)
	}
	host := db.Server
	if port != "" {
		host = net.JoinHostPort(db.Server, port)
	}
	return host + "/" + db.Name
}

// Run serves until ctx is cancelled: the mail services (StartServices)
// and, for the whole life of the process, the administration RPC. Then it
// stops everything, waits and closes the store. ready, when not nil, is
// closed once the listeners are open.
func (s *Server) Run(ctx context.Context, ready chan<- struct{}) error {
	s.base = ctx
	rpcDone, err := s.startAdminRPC(ctx)
	if err != nil {
		return err
	}
	if err := s.StartServices(); err != nil {
		return err
	}
	s.Log.Info("Mailwright started", "version", Version,
		"config", s.Config.Path, "data", s.Config.Directories.Data, "logs", s.Config.Directories.Logs,
		"temp", s.Config.Directories.Temp, "events", s.Config.Directories.Events)
	if ready != nil {
		close(ready)
	}
	<-ctx.Done()
	s.Log.Info("stopping")
	if err := s.StopServices(); err != nil {
		s.Log.Error("stopping services", "error", err)
	}
	if err := <-rpcDone; err != nil {
		s.Log.Error("administration RPC", "error", err)
	}
	if err := s.Store.Close(); err != nil {
		return fmt.Errorf("server: closing the store: %w", err)
	}
	s.Log.Info("stopped")
	return nil
}

// startListeners opens every SMTP, POP3 and IMAP port of the TCP/IP ports
// table. A port that cannot be opened is logged, reported by the self-test
// and skipped, so one busy port does not keep the others down.
func (s *Server) startListeners(ctx context.Context, wg *sync.WaitGroup, q *queue.Queue) error {
	ports, err := s.Store.Ports(ctx)
	if err != nil {
		return err
	}
	for _, p := range ports {
		name := strings.ToUpper(p.Protocol)
		var serve func(context.Context, net.Listener, store.ConnectionSecurity) error
		tlsConfig, err := tlsConfigFor(ctx, s.Store, p.CertificateID)
		if err == nil && tlsConfig == nil && p.Security != store.SecurityNone {
			err = errNoCertificate
		}
		if err != nil {
			s.Log.Error(name+" port not opened", "address", p.Address, "port", p.Port, "error", err)
			continue
		}
		switch p.Protocol {
		case store.ProtocolSMTP:
			srv := smtp.New(smtp.Deps{Store: s.Store, Ranges: s.Ranges, AutoBan: s.AutoBan, Resolver: s.Resolver, Queue: q,
				Log: s.Log, ConvLog: s.Log.With("log", "smtp"), TLSConfig: tlsConfig}, smtp.Options{})
			s.smtp = append(s.smtp, srv)
			serve = srv.Serve
		case store.ProtocolPOP3:
			srv := pop3.New(pop3.Deps{Store: s.Store, Ranges: s.Ranges, AutoBan: s.AutoBan,
				Log: s.Log, ConvLog: s.Log.With("log", "pop3"), TLSConfig: tlsConfig}, pop3.Options{})
			s.pop3 = append(s.pop3, srv)
			serve = srv.Serve
		case store.ProtocolIMAP:
			srv := imap.New(imap.Deps{Store: s.Store, Ranges: s.Ranges, AutoBan: s.AutoBan,
				Log: s.Log, ConvLog: s.Log.With("log", "imap"), TLSConfig: tlsConfig}, imap.Options{Version: Version})
			s.imap = append(s.imap, srv)
			serve = srv.Serve
		default:
			s.Log.Error("port of an unknown protocol not opened", "protocol", p.Protocol, "port", p.Port)
			continue
		}
		l, err := listen(ctx, p)
		if err != nil {
			s.Log.Error(name+" port not opened", "address", p.Address, "port", p.Port, "error", err)
			s.listenErrors = append(s.listenErrors, fmt.Sprintf("The %s port %s:%d could not be opened: %v", name, p.Address, p.Port, err))
			continue
		}
		s.addrs[p.Protocol] = append(s.addrs[p.Protocol], l.Addr())
		s.Log.Info("listening", "protocol", name, "address", l.Addr().String(), "security", p.Security)
		wg.Go(func() {
			if err := serve(ctx, l, p.Security); err != nil {
				s.Log.Error(name+" listener stopped", "address", l.Addr().String(), "error", err)
			}
		})
	}
	return nil
}

// Addrs returns the bound addresses of a protocol's listeners.
func (s *Server) Addrs(protocol string) []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Addr(nil), s.addrs[protocol]...)
}

// startAdminRPC serves the administration API on the "AdminAddress"
// setting (127.0.0.1:8425 by default, so only this machine can reach it
// until an administrator says otherwise) with the certificate made on the
// first start.
func (s *Server) startAdminRPC(ctx context.Context) (<-chan error, error) {
	addr, err := s.Store.Setting(ctx, "AdminAddress")
	if err != nil {
		return nil, err
	}
	cert, fingerprint, err := rpc.LoadOrCreateCertificate(s.Config.Directories.Data)
	if err != nil {
		return nil, err
	}
	hash := s.Config.Security.AdministratorPassword
	api := rpc.NewServer(rpc.Options{
		Store: s.Store, Engine: s, Ranges: s.Ranges, AutoBan: s.AutoBan, Log: s.Log, LogHub: s.LogHub,
		AdministratorPassword: func() string { return hash },
	})
	bound, done, err := api.ListenAndServe(ctx, addr, cert)
	if err != nil {
		return nil, err
	}
	s.AdminAddr, s.AdminFingerprint = bound, fingerprint
	s.Log.Info("administration RPC listening", "address", bound.String(), "fingerprint", fingerprint)
	return done, nil
}
