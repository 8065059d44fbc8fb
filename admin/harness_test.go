package admin

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailwright/mailwright/rpc"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/password"
)

// pagesAdminPassword is the main administrator's password of every server
// startPagesServer starts.
const pagesAdminPassword = "pages-secret-1"

// pagesServer is a real administration server on 127.0.0.1:0 over a fresh
// SQLite store, with a session logged in as the main administrator.
type pagesServer struct {
	Store   *store.Store
	Session *Session
}

// startPagesServer starts the server for one test; it stops when the test
// ends. The pages' account list fetches its pages at once while it runs.
func startPagesServer(t *testing.T) *pagesServer {
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
		cancel()
		t.Fatalf("opening the store: %v", err)
	}
	hash, err := password.Hash(pagesAdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer(rpc.Options{Store: st, AdministratorPassword: func() string { return hash }})
	cert, _, err := rpc.LoadOrCreateCertificate(filepath.Join(dir, "tls"))
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

	dialCtx, dialCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer dialCancel()
	client, err := rpc.Dial(dialCtx, addr.String(), rpc.DialOptions{
		KnownServersFile: filepath.Join(dir, "known_servers"), TrustOnFirstUse: true})
	if err != nil {
		t.Fatalf("dialling the server: %v", err)
	}
	t.Cleanup(client.Close)
	if err := client.Login(dialCtx, "", pagesAdminPassword); err != nil {
		t.Fatalf("logging in: %v", err)
	}

	background := backgroundFetch
	backgroundFetch = nil
	t.Cleanup(func() { backgroundFetch = background })

	return &pagesServer{Store: st, Session: &Session{Client: client, Server: addr.String()}}
}

// createDomain adds a domain directly in the store.
func (s *pagesServer) createDomain(t *testing.T, name string) store.Domain {
	t.Helper()
	d, err := s.Store.CreateDomain(context.Background(), store.Domain{Name: name, Active: true})
	if err != nil {
		t.Fatalf("creating the domain %s: %v", name, err)
	}
	return d
}

// insertAccounts adds n accounts user00000@domain, user00001@domain, ...
// in one transaction, with their claimed addresses and INBOX, as
// store.insertAccount writes them but without hashing a password each
// time (the password is a plain legacy one, "x"), so 100,000 accounts take
// seconds rather than the hours argon2id would.
func (s *pagesServer) insertAccounts(t *testing.T, d store.Domain, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	claim, err := tx.PrepareContext(ctx, "INSERT INTO addresses (address_lower, kind, domain_id) VALUES (?, 1, ?)")
	if err != nil {
		t.Fatal(err)
	}
	account, err := tx.PrepareContext(ctx, `INSERT INTO accounts (domain_id, address, address_lower, password, active, admin_level,
		max_size_mb, first_name, last_name, last_logon_at, last_logon_ip, pop3_lock, pop3_lock_at,
		vacation_enabled, vacation_subject, vacation_message, vacation_expires, vacation_expires_at,
		forward_enabled, forward_address, forward_keep_original, signature_enabled, signature_plain, signature_html, created_at)
		VALUES (?, ?, ?, ?, 1, 0, 0, '', '', 0, '', '', 0, 0, '', '', 0, 0, 0, '', 0, 0, '', '', ?)`)
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := tx.PrepareContext(ctx, `INSERT INTO imap_folders (account_id, parent_id, name, subscribed, uid_validity, uid_next, created_at)
		VALUES (?, 0, 'INBOX', 1, 1, 1, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := password.FromLegacy(0, "x")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	for i := range n {
		address := fmt.Sprintf("user%05d@%s", i, d.Name)
		if _, err := claim.ExecContext(ctx, store.Lower(address), d.ID); err != nil {
			t.Fatal(err)
		}
		res, err := account.ExecContext(ctx, d.ID, address, store.Lower(address), hash, now)
		if err != nil {
			t.Fatal(err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inbox.ExecContext(ctx, id, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
