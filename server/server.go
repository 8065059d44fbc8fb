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
	"time"

	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store"
)

// Version is the program version, set at build time with
// -ldflags "-X github.com/mailwright/mailwright/server.Version=...".
var Version = "0.1.0-dev"

// Server is a running Mailwright instance.
type Server struct {
	Config  *config.Config
	Store   *store.Store
	Log     *slog.Logger
	Started time.Time
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
	return &Server{Config: cfg, Store: st, Log: log, Started: time.Now()}, nil
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

// Run serves until ctx is cancelled, then stops everything and closes the
// store. The protocol listeners and the delivery queue join here as they
// are built; today the server holds the store and its directories ready.
func (s *Server) Run(ctx context.Context) error {
	s.Log.Info("Mailwright started", "version", Version,
		"config", s.Config.Path, "data", s.Config.Directories.Data, "logs", s.Config.Directories.Logs,
		"temp", s.Config.Directories.Temp, "events", s.Config.Directories.Events)
	<-ctx.Done()
	s.Log.Info("stopping")
	if err := s.Store.Close(); err != nil {
		return fmt.Errorf("server: closing the store: %w", err)
	}
	s.Log.Info("stopped")
	return nil
}
