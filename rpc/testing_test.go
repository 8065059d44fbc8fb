package rpc

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/password"
)

// testAdminPassword is the main administrator's password in every testAPI.
const testAdminPassword = "admin-secret-1"

// testAPI is the administration API served over real HTTPS on
// 127.0.0.1:0, over a fresh SQLite store, for one test.
type testAPI struct {
	Store   *store.Store
	Server  *Server
	Options Options // as given to NewServer (after the test's changes)
	Hub     *LogHub // receives everything the server logs
	Addr    string  // host:port of the endpoint
	URL     string  // "https://" + Addr
	// Fingerprint is the endpoint certificate's; KnownServers the
	// known-servers file the clients of this testAPI use (Fingerprint is
	// recorded in it).
	Fingerprint  string
	KnownServers string
	Dir          string // the test's temporary directory
}

// newTestAPI starts the API. Each change is applied to the Options before
// NewServer, e.g. to set an Engine or a short SessionTTL. The server stops
// when the test ends.
func newTestAPI(t *testing.T, changes ...func(*Options)) *testAPI {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())

	st, err := store.Open(ctx, store.Options{
		Type: "sqlite",
		DSN: "file:" + filepath.Join(dir, "mw.db") +
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate",
		DataDir:     filepath.Join(dir, "data"),
		Connections: 8,
	})
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}

	hash, err := password.Hash(testAdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	hub := NewLogHub(1000)
	log := slog.New(hub)
	ranges := policy.NewRanges(st)
	opts := Options{
		Store:                 st,
		AdministratorPassword: func() string { return hash },
		Ranges:                ranges,
		AutoBan:               policy.NewAutoBan(st, ranges, log),
		Log:                   log,
		LogHub:                hub,
	}
	for _, change := range changes {
		change(&opts)
	}
	srv := NewServer(opts)

	cert, fingerprint, err := LoadOrCreateCertificate(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	addr, done, err := srv.ListenAndServe(ctx, "127.0.0.1:0", cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the server ended with: %v", err)
		}
		st.Close()
	})

	api := &testAPI{
		Store: st, Server: srv, Options: opts, Hub: hub,
		Addr: addr.String(), URL: "https://" + addr.String(),
		Fingerprint: fingerprint, KnownServers: filepath.Join(dir, "known_servers"), Dir: dir,
	}
	if err := recordKnownServer(api.KnownServers, api.Addr, fingerprint); err != nil {
		t.Fatal(err)
	}
	return api
}

// Dial returns a client of the API that is not logged in. It trusts the
// API's certificate; opts may set other DialOptions (its KnownServersFile
// defaults to the testAPI's).
func (a *testAPI) Dial(t *testing.T, opts DialOptions) *Client {
	t.Helper()
	if opts.KnownServersFile == "" {
		opts.KnownServersFile = a.KnownServers
	}
	c, err := Dial(testContext(t), a.Addr, opts)
	if err != nil {
		t.Fatalf("dialling the API: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// AsAdmin returns a client logged in as the main administrator.
func (a *testAPI) AsAdmin(t *testing.T) *Client {
	t.Helper()
	return a.As(t, "", testAdminPassword)
}

// As returns a client logged in with address and password (address ""
// or "Administrator" for the main administrator).
func (a *testAPI) As(t *testing.T, address, password string) *Client {
	t.Helper()
	c := a.Dial(t, DialOptions{})
	if err := c.Login(testContext(t), address, password); err != nil {
		t.Fatalf("logging in as %q: %v", address, err)
	}
	return c
}

// CreateAccount makes an active account with the given admin level,
// creating its domain (active) when it does not exist yet.
func (a *testAPI) CreateAccount(t *testing.T, address, password string, level store.AdminLevel) store.Account {
	t.Helper()
	ctx := testContext(t)
	_, domainName, ok := strings.Cut(address, "@")
	if !ok {
		t.Fatalf("CreateAccount: %q is not an address", address)
	}
	if _, err := a.Store.DomainByName(ctx, domainName); err != nil {
		if _, err := a.Store.CreateDomain(ctx, store.Domain{Name: domainName, Active: true}); err != nil {
			t.Fatalf("creating the domain %s: %v", domainName, err)
		}
	}
	account, err := a.Store.CreateAccount(ctx, store.Account{Address: address, Active: true, AdminLevel: level}, password)
	if err != nil {
		t.Fatalf("creating the account %s: %v", address, err)
	}
	return account
}

// LogContains reports whether a line the server logged contains every one
// of the fragments.
func (a *testAPI) LogContains(fragments ...string) bool {
	for _, line := range a.Hub.Recent(1000) {
		all := true
		for _, f := range fragments {
			all = all && strings.Contains(line.Text, f)
		}
		if all {
			return true
		}
	}
	return false
}

// testContext is a context for one test's calls, ending with the test or
// after a minute.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// dialerFrom makes TCP connections from a given local address (on Linux
// all of 127.0.0.0/8 is the loopback interface).
func dialerFrom(ip string) *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
}
