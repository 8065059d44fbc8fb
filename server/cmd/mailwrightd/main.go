// Command mailwrightd is the Mailwright mail server.
//
//	mailwrightd [run] [--config FILE]     serve until SIGINT or SIGTERM
//	mailwrightd setup [flags]             first-run work for installers and scripts
//	mailwrightd ctl COMMAND ...           administer a running server over the RPC
//	mailwrightd version                   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mailwright/mailwright/rpc"
	"github.com/mailwright/mailwright/server"
	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/server/logging"
)

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func runMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = run(args, stderr)
	case "setup":
		err = setup(args, stdin, stdout)
	case "ctl":
		err = ctl(args, stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "mailwrightd", server.Version)
	case "help", "-h", "--help":
		usage(stdout)
	default:
		fmt.Fprintf(stderr, "mailwrightd: unknown command %q\n", cmd)
		usage(stderr)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "mailwrightd:", err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `Usage:
  mailwrightd [run] [--config FILE]   start the server (default config %s)
  mailwrightd setup [flags]           create the configuration, directories and database
  mailwrightd ctl COMMAND ...         administer a running server (see "mailwrightd ctl help")
  mailwrightd version                 print the version

Run "mailwrightd setup -h" for the setup flags.
`, config.DefaultPath())
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", config.DefaultPath(), "mailwright.ini to read")
	debug := fs.Bool("debug", false, "log debug lines too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w\nrun \"mailwrightd setup --config %s\" first", err, *path)
	}
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	hub := rpc.NewLogHub(1000)
	log, closeLog, err := logging.Open(stderr, cfg.Directories.Logs, level, hub)
	if err != nil {
		return err
	}
	defer closeLog()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.Open(ctx, cfg, log)
	if err != nil {
		log.Error("cannot start", "error", err)
		return err
	}
	srv.LogHub = hub
	return srv.Run(ctx, nil)
}
