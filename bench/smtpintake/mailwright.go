package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/mailwright/mailwright/server"
	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/password"
)

// mailwrightInstance is Mailwright run in this process, as mailwrightd
// runs it (server.Open and server.Run on the configuration "mailwrightd
// setup" writes: SQLite with synchronous=FULL, the default settings), with
// SMTP on a loopback port and one local account.
type mailwrightInstance struct {
	srv       *server.Server
	accountID int64
	stop      context.CancelFunc
	done      chan error
}

// startMailwright sets up a server under base with a domain and an
// account for recipient, SMTP on 127.0.0.1:port and the administration
// RPC on a free loopback port, and starts it.
func startMailwright(base string, port int, recipient string, log io.Writer) (*mailwrightInstance, error) {
	ctx := context.Background()
	cfg := config.Default(base)
	cfg.Path = filepath.Join(base, "etc", "mailwright.ini")
	hash, err := password.Hash("benchmark administrator")
	if err != nil {
		return nil, err
	}
	cfg.Security.AdministratorPassword = hash
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.Open(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	st := srv.Store
	ports, err := st.Ports(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ports {
		if err := st.DeletePort(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	if _, err := st.CreatePort(ctx, store.Port{Protocol: store.ProtocolSMTP, Address: netip.MustParseAddr("127.0.0.1"), Port: port}); err != nil {
		return nil, err
	}
	if err := st.SetSetting(ctx, "AdminAddress", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	_, domain, _ := cutAddress(recipient)
	if _, err := st.CreateDomain(ctx, store.Domain{Name: domain, Active: true}); err != nil {
		return nil, err
	}
	account, err := st.CreateAccount(ctx, store.Account{Address: recipient, Active: true}, "benchmark account")
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	m := &mailwrightInstance{srv: srv, accountID: account.ID, stop: cancel, done: make(chan error, 1)}
	ready := make(chan struct{})
	go func() { m.done <- srv.Run(runCtx, ready) }()
	select {
	case <-ready:
	case err := <-m.done:
		cancel()
		return nil, fmt.Errorf("mailwright stopped at start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		return nil, fmt.Errorf("mailwright did not start within 30s")
	}
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
		m.close()
		return nil, fmt.Errorf("mailwright started but SMTP on %s: %v", addr, err)
	} else {
		c.Close()
	}
	return m, nil
}

// delivered counts the messages in the account's mailbox: the committed
// rows, which is what a 250 of Mailwright's delivery means.
func (m *mailwrightInstance) delivered() (int, error) {
	var n int
	err := m.srv.Store.DB().QueryRow("SELECT COUNT(*) FROM messages WHERE account_id = ? AND state = ?",
		m.accountID, store.MessageStored).Scan(&n)
	return n, err
}

// queueEmpty reports whether no message is queued.
func (m *mailwrightInstance) queueEmpty() (bool, error) {
	var n int
	err := m.srv.Store.DB().QueryRow("SELECT COUNT(*) FROM messages WHERE state = ?", store.MessageQueued).Scan(&n)
	return n == 0, err
}

func (m *mailwrightInstance) close() error {
	m.stop()
	return <-m.done
}

func cutAddress(a string) (local, domain string, ok bool) {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == '@' {
			return a[:i], a[i+1:], true
		}
	}
	return a, "", false
}
