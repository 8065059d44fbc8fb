// Package logging owns where the server's log lines go: standard error and
// a daily file in the log directory. What is logged is each package's own
// business.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Open returns a logger writing to w and, when dir is set, to
// dir/mailwright_YYYY-MM-DD.log (the name of the day the server started),
// and to any extra handlers (the live log), and a function that closes the
// file.
func Open(w io.Writer, dir string, level slog.Level, extra ...slog.Handler) (*slog.Logger, func() error, error) {
	opts := &slog.HandlerOptions{Level: level}
	handlers := append([]slog.Handler{slog.NewTextHandler(w, opts)}, extra...)
	closeFile := func() error { return nil }
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("logging: %w", err)
		}
		name := filepath.Join(dir, "mailwright_"+time.Now().Format("2006-01-02")+".log")
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("logging: %w", err)
		}
		handlers = append(handlers, slog.NewTextHandler(f, opts))
		closeFile = f.Close
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closeFile, nil
}
