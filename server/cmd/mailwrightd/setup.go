package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mailwright/mailwright/server"
	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store/password"
)

// defaultBase is where a fresh install keeps its data, logs, temp and events.
func defaultBase() string {
	if runtime.GOOS == "windows" {
		return filepath.Dir(config.DefaultPath())
	}
	return "/var/lib/mailwright"
}

// setup writes mailwright.ini, creates the directories and the database
// with hMailServer's defaults, and sets the administrator password. It asks
// nothing, so installers and scripts can run it.
func setup(args []string, stdin io.Reader, stdout io.Writer) error {
	flags := flag.NewFlagSet("setup", flag.ContinueOnError)
	flags.SetOutput(stdout)
	path := flags.String("config", config.DefaultPath(), "mailwright.ini to write")
	base := flags.String("base", defaultBase(), "directory holding data/, logs/, temp/ and events/")
	dbType := flags.String("db-type", "sqlite", "database: sqlite (embedded), pgsql, mysql or mssql")
	dbServer := flags.String("db-server", "", "database server host (not for sqlite)")
	dbPort := flags.Int("db-port", 0, "database server port (0: the engine's default)")
	dbName := flags.String("db-name", "", "database name (not for sqlite)")
	dbUser := flags.String("db-user", "", "database user (not for sqlite)")
	adminPassword := flags.String("admin-password", "", "administrator password (visible to other users in the process list: prefer --admin-password-stdin)")
	adminStdin := flags.Bool("admin-password-stdin", false, "read the administrator password from the first line of standard input")
	force := flags.Bool("force", false, "overwrite an existing configuration file")
	flags.Usage = func() {
		fmt.Fprintln(stdout, "Usage: mailwrightd setup [flags]\n\nThe database password, if any, is read from the environment variable MAILWRIGHT_DB_PASSWORD.\n\nFlags:")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("setup: unexpected argument %q", flags.Arg(0))
	}

	plain := *adminPassword
	if *adminStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("setup: reading the administrator password: %w", err)
		}
		plain = strings.TrimRight(line, "\r\n")
	}
	if plain == "" {
		return errors.New("setup: an administrator password is required (--admin-password-stdin or --admin-password)")
	}
	if _, err := os.Stat(*path); err == nil && !*force {
		return fmt.Errorf("setup: %s already exists; use --force to replace it (the database and messages are kept)", *path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}

	absBase, err := filepath.Abs(*base)
	if err != nil {
		return err
	}
	cfg := config.Default(absBase)
	cfg.Path, _ = filepath.Abs(*path)
	if *dbType != "sqlite" {
		cfg.Database.Type = *dbType
		cfg.Database.File = ""
		cfg.Database.Server, cfg.Database.Port, cfg.Database.Name = *dbServer, *dbPort, *dbName
		cfg.Database.Username, cfg.Database.Password = *dbUser, os.Getenv("MAILWRIGHT_DB_PASSWORD")
	}
	hash, err := password.Hash(plain)
	if err != nil {
		return err
	}
	cfg.Security.AdministratorPassword = hash
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o755); err != nil {
		return err
	}

	// Create the directories and the database before writing the file, so
	// a database that cannot be reached leaves no half-done setup behind.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Open(context.Background(), cfg, log)
	if err != nil {
		return err
	}
	if err := srv.Store.Close(); err != nil {
		return err
	}
	if err := cfg.Save(cfg.Path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Mailwright is set up.\n  configuration: %s\n  data:          %s\n  logs:          %s\n  database:      %s %s\nStart it with: mailwrightd run --config %s\n",
		cfg.Path, cfg.Directories.Data, cfg.Directories.Logs, cfg.Database.Type, server.DatabaseLocation(cfg.Database), cfg.Path)
	return nil
}
