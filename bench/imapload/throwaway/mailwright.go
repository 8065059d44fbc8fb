//go:build linux

package throwaway

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store"
)

// BuildMailwrightd builds mailwrightd from the module the current
// directory is in (CGO_ENABLED=0, as the installer builds it) into dir.
func BuildMailwrightd(dir string) (string, error) {
	bin := filepath.Join(dir, "mailwrightd")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/mailwright/mailwright/server/cmd/mailwrightd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building mailwrightd: %v\n%s", err, out)
	}
	return bin, nil
}

// StartMailwright runs "mailwrightd setup" into a new temporary directory
// in parent, replaces the default TCP/IP ports by IMAP and POP3 on free
// loopback ports (the administration RPC on a free one too, as the tests
// of server/cmd/mailwrightd do), creates the domain and users, and starts
// "mailwrightd run" as a child of this process, which inherits its
// RLIMIT_NOFILE.
func StartMailwright(parent, bin string, users []User) (_ *Server, err error) {
	dir, err := os.MkdirTemp(parent, "bench-mailwright-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			removeAll(dir)
		}
	}()
	ini := filepath.Join(dir, "etc", "mailwright.ini")
	setup := exec.Command(bin, "setup", "--config", ini, "--base", dir, "--admin-password-stdin")
	setup.Stdin = strings.NewReader("benchmark administrator\n")
	if out, err := setup.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mailwrightd setup: %v\n%s", err, out)
	}
	imapPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	pop3Port, err := FreePort()
	if err != nil {
		return nil, err
	}
	if err := configureMailwright(ini, imapPort, pop3Port, users); err != nil {
		return nil, err
	}
	s := &Server{
		Name:     "mailwright",
		IMAPAddr: "127.0.0.1:" + itoa(imapPort),
		POP3Addr: "127.0.0.1:" + itoa(pop3Port),
		Users:    users,
		Dir:      dir,
		command:  []string{bin, "run", "--config", ini},
	}
	if err := s.launch(); err != nil {
		return nil, err
	}
	return s, nil
}

// configureMailwright writes the ports, the domain and the accounts into
// the store "mailwrightd setup" created, before the server runs.
func configureMailwright(ini string, imapPort, pop3Port int, users []User) error {
	cfg, err := config.Load(ini)
	if err != nil {
		return err
	}
	_, dsn, err := cfg.Database.DSN()
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Type: cfg.Database.Type, DSN: dsn, DataDir: cfg.Directories.Data})
	if err != nil {
		return err
	}
	defer st.Close()
	return ConfigureStore(ctx, st, imapPort, pop3Port, users)
}

// ExtraSettings are server settings ConfigureStore gives Mailwright after
// its own, e.g. AccountCacheTTL 0 so that every login checks its password.
var ExtraSettings map[string]string

// ConfigureStore makes a fresh Mailwright store serve IMAP and POP3 only,
// on 127.0.0.1:imapPort and :pop3Port, with the administration RPC on a
// free loopback port, no connection limits, the benchmark domain and the
// users' accounts.
func ConfigureStore(ctx context.Context, st *store.Store, imapPort, pop3Port int, users []User) error {
	ports, err := st.Ports(ctx)
	if err != nil {
		return err
	}
	for _, p := range ports {
		if err := st.DeletePort(ctx, p.ID); err != nil {
			return err
		}
	}
	loopback := netip.MustParseAddr("127.0.0.1")
	for _, p := range []store.Port{
		{Protocol: store.ProtocolIMAP, Address: loopback, Port: imapPort},
		{Protocol: store.ProtocolPOP3, Address: loopback, Port: pop3Port},
	} {
		if _, err := st.CreatePort(ctx, p); err != nil {
			return err
		}
	}
	if err := st.SetSetting(ctx, "AdminAddress", "127.0.0.1:0"); err != nil {
		return err
	}
	// No connection limits (0 is hMailServer's "unlimited"), whatever the
	// defaults become.
	for _, name := range []string{"MaxIMAPConnections", "MaxPOP3Connections"} {
		if err := st.SetSetting(ctx, name, "0"); err != nil {
			return err
		}
	}
	for name, value := range ExtraSettings {
		if err := st.SetSetting(ctx, name, value); err != nil {
			return fmt.Errorf("setting %s: %w", name, err)
		}
	}
	if _, err := st.CreateDomain(ctx, store.Domain{Name: Domain, Active: true}); err != nil {
		return err
	}
	for _, u := range users {
		if _, err := st.CreateAccount(ctx, store.Account{Address: u.Name, Active: true}, u.Password); err != nil {
			return fmt.Errorf("account %s: %w", u.Name, err)
		}
	}
	return nil
}
